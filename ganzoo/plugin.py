"""The stable API for plugin authors: everything a plugin imports from ganzoo.

    from ganzoo.plugin import hookimpl, BuildContext, ConfigError

It holds the hook markers, the contexts components are handed, `ImageData`, the
`Protocol` of each component kind, the errors to raise, and helpers for writing
files, images and gradient penalties. Importing it never imports TensorFlow: the
contract types load at once (they are plain dataclasses), every helper on first use.
Names here keep working within one plugin API version (`API_VERSION`); anything
imported from elsewhere in ganzoo may change without notice. The built-in plugins
(`ganzoo_plugins`) import from this module only, like any third-party plugin.
"""

from __future__ import annotations

import importlib
from typing import Any

from ganzoo.contract.contexts import BuildContext, EvalContext, StepContext
from ganzoo.contract.hookspecs import API_VERSION, hookimpl, hookspec
from ganzoo.contract.imagedata import DEFAULT_DATASET, ImageData, is_point_shape
from ganzoo.contract.protocols import (
    DatasetLoader,
    Loss,
    Metric,
    NetworkFactory,
    Penalty,
    StatefulLoss,
    Term,
    Visualizer,
)
from ganzoo.contract.visual import VisualContext, as_unit
from ganzoo.errors import ConfigError, DataError, GanzooError, PluginError

#: helper name -> "module" (the module itself) or "module:attribute", loaded on first use
_HELPERS: dict[str, str] = {
    # writing files atomically (a crash never leaves half a file)
    "atomic_path": "ganzoo.artifacts.files:atomic_path",
    "write_json": "ganzoo.artifacts.files:write_json",
    "write_text": "ganzoo.artifacts.files:write_text",
    # images as numpy arrays in [0, 1]: tiling, captions, PNG and GIF files
    "to_unit": "ganzoo.artifacts.images:to_unit",
    "tile": "ganzoo.artifacts.images:tile",
    "save_png": "ganzoo.artifacts.images:save_png",
    "save_grid": "ganzoo.artifacts.images:save_grid",
    "save_gif": "ganzoo.artifacts.images:save_gif",
    "captioned": "ganzoo.artifacts.images:captioned",
    "hstack": "ganzoo.artifacts.images:hstack",
    "vstack": "ganzoo.artifacts.images:vstack",
    "grid_scale": "ganzoo.artifacts.images:grid_scale",
    "save_scatter": "ganzoo.artifacts.scatter:save_scatter",
    # latent space and pixel statistics (numpy)
    "slerp": "ganzoo.engine.latent:slerp",
    "interpolation_paths": "ganzoo.engine.latent:interpolation_paths",
    "pixel_histogram": "ganzoo.visual.pixelstats:pixel_histogram",
    "total_variation": "ganzoo.visual.pixelstats:total_variation",
    "nearest": "ganzoo.visual.neighbours:nearest",
    # numerics of the evaluation metrics (numpy/scipy), and feature extractors
    "metrics": "ganzoo.evaluation.metrics",
    "features": "ganzoo.evaluation.features",
    # data: the built-in sets and the toy 2-D benchmarks
    "datasets": "ganzoo.data.loading",
    "toy": "ganzoo.data.toy",
    "read_registry": "ganzoo.zoo.registry:read_file",
    # TensorFlow-side helpers (import TensorFlow when first used)
    "layers": "ganzoo.engine.layers",
    "dtype_policy": "ganzoo.engine.runtime:dtype_policy",
    "input_gradients": "ganzoo.engine.gradients:input_gradients",
    "input_gradient_norms": "ganzoo.engine.gradients:input_gradient_norms",
}

__all__ = [
    "API_VERSION",
    "BuildContext",
    "ConfigError",
    "DEFAULT_DATASET",
    "DataError",
    "DatasetLoader",
    "EvalContext",
    "GanzooError",
    "ImageData",
    "Loss",
    "Metric",
    "NetworkFactory",
    "Penalty",
    "PluginError",
    "StatefulLoss",
    "StepContext",
    "Term",
    "VisualContext",
    "Visualizer",
    "as_unit",
    "hookimpl",
    "hookspec",
    "is_point_shape",
    *_HELPERS,
]


def __getattr__(name: str) -> Any:
    target = _HELPERS.get(name)
    if target is None:
        raise AttributeError(f"module 'ganzoo.plugin' has no attribute {name!r}")
    module_name, _, attribute = target.partition(":")
    module = importlib.import_module(module_name)
    value = getattr(module, attribute) if attribute else module
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
