"""The train step's extension points, on tiny networks: penalties in the simultaneous
update (nested tapes), terms on both networks, latent codes, and loss state in checkpoints."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

pytestmark = pytest.mark.tf


def _networks(code_dim: int = 0) -> tuple[Any, Any]:
    import keras

    keras.utils.set_random_seed(0)
    z = keras.Input((3 + code_dim,))
    g = keras.Model(z, keras.layers.Reshape((2, 2, 1))(
        keras.layers.Dense(4, activation="tanh")(z)))
    x = keras.Input((2, 2, 1))
    h = keras.layers.Flatten()(x)
    outputs = {"logits": keras.layers.Dense(1)(keras.layers.Dense(5, activation="tanh")(h))}
    if code_dim:
        outputs["code"] = keras.layers.Dense(code_dim)(h)
    return g, keras.Model(x, outputs)


def _gan(penalties: list, loss: Any = None, code_dim: int = 0, **kw: Any) -> Any:
    import keras

    from ganzoo.engine.gan import GAN
    from ganzoo_plugins.losses import nsgan

    g, d = _networks(code_dim)
    gan = GAN(g, d, loss or nsgan(), latent_dim=3, penalties=penalties, seed=1, **kw)
    gan.compile(g_optimizer=keras.optimizers.SGD(0.1), d_optimizer=keras.optimizers.SGD(0.1))
    return gan


def _d_change(penalties: list) -> np.ndarray:
    import keras

    gan = _gan(penalties)
    before = [keras.ops.convert_to_numpy(w) for w in gan.discriminator.trainable_weights]
    real = np.random.default_rng(0).uniform(-1, 1, (6, 2, 2, 1)).astype(np.float32)
    gan.train_step(real)
    return np.concatenate([(keras.ops.convert_to_numpy(w) - b).ravel()
                           for w, b in zip(gan.discriminator.trainable_weights, before,
                                           strict=True)])


def test_penalty_gradient_reaches_d_in_the_simultaneous_update() -> None:
    from ganzoo_plugins.penalties import R1Penalty

    plain = _d_change([])
    penalised = _d_change([("r1", R1Penalty(100.0))])
    # The R1 term depends on D's weights only through dD/dx: a second derivative that the
    # nested tape must deliver to D's optimizer.
    assert np.abs(plain - penalised).max() > 1e-3


class _Recorder:
    """A term that records both contexts and adds constants to each network's loss."""

    heads = ("code",)

    def __init__(self) -> None:
        self.seen: dict[str, Any] = {}

    def discriminator_term(self, ctx: Any) -> Any:
        from keras import ops

        self.seen["d_codes"] = ctx.codes
        return ops.mean(ops.square(ctx.fake_out["code"] - ctx.codes))

    def generator_term(self, ctx: Any) -> Any:
        from keras import ops

        self.seen["g_codes"] = ctx.codes
        return ops.mean(ops.square(ctx.fake_out["code"] - ctx.codes))


@pytest.mark.parametrize("update", ["simultaneous", "alternating"])
def test_terms_reach_both_losses_and_see_the_codes(update: str) -> None:
    term = _Recorder()
    gan = _gan([("rec", term)], code_dim=3, code_categorical=2, code_continuous=1,
               update=update)
    real = np.zeros((4, 2, 2, 1), np.float32)
    logs = gan.train_step(real)
    assert {"rec", "rec_g"} <= set(logs)
    assert float(logs["rec"]) > 0 and float(logs["rec_g"]) > 0
    codes = np.asarray(term.seen["g_codes"])
    assert codes.shape == (4, 3)
    assert np.array_equal(codes[:, :2].sum(1), np.ones(4))    # one-hot category
    assert (np.abs(codes[:, 2]) <= 1).all()                   # continuous in [-1, 1]


def test_loss_state_is_updated_logged_and_checkpointed(tmp_path) -> None:
    from ganzoo_plugins.losses import BoundaryEquilibrium

    loss = BoundaryEquilibrium(gamma=0.5, lambda_k=0.5)
    gan = _gan([], loss=loss)
    logs = gan.train_step(np.zeros((4, 2, 2, 1), np.float32))
    assert {"began_k", "began_m"} <= set(logs)
    k = float(loss.k.numpy())
    assert k == pytest.approx(float(logs["began_k"]))
    path = tmp_path / "ckpt.weights.h5"
    gan.save_weights(str(path))
    other_loss = BoundaryEquilibrium(gamma=0.5, lambda_k=0.5)
    other = _gan([], loss=other_loss)
    other.load_weights(str(path))
    assert float(other_loss.k.numpy()) == pytest.approx(k)


def _scheduled_gan(d_steps: int, **config: Any) -> Any:
    from ganzoo.engine.builder import make_optimizer
    from ganzoo.engine.gan import GAN
    from ganzoo_plugins.losses import nsgan

    config = {"optimizer": "adam", "beta1": 0.5, "beta2": 0.999, **config}
    g, d = _networks()
    gan = GAN(g, d, nsgan(), latent_dim=3, seed=1, d_steps=d_steps,
              update="alternating" if d_steps > 1 else "simultaneous")
    gan.compile(g_optimizer=make_optimizer(config, 0.008, "g", total_steps=4),
                d_optimizer=make_optimizer(config, 0.004, "d", updates_per_step=d_steps,
                                           total_steps=4))
    return gan


def _rates(gan: Any, steps: int) -> list[float]:
    """(G's, D's) learning rate before each of `steps` generator steps, flattened."""
    import keras

    real = np.random.default_rng(0).uniform(-1, 1, (6 * gan.d_steps, 2, 2, 1)).astype("float32")
    seen: list[float] = []
    for _ in range(steps):
        seen += [float(keras.ops.convert_to_numpy(gan.g_optimizer.learning_rate)),
                 float(keras.ops.convert_to_numpy(gan.d_optimizer.learning_rate))]
        gan.train_step(real)
    assert int(gan.d_optimizer.iterations) == steps * gan.d_steps
    return seen


@pytest.mark.parametrize("d_steps", [1, 2])
def test_step_schedule_counts_generator_steps_for_both_optimizers(d_steps: int) -> None:
    gan = _scheduled_gan(d_steps, lr_schedule="step", lr_decay=0.5, lr_decay_steps=2)
    # halved after generator steps 2 and 4, whatever d_steps is
    assert _rates(gan, 5) == pytest.approx([0.008, 0.004, 0.008, 0.004, 0.004, 0.002,
                                            0.004, 0.002, 0.002, 0.001])


@pytest.mark.parametrize("d_steps", [1, 2])
def test_linear_schedule_reaches_zero_at_the_last_generator_step(d_steps: int) -> None:
    gan = _scheduled_gan(d_steps, lr_schedule="linear")
    # total_steps=4: 1, 3/4, 1/2, 1/4 of the rate, then 0 once the run is over
    assert _rates(gan, 5) == pytest.approx([0.008, 0.004, 0.006, 0.003, 0.004, 0.002,
                                            0.002, 0.001, 0.0, 0.0], abs=1e-9)


def test_constant_schedule_keeps_a_plain_learning_rate() -> None:
    from ganzoo.engine.builder import make_optimizer

    opt = make_optimizer({"optimizer": "adam", "beta1": 0.5, "beta2": 0.999,
                          "lr_schedule": "constant", "lr_decay_steps": 0}, 1e-3, "g")
    assert opt.get_config()["learning_rate"] == pytest.approx(1e-3)


def test_linear_schedule_without_a_run_length_is_a_config_error() -> None:
    from ganzoo.engine.builder import make_optimizer
    from ganzoo.errors import ConfigError

    with pytest.raises(ConfigError, match="total_steps"):
        make_optimizer({"optimizer": "adam", "beta1": 0.5, "beta2": 0.999,
                        "lr_schedule": "linear"}, 1e-3, "g")
