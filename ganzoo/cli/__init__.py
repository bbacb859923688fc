"""The ``ganzoo`` command line: a thin layer of click commands over `ganzoo.api`."""

from ganzoo.cli.app import cli, main

__all__ = ["cli", "main"]
