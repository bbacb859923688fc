"""What a visualizer is given, during training (each epoch) and afterwards.

Visualizers are plugin components: a factory ``(BuildContext) -> callable`` whose
callable takes a `VisualContext` and returns the files it wrote. They work on
numpy arrays, so they never need TensorFlow themselves.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np


@dataclass
class VisualContext:
    run_dir: Path
    config: Mapping[str, Any]
    #: epoch just finished (1-based); 0 when called outside training
    epoch: int
    step: int
    #: True after the last epoch, or when called by `ganzoo visualize`
    final: bool
    #: fixed-noise samples in [0, 1], (n, H, W, C), the same noise every epoch
    grid_samples: Callable[[], np.ndarray]
    #: labels of the grid samples (one row per class), or None
    grid_labels: np.ndarray | None = None
    class_names: tuple[str, ...] = ()
    #: a few real training images in [0, 1], for side-by-side views
    real_samples: np.ndarray | None = None
    _cache: dict[str, Any] = field(default_factory=dict)

    def samples(self) -> np.ndarray:
        """Grid samples, generated at most once per context."""
        if "grid" not in self._cache:
            self._cache["grid"] = self.grid_samples()
        return self._cache["grid"]

    def metrics(self) -> list[dict[str, float]]:
        """Rows of the run's metrics.csv as floats (empty cells dropped)."""
        path = self.run_dir / "metrics.csv"
        if not path.exists():
            return []
        rows = []
        with path.open(newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                parsed = {}
                for key, value in row.items():
                    try:
                        parsed[key] = float(value)
                    except (TypeError, ValueError):
                        continue
                rows.append(parsed)
        return rows
