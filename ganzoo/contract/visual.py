"""What a visualizer is given, during training (each epoch) and afterwards.

Visualizers are plugin components: a factory ``(BuildContext | None) -> callable``
whose callable takes a `VisualContext` and returns the files it wrote. They work on
numpy arrays, so they never need TensorFlow themselves: the context hands them a
``generate`` function and the training images. The same context is built, by one
function (`ganzoo.visual.context.build_context`), for the trainer after each epoch and
for ``ganzoo visualize`` on a run folder or an export, so every visualizer works, and
draws the same pictures, in both places.

A visualizer that cannot run on what it was given (a loss plot without
metrics.csv, an image view of 2-D points) calls `VisualContext.skip` with the
reason and returns no files; training goes on, and ``ganzoo visualize`` prints
the reason as its error.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

#: (z, labels or None) -> generated samples in [0, 1]
GenerateFn = Callable[[np.ndarray, "np.ndarray | None"], np.ndarray]
#: images in [0, 1], (n, H, W, C) -> features (n, d); used for nearest neighbours
FeatureFn = Callable[[np.ndarray], np.ndarray]
#: (n, seed) -> generator inputs (n, latent_dim): z, then any latent codes
InputsFn = Callable[[int, int], np.ndarray]


@dataclass
class VisualContext:
    #: the run folder, or None when visualizing an exported file
    run_dir: Path | None
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
    #: where visualizers write their files; defaults to run_dir
    out_dir: Path | None = None
    #: draws samples for any noise (and labels); None when no generator is at hand
    generate: GenerateFn | None = None
    #: width of the generator's input: z and any latent codes (InfoGAN), so that
    #: ``generate(noise(n, salt))`` fits every model (the name predates the codes)
    latent_dim: int = 0
    #: classes the generator is conditioned on; 0 for unconditional models
    num_classes: int = 0
    #: () -> (all training images as stored (uint8 for images), labels or None)
    training_data: Callable[[], tuple[np.ndarray, np.ndarray | None]] | None = None
    #: feature function for nearest neighbours; None means pixel space
    features: FeatureFn | None = None
    #: draws generator inputs in the model's layout (see `noise`); None: plain Gaussian
    draw_inputs: InputsFn | None = None
    #: reasons given by visualizers that wrote nothing (see `skip`)
    skipped: list[str] = field(default_factory=list)
    _cache: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.out_dir is None:
            if self.run_dir is None:
                raise ValueError("VisualContext needs run_dir or out_dir")
            self.out_dir = self.run_dir

    @property
    def out(self) -> Path:
        """The folder to write into (``out_dir``)."""
        assert self.out_dir is not None
        return self.out_dir

    @property
    def seed(self) -> int:
        return int(self.config.get("seed", 0))

    def samples(self) -> np.ndarray:
        """Grid samples, generated at most once per context."""
        if "grid" not in self._cache:
            self._cache["grid"] = self.grid_samples()
        return self._cache["grid"]

    def is_image_data(self) -> bool:
        """True when samples are images (N, H, W, C); False for point data such as 2-D toys."""
        return np.ndim(self.samples()) == 4

    def skip(self, reason: str) -> list[Path]:
        """Record why a visualizer wrote nothing; returns [] for ``return run.skip(...)``."""
        self.skipped.append(reason)
        return []

    def real(self, n: int, labels: np.ndarray | None = None) -> np.ndarray | None:
        """n training images in [0, 1], a fixed random choice (the run's seed).

        With `labels`, image i is drawn from class ``labels[i]`` (conditional views).
        Falls back to `real_samples` when the full training set is not at hand.
        """
        if self.training_data is not None:
            key = "training"
            if key not in self._cache:
                self._cache[key] = self.training_data()
            images, classes = self._cache[key]
            rng = np.random.default_rng(self.seed + 3_000_017)
            if labels is not None and classes is not None:
                picks = np.empty(len(labels), dtype=np.int64)
                for c in np.unique(labels):
                    pool = np.flatnonzero(classes == c)
                    slots = np.flatnonzero(labels == c)
                    if len(pool) == 0:
                        return None
                    picks[slots] = rng.choice(pool, len(slots), replace=len(pool) < len(slots))
            else:
                picks = rng.choice(len(images), min(n, len(images)), replace=False)
            return as_unit(images[picks])
        if self.real_samples is None:
            return None
        return np.asarray(self.real_samples[:n], dtype=np.float32)

    def noise(self, n: int, salt: int) -> np.ndarray:
        """Generator inputs (n, latent_dim) from numpy's PCG64, fixed by the run's seed and
        `salt`: Gaussian z, then any latent codes drawn as in training (one-hot categories
        cycling over the rows, uniform continuous codes), so they are inputs the
        generator was trained on. Without codes, the plain Gaussian noise of old."""
        if self.draw_inputs is not None:
            return self.draw_inputs(n, self.seed + salt)
        return np.random.default_rng(self.seed + salt).standard_normal(
            (n, self.latent_dim)).astype(np.float32)

    def labels_for(self, n: int) -> np.ndarray | None:
        """Labels cycling through the classes for conditional models, else None."""
        if not self.num_classes:
            return None
        return (np.arange(n) % self.num_classes).astype(np.int32)

    def table(self, name: str) -> list[dict[str, float]]:
        """Rows of a CSV file of the run (metrics.csv, eval.csv...) as floats.

        Cells that are not numbers are dropped; a missing file gives no rows.
        """
        if self.run_dir is None:
            return []
        path = self.run_dir / name
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

    def metrics(self) -> list[dict[str, float]]:
        """Rows of the run's metrics.csv as floats (empty cells dropped)."""
        return self.table("metrics.csv")


def as_unit(images: np.ndarray) -> np.ndarray:
    """Training images as stored (uint8 0..255, or floats already in [0, 1]) -> float32 [0, 1]."""
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return images.astype(np.float32) / 255.0
    return images.astype(np.float32)
