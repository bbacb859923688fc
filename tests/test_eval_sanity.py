"""The metrics on real images: the shipped train subset against the shipped test reference,
and what happens as images are degraded. Uses the shipped classifier (imports TensorFlow)."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import numpy as np
import pytest
from scipy import ndimage

from ganzoo.data.loading import load_embedded
from ganzoo.evaluation import classifier, metrics
from ganzoo.evaluation import evaluate as evaluation

pytestmark = pytest.mark.tf

N = 2000  # images per degraded set: enough for stable Fréchet distances, cheap on 2 cores


@pytest.fixture(scope="module")
def real() -> dict[str, Any]:
    from ganzoo.evaluation.features import classifier_extractor

    data = load_embedded()
    extractor = classifier_extractor()
    feats, probs = extractor(data.images)
    order = np.random.default_rng(0).permutation(len(data))[:N]
    return {"data": data, "extractor": extractor, "feats": feats, "probs": probs,
            "subset": data.images[order], "reference": classifier.load_reference()}


def fd(real: dict[str, Any], images: np.ndarray) -> float:
    feats, _ = real["extractor"](images)
    mean, cov = metrics.gaussian_stats(feats)
    return metrics.frechet_distance(mean, cov, real["reference"].mean, real["reference"].cov)


def degrade(images: np.ndarray, noise: float = 0.0, blur: float = 0.0) -> np.ndarray:
    x = images.astype(np.float64) / 255.0
    if blur:
        x = ndimage.gaussian_filter(x, sigma=(0, blur, blur, 0))
    if noise:
        x = x + np.random.default_rng(1).normal(0.0, noise, x.shape)
    return evaluation.to_uint8(np.clip(x, 0.0, 1.0))


def test_shipped_classifier_is_accurate_on_the_train_subset(real: dict[str, Any]) -> None:
    accuracy = (real["probs"].argmax(1) == real["data"].labels).mean()
    assert accuracy > 0.88
    assert classifier.info()["test_accuracy"] > 0.88


def test_train_subset_is_close_to_the_test_reference(real: dict[str, Any]) -> None:
    ref = real["reference"]
    mean, cov = metrics.gaussian_stats(real["feats"])
    distance = metrics.frechet_distance(mean, cov, ref.mean, ref.cov)
    assert distance < 0.5  # the same distribution: only sampling noise (0.15 measured)
    precision, recall = metrics.precision_recall(ref.features, real["feats"])
    assert precision > 0.75 and recall > 0.75
    score = metrics.classifier_score(real["probs"])[0]
    assert score == pytest.approx(ref.probs_score, rel=0.05)
    shares = metrics.class_shares(real["probs"])
    assert metrics.total_variation(shares, ref.class_shares) < 0.06


def test_distance_grows_monotonically_with_gaussian_noise(real: dict[str, Any]) -> None:
    distances = [fd(real, degrade(real["subset"], noise=s)) for s in (0.0, 0.05, 0.1, 0.2, 0.4)]
    assert all(a < b for a, b in pairwise(distances)), distances
    assert distances[-1] > 20 * distances[0]


def test_distance_grows_monotonically_with_blur(real: dict[str, Any]) -> None:
    distances = [fd(real, degrade(real["subset"], blur=s)) for s in (0.0, 0.6, 1.0, 1.5, 2.5)]
    assert all(a < b for a, b in pairwise(distances)), distances


def test_uniform_noise_scores_far_worse_than_real_images(real: dict[str, Any]) -> None:
    rng = np.random.default_rng(2)
    noise = rng.integers(0, 256, real["subset"].shape, dtype=np.uint8)
    scorer = evaluation.Scorer(_catalog(), "fashion-mnist-10k", (28, 28, 1),
                               extractor=real["extractor"])
    good = scorer.score(real["subset"])["metrics"]
    bad = scorer.score(noise)["metrics"]
    assert bad["frechet_distance"] > 50 * good["frechet_distance"]
    assert bad["kid"] > 50 * max(good["kid"], good["kid_std"])
    assert bad["recall"] < 0.05 < 0.7 < good["recall"]
    # Not asserted: precision. The classifier maps all noise images to nearly one feature
    # vector, which falls inside the large k-NN ball of some real outlier (docs/EVALUATION.md).
    assert bad["classifier_score"] < good["classifier_score"] / 2


def test_a_single_class_scores_low_recall_and_a_skewed_class_share(real: dict[str, Any]) -> None:
    data = real["data"]
    sneakers = data.images[data.labels == 7]  # 1,000 images of one class
    scorer = evaluation.Scorer(_catalog(), "fashion-mnist-10k", (28, 28, 1),
                               extractor=real["extractor"])
    result = scorer.score(sneakers)["metrics"]
    mixed = scorer.score(real["subset"][: len(sneakers)])["metrics"]
    assert result["recall"] < 0.2 < 0.7 < mixed["recall"]
    assert result["precision"] > 0.7  # each image is realistic; the set is not
    assert result["class_shares"]["Sneaker"] > 0.9
    assert result["class_share_tv"] > 0.8 > 0.1 > mixed["class_share_tv"]
    assert result["classes_missing"] >= 8 and mixed["classes_missing"] == 0
    assert result["frechet_distance"] > 20 * mixed["frechet_distance"]


def test_kid_is_near_zero_for_two_disjoint_halves_of_one_set(real: dict[str, Any]) -> None:
    feats = real["feats"]
    half = len(feats) // 2
    same, same_std = metrics.kid(feats[:half], feats[half:], subsets=30)
    noisy_feats, _ = real["extractor"](degrade(real["data"].images[half:], noise=0.1))
    shifted, _ = metrics.kid(feats[:half], noisy_feats, subsets=30)
    assert abs(same) < same_std  # unbiased: no offset at equal distributions
    assert abs(same) < 0.02 * shifted
    ref = real["reference"].features
    halves, _ = metrics.kid(ref[: len(ref) // 2], ref[len(ref) // 2:], subsets=30)
    assert abs(halves) < 0.02 * shifted


def _catalog() -> Any:
    from ganzoo.zoo.host import load_catalog

    return load_catalog()
