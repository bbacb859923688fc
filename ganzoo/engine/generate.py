"""One batched generator call, for every place that draws samples.

The trainer's per-epoch views, periodic evaluation (``eval_every``), ``ganzoo sample``,
``ganzoo visualize`` and ``ganzoo eval`` all draw through `stream` (or `generate`, which
collects it), so they batch, convert and shape samples the same way: the same
generator and inputs give the same numbers in every one of them.

Images come out as float32 in [0, 1] (the generator's tanh range shifted, then
scaled); points (2-D toy sets) as the generator makes them, in float32. The
generator is called on at most `batch` rows at a time, and `stream` hands each block
on as soon as it is made, so a caller that writes or scores blocks as they come (a
.npy file, uint8 pixels) needs memory for one block, whatever the number of samples.

TensorFlow is not imported here: the generator is any callable
``(z | [z, labels], training=False)`` whose result numpy can read (a Keras model).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from ganzoo.engine.latent import DEFAULT_BATCH

#: one block of generator input: (z with its codes, class labels or None)
Inputs = tuple[np.ndarray, "np.ndarray | None"]


def unit_range(images: Any) -> np.ndarray:
    """Generator output in [-1, 1] -> float32 in [0, 1] (shift, then scale)."""
    return np.clip((np.asarray(images, dtype=np.float32) + 1.0) * 0.5, 0.0, 1.0)


def batches(z: np.ndarray, labels: np.ndarray | None = None,
            batch: int = DEFAULT_BATCH) -> Iterator[Inputs]:
    """Consecutive blocks of at most `batch` rows of `z` (and of `labels`)."""
    if batch < 1:
        raise ValueError(f"batch must be at least 1, got {batch}")
    for start in range(0, len(z), batch):
        yield z[start:start + batch], None if labels is None else labels[start:start + batch]


def stream(generator: Callable[..., Any], inputs: Iterable[Inputs], *,
           points: bool = False) -> Iterator[np.ndarray]:
    """The generator's samples for each block of `inputs`, one block at a time.

    Labels go to the generator only when given (conditional models); a model that is not
    conditional must be handed None, not the rows' categories.
    """
    for z, labels in inputs:
        out = np.asarray(generator(z if labels is None else [z, labels], training=False))
        yield out.astype(np.float32, copy=False) if points else unit_range(out)


def fill(chunks: Iterable[np.ndarray], n: int,
         convert: Callable[[np.ndarray], np.ndarray] | None = None) -> np.ndarray:
    """Blocks of samples (each converted by `convert`) into one array of `n` rows.

    The array is allocated once, when the first block shows its shape and dtype, so
    collecting costs the result and one block, not a list of blocks plus their
    concatenation.
    """
    out: np.ndarray | None = None
    at = 0
    for chunk in chunks:
        block = convert(chunk) if convert is not None else chunk
        if out is None:
            out = np.empty((n, *block.shape[1:]), dtype=block.dtype)
        if at + len(block) > n:
            raise ValueError(f"more than the {n} samples expected")
        out[at:at + len(block)] = block
        at += len(block)
    if out is None or at != n:
        raise ValueError(f"{at} samples made, {n} expected")
    return out


def generate(generator: Callable[..., Any], z: np.ndarray, labels: np.ndarray | None = None,
             *, points: bool = False, batch: int = DEFAULT_BATCH) -> np.ndarray:
    """Samples for generator inputs `z` (and `labels`), `batch` rows per call.

    Images: float32 (n, H, W, C) in [0, 1]; points: float32 (n, D) as made.
    """
    if len(z) == 0:  # one row shows the output's shape; none of it is returned
        one = np.zeros((1, *np.shape(z)[1:]), np.float32)
        first = None if labels is None else np.zeros((1,), np.int32)
        return fill(stream(generator, [(one, first)], points=points), 1)[:0]
    return fill(stream(generator, batches(z, labels, batch), points=points), len(z))
