"""Feature extractors for evaluation: ganzoo's own classifier, or Inception-V3.

An `Extractor` maps uint8 images to feature vectors (and, when it is a classifier
of the data set's classes, class probabilities). Which one a data set gets:

- 28x28 grey images: ganzoo's Fashion-MNIST classifier (`ganzoo.evaluation.classifier`),
  shipped with its weights, so this works offline with nothing to download.
- anything else: Keras' ImageNet Inception-V3 (2048-d pool features, images resized
  to 299x299), but only when its weights file is already on disk. ganzoo never
  downloads it; when it is missing the error says where to put it.

Keras and TensorFlow are imported only when an extractor is built.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ganzoo.errors import GanzooError

INCEPTION_FILE = "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5"
INCEPTION_NAME = "keras-inception-v3-imagenet"


@dataclass
class Extractor:
    """Images -> (features, class probabilities or None), plus how to name it in a protocol."""

    name: str
    identity: dict[str, Any]
    run: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray | None]] = field(repr=False)
    #: names of the classes its probabilities are over; () when it gives none
    class_names: tuple[str, ...] = ()
    #: data sets whose classes are its classes (class-based metrics apply to them only)
    datasets: tuple[str, ...] = ()

    def __call__(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """`images`: uint8 (N, H, W, C)."""
        return self.run(images)


def classifier_extractor() -> Extractor:
    """ganzoo's Fashion-MNIST CNN: 128-d penultimate features and 10 class probabilities."""
    from ganzoo.data.loading import CLASS_NAMES
    from ganzoo.evaluation import classifier

    identity = classifier.identity()  # fails early, without TensorFlow, if files are missing
    model = classifier.load()

    def run(images: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        return classifier.predict(model, images.astype(np.float32) / 255.0)

    return Extractor(classifier.NAME, identity, run, CLASS_NAMES["fashion-mnist"],
                     classifier.DATASETS)


def inception_weights_path() -> Path | None:
    """Keras' Inception-V3 ImageNet weights, if present: $GANZOO_INCEPTION_WEIGHTS, else
    $KERAS_HOME/models, else ~/.keras/models."""
    explicit = os.environ.get("GANZOO_INCEPTION_WEIGHTS")
    if explicit:
        return Path(explicit) if Path(explicit).is_file() else None
    home = Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")
    path = home / "models" / INCEPTION_FILE
    return path if path.is_file() else None


def missing_inception_message(shape: tuple[int, ...]) -> str:
    home = os.environ.get("KERAS_HOME") or "~/.keras"
    return (
        f"images of shape {'x'.join(map(str, shape))} are scored with Inception-V3, whose "
        f"ImageNet weights file {INCEPTION_FILE} is not in {home}/models "
        "(nor at $GANZOO_INCEPTION_WEIGHTS); ganzoo never downloads it: on a machine with "
        "internet run `python -c \"import keras; keras.applications.InceptionV3("
        "include_top=False)\"` and copy the file from ~/.keras/models to this machine's "
        f"{home}/models"
    )


def inception_extractor(shape: tuple[int, ...], batch: int = 100) -> Extractor:
    """Inception-V3 pool features (2048-d) of images resized to 299x299, from local weights."""
    path = inception_weights_path()
    if path is None:
        raise GanzooError(missing_inception_message(shape))
    from ganzoo.engine.runtime import import_tensorflow
    from ganzoo.evaluation.classifier import weights_sha256

    tf = import_tensorflow()
    import keras

    model = keras.applications.InceptionV3(include_top=False, weights=None, pooling="avg",
                                           input_shape=(299, 299, 3))
    try:
        model.load_weights(str(path))  # an HDF5 file of arrays: no code is read from it
    except (ValueError, OSError) as exc:
        raise GanzooError(f"{path}: not Keras' Inception-V3 no-top weights ({exc})") from None

    @tf.function(reduce_retracing=True)
    def features(x: Any) -> Any:
        x = tf.cast(x, tf.float32)
        if x.shape[-1] == 1:
            x = tf.repeat(x, 3, axis=-1)
        x = tf.image.resize(x, (299, 299), method="bilinear")
        return model(x / 127.5 - 1.0, training=False)  # Inception's [-1, 1] input range

    def run(images: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        out = [np.asarray(features(images[i:i + batch])) for i in range(0, len(images), batch)]
        return np.concatenate(out).astype(np.float32), None

    identity = {"name": INCEPTION_NAME, "version": f"keras {keras.__version__}",
                "sha256": weights_sha256(str(path))[:16], "feature_dim": 2048,
                "layer": "avg_pool", "resize": "bilinear to 299x299"}
    return Extractor(INCEPTION_NAME, identity, run)


def uses_classifier(shape: tuple[int, ...]) -> bool:
    return tuple(shape) == (28, 28, 1)


def check_available(shape: tuple[int, ...]) -> None:
    """Fail early (no TensorFlow import) when images of `shape` cannot be scored here."""
    if len(shape) != 3 or shape[-1] not in (1, 3):
        raise GanzooError(f"cannot score images of shape {shape}; expected (H, W, 1 or 3)")
    if not uses_classifier(shape) and inception_weights_path() is None:
        raise GanzooError(missing_inception_message(shape))


def extractor_for(shape: tuple[int, ...]) -> Extractor:
    """The extractor that images of `shape` (H, W, C) are scored with."""
    check_available(shape)
    if uses_classifier(shape):
        return classifier_extractor()
    return inception_extractor(shape)
