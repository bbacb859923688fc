"""User arrays to `ImageData`: pixel ranges, label checks, and `.npy`/`.npz` files.

Everything a user can get wrong is a `DataError` whose one-line message says what is
wrong and how to fix it. Pickle is never used (`allow_pickle=False`): it can run code.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ganzoo.contract.imagedata import ImageData
from ganzoo.errors import DataError

SPLITS = ("train", "test")


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise DataError(f"unknown split {split!r}; use 'train' or 'test'")


def _renamed(data: ImageData, name: str) -> ImageData:
    return ImageData(
        data.images, data.labels, data.num_classes, name, data.source, data.class_names
    )


def _as_uint8_images(arr: np.ndarray, where: str) -> np.ndarray:
    """Bring user pixels to uint8 (N, H, W, C), refusing anything ambiguous."""
    if arr.ndim == 3:
        arr = arr[..., np.newaxis]
    if arr.ndim != 4:
        raise DataError(
            f"{where}: images have shape {arr.shape}; expected (N, H, W), (N, H, W, 1) "
            "or (N, H, W, 3)"
        )
    if arr.shape[3] not in (1, 3):
        hint = " (drop the alpha channel)" if arr.shape[3] == 4 else ""
        raise DataError(
            f"{where}: images have {arr.shape[3]} channels; expected 1 (grey) or 3 (RGB){hint}"
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0 or arr.shape[2] == 0:
        raise DataError(f"{where}: holds no pixels (shape {arr.shape}); give at least one image")
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype.kind in "iu":
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or hi > 255:
            raise DataError(
                f"{where}: integer pixels range over [{lo}, {hi}]; expected [0, 255] "
                "(save them as uint8)"
            )
        return arr.astype(np.uint8)
    if arr.dtype.kind != "f":
        raise DataError(
            f"{where}: images have dtype {arr.dtype}; expected uint8, or floats in [0, 1] "
            "or [-1, 1]"
        )
    if not np.isfinite(arr).all():
        raise DataError(f"{where}: images contain NaN or infinite values; clean them first")
    lo, hi = float(arr.min()), float(arr.max())
    if lo >= 0.0 and hi <= 1.0:
        scaled = arr.astype(np.float64) * 255.0
    elif lo >= -1.0 and hi <= 1.0:
        scaled = (arr.astype(np.float64) + 1.0) * 127.5
    else:
        raise DataError(
            f"{where}: float pixels range over [{lo:g}, {hi:g}]; expected [0, 1] or [-1, 1] "
            "(divide 0-255 data by 255, or save it as uint8)"
        )
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def _as_labels(arr: np.ndarray, n: int, where: str) -> np.ndarray:
    """Labels as int64 (N,); Keras' CIFAR loader gives (N, 1), so that is accepted too."""
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise DataError(f"{where}: labels have shape {arr.shape}; expected one integer per image")
    if arr.dtype.kind not in "iu":
        raise DataError(f"{where}: labels have dtype {arr.dtype}; expected integer class ids")
    if arr.shape[0] != n:
        raise DataError(
            f"{where}: {arr.shape[0]} labels for {n} images; give exactly one label per image"
        )
    if n and int(arr.min()) < 0:
        raise DataError(f"{where}: labels contain negative values; class ids start at 0")
    return arr.astype(np.int64)


def to_image_data(
    images: np.ndarray,
    labels: np.ndarray | None,
    name: str,
    source: str,
    class_names: Sequence[str] = (),
) -> ImageData:
    """Validate arrays from any loader and wrap them."""
    images = _as_uint8_images(images, source)
    if labels is None:
        return ImageData(images, None, 0, name, source)
    labels = _as_labels(labels, images.shape[0], source)
    top = int(labels.max()) + 1 if labels.size else 0
    num_classes = len(class_names) if class_names else max(top, 1)
    if top > num_classes:
        raise DataError(
            f"{source}: label {top - 1} is out of range for {num_classes} classes; "
            "check that the labels belong to these images"
        )
    return ImageData(images, labels, num_classes, name, source, tuple(class_names))


_NPZ_IMAGE_KEYS = ("x", "images", "x_train", "arr_0")
_NPZ_LABEL_KEYS = ("y", "labels", "y_train")


_NOT_PLAIN = (
    "is not a plain numpy array file (pickled Python objects are never loaded, for safety); "
    "save plain numeric arrays with numpy.save or numpy.savez"
)


_TRUNCATED = "the file was cut short (an interrupted copy or download?); save or copy it again"


def _check_npy(path: Path) -> None:
    """Read a .npy header and compare it with the file's size, so that a truncated file is
    called truncated (numpy's own error is easily taken for something else)."""
    fmt = np.lib.format
    try:
        with path.open("rb") as f:
            if f.read(6) != fmt.MAGIC_PREFIX:
                return  # not .npy inside (a pickle, an archive, junk): np.load tells
            f.seek(0)
            version = fmt.read_magic(f)
            reader = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}
            if version not in reader:
                return
            shape, _, dtype = reader[version](f)
            data_bytes = path.stat().st_size - f.tell()
    except (ValueError, EOFError) as exc:
        raise DataError(f"{path}: the .npy header is damaged or incomplete ({exc}); "
                        f"{_TRUNCATED}") from None
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
    if dtype.hasobject:
        raise DataError(f"{path}: {_NOT_PLAIN}")
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if data_bytes < expected:
        raise DataError(f"{path}: truncated: its header declares an array of shape "
                        f"{tuple(shape)} ({dtype}, {expected} bytes) but the file holds "
                        f"{data_bytes} bytes of data; {_TRUNCATED}")


def _np_load(path: Path) -> object:
    if path.is_file() and path.stat().st_size == 0:
        raise DataError(f"{path}: the file is empty (0 bytes); save or copy it again")
    if path.suffix.lower() == ".npy":
        _check_npy(path)
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc) or "Object arrays" in str(exc):
            raise DataError(f"{path}: {_NOT_PLAIN}") from None
        raise DataError(f"{path}: damaged numpy file ({exc}); save or copy it again") from None
    except Exception as exc:  # zipfile.BadZipFile, EOFError, OSError, format errors
        raise DataError(f"{path}: not a readable numpy file ({exc}); save it again") from None


def _npz_arrays(
    path: Path, image_keys: Sequence[str], label_keys: Sequence[str]
) -> tuple[np.ndarray, np.ndarray | None]:
    archive = _np_load(path)
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataError(f"{path}: expected an .npz archive; save it with numpy.savez")
    with archive:
        keys = set(archive.files)
        ikey = next((k for k in image_keys if k in keys), None)
        if ikey is None:
            raise DataError(
                f"{path}: no image array found (looked for keys {', '.join(image_keys)}; "
                f"file has {', '.join(sorted(keys)) or 'none'}); save the images under 'x'"
            )
        lkey = next((k for k in label_keys if k in keys), None)
        try:
            images = archive[ikey]
            labels = archive[lkey] if lkey is not None else None
        except ValueError as exc:
            raise DataError(f"{path}: {_NOT_PLAIN}") from exc
        except Exception as exc:
            raise DataError(f"{path}: damaged .npz archive ({exc}); save it again") from exc
    return images, labels


def load_array_file(path: str | os.PathLike[str]) -> ImageData:
    """Load images (and labels) saved with numpy, without ever unpickling."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".npy":
        arr = _np_load(p)
        if isinstance(arr, np.lib.npyio.NpzFile):
            arr.close()
        if not isinstance(arr, np.ndarray):
            raise DataError(f"{p}: expected a single array in the .npy file; save it with np.save")
        return to_image_data(arr, None, str(path), str(p))
    if suffix == ".npz":
        images, labels = _npz_arrays(p, _NPZ_IMAGE_KEYS, _NPZ_LABEL_KEYS)
        return to_image_data(images, labels, str(path), str(p))
    raise DataError(f"{p}: expected a .npy or .npz file")
