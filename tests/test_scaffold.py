"""`ganzoo new-plugin`: names, folders, and a package whose parts fit together (checked
without installing it; tests/test_plugin_packages.py installs one and runs it)."""

from __future__ import annotations

import importlib
import json
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ganzoo.cli.app import cli
from ganzoo.zoo import registry
from ganzoo.zoo.config import resolve
from ganzoo.zoo.host import load_catalog


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), obj={})


def error_line(result: Result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    return lines[0]


def test_default_folder_and_files(tmp_path: Path) -> None:
    result = invoke("new-plugin", "style-gan")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "wrote plugin package ganzoo-style-gan (module ganzoo_style_gan) to ganzoo-style-gan")
    assert "  pip install -e ganzoo-style-gan" in result.stdout
    root = tmp_path / "ganzoo-style-gan"
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert files == ["README.md", "ganzoo_style_gan/__init__.py",
                     "ganzoo_style_gan/networks.py", "ganzoo_style_gan/registry.json",
                     "pyproject.toml", "tests/test_style_gan.py"]
    project = tomllib.loads((root / "pyproject.toml").read_text())
    assert project["project"]["name"] == "ganzoo-style-gan"
    assert project["project"]["entry-points"]["ganzoo"] == {"style-gan": "ganzoo_style_gan"}
    assert project["tool"]["setuptools"]["package-data"] == {
        "ganzoo_style_gan": ["registry.json"]}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left
    for path in root.rglob("*"):
        assert "__NAME__" not in path.name and "__IDENT__" not in path.name
        if path.is_file():
            text = path.read_text()
            assert not any(k in text for k in ("__NAME__", "__IDENT__", "__MODULE__",
                                               "__DIST__", "__API__"))


def test_generated_plugin_works_in_a_catalog(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    assert invoke("new-plugin", "mygan", "--dir", "deep/pkg").exit_code == 0
    monkeypatch.syspath_prepend(str(tmp_path / "deep" / "pkg"))
    module = importlib.import_module("ganzoo_mygan")
    try:
        assert module.GANZOO_API == 1
        cat = load_catalog(extra_plugins=[("mygan", module)])
        record = cat.plugins["mygan"]
        assert (record.error, record.warnings) == (None, [])
        assert record.provides == {"generator": ["mygan"], "discriminator": ["mygan"],
                                   "model": ["mygan"]}
        entry, plugin, where = registry.get(cat, "mygan")
        assert plugin == "mygan"
        assert where.endswith("ganzoo_mygan/registry.json: model 'mygan': ")
        config = resolve(entry, cat, {"mygan_g_hidden": "32"}, entry_where=where)
        assert (config["mygan_g_hidden"], config["mygan_d_hidden"]) == (32, 256)
        assert (config["loss"], config["epochs"], config["ema"]) == ("nsgan", 5, 0.0)
    finally:
        for name in [m for m in sys.modules if m.startswith("ganzoo_mygan")]:
            del sys.modules[name]


def test_empty_existing_folder_is_used(tmp_path: Path) -> None:
    (tmp_path / "here").mkdir()
    assert invoke("new-plugin", "x1", "--dir", "here").exit_code == 0
    assert (tmp_path / "here" / "ganzoo_x1" / "__init__.py").is_file()


@pytest.mark.parametrize(("name", "text"), [
    ("MyGan", "plugin name 'MyGan': use 1 to 40 lower-case letters"),
    ("1gan", "plugin name '1gan': use 1 to 40"),
    ("my gan", "plugin name 'my gan'"),
    ("gan-", "plugin name 'gan-'"),
    ("a" * 41, "use 1 to 40"),
    ("builtin", "plugin name 'builtin' is reserved by ganzoo; choose another"),
    ("none", "plugin name 'none' is reserved"),
])
def test_bad_names(name: str, text: str, tmp_path: Path) -> None:
    assert text in error_line(invoke("new-plugin", name))
    assert list(tmp_path.iterdir()) == []


def test_refuses_a_folder_that_holds_something(tmp_path: Path) -> None:
    (tmp_path / "ganzoo-mygan").mkdir()
    (tmp_path / "ganzoo-mygan" / "keep.txt").write_text("mine")
    line = error_line(invoke("new-plugin", "mygan"))
    assert line == ("error: --dir ganzoo-mygan: exists and is not an empty folder; choose a "
                    "new folder name")
    assert [p.name for p in (tmp_path / "ganzoo-mygan").iterdir()] == ["keep.txt"]
    (tmp_path / "afile").write_text("x")
    result = invoke("new-plugin", "mygan", "--dir", "afile")
    assert result.exit_code == 2 and "Directory 'afile' is a file" in result.stderr


def test_registry_file_of_the_scaffold_is_valid(tmp_path: Path) -> None:
    invoke("new-plugin", "okgan")
    models = json.loads((tmp_path / "ganzoo-okgan" / "ganzoo_okgan" / "registry.json")
                        .read_text())["models"]
    registry.validate_entry("okgan", models["okgan"], "")
