"""Running a bench: each (model, seed) job trained, resumed or scored as its folder needs.

Jobs run in order seed by seed (every model's first seed before any second seed, so
an early look at the table covers every model), on `parallel` worker threads, each
driving child processes through a `Launcher`. ``bench.json`` is saved after every
step of every job, so killing the bench at any moment loses at most the child that
was running, and that child's run folder is resumed next time.

Wall times compare only on one machine (as booted: a bench restarted on it is the same).
When a seed's reference job ran on another machine and other jobs of that seed train on
this one, the reference is trained again first, as a timing run, so that their time
ratios have a pair.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
import traceback
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganzoo.artifacts.runs import locked
from ganzoo.bench.budget import expected_seconds, left_fraction
from ganzoo.bench.launch import (
    INTERRUPTED,
    THREAD_VARS,
    Launcher,
    SubprocessLauncher,
    last_error,
    thread_env,
)
from ganzoo.bench.machine import machine
from ganzoo.bench.progress import Echo, Progress, clock
from ganzoo.bench.state import (
    BenchState,
    Job,
    Options,
    RunStatus,
    entry_changes,
    eval_record,
    inspect_run,
    machine_key,
    now,
    read_json,
)
from ganzoo.errors import GanzooError


def _print(line: str) -> None:
    print(line, flush=True)


def summary_text(job: Job) -> str:
    r = job.results()
    parts = [f"FD {r['frechet_distance']:.4g}" if r["frechet_distance"] is not None else "",
             f"KID {r['kid']:.3g}" if r["kid"] is not None else "",
             f"{r['images_per_sec']:.0f} images/s" if r["images_per_sec"] else "",
             f"wall {r['wall_seconds']:.0f} s"]
    return ", ".join(p for p in parts if p)


@dataclass
class BenchResult:
    """What a bench command did; `exit_code` 0 all scored, 1 some failed, 75 (EX_TEMPFAIL)
    some held back by the time limit (none failed), 128+N interrupted by signal N."""

    bench_dir: Path
    counts: dict[str, int] = field(default_factory=dict)
    outputs: list[Path] = field(default_factory=list)
    exit_code: int = 0


class _Session:
    """One invocation: the state, the launcher, the stop flag, the time limit, and the job
    steps."""

    def __init__(self, state: BenchState, options: Options, launcher: Launcher,
                 parallel: int, progress: Progress,
                 entries: Mapping[str, Mapping[str, Any]] | None = None,
                 index: int = 0, time_limit: float | None = None) -> None:
        self.state, self.options, self.launcher = state, options, launcher
        self.parallel, self.progress = parallel, progress
        self.entries = entries or {}
        self.index = index  # this session's place in bench.json's "sessions"
        self.here = machine_key(state.sessions, index)  # this machine, as jobs record it
        self.stop_signal: int | None = None
        #: time.monotonic() past which no job starts (None: no limit)
        self.deadline = None if time_limit is None else time.monotonic() + time_limit
        self.held: list[Job] = []  # jobs the time limit kept from starting

    def _paths(self, job: Job) -> tuple[Path, Path]:
        bench = self.state.bench_dir
        return bench / "runs" / job.id, bench / "logs" / f"{job.id}.log"

    def _set(self, job: Job, state: str, error: str | None = None) -> None:
        with self.state.lock:
            job.state, job.error = state, error
            self.state.save()

    def _launch(self, job: Job, action: str, args: list[str], log: Path) -> int:
        start, started = time.monotonic(), now()
        code = self.launcher(args, log)
        with self.state.lock:
            job.attempts.append({"action": action, "exit_code": code,
                                 "seconds": round(time.monotonic() - start, 2),
                                 "jobs": self.parallel, "started": started,
                                 "session": self.index})
            self.state.save()
        return code

    def _stopped(self, code: int) -> bool:
        return self.stop_signal is not None or code in INTERRUPTED

    def _give_up(self, job: Job, code: int, action: str, log: Path, interrupted: str) -> None:
        """A child that did not get its job to the next state: stopped, or failed."""
        if self._stopped(code):
            self._set(job, "interrupted")
            self.progress.done(job, interrupted)
        else:
            self._set(job, "failed", f"ganzoo {action} exited with {code}: {last_error(log)}")
            self.progress.done(job, f"FAILED: {job.error}")

    def _stale(self, job: Job, run_dir: Path) -> list[str]:
        """What changed in the model's entry since `run_dir` ran; [] when nothing did or
        there is nothing to compare (no run, or one from before config.json kept its
        entry)."""
        want = self.entries.get(job.model)
        had = (read_json(run_dir / "config.json") or {}).get("entry")
        if want is None or not isinstance(had, dict):
            return []
        return entry_changes(had, want)

    def next_step(self, job: Job) -> str:
        """What `run_job` will do first with `job`: `inspect_run`'s kind, "new" for a stale
        run (moved aside, then trained from its first step)."""
        run_dir, _ = self._paths(job)
        return "new" if self._stale(job, run_dir) else inspect_run(run_dir, self.options.n).kind

    def timing_runs(self, models: Sequence[str], seeds: Sequence[int],
                    reference: str | None) -> dict[int, Job]:
        """Per seed, the timing run this session needs: the reference trained again here
        when no run of it of that seed was trained on this machine (nor will be) and
        another model's run of that seed is trained here (from its first step in this
        session, or in an earlier one on this machine). An unfinished timing run of this
        machine (the bench was stopped and restarted on it) is resumed, not begun again."""
        if reference is None or reference not in models:
            return {}
        sessions, here = self.state.sessions, self.here
        out = {}
        for seed in seeds:
            if self.next_step(self.state.job(reference, seed)) in ("new", "partial"):
                continue  # the reference trains in this session, beside the others
            runs = [job for job in self.state.jobs.values()
                    if job.model == reference and job.seed == seed]
            if any(job.state == "done" and job.timing_machine(sessions) == here
                   for job in runs):
                continue  # a run of it on this machine already pairs with them
            # a run resumed here that started on another machine pairs with nothing
            others = [self.state.job(m, seed) for m in models if m != reference]
            if any(self.next_step(job) == "new" or job.timing_machine(sessions) == here
                   for job in others):
                unfinished = [job for job in runs if job.session is not None
                              and job.timing_machine(sessions) == here]
                out[seed] = (unfinished[0] if unfinished
                             else self.state.job(reference, seed, self.index))
        return out

    def _set_aside_if_stale(self, job: Job, run_dir: Path) -> None:
        """A run of other defaults than the model's entry has now would mix two settings
        in one row: its folder is moved aside (kept, not deleted) and the job redone."""
        changed = self._stale(job, run_dir)
        if not changed:
            return
        number = 1
        while (target := run_dir.with_name(f"{run_dir.name}.stale-{number}")).exists():
            number += 1
        try:
            run_dir.rename(target)
        except OSError as exc:
            raise GanzooError(f"{run_dir} ran with other defaults than {job.model}'s entry "
                              f"has now ({'; '.join(changed)}) and cannot be moved aside: "
                              f"{exc.strerror}; move or delete it yourself") from None
        with self.state.lock:
            job.set_aside.append({"folder": str(target), "changed": changed, "when": now()})
            self.state.save()
        self.progress.note(job, f"{job.model}'s entry changed since this run "
                                f"({'; '.join(changed)}): its folder moved to {target}")

    def _fits(self, job: Job, status: RunStatus, run_dir: Path) -> bool:
        """Whether `job` may start under the time limit: when the rest of it is expected
        to end before the limit (`expected_seconds`; with nothing to go by, while any time
        is left). One held back is left to the next bench."""
        if self.deadline is None:
            return True
        left = self.deadline - time.monotonic()
        with self.state.lock:
            expected = expected_seconds(self.state.jobs.values(), job.model,
                                        self.state.sessions, self.here)
        need = None if expected is None else (
            expected * left_fraction(status, read_json(run_dir / "config.json")))
        if left > 0 and (need is None or need <= left):
            return True
        with self.state.lock:  # its state stays as it was (pending, interrupted, failed)
            self.held.append(job)
        why = ("the time limit is reached" if left <= 0 or need is None
               else f"expected to take {clock(need)}, {clock(left)} of the time limit left")
        self.progress.done(job, f"not started: {why}; the next bench runs it")
        return False

    def run_job(self, job: Job) -> None:
        """Take `job` from wherever its run folder is to scored (or to why it cannot be)."""
        if self.stop_signal is not None:
            return
        run_dir, log = self._paths(job)
        self._set_aside_if_stale(job, run_dir)
        status = inspect_run(run_dir, self.options.n)
        with self.state.lock:
            if status.kind == "new":  # a removed run folder is redone: its old figures go
                job.train, job.eval = [], None
            job.note_summary(status.summary)
        if status.kind == "scored":
            with self.state.lock:
                job.eval = eval_record(status.eval or {})
            self._set(job, "done")
            self.progress.done(job, f"scored before, skipped ({summary_text(job)})")
            return
        if status.kind == "diverged":
            self._set(job, "diverged", str((status.summary or {}).get("stopped")))
            self.progress.done(job, f"diverged before ({job.error}); not retried")
            return
        if not self._fits(job, status, run_dir):
            return
        what = {"new": "training", "partial": "resuming", "trained": "scoring"}[status.kind]
        self.progress.started(job, f"{what} (log: {log})")
        self._set(job, "running")
        if status.kind in ("new", "partial"):
            action = "run" if status.kind == "new" else "resume"
            args = (self.options.run_args(job.model, job.seed, run_dir) if action == "run"
                    else self.options.resume_args(run_dir))
            code = self._launch(job, action, args, log)
            status = inspect_run(run_dir, self.options.n)
            with self.state.lock:
                job.note_summary(status.summary)
            if status.kind == "diverged":
                self._set(job, "diverged", str((status.summary or {}).get("stopped")))
                self.progress.done(job, f"diverged: {job.error}")
                return
            if status.kind not in ("trained", "scored"):
                self._give_up(job, code, action, log, "interrupted; the next bench resumes it")
                return
        if status.kind != "scored":
            if self.stop_signal is not None:
                self._set(job, "interrupted")
                self.progress.done(job, "trained, not scored; the next bench scores it")
                return
            code = self._launch(job, "eval", self.options.eval_args(run_dir), log)
            status = inspect_run(run_dir, self.options.n)
            if status.kind != "scored":
                self._give_up(job, code, "eval", log,
                              "trained, not scored; the next bench scores it")
                return
        with self.state.lock:
            job.eval = eval_record(status.eval or {})
        self._set(job, "done")
        self.progress.done(job, f"done: {summary_text(job)}")

    def safe_run_job(self, job: Job) -> None:
        """A job that cannot go on is recorded and shown, and the others go on: a
        GanzooError with its one line, a bug in the bookkeeping with its traceback logged."""
        try:
            self.run_job(job)
        except GanzooError as exc:  # a state the user can fix, said in its own words
            self._set(job, "failed", str(exc))
            self.progress.done(job, f"FAILED: {job.error}")
        except Exception as exc:
            _, log = self._paths(job)
            log.parent.mkdir(parents=True, exist_ok=True)
            with log.open("a", encoding="utf-8") as f:
                f.write(traceback.format_exc())
            self._set(job, "failed", f"internal error: {type(exc).__name__}: {exc}")
            self.progress.done(job, f"FAILED: {job.error} (traceback in {log})")


@contextlib.contextmanager
def _forward_signals(session: _Session, echo: Echo) -> Iterator[None]:
    """SIGINT/SIGTERM stop the bench after the running children checkpoint (main thread
    only; elsewhere the default handlers stay)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, frame: Any) -> None:
        first = session.stop_signal is None
        session.stop_signal = signum
        interrupt = getattr(session.launcher, "interrupt", None)
        if interrupt is not None:
            interrupt(signum)
        if first:
            echo(f"{signal.Signals(signum).name}: stopping after the running jobs "
                 "checkpoint (again to stop them at once)")

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_bench(bench_dir: str | Path, models: Sequence[str], seeds: Sequence[int],
              options: Options, *, parallel: int = 1, reference: str | None = None,
              launcher: Launcher | None = None, echo: Echo = _print,
              command: str = "",
              entries: Mapping[str, Mapping[str, Any]] | None = None,
              time_limit: float | None = None) -> BenchResult:
    """Run every (model, seed) job that is not scored yet, then write the leaderboard.

    `launcher` runs one ``ganzoo`` command (default: a child process); `command` is the
    bench's own command line, recorded in the protocol. `entries` (from `check_models`)
    are the models' registry entries as their runs will record them: a run folder that
    recorded another is moved aside and its job redone. With `time_limit` (seconds), a job
    starts only when it is expected to end within that time of the bench's start
    (`ganzoo.bench.budget`); the others wait for the next bench.
    """
    from ganzoo.bench import table

    reference = table.default_reference(models, reference)
    bench_dir = Path(bench_dir).resolve()  # children and logs get paths valid from anywhere
    try:
        bench_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GanzooError(f"cannot create bench folder {bench_dir}: {exc.strerror}") from None
    with locked(bench_dir):
        state = BenchState.open(bench_dir, options)
        threads = thread_env(parallel)
        session_record = {"started": now(), "jobs": parallel, "models": list(models),
                          "seeds": list(seeds), "command": command, "machine": machine(),
                          **({"time_limit": time_limit} if time_limit is not None else {}),
                          "threads": {var: threads.get(var, os.environ.get(var))
                                      for var in THREAD_VARS}}
        state.sessions.append(session_record)
        session = _Session(state, options, launcher or SubprocessLauncher(extra_env=threads),
                           parallel, Progress([], parallel, echo), entries,
                           index=len(state.sessions) - 1, time_limit=time_limit)
        timing = session.timing_runs(models, seeds, reference)
        jobs = [job for seed in seeds
                for job in ([timing[seed]] if seed in timing else [])
                + [state.job(model, seed) for model in models]]
        state.save()
        session.progress = Progress(jobs, parallel, echo, session.deadline, {
            m: t for m in models if (t := expected_seconds(
                state.jobs.values(), m, state.sessions, session.here)) is not None})
        echo(f"bench: {len(models)} models x {len(seeds)} seeds = {len(models) * len(seeds)} "
             f"jobs in {bench_dir} ({parallel} at a time)")
        if timing:
            echo(f"bench: {reference} trained again first for seed(s) "
                 f"{', '.join(map(str, timing))}: its job of that seed ran on another machine, "
                 "and wall times compare only on one")
        with _forward_signals(session, echo), ThreadPoolExecutor(parallel) as pool:
            pending = {pool.submit(session.safe_run_job, job) for job in jobs}
            while pending:  # a timeout, so that signal handlers run promptly
                _, pending = wait(pending, timeout=0.5)
        counts: dict[str, int] = {}
        for job in jobs:
            counts[job.state] = counts.get(job.state, 0) + 1
        session_record.update(finished=now(), counts=counts)
        if session.held:
            session_record["held"] = [job.id for job in session.held]
        state.save()
        outputs = table.write_outputs(state, models, seeds, reference)
    held = {job.id for job in session.held}  # a job failed before and held now: not failed now
    failed = [job for job in jobs if job.state in ("failed", "diverged") and job.id not in held]
    if session.stop_signal is not None:
        code = 128 + int(session.stop_signal)
    elif counts.get("done", 0) == len(jobs):
        code = 0
    else:
        code = 75 if session.held and not failed else 1
    echo("bench: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    if session.held:
        echo(f"bench: {len(session.held)} job(s) not started within the time limit "
             f"({clock(time_limit or 0)}); run the same command again to go on")
    for path in outputs:
        echo(f"  wrote {path}")
    return BenchResult(bench_dir, counts, outputs, code)


def check_models(models: list[str], catalog: Any, dataset: str | None,
                 overrides: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Plan every model as its child will (no TensorFlow): each mistake shows now, not in
    a child process hours later. Returns each model's entry as its runs record it in
    ``config.json`` (adapted to point data where the data are points)."""
    from ganzoo.training.plan import plan

    return {model: plan(model, catalog=catalog, dataset=dataset, overrides=overrides).entry
            for model in models}
