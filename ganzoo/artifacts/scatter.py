"""2-D points to pictures: generated against real points, with a toy set's modes marked.

Used by the `scatter` visualizer after each epoch and by ``ganzoo sample ... --out
FILE.png`` for point data. matplotlib is imported inside the function (Agg backend),
so importing this module costs nothing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ganzoo.artifacts.files import atomic_path


def save_scatter(
    points: np.ndarray,
    path: str | Path,
    *,
    real: np.ndarray | None = None,
    modes: np.ndarray | None = None,
    radius: float | None = None,
    title: str = "",
) -> Path:
    """Write a PNG: `points` (n, 2) over `real` points, `modes` as crosses.

    With `radius`, a circle of that radius around each mode shows where a sample
    counts as high quality. Points with more than two coordinates are drawn by
    their first two. Non-finite points are left out of the picture.
    """
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    def xy(a: np.ndarray) -> np.ndarray:
        a = np.asarray(a, dtype=np.float64).reshape(len(a), -1)
        if a.shape[1] == 1:
            a = np.concatenate([a, np.zeros_like(a)], axis=1)
        a = a[:, :2]
        return a[np.isfinite(a).all(axis=1)]

    fig, ax = plt.subplots(figsize=(6, 6), dpi=100)
    if real is not None and len(real):
        r = xy(real)
        ax.scatter(r[:, 0], r[:, 1], s=4, c="#9a9a9a", alpha=0.35, linewidths=0,
                   label=f"real ({len(r)})")
    g = xy(points)
    ax.scatter(g[:, 0], g[:, 1], s=4, c="#d62728", alpha=0.5, linewidths=0,
               label=f"generated ({len(g)})")
    if modes is not None and len(modes):
        m = xy(modes)
        ax.scatter(m[:, 0], m[:, 1], marker="x", s=40, c="black", linewidths=1.2,
                   label="modes")
        if radius:
            for cx, cy in m:
                ax.add_patch(plt.Circle((cx, cy), radius, fill=False, lw=0.6, color="black",
                                        alpha=0.6))
        # Frame the modes with a margin, whatever the generator does far away.
        span = max(float(np.ptp(m[:, 0])), float(np.ptp(m[:, 1])), 1.0)
        centre = (m.max(axis=0) + m.min(axis=0)) / 2
        half = 0.5 * span + 0.35 * span
        ax.set_xlim(centre[0] - half, centre[0] + half)
        ax.set_ylim(centre[1] - half, centre[1] + half)
    ax.set_aspect("equal")
    ax.grid(alpha=0.25)
    ax.legend(loc="upper right", fontsize=8, markerscale=2)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return path
