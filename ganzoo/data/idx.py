"""IDX files, the format of MNIST and Fashion-MNIST (gzipped or not).
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ganzoo.contract.imagedata import ImageData
from ganzoo.data.arrays import to_image_data
from ganzoo.errors import DataError

_IDX_PREFIX = {"train": "train", "test": "t10k"}

_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def _read_bytes(path: Path) -> bytes:
    """File contents, gunzipped when the file is gzip (by content, not by name)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}; check the path") from exc
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DataError(
                f"{path}: damaged gzip file ({exc}); download or copy it again"
            ) from exc
    return raw


def _parse_idx(data: bytes, where: str) -> np.ndarray:
    """Decode IDX bytes, checking the header against the payload size."""
    if len(data) < 4:
        raise DataError(f"{where}: {len(data)} bytes, too short to be an IDX file (its header "
                        "alone is 8 or more); the file is truncated, download or copy it again")
    if data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        found = " ".join(f"{b:02x}" for b in data[:4])
        raise DataError(
            f"{where}: bad IDX magic number {found}: IDX files start with 00 00, a type byte "
            "(08 for uint8 pixels; 09, 0b-0e for others) and the number of dimensions; the "
            "file is damaged or not an IDX file (download or copy it again)"
        )
    dtype = _IDX_DTYPES[data[2]]
    ndim = data[3]
    if ndim == 0:
        raise DataError(f"{where}: IDX header declares 0 dimensions; the file is damaged")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{where}: IDX header is truncated; download or copy the file again")
    dims = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    actual = len(data) - header
    if actual != expected:
        raise DataError(
            f"{where}: IDX header declares shape {dims} ({expected} bytes) but the file holds "
            f"{actual} bytes; the file is truncated or damaged, download or copy it again"
        )
    arr = np.frombuffer(data, dtype=dtype, offset=header).reshape(dims)
    return arr.astype(dtype.newbyteorder("="))  # native order, and a writable copy


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one IDX array (raw or gzip) so MNIST-style files need no extra library."""
    p = Path(path)
    return _parse_idx(_read_bytes(p), str(p))


def load_idx_pair(
    images_path: str | os.PathLike[str],
    labels_path: str | os.PathLike[str] | None,
    name: str,
    *,
    class_names: Sequence[str] = (),
) -> ImageData:
    """Load an IDX images file and its optional labels file as one data set."""
    ip = Path(images_path)
    images = read_idx(ip)
    if images.ndim == 1:
        raise DataError(f"{ip}: this IDX file holds labels, not images; give the images file")
    if labels_path is None:
        return to_image_data(images, None, name, str(ip), class_names)
    lp = Path(labels_path)
    labels = read_idx(lp)
    if labels.ndim != 1:
        raise DataError(
            f"{lp}: expected a 1-D IDX labels file, found shape {labels.shape}; "
            "give the labels file (e.g. train-labels-idx1-ubyte.gz)"
        )
    return to_image_data(images, labels, name, f"{ip} + {lp}", class_names)


def _idx_files(folder: Path, split: str) -> tuple[Path | None, Path | None]:
    """The images and labels IDX files for `split` in `folder`, if present."""
    prefix = _IDX_PREFIX[split]

    def first(kind: str, rank: int) -> Path | None:
        for sep in ("-", "."):  # some unpackers turn "-idx3" into ".idx3"
            for gz in (".gz", ""):
                candidate = folder / f"{prefix}-{kind}{sep}idx{rank}-ubyte{gz}"
                if candidate.is_file():
                    return candidate
        return None

    return first("images", 3), first("labels", 1)
