"""The repo stays `ruff check` clean: a lint slip fails the README's test command, so CI
catches it rather than the next reader."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_check_is_clean() -> None:
    # The ruff of this interpreter's environment (the `test` extra pins it), not whichever
    # one PATH finds first: `python -m pytest` from an unactivated venv lints the same way.
    if importlib.util.find_spec("ruff") is None:
        pytest.skip("ruff is not installed; pip install -e '.[test]' installs it")
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
