"""The `moments` visualizer: pixel-wise mean and spread of generated vs real images.

A generator that covers the data reproduces both the average image and how much
each pixel varies; one that collapses onto few modes shows a spread image that
is too dark. ``moments.png`` has two rows, real then generated: the per-pixel
mean, then the per-pixel standard deviation (scaled by 2, so that the largest
possible spread of images in [0, 1], 0.5, is white). It works on numpy arrays.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ganzoo.plugin import save_grid


def moments(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean, 2 * std) over the batch, each (H, W, C) in [0, 1]."""
    images = np.asarray(images, dtype=np.float64)
    return images.mean(axis=0), np.clip(2.0 * images.std(axis=0), 0.0, 1.0)


def build_moments(ctx: Any) -> Any:
    def view(run: Any) -> list[Path]:
        """moments.png: mean and spread of real (top) and generated (bottom) images."""
        if not run.is_image_data():
            return run.skip("moments needs image data")
        fake = run.samples()
        real = run.real(len(fake))
        if real is None or len(real) == 0:
            return run.skip("moments needs real training images")
        panels = np.stack([*moments(real), *moments(fake)]).astype(np.float32)
        return [save_grid(panels, run.out / "moments.png", rows=2)]

    return view
