"""TensorFlow at run time: a quiet import, and the numeric precision to train in.

TensorFlow 2.21 prints C++ start-up notices (oneDNN, missing CUDA drivers) to
file descriptor 2 before its logging is configured, ignoring
``TF_CPP_MIN_LOG_LEVEL``. ganzoo hides them while importing TensorFlow and while
probing for GPUs, and drops Grappler's harmless "remapper failed" line while
training (`without_grappler_notices`); ``GANZOO_TF_LOGS=1`` shows them again.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any


def _tf_logs_shown() -> bool:
    """``GANZOO_TF_LOGS=1``: TensorFlow's notices are wanted, so nothing is hidden."""
    return os.environ.get("GANZOO_TF_LOGS") == "1"


def _save_fd2() -> int | None:
    """A copy of file descriptor 2 to restore later, or None where there is no real one
    (some notebooks, test runners): then fd 2 is left alone."""
    try:
        sys.stderr.flush()
        return os.dup(2)
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def _quiet_fd2() -> Iterator[None]:
    saved = None if _tf_logs_shown() else _save_fd2()
    if saved is None:
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def grappler_notice(line: bytes) -> bool:
    """Grappler's "remapper failed" line: it declined one fusion, results are unaffected
    (docs/DESIGN.md, "A harmless TensorFlow message")."""
    return b"meta_optimizer.cc" in line and b"remapper failed" in line


@contextlib.contextmanager
def filtered_fd2(drop: Callable[[bytes], bool]) -> Iterator[None]:
    """Pass what is written to file descriptor 2 (C++ logs included) on line by line,
    without the lines `drop` accepts. What this process wrote is passed on by the time
    this exits (a child process still running goes on through the filter until it ends)."""
    saved = _save_fd2()
    if saved is None:
        yield
        return
    read_end, write_end = os.pipe()
    out = os.dup(saved)  # the thread's own: it may outlive this block (see below)

    def forward() -> None:
        pending = b""
        try:
            while chunk := os.read(read_end, 65536):
                *lines, pending = (pending + chunk).split(b"\n")
                kept = b"".join(line + b"\n" for line in lines if not drop(line))
                with contextlib.suppress(OSError):  # keep draining: a full pipe would block
                    if kept:
                        os.write(out, kept)
            if pending and not drop(pending):
                with contextlib.suppress(OSError):
                    os.write(out, pending)
        finally:
            os.close(read_end)
            os.close(out)

    thread = threading.Thread(target=forward, name="ganzoo-fd2-filter", daemon=True)
    thread.start()
    os.dup2(write_end, 2)
    os.close(write_end)
    try:
        yield
    finally:
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.flush()
        os.dup2(saved, 2)  # closes our last write end: the thread reads to the end
        os.close(saved)
        # A child process started meanwhile may still hold a write end; then the thread
        # goes on forwarding its lines after this returns, rather than blocking here.
        thread.join(timeout=1.0)


def without_grappler_notices() -> contextlib.AbstractContextManager[None]:
    """`filtered_fd2` dropping `grappler_notice` lines, unless ``GANZOO_TF_LOGS=1``."""
    if _tf_logs_shown():
        return contextlib.nullcontext()
    return filtered_fd2(grappler_notice)


def import_tensorflow() -> Any:
    """Import TensorFlow (and Keras) once, without the start-up noise."""
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _quiet_fd2():
        import keras  # noqa: F401
        import tensorflow as tf

        tf.config.list_physical_devices("GPU")  # the CUDA probe also logs; do it now
    return tf


def cpu_info() -> dict[str, str]:
    """The first processor's fields in /proc/cpuinfo ("model name", "flags", ...); empty
    where there is none (not Linux). All cores of one machine report the same."""
    info: dict[str, str] = {}
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="ascii",
                                            errors="ignore") as f:
        for line in f:
            if not line.strip():
                break
            key, _, value = line.partition(":")
            info[key.strip()] = value.strip()
    return info


def native_bfloat16() -> bool:
    """True where bfloat16 matmuls run natively: AVX512-BF16/AMX CPUs or Ampere+ GPUs."""
    tf = import_tensorflow()
    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        if details.get("compute_capability", (0, 0)) >= (8, 0):
            return True
    return bool({"avx512_bf16", "amx_bf16"} & set(cpu_info().get("flags", "").split()))


def resolve_precision(choice: str) -> str:
    """The Keras dtype policy for ``precision``: auto, float32 or bfloat16.

    ``GANZOO_PRECISION`` (float32 or bfloat16) decides what ``auto`` means.
    """
    if choice == "auto":
        override = os.environ.get("GANZOO_PRECISION")
        if override in {"float32", "bfloat16"}:
            choice = override
        else:
            return "mixed_bfloat16" if native_bfloat16() else "float32"
    return {"float32": "float32", "bfloat16": "mixed_bfloat16"}[choice]


@contextlib.contextmanager
def dtype_policy(name: str) -> Iterator[None]:
    """Build layers under a dtype policy without leaving it set for anyone else."""
    import_tensorflow()
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)
