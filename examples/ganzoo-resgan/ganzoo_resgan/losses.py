"""The relativistic average standard GAN loss, RaSGAN (Jolicoeur-Martineau 2018).

The discriminator estimates how much more realistic a real image is than the
average fake one, and the other way round:

    D~(x_r) = sigmoid(C(x_r) - mean C(x_f)),   D~(x_f) = sigmoid(C(x_f) - mean C(x_r))
    L_D = -E[log D~(x_r)] - E[log(1 - D~(x_f))]
    L_G = -E[log D~(x_f)] - E[log(1 - D~(x_r))]

with C the critic's logit. -log(sigmoid(a)) = softplus(-a) and
-log(1 - sigmoid(a)) = softplus(a), which is how it is computed (stable in bf16
and float32). The generator's loss reads the real logits too, so the loss says
so (`needs_real_for_generator`) and ganzoo passes them.
"""

from __future__ import annotations

from typing import Any

from ganzoo.plugin import BuildContext


class RelativisticAverage:
    """RaSGAN: both objectives are minimised."""

    needs_real_for_generator = True

    def __init__(self) -> None:
        from keras import ops

        self.ops = ops

    def _pair(self, real: dict, fake: dict) -> tuple[Any, Any]:
        ops = self.ops
        c_real, c_fake = real["logits"], fake["logits"]
        return c_real - ops.mean(c_fake), c_fake - ops.mean(c_real)

    def discriminator_loss(self, real: dict, fake: dict) -> Any:
        ops = self.ops
        real_vs_fake, fake_vs_real = self._pair(real, fake)
        return ops.mean(ops.softplus(-real_vs_fake)) + ops.mean(ops.softplus(fake_vs_real))

    def generator_loss(self, real: dict, fake: dict) -> Any:
        ops = self.ops
        real_vs_fake, fake_vs_real = self._pair(real, fake)
        return ops.mean(ops.softplus(-fake_vs_real)) + ops.mean(ops.softplus(real_vs_fake))


def build_ragan(ctx: BuildContext | None) -> RelativisticAverage:
    return RelativisticAverage()
