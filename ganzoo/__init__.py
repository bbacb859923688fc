"""ganzoo: a plugin-based zoo of Generative Adversarial Networks on TensorFlow/Keras 3.

Importing ganzoo is cheap: TensorFlow is imported only when a model is built.
"""

from __future__ import annotations

__version__ = "0.1.0"

from ganzoo.api import (
    build,
    build_networks,
    catalog,
    draw,
    export_run,
    list_models,
    load,
    sample,
    train,
    write_report,
)
from ganzoo.errors import GanzooError

__all__ = [
    "GanzooError",
    "__version__",
    "build",
    "build_networks",
    "catalog",
    "draw",
    "export_run",
    "list_models",
    "load",
    "sample",
    "train",
    "write_report",
]
