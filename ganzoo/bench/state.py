"""What a bench is and what its jobs did: options, ``bench.json``, and the run folders.

A bench is resumable because every decision is taken again from the files: a job's run
folder says whether it still has to be trained (``config.json`` absent), resumed (no
finished ``summary.json``), scored (no ``eval.json`` of the bench's protocol) or nothing
at all. ``bench.json`` adds what the folders cannot say (process wall clocks, the
parallelism each attempt ran under, failures) and pins the options: a bench directory
measured under one protocol must not silently mix in jobs of another. The registry is
checked the same way, run by run: a run folder whose ``config.json`` records other
components or defaults than the model's entry has now is stale (see `entry_changes`).
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ganzoo.artifacts.files import write_json
from ganzoo.errors import GanzooError

STATE_FILE = "bench.json"
FORMAT = 1
#: seed of ``ganzoo eval``'s noise: one fixed value, so seeds vary training only
EVAL_SEED = 0
#: the figures the leaderboard shows, from eval.json's "metrics"
FIGURES = ("frechet_distance", "kid", "precision", "recall")


def now() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Options:
    """The protocol of a bench: everything that changes what a job measures."""

    dataset: str | None = None
    steps: int | None = None
    epochs: int | None = None
    assignments: tuple[str, ...] = ()
    precision: str | None = None
    n: int = 10_000
    registry: tuple[str, ...] = ()

    def protocol(self) -> dict[str, Any]:
        """JSON-ready; equal protocols mean comparable jobs."""
        return {"dataset": self.dataset, "steps": self.steps, "epochs": self.epochs,
                "set": list(self.assignments), "precision": self.precision, "n": self.n,
                "eval_seed": EVAL_SEED, "registry": list(self.registry)}

    def _head(self) -> list[str]:
        return [arg for path in self.registry for arg in ("--registry", path)]

    def run_args(self, model: str, seed: int, run_dir: Path) -> list[str]:
        args = [*self._head(), "run", model, "--seed", str(seed), "--out", str(run_dir)]
        for flag, value in (("--dataset", self.dataset), ("--steps", self.steps),
                            ("--epochs", self.epochs), ("--precision", self.precision)):
            if value is not None:
                args += [flag, str(value)]
        for assignment in self.assignments:
            args += ["--set", assignment]
        return args

    def resume_args(self, run_dir: Path) -> list[str]:
        return [*self._head(), "resume", str(run_dir)]

    def eval_args(self, run_dir: Path) -> list[str]:
        return [*self._head(), "eval", str(run_dir), "--n", str(self.n),
                "--seed", str(EVAL_SEED), "--out", str(run_dir / "eval.json")]


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """'key OLD -> NEW' for every protocol value that changed."""
    return [f"{key} {old.get(key)!r} -> {new.get(key)!r}"
            for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key)]


#: the parts of a registry entry that decide what a run trains (its prose does not)
TRAINED_KEYS = ("components", "dataset", "defaults")


def trained_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    """What of a registry entry a run's figures depend on, JSON-normalised (tuples become
    lists, as in the ``config.json`` it is compared with)."""
    return json.loads(json.dumps({key: entry.get(key) for key in TRAINED_KEYS}))


def entry_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """'slot OLD -> NEW' for every component, default and data set that differs between
    the entry a run recorded and the entry of now; [] when the run is still current."""
    old, new = trained_entry(old), trained_entry(new)
    changes = []
    for key in TRAINED_KEYS:
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            changes += differences(a, b)
        elif a != b:
            changes.append(f"{key} {a!r} -> {b!r}")
    return changes


def job_id(model: str, seed: int, session: int | None = None) -> str:
    """The job's name, also its run folder's and log's: MODEL-sSEED, safe as a file name;
    a timing run (see `Job.session`) of the bench's Nth session is MODEL-sSEED-tN."""
    tail = "" if session is None else f"-t{session + 1}"
    return f"{re.sub(r'[^A-Za-z0-9._-]', '_', model)}-s{seed}{tail}"


#: `Job.timing_machine` of a run trained on more than one machine
SPANNED = "several machines"


def session_of(attempt: Mapping[str, Any], sessions: list[dict[str, Any]]) -> int | None:
    """The index of the bench session a child process ran in: recorded since the format
    had timing runs, else the last session that had started when the child did."""
    if isinstance(attempt.get("session"), int):
        return int(attempt["session"])
    started, found = attempt.get("started"), None
    if not isinstance(started, str):
        return None
    for index, session in enumerate(sessions):
        if isinstance(session.get("started"), str) and session["started"] <= started:
            found = index
    return found


def machine_key(sessions: list[dict[str, Any]], index: int) -> str:
    """What wall times compare within: the machine as booted (a bench restarted on it is
    the same), or the session itself where its record has no boot id (older ones)."""
    record = sessions[index] if 0 <= index < len(sessions) else {}
    boot = (record.get("machine") or {}).get("boot")
    return f"boot {boot}" if boot else f"session {index + 1}"


@dataclass
class Job:
    """One (model, seed): its state and every attempt at it."""

    model: str
    seed: int
    #: pending, running, interrupted, failed, diverged or done
    state: str = "pending"
    #: one entry per child process: action (run, resume, eval), exit code, wall seconds,
    #: the bench's --jobs at the time, when it started
    attempts: list[dict[str, Any]] = field(default_factory=list)
    #: each distinct summary.json a training process left (a resumed run has several)
    train: list[dict[str, Any]] = field(default_factory=list)
    #: the scored figures and protocol of eval.json, once scored
    eval: dict[str, Any] | None = None
    error: str | None = None
    #: run folders moved aside because the model's registry entry changed since they
    #: ran: where each went, what changed, when
    set_aside: list[dict[str, Any]] = field(default_factory=list)
    #: None for a job of the table; for a timing run, the index (in bench.json's
    #: "sessions") of the session that trained the reference model again, because its job
    #: of this seed ran on another machine and the jobs of the seed trained on this one
    #: need a wall time to be divided by. Only that is used.
    session: int | None = None

    @property
    def id(self) -> str:
        return job_id(self.model, self.seed, self.session)

    def current_attempts(self) -> list[dict[str, Any]]:
        """The attempts at its present run: from the last one that started it from its
        first step (its folder may have been removed before, e.g. not kept by a session
        that ended), or all of them when none did."""
        starts = [i for i, a in enumerate(self.attempts) if a.get("action") == "run"]
        return self.attempts[starts[-1] if starts else 0:]

    def timing_machine(self, sessions: list[dict[str, Any]]) -> str | None:
        """The machine (`machine_key`) that trained this job's run (`current_attempts`),
        `SPANNED` when the run was resumed on another, None when no training process is
        known (a folder trained outside the bench)."""
        indexes = {session_of(a, sessions) for a in self.current_attempts()
                   if a.get("action") in ("run", "resume")}
        if not indexes or None in indexes:
            return None
        found = {machine_key(sessions, index) for index in indexes}
        return found.pop() if len(found) == 1 else SPANNED

    @property
    def label(self) -> str:
        """How progress lines and notes name the job."""
        timing = "" if self.session is None else f" (timing run, session {self.session + 1})"
        return f"{self.model} seed {self.seed}{timing}"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Job:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)

    def note_summary(self, summary: dict[str, Any] | None) -> None:
        """Record a training process's summary.json once (a resume writes a new one)."""
        if summary and (not self.train or self.train[-1] != summary):
            self.train.append(summary)

    def results(self, sessions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """The leaderboard's figures of a scored job (wall times in seconds); with the
        bench's `sessions`, also the machine that trained it (`timing_machine`)."""
        train_s = sum(float(s.get("seconds") or 0) for s in self.train)
        images = sum(float(s.get("seconds") or 0) * float(s.get("images_per_sec") or 0)
                     for s in self.train)
        eval_s = float((self.eval or {}).get("seconds") or 0)
        out: dict[str, Any] = {k: (self.eval or {}).get("metrics", {}).get(k) for k in FIGURES}
        out.update(seed=self.seed, train_seconds=train_s, eval_seconds=eval_s,
                   wall_seconds=train_s + eval_s,
                   images_per_sec=images / train_s if train_s > 0 else None,
                   process_seconds=sum(float(a.get("seconds") or 0) for a in self.attempts))
        if sessions is not None:
            out["machine"] = self.timing_machine(sessions)
        return out


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from a file, or None when it is missing, half-written or not an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


@dataclass(frozen=True)
class RunStatus:
    """What a run folder says: new, partial (resume it), diverged, trained or scored."""

    kind: str
    summary: dict[str, Any] | None = None
    eval: dict[str, Any] | None = None


def diverged(summary: dict[str, Any]) -> bool:
    """Whether an unfinished run was stopped by the NaN/Inf guard. summary.json's
    ``stopped`` also holds "interrupted by SIGINT at step N" for a run that was merely
    interrupted (and must be resumed), so the guard's reasons are the other ones."""
    stopped = summary.get("stopped")
    return bool(stopped) and not str(stopped).startswith("interrupted")


def inspect_run(run_dir: Path, n: int) -> RunStatus:
    """The next step of a job, read from its run folder."""
    if not (run_dir / "config.json").is_file():
        return RunStatus("new")
    summary = read_json(run_dir / "summary.json")
    if summary is None or not summary.get("finished"):
        if summary is not None and diverged(summary):
            return RunStatus("diverged", summary)
        return RunStatus("partial", summary)
    scored = read_json(run_dir / "eval.json")
    protocol = (scored or {}).get("protocol") or {}
    if (scored and isinstance(scored.get("metrics"), dict)
            and protocol.get("requested_samples", protocol.get("samples")) == n
            and protocol.get("seed") == EVAL_SEED and scored.get("step") == summary.get("steps")):
        return RunStatus("scored", summary, scored)
    return RunStatus("trained", summary)


def eval_record(scored: dict[str, Any]) -> dict[str, Any]:
    """What bench.json keeps of an eval.json: every scalar figure, the protocol, the time."""
    metrics = {k: v for k, v in scored.get("metrics", {}).items()
               if isinstance(v, int | float) and not isinstance(v, bool)}
    return {"metrics": metrics, "protocol": scored.get("protocol", {}),
            "seconds": scored.get("seconds"), "step": scored.get("step")}


class BenchState:
    """``bench.json``: the options and every job; saved atomically after each change."""

    def __init__(self, bench_dir: Path, options: dict[str, Any],
                 jobs: dict[str, Job] | None = None,
                 sessions: list[dict[str, Any]] | None = None) -> None:
        self.bench_dir = bench_dir
        self.options = options
        self.jobs: dict[str, Job] = jobs or {}
        self.sessions: list[dict[str, Any]] = sessions or []
        self.lock = threading.RLock()

    @property
    def path(self) -> Path:
        return self.bench_dir / STATE_FILE

    @classmethod
    def open(cls, bench_dir: Path, options: Options) -> BenchState:
        """The bench in `bench_dir`, or a new one; refuses one made under other options."""
        wanted = options.protocol()
        path = bench_dir / STATE_FILE
        if not path.exists():
            return cls(bench_dir, wanted)
        data = read_json(path)
        if data is None or data.get("format") != FORMAT or not isinstance(data.get("jobs"), dict):
            raise GanzooError(f"{path}: not a bench state file ganzoo {FORMAT} can read; "
                              "choose another --out folder")
        changed = differences(data.get("options") or {}, wanted)
        if changed:
            raise GanzooError(f"{bench_dir} was benched with other options ({'; '.join(changed)})"
                              "; rerun with the same options or choose another --out folder")
        jobs = {key: Job.from_json(value) for key, value in data["jobs"].items()}
        return cls(bench_dir, wanted, jobs, list(data.get("sessions") or []))

    def job(self, model: str, seed: int, session: int | None = None) -> Job:
        """The job of (model, seed), or the timing run of session `session` (`Job.session`)."""
        with self.lock:
            key = job_id(model, seed, session)
            if key not in self.jobs:
                self.jobs[key] = Job(model, seed, session=session)
            return self.jobs[key]

    def save(self) -> None:
        with self.lock:
            write_json(self.path, {
                "format": FORMAT, "options": self.options, "sessions": self.sessions,
                "jobs": {key: asdict(job) for key, job in self.jobs.items()},
            })
