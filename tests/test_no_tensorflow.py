"""Listing commands and imports stay light: checked in fresh interpreters, where no other
test can have imported TensorFlow already."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent

# ganzoo modules that must import without TensorFlow or Keras (gan.py and callbacks.py are
# the ones meant to be imported only once a model is built).
LIGHT_MODULES = [
    "ganzoo", "ganzoo.api", "ganzoo.engine.builder", "ganzoo.cli.app", "ganzoo.zoo.components",
    "ganzoo.zoo.config", "ganzoo.data.loading", "ganzoo.engine.distribute", "ganzoo.errors",
    "ganzoo.artifacts.export", "ganzoo.artifacts.files", "ganzoo.contract.hookspecs",
    "ganzoo.zoo.host", "ganzoo.artifacts.images", "ganzoo.training.interrupts",
    "ganzoo.zoo.registry", "ganzoo.artifacts.runs", "ganzoo.engine.runtime",
    "ganzoo.artifacts.sampling", "ganzoo.artifacts.scatter", "ganzoo.data.toy",
    "ganzoo.training.trainer", "ganzoo.contract.visual", "ganzoo.evaluation.classifier",
    "ganzoo.evaluation.evaluate", "ganzoo.evaluation.features", "ganzoo.evaluation.metrics",
    "ganzoo.visual.viewer", "ganzoo.visual.report", "ganzoo.engine.latent",
    "ganzoo.visual.pixelstats", "ganzoo.visual.neighbours", "ganzoo.cli", "ganzoo.cli.common",
    "ganzoo.cli.listing", "ganzoo.cli.training", "ganzoo.cli.outputs", "ganzoo.artifacts.outputs",
]

_REPORT = """
import json, sys
print("\\n@@" + json.dumps({m: m in sys.modules for m in ("tensorflow", "keras")}))
"""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GANZOO_")}
    env["GANZOO_OFFLINE"] = "1"
    return env


def run_python(code: str, cwd: Path) -> tuple[str, dict[str, bool]]:
    """Run code in a fresh interpreter; returns (its stdout before the report, report)."""
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code) + _REPORT],
                          capture_output=True, text=True, cwd=cwd, env=_env(), timeout=120)
    assert proc.returncode == 0, proc.stderr
    out, _, report = proc.stdout.rpartition("\n@@")
    return out, json.loads(report)


def run_cli(args: list[str], cwd: Path) -> tuple[str, dict[str, bool]]:
    code = f"""
    from ganzoo.cli.app import cli
    try:
        code = cli.main(args={args!r}, prog_name="ganzoo", standalone_mode=False, obj={{}})
    except SystemExit as exc:
        code = exc.code
    assert code in (None, 0), code
    """
    return run_python(code, cwd)


@pytest.mark.parametrize(("args", "expected"), [
    (["--help"], "Commands:"),
    (["list"], "dcgan"),
    (["list", "--json"], '"name": "dcgan"'),
    (["info", "dcgan"], "hyperparameters"),
    (["info", "toy-gan"], "ring8"),
    (["plugins"], "ganzoo_register_models"),
    (["resume", "--help"], "Continue an interrupted run"),
    (["eval", "--help"], "Fréchet distance"),
    (["visualize", "--help"], "--kind"),
    (["report", "--help"], "self-contained HTML"),
])
def test_listing_commands_import_neither_tensorflow_nor_keras(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    out, loaded = run_cli(args, tmp_path)
    assert expected in out
    assert loaded == {"tensorflow": False, "keras": False}


def test_import_ganzoo_and_light_modules(tmp_path: Path) -> None:
    out, loaded = run_python(f"""
    import importlib
    for name in {LIGHT_MODULES!r}:
        importlib.import_module(name)
    print("imported", len({LIGHT_MODULES!r}))
    """, tmp_path)
    assert f"imported {len(LIGHT_MODULES)}" in out
    assert loaded == {"tensorflow": False, "keras": False}


def test_import_every_plugin_module(tmp_path: Path) -> None:
    out, loaded = run_python("""
    import importlib, pkgutil
    import ganzoo_plugins
    names = sorted(m.name for m in pkgutil.iter_modules(ganzoo_plugins.__path__))
    for name in names:
        importlib.import_module("ganzoo_plugins." + name)
    print(",".join(names))
    """, tmp_path)
    names = out.strip().split(",")
    expected = sorted(p.stem for p in (REPO / "plugins").glob("*.py") if p.stem != "__init__")
    assert names == expected
    assert "builtin" in names
    assert loaded == {"tensorflow": False, "keras": False}


def test_loading_the_catalog_imports_neither(tmp_path: Path) -> None:
    out, loaded = run_python("""
    from ganzoo.zoo.host import load_catalog
    cat = load_catalog()
    print(sorted(cat.models), cat.plugins["builtin"].error)
    """, tmp_path)
    shipped = json.loads((Path(__file__).resolve().parent.parent / "registry.json")
                         .read_text(encoding="utf-8"))["models"]
    assert out.strip() == f"{sorted(shipped)} None"
    assert loaded == {"tensorflow": False, "keras": False}


def test_list_wall_time(tmp_path: Path, capsys: Any) -> None:
    """Prints how long `ganzoo list` takes; speed limits live in the benchmarks."""
    exe = shutil.which("ganzoo")
    cmd = [exe, "list"] if exe else [sys.executable, "-c",
                                     "from ganzoo.cli.app import main; main(['list'])"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, env=_env(),
                          timeout=120)
    seconds = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr
    assert any(line.split()[:2] == ["dcgan", "builtin"] for line in proc.stdout.splitlines())
    with capsys.disabled():
        print(f"\n`{' '.join(Path(c).name for c in cmd[:2])}` wall time: {seconds:.3f} s")


def test_no_plugin_imports_tensorflow_when_loaded(tmp_path: Path) -> None:
    """The host's own check: `ganzoo plugins` warns about a plugin whose import pulled in
    TensorFlow or Keras. None of the built-ins may trigger it."""
    out, loaded = run_cli(["plugins", "--json"], tmp_path)
    plugins = {p["name"]: p for p in json.loads(out)["plugins"]}
    assert plugins["builtin"]["status"] == "ok"
    assert plugins["builtin"]["warnings"] == []
    assert loaded == {"tensorflow": False, "keras": False}


def test_example_and_scaffolded_plugins_import_light(tmp_path: Path) -> None:
    """Third-party plugins made the documented way stay cheap to discover too."""
    out, loaded = run_python(f"""
    import sys
    from ganzoo.cli import scaffold
    scaffold.create("lightgan", {str(tmp_path / "pkg")!r})
    sys.path[:0] = [{str(REPO / "examples" / "ganzoo-resgan")!r}, {str(tmp_path / "pkg")!r}]
    import ganzoo_resgan, ganzoo_lightgan
    from ganzoo.zoo.host import load_catalog
    cat = load_catalog(extra_plugins=[("resgan", ganzoo_resgan), ("lightgan", ganzoo_lightgan)])
    print(cat.models["resgan"][1], cat.models["lightgan"][1],
          [cat.plugins[n].warnings for n in ("resgan", "lightgan")])
    """, tmp_path)
    assert out.strip() == "resgan lightgan [[], []]"
    assert loaded == {"tensorflow": False, "keras": False}


def test_report_imports_neither(tmp_path: Path) -> None:
    """`ganzoo report` reads files only: no model is rebuilt, so TensorFlow stays out."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({
        "model": "dcgan", "entry": {"description": "d"}, "config": {"seed": 0},
        "data": {"name": "x"}}))
    out, loaded = run_cli(["report", str(run)], tmp_path)
    assert "report.html" in out and (run / "report.html").is_file()
    assert loaded == {"tensorflow": False, "keras": False}
