"""Image arrays to pictures: tiling a batch into a grid and saving PNGs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ganzoo.files import atomic_path


def to_unit(images: np.ndarray) -> np.ndarray:
    """Generator output in [-1, 1] -> float32 in [0, 1] (shift, then scale)."""
    return np.clip((np.asarray(images, dtype=np.float32) + 1.0) * 0.5, 0.0, 1.0)


def tile(images: np.ndarray, rows: int | None = None, pad: int = 2,
         scale: int = 1) -> np.ndarray:
    """(N, H, W, C) floats in [0, 1] -> one uint8 grid image (H', W', C)."""
    n, h, w, c = images.shape
    cols = int(np.ceil(np.sqrt(n))) if rows is None else int(np.ceil(n / rows))
    rows = int(np.ceil(n / cols))
    grid = np.ones((rows * (h + pad) + pad, cols * (w + pad) + pad, c), dtype=np.float32)
    for i in range(n):
        r, q = divmod(i, cols)
        top, left = pad + r * (h + pad), pad + q * (w + pad)
        grid[top:top + h, left:left + w] = images[i]
    out = (grid * 255.0 + 0.5).astype(np.uint8)
    if scale > 1:
        out = out.repeat(scale, axis=0).repeat(scale, axis=1)
    return out


def save_png(image: np.ndarray, path: str | Path) -> Path:
    """Save a uint8 (H, W, 1|3) image as PNG, atomically."""
    from PIL import Image

    array = image[..., 0] if image.shape[-1] == 1 else image
    with atomic_path(path) as tmp:
        Image.fromarray(array).save(tmp, format="PNG")
    return Path(path)


def save_grid(images: np.ndarray, path: str | Path, rows: int | None = None) -> Path:
    """Save a batch in [0, 1] as a grid, scaled up so small images stay visible."""
    scale = max(1, 56 // images.shape[1])
    return save_png(tile(images, rows=rows, scale=scale), path)
