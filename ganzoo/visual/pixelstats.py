"""Pixel-intensity histograms: the "histogram statistics" check of generated images.

A generator that has learnt the data reproduces its distribution of pixel values,
channel by channel: Fashion-MNIST's mass of black background and its spread of
greys. A collapsed or saturated generator shows up as spikes or a shifted mass
long before samples look wrong to the eye.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PixelHistogram:
    """Counts of pixel values per channel over fixed bins in [0, 1]."""

    edges: np.ndarray  # (bins + 1,)
    counts: np.ndarray  # (channels, bins), int64; each row sums to images * H * W
    images: int

    @property
    def density(self) -> np.ndarray:
        """Counts as fractions of each channel's pixels (rows sum to 1)."""
        totals = self.counts.sum(axis=1, keepdims=True)
        return self.counts / np.maximum(totals, 1)


def pixel_histogram(images: np.ndarray, bins: int = 32) -> PixelHistogram:
    """Histogram of (N, H, W, C) values in [0, 1]; the last bin includes 1.0."""
    images = np.asarray(images)
    edges = np.linspace(0.0, 1.0, bins + 1)
    counts = np.stack([np.histogram(np.clip(images[..., c], 0.0, 1.0), bins=edges)[0]
                       for c in range(images.shape[-1])]).astype(np.int64)
    return PixelHistogram(edges=edges, counts=counts, images=int(images.shape[0]))


def total_variation(a: PixelHistogram, b: PixelHistogram) -> np.ndarray:
    """Per-channel total variation distance between two histograms, in [0, 1] (0: equal)."""
    return 0.5 * np.abs(a.density - b.density).sum(axis=1)
