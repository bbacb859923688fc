"""A time limit for a bench: start only the jobs expected to finish within it.

A bench of many models takes hours, and a machine lent for a fixed time (a batch
job's wall-clock limit, a session on a shared box) takes its files away when it ends.
Interrupting the bench at the limit loses the running jobs' progress since their last
checkpoint; holding back the jobs that would not finish loses none of it. How long a
job takes is read from the bench's own record of earlier jobs of that model.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable
from typing import Any

from ganzoo.bench.state import Job, RunStatus

_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


def parse_duration(text: str) -> float:
    """Seconds in a duration such as ``2h``, ``90m``, ``1h30m`` or ``45s``; ValueError
    otherwise (a bare number is refused: minutes or seconds would be a guess)."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not text.strip() or match is None or not any(match.groups()):
        raise ValueError(f"{text!r} is not a duration; write e.g. 2h, 90m or 1h30m")
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if total <= 0:
        raise ValueError(f"{text!r}: a time limit must be longer than 0")
    return float(total)


def job_seconds(job: Job) -> float | None:
    """Seconds a scored job took from its first training step to its score: its child
    processes since its run last started from scratch. None when no run was recorded
    (a folder trained outside the bench)."""
    attempts = job.current_attempts()
    if job.state != "done" or not attempts or attempts[0].get("action") != "run":
        return None
    return sum(float(a.get("seconds") or 0) for a in attempts)


def expected_seconds(jobs: Iterable[Job], model: str, sessions: list[dict[str, Any]],
                     here: str) -> float | None:
    """How long a job of `model` is expected to take, from the bench's scored jobs: the
    mean of that model's on this machine (`here`, a `machine_key`); else its mean on other
    machines, times how much slower this machine ran the models scored on both (machines
    lent to sessions differ up to ~3x); for a model with none, the slowest model's
    estimate (a guess that errs long); None when nothing has been scored."""
    took: dict[str, dict[bool, list[float]]] = {}
    for job in jobs:
        seconds = job_seconds(job)
        if seconds is not None:
            local = job.timing_machine(sessions) == here
            took.setdefault(job.model, {}).setdefault(local, []).append(seconds)
    both = [statistics.fmean(v[True]) / statistics.fmean(v[False])
            for v in took.values() if v.get(True) and v.get(False)]
    slower = statistics.fmean(both) if both else 1.0

    def estimate(by_place: dict[bool, list[float]]) -> float:
        if by_place.get(True):
            return statistics.fmean(by_place[True])
        return statistics.fmean(by_place[False]) * slower

    if model in took:
        return estimate(took[model])
    return max((estimate(v) for v in took.values()), default=None)


def left_fraction(status: RunStatus, config: dict[str, Any] | None) -> float:
    """The share of a job's run still to train: 1 for a new run, the steps not yet taken
    for a partial one (`config` is its config.json, which has the planned total), 0 for
    a trained one (only its scoring is left)."""
    if status.kind == "trained":
        return 0.0
    total = (config or {}).get("total_steps")
    done = (status.summary or {}).get("steps")
    if status.kind != "partial" or not isinstance(total, int) or not isinstance(done, int) \
            or total <= 0:
        return 1.0
    return min(1.0, max(0.0, 1.0 - done / total))

