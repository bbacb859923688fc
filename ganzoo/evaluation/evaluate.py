"""Scoring samples against a reference: what ``ganzoo eval`` and ``eval_every`` run.

The flow: samples (uint8 images, or raw points for non-image data) -> an
`EvalContext` that computes, on first use, the samples' features and class
probabilities and the reference statistics -> every registered *metric*
component (built-ins in ``ganzoo_plugins.metrics``, others from plugins through
``ganzoo_register_metrics``) -> one result dict that carries its protocol: number
of samples, reference data set and split, feature extractor name, version and
weights hash.

References: for 28x28 grey images of Fashion-MNIST, the statistics of the test
split shipped with ganzoo's classifier; otherwise the features of the named data
set's test split (its train split when it has no test split), computed here.

Nothing here imports TensorFlow until features are computed.
"""

from __future__ import annotations

import datetime as _dt
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ganzoo.contract.contexts import EvalContext
from ganzoo.contract.imagedata import DEFAULT_DATASET
from ganzoo.errors import DataError, GanzooError
from ganzoo.evaluation.features import Extractor
from ganzoo.evaluation.samples import (  # noqa: F401  (Samples, to_uint8: the names of old)
    Samples,
    accepted,
    check_points,
    load_samples,
    to_uint8,
)
from ganzoo.zoo.components import Catalog

#: The figures ``eval_every`` also writes into metrics.csv (as ``eval_<name>``); every
#: figure goes to eval.csv and TensorBoard.
HEADLINE = ("frechet_distance", "kid", "precision", "recall", "classifier_score")
MIN_SAMPLES = 10


@dataclass(frozen=True)
class Reference:
    """Statistics of the real images samples are compared with."""

    dataset: str
    split: str
    n: int
    mean: np.ndarray
    cov: np.ndarray
    #: features in a fixed random order; KID and precision/recall use the first N
    features: np.ndarray
    class_shares: np.ndarray | None = None
    classifier_score: float | None = None
    source: str = ""

    def describe(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "split": self.split, "n": self.n,
                "source": self.source}


def shipped_reference() -> Reference:
    from ganzoo.evaluation import classifier

    ref = classifier.load_reference()
    return Reference(ref.dataset, ref.split, ref.n, ref.mean, ref.cov, ref.features,
                     ref.class_shares, ref.probs_score,
                     source=f"shipped with ganzoo ({classifier.FOLDER}/{classifier.REFERENCE})")


def is_shipped(dataset: str | None, shape: tuple[int, ...]) -> bool:
    """True when the shipped Fashion-MNIST test reference applies."""
    from ganzoo.evaluation import classifier

    return tuple(shape) == classifier.IMAGE_SHAPE and (dataset or DEFAULT_DATASET) in \
        classifier.DATASETS


def reference_images(catalog: Catalog, dataset: str) -> tuple[Any, str]:
    """The real images of a non-shipped reference: the test split, else the train split."""
    from ganzoo.data.loading import open_dataset

    try:
        return open_dataset(catalog, dataset, "test"), "test"
    except DataError as test_error:
        try:
            return open_dataset(catalog, dataset, "train"), "train"
        except DataError:
            raise test_error from None


def compute_reference(extractor: Extractor, catalog: Catalog, dataset: str,
                      shape: tuple[int, ...]) -> Reference:
    """Features of a data set's reference split, computed with `extractor`."""
    data, split = reference_images(catalog, dataset)
    if data.image_shape != tuple(shape):
        raise DataError(
            f"samples are {'x'.join(map(str, shape))} images but data set {dataset!r} holds "
            f"{'x'.join(map(str, data.image_shape))} images; pass the --dataset they imitate"
        )
    feats, probs = extractor(data.images)
    from ganzoo.evaluation import metrics

    mean, cov = metrics.gaussian_stats(feats)
    order = np.random.default_rng(0).permutation(len(feats))
    shares = score = None
    if probs is not None and dataset in extractor.datasets:
        score = metrics.classifier_score(probs)[0]
        if data.labels is not None:
            shares = np.bincount(data.labels, minlength=data.num_classes) / len(data)
    return Reference(dataset, split, len(feats), mean, cov, feats[order], shares, score,
                     source=data.source)


class Scorer:
    """Scores sample sets against one data set's reference; keeps the extractor and the
    reference between calls (training evaluates every few epochs)."""

    def __init__(self, catalog: Catalog, dataset: str | None, shape: tuple[int, ...],
                 extractor: Extractor | None = None) -> None:
        from ganzoo.evaluation import features

        self.catalog = catalog
        self.shape = tuple(shape)
        # images default to the shipped reference's data set; other data name their own
        self.dataset = dataset or (DEFAULT_DATASET if len(self.shape) == 3 else "")
        self._cache: dict[str, Any] = {}
        if extractor is not None:
            self._cache["extractor"] = extractor
        elif len(self.shape) == 3:
            features.check_available(self.shape)

    def extractor(self) -> Extractor:
        from ganzoo.evaluation.features import extractor_for

        if "extractor" not in self._cache:
            self._cache["extractor"] = extractor_for(self.shape)
        return self._cache["extractor"]

    def reference(self) -> Reference:
        if "reference" not in self._cache:
            if is_shipped(self.dataset, self.shape):
                self._cache["reference"] = shipped_reference()
            else:
                self._cache["reference"] = compute_reference(
                    self.extractor(), self.catalog, self.dataset, self.shape)
        return self._cache["reference"]

    def score(self, samples: np.ndarray, seed: int = 0) -> dict[str, Any]:
        """Run every metric component; returns {"metrics", "protocol", "errors", "notes"}."""
        if len(samples) < MIN_SAMPLES:
            raise GanzooError(f"{len(samples)} samples are too few to score; give at least "
                              f"{MIN_SAMPLES} (10,000 is the usual protocol)")
        if samples.ndim == 4 and tuple(samples.shape[1:]) != self.shape:
            raise DataError(f"samples have shape {samples.shape[1:]}, expected {self.shape}")
        start = time.perf_counter()
        protocol: dict[str, Any] = {"samples": len(samples), "seed": seed,
                                    "dataset": self.dataset}
        if samples.ndim == 4:
            protocol["pixels"] = "uint8 (floats are rounded to 8 bits, like saved images)"
        ctx = EvalContext(samples, self.dataset, seed, protocol, self.extractor, self.reference)
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        used: dict[str, str] = {}
        for name, component in self.catalog.components.get("metric", {}).items():
            builtin = self.catalog.plugins.get(component.plugin)
            try:
                out = component.factory(ctx)
            except GanzooError:
                raise
            except Exception as exc:
                if builtin is not None and builtin.builtin:
                    raise
                errors[name] = f"plugin {component.plugin!r}: {type(exc).__name__}: {exc}"
                continue
            if out is None:
                continue
            if not isinstance(out, dict):
                errors[name] = (f"plugin {component.plugin!r}: returned "
                                f"{type(out).__name__}, expected a dict of figures")
                continue
            used[name] = component.plugin
            for key, value in out.items():
                if key in values:
                    errors[name] = f"figure {key!r} is already given by another metric; dropped"
                    continue
                values[key] = _plain(value)
        protocol["metrics"] = used
        result: dict[str, Any] = {"metrics": values, "protocol": protocol,
                                  "seconds": round(time.perf_counter() - start, 2)}
        if errors:
            result["errors"] = errors
        notes = _notes(ctx, len(samples))
        if notes:
            result["notes"] = notes
        return result


def _notes(ctx: EvalContext, n: int) -> list[str]:
    notes = []
    if not ctx.is_images:
        return notes
    if n < 10_000:
        notes.append(f"{n} samples: Fréchet distance and recall depend on the number of "
                     "samples; compare figures only at equal --n")
    if "extractor" in ctx._cache and not ctx.dataset_matches_classes():
        notes.append(f"the feature extractor was not trained on {ctx.dataset!r}: class shares "
                     "and the classifier score are not computed")
    return notes


def _plain(value: Any) -> Any:
    """numpy numbers and arrays -> JSON-ready Python values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def default_output_for(source: str | Path, result: dict[str, Any]) -> Path:
    """Where a result is saved: RUN/eval.json, or FILE.eval.json beside a file."""
    source = Path(source)
    if result.get("source_kind") == "run":
        return source / "eval.json"
    name = source.name
    for suffix in (".weights.h5", ".npy", ".npz"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    return source.with_name(name + ".eval.json")


def evaluate_source(source: str | Path, catalog: Catalog, n: int = 10_000,
                    dataset: str | None = None, seed: int = 0) -> dict[str, Any]:
    """Everything ``ganzoo eval`` computes, as one JSON-ready dict.

    Samples no metric can score (points without the toy set they imitate, a data set no
    installed metric knows) are refused with a message, not saved as empty figures.
    """
    from ganzoo.version import __version__

    start = time.perf_counter()
    samples = load_samples(source, n, seed, catalog)
    chosen = dataset or samples.dataset
    if samples.data.ndim == 2:
        check_points(samples, chosen, str(source))
    if chosen is None and samples.data.ndim == 4:
        chosen = DEFAULT_DATASET if samples.data.shape[1:] == (28, 28, 1) else "cifar10"
    scorer = Scorer(catalog, chosen, samples.data.shape[1:])
    result = scorer.score(samples.data, seed=seed)
    if not result["metrics"]:
        failed = "; ".join(f"{k}: {v}" for k, v in result.get("errors", {}).items())
        shape = samples.data.shape[1:]
        what = (f"{shape[0]}-d points" if len(shape) == 1
                else f"{'x'.join(str(s) for s in shape)} images")
        raise GanzooError(
            f"{source}: no installed metric scores {what} against {chosen!r}"
            f"{f' ({failed})' if failed else ''}; ganzoo scores {accepted()}")
    result["protocol"]["requested_samples"] = n
    head = {"ganzoo_version": __version__,
            "created": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "source": str(source), "source_kind": samples.kind, "model": samples.model,
            "step": samples.step}
    head.update(result)
    head["seconds"] = round(time.perf_counter() - start, 2)
    return head


def check_training_eval(catalog: Catalog, data: Any) -> None:
    """At plan time (no TensorFlow): can ``eval_every`` score this run's data?"""
    from ganzoo.evaluation import features

    features.check_available(data.image_shape)
    if not is_shipped(data.name, data.image_shape):
        reference_images(catalog, data.name)


def summary_lines(result: dict[str, Any]) -> list[str]:
    """The human-readable report of a result."""
    m, p = result["metrics"], result["protocol"]
    lines = []
    ref, ex = p.get("reference"), p.get("feature_extractor")
    if ref:
        lines.append(f"reference: {ref['dataset']} {ref['split']} split, {ref['n']} images")
    if ex:
        lines.append(f"features: {ex['name']} v{ex['version']} (sha256 {ex['sha256']}, "
                     f"{ex['feature_dim']}-d {ex['layer']})")
    for key, value in m.items():
        if isinstance(value, dict | list) or key.endswith("_std") or key.startswith("reference_"):
            continue
        text = f"{value:.4g}" if isinstance(value, float) else str(value)
        if f"{key}_std" in m:
            text += f" ± {m[key + '_std']:.2g}"
        if f"reference_{key}" in m:
            text += f"  (reference split: {m['reference_' + key]:.4g})"
        lines.append(f"  {key:<20} {text}")
    shares = m.get("class_shares")
    if isinstance(shares, dict):
        lines.append("  class shares: " + ", ".join(f"{k} {v:.3f}" for k, v in shares.items()))
    for name, why in result.get("errors", {}).items():
        lines.append(f"warning: metric {name!r} failed: {why}")
    for note in result.get("notes", []):
        lines.append(f"note: {note}")
    return lines
