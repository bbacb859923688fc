"""The generator's input space on the numpy side: drawing inputs, and paths through it.

The generator reads one vector per sample: ``latent_dim`` Gaussian values, then
a one-hot categorical code of ``code_categorical`` entries, then
``code_continuous`` values uniform in [-1, 1] (InfoGAN). The train step draws the
same layout with Keras' random ops (`ganzoo.engine.gan`); `inputs` draws it with numpy's
PCG64 for grids and ``ganzoo sample``, so the same seed gives the same inputs on
every platform.

Gaussian noise in many dimensions concentrates on a shell of radius about
sqrt(d); the straight line between two samples passes well inside it, where the
generator saw almost no training noise. Spherical interpolation (`slerp`) keeps
the path on the shell (White 2016, "Sampling Generative Networks", arXiv:1609.04468).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np


def input_dim(config: Mapping[str, Any]) -> int:
    """Width of the generator input for a resolved configuration."""
    return (int(config["latent_dim"]) + int(config.get("code_categorical", 0) or 0)
            + int(config.get("code_continuous", 0) or 0))


def inputs(config: Mapping[str, Any], n: int, seed: int,
           categories: np.ndarray | None = None) -> np.ndarray:
    """(n, input_dim) float32: z ~ N(0, 1), then the codes.

    `categories` fixes the categorical code of each sample; by default it cycles
    through the categories (0, 1, ..., K-1, 0, ...), so a grid of K columns shows
    one category per column and a grid of K rows with `categories` repeated
    shows one per row.
    """
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, int(config["latent_dim"]))).astype(np.float32)
    parts = [z]
    k = int(config.get("code_categorical", 0) or 0)
    c = int(config.get("code_continuous", 0) or 0)
    if k:
        if categories is None:
            categories = np.arange(n) % k
        parts.append(np.eye(k, dtype=np.float32)[np.asarray(categories, dtype=np.int64)])
    if c:
        parts.append(rng.uniform(-1.0, 1.0, (n, c)).astype(np.float32))
    return np.concatenate(parts, axis=1)


def slerp(a: np.ndarray, b: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """Spherical interpolation between vectors `a` and `b` (shape (d,)) at fractions `t`.

    Returns (len(t), d), or (d,) for a scalar t. Nearly parallel vectors fall back to
    linear interpolation, where slerp's formula divides by ~0.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    ts = np.atleast_1d(np.asarray(t, dtype=np.float64))[:, None]
    cos = float(np.dot(a, b) / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12))
    omega = float(np.arccos(np.clip(cos, -1.0, 1.0)))
    if np.sin(omega) < 1e-6:
        out = (1.0 - ts) * a + ts * b
    else:
        out = (np.sin((1.0 - ts) * omega) * a + np.sin(ts * omega) * b) / np.sin(omega)
    out = out.astype(np.float32)
    return out if np.ndim(t) else out[0]


def interpolation_paths(starts: np.ndarray, ends: np.ndarray, steps: int) -> np.ndarray:
    """(rows, steps, d): `steps` evenly spaced slerp points from each start to its end."""
    ts = np.linspace(0.0, 1.0, steps)
    return np.stack([slerp(a, b, ts) for a, b in zip(starts, ends, strict=True)])


def grid_inputs(config: Mapping[str, Any],
                num_classes: int) -> tuple[np.ndarray, np.ndarray | None]:
    """The fixed generator inputs of the per-epoch grid, and the label of each grid row.

    Conditional models draw one row per class; models with a categorical latent code
    (InfoGAN) one row per category, so a row shows what the code controls. The
    second value (None for a plain grid) is the class or category of each sample.
    """
    rows = int(config["grid_rows"])
    categories = int(config.get("code_categorical", 0) or 0)
    labels = None
    if config.get("conditional") and num_classes:
        labels = np.repeat(np.arange(num_classes, dtype=np.int32), rows)
    elif categories:
        labels = np.repeat(np.arange(categories, dtype=np.int32), rows)
    n = rows * rows if labels is None else len(labels)
    row_codes = labels if categories and not config.get("conditional") else None
    z = inputs(config, n, int(config["seed"]) + 2_000_003, categories=row_codes)
    return z, labels
