"""Built-in chart visualizers (matplotlib): loss curves, metric curves and the
pixel-intensity histogram of real against generated images.

matplotlib is imported inside the callables, with the file-only Agg backend, so
that registering these costs nothing and no display is ever needed.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from ganzoo.plugin import BuildContext, VisualContext, atomic_path, write_json

HISTOGRAM_PARAMS = {"hist_samples": 200, "hist_bins": 32}
_HISTOGRAM_SALT = 7_000_003

#: metrics.csv columns that are bookkeeping, not curves
_NOT_CURVES = {"step", "epoch", "seconds"}


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> Path:
    plt = _pyplot()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
    return path


def _smooth(values: np.ndarray, window: int) -> np.ndarray:
    if len(values) < window or window < 2:
        return values
    kernel = np.ones(window) / window
    padded = np.concatenate([np.full(window - 1, values[0]), values])
    return np.convolve(padded, kernel, mode="valid")


def _loss_keys(run: VisualContext, rows: list[dict[str, float]]) -> list[str]:
    penalties = list(run.config.get("penalties", []))
    terms = set(penalties) | {f"{p}_g" for p in penalties}  # D and G parts of terms
    return [k for k in rows[0] if k.endswith("_loss") or k in terms]


def build_loss_curves(ctx: BuildContext | None) -> Any:
    def losses(run: VisualContext) -> list[Path]:
        """losses.png: every loss and penalty per step, raw (faint) and smoothed."""
        rows = run.metrics()
        if not rows:
            return run.skip("loss curves need a run folder with metrics.csv")
        plt = _pyplot()
        keys = _loss_keys(run, rows)
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
        if keys:
            ax.legend()
        fig.tight_layout()
        return [_save(fig, run.out / "losses.png")]

    return losses


def metric_series(run: VisualContext) -> list[tuple[str, np.ndarray, np.ndarray, str]]:
    """(name, x, y, x label) for every numeric column worth a curve.

    From metrics.csv: every column that is not a loss, a penalty or bookkeeping
    (images/s and whatever else the model logs). From eval.csv (evaluation metrics,
    when the run has them): every column but step and epoch.
    """
    series = []
    for name in ("metrics.csv", "eval.csv"):
        rows = run.table(name)
        if not rows:
            continue
        skip = set(_NOT_CURVES)
        if name == "metrics.csv":
            skip |= set(_loss_keys(run, rows))
        xkey = "step" if "step" in rows[0] else "epoch" if "epoch" in rows[0] else None
        x = np.array([r.get(xkey, i) if xkey else i for i, r in enumerate(rows)], dtype=float)
        keys = list(dict.fromkeys(k for r in rows for k in r if k not in skip
                                  # eval_* columns repeat eval.csv's figures: drawn from there
                                  and not (name == "metrics.csv" and k.startswith("eval_"))))
        for key in keys:
            y = np.array([r.get(key, np.nan) for r in rows], dtype=float)
            if np.isfinite(y).any():
                label = "generator step" if xkey == "step" else (xkey or "row")
                series.append((key if name == "metrics.csv" else f"{key} ({name})", x, y, label))
    return series


def build_metric_curves(ctx: BuildContext | None) -> Any:
    def metrics(run: VisualContext) -> list[Path]:
        """metrics.png: one panel per numeric column of metrics.csv that is not a loss
        (images/s...) and of eval.csv (evaluation metrics), over training."""
        series = metric_series(run)
        if not series:
            return run.skip("metric curves need a run folder with metrics.csv or eval.csv")
        plt = _pyplot()
        cols = min(3, len(series))
        rows = math.ceil(len(series) / cols)
        fig, axes = plt.subplots(rows, cols, figsize=(4 * cols, 3 * rows), dpi=100,
                                 squeeze=False)
        for ax, (name, x, y, xlabel) in zip(axes.flat, series, strict=False):
            ok = np.isfinite(y)
            window = max(1, int(ok.sum()) // 50)
            marker = "o" if ok.sum() <= 30 else None
            ax.plot(x[ok], _smooth(y[ok], window), marker=marker, markersize=3, linewidth=1.3)
            ax.set_title(name, fontsize=10)
            ax.set_xlabel(xlabel, fontsize=8)
            ax.grid(alpha=0.3)
        for ax in list(axes.flat)[len(series):]:
            ax.axis("off")
        fig.suptitle(f"{run.config.get('model', '')} metrics over training")
        fig.tight_layout()
        return [_save(fig, run.out / "metrics.png")]

    return metrics


def build_histogram(ctx: BuildContext | None) -> Any:
    def histogram(run: VisualContext) -> list[Path]:
        """histogram.png: pixel-intensity histograms of real and generated images, one
        panel per channel, with their total variation distance; histogram.json: the
        counts (each channel's bins sum to images x height x width)."""
        from ganzoo.plugin import pixel_histogram, total_variation

        if not run.is_image_data():
            return run.skip("the pixel histogram needs image data (N, H, W, C)")
        n = max(1, int(run.config.get("hist_samples", HISTOGRAM_PARAMS["hist_samples"])))
        bins = max(2, int(run.config.get("hist_bins", HISTOGRAM_PARAMS["hist_bins"])))
        real = run.real(n)
        if real is None:
            return run.skip("the pixel histogram needs the training images")
        n = len(real)
        if run.generate is not None and run.latent_dim:
            fake = run.generate(run.noise(n, _HISTOGRAM_SALT), run.labels_for(n))
        else:
            fake = run.samples()[:n]
            real = real[:len(fake)]
        h_real, h_fake = pixel_histogram(real, bins), pixel_histogram(fake, bins)
        tv = total_variation(h_real, h_fake)
        channels = ["grey"] if real.shape[-1] == 1 else ["red", "green", "blue"][:real.shape[-1]]

        plt = _pyplot()
        fig, axes = plt.subplots(1, len(channels), figsize=(5 * len(channels), 3.6), dpi=100,
                                 squeeze=False)
        centres = 0.5 * (h_real.edges[:-1] + h_real.edges[1:])
        width = h_real.edges[1] - h_real.edges[0]
        for c, (ax, name) in enumerate(zip(axes[0], channels, strict=True)):
            ax.bar(centres, h_real.density[c], width=width, color="0.75", label="real")
            ax.step(h_fake.edges, np.append(h_fake.density[c], h_fake.density[c][-1]),
                    where="post", color="C3", linewidth=1.5, label="generated")
            ax.set_yscale("log")
            ax.set_xlabel(f"{name} intensity")
            ax.set_ylabel("fraction of pixels")
            ax.set_title(f"{name}: total variation {tv[c]:.3f}", fontsize=10)
            ax.legend(fontsize=8)
        fig.suptitle(f"pixel intensities, {n} real vs {len(fake)} generated images")
        fig.tight_layout()
        png = _save(fig, run.out / "histogram.png")
        path = run.out / "histogram.json"
        write_json(path, {
            "bins": h_real.edges.round(6).tolist(), "channels": channels,
            "real": {"images": h_real.images, "counts": h_real.counts.tolist()},
            "generated": {"images": h_fake.images, "counts": h_fake.counts.tolist()},
            "pixels_per_channel": int(n * real.shape[1] * real.shape[2]),
            "total_variation": tv.round(6).tolist(),
        })
        return [png, path]

    return histogram
