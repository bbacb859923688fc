"""Image arrays to pictures: tiling a batch into a grid and saving PNGs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ganzoo.artifacts.files import atomic_path


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


def _as_pil(image: np.ndarray) -> object:
    from PIL import Image

    return Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image)


def captioned(image: np.ndarray, text: str, height: int = 16) -> np.ndarray:
    """A uint8 (H, W, C) image with a white strip of `height` pixels above it holding `text`."""
    from PIL import Image, ImageDraw, ImageFont

    _, w, c = image.shape
    strip = Image.new("L" if c == 1 else "RGB", (w, height), "white")
    font = ImageFont.load_default(size=max(8, height - 4))
    ImageDraw.Draw(strip).text((2, 1), text, fill="black", font=font)
    top = np.asarray(strip, dtype=np.uint8).reshape(height, w, c)
    return np.concatenate([top, image], axis=0)


def hstack(images: list[np.ndarray], gap: int = 8) -> np.ndarray:
    """uint8 images of one height side by side, separated by white gaps."""
    h, _, c = images[0].shape
    parts: list[np.ndarray] = []
    for i, image in enumerate(images):
        if i:
            parts.append(np.full((h, gap, c), 255, dtype=np.uint8))
        parts.append(image)
    return np.concatenate(parts, axis=1)


def vstack(images: list[np.ndarray], gap: int = 0) -> np.ndarray:
    """uint8 images of one width stacked top to bottom, separated by white gaps."""
    _, w, c = images[0].shape
    parts: list[np.ndarray] = []
    for i, image in enumerate(images):
        if i and gap:
            parts.append(np.full((gap, w, c), 255, dtype=np.uint8))
        parts.append(image)
    return np.concatenate(parts, axis=0)


def grid_scale(images: np.ndarray) -> int:
    """How much `save_grid` enlarges images of this size (small images stay visible)."""
    return max(1, 56 // images.shape[1])


def save_gif(frames: list[np.ndarray], path: str | Path, duration_ms: int = 100,
             hold_last_ms: int | None = None) -> Path:
    """Save uint8 frames (H, W, C) as a looping animated GIF, atomically.

    Pillow merges a frame equal to the one before it into that one (their durations add
    up), so a GIF of a model that did not change between epochs has fewer frames.
    """
    durations = [duration_ms] * len(frames)
    if hold_last_ms is not None and frames:
        durations[-1] = hold_last_ms
    pictures = [_as_pil(f) for f in frames]
    with atomic_path(path) as tmp:
        pictures[0].save(tmp, format="GIF", save_all=True, append_images=pictures[1:],
                         duration=durations, loop=0, disposal=1, optimize=False)
    return Path(path)
