"""Plugin packages installed exactly as a user installs them, and driven through the CLI.

Each test makes its own virtual environment in tmp_path, installs a package into it with
pip (no network, no build isolation) and runs `ganzoo` with that environment's Python and
this checkout first on PYTHONPATH. Nothing is installed into the Python running the tests,
which other test runs may share.

The environment sees the packages of the Python running the tests (TensorFlow, pip, ...)
through a .pth file that adds its site-packages folders. That works whether the tests run
in the system's Python or in a virtual environment (where `--system-site-packages` would
show the base Python's packages instead of the test environment's).
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "ganzoo-resgan"
SHIPPED_MODELS = sorted(json.loads((REPO / "registry.json").read_text())["models"])

pytestmark = pytest.mark.tf


class Venv:
    """A virtual environment in a temporary folder, and ganzoo commands run with it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.python = folder / "venv" / "bin" / "python"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder / "venv")],
                       check=True)
        own = subprocess.run([str(self.python), "-c", "import site; "
                              "print(site.getsitepackages()[0])"], capture_output=True,
                             text=True, check=True).stdout.strip()
        parents = [p for p in site.getsitepackages() if Path(p).is_dir()]
        Path(own, "_ganzoo_test_parent.pth").write_text(
            "import site; " + "; ".join(f"site.addsitedir({p!r})" for p in parents) + "\n")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("GANZOO_")}
        self.env.update(GANZOO_OFFLINE="1", PYTHONPATH=str(REPO), TF_CPP_MIN_LOG_LEVEL="2")

    def pip(self, *args: str) -> str:
        # --without-pip: the test Python's pip (seen through the .pth file) runs as this
        # environment's Python, so it installs here.
        proc = subprocess.run([str(self.python), "-m", "pip", "--disable-pip-version-check",
                               *args], capture_output=True, text=True, env=self.env,
                              cwd=self.folder, timeout=180)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout

    def install(self, source: Path) -> None:
        """Install a copy of a package folder (the build writes into its source folder)."""
        copy = self.folder / "src" / source.name
        shutil.copytree(source, copy, ignore=shutil.ignore_patterns(
            "build", "*.egg-info", "__pycache__"))
        self.pip("install", "--no-deps", "--no-build-isolation", "--no-index", str(copy))

    def ganzoo(self, *args: str, code: int = 0, **env: str) -> subprocess.CompletedProcess:
        """`ganzoo ARGS` as a user would type it, in this environment."""
        proc = subprocess.run(
            [str(self.python), "-c", "import sys; from ganzoo.cli.app import main; "
                                     "main(sys.argv[1:])", *args],
            capture_output=True, text=True, env={**self.env, **env}, cwd=self.folder,
            timeout=300)
        assert proc.returncode == code, (args, proc.stdout, proc.stderr)
        return proc


def _list_rows(venv: Venv) -> dict[str, str]:
    """model name -> plugin, from `ganzoo list --json`."""
    data = json.loads(venv.ganzoo("list", "--json").stdout)
    return {m["name"]: m["plugin"] for m in data["models"]}


def _plugin(venv: Venv, name: str) -> dict[str, Any]:
    data = json.loads(venv.ganzoo("plugins", "--json").stdout)
    (record,) = [p for p in data["plugins"] if p["name"] == name]
    return record


def test_scaffolded_plugin_installs_runs_exports_samples_and_uninstalls(
        tmp_path: Path) -> None:
    venv = Venv(tmp_path)
    made = venv.ganzoo("new-plugin", "toygan", "--dir", "pkg")
    assert "wrote plugin package ganzoo-toygan (module ganzoo_toygan) to pkg" in made.stdout
    venv.install(tmp_path / "pkg")

    shipped = {m: "builtin" for m in SHIPPED_MODELS}
    assert _list_rows(venv) == {**shipped, "toygan": "toygan"}
    listed = venv.ganzoo("list").stdout
    assert any(line.split()[:2] == ["toygan", "toygan"] for line in listed.splitlines())
    record = _plugin(venv, "toygan")
    assert (record["status"], record["distribution"], record["version"]) == (
        "ok", "ganzoo-toygan", "0.1.0")
    assert record["hooks"] == ["ganzoo_register_discriminators",
                               "ganzoo_register_generators", "ganzoo_register_models"]
    assert record["provides"] == {"generator": ["toygan"], "discriminator": ["toygan"],
                                  "model": ["toygan"]}
    assert record["warnings"] == [] and record["api"] == 1

    run = venv.ganzoo("run", "toygan", "--steps", "3", "--batch-size", "16", "--out", "run")
    assert "done: 3 steps" in run.stdout
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert (config["model"], config["plugin"]) == ("toygan", "toygan")
    assert config["config"]["generator"] == "toygan"
    assert config["config"]["toygan_g_hidden"] == 256
    assert (tmp_path / "run" / "toygan.weights.h5").is_file()

    venv.ganzoo("export", "run", "--out", "toy.weights.h5")
    assert (tmp_path / "toy.weights.h5").is_file()
    sampled = venv.ganzoo("sample", "toy.weights.h5", "--n", "5", "--out", "s.npy")
    assert "wrote 5 samples of toygan" in sampled.stdout
    import numpy as np

    images = np.load(tmp_path / "s.npy")
    assert images.shape == (5, 28, 28, 1) and images.dtype == np.float32
    assert 0.0 <= images.min() <= images.max() <= 1.0

    venv.pip("uninstall", "-y", "ganzoo-toygan")
    assert _list_rows(venv) == shipped
    assert "toygan" not in venv.ganzoo("plugins").stdout
    gone = venv.ganzoo("run", "toygan", "--steps", "1", code=2)
    assert gone.stderr.startswith("error: unknown model 'toygan'")
    assert f"known models: {', '.join(SHIPPED_MODELS)} (see" in gone.stderr
    missing = venv.ganzoo("sample", "toy.weights.h5", "--n", "1", "--out", "t.png", code=2)
    assert "needs generator 'toygan', which no installed plugin provides" in missing.stderr


def test_scaffolded_plugin_passes_its_own_quick_tests(tmp_path: Path) -> None:
    """The generated tests that need no training; the training one runs in the slow suite
    (the CLI test above covers the same run, export and sample path)."""
    venv = Venv(tmp_path)
    venv.ganzoo("new-plugin", "my-gan", "--dir", "pkg")
    venv.install(tmp_path / "pkg")
    proc = subprocess.run([str(venv.python), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "-k", "not training", str(tmp_path / "src" / "pkg")],
                          capture_output=True, text=True, env=venv.env, cwd=tmp_path,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed, 1 deselected" in proc.stdout


@pytest.mark.slow
def test_scaffolded_plugin_passes_all_its_own_tests(tmp_path: Path) -> None:
    venv = Venv(tmp_path)
    venv.ganzoo("new-plugin", "my-gan", "--dir", "pkg")
    venv.install(tmp_path / "pkg")
    proc = subprocess.run([str(venv.python), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(tmp_path / "src" / "pkg")],
                          capture_output=True, text=True, env=venv.env, cwd=tmp_path,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 passed" in proc.stdout


def test_example_plugin_through_the_cli(tmp_path: Path) -> None:
    venv = Venv(tmp_path)
    venv.install(EXAMPLE)

    record = _plugin(venv, "resgan")
    assert (record["status"], record["distribution"], record["module"]) == (
        "ok", "ganzoo-resgan", "ganzoo_resgan")
    assert record["provides"] == {"generator": ["resgan"], "discriminator": ["resgan"],
                                  "loss": ["ragan"], "visualizer": ["moments"],
                                  "model": ["resgan"]}
    assert record["warnings"] == []
    assert _list_rows(venv) == {**{m: "builtin" for m in SHIPPED_MODELS}, "resgan": "resgan"}
    info = json.loads(venv.ganzoo("info", "resgan", "--json").stdout)
    assert [(c["slot"], c["name"], c["plugin"]) for c in info["components"]] == [
        ("generator", "resgan", "resgan"), ("discriminator", "resgan", "resgan"),
        ("loss", "ragan", "resgan"), ("visualizers", "grid", "builtin"),
        ("visualizers", "losses", "builtin"), ("visualizers", "moments", "resgan")]
    assert info["defaults"]["res_g_channels"] == 64
    assert info["papers"][0]["authors"] == "Alexia Jolicoeur-Martineau"

    run = venv.ganzoo("run", "resgan", "--steps", "2", "--batch-size", "8", "--out", "run",
                      "--set", "res_g_channels=16", "--set", "res_d_channels=16")
    assert "done: 2 steps" in run.stdout
    assert (tmp_path / "run" / "moments.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "run" / "resgan.weights.h5").is_file()
    # its loss combines with a built-in model (checked before anything is built)
    bad = venv.ganzoo("run", "dcgan", "--set", "loss=ragann", code=2)
    assert "did you mean 'ragan'?" in bad.stderr

    # the package's own tests (hand-computed loss values, shapes), run where it is installed
    proc = subprocess.run([str(venv.python), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(tmp_path / "src" / EXAMPLE.name)], capture_output=True,
                          text=True, env=venv.env, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "8 passed" in proc.stdout

    blocked = venv.ganzoo("list", "--json", GANZOO_BLOCK_PLUGINS="resgan")
    assert [m["name"] for m in json.loads(blocked.stdout)["models"]] == SHIPPED_MODELS
    hint = venv.ganzoo("run", "resgan", code=2, GANZOO_PLUGINS="none")
    assert ("plugin 'resgan' (ganzoo-resgan 0.1.0) is installed but not loaded: "
            "GANZOO_PLUGINS=none") in hint.stderr
