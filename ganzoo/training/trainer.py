"""Start a run, or resume one: run folder, lock, build, then `loop`.

`train()` takes a checked `Plan` (`ganzoo.training.plan`): it checks the run folder,
builds the GAN, and only then creates and locks the folder; a run that fails before
its first step completes (a plugin's loss that fails when the step is traced) leaves
nothing behind, so the same ``--out`` works on retry. `resume()` reopens a run folder.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ganzoo.artifacts.files import write_json
from ganzoo.errors import GanzooError
from ganzoo.training.loop import RunResult, announce, build, run_steps
from ganzoo.training.plan import Plan, plan_from_run
from ganzoo.zoo.components import Catalog


def _echo(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


_ONE_PROCESS = ("default", "mirrored")


def train(p: Plan, *, out: str | Path | None = None, overwrite: bool = False,
          verbose: int | str = "auto", echo: Callable[[str], None] = _echo) -> RunResult:
    """Run `fit()` for a checked plan and write the run folder (on the chief only).

    The folder is checked first, the GAN built next, and only then is the folder
    created and locked: a run that fails before its first step completes leaves nothing
    behind (and, with ``overwrite``, the earlier run is removed only once the new one can
    start).
    """
    from ganzoo.artifacts import runs
    from ganzoo.engine import distribute
    from ganzoo.version import __version__

    run_dir = None
    if p.config["strategy"] in _ONE_PROCESS:  # fail on a bad --out before TensorFlow starts
        run_dir = runs.check_run_dir(p.model, out, overwrite)
    # First TensorFlow work of the run: multi-worker must set up collectives before any other.
    strategy = distribute.make_strategy(p.config["strategy"])
    distribute.check_batch(int(p.config["batch_size"]), strategy)
    if not distribute.is_chief(strategy):
        b = build(p, strategy)
        announce(p, b, __version__, echo)
        with distribute.worker_dir(strategy) as tmp:
            result = run_steps(p, b, tmp, 0, verbose, echo, __version__)
        result.chief = False
        return result
    if run_dir is None:
        run_dir = runs.check_run_dir(p.model, out, overwrite)
    b = build(p, strategy)
    created = runs.create_run_dir(run_dir)
    holding = False
    try:
        with runs.locked(run_dir):
            holding = True
            if overwrite:
                runs.clear_run_dir(run_dir, p.catalog)
            announce(p, b, __version__, echo)
            write_json(run_dir / "config.json", {
                "ganzoo_version": __version__, "model": p.model, "plugin": p.plugin,
                "entry": p.entry, "config": p.config, "dataset": p.dataset,
                "data": b.data_info, "precision": b.policy,
                "steps_per_epoch": p.steps_per_epoch, "total_steps": p.total_steps,
                "keras_version": b.keras_version, "tensorflow_version": b.tf_version,
                "command": sys.argv})
            return _steps(p, b, run_dir, 0, verbose, echo)
    except BaseException:
        if holding and not _stepped(b.gan):
            # Nothing worth keeping or resuming: remove what this run made, so that the
            # same --out can be used again once the fault is fixed.
            if created:
                runs.remove_created(created)
            else:
                runs.clear_run_dir(run_dir)
        raise


def _stepped(gan: Any) -> bool:
    """Whether a train step completed. (Not the optimizers' counters: a step whose graph
    fails may still have applied one of its updates.)"""
    return bool(getattr(gan, "first_step_done", True))


def resume(run_dir: str | Path, *, catalog: Catalog, verbose: int | str = "auto",
           echo: Callable[[str], None] = _echo) -> RunResult:
    """Continue an interrupted run from its newest checkpoint to its planned end.

    The result is the one the uninterrupted run would have had: weights, optimizer
    states, random generator states and the data position all come back (see
    docs/RELIABILITY.md for the exact guarantee).
    """
    from ganzoo.artifacts import runs
    from ganzoo.engine import distribute
    from ganzoo.version import __version__

    run_dir = Path(run_dir)
    run = runs.read_config(run_dir)
    _check_resumable(run_dir)
    p = plan_from_run(run, run_dir, catalog)
    if p.config["strategy"] not in _ONE_PROCESS:
        raise GanzooError(f"{run_dir}: resuming a {p.config['strategy']} run is not supported; "
                          "`ganzoo resume` continues runs of one process (default, mirrored)")
    policy = str(run.get("precision") or "")
    if policy not in ("float32", "mixed_bfloat16"):
        raise GanzooError(f"{run_dir}/config.json: unknown precision {policy!r}")
    with runs.locked(run_dir):
        runs.remove_temporaries(run_dir)
        found = runs.latest_checkpoint(run_dir)
        if found is not None and found[1].get("format", 0) < 1:
            raise GanzooError(f"{found[0]}: written by an older ganzoo without the step, RNG "
                              "and data position; it can be sampled but not resumed")
        b = build(p, distribute.make_strategy(p.config["strategy"]), policy)
        start = 0
        if found is not None:
            path, state = found
            _restore(b.gan, path, state, p)
            start = int(state["step"])
        from ganzoo.training.callbacks import truncate_metrics

        truncate_metrics(run_dir / "metrics.csv", start)
        announce(p, b, __version__, echo)
        echo(f"  resuming {run_dir} at step {start}"
             + (f" from {found[0].name}" if found else " (no checkpoint yet: from the start)"))
        return _steps(p, b, run_dir, start, verbose, echo)


def _check_resumable(run_dir: Path) -> None:
    """Refuse a run that finished, and one stopped on NaN/Inf: training is deterministic,
    so resuming it would repeat the same numbers from its last good checkpoint."""
    from ganzoo.artifacts.files import read_json

    summary = run_dir / "summary.json"
    if not summary.is_file():
        return
    try:
        done = read_json(summary, "run summary")
    except GanzooError:
        return  # a damaged summary says nothing; the checkpoints decide
    if not isinstance(done, dict):
        return
    if done.get("finished"):
        raise GanzooError(f"{run_dir}: the run finished ({done.get('steps')} steps); "
                          "nothing to resume (sample or export it, or start a new run)")
    stopped = done.get("stopped")
    nonfinite = done.get("stopped_on") == "nonfinite" or (  # summaries of older versions
        "stopped_on" not in done and isinstance(stopped, str) and stopped
        and not stopped.startswith("interrupted"))
    if nonfinite:
        last = done.get("last_checkpoint")
        raise GanzooError(
            f"{run_dir}: the run stopped on non-finite values ({stopped}); resuming would "
            f"repeat the same numbers from the last good checkpoint"
            f"{f' ({last})' if last else ''}; start a new run with lower learning rates "
            "(--set lr_g=... --set lr_d=...) or another loss")


def _steps(p: Plan, b: Any, run_dir: Path, start: int, verbose: int | str,
           echo: Callable[[str], None]) -> RunResult:
    """`run_steps`, with a full disk (or another refused write) during training told as
    one line that names the checkpoint kept and how to continue once there is room."""
    from ganzoo.artifacts import runs
    from ganzoo.artifacts.files import WriteError, reported_write_error
    from ganzoo.version import __version__

    try:
        try:
            return run_steps(p, b, run_dir, start, verbose, echo, __version__)
        except Exception as exc:  # TensorBoard's writer reports a full disk in TF's errors
            failure = (reported_write_error(exc, run_dir / "tensorboard")
                       if type(exc).__module__.startswith("tensorflow") else None)
            if failure is None:
                raise
        raise failure
    except WriteError as exc:
        found = runs.latest_checkpoint(run_dir)
        kept = (f"the last good checkpoint ({found[0].name}, step {found[1]['step']}) is kept"
                if found else "no checkpoint was written yet")
        raise WriteError(f"{exc.what}; training stopped, {kept}; once there is room, "
                         f"continue with: ganzoo resume {run_dir}", exc.errno) from None


def _restore(gan: Any, path: Path, state: Mapping[str, Any], p: Plan) -> None:
    from ganzoo.artifacts.export import CHECKPOINT_DTYPES, load_weights_strictly
    from ganzoo.errors import WeightsError
    from ganzoo.training.checkpointer import set_rng_state

    position = state.get("data_position") or {}
    if (position.get("steps_per_epoch") != p.steps_per_epoch
            or position.get("seed") != p.config["seed"]):
        raise WeightsError(f"{path}: its data position ({position}) does not fit the run's "
                           f"config ({p.steps_per_epoch} steps per epoch, seed "
                           f"{p.config['seed']})")
    load_weights_strictly(gan, path, "checkpoint weights", CHECKPOINT_DTYPES)
    try:
        set_rng_state(gan, state.get("rng") or [])
    except (ValueError, TypeError) as exc:
        raise WeightsError(f"{path}: random generator state does not fit ({exc})") from None
