"""The ``ganzoo`` command line: the group, its error handling, and `main`.

Each command is one call of `ganzoo.api` (listing commands read the catalog directly);
the commands live in `ganzoo.cli.listing`, `ganzoo.cli.training` and
`ganzoo.cli.outputs`. Listing commands (``list``, ``info``, ``plugins``, ``--help``)
never import TensorFlow.

Every mistake a user can make, ganzoo's own checks and click's usage errors alike
(missing argument, bad option value, unknown option or command), is printed as one line
starting with ``error:`` and exits with code 2; ``--debug`` prints the traceback first and
still exits with 2, so that scripts see the same code either way.
"""

from __future__ import annotations

import sys
import traceback
from typing import Any

import click

from ganzoo.cli import listing, outputs, training
from ganzoo.cli.bench import bench
from ganzoo.errors import GanzooError
from ganzoo.version import __version__

#: click's "no arguments: show the help" (click 8.2+), a usage error that must stay as it is
_SHOW_HELP: tuple[type[BaseException], ...] = tuple(
    c for c in (getattr(click.exceptions, "NoArgsIsHelpError", None),) if c is not None)


class _UserError(click.ClickException):
    """A user's mistake: one ``error:`` line, exit code 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.message}", err=True)


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _usage(exc: click.UsageError) -> _UserError:
    """click's usage error as one line, in ganzoo's style, naming the help to read.

    click prints four lines (usage, a blank, "Try ... for help", the message); one line
    is what every other ganzoo error is, and what a script or a log can show.
    """
    message = _one_line(exc.format_message()).rstrip(".")
    message = message[:1].lower() + message[1:]
    where = exc.ctx.command_path if exc.ctx is not None else "ganzoo"
    return _UserError(f"{message} (see '{where} --help')")


class _Group(click.Group):
    """Turns `GanzooError` and click's usage errors into one line (``--debug``: traceback
    first), and Ctrl-C outside training into exit code 130."""

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        try:  # the group's own options: `ganzoo --bogus`
            return super().make_context(info_name, args, parent=parent, **extra)
        except _SHOW_HELP:
            raise
        except click.UsageError as exc:
            raise _usage(exc) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except _SHOW_HELP:
            raise
        except click.UsageError as exc:  # a command's arguments, or an unknown command
            raise _usage(exc) from None
        except GanzooError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                click.echo(traceback.format_exc().rstrip(), err=True)
            raise _UserError(_one_line(exc)) from None
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)


@click.group(name="ganzoo", cls=_Group,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="ganzoo")
@click.option("--registry", "registry", multiple=True, type=click.Path(dir_okay=False),
              metavar="FILE", help="Extra registry.json with model entries (repeatable).")
@click.option("--debug", is_flag=True,
              help="Print the traceback before the one-line error (the exit code stays 2).")
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


for _module in (listing, training, outputs):
    for _command in _module.COMMANDS:
        cli.add_command(_command)
cli.add_command(bench)


def main(argv: list[str] | None = None) -> None:
    """The console script ``ganzoo`` (and ``python -m ganzoo.cli``)."""
    cli.main(args=argv, prog_name="ganzoo", obj={})


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
