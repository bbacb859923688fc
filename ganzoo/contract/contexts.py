"""What plugin components are handed when they are built or called.

`BuildContext` goes to every factory, `StepContext` to penalties and auxiliary terms
inside the train step, `EvalContext` to metric components. Plain dataclasses: nothing
here imports TensorFlow.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ganzoo.contract.imagedata import DEFAULT_DATASET

if TYPE_CHECKING:  # only for annotations: importing it would pull in TensorFlow
    import keras

Outputs = dict[str, Any]



@dataclass(frozen=True)
class BuildContext:
    """What a generator or discriminator factory needs to know to build itself."""

    #: shape of one sample: (H, W, C) for images, (D,) for point data (see `is_points`)
    image_shape: tuple[int, ...]
    latent_dim: int
    num_classes: int
    config: Mapping[str, Any]

    @property
    def is_points(self) -> bool:
        """The data are points (N, D) in their own coordinates, not images in [-1, 1]."""
        return len(self.image_shape) == 1

    @property
    def conditional(self) -> bool:
        """The generator takes a class label (and, unless `d_labels` is off, so does D)."""
        return bool(self.config.get("conditional", False)) and self.num_classes > 0

    @property
    def discriminator_conditional(self) -> bool:
        """D takes the label as an input; off for auxiliary-classifier models (ACGAN)."""
        return self.conditional and bool(self.config.get("d_labels", True))

    @property
    def code_categorical(self) -> int:
        """Categories of the one categorical latent code (InfoGAN); 0 is none."""
        return int(self.config.get("code_categorical", 0) or 0)

    @property
    def code_continuous(self) -> int:
        """Number of continuous latent codes, each uniform in [-1, 1] (InfoGAN)."""
        return int(self.config.get("code_continuous", 0) or 0)

    @property
    def code_dim(self) -> int:
        """Width of the code part of the generator input: one-hot categories + continuous."""
        return self.code_categorical + self.code_continuous

    @property
    def generator_input_dim(self) -> int:
        """Width of the generator's noise input: z followed by the latent codes."""
        return self.latent_dim + self.code_dim

    def get(self, key: str, default: Any = None) -> Any:
        return self.config.get(key, default)


@dataclass
class StepContext:
    """What a penalty or auxiliary term sees during a discriminator or generator step.

    In a generator step of the alternating update, `real`, `labels` and
    `real_out` are only filled in when a loss or term sets
    ``needs_real_for_generator = True`` (otherwise `real_out` is ``{}``).
    """

    discriminator: Callable[..., Outputs]
    real: Any
    fake: Any
    labels: Any
    fake_labels: Any
    real_out: Outputs
    fake_out: Outputs
    seed: keras.random.SeedGenerator
    #: the latent codes the fake batch was made from, (batch, code_dim), or None
    codes: Any = None
    #: D updates made before this step (D's optimizer's iteration count, an integer
    #: tensor), for terms applied every k-th step; None outside a train step
    d_step: Any = None


@dataclass
class EvalContext:
    """What a metric component is called with. Features are computed once, on first use."""

    #: uint8 images (N, H, W, C) in the usual case; raw float points (N, D) for sources
    #: that are not images (e.g. 2-D toy data sets)
    samples: np.ndarray
    #: the data set the samples imitate (a registered name or a path)
    dataset: str
    seed: int
    #: metrics add what a reader needs to reproduce their figures (subset sizes, k, ...)
    protocol: dict[str, Any]
    _extractor: Callable[[], Any] = field(repr=False)
    _reference: Callable[[], Any] = field(repr=False)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        return len(self.samples)

    @property
    def is_images(self) -> bool:
        return self.samples.ndim == 4

    def extractor(self) -> Any:
        """The feature extractor (`ganzoo.evaluation.features.Extractor`): name, identity,
        class names, and a call from uint8 images to (features, class probabilities)."""
        if "extractor" not in self._cache:
            self._cache["extractor"] = self._extractor()
            self.protocol["feature_extractor"] = self._cache["extractor"].identity
        return self._cache["extractor"]

    def reference(self) -> Any:
        """The real data's statistics (`ganzoo.evaluation.evaluate.Reference`)."""
        if "reference" not in self._cache:
            self._cache["reference"] = self._reference()
            self.protocol["reference"] = self._cache["reference"].describe()
        return self._cache["reference"]

    def _features(self) -> tuple[np.ndarray, np.ndarray | None]:
        if "features" not in self._cache:
            self._cache["features"] = self.extractor()(self.samples)
        return self._cache["features"]

    def features(self) -> np.ndarray:
        """Feature vectors of the samples (float32, (N, D))."""
        return self._features()[0]

    def probs(self) -> np.ndarray | None:
        """Class probabilities of the samples, when the extractor classifies this data set."""
        probs = self._features()[1]
        return probs if self.dataset_matches_classes() else None

    def dataset_matches_classes(self) -> bool:
        ex = self.extractor()
        return bool(ex.class_names) and (self.dataset or DEFAULT_DATASET) in ex.datasets

    def class_names(self) -> tuple[str, ...]:
        return self.extractor().class_names

    def reference_subset(self) -> np.ndarray:
        """The first min(N, reference size) reference features: equal-size sets for KID
        and precision/recall, the same ones for every evaluation of N samples."""
        ref = self.reference().features
        return ref[:min(self.n, len(ref))]
