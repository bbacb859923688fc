"""TensorFlow at run time: a quiet import, and the numeric precision to train in.

TensorFlow 2.21 prints C++ start-up notices (oneDNN, missing CUDA drivers) to
file descriptor 2 before its logging is configured, ignoring
``TF_CPP_MIN_LOG_LEVEL``. ganzoo hides them while importing TensorFlow and while
probing for GPUs; ``GANZOO_TF_LOGS=1`` shows them again.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def _quiet_fd2() -> Iterator[None]:
    if os.environ.get("GANZOO_TF_LOGS") == "1":
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (some notebooks, test runners)
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


def native_bfloat16() -> bool:
    """True where bfloat16 matmuls run natively: AVX512-BF16/AMX CPUs or Ampere+ GPUs."""
    tf = import_tensorflow()
    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        if details.get("compute_capability", (0, 0)) >= (8, 0):
            return True
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="ignore") as f:
            flags = f.read()
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


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
