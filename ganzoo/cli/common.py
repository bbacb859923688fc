"""What every command module shares: the catalog of the invocation, and shell-quoted
commands to print."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import click


def catalog(ctx: click.Context) -> Any:
    """The invocation's catalog, loaded once (``--registry`` files included); its warnings
    (name clashes, bad plugin settings) are printed the first time."""
    from ganzoo.zoo.host import load_catalog

    obj = ctx.find_root().obj
    if "catalog" not in obj:
        obj["catalog"] = load_catalog(registry_files=obj.get("registry", ()))
    if not obj.get("warned"):  # clashes and bad settings, once per command
        obj["warned"] = True
        for warning in obj["catalog"].warnings:
            click.echo(f"warning: {warning}", err=True)
    return obj["catalog"]


def command(*words: str | Path) -> str:
    """A command line to print, every word shell-quoted: paths with spaces or quotes can be
    pasted into a shell as they are (``ganzoo resume 'runs/my run'``)."""
    return " ".join(shlex.quote(str(word)) for word in words)
