"""Gradient penalties on the discriminator: WGAN-GP, DRAGAN and R1.

Each is a callable ``(StepContext) -> scalar`` (already weighted) that the
engine adds to D's loss. Gradients with respect to D's *input* are taken with
a GradientTape nested inside the engine's own tapes, so the penalty's gradient
with respect to D's weights (a second derivative) reaches D's optimizer in both
the simultaneous and the alternating update.
"""

from __future__ import annotations

from typing import Any

from ganzoo.plugin import BuildContext, input_gradient_norms

GP_PARAMS = {"gp_weight": 10.0, "gp_every": 1}
DRAGAN_PARAMS = {"dragan_weight": 10.0, "dragan_scale": 0.5}
R1_PARAMS = {"r1_gamma": 10.0}


class GradientPenalty:
    """WGAN-GP (Gulrajani et al. 2017, Algorithm 1): weight * E[(||grad D(x_hat)|| - 1)^2],
    x_hat = real + alpha (fake - real) with one alpha ~ U[0, 1] per example, not per pixel.

    With ``every = k > 1`` the penalty is lazy (Karras et al. 2020, "Analyzing and
    Improving the Image Quality of StyleGAN", section 3.1): computed on every k-th D
    update only, weighted k times, so its mean over steps is unchanged while the double
    backward pass through D runs 1/k as often (measured no faster on a 2-core float32 CPU:
    docs/ZOO.md, "A float32 session"; hence off by default).
    """

    def __init__(self, weight: float, every: int = 1) -> None:
        self.weight = float(weight)
        self.every = int(every)

    def points(self, ctx: Any) -> Any:
        import keras
        from keras import ops

        real = ops.cast(ctx.real, "float32")
        fake = ops.cast(ctx.fake, "float32")
        shape = (ops.shape(real)[0],) + (1,) * (len(real.shape) - 1)
        alpha = keras.random.uniform(shape, 0.0, 1.0, seed=ctx.seed)
        return real + alpha * (fake - real)

    def penalty(self, ctx: Any) -> Any:
        """The unweighted penalty on this step's batch."""
        from keras import ops

        norms = input_gradient_norms(ctx, self.points(ctx), ctx.labels)
        return ops.mean(ops.square(norms - 1.0))

    def __call__(self, ctx: Any) -> Any:
        from keras import ops

        if self.every == 1 or ctx.d_step is None:
            return self.weight * self.penalty(ctx)
        due = ops.equal(ops.mod(ops.cast(ctx.d_step, "int64"), self.every), 0)
        return ops.cond(due, lambda: self.every * self.weight * self.penalty(ctx),
                        lambda: ops.zeros((), "float32"))


class DraganPenalty(GradientPenalty):
    """DRAGAN (Kodali et al. 2017): the same penalty at points around the real data,
    x_hat = x + alpha * delta with delta = scale * std(x) * U[0, 1] per pixel (std over
    the batch) and one alpha ~ U[0, 1] per example, as in the authors' code.
    """

    def __init__(self, weight: float, scale: float) -> None:
        super().__init__(weight)
        self.scale = float(scale)

    def points(self, ctx: Any) -> Any:
        import keras
        from keras import ops

        real = ops.cast(ctx.real, "float32")
        delta = self.scale * ops.std(real) * keras.random.uniform(ops.shape(real), 0.0, 1.0,
                                                                  seed=ctx.seed)
        shape = (ops.shape(real)[0],) + (1,) * (len(real.shape) - 1)
        alpha = keras.random.uniform(shape, 0.0, 1.0, seed=ctx.seed)
        return real + alpha * delta


class R1Penalty:
    """R1 (Mescheder et al. 2018, eq. 9): gamma / 2 * E_real[||grad D(x)||^2]."""

    def __init__(self, gamma: float) -> None:
        self.gamma = float(gamma)

    def __call__(self, ctx: Any) -> Any:
        from keras import ops

        norms = input_gradient_norms(ctx, ctx.real, ctx.labels)
        return 0.5 * self.gamma * ops.mean(ops.square(norms))


def build_gp(ctx: BuildContext) -> GradientPenalty:
    every = int(ctx.get("gp_every", GP_PARAMS["gp_every"]))
    if every < 1:
        from ganzoo.plugin import ConfigError

        raise ConfigError(f"--set gp_every={every}: the penalty's interval counts D updates; "
                          "use 1 (every update, the paper's) or more (a lazy penalty)")
    return GradientPenalty(float(ctx.get("gp_weight", GP_PARAMS["gp_weight"])), every)


def build_dragan(ctx: BuildContext) -> DraganPenalty:
    return DraganPenalty(float(ctx.get("dragan_weight", DRAGAN_PARAMS["dragan_weight"])),
                         float(ctx.get("dragan_scale", DRAGAN_PARAMS["dragan_scale"])))


def build_r1(ctx: BuildContext) -> R1Penalty:
    return R1Penalty(float(ctx.get("r1_gamma", R1_PARAMS["r1_gamma"])))
