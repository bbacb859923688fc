"""Sample-quality metrics on feature vectors and class probabilities, in numpy/scipy.

Pure numerics, no TensorFlow: every function takes arrays and returns numbers, so
each can be checked against hand-computed values (tests/test_metrics.py).

- `frechet_distance`: Fréchet distance between Gaussians fitted to two feature sets
  (Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule...").
- `kid`: kernel inception distance, the unbiased MMD² with the cubic polynomial
  kernel, averaged over random subsets (Bińkowski et al. 2018, "Demystifying MMD GANs").
- `precision_recall`: improved precision and recall with k-NN manifolds
  (Kynkäänniemi et al. 2019, "Improved Precision and Recall Metric for Assessing
  Generative Models"), k = 3 as in the paper.
- `classifier_score`: the Inception Score formula (Salimans et al. 2016) applied to
  any classifier's probabilities, in splits.
- `class_shares`: the share of each predicted class among the samples.
"""

from __future__ import annotations

import numpy as np


def gaussian_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (unbiased, N-1) covariance of feature rows, in float64."""
    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2 or len(x) < 2:
        raise ValueError(f"need at least two feature rows, got shape {x.shape}")
    return x.mean(axis=0), np.cov(x, rowvar=False)


def trace_sqrt_product(cov1: np.ndarray, cov2: np.ndarray) -> float:
    """Tr((C1 C2)^½) for covariance matrices, through symmetric eigenproblems.

    C1 C2 is similar to the positive semi-definite C1^½ C2 C1^½, so the trace of its square
    root is the sum of the square roots of that matrix's eigenvalues. Two `eigh` calls
    are exact where `scipy.linalg.sqrtm` of the (non-symmetric) product needs an
    epsilon for singular covariances, and are many times faster at 2048 dimensions.
    """
    from scipy import linalg

    w, v = linalg.eigh(cov1)
    root = (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T
    middle = root @ cov2 @ root
    eig = linalg.eigvalsh((middle + middle.T) / 2.0)
    return float(np.sqrt(np.clip(eig, 0.0, None)).sum())


def frechet_distance(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray,
                     cov2: np.ndarray) -> float:
    """d² = |mu1 - mu2|² + Tr(C1 + C2 - 2 (C1 C2)^½)."""
    mu1, mu2 = np.atleast_1d(mu1).astype(np.float64), np.atleast_1d(mu2).astype(np.float64)
    cov1, cov2 = np.atleast_2d(cov1).astype(np.float64), np.atleast_2d(cov2).astype(np.float64)
    if mu1.shape != mu2.shape or cov1.shape != cov2.shape:
        raise ValueError(f"shapes differ: {mu1.shape}/{mu2.shape}, {cov1.shape}/{cov2.shape}")
    diff = mu1 - mu2
    value = float(diff @ diff + np.trace(cov1) + np.trace(cov2)
                  - 2.0 * trace_sqrt_product(cov1, cov2))
    return max(value, 0.0)  # round-off can give -1e-12 for identical inputs


def polynomial_kernel(x: np.ndarray, y: np.ndarray, degree: int = 3,
                      gamma: float | None = None, coef0: float = 1.0) -> np.ndarray:
    """k(x, y) = (gamma x·y + coef0)^degree, gamma = 1/d by default (KID's kernel)."""
    gamma = 1.0 / x.shape[1] if gamma is None else gamma
    base = gamma * (x @ y.T)
    base += coef0
    out = base.copy()
    for _ in range(degree - 1):  # repeated products: ~15x faster than ** on large matrices
        out *= base
    return out


def mmd2_unbiased(x: np.ndarray, y: np.ndarray, degree: int = 3, gamma: float | None = None,
                  coef0: float = 1.0) -> float:
    """Unbiased MMD² estimate: means of k(x, x') and k(y, y') over distinct pairs,
    minus twice the mean of k(x, y). Its expectation is 0 when x and y come from the
    same distribution, so it can be (slightly) negative."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    m, n = len(x), len(y)
    if m < 2 or n < 2:
        raise ValueError("MMD needs at least two rows in each set")
    kxx = polynomial_kernel(x, x, degree, gamma, coef0)
    kyy = polynomial_kernel(y, y, degree, gamma, coef0)
    kxy = polynomial_kernel(x, y, degree, gamma, coef0)
    sxx = (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
    syy = (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    return float(sxx + syy - 2.0 * kxy.mean())


def kid(x: np.ndarray, y: np.ndarray, subsets: int = 100, subset_size: int = 1000,
        seed: int = 0) -> tuple[float, float]:
    """Kernel inception distance: (mean, std) of `mmd2_unbiased` over random subsets.

    Subsets are drawn without replacement within each subset, as in Bińkowski et al.;
    the subset size is capped by the smaller set.
    """
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    size = min(subset_size, len(x), len(y))
    rng = np.random.default_rng(seed)
    values = np.array([
        mmd2_unbiased(x[rng.choice(len(x), size, replace=False)],
                      y[rng.choice(len(y), size, replace=False)])
        for _ in range(subsets)
    ])
    return float(values.mean()), float(values.std())


def _sq_norms(x: np.ndarray) -> np.ndarray:
    return np.einsum("ij,ij->i", x, x)


def _pairwise_sq(a: np.ndarray, b: np.ndarray, b_norms: np.ndarray) -> np.ndarray:
    d = _sq_norms(a)[:, None] + b_norms[None, :] - 2.0 * (a @ b.T)
    return np.maximum(d, 0.0)


def knn_radii(x: np.ndarray, k: int = 3, batch: int = 1000) -> np.ndarray:
    """Squared distance of each row to its k-th nearest *other* row."""
    x = np.asarray(x, np.float64)
    if len(x) <= k:
        raise ValueError(f"k-NN radii need more than k={k} rows, got {len(x)}")
    norms = _sq_norms(x)
    out = np.empty(len(x))
    for start in range(0, len(x), batch):
        d = _pairwise_sq(x[start:start + batch], x, norms)
        # the row itself is at distance 0 and counts as the 0-th neighbour
        out[start:start + batch] = np.partition(d, k, axis=1)[:, k]
    return out


def _covered(queries: np.ndarray, points: np.ndarray, radii: np.ndarray,
             batch: int = 1000) -> np.ndarray:
    """For each query: does it lie in some ball (point, radius) — distance <= radius?"""
    norms = _sq_norms(points)
    out = np.empty(len(queries), dtype=bool)
    for start in range(0, len(queries), batch):
        d = _pairwise_sq(queries[start:start + batch], points, norms)
        out[start:start + batch] = (d <= radii[None, :]).any(axis=1)
    return out


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 3) -> tuple[float, float]:
    """Improved precision (share of fake samples inside the real k-NN manifold) and recall
    (share of real samples inside the fake k-NN manifold), Kynkäänniemi et al. 2019."""
    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    precision = _covered(fake, real, knn_radii(real, k)).mean()
    recall = _covered(real, fake, knn_radii(fake, k)).mean()
    return float(precision), float(recall)


def classifier_score(probs: np.ndarray, splits: int = 10) -> tuple[float, float]:
    """exp(E_x KL(p(y|x) ‖ p(y))) per split: (mean, std) over `splits` equal parts.

    1 when every sample gets the same prediction, the number of classes when
    predictions are confident and classes are equally frequent.
    """
    p = np.asarray(probs, np.float64)
    splits = max(1, min(splits, len(p)))
    scores = []
    for part in np.array_split(p, splits):
        marginal = part.mean(axis=0, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            kl = np.where(part > 0, part * (np.log(part) - np.log(marginal)), 0.0)
        scores.append(np.exp(kl.sum(axis=1).mean()))
    return float(np.mean(scores)), float(np.std(scores))


def class_shares(probs: np.ndarray, num_classes: int | None = None) -> np.ndarray:
    """Share of samples whose most probable class is each class (sums to 1)."""
    p = np.asarray(probs)
    num_classes = p.shape[1] if num_classes is None else num_classes
    counts = np.bincount(p.argmax(axis=1), minlength=num_classes)
    return counts / max(len(p), 1)


def total_variation(p: np.ndarray, q: np.ndarray) -> float:
    """½ Σ |p - q|: 0 for equal class shares, 1 for disjoint ones."""
    return float(0.5 * np.abs(np.asarray(p, np.float64) - np.asarray(q, np.float64)).sum())
