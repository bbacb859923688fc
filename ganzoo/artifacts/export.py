"""Exported weights: one HDF5 file that rebuilds and samples a model on its own.

The file is Keras 3's ``.weights.h5`` layout of a small container model with two
children, ``generator`` (the weight average, when kept: what samples are drawn
from) and ``discriminator``. Everything needed to rebuild them is stored as
attributes of the root group (model name, registry entry, resolved config,
image shape, versions), so:

- ``ganzoo sample FILE`` needs nothing else;
- a Keras user loads them with `ganzoo.load`, or rebuilds them with
  `ganzoo.build_networks` and calls Keras' own ``load_weights`` (docs/EXPORT.md);
- an h5py user reads arrays under ``generator/layers/...``.

Reading a file never runs code from it: attributes are parsed as JSON and
numbers, sizes are bounded, and the arrays are loaded by Keras' weights-only
reader (no pickle, no Lambda layers, no ``safe_mode=False``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganzoo.errors import WeightsError

FORMAT_VERSION = 1
_PREFIX = "ganzoo_"
_MAX_ATTR_BYTES = 1 << 20
#: Array types a checkpoint holds: weights and optimizer slots, optimizer step counters.
CHECKPOINT_DTYPES = ("float32", "int64")
_MAX_ARRAY_ELEMENTS = 1 << 28  # 1 GiB of float32 in one array
_JSON_ATTRS = ("entry", "config", "image_shape", "class_names", "data")


@dataclass(frozen=True)
class ExportMeta:
    model: str
    entry: dict[str, Any]
    config: dict[str, Any]
    #: shape of one sample: (H, W, C) for images, (D,) for point data
    image_shape: tuple[int, ...]
    num_classes: int
    class_names: tuple[str, ...] = ()
    data: dict[str, Any] | None = None
    format: int = FORMAT_VERSION
    ganzoo_version: str = ""
    keras_version: str = ""
    tensorflow_version: str = ""
    step: int = 0

    def attrs(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            if key in _JSON_ATTRS:
                value = json.dumps(list(value) if isinstance(value, tuple) else value)
            out[_PREFIX + key] = value
        return out


def check_structure(f: Any, path: Path, dtypes: tuple[str, ...] = ("float32",)) -> None:
    """Refuse anything in an HDF5 file besides plain groups and plain numeric arrays.

    Links to other objects or files, virtual or external datasets and filter pipelines
    (HDF5 loads filter plugins as shared libraries) are refused before Keras reads
    the file, as are arrays of a type ganzoo never writes.
    """
    import h5py

    problems: list[str] = []  # raising inside h5py's visit callbacks is not safe

    def link(name: str, what: Any) -> bool | None:
        if not isinstance(what, h5py.HardLink):
            problems.append(f"{name} is a {type(what).__name__}; ganzoo weights files hold "
                            "only plain groups and arrays")
        return True if problems else None

    def item(name: str, obj: Any) -> bool | None:
        if not isinstance(obj, h5py.Dataset):
            return None
        if obj.is_virtual or obj.external or obj.id.get_create_plist().get_nfilters():
            problems.append(f"array {name} is virtual, external or filtered; ganzoo weights "
                            "files hold plain arrays only")
        elif str(obj.dtype) not in dtypes:
            problems.append(f"array {name} has dtype {obj.dtype}, expected "
                            f"{' or '.join(dtypes)}")
        elif obj.size > _MAX_ARRAY_ELEMENTS:
            problems.append(f"array {name} has {obj.size} elements")
        return True if problems else None

    f.visititems_links(link)
    if not problems:
        f.visititems(item)
    if problems:
        raise WeightsError(f"{path}: {problems[0]}; refused")


def _attrs(f: Any, path: Path) -> dict[str, Any]:
    """The ganzoo_* attributes: single strings or integers of at most 1 MiB each."""
    raw: dict[str, Any] = {}
    for key in f.attrs:
        if not key.startswith(_PREFIX):
            continue
        info = f.attrs.get_id(key)
        if info.shape != () or info.get_storage_size() > _MAX_ATTR_BYTES:
            raise WeightsError(f"{path}: attribute {key!r} is not a single value of at most "
                               "1 MiB; refused")
        value = f.attrs[key]
        if isinstance(value, str | bytes) and len(value) > _MAX_ATTR_BYTES:
            raise WeightsError(f"{path}: attribute {key!r} is larger than 1 MiB; refused")
        raw[key[len(_PREFIX):]] = value
    return raw


def read_meta(path: str | Path) -> ExportMeta:
    """Read and check an export's attributes with h5py alone (no TensorFlow)."""
    import h5py

    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"{path}: no such file")
    try:
        if not h5py.is_hdf5(path):
            raise WeightsError(f"{path}: not an HDF5 file (expected a ganzoo .weights.h5 export)")
        with h5py.File(path, "r") as f:
            raw = _attrs(f, path)
            if "generator" not in f:
                raise WeightsError(f"{path}: holds no generator weights; is it a ganzoo export?")
            check_structure(f, path)
    except WeightsError:
        raise
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise WeightsError(f"{path}: unreadable or truncated HDF5 file ({exc})") from None
    if "format" not in raw or "model" not in raw:
        raise WeightsError(f"{path}: not a ganzoo export (no ganzoo_format attribute)")
    try:
        fmt = _integer(raw["format"])
    except (TypeError, ValueError):
        raise WeightsError(f"{path}: attribute ganzoo_format is not an integer") from None
    if fmt > FORMAT_VERSION:
        raise WeightsError(
            f"{path}: export format {fmt} is newer than this ganzoo reads ({FORMAT_VERSION}); "
            "upgrade ganzoo"
        )
    try:
        return _meta(raw, fmt)
    except (KeyError, TypeError, ValueError) as exc:
        raise WeightsError(f"{path}: malformed ganzoo attributes ({exc})") from None


def _integer(value: Any) -> int:
    value = _text(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return value


def _string(value: Any) -> str:
    value = _text(value)
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _json(raw: dict[str, Any], key: str, kind: type, default: Any) -> Any:
    if key not in raw:
        if default is None:
            raise KeyError(f"ganzoo_{key} is missing")
        return default
    value = json.loads(_string(raw[key]))
    if not isinstance(value, kind):
        raise TypeError(f"ganzoo_{key} must hold a JSON {kind.__name__}")
    return value


def _meta(raw: dict[str, Any], fmt: int) -> ExportMeta:
    shape = _json(raw, "image_shape", list, None)
    if not all(isinstance(s, int) and not isinstance(s, bool) for s in shape):
        raise ValueError(f"bad sample shape {shape}")
    is_image = (len(shape) == 3 and all(0 < s <= 4096 for s in shape[:2])
                and shape[2] in (1, 3))
    is_points = len(shape) == 1 and 0 < shape[0] <= 4096
    if not (is_image or is_points):
        raise ValueError(f"bad sample shape {shape}; expected (H, W, C) or (D,)")
    class_names = _json(raw, "class_names", list, [])
    if not all(isinstance(c, str) for c in class_names):
        raise TypeError("ganzoo_class_names must be a list of strings")
    num_classes = _integer(raw.get("num_classes", 0))
    if not 0 <= num_classes <= 100_000:
        raise ValueError(f"bad number of classes {num_classes}")
    step = _integer(raw.get("step", 0))
    if step < 0:
        raise ValueError(f"bad step {step}")
    return ExportMeta(
        model=_string(raw["model"]),
        entry=_json(raw, "entry", dict, None),
        config=_json(raw, "config", dict, None),
        image_shape=tuple(shape),  # type: ignore[arg-type]
        num_classes=num_classes,
        class_names=tuple(class_names),
        data=_json(raw, "data", dict, {}),
        format=fmt,
        ganzoo_version=_string(raw.get("ganzoo_version", "")),
        keras_version=_string(raw.get("keras_version", "")),
        tensorflow_version=_string(raw.get("tensorflow_version", "")),
        step=step,
    )


def _text(value: Any) -> Any:
    """A str or int from what h5py returns (bytes must be UTF-8)."""
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if hasattr(value, "item"):
        value = value.item()
        return value.decode("utf-8") if isinstance(value, bytes) else value
    return value


def container(generator: Any, discriminator: Any) -> Any:
    """The Keras model whose weights layout an export uses."""
    import keras

    class GANWeights(keras.Model):
        """Holds the two networks so that their weights save under two named groups."""

        def __init__(self, generator: Any, discriminator: Any, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.generator = generator
            self.discriminator = discriminator
            self.built = True

        def call(self, inputs: Any) -> Any:
            return self.generator(inputs)

    return GANWeights(generator, discriminator, name="gan_weights")


def check_finite(f: Any, path: Path) -> None:
    """Refuse a weights file with a NaN or Inf in any float array: a model that diverged
    draws blank or noise images that would pass for samples."""
    import h5py
    import numpy as np

    found: list[str] = []

    def item(name: str, obj: Any) -> bool | None:
        if not isinstance(obj, h5py.Dataset) or obj.dtype.kind != "f" or obj.size == 0:
            return None
        rows = max(1, (1 << 22) // (obj.size // obj.shape[0])) if obj.ndim else 1
        chunks = ([obj[()]] if obj.ndim == 0  # 4M values at a time: bounded memory
                  else (obj[i:i + rows] for i in range(0, obj.shape[0], rows)))
        for values in chunks:
            if not np.isfinite(values).all():
                found.append(f"{name} (holds {'NaN' if np.isnan(values).any() else 'Inf'})")
                return True
        return None

    f.visititems(item)
    if found:
        raise WeightsError(f"{path}: weight {found[0]} is not finite: the model diverged and "
                           "would draw meaningless samples; refused (train again with lower "
                           "learning rates, e.g. --set lr_g=1e-4 --set lr_d=1e-4)")


def write(path: str | Path, generator: Any, discriminator: Any, meta: ExportMeta) -> Path:
    """Write an export atomically: weights by Keras, attributes by h5py, then rename.

    Networks with a NaN or Inf weight are refused: such an export would sample blank
    images and score as if it were a model.
    """
    from ganzoo.artifacts.weightsfile import first_nonfinite, write_weights

    path = Path(path)
    if not path.name.endswith(".weights.h5"):
        raise WeightsError(f"{path}: export names must end in .weights.h5 (Keras' weights layout)")
    for name, network in (("generator", generator), ("discriminator", discriminator)):
        broken = first_nonfinite(network)
        if broken is not None:
            raise WeightsError(f"{path}: not written: {name} weight {broken} is not finite; "
                               "the model diverged (train again with lower learning rates)")
    write_weights(container(generator, discriminator), path, meta.attrs())
    return path


def load_weights_strictly(model: Any, path: str | Path, what: str,
                          dtypes: tuple[str, ...] = ("float32",)) -> None:
    """Keras' weights-only loader, but any part it skips is an error, not a warning.

    Keras warns and keeps freshly initialised weights when a group is missing; a
    model sampled from such a file would be silently wrong. The file's structure is
    checked first (`check_structure`).
    """
    import warnings

    import h5py

    try:
        with h5py.File(path, "r") as f:
            check_structure(f, Path(path), dtypes)
            check_finite(f, Path(path))
    except WeightsError:
        raise
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise WeightsError(f"{path}: unreadable or truncated HDF5 file ({exc})") from None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.load_weights(str(path))
        except (ValueError, KeyError, OSError, TypeError, RuntimeError) as exc:
            reason = " ".join(str(exc).split())
            reason = reason if len(reason) <= 200 else reason[:200] + "..."
            raise WeightsError(
                f"{path}: {what} do not fit the model rebuilt from its config ({reason}); "
                "was it written by another version of the model's plugin?"
            ) from None
    skipped = [str(w.message) for w in caught
               if "freshly-initialized" in str(w.message) or "Skipping" in str(w.message)]
    if skipped:
        raise WeightsError(
            f"{path}: {what} do not fit the model rebuilt from its config "
            f"({len(skipped)} parts missing, e.g. {skipped[0].split(':')[0]})"
        )
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def load_into(path: str | Path, generator: Any, discriminator: Any) -> None:
    """Load an export's arrays into freshly built networks (weights only, no code)."""
    load_weights_strictly(container(generator, discriminator), path, "weights")


def meta_for(model: str, entry: Mapping[str, Any], config: Mapping[str, Any],
             data_info: Mapping[str, Any], step: int, version: str) -> ExportMeta:
    """The metadata of an export, from a run's model, entry, config and data."""
    import keras
    import tensorflow as tf

    return ExportMeta(
        model=model, entry=dict(entry), config=dict(config),
        image_shape=tuple(data_info["image_shape"]),
        num_classes=int(data_info["num_classes"]),
        class_names=tuple(data_info.get("class_names") or ()),
        data={k: data_info[k] for k in ("name", "images")},
        ganzoo_version=version, keras_version=keras.__version__,
        tensorflow_version=tf.__version__, step=step,
    )
