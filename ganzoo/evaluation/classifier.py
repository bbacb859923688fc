"""The Fashion-MNIST classifier whose features ganzoo's 28x28 metrics are computed on.

ganzoo trains this small CNN itself (``tools/train_classifier.py``, on the
Fashion-MNIST training split) and ships its weights and the statistics of the
test split's features in ``ganzoo/datafiles/fmnist-classifier``, so evaluation
needs neither the internet nor any training data. The architecture lives here,
in code; the shipped file holds arrays only and is read by Keras' weights-only
loader, so loading it never runs code from it.

Nothing here imports TensorFlow until a network is built.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from ganzoo.contract.imagedata import DEFAULT_DATASET
from ganzoo.errors import GanzooError

NAME = "ganzoo-fmnist-cnn"
#: Bump when the architecture or the training recipe changes; it is part of every
#: saved figure's protocol, with the weights' hash.
VERSION = 1
FOLDER = "fmnist-classifier"
WEIGHTS = "classifier.weights.h5"
REFERENCE = "reference-test.npz"
INFO = "info.json"
IMAGE_SHAPE = (28, 28, 1)
FEATURE_DIM = 128
FEATURE_LAYER = "features"
#: The data sets whose classes are this classifier's classes (class-based metrics apply).
DATASETS = ("fashion-mnist", DEFAULT_DATASET)


def build(num_classes: int = 10) -> Any:
    """The CNN: two conv+pool stages, a strided conv, a 128-d feature layer, logits.

    Returns ``(classifier, feature_model)`` sharing weights; inputs are float32 images
    in [0, 1], shape (batch, 28, 28, 1).
    """
    from ganzoo.engine.runtime import import_tensorflow

    import_tensorflow()
    import keras
    from keras import layers

    inputs = keras.Input(IMAGE_SHAPE, name="images")
    x = layers.Conv2D(32, 3, padding="same", activation="relu", name="conv1")(inputs)
    x = layers.MaxPooling2D(2, name="pool1")(x)
    x = layers.Conv2D(64, 3, padding="same", activation="relu", name="conv2")(x)
    x = layers.MaxPooling2D(2, name="pool2")(x)
    x = layers.Conv2D(64, 3, strides=2, activation="relu", name="conv3")(x)
    x = layers.Flatten(name="flatten")(x)
    features = layers.Dense(FEATURE_DIM, activation="relu", name=FEATURE_LAYER)(x)
    x = layers.Dropout(0.3, name="dropout")(features)
    logits = layers.Dense(num_classes, name="logits")(x)
    classifier = keras.Model(inputs, logits, name="fmnist_classifier")
    feature_model = keras.Model(inputs, [features, logits], name="fmnist_features")
    return classifier, feature_model


def datafile(name: str) -> Path:
    """Path of a shipped classifier file (inside the installed package)."""
    return Path(str(resources.files("ganzoo") / "datafiles" / FOLDER / name))


def _missing(name: str) -> GanzooError:
    return GanzooError(
        f"the shipped classifier file {name} is missing from the ganzoo installation; "
        "reinstall ganzoo, or rebuild it with tools/train_classifier.py"
    )


@cache
def weights_sha256(path: str) -> str:
    """sha256 of a weights file: the extractor's identity in every saved figure."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass(frozen=True)
class Reference:
    """Shipped statistics of the Fashion-MNIST test split's classifier features."""

    mean: np.ndarray  # (128,) float64
    cov: np.ndarray  # (128, 128) float64
    features: np.ndarray  # (N, 128) float32, in a fixed random order (for KID, P/R)
    probs_score: float  # classifier score of the whole test split
    class_shares: np.ndarray  # (10,) class shares of the test split's labels
    n: int  # images the mean and covariance were computed from
    split: str
    dataset: str


def info() -> dict[str, Any]:
    """What tools/train_classifier.py recorded: accuracy, recipe, hashes."""
    path = datafile(INFO)
    if not path.is_file():
        raise _missing(INFO)
    return json.loads(path.read_text(encoding="utf-8"))


def load_reference() -> Reference:
    path = datafile(REFERENCE)
    if not path.is_file():
        raise _missing(REFERENCE)
    with np.load(path, allow_pickle=False) as z:
        return Reference(
            mean=z["mean"].astype(np.float64), cov=z["cov"].astype(np.float64),
            features=z["features"].astype(np.float32), probs_score=float(z["classifier_score"]),
            class_shares=z["class_shares"].astype(np.float64), n=int(z["n"]),
            split="test", dataset="fashion-mnist",
        )


def load() -> Any:
    """The feature model (features, logits) with the shipped weights, loaded weights-only."""
    from ganzoo.artifacts.export import load_weights_strictly

    path = datafile(WEIGHTS)
    if not path.is_file():
        raise _missing(WEIGHTS)
    classifier, feature_model = build()
    load_weights_strictly(classifier, path, "classifier weights")
    return feature_model


def identity() -> dict[str, Any]:
    """Name, version and weights hash, recorded with every figure."""
    path = datafile(WEIGHTS)
    if not path.is_file():
        raise _missing(WEIGHTS)
    return {"name": NAME, "version": VERSION,
            "sha256": weights_sha256(str(path))[:16], "feature_dim": FEATURE_DIM,
            "layer": FEATURE_LAYER}


def predict(feature_model: Any, images: np.ndarray, batch: int = 500) -> tuple[np.ndarray,
                                                                              np.ndarray]:
    """(features float32 (N, 128), class probabilities float64 (N, 10)) of [0, 1] images.

    Calls the model directly in fixed-size batches (no `predict()` overhead, one trace).
    """
    feats, logits = [], []
    images = np.asarray(images, dtype=np.float32)
    for start in range(0, len(images), batch):
        chunk = images[start:start + batch]
        if len(chunk) < batch and len(images) > batch:  # keep one input shape: pad, then cut
            pad = np.zeros((batch - len(chunk), *chunk.shape[1:]), np.float32)
            f, lg = feature_model(np.concatenate([chunk, pad]), training=False)
            feats.append(np.asarray(f)[:len(chunk)])
            logits.append(np.asarray(lg)[:len(chunk)])
            continue
        f, lg = feature_model(chunk, training=False)
        feats.append(np.asarray(f))
        logits.append(np.asarray(lg))
    if not feats:
        return np.zeros((0, FEATURE_DIM), np.float32), np.zeros((0, 10))
    z = np.concatenate(logits).astype(np.float64)
    z -= z.max(axis=1, keepdims=True)
    probs = np.exp(z)
    probs /= probs.sum(axis=1, keepdims=True)
    return np.concatenate(feats).astype(np.float32), probs
