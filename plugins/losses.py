"""Adversarial losses over discriminator logits.

Each loss is a pair of objectives that both networks minimise. They take the
discriminator's output dicts and read their "logits" head; everything is
written with `keras.ops`, imported when a loss is built.
"""

from __future__ import annotations

from typing import Any

from ganzoo.components import BuildContext


class _Loss:
    needs_real_for_generator = False

    def __init__(self) -> None:
        from keras import ops

        self.ops = ops

    def _softplus_mean(self, x: Any) -> Any:
        return self.ops.mean(self.ops.softplus(x))


class NonSaturating(_Loss):
    """Binary cross-entropy on logits; G maximises log D(G(z)) (Goodfellow et al. 2014, s. 3).

    D's loss is the mean of the real and fake terms, as in ganzoo's source text.
    BCE(1, x) = softplus(-x) and BCE(0, x) = softplus(x), computed stably.
    """

    def discriminator_loss(self, real: dict, fake: dict) -> Any:
        return 0.5 * (self._softplus_mean(-real["logits"]) + self._softplus_mean(fake["logits"]))

    def generator_loss(self, real: dict, fake: dict) -> Any:
        return self._softplus_mean(-fake["logits"])


class Minimax(NonSaturating):
    """The original saturating game: G minimises log(1 - D(G(z))) = -softplus(logit)."""

    def generator_loss(self, real: dict, fake: dict) -> Any:
        return -self._softplus_mean(fake["logits"])


class LeastSquares(_Loss):
    """LSGAN with the 0-1 coding a=0, b=1, c=1 (Mao et al. 2017, eq. 2)."""

    def discriminator_loss(self, real: dict, fake: dict) -> Any:
        ops = self.ops
        return 0.5 * ops.mean(ops.square(real["logits"] - 1.0)) + 0.5 * ops.mean(
            ops.square(fake["logits"])
        )

    def generator_loss(self, real: dict, fake: dict) -> Any:
        return 0.5 * self.ops.mean(self.ops.square(fake["logits"] - 1.0))


class Hinge(_Loss):
    """Hinge loss (Lim & Ye 2017; Miyato et al. 2018, eq. 17)."""

    def discriminator_loss(self, real: dict, fake: dict) -> Any:
        ops = self.ops
        return ops.mean(ops.relu(1.0 - real["logits"])) + ops.mean(ops.relu(1.0 + fake["logits"]))

    def generator_loss(self, real: dict, fake: dict) -> Any:
        return -self.ops.mean(fake["logits"])


class Wasserstein(_Loss):
    """Wasserstein-1 critic (Arjovsky et al. 2017): D maximises E[D(x)] - E[D(G(z))]."""

    def discriminator_loss(self, real: dict, fake: dict) -> Any:
        return self.ops.mean(fake["logits"]) - self.ops.mean(real["logits"])

    def generator_loss(self, real: dict, fake: dict) -> Any:
        return -self.ops.mean(fake["logits"])


def _factory(cls: type[_Loss]) -> Any:
    def build(ctx: BuildContext) -> _Loss:
        return cls()

    build.__doc__ = cls.__doc__
    return build


LOSSES = {
    "nsgan": (NonSaturating, "non-saturating binary cross-entropy on logits"),
    "minimax": (Minimax, "the original saturating minimax loss"),
    "lsgan": (LeastSquares, "least squares (Mao et al. 2017)"),
    "hinge": (Hinge, "hinge loss (Lim & Ye 2017)"),
    "wasserstein": (Wasserstein, "Wasserstein critic loss (Arjovsky et al. 2017)"),
}
FACTORIES = {name: (_factory(cls), text) for name, (cls, text) in LOSSES.items()}
