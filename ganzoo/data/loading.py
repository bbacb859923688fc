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
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from ganzoo.contract.imagedata import ImageData, is_point_shape
from ganzoo.errors import DataError

__all__ = [
    "CLASS_NAMES",
    "EMBEDDED_NAME",
    "IMAGE_SUFFIXES",
    "STANDARD_NAMES",
    "ImageData",
    "is_point_shape",
    "load_array_file",
    "load_cifar10_binary",
    "load_dataset",
    "load_embedded",
    "load_idx_pair",
    "load_image_folder",
    "load_path",
    "load_standard",
    "read_idx",
    "standard_search_paths",
]

EMBEDDED_NAME = "fashion-mnist-10k"
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
    "cifar10": (
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
    ),
}

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
"""File endings `load_image_folder` reads (compared case-insensitively)."""

SPLITS = ("train", "test")

# Image shape every copy of a standard set must have, whatever file it came from.
_STANDARD_SHAPES = {
    "fashion-mnist": (28, 28, 1),
    "mnist": (28, 28, 1),
    "cifar10": (32, 32, 3),
}
_KERAS_MODULES = {"fashion-mnist": "fashion_mnist", "mnist": "mnist", "cifar10": "cifar10"}
_NAME_ALIASES = {"fashion_mnist": "fashion-mnist", "cifar-10": "cifar10", "cifar_10": "cifar10"}
_IDX_PREFIX = {"train": "train", "test": "t10k"}
_SYSTEM_ROOT = Path("/usr/share/datasets")
_CIFAR_BIN_DIR = "cifar-10-batches-bin"
_CIFAR_PICKLE_DIRS = ("cifar-10-batches-py", "cifar-10-batches-py-target/cifar-10-batches-py")
_CIFAR_RECORD = 1 + 32 * 32 * 3
_OFFLINE_VALUES = {"1", "true", "yes", "on"}


# ---------------------------------------------------------------------------
# Checking arrays


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


def _image_data(
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


# ---------------------------------------------------------------------------
# IDX files (the MNIST / Fashion-MNIST format)

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
        raise DataError(f"{where}: too short to be an IDX file; download or copy it again")
    if data[0] != 0 or data[1] != 0 or data[2] not in _IDX_DTYPES:
        raise DataError(
            f"{where}: not an IDX file (bad magic number {data[:4].hex()}); "
            "give an IDX file such as train-images-idx3-ubyte[.gz]"
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
        return _image_data(images, None, name, str(ip), class_names)
    lp = Path(labels_path)
    labels = read_idx(lp)
    if labels.ndim != 1:
        raise DataError(
            f"{lp}: expected a 1-D IDX labels file, found shape {labels.shape}; "
            "give the labels file (e.g. train-labels-idx1-ubyte.gz)"
        )
    return _image_data(images, labels, name, f"{ip} + {lp}", class_names)


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


# ---------------------------------------------------------------------------
# .npy / .npz

_NPZ_IMAGE_KEYS = ("x", "images", "x_train", "arr_0")
_NPZ_LABEL_KEYS = ("y", "labels", "y_train")


_NOT_PLAIN = (
    "is not a plain numpy array file (pickled Python objects are never loaded, for safety); "
    "save plain numeric arrays with numpy.save or numpy.savez"
)


def _np_load(path: Path) -> object:
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise DataError(f"{path}: {_NOT_PLAIN}") from exc
    except Exception as exc:  # zipfile.BadZipFile, EOFError, OSError, format errors
        raise DataError(f"{path}: not a readable numpy file ({exc}); save it again") from exc


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
        return _image_data(arr, None, str(path), str(p))
    if suffix == ".npz":
        images, labels = _npz_arrays(p, _NPZ_IMAGE_KEYS, _NPZ_LABEL_KEYS)
        return _image_data(images, labels, str(path), str(p))
    raise DataError(f"{p}: expected a .npy or .npz file")


# ---------------------------------------------------------------------------
# Image folders


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
    return _image_data(images, labels, str(path), str(root), class_names)


# ---------------------------------------------------------------------------
# CIFAR-10 binary version


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
    return _image_data(
        np.concatenate(images), np.concatenate(labels), name, source, CLASS_NAMES["cifar10"]
    )


# ---------------------------------------------------------------------------
# Dispatch for `--dataset PATH`


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise DataError(f"unknown split {split!r}; use 'train' or 'test'")


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


def load_path(path: str | os.PathLike[str], split: str = "train") -> ImageData:
    """Load whatever `--dataset PATH` points at: IDX, numpy, CIFAR binary or image folder."""
    _check_split(split)
    p = Path(path).expanduser()
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
    if _looks_like_idx(p):
        return load_idx_pair(p, _labels_beside(p), str(path))
    if suffix in IMAGE_SUFFIXES:
        raise DataError(
            f"{path}: a single image is not a data set; give the folder that holds the images"
        )
    raise DataError(
        f"{path}: unknown data format; give an IDX file or folder, a .npy/.npz file, "
        "a CIFAR-10 binary folder, or a folder of images"
    )


def _renamed(data: ImageData, name: str) -> ImageData:
    return ImageData(
        data.images, data.labels, data.num_classes, name, data.source, data.class_names
    )


# ---------------------------------------------------------------------------
# Standard data sets


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
        return _image_data(images, labels, name, f"{npz} [x{suffix}, y{suffix}]", classes)
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
    return _image_data(np.asarray(images), np.asarray(labels), name, source, CLASS_NAMES[key])


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


# ---------------------------------------------------------------------------
# The shipped subset


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
    return _image_data(
        images,
        labels,
        EMBEDDED_NAME,
        f"{folder / 'train-images-idx3-ubyte.gz'} + {folder / 'train-labels-idx1-ubyte.gz'}",
        CLASS_NAMES["fashion-mnist"],
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
