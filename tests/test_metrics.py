"""The metric implementations against values computed by hand on tiny inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ganzoo.evaluation import metrics


def test_frechet_distance_of_diagonal_gaussians() -> None:
    # |(0,0)-(1,2)|² = 5; Tr(C1 + C2) = 5 + 13 = 18; (C1 C2)^½ = diag(2, 6) -> 8; 5 + 18 - 16
    d = metrics.frechet_distance(np.zeros(2), np.diag([1.0, 4.0]), np.array([1.0, 2.0]),
                                 np.diag([4.0, 9.0]))
    assert d == pytest.approx(7.0, abs=1e-9)


def test_frechet_distance_one_dimension_is_mean_and_std_gap() -> None:
    # for 1-D Gaussians the distance is (m1 - m2)² + (s1 - s2)²
    d = metrics.frechet_distance(np.array([1.0]), np.array([[1.0]]), np.array([-2.0]),
                                 np.array([[9.0]]))
    assert d == pytest.approx(9.0 + 4.0, abs=1e-9)


def test_frechet_distance_with_correlated_covariance() -> None:
    # C1 = I, C2 has eigenvalues 3 and 1: Tr(C2^½) = 1 + √3; 2 + 4 - 2 (1 + √3)
    d = metrics.frechet_distance(np.zeros(2), np.eye(2), np.zeros(2),
                                 np.array([[2.0, 1.0], [1.0, 2.0]]))
    assert d == pytest.approx(4.0 - 2.0 * math.sqrt(3.0), abs=1e-9)


def test_frechet_distance_of_identical_singular_stats_is_zero() -> None:
    cov = np.array([[1.0, 1.0], [1.0, 1.0]])  # rank 1
    assert metrics.frechet_distance(np.ones(2), cov, np.ones(2), cov) == pytest.approx(0, abs=1e-9)


def test_trace_sqrt_product_matches_scipy_sqrtm() -> None:
    from scipy import linalg

    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((40, 6)), rng.standard_normal((40, 6)) @ rng.standard_normal((6, 6))
    c1, c2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)  # full rank, not commuting
    expected = np.trace(np.real(linalg.sqrtm(c1 @ c2)))
    assert metrics.trace_sqrt_product(c1, c2) == pytest.approx(expected, rel=1e-9)


def test_gaussian_stats_uses_unbiased_covariance() -> None:
    mean, cov = metrics.gaussian_stats(np.array([[0.0, 0.0], [2.0, 4.0]]))
    assert mean.tolist() == [1.0, 2.0]
    assert cov.tolist() == [[2.0, 4.0], [4.0, 8.0]]


def test_polynomial_kernel_by_hand() -> None:
    x = np.array([[1.0, 2.0]])
    y = np.array([[3.0, -1.0]])
    # gamma = 1/2: (0.5 * (3 - 2) + 1)^3 = 1.5^3
    assert metrics.polynomial_kernel(x, y)[0, 0] == pytest.approx(3.375)


def test_mmd2_unbiased_by_hand() -> None:
    # d = 1, k(a, b) = (ab + 1)^3. Within x: k(0, 1) = 1. Within y: k(2, 3) = 343.
    # Across: k(0,2) = k(0,3) = 1, k(1,2) = 27, k(1,3) = 64 -> mean 93/4.
    x, y = np.array([[0.0], [1.0]]), np.array([[2.0], [3.0]])
    assert metrics.mmd2_unbiased(x, y) == pytest.approx(1 + 343 - 2 * 93 / 4)


def test_kid_over_whole_sets_equals_the_estimate() -> None:
    x, y = np.array([[0.0], [1.0]]), np.array([[2.0], [3.0]])
    mean, std = metrics.kid(x, y, subsets=5, subset_size=2)
    assert mean == pytest.approx(297.5)
    assert std == pytest.approx(0.0, abs=1e-9)


def test_kid_is_unbiased_for_samples_of_one_distribution() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2000, 8)), rng.standard_normal((2000, 8))
    mean, std = metrics.kid(a, b, subsets=50, subset_size=500)
    assert abs(mean) < std  # the subsets overlap, so their mean varies less than one subset
    shifted, _ = metrics.kid(a, b + 0.5, subsets=50, subset_size=500)
    assert shifted > 20 * abs(mean)


def test_knn_radii_exclude_the_point_itself() -> None:
    x = np.array([[0.0], [1.0], [3.0], [7.0]])
    assert metrics.knn_radii(x, k=1).tolist() == [1.0, 1.0, 4.0, 16.0]
    assert metrics.knn_radii(x, k=2).tolist() == [9.0, 4.0, 9.0, 36.0]


def test_precision_recall_on_constructed_points() -> None:
    real = np.array([[0.0], [1.0], [2.0], [3.0]])  # k=1 balls of radius 1
    fake = np.array([[0.1], [0.3], [10.0], [10.5]])  # k=1 balls of radius 0.2, 0.2, 0.5, 0.5
    precision, recall = metrics.precision_recall(real, fake, k=1)
    assert precision == pytest.approx(0.5)  # 0.1 and 0.3 lie on the real manifold
    assert recall == pytest.approx(0.25)  # only the real 0 lies within 0.2 of 0.1


def test_precision_recall_of_a_set_with_itself_is_one() -> None:
    x = np.random.default_rng(1).standard_normal((50, 3))
    assert metrics.precision_recall(x, x, k=3) == (1.0, 1.0)


def test_classifier_score_of_known_matrices() -> None:
    one_hot = np.eye(4)
    assert metrics.classifier_score(one_hot, splits=1)[0] == pytest.approx(4.0)
    same = np.tile([0.2, 0.3, 0.5], (6, 1))
    assert metrics.classifier_score(same, splits=2) == (pytest.approx(1.0), 0.0)
    # marginal (0.75, 0.25); KL of row 1 = ln(4/3), of row 2 = ½ ln(2/3) + ½ ln 2
    mixed = np.array([[1.0, 0.0], [0.5, 0.5]])
    expected = math.exp((math.log(4 / 3) + 0.5 * math.log(2 / 3) + 0.5 * math.log(2)) / 2)
    assert metrics.classifier_score(mixed, splits=1)[0] == pytest.approx(expected)


def test_classifier_score_splits_report_spread() -> None:
    probs = np.concatenate([np.eye(2), np.tile([0.5, 0.5], (2, 1))])  # split 1: 2, split 2: 1
    mean, std = metrics.classifier_score(probs, splits=2)
    assert (mean, std) == (pytest.approx(1.5), pytest.approx(0.5))


def test_class_shares_and_total_variation() -> None:
    probs = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]])
    shares = metrics.class_shares(probs)
    assert shares.tolist() == [0.5, 0.25, 0.25]
    assert metrics.total_variation(shares, [1 / 3] * 3) == pytest.approx(1 / 6)
    assert metrics.total_variation([1, 0], [0, 1]) == 1.0
