"""The training input: a `tf.data` pipeline whose order is a pure function of the step.

TensorFlow is imported inside `make_input_pipeline` only, so the rest of the data
floor stays cheap to import.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from ganzoo.contract.imagedata import ImageData


def make_input_pipeline(data: ImageData, batch: int, seed: int, conditional: bool,
                        start_step: int = 0, stop_step: int | None = None) -> Any:
    """The batches of generator steps ``start_step .. stop_step - 1``, images in [-1, 1].

    The data order is a pure function of (seed, epoch): the batch of global step ``s``
    holds the images at positions ``b*i .. b*i + b - 1`` of epoch ``s // spe``'s
    permutation (``i = s % spe``, ``spe = N // b``; the last ``N % b`` are left out,
    different ones each epoch). The permutation is `tf.random.experimental.index_shuffle`,
    a stateless bijection, so a resumed run starts at its step without replaying the
    data, and sees exactly the batches the uninterrupted run saw. Point data are float32
    already in the models' coordinates and pass through unscaled.
    """
    import tensorflow as tf

    n = len(data)
    steps_per_epoch = n // batch
    stop = stop_step if stop_step is not None else 2**62
    images = tf.convert_to_tensor(data.images)
    labels = None
    if data.labels is not None and conditional:
        labels = tf.convert_to_tensor(data.labels.astype(np.int32))
    key = tf.constant(int(seed), tf.int64)
    points = data.is_points

    def batch_at(step: Any) -> Any:
        epoch = step // steps_per_epoch
        positions = (step % steps_per_epoch) * batch + tf.range(batch, dtype=tf.int64)
        index = tf.random.experimental.index_shuffle(
            positions, seed=tf.stack([key, epoch]), max_index=n - 1)
        x = tf.cast(tf.gather(images, index), tf.float32)
        if not points:
            x = x / 127.5 - 1.0
        return x if labels is None else (x, tf.gather(labels, index))

    ds = tf.data.Dataset.range(start_step, stop)
    ds = ds.map(batch_at, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.prefetch(tf.data.AUTOTUNE)


def fingerprint(data: ImageData) -> str:
    """SHA-256 of the images and labels: `ganzoo resume` refuses data that changed."""
    digest = hashlib.sha256(np.ascontiguousarray(data.images).data)
    if data.labels is not None:
        digest.update(np.ascontiguousarray(data.labels).data)
    return digest.hexdigest()
