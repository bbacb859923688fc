"""CIFAR-10 from its binary version (the Python version is a pickle, never read).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ganzoo.contract.imagedata import ImageData
from ganzoo.data.arrays import _check_split, to_image_data
from ganzoo.data.idx import _read_bytes
from ganzoo.errors import DataError

CIFAR10_CLASSES = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)

_CIFAR_BIN_DIR = "cifar-10-batches-bin"
_CIFAR_PICKLE_DIRS = ("cifar-10-batches-py", "cifar-10-batches-py-target/cifar-10-batches-py")
_CIFAR_RECORD = 1 + 32 * 32 * 3

def _cifar_batches(folder: Path, split: str) -> list[Path]:
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] if split == "train" else ["test_batch.bin"]
    return [folder / n for n in names]


def _has_cifar_binary(folder: Path, split: str) -> bool:
    return any(p.is_file() for p in _cifar_batches(folder, split))


def load_cifar10_binary(folder: str | os.PathLike[str], split: str = "train") -> ImageData:
    """Read the CIFAR-10 binary version (cifar-10-batches-bin), which needs no unpickling."""
    _check_split(split)
    root = Path(folder)
    batches = _cifar_batches(root, split)
    missing = [p.name for p in batches if not p.is_file()]
    if missing:
        raise DataError(
            f"{root}: CIFAR-10 binary files missing: {', '.join(missing)}; unpack the whole "
            "cifar-10-binary.tar.gz there"
        )
    images, labels = [], []
    for p in batches:
        raw = _read_bytes(p)
        if not raw or len(raw) % _CIFAR_RECORD:
            raise DataError(
                f"{p}: {len(raw)} bytes is not a whole number of CIFAR-10 records "
                f"({_CIFAR_RECORD} bytes each); the file is truncated, unpack it again"
            )
        records = np.frombuffer(raw, dtype=np.uint8).reshape(-1, _CIFAR_RECORD)
        labels.append(records[:, 0].astype(np.int64))
        images.append(records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
    source = ", ".join(str(p) for p in batches)
    name = "cifar10" if split == "train" else "cifar10-test"
    return to_image_data(
        np.concatenate(images), np.concatenate(labels), name, source, CIFAR10_CLASSES
    )
