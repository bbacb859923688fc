"""``ganzoo run`` and ``ganzoo resume``, and the summary printed when a run ends.

Both are one call of `ganzoo.api` (`api.train`, `api.resume`); the summary lists the
run's files by the one list of run outputs (`api.run_files`), so it names plugin
visualizers' files too. Every command it prints is shell-quoted, so that a run folder
whose path holds spaces can be pasted as shown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ganzoo.cli.common import catalog as _catalog
from ganzoo.cli.common import command


@click.command()
@click.argument("name")
@click.option("--dataset", metavar="D",
              help="Registered data set name (fashion-mnist, mnist, cifar10, ...) or a path: "
                   "folder of images, .npy/.npz, or IDX files. Default: the model's entry.")
@click.option("--epochs", type=click.IntRange(min=1), help="Passes over the data set.")
@click.option("--steps", type=click.IntRange(min=1), help="Generator steps (instead of epochs).")
@click.option("--batch-size", type=click.IntRange(min=1), help="Images per discriminator step.")
@click.option("--seed", type=click.IntRange(min=0, max=2**32 - 1),
              help="Seed for weights, noise and data order.")
@click.option("--out", type=click.Path(file_okay=False), metavar="DIR",
              help="Run folder (default runs/NAME-TIMESTAMP).")
@click.option("--set", "assignments", multiple=True, metavar="KEY=VALUE",
              help="Override a hyperparameter or component (repeatable); "
                   "`ganzoo info NAME` lists the keys.")
@click.option("--overwrite", is_flag=True,
              help="Reuse an --out folder that holds a run: its outputs (config, metrics, "
                   "checkpoints, export, every visualizer's pictures) are removed first.")
@click.option("--strategy", type=click.Choice(["default", "mirrored", "multi-worker", "tpu"]),
              help="tf.distribute strategy: mirrored = all GPUs of this machine, multi-worker "
                   "= the machines in TF_CONFIG (docs/DISTRIBUTED.md). --batch-size is global.")
@click.option("--precision", type=click.Choice(["auto", "float32", "bfloat16"]),
              help="Numeric precision: auto (the default) trains in mixed bfloat16 where the "
                   "CPU or GPU runs it natively (AVX512-BF16, AMX, compute capability 8+), "
                   "float32 elsewhere.")
@click.pass_context
def run(ctx: click.Context, name: str, dataset: str | None, epochs: int | None,
        steps: int | None, batch_size: int | None, seed: int | None, out: str | None,
        assignments: tuple[str, ...], overwrite: bool, strategy: str | None,
        precision: str | None) -> None:
    """Train model NAME and write a run folder (samples, plots, metrics, weights)."""
    from ganzoo import api

    cat = _catalog(ctx)
    result = api.train(name, dataset=dataset, epochs=epochs, steps=steps,
                       batch_size=batch_size, seed=seed, out=out, overwrite=overwrite,
                       overrides=assignments, strategy=strategy, precision=precision, cat=cat)
    finish(ctx, result, cat)


@click.command()
@click.argument("run_dir", type=click.Path())
@click.pass_context
def resume(ctx: click.Context, run_dir: str) -> None:
    """Continue an interrupted run in RUN_DIR from its newest checkpoint to its planned end.

    The result equals the uninterrupted run's (docs/RELIABILITY.md).
    """
    from ganzoo import api

    cat = _catalog(ctx)
    finish(ctx, api.resume(run_dir, cat=cat), cat)


def finish(ctx: click.Context, result: Any, cat: Any) -> None:
    """Report a run; exit 1 when stopped on NaN/Inf, 128 + signal when interrupted."""
    if result.exit_code > 128:  # interrupted: a checkpoint was saved; say how to go on
        if result.chief:
            click.echo(f"continue with: {command('ganzoo', 'resume', result.run_dir)}",
                       err=True)
        ctx.exit(result.exit_code)
    for line in summary_lines(result, cat):
        click.echo(line)
    if result.exit_code:
        ctx.exit(result.exit_code)


def _count(n: int) -> str:
    return f"{n} file" if n == 1 else f"{n} files"


def _shown(run_dir: Path, pattern: str, paths: list[Path]) -> list[str]:
    """A glob as itself with its count (per-epoch files would fill the screen), else paths."""
    if any(c in pattern for c in "*?["):
        return [f"{run_dir / pattern} ({_count(len(paths))})"]
    return [str(p) for p in paths]


def summary_lines(result: Any, cat: Any) -> list[str]:
    """The end-of-run summary: time and speed, then the run's files by the one list of run
    outputs (ganzoo's own, then each visualizer's), then what to do next."""
    from ganzoo import api

    minutes, seconds = divmod(result.seconds, 60)
    lines = [f"\ndone: {result.steps} steps, {result.epochs} epochs in {int(minutes)}m"
             f"{seconds:04.1f}s, {result.images_per_sec:.0f} images/s ({result.precision})"]
    if not result.chief:
        return [*lines, "  this worker is not the chief: the chief wrote the run folder"]
    run_dir = Path(result.run_dir)
    rows: dict[tuple[str, str], list[str]] = {("", "run folder"): [str(run_dir)]}
    for output, paths in api.run_files(run_dir, cat):
        if output.label == "tensorboard" and not output.visualizer:
            shown = [command("tensorboard", "--logdir", paths[0])]
        else:
            shown = _shown(run_dir, output.pattern, paths)
        rows.setdefault((output.visualizer, output.label), []).extend(shown)
    core = {label for visualizer, label in rows if not visualizer}
    for (visualizer, label), shown in rows.items():
        if visualizer and label in core:  # the `metrics` view beside metrics.csv
            label = f"{label} view"
        lines.append(f"  {label + ':':<13} {', '.join(shown)}")
    steps = []
    if result.export_path:
        steps.append(command("ganzoo", "sample", run_dir, "--n", "64", "--out", "samples.png"))
    steps.append(f"{command('ganzoo', 'report', run_dir)}   (the run as one HTML page)")
    lines += [f"{'next:' if i == 0 else '':<5} {step}" for i, step in enumerate(steps)]
    return lines


COMMANDS: tuple[click.Command, ...] = (run, resume)
