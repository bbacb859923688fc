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

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

#: rows of generator input (and output) handled at once: what `input_chunks` and
#: `ganzoo.engine.generate` default to, so that memory does not grow with the sample count
DEFAULT_BATCH = 500


def code_widths(config: Mapping[str, Any]) -> tuple[int, int]:
    """(categories of the categorical code, number of continuous codes); (0, 0) without."""
    return (int(config.get("code_categorical", 0) or 0),
            int(config.get("code_continuous", 0) or 0))


def input_dim(config: Mapping[str, Any]) -> int:
    """Width of the generator input for a resolved configuration: z, then the codes.

    The one definition outside the plugin contract (`BuildContext.generator_input_dim`
    says the same to factories): the trainer's views, sampling and ``ganzoo visualize``
    all read it from here.
    """
    return int(config["latent_dim"]) + sum(code_widths(config))


def inputs(config: Mapping[str, Any], n: int, seed: int,
           categories: np.ndarray | None = None) -> np.ndarray:
    """(n, input_dim) float32: z ~ N(0, 1), then the codes.

    `categories` fixes the categorical code of each sample; by default it cycles
    through the categories (0, 1, ..., K-1, 0, ...), so a grid of K columns shows
    one category per column and a grid of K rows with `categories` repeated
    shows one per row.
    """
    if n <= 0:
        return np.zeros((0, input_dim(config)), np.float32)
    return next(input_chunks(config, n, seed, categories, batch=n))


def input_chunks(config: Mapping[str, Any], n: int, seed: int,
                 categories: np.ndarray | None = None,
                 batch: int = DEFAULT_BATCH) -> Iterator[np.ndarray]:
    """`inputs(config, n, seed, categories)` as consecutive blocks of at most `batch` rows,
    drawn when asked for, so that memory does not grow with `n`.

    The values do not depend on `batch`: z comes row by row from one PCG64 stream, and
    the continuous codes from a second stream that starts where the n rows of z end (that
    is where `inputs` always drew them; skipping there costs time, not memory).
    """
    d = int(config["latent_dim"])
    k, c = code_widths(config)
    z_rng = np.random.default_rng(seed)
    c_rng = np.random.default_rng(seed) if c else None
    if c_rng is not None:
        for start in range(0, n, batch):
            c_rng.standard_normal((min(batch, n - start), d))
    for start in range(0, n, batch):
        m = min(batch, n - start)
        parts = [z_rng.standard_normal((m, d)).astype(np.float32)]
        if k:
            rows = (np.arange(start, start + m) % k if categories is None
                    else np.asarray(categories[start:start + m]))
            parts.append(np.eye(k, dtype=np.float32)[rows.astype(np.int64)])
        if c_rng is not None:
            parts.append(c_rng.uniform(-1.0, 1.0, (m, c)).astype(np.float32))
        yield np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]


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
    categories = code_widths(config)[0]
    labels = None
    if config.get("conditional") and num_classes:
        labels = np.repeat(np.arange(num_classes, dtype=np.int32), rows)
    elif categories:
        labels = np.repeat(np.arange(categories, dtype=np.int32), rows)
    n = rows * rows if labels is None else len(labels)
    row_codes = labels if categories and not config.get("conditional") else None
    z = inputs(config, n, int(config["seed"]) + 2_000_003, categories=row_codes)
    return z, labels
