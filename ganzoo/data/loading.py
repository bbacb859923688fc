"""Image data sets: the shipped subset, the standard sets, and the user's own files.

Every loader returns an `ImageData` holding uint8 images in (N, H, W, C) layout, so
the models never need to know where the pixels came from. The same class also holds
point data, float32 (N, D) (the toy 2-D sets of `ganzoo.data.toy`), so the trainer,
export and sampling handle both through one type. Everything a user can get
wrong (a missing file, a bad shape, an odd value range) is raised as a `DataError`
whose one-line message says what is wrong and how to fix it.

Only numpy and the standard library are imported here at module level: listing or
checking data must not pay for a TensorFlow import. Pillow is imported only by the
image-folder loader, and Keras only for the last-resort internet download.

Pickle is never used to read data (it can run arbitrary code): `.npy`/`.npz` files
are opened with `allow_pickle=False`, and CIFAR-10 is read from its binary version.
"""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from ganzoo.contract.imagedata import ImageData
from ganzoo.data.arrays import _check_split, _renamed, load_array_file
from ganzoo.data.cifar import _CIFAR_BIN_DIR, _has_cifar_binary, load_cifar10_binary
from ganzoo.data.folders import IMAGE_SUFFIXES, _visible_images, load_image_folder
from ganzoo.data.idx import _IDX_DTYPES, _IDX_PREFIX, _idx_files, load_idx_pair, read_idx
from ganzoo.data.standard import (
    _NAME_ALIASES,
    CLASS_NAMES,
    EMBEDDED_NAME,
    STANDARD_NAMES,
    load_embedded,
    load_standard,
    standard_search_paths,
)
from ganzoo.errors import DataError, GanzooError, PluginError, check_no_link_loop

if TYPE_CHECKING:
    from ganzoo.zoo.components import Catalog

# The loaders, re-exported: `ganzoo.data.loading` is where callers find any of them.
__all__ = [
    "CLASS_NAMES",
    "EMBEDDED_NAME",
    "IMAGE_SUFFIXES",
    "STANDARD_NAMES",
    "ImageData",
    "load_array_file",
    "load_cifar10_binary",
    "load_dataset",
    "load_embedded",
    "load_idx_pair",
    "load_image_folder",
    "load_path",
    "load_standard",
    "open_dataset",
    "read_idx",
    "standard_search_paths",
]


def _looks_like_idx(path: Path) -> bool:
    """True when the file starts with an IDX magic number (after gunzipping)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(2)
            fh.seek(0)
            if head == b"\x1f\x8b":
                with gzip.GzipFile(fileobj=fh) as gz:
                    head = gz.read(4)
            else:
                head = fh.read(4)
    except (OSError, EOFError):
        return False
    return len(head) == 4 and head[0] == 0 and head[1] == 0 and head[2] in _IDX_DTYPES


def _labels_beside(images_file: Path) -> Path | None:
    """The labels file that pairs with an `*-images-idx3-ubyte[.gz]` file, if present."""
    name = images_file.name
    pairs = (("-images-idx3", "-labels-idx1"), ("-images.idx3", "-labels.idx1"))
    for images_part, labels_part in pairs:
        if images_part in name:
            stem = name.replace(images_part, labels_part)
            for candidate in (stem, stem.removesuffix(".gz"), stem + ".gz"):
                if (images_file.parent / candidate).is_file():
                    return images_file.parent / candidate
    return None


def _check_dataset_link(path: Path) -> None:
    check_no_link_loop(path, "--dataset", "point it at the data set's file or folder", DataError)


#: IDX file names (train-images-idx3-ubyte[.gz]): such a file is read as IDX, so that a
#: damaged one is told by its header, not as an unknown format
_IDX_NAME = re.compile(r"idx\d-ubyte")


def load_path(path: str | os.PathLike[str], split: str = "train") -> ImageData:
    """Load whatever `--dataset PATH` points at: IDX, numpy, CIFAR binary or image folder."""
    _check_split(split)
    p = Path(path).expanduser()
    _check_dataset_link(p)
    if not p.exists():
        raise DataError(
            f"{path}: no such file or folder; give an existing path or one of "
            f"{', '.join(STANDARD_NAMES)}"
        )
    if p.is_dir():
        images_file, labels_file = _idx_files(p, split)
        if images_file is not None:
            return load_idx_pair(images_file, labels_file, str(path))
        for folder in (p, p / _CIFAR_BIN_DIR):
            if _has_cifar_binary(folder, split):
                data = load_cifar10_binary(folder, split)
                return _renamed(data, str(path))
        if _visible_images(p):
            return load_image_folder(p)
        prefix = _IDX_PREFIX[split]
        raise DataError(
            f"{path}: found no data; expected {prefix}-images-idx3-ubyte[.gz] (+ labels), "
            f"CIFAR-10 binary batches, or image files ({', '.join(IMAGE_SUFFIXES)})"
        )
    suffix = p.suffix.lower()
    if suffix in (".npy", ".npz"):
        return load_array_file(p)
    if _looks_like_idx(p) or _IDX_NAME.search(p.name):
        return load_idx_pair(p, _labels_beside(p), str(path))
    if suffix in IMAGE_SUFFIXES:
        raise DataError(
            f"{path}: a single image is not a data set; give the folder that holds the images"
        )
    raise DataError(
        f"{path}: unknown data format; give an IDX file or folder, a .npy/.npz file, "
        "a CIFAR-10 binary folder, or a folder of images"
    )




def load_dataset(spec: str | None = None, split: str = "train") -> ImageData:
    """Resolve a `--dataset` value: nothing or the embedded name, a standard name, or a path.

    A standard name wins over a local folder of the same name; write ./mnist for the folder.
    """
    if spec is None or spec.strip().lower() in ("", EMBEDDED_NAME, "embedded"):
        return load_embedded(split)
    key = spec.strip().lower()
    if _NAME_ALIASES.get(key, key) in STANDARD_NAMES:
        return load_standard(key, split)
    return load_path(spec, split)

def open_dataset(catalog: Catalog, spec: str, split: str = "train") -> ImageData:
    """A data set by registered name, or else by path."""
    if spec in catalog.components["dataset"]:
        component = catalog.components["dataset"][spec]
        try:
            data = component.factory(split)
        except GanzooError:
            raise
        except Exception as exc:
            from ganzoo.zoo.host import describe_exception

            raise PluginError(
                f"dataset {spec!r} from plugin {component.plugin!r} failed to load: "
                f"{describe_exception(exc)}"
            ) from exc
        if not isinstance(data, ImageData):
            raise PluginError(
                f"dataset {spec!r} from plugin {component.plugin!r} returned "
                f"{type(data).__name__}, expected ganzoo.plugin.ImageData"
            )
        return data
    if not spec.strip():
        raise DataError("no data set given (an empty name); give a registered name "
                        f"({', '.join(catalog.names('dataset'))}) or a file or folder")
    _check_dataset_link(Path(spec))
    if not Path(spec).exists():
        from ganzoo.zoo.components import did_you_mean

        names = catalog.names("dataset")
        raise DataError(
            f"unknown data set {spec!r}{did_you_mean(spec, names)}: not a registered name "
            f"({', '.join(names)}) nor an existing file or folder"
        )
    return load_path(spec, split)
