"""``ganzoo bench``: the click command over `ganzoo.bench.run_bench`.

A command object on its own (the CLI group adds it with ``cli.add_command(bench)``);
it turns `GanzooError` into one ``error:`` line and exit code 2 itself, so it behaves
the same inside the group and when invoked alone.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import click

from ganzoo.errors import GanzooError

_INT = re.compile(r"\d+")


class _UserError(click.ClickException):
    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.message}", err=True)


class _Duration(click.ParamType):
    """``2h``, ``90m``, ``1h30m``: seconds, parsed without importing the bench."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> float:
        if isinstance(value, float):
            return value
        from ganzoo.bench.budget import parse_duration

        try:
            return parse_duration(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class _BenchCommand(click.Command):
    """Reads ``--seeds 0 1 2`` (click options take one value each) as ``--seeds 0 --seeds
    1 --seeds 2``; ``--seeds 0,1,2`` works too."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(args):
            arg = args[i]
            if arg == "--":
                out += args[i:]
                break
            if arg == "--seeds" or arg.startswith("--seeds="):
                values = [arg.partition("=")[2]] if "=" in arg else []
                i += 1
                while "=" not in arg and i < len(args) and _INT.fullmatch(
                        args[i].replace(",", "")):
                    values.append(args[i])
                    i += 1
                seeds = [s for v in values for s in v.split(",") if s]
                if not seeds or not all(_INT.fullmatch(s) for s in seeds):
                    raise _UserError("--seeds needs one or more seeds (whole numbers), e.g. "
                                     "--seeds 0 1 2")
                for seed in seeds:
                    out += ["--seeds", seed]
                continue
            out.append(arg)
            i += 1
        return super().parse_args(ctx, out)


HELP = """Train MODEL... for each seed, score every run, and write the leaderboard.

\b
Each (model, seed) job is a default
  ganzoo run MODEL --seed S --out BENCH_DIR/runs/MODEL-sS [--dataset --steps|--epochs
      --set KEY=VALUE --precision]
  ganzoo eval BENCH_DIR/runs/MODEL-sS --n N --seed 0
run as child processes, each logging to BENCH_DIR/logs/MODEL-sS.log. One line per job
start and finish shows the elapsed time and an estimate of the time left.

\b
Outputs, in BENCH_DIR:
  leaderboard.md, leaderboard.html   one row per model: mean ± sd over the seeds of the
      Fréchet distance, KID, precision and recall (from each run's eval.json), wall time
      (training seconds from summary.json plus scoring seconds) and training images/s;
      with a reference model, each model's mean Fréchet distance divided by the
      reference's over the same seeds, and its wall time divided by the reference's of
      the same seed trained on the same machine (averaged over seeds; so machines of
      different speed in different sessions cancel out). When a seed's reference ran on
      another machine (another boot) and another model of that seed trains on this one,
      the reference is trained again first (runs/MODEL-sS-tN, a timing run: only its wall
      time is used; one stopped on this machine is resumed).
      Under the table, the protocol: data set, budget, seeds, samples scored, feature
      extractor, machine, versions, parallel jobs, timing runs, dates. The HTML page is
      self-contained (nothing is fetched).
  samples.png   each model's final sample grid of the first seed, captioned.
  bench.json    the options and every job's state, attempts and figures.

\b
Resumable: run the same command again after an interruption (Ctrl-C waits for the
running jobs to checkpoint; a second Ctrl-C stops them at once) or after --time-limit
held jobs back. Scored jobs are skipped, interrupted runs continue with `ganzoo resume`,
finished runs without a score are scored, failed jobs are tried again; runs that
diverged (NaN) are not, since they would diverge again. Other
--dataset/--steps/--epochs/--set/--precision/--n values for the same BENCH_DIR are
refused: use a new --out. A run whose model's registry defaults or components changed
since it ran is moved aside (runs/MODEL-sS.stale-N) and trained again. More models or
seeds may be added to a BENCH_DIR; the table shows the ones named. With --table-only the
outputs are written again from what is scored, and nothing runs.

\b
Example (docs/ZOO.md):
  ganzoo bench dcgan sngan sagan sngan-resnet wgan-gp-resnet gan lsgan wgan wgan-gp \\
      dragan cgan acgan infogan began --seeds 0 1 2 --precision float32 --jobs 2 \\
      --out bench/fmnist3-float32
"""


@click.command("bench", cls=_BenchCommand, help=HELP, no_args_is_help=True,
               context_settings={"help_option_names": ["-h", "--help"],
                                 "max_content_width": 100})
@click.argument("models", nargs=-1, required=True, metavar="MODEL...")
@click.option("--seeds", "seeds", multiple=True, type=click.IntRange(0, 2**32 - 1),
              metavar="S...", help="Training seeds, e.g. --seeds 0 1 2 (default: 0).")
@click.option("--out", "out", required=True, type=click.Path(), metavar="BENCH_DIR",
              help="Folder of the bench: runs, logs, bench.json and the leaderboard.")
@click.option("--dataset", metavar="D", help="Data set of every run (default: each model's).")
@click.option("--epochs", type=click.IntRange(min=1), help="Passes over the data per run.")
@click.option("--steps", type=click.IntRange(min=1),
              help="Generator steps per run (default: each model's own budget).")
@click.option("--set", "assignments", multiple=True, metavar="KEY=VALUE",
              help="Hyperparameter override for every model (repeatable).")
@click.option("--precision", type=click.Choice(["auto", "float32", "bfloat16"]),
              help="Numeric precision of every run (default: auto).")
@click.option("--n", "n", type=click.IntRange(min=10, max=1_000_000), default=10_000,
              show_default=True, help="Samples scored per run; figures compare only at equal N.")
@click.option("--jobs", "parallel", type=click.IntRange(min=1), default=1, show_default=True,
              help="Jobs run at once, as separate processes, sharing the cores (each gets "
                   "TF_NUM_INTRAOP_THREADS = cores / N unless you set it). On a CPU with few "
                   "cores parallel jobs slow each other down, so their wall times and images/s "
                   "are not comparable with those of single jobs; the protocol records it.")
@click.option("--reference", metavar="MODEL",
              help="Model the ratio columns divide by (default: dcgan when benched).")
@click.option("--time-limit", "time_limit", type=_Duration(), metavar="DURATION",
              help="Start a job only when it is expected to end within DURATION (e.g. 2h, "
                   "90m, 1h30m) of the bench's start, judged by the times of that model's "
                   "earlier jobs in BENCH_DIR; running jobs are never cut. For machines lent "
                   "for a fixed time: nothing is lost when the time is up. Exit code 75 "
                   "when jobs were held back.")
@click.option("--table-only", "table_only", is_flag=True,
              help="Write leaderboard.md/.html and samples.png again from the jobs scored in "
                   "BENCH_DIR, for the models and seeds named; train and score nothing, and "
                   "leave bench.json as it is. Give the options the bench ran with (--jobs and "
                   "--time-limit are ignored).")
@click.pass_context
def bench(ctx: click.Context, models: tuple[str, ...], seeds: tuple[int, ...], out: str,
          dataset: str | None, epochs: int | None, steps: int | None,
          assignments: tuple[str, ...], precision: str | None, n: int, parallel: int,
          reference: str | None, time_limit: float | None, table_only: bool) -> None:
    obj = ctx.find_root().obj if isinstance(ctx.find_root().obj, dict) else {}
    try:
        code = _bench(obj, list(dict.fromkeys(models)), list(dict.fromkeys(seeds or (0,))),
                      out, dataset, epochs, steps, assignments, precision, n, parallel,
                      reference, time_limit, table_only)
    except GanzooError as exc:
        if obj.get("debug"):
            raise
        raise _UserError(" ".join(str(exc).split())) from None
    ctx.exit(code)


def _bench(obj: dict[str, Any], models: list[str], seeds: list[int], out: str,
           dataset: str | None, epochs: int | None, steps: int | None,
           assignments: tuple[str, ...], precision: str | None, n: int, parallel: int,
           reference: str | None, time_limit: float | None = None,
           table_only: bool = False) -> int:
    from ganzoo.api import catalog
    from ganzoo.bench import Options, check_models, rewrite, run_bench
    from ganzoo.zoo.config import parse_assignments

    if epochs is not None and steps is not None:
        raise GanzooError("give either --epochs or --steps, not both")
    bench_dir = Path(out)
    if bench_dir.exists() and not bench_dir.is_dir():
        raise GanzooError(f"--out {out}: exists and is not a folder")
    if reference is not None and reference not in models:
        raise GanzooError(f"--reference {reference}: not among the benched models "
                          f"({', '.join(models)})")
    registry = tuple(str(Path(f).resolve()) for f in obj.get("registry", ()))
    cat = catalog(registry_files=registry)
    overrides: dict[str, Any] = parse_assignments(assignments)
    overrides.update({k: v for k, v in (("steps", steps), ("epochs", epochs),
                                        ("precision", precision)) if v is not None})
    if epochs is not None:
        overrides["steps"] = 0
    entries = check_models(models, cat, dataset, {**overrides, "seed": seeds[0]})
    if dataset is not None and dataset not in cat.components["dataset"] and Path(dataset).exists():
        dataset = str(Path(dataset).resolve())  # children and later benches find it anyway
    options = Options(dataset=dataset, steps=steps, epochs=epochs,
                      assignments=tuple(assignments), precision=precision, n=n,
                      registry=registry)
    if table_only:
        # --jobs and --time-limit are accepted and ignored: the bench's own command may
        # be given again with --table-only added
        for path in rewrite(bench_dir, models, seeds, options, reference):
            click.echo(f"  wrote {path}")
        return 0
    command = ["ganzoo", "bench", *models, "--seeds", *map(str, seeds), "--out", out,
               *(a for flag, v in (("--dataset", dataset), ("--steps", steps),
                                   ("--epochs", epochs), ("--precision", precision))
                 if v is not None for a in (flag, str(v))),
               *(a for s in assignments for a in ("--set", s)),
               *(["--n", str(n)] if n != 10_000 else []),
               *(["--jobs", str(parallel)] if parallel != 1 else [])]
    # --time-limit is left out: it says how long this invocation may take, not what it ran
    result = run_bench(bench_dir, models, seeds, options, parallel=parallel,
                       reference=reference, launcher=obj.get("bench_launcher"),
                       echo=click.echo, command=shlex.join(command), entries=entries,
                       time_limit=time_limit)
    return result.exit_code
