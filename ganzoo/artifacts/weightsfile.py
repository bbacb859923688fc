"""Writing HDF5 weights files (checkpoints, exports) so that a full disk is one line.

HDF5 writes into memory; the finished file is written with plain file I/O into a
temporary file and renamed (`ganzoo.artifacts.files.atomic_path`). HDF5 must never
meet a failing write itself: it left its file half-closed, printed tracebacks while
freeing it, and the process died with a segfault (a DCGAN run into a 20 MB tmpfs).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def release_hdf5(tmp: Path) -> None:
    """After a failed write of `tmp` on disk: free its space, then close the HDF5 handles
    still open on it (Keras closes its file only on success; HDF5 flushing it later into
    a full disk crashed the process). Only the fallback of `write_weights` needs it."""
    import contextlib
    import os

    import h5py

    with contextlib.suppress(OSError):
        os.truncate(tmp, 0)  # room for the flush that closing does
    target = os.path.realpath(tmp)
    for fid in h5py.h5f.get_obj_ids(types=h5py.h5f.OBJ_FILE):
        with contextlib.suppress(Exception):
            if os.path.realpath(os.fsdecode(fid.name)) == target:
                h5py.File(fid).close()


class _InMemory(io.BytesIO):
    """A file in memory that Keras' ``save_weights`` takes: it checks only that the name
    ends in .weights.h5, and its HDF5 store accepts a BytesIO."""

    def __str__(self) -> str:
        return "in-memory.weights.h5"


def _weights_image(model: Any, attrs: Mapping[str, Any]) -> memoryview | None:
    """The weights file of `model` with `attrs` on its root group, built in memory; None
    when this Keras wants a path on disk."""
    import h5py

    buffer = _InMemory()
    try:
        model.save_weights(buffer)
    except (TypeError, ValueError, AttributeError):
        return None
    with h5py.File(buffer, "r+") as f:
        for key, value in attrs.items():
            f.attrs[key] = value
    return buffer.getbuffer()


def write_weights(model: Any, path: Path, attrs: Mapping[str, Any]) -> None:
    """Write `model`'s weights (Keras' layout) and `attrs` to `path`, atomically.

    HDF5 writes into memory and the file is then written with plain file I/O: a full
    disk (or quota, or read-only place) is one `WriteError` line. HDF5 itself must never
    meet a failing write: it left its file half-closed, printed tracebacks while
    freeing it, and the process died with a segfault.
    """
    import h5py

    from ganzoo.artifacts.files import atomic_path

    image = _weights_image(model, attrs)
    with atomic_path(path, suffix=".weights.h5", release=release_hdf5) as tmp:
        if image is not None:
            with tmp.open("wb") as f:
                f.write(image)
            return
        model.save_weights(tmp)  # fallback for a Keras that wants a path
        with h5py.File(tmp, "r+") as f:
            for key, value in attrs.items():
                f.attrs[key] = value


def first_nonfinite(model: Any) -> str | None:
    """The path of the first float weight of `model` holding NaN or Inf, or None."""
    import keras
    import numpy as np

    for variable in model.weights:
        if "float" not in str(variable.dtype):
            continue
        values = keras.ops.convert_to_numpy(variable)
        if not np.isfinite(values).all():
            what = "NaN" if np.isnan(values).any() else "Inf"
            return f"{variable.path} (holds {what})"
    return None
