"""Auxiliary terms that act on both networks: ACGAN's class loss, InfoGAN's MI term.

They register as penalties but return objects with ``discriminator_term(ctx)``
and ``generator_term(ctx)``: the first joins D's loss, the second G's. ``heads``
names the discriminator outputs they read, so a model built without them fails
with a clear message instead of a KeyError inside the train step.
"""

from __future__ import annotations

from typing import Any

from ganzoo.plugin import BuildContext, ConfigError

ACGAN_PARAMS = {"acgan_weight": 1.0}
INFOGAN_PARAMS = {"info_weight_categorical": 1.0, "info_weight_continuous": 1.0}


def _cross_entropy(labels: Any, logits: Any) -> Any:
    """Mean softmax cross-entropy of integer `labels` under `logits` (batch, K)."""
    from keras import ops

    logits = ops.cast(logits, "float32")
    log_probs = logits - ops.logsumexp(logits, axis=-1, keepdims=True)
    picked = ops.take_along_axis(log_probs, ops.expand_dims(ops.cast(labels, "int32"), -1),
                                 axis=-1)
    return -ops.mean(picked)


class AuxiliaryClassifier:
    """ACGAN (Odena et al. 2017, eqs. 2-3): D's "class_logits" head learns the class of
    real and fake images (L_C on both, for D); G is rewarded when its images are
    classified as the class it was asked for (L_C on fakes, for G).
    """

    heads = ("class_logits",)

    def __init__(self, weight: float) -> None:
        self.weight = float(weight)

    def discriminator_term(self, ctx: Any) -> Any:
        return self.weight * (_cross_entropy(ctx.labels, ctx.real_out["class_logits"])
                              + _cross_entropy(ctx.fake_labels, ctx.fake_out["class_logits"]))

    def generator_term(self, ctx: Any) -> Any:
        return self.weight * _cross_entropy(ctx.fake_labels, ctx.fake_out["class_logits"])


class MutualInformation:
    """InfoGAN (Chen et al. 2016, eq. 5): the negative variational lower bound on I(c; G(z, c)),
    up to the constant H(c), minimised by G and by the Q head ("code") of D.

    Categorical code: cross-entropy of Q's logits against the drawn category.
    Continuous codes: negative log-likelihood of a unit-variance Gaussian centred on Q's
    output, 0.5 * (c - mu)^2 summed over codes (the constant dropped).
    """

    heads = ("code",)

    def __init__(self, categorical: int, continuous: int, weight_categorical: float,
                 weight_continuous: float) -> None:
        self.categorical = int(categorical)
        self.continuous = int(continuous)
        self.weight_categorical = float(weight_categorical)
        self.weight_continuous = float(weight_continuous)

    def value(self, codes: Any, predicted: Any) -> Any:
        from keras import ops

        k = self.categorical
        total = ops.zeros((), "float32")
        predicted = ops.cast(predicted, "float32")
        if k:
            category = ops.argmax(codes[:, :k], axis=-1)
            total = total + self.weight_categorical * _cross_entropy(category, predicted[:, :k])
        if self.continuous:
            error = ops.square(codes[:, k:] - predicted[:, k:])
            total = total + self.weight_continuous * 0.5 * ops.mean(ops.sum(error, axis=-1))
        return total

    def discriminator_term(self, ctx: Any) -> Any:
        return self.value(ctx.codes, ctx.fake_out["code"])

    def generator_term(self, ctx: Any) -> Any:
        return self.value(ctx.codes, ctx.fake_out["code"])


def build_acgan(ctx: BuildContext) -> AuxiliaryClassifier:
    if not ctx.conditional:
        raise ConfigError("penalty 'acgan' needs a conditional generator and a labelled data "
                          "set (--set conditional=true)")
    return AuxiliaryClassifier(float(ctx.get("acgan_weight", ACGAN_PARAMS["acgan_weight"])))


def build_infogan(ctx: BuildContext) -> MutualInformation:
    if ctx.code_dim == 0:
        raise ConfigError("penalty 'infogan' needs latent codes: --set code_categorical=10 "
                          "and/or --set code_continuous=2")
    return MutualInformation(ctx.code_categorical, ctx.code_continuous,
                             float(ctx.get("info_weight_categorical",
                                     INFOGAN_PARAMS["info_weight_categorical"])),
                             float(ctx.get("info_weight_continuous",
                                     INFOGAN_PARAMS["info_weight_continuous"])))
