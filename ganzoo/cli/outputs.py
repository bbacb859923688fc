"""Commands that make something from a trained model or a run folder: ``sample``,
``export``, ``eval``, ``visualize`` and ``report``. Each is one call of `ganzoo.api`,
which checks the arguments (file names, existing outputs) the same for scripts."""

from __future__ import annotations

import json

import click

from ganzoo.cli.common import catalog as _catalog


@click.command()
@click.argument("source", type=click.Path())
@click.option("--n", "n", type=click.IntRange(min=1, max=1_000_000), default=64,
              show_default=True, help="Number of samples.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), metavar="FILE",
              help="FILE.png for a grid (a scatter plot for point data), FILE.npy for a "
                   "float32 array: (N, H, W, C) images in [0, 1], or (N, D) points.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="The same seed gives the same samples.")
@click.option("--label", type=int, default=None,
              help="Class to draw, for conditional models, or the categorical code's category "
                   "for InfoGAN (default: cycle through them).")
@click.option("--overwrite", is_flag=True, help="Replace FILE if it exists.")
@click.pass_context
def sample(ctx: click.Context, source: str, n: int, out: str, seed: int,
           label: int | None, overwrite: bool) -> None:
    """Draw samples from SOURCE: a run folder or an exported .weights.h5 file."""
    from ganzoo import api

    written = api.write_samples(source, out, n=n, seed=seed, label=label, overwrite=overwrite,
                                cat=_catalog(ctx))
    click.echo(f"wrote {written.n} samples of {written.model} ({written.origin}) "
               f"to {written.path}")


@click.command()
@click.argument("run_dir", type=click.Path())
@click.option("--out", required=True, type=click.Path(dir_okay=False), metavar="FILE.weights.h5",
              help="Where to write the export; must end in .weights.h5.")
@click.option("--overwrite", is_flag=True, help="Replace FILE if it exists.")
@click.pass_context
def export(ctx: click.Context, run_dir: str, out: str, overwrite: bool) -> None:
    """Export a run's latest weights as one self-describing HDF5 file."""
    from ganzoo import api

    path = api.export_run(run_dir, out, cat=_catalog(ctx), overwrite=overwrite)
    click.echo(f"wrote {path}")


@click.command("eval")
@click.argument("source", type=click.Path())
@click.option("--n", "n", type=click.IntRange(min=10, max=1_000_000), default=10_000,
              show_default=True, help="Samples to draw (arrays: the first N are scored).")
@click.option("--dataset", metavar="D",
              help="The data set the samples imitate, for the reference (default: the run's; "
                   "fashion-mnist-10k for 28x28x1 arrays, cifar10 for 32x32x3).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed for the noise of generated samples and for KID's subsets.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
@click.option("--out", type=click.Path(dir_okay=False), metavar="FILE.json",
              help="Where to save the result (default: RUN/eval.json, or FILE.eval.json "
                   "beside a file).")
@click.pass_context
def eval_cmd(ctx: click.Context, source: str, n: int, dataset: str | None, seed: int,
             as_json: bool, out: str | None) -> None:
    """Score samples: Fréchet distance, KID, precision/recall, classifier score, class shares.

    SOURCE is a run folder, an exported .weights.h5 file, or a .npy/.npz array of
    images (uint8, or floats in [0, 1]) from any generator. The result, with its
    protocol, is saved as JSON. Details: docs/EVALUATION.md.
    """
    from ganzoo import api

    result = api.evaluate(source, n=n, dataset=dataset, seed=seed, out=out, cat=_catalog(ctx))
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    model = f" of {result['model']} (step {result['step']})" if result.get("model") else ""
    click.echo(f"ganzoo eval: {result['protocol']['samples']} samples{model} from {source}, "
               f"seed {seed}")
    for line in result.lines():
        click.echo(line)
    click.echo(f"saved: {result.path} ({result['seconds']:.1f} s)")


@click.command()
@click.argument("source", type=click.Path())
@click.option("--kind", required=True, metavar="K",
              help="Visualizer: grid, compare, losses, metrics, histogram, interpolation, "
                   "progress, neighbours, or one a plugin adds (`ganzoo plugins`).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), metavar="FILE",
              help="Where to write; its suffix picks the file when a kind writes several "
                   "(interpolation: .png or .gif; histogram, neighbours: .png or .json).")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Seed of the views' noise and real-image choice (default: the run's).")
@click.option("--overwrite", is_flag=True, help="Replace FILE if it exists.")
@click.pass_context
def visualize(ctx: click.Context, source: str, kind: str, out: str, seed: int | None,
              overwrite: bool) -> None:
    """Draw one visualizer's view of SOURCE: a run folder or an exported .weights.h5 file."""
    from ganzoo import api

    path = api.draw(source, kind, out, seed=seed, cat=_catalog(ctx), overwrite=overwrite)
    click.echo(f"wrote {kind} of {source} to {path}")


@click.command()
@click.argument("run_dir", type=click.Path())
@click.option("--out", type=click.Path(dir_okay=False), metavar="FILE.html", default=None,
              help="Where to write the page (default RUN_DIR/report.html, replaced each time).")
@click.option("--overwrite", is_flag=True, help="Replace an existing --out FILE.")
@click.pass_context
def report(ctx: click.Context, run_dir: str, out: str | None, overwrite: bool) -> None:
    """Write a run as one self-contained HTML page: config, plots, metrics, files.

    The pictures are those the run's visualizers declare (docs/PLUGINS.md, `outputs`).
    """
    from ganzoo import api

    path = api.write_report(run_dir, out, overwrite=overwrite, cat=_catalog(ctx))
    click.echo(f"wrote {path}")


COMMANDS: tuple[click.Command, ...] = (sample, export, eval_cmd, visualize, report)
