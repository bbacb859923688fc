"""A folder of image files (sub-folders are classes), read with Pillow.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ganzoo.contract.imagedata import ImageData
from ganzoo.data.arrays import to_image_data
from ganzoo.errors import DataError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
"""File endings `load_image_folder` reads (compared case-insensitively)."""

def _is_image_file(p: Path) -> bool:
    return p.suffix.lower() in IMAGE_SUFFIXES and p.is_file()


def _visible_images(folder: Path) -> list[Path]:
    """Image files under `folder`, recursively, skipping hidden files and folders."""
    found = []
    for p in folder.rglob("*"):
        rel = p.relative_to(folder).parts
        if any(part.startswith(".") for part in rel):
            continue
        if _is_image_file(p):
            found.append(p)
    return sorted(found)


def _read_image(path: Path) -> np.ndarray:
    """Pixels of one image as uint8 (H, W) for grey or (H, W, 3) for colour."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img.load()
            mode = img.mode
            if mode in ("1", "L", "LA"):
                return np.asarray(img.convert("L"), dtype=np.uint8)
            if mode == "I" or mode.startswith("I;16"):  # 16-bit grey: keep the top 8 bits
                wide = np.asarray(img).astype(np.int64)
                return (np.clip(wide, 0, 65535) >> 8).astype(np.uint8)
            if mode == "F":
                raise DataError(
                    f"{path}: floating-point image, which ganzoo does not read; save it as "
                    "8-bit PNG"
                )
            return np.asarray(img.convert("RGB"), dtype=np.uint8)
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise DataError(f"{path}: not a readable image ({exc}); remove or replace it") from exc


def load_image_folder(path: str | os.PathLike[str]) -> ImageData:
    """Load a folder of images; class sub-folders, when present, become labels."""
    root = Path(path)
    if not root.is_dir():
        raise DataError(f"{root}: not a folder; give a folder of PNG/JPEG/BMP/GIF images")
    files = _visible_images(root)
    if not files:
        raise DataError(
            f"{root}: no images found (looked for {', '.join(IMAGE_SUFFIXES)}, recursively); "
            "put image files in the folder"
        )
    top_level = [f for f in files if f.parent == root]
    nested = [f for f in files if f.parent != root]
    if top_level and nested:
        raise DataError(
            f"{root}: has images both directly inside ({top_level[0].name}) and in sub-folders "
            f"({nested[0].relative_to(root)}); put all images in class sub-folders, or none"
        )
    class_names: tuple[str, ...] = ()
    labels: np.ndarray | None = None
    if nested:
        class_names = tuple(sorted({f.relative_to(root).parts[0] for f in nested}))
        ids = {c: i for i, c in enumerate(class_names)}
        labels = np.array([ids[f.relative_to(root).parts[0]] for f in files], dtype=np.int64)

    pixels: list[np.ndarray] = []
    first_size: tuple[int, int] | None = None
    for f in files:
        arr = _read_image(f)
        size = (arr.shape[0], arr.shape[1])
        if first_size is None:
            first_size = size
        elif size != first_size:
            raise DataError(
                f"images differ in size: {files[0]} is {first_size[1]}x{first_size[0]} but {f} "
                f"is {size[1]}x{size[0]}; resize all images to one size first"
            )
        pixels.append(arr)
    if any(a.ndim == 3 for a in pixels):  # mixed grey and colour: make everything RGB
        pixels = [a if a.ndim == 3 else np.repeat(a[..., np.newaxis], 3, axis=2) for a in pixels]
    images = np.stack(pixels)
    return to_image_data(images, labels, str(path), str(root), class_names)
