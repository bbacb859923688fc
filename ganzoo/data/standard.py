"""The standard data sets (Fashion-MNIST, MNIST, CIFAR-10) and the shipped subset.

A standard set is looked for in `$GANZOO_DATA_DIR`, the Keras cache and
`/usr/share/datasets` (Debian's packages), and downloaded by Keras only as a last resort
(never when `GANZOO_OFFLINE` is set). The subset inside the package needs nothing.
"""

from __future__ import annotations

import gzip
import os
from importlib import resources
from pathlib import Path

import numpy as np

from ganzoo.contract.imagedata import DEFAULT_DATASET, ImageData
from ganzoo.data.arrays import _check_split, _npz_arrays, _renamed, to_image_data
from ganzoo.data.cifar import (
    _CIFAR_BIN_DIR,
    _CIFAR_PICKLE_DIRS,
    CIFAR10_CLASSES,
    _has_cifar_binary,
    load_cifar10_binary,
)
from ganzoo.data.idx import _IDX_PREFIX, _idx_files, _parse_idx, load_idx_pair
from ganzoo.errors import DataError

EMBEDDED_NAME = DEFAULT_DATASET
"""Name of the subset shipped inside the package (10,000 Fashion-MNIST training images)."""

STANDARD_NAMES = ("fashion-mnist", "mnist", "cifar10")
"""Data sets `load_standard` knows how to find or download."""

CLASS_NAMES: dict[str, tuple[str, ...]] = {
    "fashion-mnist": (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ),
    "mnist": tuple(str(d) for d in range(10)),
    "cifar10": CIFAR10_CLASSES,
}

_STANDARD_SHAPES = {
    "fashion-mnist": (28, 28, 1),
    "mnist": (28, 28, 1),
    "cifar10": (32, 32, 3),
}

_KERAS_MODULES = {"fashion-mnist": "fashion_mnist", "mnist": "mnist", "cifar10": "cifar10"}

_NAME_ALIASES = {"fashion_mnist": "fashion-mnist", "cifar-10": "cifar10", "cifar_10": "cifar10"}

_SYSTEM_ROOT = Path("/usr/share/datasets")

_OFFLINE_VALUES = {"1", "true", "yes", "on"}


def _standard_name(name: str) -> str:
    key = name.strip().lower()
    key = _NAME_ALIASES.get(key, key)
    if key not in STANDARD_NAMES:
        raise DataError(
            f"unknown data set {name!r}; choose one of {', '.join(STANDARD_NAMES)}, "
            "or give a path to your own data"
        )
    return key


def _offline() -> bool:
    return os.environ.get("GANZOO_OFFLINE", "").strip().lower() in _OFFLINE_VALUES


def standard_search_paths(
    name: str, *, home: Path | None = None, system_root: Path | None = None
) -> list[Path]:
    """Folders searched for a standard data set, in order, so users and tests can see them.

    `home` replaces the user's home folder (for the Keras cache) and `system_root`
    replaces /usr/share/datasets; both exist so tests can stay inside a temporary folder.
    """
    key = _standard_name(name)
    paths: list[Path] = []
    data_dir = os.environ.get("GANZOO_DATA_DIR", "").strip()
    if data_dir:
        base = Path(data_dir).expanduser()
        paths += [base / key, base]
    keras_home = os.environ.get("KERAS_HOME", "").strip()
    if keras_home:
        keras_datasets = Path(keras_home).expanduser() / "datasets"
    else:
        keras_datasets = (home if home is not None else Path.home()) / ".keras" / "datasets"
    paths += [keras_datasets / key, keras_datasets]
    paths.append((system_root if system_root is not None else _SYSTEM_ROOT) / key)
    return paths


def _check_standard(data: ImageData, key: str) -> ImageData:
    """A standard set found on disk must have its known shape, or it is the wrong file."""
    want = _STANDARD_SHAPES[key]
    if data.image_shape != want:
        raise DataError(
            f"{data.source}: images are {data.image_shape}, but {key} images are {want}; "
            "these are not the right files, remove or replace them"
        )
    return data


def _find_in(folder: Path, key: str, split: str, name: str) -> ImageData | None:
    """Load `key` from `folder` if its files are there; None when they are not."""
    if not folder.is_dir():
        return None
    classes = CLASS_NAMES[key]
    if key == "cifar10":
        for sub in (folder / _CIFAR_BIN_DIR, folder):
            if _has_cifar_binary(sub, split):
                return _renamed(load_cifar10_binary(sub, split), name)
        return None
    images_file, labels_file = _idx_files(folder, split)
    if images_file is not None:
        if labels_file is None:
            raise DataError(
                f"{images_file}: found the {key} images but not their labels file; "
                f"add {_IDX_PREFIX[split]}-labels-idx1-ubyte.gz beside it"
            )
        return load_idx_pair(images_file, labels_file, name, class_names=classes)
    npz = folder / f"{key}.npz"  # Keras' own cache layout for MNIST
    if npz.is_file():
        suffix = "_train" if split == "train" else "_test"
        images, labels = _npz_arrays(npz, ("x" + suffix,), ("y" + suffix,))
        if labels is None:
            raise DataError(f"{npz}: has no y{suffix} labels array; download it again")
        return to_image_data(images, labels, name, f"{npz} [x{suffix}, y{suffix}]", classes)
    return None


def _download(key: str, split: str, name: str) -> ImageData:
    """Last resort: let Keras fetch the data set into its own cache.

    Raises `_DownloadFailed` (not DataError) so the caller can list every place it looked.
    """
    module = _KERAS_MODULES[key]
    try:
        import keras

        loader = getattr(keras.datasets, module)
        (x_train, y_train), (x_test, y_test) = loader.load_data()
    except Exception as exc:  # no keras, no network, server errors: all end the same way
        raise _DownloadFailed(f"keras.datasets.{module}.load_data() failed: {exc}") from exc
    images, labels = (x_train, y_train) if split == "train" else (x_test, y_test)
    source = f"downloaded by keras.datasets.{module}.load_data() (Keras cache)"
    return to_image_data(np.asarray(images), np.asarray(labels), name, source, CLASS_NAMES[key])


class _DownloadFailed(Exception):
    """The internet fallback did not work; the message says why."""


def _how_to_get(key: str) -> str:
    if key == "fashion-mnist":
        return "run `apt install dataset-fashion-mnist`, or put the 4 IDX .gz files in "
    if key == "mnist":
        return "put the 4 MNIST IDX .gz files (or Keras' mnist.npz) in "
    return (
        "unpack the CIFAR-10 binary version (cifar-10-binary.tar.gz; the python-pickle "
        "version is not read, for safety) in "
    )


def load_standard(
    name: str,
    split: str = "train",
    *,
    home: Path | None = None,
    system_root: Path | None = None,
) -> ImageData:
    """Find a standard data set on this machine, downloading only as a last resort.

    The places searched are those of `standard_search_paths`, then the internet via
    Keras unless GANZOO_OFFLINE=1. Nothing is printed; `.source` says where it came from.
    """
    key = _standard_name(name)
    _check_split(split)
    data_name = key if split == "train" else f"{key}-test"
    folders = standard_search_paths(key, home=home, system_root=system_root)
    for folder in folders:
        found = _find_in(folder, key, split, data_name)
        if found is not None:
            return _check_standard(found, key)
    if _offline():
        why = "download skipped because GANZOO_OFFLINE is set"
        unset = ", or unset GANZOO_OFFLINE to let Keras download it"
    else:
        try:
            return _check_standard(_download(key, split, data_name), key)
        except _DownloadFailed as exc:
            why = " ".join(str(exc).split())  # keep the message on one line
            unset = ", or check the internet connection"

    looked = ", ".join(str(f) for f in folders)
    if not os.environ.get("GANZOO_DATA_DIR"):
        looked += " (GANZOO_DATA_DIR not set)"
    pickled = (
        [str(f / d) for f in folders for d in _CIFAR_PICKLE_DIRS if (f / d).is_dir()]
        if key == "cifar10"
        else []
    )
    if pickled:
        why += f"; found the python-pickle version at {pickled[0]}, which is not read for safety"
    target = str(folders[0]) if os.environ.get("GANZOO_DATA_DIR") else f"$GANZOO_DATA_DIR/{key}"
    raise DataError(
        f"{key} ({split} split) not found; looked in {looked}; {why}. "
        f"To fix: {_how_to_get(key)}{target}{unset}"
    )


def load_embedded(split: str = "train") -> ImageData:
    """The Fashion-MNIST subset shipped in the package: works offline, with no setup."""
    _check_split(split)
    if split != "train":
        raise DataError(
            f"{EMBEDDED_NAME} ships only a train split; use --dataset fashion-mnist for the "
            "test split"
        )
    folder = resources.files("ganzoo") / "datafiles" / EMBEDDED_NAME
    parts = []
    for fname in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        res = folder / fname
        try:
            raw = res.read_bytes()
        except OSError as exc:
            raise DataError(
                f"the shipped data file {fname} is missing from the ganzoo installation; "
                "reinstall ganzoo, or use --dataset fashion-mnist"
            ) from exc
        try:
            parts.append(_parse_idx(gzip.decompress(raw), str(res)))
        except (OSError, EOFError) as exc:
            raise DataError(f"{res}: damaged shipped file; reinstall ganzoo") from exc
    images, labels = parts
    return to_image_data(
        images,
        labels,
        EMBEDDED_NAME,
        f"{folder / 'train-images-idx3-ubyte.gz'} + {folder / 'train-labels-idx1-ubyte.gz'}",
        CLASS_NAMES["fashion-mnist"],
    )

