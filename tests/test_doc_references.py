"""Names the docs and docstrings cite exist: every `ganzoo.x.y` in backticks resolves to a
module or attribute, and every repository path (`ganzoo/...py`, `tools/...py`) is a file.

The package was reorganized into subpackages once already; these checks keep the prose
from pointing at modules that moved.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
SOURCES = [p for d in ("ganzoo", "plugins", "tools", "bench", "examples")
           for p in sorted((REPO / d).rglob("*.py"))]

DOTTED = re.compile(r"`(ganzoo(?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
PATH = re.compile(r"`((?:ganzoo|plugins|tools|bench|examples)/[A-Za-z0-9_/.-]+\.py)")


def cited(pattern: re.Pattern[str], files: list[Path]) -> dict[str, str]:
    """Each cited name -> the first file that cites it."""
    found: dict[str, str] = {}
    for path in files:
        for name in pattern.findall(path.read_text(encoding="utf-8")):
            found.setdefault(name.rstrip("."), str(path.relative_to(REPO)))
    return found


def resolves(dotted: str) -> bool:
    """True when the longest importable prefix of `dotted` has the remaining attributes."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attribute in parts[i:]:
            if not hasattr(obj, attribute):
                return False
            obj = getattr(obj, attribute)
        return True
    return False


DOTTED_NAMES = cited(DOTTED, DOCS + SOURCES)
PATHS = cited(PATH, DOCS + SOURCES)


def test_the_docs_cite_names_and_paths() -> None:
    assert "ganzoo.data.toy.mode_metrics" in DOTTED_NAMES
    assert len(PATHS) >= 5


def test_a_moved_name_is_caught() -> None:
    assert resolves("ganzoo.data.toy.mode_metrics")
    assert not resolves("ganzoo.toy.mode_metrics")
    assert not resolves("ganzoo.data.toy.no_such_function")


@pytest.mark.parametrize("name", sorted(DOTTED_NAMES))
def test_every_cited_name_resolves(name: str) -> None:
    assert resolves(name), f"{DOTTED_NAMES[name]} cites `{name}`, which does not exist"


@pytest.mark.parametrize("path", sorted(PATHS))
def test_every_cited_path_exists(path: str) -> None:
    assert (REPO / path).is_file(), f"{PATHS[path]} cites `{path}`, which is not a file"
