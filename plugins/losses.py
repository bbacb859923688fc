"""Adversarial losses over discriminator logits.

Each loss is a pair of objectives that both networks minimise. They take the
discriminator's output dicts and read their "logits" head; everything is
written with `keras.ops`, imported when a loss is built.
"""

from __future__ import annotations

from typing import Any

from ganzoo.plugin import BuildContext


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


class BoundaryEquilibrium(_Loss):
    """BEGAN (Berthelot et al. 2017, eq. 4): D's "logits" are per-example reconstruction
    energies L(v) = mean |v - AE(v)| of an autoencoder discriminator.

    L_D = L(x) - k_t L(G(z)),  L_G = L(G(z)),
    k_{t+1} = clip(k_t + lambda_k (gamma L(x) - L(G(z))), 0, 1).

    k_t is a non-trainable Keras variable (in ``variables``, so checkpoints keep it),
    updated by ``update()`` after each D step, which also returns the logs ``began_k``
    and the convergence measure ``began_m`` = L(x) + |gamma L(x) - L(G(z))|.
    """

    def __init__(self, gamma: float, lambda_k: float, k0: float = 0.0) -> None:
        super().__init__()
        import keras

        self.gamma = float(gamma)
        self.lambda_k = float(lambda_k)
        self.k = keras.Variable(float(k0), trainable=False, dtype="float32", name="began_k")
        self.variables = [self.k]

    def discriminator_loss(self, real: dict, fake: dict) -> Any:
        ops = self.ops
        return ops.mean(real["logits"]) - ops.stop_gradient(self.k) * ops.mean(fake["logits"])

    def generator_loss(self, real: dict, fake: dict) -> Any:
        return self.ops.mean(fake["logits"])

    def update(self, real: dict, fake: dict) -> dict[str, Any]:
        ops = self.ops
        loss_real = ops.stop_gradient(ops.mean(real["logits"]))
        loss_fake = ops.stop_gradient(ops.mean(fake["logits"]))
        balance = self.gamma * loss_real - loss_fake
        self.k.assign(ops.clip(self.k + self.lambda_k * balance, 0.0, 1.0))
        return {"began_k": ops.convert_to_tensor(self.k), "began_m": loss_real + ops.abs(balance)}


def build_began(ctx: BuildContext) -> BoundaryEquilibrium:
    """BEGAN's loss with equilibrium control; reads began_gamma and began_lambda_k."""
    gamma = float(ctx.get("began_gamma", 0.5))
    if not 0.0 < gamma <= 1.0:
        from ganzoo.plugin import ConfigError

        raise ConfigError(f"--set began_gamma={gamma}: the diversity ratio must be in (0, 1]")
    return BoundaryEquilibrium(gamma, float(ctx.get("began_lambda_k", 0.001)))


BEGAN_PARAMS = {"began_gamma": 0.5, "began_lambda_k": 0.001}


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
FACTORIES["began"] = (build_began, "BEGAN's autoencoder energy loss with equilibrium "
                      "control k_t (Berthelot et al. 2017); needs an energy discriminator")
#: Hyperparameters each loss reads (losses without an entry read none).
PARAMS = {"began": BEGAN_PARAMS}
