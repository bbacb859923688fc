"""Built-in metric components: what ``ganzoo eval`` and ``eval_every`` compute.

A metric component is called with a `ganzoo.evaluation.evaluate.EvalContext` and returns a
dict of named figures, or None when it does not apply to the samples (for
example, image metrics on 2-D points). Plugins add their own the same way
(``ganzoo_register_metrics``, docs/PLUGINS.md). Only numpy/scipy numerics run
here; the context computes features once and shares them between metrics.
"""

from __future__ import annotations

from typing import Any

from ganzoo.plugin import metrics

KID_SUBSETS = 100
KID_SUBSET_SIZE = 1000
PR_K = 3
SCORE_SPLITS = 10


def frechet(ctx: Any) -> dict[str, float] | None:
    """Fréchet distance between Gaussians fitted to sample and reference features
    (Heusel et al. 2017), on the whole reference split."""
    if not ctx.is_images:
        return None
    ref = ctx.reference()
    mean, cov = metrics.gaussian_stats(ctx.features())
    return {"frechet_distance": metrics.frechet_distance(mean, cov, ref.mean, ref.cov)}


def kid(ctx: Any) -> dict[str, float] | None:
    """Kernel inception distance (Bińkowski et al. 2018): unbiased MMD², cubic kernel."""
    if not ctx.is_images:
        return None
    real = ctx.reference_subset()
    mean, std = metrics.kid(ctx.features(), real, subsets=KID_SUBSETS,
                            subset_size=KID_SUBSET_SIZE, seed=ctx.seed)
    ctx.protocol["kid"] = {"kernel": "(x.y / d + 1)^3", "subsets": KID_SUBSETS,
                           "subset_size": min(KID_SUBSET_SIZE, ctx.n, len(real)),
                           "reference_features": len(real)}
    return {"kid": mean, "kid_std": std}


def precision_recall(ctx: Any) -> dict[str, float] | None:
    """Improved precision and recall, k-NN manifolds (Kynkäänniemi et al. 2019), k = 3."""
    if not ctx.is_images:
        return None
    real = ctx.reference_subset()
    precision, recall = metrics.precision_recall(real, ctx.features(), k=PR_K)
    ctx.protocol["precision_recall"] = {"k": PR_K, "reference_features": len(real)}
    return {"precision": precision, "recall": recall}


def classifier_score(ctx: Any) -> dict[str, float] | None:
    """The Inception Score formula (Salimans et al. 2016) with the data set's classifier."""
    if not ctx.is_images:
        return None
    probs = ctx.probs()
    if probs is None:
        return None
    mean, std = metrics.classifier_score(probs, splits=SCORE_SPLITS)
    ctx.protocol["classifier_score"] = {"splits": SCORE_SPLITS}
    out = {"classifier_score": mean, "classifier_score_std": std}
    ref = ctx.reference()
    if ref.classifier_score is not None:
        out["reference_classifier_score"] = ref.classifier_score
    return out


def class_shares(ctx: Any) -> dict[str, Any] | None:
    """Share of each predicted class, and its total-variation distance from the
    reference split's shares (0: same mix of classes; 1: no class in common)."""
    if not ctx.is_images:
        return None
    probs = ctx.probs()
    if probs is None:
        return None
    names = ctx.class_names()
    shares = metrics.class_shares(probs, len(names))
    out: dict[str, Any] = {"class_shares": {n: round(float(s), 5) for n, s in zip(names, shares,
                                                                                  strict=True)}}
    ref = ctx.reference()
    if ref.class_shares is not None:
        out["class_share_tv"] = metrics.total_variation(shares, ref.class_shares)
    out["classes_missing"] = int((shares < 0.1 / len(names)).sum())
    return out


#: name -> (function, description), in the order results are reported
METRICS: dict[str, tuple[Any, str]] = {
    "frechet": (frechet, "Fréchet distance of classifier (or Inception) features"),
    "kid": (kid, "kernel inception distance: unbiased MMD², cubic polynomial kernel"),
    "precision-recall": (precision_recall, "improved precision and recall, k-NN manifolds, k=3"),
    "classifier-score": (classifier_score, "Inception Score computed with the data set's "
                                           "classifier, 10 splits"),
    "class-shares": (class_shares, "share of each predicted class; distance from the reference"),
}
