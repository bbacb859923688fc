"""``samples.png``: every model's final sample grid, captioned with its name, side by side.

The grids are the runs' own ``grid.png`` (fixed noise of the first seed's run), so the
figure costs no sampling. Grey and colour grids are mixed as RGB; grids of unequal
size are padded with white; rows hold at most `per_row` models so that a whole zoo
stays a readable picture.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ganzoo.artifacts.images import captioned, hstack, save_png, vstack

CAPTION = 20


def _read(path: Path) -> np.ndarray | None:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB"), dtype=np.uint8)
    except (OSError, UnidentifiedImageError):
        return None


def _pad(image: np.ndarray, height: int, width: int) -> np.ndarray:
    out = np.full((height, width, image.shape[2]), 255, dtype=np.uint8)
    out[: image.shape[0], : image.shape[1]] = image
    return out


def write_samples(path: Path, grids: Sequence[tuple[str, Path]], per_row: int = 4
                  ) -> Path | None:
    """Write the figure of the (name, grid.png) pairs that exist; None when none does."""
    pictures = [(name, image) for name, grid in grids if (image := _read(grid)) is not None]
    if not pictures:
        return None
    height = max(image.shape[0] for _, image in pictures)
    width = max(image.shape[1] for _, image in pictures)
    tiles = [captioned(_pad(image, height, width), name, height=CAPTION)
             for name, image in pictures]
    lines = [tiles[i:i + per_row] for i in range(0, len(tiles), per_row)]
    full = max(len(line) for line in lines)
    blank = np.full_like(tiles[0], 255)
    rows = [hstack(line + [blank] * (full - len(line))) for line in lines]
    return save_png(vstack(rows, gap=8), path)
