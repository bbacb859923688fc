"""Commands that describe what is installed: ``list``, ``info``, ``plugins``, and
``new-plugin``, which starts a plugin package. None of them imports TensorFlow."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import click

from ganzoo.cli.common import catalog as _catalog
from ganzoo.cli.common import command
from ganzoo.zoo.components import plural


@click.command("list")
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


@click.command()
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


@click.command()
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


@click.command("new-plugin")
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
    click.echo(f"  {command('pip', 'install', '-e', path)}")
    click.echo(f"  ganzoo list                      # shows {name}")
    click.echo(f"  {command('ganzoo', 'run', name, '--steps', '200')}")
    click.echo(f"  {command('cd', path)} && pip install -e \".[test]\" && python -m pytest")


COMMANDS: tuple[click.Command, ...] = (list_cmd, info, plugins, new_plugin)
