"""Exported weights: one HDF5 file that rebuilds and samples a model on its own.

The file is Keras 3's ``.weights.h5`` layout of a small container model with two
children, ``generator`` (the weight average, when kept: what samples are drawn
from) and ``discriminator``. Everything needed to rebuild them is stored as
attributes of the root group (model name, registry entry, resolved config,
image shape, versions), so:

- ``ganzoo sample FILE`` needs nothing else;
- a Keras user rebuilds the networks with `ganzoo.load_networks` or
  `ganzoo.build_networks` and calls Keras' own ``load_weights`` (docs/EXPORT.md);
- an h5py user reads arrays under ``generator/layers/...``.

Reading a file never runs code from it: attributes are parsed as JSON and
numbers, sizes are bounded, and the arrays are loaded by Keras' weights-only
reader (no pickle, no Lambda layers, no ``safe_mode=False``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganzoo.errors import WeightsError

FORMAT_VERSION = 1
_PREFIX = "ganzoo_"
_MAX_ATTR_BYTES = 1 << 20
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
            raw = {}
            for key in f.attrs:
                if not key.startswith(_PREFIX):
                    continue
                info = f.attrs.get_id(key)
                if info.get_storage_size() > _MAX_ATTR_BYTES:
                    raise WeightsError(f"{path}: attribute {key!r} is larger than 1 MiB; refused")
                raw[key[len(_PREFIX):]] = f.attrs[key]
            if "generator" not in f:
                raise WeightsError(f"{path}: holds no generator weights; is it a ganzoo export?")
    except WeightsError:
        raise
    except (OSError, ValueError, KeyError) as exc:
        raise WeightsError(f"{path}: unreadable or truncated HDF5 file ({exc})") from None
    if "format" not in raw or "model" not in raw:
        raise WeightsError(f"{path}: not a ganzoo export (no ganzoo_format attribute)")
    try:
        fmt = int(raw["format"])
    except (TypeError, ValueError):
        raise WeightsError(f"{path}: attribute ganzoo_format is not an integer") from None
    if fmt > FORMAT_VERSION:
        raise WeightsError(
            f"{path}: export format {fmt} is newer than this ganzoo reads ({FORMAT_VERSION}); "
            "upgrade ganzoo"
        )
    try:
        values = {k: _text(v) for k, v in raw.items()}
        for key in _JSON_ATTRS:
            if key in values:
                values[key] = json.loads(values[key])
        shape = tuple(int(s) for s in values["image_shape"])
        if len(shape) not in (1, 3) or not all(0 < s <= 4096 for s in shape):
            raise ValueError(f"bad sample shape {shape}; expected (H, W, C) or (D,)")
        return ExportMeta(
            model=str(values["model"]),
            entry=dict(values["entry"]),
            config=dict(values["config"]),
            image_shape=shape,
            num_classes=int(values.get("num_classes", 0)),
            class_names=tuple(str(c) for c in values.get("class_names") or ()),
            data=values.get("data"),
            format=fmt,
            ganzoo_version=str(values.get("ganzoo_version", "")),
            keras_version=str(values.get("keras_version", "")),
            tensorflow_version=str(values.get("tensorflow_version", "")),
            step=int(values.get("step", 0)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise WeightsError(f"{path}: malformed ganzoo attributes ({exc})") from None


def _text(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if hasattr(value, "item"):
        return value.item()
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


def write(path: str | Path, generator: Any, discriminator: Any, meta: ExportMeta) -> Path:
    """Write an export atomically: weights by Keras, attributes by h5py, then rename."""
    import h5py

    from ganzoo.files import atomic_path

    path = Path(path)
    if not path.name.endswith(".weights.h5"):
        raise WeightsError(f"{path}: export names must end in .weights.h5 (Keras' weights layout)")
    with atomic_path(path, suffix=".weights.h5") as tmp:
        container(generator, discriminator).save_weights(tmp)
        with h5py.File(tmp, "r+") as f:
            for key, value in meta.attrs().items():
                f.attrs[key] = value
    return path


def load_weights_strictly(model: Any, path: str | Path, what: str) -> None:
    """Keras' weights-only loader, but any part it skips is an error, not a warning.

    Keras warns and keeps freshly initialised weights when a group is missing; a
    model sampled from such a file would be silently wrong.
    """
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.load_weights(str(path))
        except (ValueError, KeyError, OSError) as exc:
            raise WeightsError(
                f"{path}: {what} do not fit the model rebuilt from its config ({exc}); "
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
