"""The ``ganzoo`` command line.

Listing commands (``list``, ``info``, ``plugins``, ``--help``) never import
TensorFlow. Mistakes a user can make are printed as one line starting with
``error:`` and exit with code 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import click

from ganzoo.errors import GanzooError
from ganzoo.version import __version__
from ganzoo.zoo.components import plural


class _UserError(click.ClickException):
    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.message}", err=True)


class _Group(click.Group):
    """Turns `GanzooError` into a one-line message (a traceback with --debug)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GanzooError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            raise _UserError(" ".join(str(exc).split())) from None  # always one line
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)


def _catalog(ctx: click.Context) -> Any:
    from ganzoo.zoo.host import load_catalog

    obj = ctx.find_root().obj
    if "catalog" not in obj:
        obj["catalog"] = load_catalog(registry_files=obj.get("registry", ()))
    if not obj.get("warned"):  # clashes and bad settings, once per command
        obj["warned"] = True
        for warning in obj["catalog"].warnings:
            click.echo(f"warning: {warning}", err=True)
    return obj["catalog"]


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"],
                                           "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="ganzoo")
@click.option("--registry", "registry", multiple=True, type=click.Path(dir_okay=False),
              metavar="FILE", help="Extra registry.json with model entries (repeatable).")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.pass_context
def cli(ctx: click.Context, registry: tuple[str, ...], debug: bool) -> None:
    """Train, compare, sample and export standard GANs by name.

    \b
    Start with:
      ganzoo list                 the models installed plugins provide
      ganzoo run dcgan            train DCGAN on the built-in Fashion-MNIST subset
      ganzoo sample RUN --n 64 --out grid.png
      ganzoo new-plugin NAME      start a plugin package that adds a model
    """
    ctx.ensure_object(dict)
    ctx.obj.update(registry=registry, debug=debug)


@cli.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def list_cmd(ctx: click.Context, as_json: bool) -> None:
    """List models: name, description, plugin."""
    cat = _catalog(ctx)
    rows = [(name, entry["description"], plugin)
            for name, (entry, plugin, _) in sorted(cat.models.items())]
    if as_json:
        click.echo(json.dumps({
            "models": [{"name": n, "description": d, "plugin": p} for n, d, p in rows],
            "invalid": cat.invalid_models,
            "broken": {name: plugin for (kind, name), plugin in sorted(cat.broken.items())
                       if kind == "model"},
        }, indent=2))
        return
    if not rows:
        click.echo("no models: no plugin registered any (see `ganzoo plugins`)")
    width = max((len(n) for n, _, _ in rows), default=4)
    pwidth = max((len(p) for _, _, p in rows), default=6)
    for name, description, plugin in rows:
        click.echo(f"{name:<{width}}  {plugin:<{pwidth}}  {description}")
    for name, why in sorted(cat.invalid_models.items()):
        click.echo(f"warning: model {name!r} is unusable: {why}", err=True)
    for record in cat.plugins.values():
        if record.error:
            click.echo(f"warning: plugin {record.name!r} is broken: {record.error}", err=True)
    for (kind, name), plugin in sorted(cat.broken.items()):
        if kind == "model":
            click.echo(f"warning: model {name!r} is unusable: its plugin {plugin!r} is broken",
                       err=True)


@cli.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def info(ctx: click.Context, name: str, as_json: bool) -> None:
    """Show a model's components, default hyperparameters, data set and papers."""
    from ganzoo.zoo import config as config_mod
    from ganzoo.zoo import registry
    from ganzoo.zoo.config import LIST_SLOTS, SLOTS

    cat = _catalog(ctx)
    entry, plugin, _ = registry.get(cat, name)
    rows = config_mod.describe(entry, cat)
    components = []
    for slot, kind in SLOTS.items():
        value = entry["components"].get(slot, [] if slot in LIST_SLOTS else "")
        for cname in value if isinstance(value, list) else [value]:
            comp = cat.get(kind, cname)
            components.append({"slot": slot, "name": cname, "plugin": comp.plugin,
                               "description": comp.description})
    if as_json:
        click.echo(json.dumps({
            "name": name, "plugin": plugin, "description": entry["description"],
            "dataset": entry.get("dataset"), "papers": entry.get("papers", []),
            "components": components,
            "defaults": {k: v for k, v, _ in rows}, "notes": entry.get("notes"),
        }, indent=2))
        return
    click.echo(f"{name} (plugin {plugin})")
    click.echo(textwrap.fill(entry["description"], 96, initial_indent="  ",
                             subsequent_indent="  "))
    click.echo("\ncomponents:")
    for c in components:
        click.echo(f"  {c['slot']:<14} {c['name']:<12} [{c['plugin']}] {c['description']}")
    click.echo(f"\ndata set: {entry.get('dataset', 'fashion-mnist-10k')}")
    click.echo("\nhyperparameters (change with --set KEY=VALUE):")
    for key, value, help_text in rows:
        click.echo(f"  {key:<18} {value!s:<14} {help_text}")
    if entry.get("papers"):
        click.echo("\npapers:")
        for paper in entry["papers"]:
            click.echo(f"  {paper['authors']} ({paper['year']}). {paper['title']}. "
                       f"{paper.get('url', '')}")
    if entry.get("notes"):
        click.echo("\n" + textwrap.fill(entry["notes"], 96))


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def plugins(ctx: click.Context, as_json: bool) -> None:
    """List plugins: distribution, version, hooks, what each provides, and broken ones."""
    import dataclasses

    cat = _catalog(ctx)
    records = sorted(cat.plugins.values(), key=lambda r: (not r.builtin, r.name))
    skipped = sorted(cat.skipped.values(), key=lambda r: r.name)
    if as_json:
        def row(r: Any) -> dict[str, Any]:
            status = "skipped" if r.skipped else "broken" if r.error else "ok"
            return {"status": status, **dataclasses.asdict(r)}

        click.echo(json.dumps({"plugins": [row(r) for r in records + skipped],
                               "warnings": cat.warnings}, indent=2))
        return
    for r in records + skipped:
        where = f"{r.distribution or '?'} {r.version or ''}".strip()
        api = "" if r.api is None else f"  API {r.api}"
        click.echo(f"{r.name}  ({where}){'  [built-in]' if r.builtin else ''}{api}")
        if r.module:
            click.echo(f"  module: {r.module}")
        if r.skipped:
            click.echo(f"  NOT LOADED: {r.skipped}")
            continue
        if r.error:
            click.echo(f"  BROKEN: {r.error}")
        for warning in r.warnings:
            click.echo(f"  WARNING: {warning}")
        if r.error:
            continue
        click.echo(f"  hooks: {', '.join(r.hooks) or 'none'}")
        for kind, names in sorted(r.provides.items()):
            if names:
                click.echo(f"  {plural(kind)}: {', '.join(sorted(names))}")


@cli.command("new-plugin")
@click.argument("name")
@click.option("--dir", "folder", type=click.Path(file_okay=False), metavar="D",
              help="Folder to create (default: ganzoo-NAME in the current folder).")
def new_plugin(name: str, folder: str | None) -> None:
    """Write a plugin package for model NAME that installs and passes its own tests."""
    from ganzoo.cli import scaffold

    names = scaffold.names_for(name)
    path = scaffold.create(name, folder)
    click.echo(f"wrote plugin package {names.distribution} (module {names.module}) to {path}")
    click.echo("next:")
    click.echo(f"  pip install -e {path}")
    click.echo(f"  ganzoo list                      # shows {name}")
    click.echo(f"  ganzoo run {name} --steps 200")
    click.echo(f'  cd {path} && pip install -e ".[test]" && python -m pytest')


@cli.command()
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
@click.option("--overwrite", is_flag=True, help="Reuse an --out folder that holds a run.")
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
    from ganzoo.training import plan as planning
    from ganzoo.training import trainer as training
    from ganzoo.zoo.config import parse_assignments

    if epochs is not None and steps is not None:
        raise GanzooError("give either --epochs or --steps, not both")
    overrides: dict[str, Any] = parse_assignments(assignments)
    for key, value in (("epochs", epochs), ("steps", steps), ("batch_size", batch_size),
                       ("seed", seed), ("strategy", strategy), ("precision", precision)):
        if value is not None:
            overrides[key] = value
    if epochs is not None:
        overrides["steps"] = 0
    plan = planning.plan(name, catalog=_catalog(ctx), dataset=dataset, overrides=overrides)
    result = training.train(plan, out=out, overwrite=overwrite)
    _finish(ctx, result)


@cli.command()
@click.argument("run_dir", type=click.Path())
@click.pass_context
def resume(ctx: click.Context, run_dir: str) -> None:
    """Continue an interrupted run in RUN_DIR from its newest checkpoint to its planned end.

    The result equals the uninterrupted run's (docs/RELIABILITY.md).
    """
    from ganzoo.training import trainer as training

    result = training.resume(run_dir, catalog=_catalog(ctx))
    _finish(ctx, result)


def _finish(ctx: click.Context, result: Any) -> None:
    """Report a run; exit 1 when stopped on NaN/Inf, 128 + signal when interrupted."""
    if result.exit_code > 128:
        ctx.exit(result.exit_code)
    _report(result)
    if result.exit_code:
        ctx.exit(result.exit_code)


def _report(result: Any) -> None:
    minutes, seconds = divmod(result.seconds, 60)
    click.echo(f"\ndone: {result.steps} steps, {result.epochs} epochs in {int(minutes)}m"
               f"{seconds:04.1f}s, {result.images_per_sec:.0f} images/s ({result.precision})")
    if not result.chief:
        click.echo("  this worker is not the chief: the chief wrote the run folder")
        return
    run_dir = result.run_dir
    lines = [("run folder", run_dir), ("config", run_dir / "config.json")]
    if (run_dir / "grid.png").exists():
        lines.append(("samples", f"{run_dir / 'grid.png'} (per epoch: {run_dir / 'samples'})"))
    if (run_dir / "scatter.png").exists():
        lines.append(("scatter", f"{run_dir / 'scatter.png'} (per epoch: {run_dir / 'samples'})"))
    if (run_dir / "modes.json").exists():
        lines.append(("modes", run_dir / "modes.json"))
    if (run_dir / "losses.png").exists():
        lines.append(("loss curves", run_dir / "losses.png"))
    lines += [("metrics", run_dir / "metrics.csv"),
              ("checkpoints", run_dir / "checkpoints"),
              ("tensorboard", f"tensorboard --logdir {run_dir / 'tensorboard'}")]
    if result.export_path:
        lines.append(("weights", result.export_path))
    for label, value in lines:
        click.echo(f"  {label + ':':<13} {value}")
    if result.export_path:
        click.echo(f"next: ganzoo sample {run_dir} --n 64 --out samples.png")
    click.echo(f"      ganzoo report {run_dir}   (the run as one HTML page)")


@cli.command()
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
    from ganzoo.artifacts import sampling
    from ganzoo.artifacts.files import check_writable_output

    if Path(out).suffix not in {".png", ".npy"}:
        raise GanzooError(f"--out {out}: use a .png (grid) or .npy (array) file name")
    check_writable_output(out, overwrite)
    loaded = sampling.load(source, _catalog(ctx))
    images = sampling.sample(loaded, n, seed=seed, label=label)
    rows = loaded.grid_rows if label is None else None
    path = sampling.save(images, out, rows=rows, dataset=loaded.dataset)
    click.echo(f"wrote {n} samples of {loaded.meta.model} ({loaded.origin}) to {path}")


@cli.command()
@click.argument("run_dir", type=click.Path())
@click.option("--out", required=True, type=click.Path(dir_okay=False), metavar="FILE.weights.h5",
              help="Where to write the export; must end in .weights.h5.")
@click.option("--overwrite", is_flag=True, help="Replace FILE if it exists.")
@click.pass_context
def export(ctx: click.Context, run_dir: str, out: str, overwrite: bool) -> None:
    """Export a run's latest weights as one self-describing HDF5 file."""
    from ganzoo import api
    from ganzoo.artifacts.files import check_writable_output

    if not out.endswith(".weights.h5"):
        raise GanzooError(f"--out {out}: export names must end in .weights.h5 "
                          "(the only name Keras reads its weights layout from)")
    check_writable_output(out, overwrite)
    path = api.export_run(run_dir, out, cat=_catalog(ctx))
    click.echo(f"wrote {path}")


@cli.command("eval")
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
    from ganzoo.artifacts.files import write_json
    from ganzoo.evaluation import evaluate as evaluation

    result = evaluation.evaluate_source(source, _catalog(ctx), n=n, dataset=dataset, seed=seed)
    path = Path(out) if out else evaluation.default_output_for(source, result)
    write_json(path, result)
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    model = f" of {result['model']} (step {result['step']})" if result.get("model") else ""
    click.echo(f"ganzoo eval: {result['protocol']['samples']} samples{model} from {source}, "
               f"seed {seed}")
    for line in evaluation.summary_lines(result):
        click.echo(line)
    click.echo(f"saved: {path} ({result['seconds']:.1f} s)")


@cli.command()
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
    from ganzoo.artifacts.files import check_writable_output

    cat = _catalog(ctx)
    cat.get("visualizer", kind)  # an unknown kind fails before anything is loaded
    check_writable_output(out, overwrite)
    path = api.draw(source, kind, out, seed=seed, cat=cat)
    click.echo(f"wrote {kind} of {source} to {path}")


@cli.command()
@click.argument("run_dir", type=click.Path())
@click.option("--out", type=click.Path(dir_okay=False), metavar="FILE.html", default=None,
              help="Where to write the page (default RUN_DIR/report.html, replaced each time).")
@click.option("--overwrite", is_flag=True, help="Replace an existing --out FILE.")
def report(run_dir: str, out: str | None, overwrite: bool) -> None:
    """Write a run as one self-contained HTML page: config, plots, metrics, files."""
    from ganzoo import api
    from ganzoo.artifacts.files import check_writable_output

    if out is not None:
        check_writable_output(out, overwrite)
    path = api.write_report(run_dir, out)
    click.echo(f"wrote {path}")


def main(argv: list[str] | None = None) -> None:
    cli.main(args=argv, prog_name="ganzoo", obj={})


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
