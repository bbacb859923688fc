"""ganzoo: a plugin-based zoo of Generative Adversarial Networks on TensorFlow/Keras 3.

Importing ganzoo is cheap: the Python API (`ganzoo.api`) is loaded on first use, and
TensorFlow only when a model is built.
"""

from __future__ import annotations

from typing import Any

from ganzoo.errors import GanzooError
from ganzoo.version import __version__

#: the Python API, re-exported lazily from `ganzoo.api`
_API = ("build", "build_networks", "catalog", "draw", "evaluate", "export_run",
        "list_models", "load", "resume", "run_files", "sample", "train", "write_report",
        "write_samples")

__all__ = ["GanzooError", "__version__", *_API]


def __getattr__(name: str) -> Any:
    if name in _API:
        from ganzoo import api

        return getattr(api, name)
    raise AttributeError(f"module 'ganzoo' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
