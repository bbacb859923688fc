"""Nearest training neighbours of generated samples: a memorization check.

A generator that copies its training set produces samples whose nearest training
image is a near-duplicate. Distances are L2 in a feature space given by a
*feature function* ``images in [0, 1] (n, H, W, C) -> (n, d)``; without one they
are taken in pixel space, which finds copies but also favours images of the same
brightness. A classifier's penultimate layer is the better space: it compares what
the images show.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

FeatureFn = Callable[[np.ndarray], np.ndarray]


def pixel_features(images: np.ndarray) -> np.ndarray:
    """The fallback feature space: flattened pixels."""
    images = np.asarray(images, dtype=np.float32)
    return images.reshape(len(images), -1)


def nearest(queries: np.ndarray, train: np.ndarray, k: int,
            features: FeatureFn | None = None, chunk: int = 4096,
            to_unit: Callable[[np.ndarray], np.ndarray] | None = None,
            ) -> tuple[np.ndarray, np.ndarray]:
    """Indices (n, k) of the k nearest `train` images to each query, and their L2 distances.

    `train` is visited in chunks (converted by `to_unit`, then featurized), so a
    large training set never needs its features in memory all at once.
    """
    feat = features or pixel_features
    q = np.asarray(feat(queries), dtype=np.float64)
    q_sq = (q * q).sum(axis=1)[:, None]
    k = min(k, len(train))
    best_d = np.full((len(q), 0), np.inf)
    best_i = np.zeros((len(q), 0), dtype=np.int64)
    for start in range(0, len(train), chunk):
        block = train[start:start + chunk]
        f = np.asarray(feat(to_unit(block) if to_unit else block), dtype=np.float64)
        d2 = q_sq + (f * f).sum(axis=1)[None, :] - 2.0 * q @ f.T
        dist = np.sqrt(np.maximum(d2, 0.0))
        idx = np.broadcast_to(np.arange(start, start + len(block)), dist.shape)
        all_d = np.concatenate([best_d, dist], axis=1)
        all_i = np.concatenate([best_i, idx], axis=1)
        order = np.argsort(all_d, axis=1, kind="stable")[:, :k]
        best_d = np.take_along_axis(all_d, order, axis=1)
        best_i = np.take_along_axis(all_i, order, axis=1)
    return best_i, best_d
