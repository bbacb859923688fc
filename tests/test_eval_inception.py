"""The Inception-V3 path for RGB images, with a stand-in weights file of random weights in
the layout of Keras' ImageNet file (the real one is never downloaded by ganzoo or the tests).
Few, small images: this checks the plumbing, not the figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ganzoo.evaluation import evaluate as evaluation
from ganzoo.evaluation import features
from ganzoo.zoo.host import load_catalog

pytestmark = pytest.mark.tf


def test_rgb_images_are_scored_with_local_inception_weights(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import h5py
    import keras
    from keras.src.legacy.saving import legacy_h5_format

    model = keras.applications.InceptionV3(include_top=False, weights=None, pooling="avg",
                                           input_shape=(299, 299, 3))
    home = tmp_path / "keras"
    (home / "models").mkdir(parents=True)
    with h5py.File(home / "models" / features.INCEPTION_FILE, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.delenv("GANZOO_INCEPTION_WEIGHTS", raising=False)

    rng = np.random.default_rng(0)
    np.save(tmp_path / "samples.npy", rng.integers(0, 256, (12, 32, 32, 3), dtype=np.uint8))
    np.savez(tmp_path / "real.npz", x=rng.integers(0, 256, (12, 32, 32, 3), dtype=np.uint8))
    result = evaluation.evaluate_source(tmp_path / "samples.npy", load_catalog(), n=12,
                                        dataset=str(tmp_path / "real.npz"))
    protocol, figures = result["protocol"], result["metrics"]
    assert protocol["feature_extractor"]["name"] == "keras-inception-v3-imagenet"
    assert protocol["feature_extractor"]["feature_dim"] == 2048
    assert protocol["reference"]["n"] == 12
    assert {"frechet_distance", "kid", "precision", "recall"} <= set(figures)
    assert "classifier_score" not in figures  # ImageNet's classes are not the data set's
    assert any("not trained on" in note for note in result["notes"])
