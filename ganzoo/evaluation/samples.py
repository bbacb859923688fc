"""What ``ganzoo eval`` scores: samples from a run folder, an export or an array file.

- Generated samples flow from the generator block by block
  (`ganzoo.artifacts.sampling.stream`) into the array that is scored, as uint8
  pixels: a quarter of the float32 samples' size, and no list of blocks to join.
- A ``.npy`` file is memory-mapped: only its first N rows are read, so scoring 10,000
  samples of a 600 MB file reads 10,000. Its header (shape, dtype) and its length are
  checked before any row is read; a damaged file is a one-line error, never a
  traceback or click's bare ``Aborted!``.
- Shapes accepted: images (N, H, W) or (N, H, W, C), C = 1 or 3; points (N, D) with
  the toy data set they imitate (``--dataset ring8|grid25``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ganzoo.errors import DataError, GanzooError
from ganzoo.zoo.components import Catalog


@dataclass
class Samples:
    data: np.ndarray
    kind: str  # "run", "export" or "array"
    source: Path
    dataset: str | None = None
    model: str | None = None
    step: int | None = None


def to_uint8(images: np.ndarray) -> np.ndarray:
    """[0, 1] floats -> uint8, rounding as a PNG writer does."""
    return np.clip(np.rint(np.asarray(images, np.float64) * 255.0), 0, 255).astype(np.uint8)


def scorable(chunks: Iterable[np.ndarray], n: int, points: bool) -> np.ndarray:
    """Generated blocks (images in [0, 1], or points) as the `n` samples that are scored:
    uint8 pixels, so that a run, its export and ``ganzoo sample --out x.npy`` score
    alike; points as they are."""
    from ganzoo.engine.generate import fill

    return fill(chunks, n, None if points else to_uint8)


def accepted(dataset_hint: bool = True) -> str:
    """The shapes ``ganzoo eval`` takes, for error messages."""
    from ganzoo.data.toy import toy_names

    text = "images (N, H, W) or (N, H, W, C) with C = 1 or 3"
    if dataset_hint:
        text += f", or points (N, D) with --dataset {'|'.join(toy_names())}"
    return text


def _reshape_hint(d: int) -> str:
    """How flattened images of width `d` could be given instead, when `d` looks like one."""
    for channels in (1, 3):
        side = math.isqrt(d // channels)
        if d % channels == 0 and side >= 8 and side * side * channels == d:
            shape = f"(N, {side}, {side}{', 3' if channels == 3 else ''})"
            return f"; if they are flattened {side}x{side} images, reshape them to {shape}"
    return ""


def check_points(samples: Samples, dataset: str | None, where: str) -> None:
    """Points (N, D) are scored against a toy data set of the same dimension."""
    from ganzoo.data.toy import toy_names, toy_set

    n, d = samples.data.shape
    if not dataset:
        raise DataError(
            f"{where}: a ({n}, {d}) array is read as {d}-d points, which are scored against "
            f"the toy data set they imitate: pass --dataset {'|'.join(toy_names())} "
            f"(images must be {accepted(False)}){_reshape_hint(d)}")
    if dataset in toy_names():
        dim = int(toy_set(dataset).means.shape[1])
        if d != dim:
            raise DataError(
                f"{where}: {dataset} points are {dim}-d, these are {d}-d (a ({n}, {d}) array); "
                f"give (N, {dim}) points, or {accepted(False)}{_reshape_hint(d)}")


def load_samples(source: str | Path, n: int, seed: int, catalog: Catalog) -> Samples:
    """`n` samples from a run folder, an export, or the first `n` of a .npy/.npz array."""
    from ganzoo.artifacts import runs, sampling

    path = Path(source)
    if path.suffix.lower() in (".npy", ".npz") and path.is_file():
        return array_samples(path, n)
    if not path.exists():
        raise GanzooError(f"{source}: no such run folder, .weights.h5 export, or .npy/.npz file")
    kind = "run" if path.is_dir() else "export"
    loaded = sampling.load(path, catalog)
    dataset = (runs.read_config(path)["data"].get("name") if kind == "run"
               else loaded.dataset)
    data = scorable(sampling.stream(loaded, n, seed=seed), n, loaded.is_points)
    return Samples(data, kind, path, dataset, loaded.meta.model, loaded.meta.step)


def array_samples(path: Path, n: int) -> Samples:
    """The first `n` samples of an array file, checked: uint8 images, or float points."""
    from ganzoo.data.arrays import to_image_data
    from ganzoo.data.loading import load_array_file

    if path.suffix.lower() != ".npy":  # an .npz archive is compressed: read as a whole
        return Samples(load_array_file(path).images[:n], "array", path)
    rows = read_npy_rows(path, n)
    if rows.ndim == 2:
        return Samples(rows.astype(np.float64), "array", path)
    images = to_image_data(rows, None, str(path), str(path)).images
    return Samples(images, "array", path)


def _npy_header(path: Path) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    """(shape, fortran_order, dtype, offset of the data) of a .npy file; checks its size."""
    size = path.stat().st_size
    if size == 0:
        raise DataError(f"{path}: empty file (0 bytes), not a .npy array; write it again "
                        "with numpy.save")
    fmt = np.lib.format
    try:
        with path.open("rb") as f:
            version = fmt.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = fmt.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, fortran, dtype = fmt.read_array_header_2_0(f)
            else:
                raise ValueError(f"format version {version[0]}.{version[1]} is not read here")
            offset = f.tell()
    except (ValueError, EOFError, OSError) as exc:
        raise DataError(f"{path}: not a readable .npy array ({' '.join(str(exc).split())}); "
                        "write it again with numpy.save") from None
    if dtype.hasobject:
        raise DataError(f"{path}: holds Python objects, which are never loaded (unpickling "
                        "can run code); save a plain numeric array with numpy.save")
    need = math.prod(shape) * dtype.itemsize
    if size - offset < need:
        raise DataError(f"{path}: truncated: its header declares a {shape} {dtype} array "
                        f"({need} bytes of data) but the file holds {size - offset}; write it "
                        "again")
    return tuple(int(s) for s in shape), bool(fortran), dtype, offset


def read_npy_rows(path: Path, n: int) -> np.ndarray:
    """The first `n` rows of a .npy file, read through a memory map: the rest of the file
    is never loaded. Shape, dtype and length are checked from the header first."""
    shape, _, dtype, _ = _npy_header(path)
    if len(shape) not in (2, 3, 4):
        raise DataError(f"{path}: an array of shape {shape}; expected {accepted()}")
    if dtype.kind not in "uif":
        raise DataError(f"{path}: holds {dtype} values; expected numbers: uint8 pixels, or "
                        "floats in [0, 1]")
    if shape[0] == 0:
        raise DataError(f"{path}: holds no samples (shape {shape})")
    return np.array(np.load(path, mmap_mode="r", allow_pickle=False)[:n])
