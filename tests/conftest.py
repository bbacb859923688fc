"""Shared fixtures: every test runs offline, in its own empty working folder, with no
ganzoo environment variables from the developer's shell and no third-party plugins."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

ENV_VARS_CLEARED = (
    "GANZOO_PLUGINS",
    "GANZOO_BLOCK_PLUGINS",
    "GANZOO_PRECISION",
    "GANZOO_DATA_DIR",
)


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Offline, no ganzoo variables, no third-party plugins (whatever is installed on this
    machine), and the current folder is this test's tmp_path."""
    monkeypatch.setenv("GANZOO_OFFLINE", "1")
    for var in ENV_VARS_CLEARED:
        monkeypatch.delenv(var, raising=False)
    # Tests of the built-ins must not see plugins a developer happens to have installed;
    # tests of third-party plugins pass them explicitly or delete this variable.
    monkeypatch.setenv("GANZOO_PLUGINS", "none")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def catalog() -> Any:
    """A fresh catalog of the installed plugins (cheap: nothing is built)."""
    from ganzoo.zoo.host import load_catalog

    return load_catalog()


def valid_entry(**changes: Any) -> dict[str, Any]:
    """A minimal valid registry entry made of built-in components; `changes` replace fields."""
    entry: dict[str, Any] = {
        "description": "a test model",
        "papers": [{"title": "T", "authors": "A. Author", "year": 2020, "url": "https://x"}],
        "components": {
            "generator": "dcgan",
            "discriminator": "dcgan",
            "loss": "hinge",
            "penalties": [],
            "visualizers": ["grid"],
        },
        "dataset": "fashion-mnist-10k",
        "defaults": {"lr_g": 1e-4},
    }
    entry.update(changes)
    return entry


@pytest.fixture
def write_registry(tmp_path: Path) -> Any:
    """write_registry(models, name="reg.json", fmt=1) -> path of a registry file."""

    def write(models: dict[str, Any], name: str = "reg.json", fmt: Any = 1) -> Path:
        path = tmp_path / name
        path.write_text(json.dumps({"format": fmt, "models": models}, indent=2), encoding="utf-8")
        return path

    return write


@pytest.fixture
def make_entry() -> Any:
    """make_entry(**changes) -> a valid registry entry (see `valid_entry`)."""
    return valid_entry
