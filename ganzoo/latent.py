"""The generator's input on the numpy side: noise z, then the latent codes (InfoGAN).

The generator reads one vector per sample: ``latent_dim`` Gaussian values, then
a one-hot categorical code of ``code_categorical`` entries, then
``code_continuous`` values uniform in [-1, 1]. The train step draws the same
layout with Keras' random ops (`ganzoo.gan`); this module draws it with numpy's
PCG64 for grids and ``ganzoo sample``, so the same seed gives the same inputs
on every platform.
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
