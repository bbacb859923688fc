"""The ``ganzoo`` command line: a thin layer of click commands over `ganzoo.api`.

`cli` and `main` (the console script ``ganzoo.cli:main``) are loaded on first use, so that
``python -m ganzoo.cli.app`` runs the module once, without runpy's warning about a module
its package had imported already.
"""

from __future__ import annotations

from typing import Any

__all__ = ["cli", "main"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from ganzoo.cli import app

        return getattr(app, name)
    raise AttributeError(f"module 'ganzoo.cli' has no attribute {name!r}")
