"""The `nearest` visualizer: is the generator copying its training images?

For the first 8 grid samples it finds the 3 closest of the run's real sample
images (Euclidean distance in pixel space) and writes one row per sample:
the sample, then its neighbours, into ``nearest.png``. A row of near-identical
images is a sign of memorisation. It works on numpy arrays only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ganzoo.images import save_grid

SAMPLES = 8
NEIGHBOURS = 3


def nearest_rows(samples: np.ndarray, real: np.ndarray, k: int = NEIGHBOURS) -> np.ndarray:
    """(n, H, W, C) samples and (m, H, W, C) real images -> (n * (k + 1), H, W, C) rows."""
    flat_s = samples.reshape(len(samples), -1).astype(np.float64)
    flat_r = real.reshape(len(real), -1).astype(np.float64)
    dist = ((flat_s[:, None, :] - flat_r[None, :, :]) ** 2).sum(-1)
    order = np.argsort(dist, axis=1, kind="stable")[:, :k]
    rows = [np.concatenate([samples[i:i + 1], real[order[i]]]) for i in range(len(samples))]
    return np.concatenate(rows).astype(np.float32)


def build_nearest(ctx: Any) -> Any:
    def nearest(run: Any) -> list[Path]:
        """nearest.png: each sample, then its nearest real images."""
        if run.real_samples is None or len(run.real_samples) == 0:
            return []
        samples = run.samples()[:SAMPLES]
        k = min(NEIGHBOURS, len(run.real_samples))
        rows = nearest_rows(samples, run.real_samples, k)
        return [save_grid(rows, run.run_dir / "nearest.png", rows=len(samples))]

    return nearest
