"""`ganzoo new-plugin NAME`: write a plugin package that installs and passes its tests.

The package is the shortest path from nothing to `ganzoo run NAME`: a pyproject
with the entry point, a module implementing three hooks, a registry entry, a
test file and a README. It is written into a temporary folder beside the target
and renamed into place, so a failure never leaves half a package behind.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ganzoo.errors import GanzooError

_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
_RESERVED = {"builtin", "none", "ganzoo"}


@dataclass(frozen=True)
class PluginNames:
    """Every name the scaffold derives from the plugin's NAME."""

    name: str          # entry-point name, model name, component names: "my-gan"
    ident: str         # a Python identifier: "my_gan"
    module: str        # the import package: "ganzoo_my_gan"
    distribution: str  # what pip installs: "ganzoo-my-gan"


def names_for(name: str) -> PluginNames:
    """Check NAME and derive the package's names from it."""
    if not _NAME.match(name) or name.endswith(("-", "_")) or "--" in name or "__" in name:
        raise GanzooError(
            f"plugin name {name!r}: use 1 to 40 lower-case letters, digits, '-' or '_', "
            f"starting with a letter (e.g. 'mygan' or 'style-gan')"
        )
    if name in _RESERVED:
        raise GanzooError(f"plugin name {name!r} is reserved by ganzoo; choose another")
    ident = name.replace("-", "_")
    return PluginNames(name=name, ident=ident, module=f"ganzoo_{ident}",
                       distribution=f"ganzoo-{name.replace('_', '-')}")


def files_for(names: PluginNames) -> dict[str, str]:
    """Relative path -> text of every file of the package."""
    from ganzoo.api import PLUGIN_API_VERSION as API_VERSION
    from ganzoo.version import __version__

    values = {
        "__NAME__": names.name,
        "__IDENT__": names.ident,
        "__MODULE__": names.module,
        "__DIST__": names.distribution,
        "__API__": str(API_VERSION),
        "__GANZOO_VERSION__": __version__,
    }

    def fill(text: str) -> str:
        for key, value in values.items():
            text = text.replace(key, value)
        return text

    return {fill(path): fill(text) for path, text in _TEMPLATES.items()}


def create(name: str, folder: str | Path | None = None) -> Path:
    """Write the package for plugin `name` into `folder` (default ``ganzoo-NAME``)."""
    names = names_for(name)
    target = Path(folder) if folder is not None else Path(names.distribution)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise GanzooError(f"--dir {target}: exists and is not an empty folder; "
                          f"choose a new folder name")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp",
                                    dir=target.parent))
    try:
        for rel, text in files_for(names).items():
            path = staging / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes 0700
        if target.exists():
            target.rmdir()
        os.rename(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


_PYPROJECT = '''\
[build-system]
requires = ["setuptools>=61", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "__DIST__"
version = "0.1.0"
description = "A ganzoo plugin: the __NAME__ GAN"
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["ganzoo>=__GANZOO_VERSION__"]

[project.optional-dependencies]
test = ["pytest>=8"]

# This table is what makes it a ganzoo plugin: ganzoo finds every module named in
# the `ganzoo` entry-point group. The name on the left is the plugin's name.
[project.entry-points.ganzoo]
__NAME__ = "__MODULE__"

[tool.setuptools]
packages = ["__MODULE__"]

[tool.setuptools.package-data]
__MODULE__ = ["registry.json"]

[tool.pytest.ini_options]
testpaths = ["tests"]
filterwarnings = ["ignore::DeprecationWarning:tensorflow.*", "ignore::DeprecationWarning:keras.*"]
'''

_INIT = '''\
"""The __NAME__ plugin for ganzoo: hook implementations.

ganzoo imports this module to list what it provides, so it must stay cheap to
import: TensorFlow and Keras are imported inside the factories (networks.py),
never here. Hook reference: ganzoo's docs/PLUGINS.md.
"""

from __future__ import annotations

import os
from importlib import resources
from typing import Any

from ganzoo.plugin import hookimpl

from . import networks

#: The ganzoo plugin API this plugin is written for; another ganzoo refuses it clearly.
GANZOO_API = __API__


@hookimpl
def ganzoo_register_generators(register: Any) -> None:
    register("__NAME__", networks.build_generator, params=networks.GENERATOR_PARAMS,
             description="__NAME__ generator: a two-layer perceptron")


@hookimpl
def ganzoo_register_discriminators(register: Any) -> None:
    register("__NAME__", networks.build_discriminator, params=networks.DISCRIMINATOR_PARAMS,
             description="__NAME__ discriminator: a two-layer perceptron ending in a logit")


@hookimpl
def ganzoo_register_models(register: Any) -> None:
    from ganzoo.plugin import read_registry as read_file

    with resources.as_file(resources.files(__package__) / "registry.json") as path:
        for name, entry in read_file(path).items():
            register(name, entry, source=os.path.realpath(path))
'''

_NETWORKS = '''\
"""The __NAME__ networks: factories called by ganzoo when a model is built.

Each factory receives a `ganzoo.plugin.BuildContext` (image shape, latent
size, number of classes, the run's configuration) and returns a Keras model.
Replace these perceptrons with your own architecture.
"""

from __future__ import annotations

from typing import Any

from ganzoo.plugin import BuildContext
from ganzoo.plugin import ConfigError

# Hyperparameters the networks read, with defaults: `ganzoo info __NAME__` lists them and
# `--set __IDENT___g_hidden=512` changes them. Their names are global to a run, so prefix them.
GENERATOR_PARAMS = {"__IDENT___g_hidden": 256}
DISCRIMINATOR_PARAMS = {"__IDENT___d_hidden": 256}


def _unconditional(ctx: BuildContext) -> None:
    if ctx.conditional:
        raise ConfigError("__NAME__ is unconditional; use --set conditional=false")


def build_generator(ctx: BuildContext) -> Any:
    """z (and latent codes, if the model uses them) -> image in [-1, 1] of the data shape."""
    import keras

    _unconditional(ctx)
    height, width, channels = ctx.image_shape
    z = keras.Input((ctx.generator_input_dim,), name="z")  # z and any latent codes
    x = keras.layers.Dense(int(ctx.get("__IDENT___g_hidden")), name="hidden")(z)
    x = keras.layers.LeakyReLU(0.2, name="hidden_act")(x)
    x = keras.layers.Dense(height * width * channels, name="pixels")(x)
    x = keras.layers.Reshape((height, width, channels), name="reshape")(x)
    # tanh in float32 so that images stay exact under mixed precision
    image = keras.layers.Activation("tanh", dtype="float32", name="image")(x)
    return keras.Model(z, image, name="generator")


def build_discriminator(ctx: BuildContext) -> Any:
    """image -> {"logits": (batch, 1)}."""
    import keras

    _unconditional(ctx)
    image = keras.Input(ctx.image_shape, name="image")
    x = keras.layers.Flatten(name="flatten")(image)
    x = keras.layers.Dense(int(ctx.get("__IDENT___d_hidden")), name="hidden")(x)
    x = keras.layers.LeakyReLU(0.2, name="hidden_act")(x)
    logits = keras.layers.Dense(1, dtype="float32", name="logits")(x)
    return keras.Model(image, {"logits": logits}, name="discriminator")
'''

_REGISTRY = json.dumps({
    "format": 1,
    "models": {
        "__NAME__": {
            "description": "__NAME__: a perceptron GAN made with `ganzoo new-plugin` (edit me)",
            "papers": [{
                "title": "Generative Adversarial Nets",
                "authors": "Ian J. Goodfellow, Jean Pouget-Abadie, Mehdi Mirza, Bing Xu, "
                           "David Warde-Farley, Sherjil Ozair, Aaron Courville, Yoshua Bengio",
                "year": 2014,
                "url": "https://arxiv.org/abs/1406.2661",
            }],
            "components": {"generator": "__NAME__", "discriminator": "__NAME__",
                           "loss": "nsgan", "penalties": [], "visualizers": ["grid", "losses"]},
            "dataset": "fashion-mnist-10k",
            "defaults": {"epochs": 5, "batch_size": 64, "ema": 0.0},
        },
    },
}, indent=2) + "\n"

_TEST = '''\
"""Tests of the __NAME__ plugin. Install it first: `pip install -e ".[test]"`, then `pytest`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ganzoo
from ganzoo.zoo.host import load_catalog


@pytest.fixture(autouse=True)
def _all_plugins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Load every installed plugin, whatever the shell says, and work in tmp_path."""
    monkeypatch.delenv("GANZOO_PLUGINS", raising=False)
    monkeypatch.delenv("GANZOO_BLOCK_PLUGINS", raising=False)
    monkeypatch.chdir(tmp_path)


def test_ganzoo_finds_the_plugin_and_its_model() -> None:
    cat = load_catalog()
    record = cat.plugins["__NAME__"]
    assert record.error is None, record.error
    assert record.warnings == []
    assert record.provides["generator"] == ["__NAME__"]
    assert record.provides["model"] == ["__NAME__"]
    entry, plugin, _ = cat.models["__NAME__"]
    assert plugin == "__NAME__"


def test_importing_the_plugin_does_not_import_tensorflow() -> None:
    code = "import sys, __MODULE__; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["False", "False"]


def test_two_training_steps_and_samples(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    np.save(tmp_path / "tiny.npy", rng.integers(0, 256, (32, 28, 28, 1), dtype=np.uint8))
    result = ganzoo.train("__NAME__", dataset=str(tmp_path / "tiny.npy"), steps=2,
                          batch_size=8, out=tmp_path / "run", verbose=0)
    assert result.steps == 2
    images = ganzoo.sample(result.run_dir, n=4, seed=1)
    assert images.shape == (4, 28, 28, 1)
    assert 0.0 <= images.min() and images.max() <= 1.0
'''

_README = '''\
# __DIST__

A ganzoo plugin that adds the `__NAME__` GAN.

## Use

```bash
pip install -e .            # or: pip install __DIST__
ganzoo plugins              # __NAME__ is listed with its hooks and what it provides
ganzoo list                 # the __NAME__ model appears
ganzoo run __NAME__ --steps 500
```

## Develop

- `__MODULE__/__init__.py`: the hook implementations (what the plugin registers).
- `__MODULE__/networks.py`: the generator and discriminator factories. Import TensorFlow
  and Keras inside factories only, so that `ganzoo list` stays fast.
- `__MODULE__/registry.json`: the `__NAME__` model entry: components, default
  hyperparameters, data set, papers.
- `tests/`: `pip install -e ".[test]" && python -m pytest`.

`GANZOO_API = __API__` in `__MODULE__/__init__.py` is the ganzoo plugin API this plugin
was written for; a ganzoo with another API reports it in `ganzoo plugins` instead of
loading it. ganzoo's docs/PLUGINS.md has the hook reference.
'''

_TEMPLATES: dict[str, str] = {
    "pyproject.toml": _PYPROJECT,
    "README.md": _README,
    "__MODULE__/__init__.py": _INIT,
    "__MODULE__/networks.py": _NETWORKS,
    "__MODULE__/registry.json": _REGISTRY,
    "tests/test___IDENT__.py": _TEST,
}
