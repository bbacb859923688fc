"""What a bench prints while it runs: one line per job start and finish, with the
elapsed time and an estimate of the time left."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence

from ganzoo.bench.state import Job

Echo = Callable[[str], None]


def clock(seconds: float) -> str:
    """H:MM:SS, for elapsed times and ETAs."""
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


class Progress:
    """One line per job start and finish, with the elapsed time and an ETA.

    The ETA assumes a waiting job of a model takes as long as that model's jobs that
    ran in this session, else its `prior` (seconds expected from the bench's earlier
    sessions), else all models' mean this session, divided among the workers.
    Under a time limit (`deadline`, in `time.monotonic()` seconds) jobs that would not end
    before it are held back, not run, so the ETA is at most the time left to the deadline,
    or the running jobs' own time left when that is longer.
    """

    def __init__(self, jobs: Sequence[Job], parallel: int, echo: Echo,
                 deadline: float | None = None, prior: Mapping[str, float] | None = None,
                 ) -> None:
        self.index = {job.id: i + 1 for i, job in enumerate(jobs)}
        self.models = {job.id: job.model for job in jobs}
        self.parallel = parallel
        self.deadline = deadline
        self.prior = dict(prior or {})
        self.echo = echo
        self.start = time.monotonic()
        self.running: dict[str, float] = {}
        self.finished: set[str] = set()
        self.took: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def _estimate(self, model: str) -> float | None:
        mine = self.took.get(model)
        if not mine and model in self.prior:
            return self.prior[model]
        pool = mine or [s for spans in self.took.values() for s in spans]
        return sum(pool) / len(pool) if pool else None

    def eta(self) -> str:
        clock_now, left, count, running = time.monotonic(), 0.0, 0, 0.0
        for key, model in self.models.items():
            if key in self.finished:
                continue
            guess = self._estimate(model)
            if guess is None:
                return "?"
            since = self.running.get(key)
            rest = max(0.0, guess - (clock_now - since)) if since is not None else guess
            left += rest
            count += 1
            running = max(running, rest if since is not None else 0.0)
        eta = left / max(1, min(self.parallel, count))
        if self.deadline is not None:
            eta = min(eta, max(self.deadline - clock_now, running))
        return clock(eta)

    def _say(self, job: Job, text: str) -> None:
        width = len(str(len(self.index)))
        self.echo(f"[{self.index[job.id]:>{width}}/{len(self.index)}] {job.label}: {text}  "
                  f"(elapsed {clock(time.monotonic() - self.start)}, eta {self.eta()})")

    def started(self, job: Job, what: str) -> None:
        with self._lock:
            self.running[job.id] = time.monotonic()
            self._say(job, what)

    def note(self, job: Job, text: str) -> None:
        with self._lock:
            self._say(job, text)

    def done(self, job: Job, text: str) -> None:
        with self._lock:
            since = self.running.pop(job.id, None)
            if since is not None:
                self.took.setdefault(job.model, []).append(time.monotonic() - since)
            self.finished.add(job.id)
            self._say(job, text)
