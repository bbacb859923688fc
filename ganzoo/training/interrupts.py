"""Ctrl-C and SIGTERM during training: finish the step, checkpoint, say how to resume.

While `Interrupts` is active, SIGINT and SIGTERM only record which signal came;
`ganzoo.training.callbacks.StopOnSignal` ends `fit()` after the current step, the
checkpointer saves that step, and the command exits with 128 + the signal number
(130 for SIGINT, 143 for SIGTERM), as a shell reports a process killed by it.
A second Ctrl-C while the checkpoint is written stops at once (the checkpoint
being written is then lost; the previous one is intact, files are replaced
atomically).
"""

from __future__ import annotations

import signal
import threading
from types import FrameType, TracebackType
from typing import Any

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupts:
    """Context manager: record SIGINT/SIGTERM instead of dying (main thread only)."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum is not None else ""

    @property
    def exit_code(self) -> int:
        return 128 + int(self.signum or 0)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt  # asked twice: stop now
        self.signum = signum

    def __enter__(self) -> Interrupts:
        if threading.current_thread() is threading.main_thread():
            for sig in _SIGNALS:
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()
