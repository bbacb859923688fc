"""The toy 2-D benchmarks for mode collapse, `ring8` and `grid25`, and their metrics.

Both are equal-weight mixtures of isotropic Gaussians, defined as in PacGAN
(Lin et al. 2018, Section 5.1 and its published experiment configuration), which
follows VEEGAN (Srivastava et al. 2017, Section 5.1):

- ``ring8``: 8 modes at (cos(2πk/8), sin(2πk/8)), k = 0..7 (radius 1), std 0.01;
- ``grid25``: 25 modes at (i, j) for i, j in {-4, -2, 0, 2, 4}, std 0.05; mode
  ``5a + b`` sits at (-4 + 2a, -4 + 2b).

The training split is 100,000 points (PacGAN's ``num_sample``), the test split
2,500 (the evaluation sample size); each is drawn once from a fixed seed, so every
run sees the same data. `mode_metrics` scores generated points the way both papers
do. Pure numpy: nothing here imports TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ganzoo.contract.imagedata import ImageData
from ganzoo.errors import DataError

#: Samples drawn from a generator for `mode_metrics` (VEEGAN and PacGAN use 2,500).
EVAL_SAMPLES = 2500
#: A sample is high quality within this many standard deviations of its nearest mode.
HIGH_QUALITY_STD = 3.0
_SPLIT_SIZES = {"train": 100_000, "test": EVAL_SAMPLES}
_SPLIT_SEEDS = {"train": 0, "test": 1}
_CHUNK = 65_536


@dataclass(frozen=True, eq=False)
class ToySet:
    """A mixture of equal-weight isotropic Gaussians: its modes and their common std."""

    name: str
    means: np.ndarray  # float64 (K, 2)
    std: float
    description: str

    @property
    def modes(self) -> int:
        return int(self.means.shape[0])

    @property
    def dim(self) -> int:
        return int(self.means.shape[1])

    def mode_names(self) -> tuple[str, ...]:
        """'mode 3 (-0.71, 0.71)': class names for the mode labels."""
        return tuple(f"mode {k} ({x:.2f}, {y:.2f})" for k, (x, y) in enumerate(self.means))


def _ring8() -> ToySet:
    angles = 2.0 * np.pi * np.arange(8) / 8
    means = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return ToySet("ring8", means, 0.01,
                  "8 Gaussians on a circle of radius 1, std 0.01 (PacGAN/VEEGAN 2D-ring)")


def _grid25() -> ToySet:
    ticks = np.arange(-4.0, 5.0, 2.0)
    means = np.array([(x, y) for x in ticks for y in ticks])
    return ToySet("grid25", means, 0.05,
                  "25 Gaussians on a 5x5 grid, spacing 2, std 0.05 (PacGAN/VEEGAN 2D-grid)")


_BUILDERS = {"ring8": _ring8, "grid25": _grid25}


def toy_names() -> tuple[str, ...]:
    """Names of the toy sets, in the order docs list them."""
    return tuple(_BUILDERS)


def toy_set(name: str) -> ToySet:
    """The definition of toy set `name`; a `DataError` names the known sets."""
    try:
        return _BUILDERS[name]()
    except KeyError:
        raise DataError(
            f"{name!r} is not a toy data set with known modes; choose one of "
            f"{', '.join(_BUILDERS)}"
        ) from None


def sample_toy(name: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n points (float32, (n, 2)) and their mode indices (int64), from numpy's PCG64."""
    spec = toy_set(name)
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, spec.modes, size=n)
    noise = rng.standard_normal((n, spec.dim))
    points = spec.means[labels] + spec.std * noise
    return points.astype(np.float32), labels.astype(np.int64)


def load_toy(name: str, split: str = "train") -> ImageData:
    """The fixed train (100,000 points) or test (2,500) split; labels are the mode indices."""
    if split not in _SPLIT_SIZES:
        raise DataError(f"unknown split {split!r}; use 'train' or 'test'")
    spec = toy_set(name)
    points, labels = sample_toy(name, _SPLIT_SIZES[split], _SPLIT_SEEDS[split])
    source = (f"ganzoo.data.toy: {spec.description}; {split} split, "
              f"{len(points)} points, numpy PCG64 seed {_SPLIT_SEEDS[split]}")
    return ImageData(points, labels, spec.modes, name, source, spec.mode_names())


def mode_metrics(points: np.ndarray, dataset: str, *,
                 threshold: float = HIGH_QUALITY_STD) -> dict:
    """Mode coverage and sample quality of generated points on a toy set.

    The definitions of VEEGAN (Srivastava et al. 2017, Section 5.1), also used by
    PacGAN (Lin et al. 2018):

    - every sample is assigned to its nearest mode (Euclidean distance; all modes
      share one std, so this is also the nearest in standard deviations);
    - a sample is *high quality* when it lies within ``threshold`` (3) standard
      deviations of that nearest mode: ``distance <= 3 * std``;
    - a mode is *covered* when at least one high-quality sample is assigned to it.

    Non-finite points (a diverged generator) count as samples that are not high
    quality. Both papers score 2,500 samples (`EVAL_SAMPLES`); so should callers,
    since coverage grows with the number of samples. Real data scores every mode and
    about 98.9% high quality (the mass of a 2-D Gaussian within 3 std, 1 - e^-4.5).

    Returns a JSON-ready dict: ``dataset``, ``samples``, ``modes`` (how many the set
    has), ``modes_covered``, ``covered`` and ``missed`` (mode indices),
    ``high_quality`` (a count), ``high_quality_share`` (in [0, 1]), ``per_mode``
    (high-quality samples per mode), ``std`` and ``threshold_std``.
    """
    spec = toy_set(dataset)
    pts = np.asarray(points)
    if pts.ndim != 2 or pts.shape[1] != spec.dim or pts.shape[0] == 0:
        raise DataError(
            f"mode metrics of {dataset} need points of shape (N, {spec.dim}) with N >= 1; "
            f"got shape {pts.shape}"
        )
    if pts.dtype.kind not in "fiu":
        raise DataError(f"mode metrics need numeric points; got dtype {pts.dtype}")
    if not threshold > 0:
        raise DataError(f"threshold must be a positive number of standard deviations; "
                        f"got {threshold}")
    pts = pts.astype(np.float64)
    finite = np.isfinite(pts).all(axis=1)
    nearest = np.zeros(len(pts), dtype=np.int64)
    distance = np.full(len(pts), np.inf)
    for start in range(0, len(pts), _CHUNK):
        block = pts[start:start + _CHUNK]
        block = np.where(np.isfinite(block), block, 0.0)
        d2 = ((block[:, None, :] - spec.means[None, :, :]) ** 2).sum(axis=2)
        nearest[start:start + _CHUNK] = d2.argmin(axis=1)
        distance[start:start + _CHUNK] = np.sqrt(d2.min(axis=1))
    high = finite & (distance <= threshold * spec.std)
    per_mode = np.bincount(nearest[high], minlength=spec.modes)
    covered = np.flatnonzero(per_mode > 0)
    return {
        "dataset": spec.name,
        "samples": len(pts),
        "modes": spec.modes,
        "modes_covered": len(covered),
        "covered": [int(k) for k in covered],
        "missed": [int(k) for k in np.flatnonzero(per_mode == 0)],
        "high_quality": int(high.sum()),
        "high_quality_share": float(high.mean()),
        "per_mode": [int(c) for c in per_mode],
        "std": spec.std,
        "threshold_std": float(threshold),
    }
