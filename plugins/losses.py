"""Adversarial losses over discriminator logits, one factory per loss, named as registered.

Each loss is a pair of objectives that both networks minimise (`PairLoss`), written with
`keras.ops` on the logits of D's outputs; Keras is imported when a loss is built.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ganzoo.plugin import BuildContext


@dataclass(frozen=True)
class PairLoss:
    """A loss as the engine calls it: one objective per player, over D's output dicts.

    Both functions see the "logits" head of D's outputs on real and on fake samples.
    """

    discriminator: Callable[[Any, Any], Any]
    generator: Callable[[Any, Any], Any]
    #: G's objective reads D's outputs on real data too (relativistic losses do)
    needs_real_for_generator: bool = False

    def discriminator_loss(self, real: dict, fake: dict) -> Any:
        return self.discriminator(real["logits"], fake["logits"])

    def generator_loss(self, real: dict, fake: dict) -> Any:
        return self.generator(real.get("logits"), fake["logits"])


def nsgan(ctx: BuildContext | None = None) -> PairLoss:
    """Non-saturating binary cross-entropy on logits (Goodfellow et al. 2014, section 3).

    G maximises log D(G(z)). D's loss is the mean of its real and fake terms, as in
    ganzoo's source text; BCE(1, x) = softplus(-x), BCE(0, x) = softplus(x), stably.
    """
    from keras import ops

    return PairLoss(
        lambda real, fake: 0.5 * (ops.mean(ops.softplus(-real)) + ops.mean(ops.softplus(fake))),
        lambda real, fake: ops.mean(ops.softplus(-fake)))


def minimax(ctx: BuildContext | None = None) -> PairLoss:
    """The original saturating game (Goodfellow et al. 2014, eq. 1): D as in `nsgan`,
    G minimises log(1 - D(G(z))) = -softplus(logit)."""
    from keras import ops

    d = nsgan().discriminator
    return PairLoss(d, lambda real, fake: -ops.mean(ops.softplus(fake)))


def lsgan(ctx: BuildContext | None = None) -> PairLoss:
    """Least squares with the 0-1 coding a=0, b=1, c=1 (Mao et al. 2017, eq. 2)."""
    from keras import ops

    return PairLoss(
        lambda real, fake: 0.5 * ops.mean(ops.square(real - 1.0)) + 0.5 * ops.mean(
            ops.square(fake)),
        lambda real, fake: 0.5 * ops.mean(ops.square(fake - 1.0)))


def hinge(ctx: BuildContext | None = None) -> PairLoss:
    """Hinge loss (Lim & Ye 2017; Miyato et al. 2018, eq. 17): D's margin is 1, G
    maximises D's output on fakes."""
    from keras import ops

    return PairLoss(
        lambda real, fake: ops.mean(ops.relu(1.0 - real)) + ops.mean(ops.relu(1.0 + fake)),
        lambda real, fake: -ops.mean(fake))


def wasserstein(ctx: BuildContext | None = None) -> PairLoss:
    """Wasserstein-1 critic (Arjovsky et al. 2017, Algorithm 1): D maximises
    E[D(x)] - E[D(G(z))]; needs a Lipschitz critic (clipping or a gradient penalty)."""
    from keras import ops

    return PairLoss(lambda real, fake: ops.mean(fake) - ops.mean(real),
                    lambda real, fake: -ops.mean(fake))


BEGAN_PARAMS = {"began_gamma": 0.5, "began_lambda_k": 0.001}


class BoundaryEquilibrium:
    """BEGAN (Berthelot et al. 2017, eq. 4): D's "logits" are per-example reconstruction
    energies L(v) = mean |v - AE(v)| of an autoencoder discriminator.

    L_D = L(x) - k_t L(G(z)),  L_G = L(G(z)),
    k_{t+1} = clip(k_t + lambda_k (gamma L(x) - L(G(z))), 0, 1).

    k_t is a non-trainable Keras variable (in ``variables``, so checkpoints keep it),
    updated by ``update()`` after each D step, which also returns the logs ``began_k``
    and the convergence measure ``began_m`` = L(x) + |gamma L(x) - L(G(z))|.
    """

    needs_real_for_generator = False

    def __init__(self, gamma: float, lambda_k: float, k0: float = 0.0) -> None:
        import keras
        from keras import ops

        self.ops = ops

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


def began(ctx: BuildContext) -> BoundaryEquilibrium:
    """BEGAN's loss with equilibrium control; reads began_gamma and began_lambda_k."""
    gamma = float(ctx.get("began_gamma", BEGAN_PARAMS["began_gamma"]))
    if not 0.0 < gamma <= 1.0:
        from ganzoo.plugin import ConfigError

        raise ConfigError(f"--set began_gamma={gamma}: the diversity ratio must be in (0, 1]")
    lambda_k = float(ctx.get("began_lambda_k", BEGAN_PARAMS["began_lambda_k"]))
    return BoundaryEquilibrium(gamma, lambda_k)




#: registered name -> (factory, one-line description); the factory's name is the loss's
LOSSES = {
    "nsgan": (nsgan, "non-saturating binary cross-entropy on logits (Goodfellow et al. 2014)"),
    "minimax": (minimax, "the original saturating minimax loss (Goodfellow et al. 2014)"),
    "lsgan": (lsgan, "least squares (Mao et al. 2017)"),
    "hinge": (hinge, "hinge loss (Lim & Ye 2017)"),
    "wasserstein": (wasserstein, "Wasserstein critic loss (Arjovsky et al. 2017)"),
    "began": (began, "BEGAN's autoencoder energy loss with equilibrium control k_t "
                     "(Berthelot et al. 2017); needs an energy discriminator"),
}
#: Hyperparameters each loss reads (losses without an entry read none).
PARAMS = {"began": BEGAN_PARAMS}
#: Facts the engine reads: BEGAN's loss works only with an energy (autoencoder) D.
INFO = {"began": {"discriminators": ["began"]}}
