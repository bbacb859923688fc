"""Built-in visualizers: the per-epoch sample grid and the loss curves."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np

from ganzoo.components import BuildContext
from ganzoo.files import atomic_path
from ganzoo.images import save_grid
from ganzoo.visualize import VisualContext


def build_grid(ctx: BuildContext) -> Any:
    def grid(run: VisualContext) -> list[Path]:
        """samples/epoch_NNN.png from the fixed noise batch, and grid.png, the latest one.

        With grid labels (a conditional model's classes, or InfoGAN's categories) each
        row holds one label. Point data are not images: nothing to tile, no files (the
        scatter visualizer draws them).
        """
        if run.samples().ndim != 4:
            return []
        rows = None if run.grid_labels is None else len(np.unique(run.grid_labels))
        name = f"epoch_{run.epoch:03d}.png" if run.epoch else "grid.png"
        path = save_grid(run.samples(), run.run_dir / "samples" / name, rows=rows)
        latest = run.run_dir / "grid.png"
        if path != latest:
            with atomic_path(latest) as tmp:
                shutil.copyfile(path, tmp)
        return [path, latest]

    return grid


def _smooth(values: np.ndarray, window: int) -> np.ndarray:
    if len(values) < window or window < 2:
        return values
    kernel = np.ones(window) / window
    padded = np.concatenate([np.full(window - 1, values[0]), values])
    return np.convolve(padded, kernel, mode="valid")


def build_loss_curves(ctx: BuildContext) -> Any:
    def losses(run: VisualContext) -> list[Path]:
        """losses.png: every loss and penalty per step, raw (faint) and smoothed."""
        rows = run.metrics()
        if not rows:
            return []
        import matplotlib

        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot as plt

        penalties = list(run.config.get("penalties", []))
        terms = set(penalties) | {f"{p}_g" for p in penalties}  # D and G parts of terms
        keys = [k for k in rows[0] if k.endswith("_loss") or k in terms]
        steps = np.array([r.get("step", i) for i, r in enumerate(rows)])
        fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
        window = max(1, len(rows) // 50)
        for key in keys:
            values = np.array([r.get(key, np.nan) for r in rows], dtype=float)
            (line,) = ax.plot(steps, _smooth(values, window), label=key, linewidth=1.5)
            ax.plot(steps, values, color=line.get_color(), alpha=0.2, linewidth=0.6)
        ax.set_xlabel("generator step")
        ax.set_ylabel("loss")
        ax.set_title(f"{run.config.get('model', '')} losses (smoothed over {window} steps)")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        out = run.run_dir / "losses.png"
        with atomic_path(out) as tmp:
            fig.savefig(tmp, format="png")
        plt.close(fig)
        return [out]

    return losses
