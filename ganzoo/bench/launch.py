"""Running one ``ganzoo`` command as a child process, its output appended to a log.

Children get their own session, so a Ctrl-C at the terminal reaches the bench only;
the bench forwards it once to every child, which then finishes its step, checkpoints
and exits 130, exactly as ``ganzoo run`` does when interrupted by hand. A second
Ctrl-C is forwarded again and stops the children at once.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

#: ``ganzoo`` as a child process. ``-c`` rather than ``-m ganzoo.cli`` so that it does not
#: depend on how the CLI package is laid out, only on ``ganzoo.cli.main``.
CLI: tuple[str, ...] = (sys.executable, "-c", "from ganzoo.cli import main; main()")
#: exit codes of a child stopped by SIGINT or SIGTERM (128 + signal)
INTERRUPTED = (130, 143, -signal.SIGINT, -signal.SIGTERM)


class Launcher(Protocol):
    """Runs ``ganzoo ARGS`` with output to `log`; returns the exit code. Tests inject fakes."""

    def __call__(self, args: Sequence[str], log: Path) -> int: ...


#: TensorFlow's thread-pool sizes, read from the environment when it starts
THREAD_VARS = ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


def thread_env(parallel: int, environ: Mapping[str, str] | None = None,
               cpus: int | None = None) -> dict[str, str]:
    """Thread-pool sizes for `parallel` children at once: the cores shared out (each child
    gets cpus // parallel for its ops, one for running ops side by side), since N children
    that each size their pools for every core oversubscribe the CPU. Nothing when one
    child runs, or when the user set either variable: theirs is kept."""
    environ = os.environ if environ is None else environ
    if parallel <= 1 or any(var in environ for var in THREAD_VARS):
        return {}
    cpus = cpus or os.cpu_count() or 1
    return {"TF_NUM_INTRAOP_THREADS": str(max(1, cpus // parallel)),
            "TF_NUM_INTEROP_THREADS": "1"}


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of children: this process's, with this ganzoo first on the path (so
    the children run the code the bench runs), unbuffered output (live logs), and `extra`
    (`thread_env`)."""
    env = {**os.environ, **(extra or {})}
    root = str(Path(__file__).resolve().parents[2])  # the folder holding `ganzoo`
    parts = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join([root, *[p for p in parts if p != root]])
    env["PYTHONUNBUFFERED"] = "1"
    return env


class SubprocessLauncher:
    """The real launcher; `interrupt` forwards a signal to every live child."""

    def __init__(self, prefix: Sequence[str] = CLI,
                 extra_env: Mapping[str, str] | None = None) -> None:
        self.prefix = list(prefix)
        self.env = child_env(extra_env)
        self._live: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()
        self.stopping = False

    def __call__(self, args: Sequence[str], log: Path) -> int:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as out:
            out.write(f"\n$ ganzoo {shlex.join(args)}\n".encode())
            out.flush()
            with self._lock:
                if self.stopping:  # interrupted before this child could start
                    return 128 + signal.SIGINT
                proc = subprocess.Popen([*self.prefix, *args], stdout=out,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        env=self.env, start_new_session=True)
                self._live.add(proc)
            try:
                return proc.wait()
            finally:
                with self._lock:
                    self._live.discard(proc)

    def interrupt(self, signum: int = signal.SIGINT) -> None:
        with self._lock:
            self.stopping = True
            for proc in self._live:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signum)


def last_error(log: Path, limit: int = 300) -> str:
    """The line of a child's log that says what went wrong: its last ``error:`` line,
    else its last line; '' when the log is empty."""
    try:
        lines = [ln.strip() for ln in log.read_text(encoding="utf-8", errors="replace")
                 .splitlines()[-200:] if ln.strip()]
    except OSError:
        return ""
    errors = [ln for ln in lines if ln.startswith("error:")]
    line = errors[-1] if errors else (lines[-1] if lines else "")
    return line[:limit]
