"""Losses, penalties and auxiliary terms against values computed by hand with numpy."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

pytestmark = pytest.mark.tf

REAL = np.array([[-1.5], [0.3], [2.0]], dtype=np.float32)
FAKE = np.array([[0.5], [-2.0], [1.0], [0.1]], dtype=np.float32)


def _np(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _loss(name: str) -> Any:
    from ganzoo_plugins import losses

    return losses.LOSSES[name][0](None)


def _values(name: str) -> tuple[float, float]:
    loss = _loss(name)
    real, fake = {"logits": REAL}, {"logits": FAKE}
    return (float(loss.discriminator_loss(real, fake)), float(loss.generator_loss(real, fake)))


def test_nsgan_and_minimax_are_the_papers_log_terms() -> None:
    r, f = _np(REAL), _np(FAKE)
    d_expected = 0.5 * (-np.log(_sigmoid(r)).mean() - np.log(1 - _sigmoid(f)).mean())
    d, g = _values("nsgan")
    assert d == pytest.approx(d_expected, rel=1e-5)
    assert g == pytest.approx(-np.log(_sigmoid(f)).mean(), rel=1e-5)
    d_mm, g_mm = _values("minimax")
    assert d_mm == pytest.approx(d_expected, rel=1e-5)
    # G minimises log(1 - D(G(z))): the saturating objective.
    assert g_mm == pytest.approx(np.log(1 - _sigmoid(f)).mean(), rel=1e-5)


def test_lsgan_hinge_wasserstein() -> None:
    r, f = _np(REAL), _np(FAKE)
    d, g = _values("lsgan")
    assert d == pytest.approx(0.5 * ((r - 1) ** 2).mean() + 0.5 * (f ** 2).mean(), rel=1e-5)
    assert g == pytest.approx(0.5 * ((f - 1) ** 2).mean(), rel=1e-5)
    d, g = _values("hinge")
    assert d == pytest.approx(np.maximum(0, 1 - r).mean() + np.maximum(0, 1 + f).mean(),
                              rel=1e-5)
    assert g == pytest.approx(-f.mean(), rel=1e-5)
    d, g = _values("wasserstein")
    assert d == pytest.approx(f.mean() - r.mean(), rel=1e-5)
    assert g == pytest.approx(-f.mean(), rel=1e-5)


def _ctx(discriminator: Any, real: np.ndarray, fake: np.ndarray | None = None,
         seed: int = 7, **kw: Any) -> SimpleNamespace:
    import keras

    return SimpleNamespace(discriminator=discriminator, real=real, fake=fake, labels=None,
                           fake_labels=None, real_out={}, fake_out={},
                           seed=keras.random.SeedGenerator(seed), codes=None, **kw)


def _linear_critic(w: np.ndarray) -> Any:
    from keras import ops

    def critic(x: Any, labels: Any = None) -> dict:
        return {"logits": ops.sum(x * w, axis=(1, 2, 3))[:, None]}

    return critic


def _quadratic_critic(x: Any, labels: Any = None) -> dict:
    from keras import ops

    return {"logits": 0.5 * ops.sum(ops.square(x), axis=(1, 2, 3))[:, None]}


def test_gradient_penalty_interpolates_per_example_not_per_pixel() -> None:
    from ganzoo_plugins.penalties import GradientPenalty

    real = np.zeros((6, 4, 4, 2), np.float32)
    fake = np.ones((6, 4, 4, 2), np.float32)
    points = _np(GradientPenalty(10.0).points(_ctx(None, real, fake)))
    per_example = points.reshape(6, -1)
    # x_hat = alpha: one alpha per example, the same for every pixel, and they differ.
    assert np.allclose(per_example, per_example[:, :1])
    assert len(np.unique(per_example[:, 0].round(6))) == 6
    assert ((per_example >= 0) & (per_example <= 1)).all()


def test_gradient_penalty_value_on_known_critics() -> None:
    from ganzoo_plugins.penalties import GradientPenalty

    rng = np.random.default_rng(0)
    real = rng.normal(size=(5, 3, 3, 2)).astype(np.float32)
    fake = rng.normal(size=(5, 3, 3, 2)).astype(np.float32)
    w = rng.normal(size=(3, 3, 2)).astype(np.float32) * 0.3
    gp = GradientPenalty(10.0)
    # Linear critic: the gradient is w everywhere.
    value = float(gp(_ctx(_linear_critic(w), real, fake)))
    assert value == pytest.approx(10.0 * (np.linalg.norm(w) - 1.0) ** 2, rel=1e-4)
    # Quadratic critic: the gradient at x_hat is x_hat, so the value depends on how
    # x_hat was drawn; recompute it from the same points (same seed).
    points = _np(gp.points(_ctx(None, real, fake, seed=3)))
    value = float(gp(_ctx(_quadratic_critic, real, fake, seed=3)))
    norms = np.linalg.norm(points.reshape(5, -1), axis=1)
    assert value == pytest.approx(10.0 * np.mean((norms - 1.0) ** 2), rel=1e-4)
    # A per-pixel alpha would give a different value for the same critic.
    alpha = np.random.default_rng(1).uniform(size=real.shape)
    per_pixel = np.linalg.norm((real + alpha * (fake - real)).reshape(5, -1), axis=1)
    assert not np.isclose(value, 10.0 * np.mean((per_pixel - 1.0) ** 2), rtol=1e-3)


def test_lazy_gradient_penalty_runs_every_kth_update_with_k_times_the_weight() -> None:
    """gp_every = k (Karras et al. 2020, lazy regularization): inside a traced step, as the
    engine runs it, the penalty is k * weight * its value on D updates 0, k, 2k, ... and
    exactly 0 between them, and its second-order gradient reaches D's weights."""
    import keras
    import tensorflow as tf

    from ganzoo_plugins.penalties import GradientPenalty

    rng = np.random.default_rng(4)
    real = rng.normal(size=(5, 3, 3, 2)).astype(np.float32)
    fake = rng.normal(size=(5, 3, 3, 2)).astype(np.float32)
    w = tf.Variable(rng.normal(size=(3, 3, 2)).astype(np.float32) * 0.3)
    step = tf.Variable(0, dtype=tf.int64)

    def critic(x: Any, labels: Any = None) -> dict:
        # quadratic in w: the penalty's gradient with respect to w needs the double backward
        return {"logits": tf.reduce_sum(x * w * w, axis=(1, 2, 3))[:, None]}

    ctx = SimpleNamespace(discriminator=critic, real=real, fake=fake, labels=None,
                          seed=keras.random.SeedGenerator(0), d_step=step)
    lazy = GradientPenalty(10.0, every=3)

    @tf.function
    def traced() -> tuple[Any, Any]:
        with tf.GradientTape() as tape:
            value = lazy(ctx)
        return value, tape.gradient(value, w)

    # The gradient of the critic at any point is w^2, so the penalty is
    # weight * (||w^2|| - 1)^2 and its gradient 2 weight (||w^2|| - 1) * 2 w^3 / ||w^2||.
    w0 = w.numpy().astype(np.float64)
    norm = np.linalg.norm(w0 ** 2)
    expected = 10.0 * (norm - 1.0) ** 2
    expected_grad = 10.0 * 2.0 * (norm - 1.0) * 2.0 * w0 ** 3 / norm
    for i in range(7):
        step.assign(i)
        value, grad = traced()
        if i % 3 == 0:
            assert float(value) == pytest.approx(3 * expected, rel=1e-4)
            np.testing.assert_allclose(grad.numpy(), 3 * expected_grad, rtol=1e-3, atol=1e-6)
        else:
            assert float(value) == 0.0
            assert grad is None or not np.any(grad.numpy())
    # every = 1 is the paper's penalty, on every update.
    step.assign(1)
    assert float(GradientPenalty(10.0)(ctx)) == pytest.approx(expected, rel=1e-4)


def test_gp_every_must_be_a_positive_interval() -> None:
    from ganzoo.plugin import ConfigError
    from ganzoo_plugins.penalties import build_gp

    with pytest.raises(ConfigError, match="gp_every=0"):
        build_gp(SimpleNamespace(get=lambda key, default=None: 0 if key == "gp_every"
                                 else default))
    assert build_gp(SimpleNamespace(get=lambda key, default=None: default)).every == 1


def test_dragan_perturbs_real_data_only() -> None:
    from ganzoo_plugins.penalties import DraganPenalty

    rng = np.random.default_rng(2)
    real = rng.normal(size=(8, 4, 4, 1)).astype(np.float32)
    pen = DraganPenalty(10.0, 0.5)
    points = _np(pen.points(_ctx(None, real, fake=None)))
    delta = points - real
    assert (delta >= -1e-6).all() and (delta <= 0.5 * real.std() + 1e-5).all()
    assert delta.std() > 0.01
    w = rng.normal(size=(4, 4, 1)).astype(np.float32)
    assert float(pen(_ctx(_linear_critic(w), real))) == pytest.approx(
        10.0 * (np.linalg.norm(w) - 1.0) ** 2, rel=1e-4)


def test_r1_on_a_known_function() -> None:
    from ganzoo_plugins.penalties import R1Penalty

    real = np.random.default_rng(4).normal(size=(5, 2, 2, 3)).astype(np.float32)
    # D(x) = 0.5 ||x||^2 has gradient x: R1 = gamma / 2 * mean ||x||^2.
    value = float(R1Penalty(10.0)(_ctx(_quadratic_critic, real)))
    assert value == pytest.approx(5.0 * np.mean(np.sum(_np(real) ** 2, axis=(1, 2, 3))),
                                  rel=1e-4)


def _log_softmax(x: np.ndarray) -> np.ndarray:
    x = _np(x)
    return x - np.log(np.exp(x).sum(axis=1, keepdims=True))


def test_acgan_class_term_for_d_and_g() -> None:
    from ganzoo_plugins.auxiliary import AuxiliaryClassifier

    rng = np.random.default_rng(5)
    real_logits = rng.normal(size=(4, 3)).astype(np.float32)
    fake_logits = rng.normal(size=(4, 3)).astype(np.float32)
    labels, fake_labels = np.array([0, 2, 1, 2]), np.array([1, 1, 0, 2])
    ce_real = -_log_softmax(real_logits)[np.arange(4), labels].mean()
    ce_fake = -_log_softmax(fake_logits)[np.arange(4), fake_labels].mean()
    term = AuxiliaryClassifier(2.0)
    ctx = SimpleNamespace(labels=labels, fake_labels=fake_labels,
                          real_out={"class_logits": real_logits},
                          fake_out={"class_logits": fake_logits})
    assert float(term.discriminator_term(ctx)) == pytest.approx(2 * (ce_real + ce_fake), rel=1e-5)
    assert float(term.generator_term(ctx)) == pytest.approx(2 * ce_fake, rel=1e-5)
    assert term.heads == ("class_logits",)


def test_infogan_mutual_information_term() -> None:
    from ganzoo_plugins.auxiliary import MutualInformation

    rng = np.random.default_rng(6)
    category = np.array([2, 0, 1])
    continuous = rng.uniform(-1, 1, size=(3, 2)).astype(np.float32)
    codes = np.concatenate([np.eye(3, dtype=np.float32)[category], continuous], axis=1)
    predicted = rng.normal(size=(3, 5)).astype(np.float32)
    ce = -_log_softmax(predicted[:, :3])[np.arange(3), category].mean()
    gauss = 0.5 * np.sum((_np(continuous) - predicted[:, 3:]) ** 2, axis=1).mean()
    term = MutualInformation(3, 2, 1.0, 0.5)
    ctx = SimpleNamespace(codes=codes, fake_out={"code": predicted})
    assert float(term.discriminator_term(ctx)) == pytest.approx(ce + 0.5 * gauss, rel=1e-5)
    assert float(term.generator_term(ctx)) == pytest.approx(ce + 0.5 * gauss, rel=1e-5)


def test_began_losses_and_k_update_rule() -> None:
    from ganzoo_plugins.losses import BoundaryEquilibrium

    loss = BoundaryEquilibrium(gamma=0.5, lambda_k=0.01, k0=0.1)
    real = {"logits": np.array([[0.3], [0.5]], np.float32)}   # L(x) = 0.4
    fake = {"logits": np.array([[0.05], [0.15]], np.float32)}  # L(G(z)) = 0.1
    assert float(loss.discriminator_loss(real, fake)) == pytest.approx(0.4 - 0.1 * 0.1)
    assert float(loss.generator_loss(real, fake)) == pytest.approx(0.1)
    logs = loss.update(real, fake)
    # k <- k + lambda_k (gamma L(x) - L(G(z))) = 0.1 + 0.01 * (0.2 - 0.1)
    assert float(loss.k.numpy()) == pytest.approx(0.101, rel=1e-5)
    assert float(logs["began_k"]) == pytest.approx(0.101, rel=1e-5)
    # M = L(x) + |gamma L(x) - L(G(z))|
    assert float(logs["began_m"]) == pytest.approx(0.5, rel=1e-5)
    # k stays in [0, 1].
    clipped = BoundaryEquilibrium(gamma=0.5, lambda_k=1.0, k0=0.99)
    clipped.update(real, fake)
    assert float(clipped.k.numpy()) == 1.0
    low = BoundaryEquilibrium(gamma=0.1, lambda_k=1.0, k0=0.01)
    low.update(real, fake)
    assert float(low.k.numpy()) == 0.0
    assert loss.variables == [loss.k] and not loss.k.trainable


def _gapped(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """A random kernel whose matrix (-1, last axis) has a dominant singular value (at least
    ~2x the second), so that the power iteration converges within a few calls whatever
    the random start vector."""
    rng = np.random.default_rng(seed)
    matrix = rng.normal(size=(int(np.prod(shape[:-1])), shape[-1]))
    left, right = rng.normal(size=matrix.shape[0]), rng.normal(size=matrix.shape[1])
    matrix += 3.0 * np.linalg.svd(matrix, compute_uv=False)[0] * np.outer(
        left / np.linalg.norm(left), right / np.linalg.norm(right))
    return matrix.reshape(shape).astype(np.float32)


def _sn_dense(kernel: np.ndarray, policy: str = "float32") -> Any:
    import keras

    from ganzoo.engine.layers import SpectralNormalization

    layer = SpectralNormalization(keras.layers.Dense(kernel.shape[1], dtype=policy),
                                  power_iterations=1, dtype=policy)
    layer(np.ones((2, kernel.shape[0]), np.float32))
    layer.layer.kernel.assign(kernel)
    return layer


def test_spectral_normalization_divides_by_the_largest_singular_value() -> None:
    kernel = _gapped((9, 6), 8) * np.float32(3.0)
    sigma = np.linalg.svd(kernel, compute_uv=False)[0]
    assert sigma > 5
    layer = _sn_dense(kernel)
    x = np.random.default_rng(9).normal(size=(2, 9)).astype(np.float32)
    for _ in range(30):  # one power iteration per training call
        layer(x, training=True)
    _, normalized = layer.normalized_weights()
    assert np.linalg.svd(np.asarray(normalized), compute_uv=False)[0] == pytest.approx(1.0,
                                                                                     abs=1e-4)
    np.testing.assert_allclose(np.asarray(layer(x)), x @ kernel / sigma, rtol=1e-4, atol=1e-5)
    # The stored kernel is W itself: the layer reparametrizes, it does not overwrite.
    np.testing.assert_array_equal(np.asarray(layer.layer.kernel), kernel)
    # Inference does not move the power iteration's vector.
    u = np.asarray(layer.vector_u).copy()
    layer(x, training=False)
    np.testing.assert_array_equal(np.asarray(layer.vector_u), u)


def test_spectral_normalization_gradient_flows_through_sigma() -> None:
    """d/dW sum(x W/sigma(W)) = G/sigma - <G, W>/sigma^2 * u1 v1^T with G = x^T 1
    (Miyato et al. 2018, eq. 12), by hand from numpy's SVD."""
    import tensorflow as tf

    kernel = _gapped((5, 3), 3)
    layer = _sn_dense(kernel)
    x = np.random.default_rng(4).normal(size=(4, 5)).astype(np.float32)
    for _ in range(50):
        layer(x, training=True)
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(layer(x))
    grad = np.asarray(tape.gradient(total, layer.layer.kernel))
    left, singular, right = np.linalg.svd(kernel.astype(np.float64))
    sigma = singular[0]
    g = x.astype(np.float64).T @ np.ones((4, 3))
    expected = g / sigma - (g * kernel).sum() / sigma**2 * np.outer(left[:, 0], right[0])
    np.testing.assert_allclose(grad, expected, rtol=1e-3, atol=1e-4)
    # Without the second term (Keras' in-place wrapper) the gradient would differ.
    assert np.abs(grad - g / sigma).max() > 0.05


def test_spectral_normalization_keeps_float32_weights_under_bfloat16() -> None:
    """A 0.01 % step on W survives a bfloat16 training call (Keras' wrapper rounds W to
    bfloat16's 8 bits there, which erases it)."""
    import keras

    kernel = np.random.default_rng(5).normal(size=(16, 8)).astype(np.float32)
    layer = _sn_dense(kernel, "mixed_bfloat16")
    x = np.ones((2, 16), np.float32)
    out = layer(x, training=True)
    assert keras.backend.standardize_dtype(out.dtype) == "bfloat16"
    stepped = kernel * np.float32(1.0001)
    layer.layer.kernel.assign(stepped)
    layer(x, training=True)
    np.testing.assert_array_equal(np.asarray(layer.layer.kernel), stepped)
    assert str(layer.vector_u.dtype) == "float32"


def test_spectral_normalization_wraps_convolutions_and_embeddings() -> None:
    import keras

    from ganzoo.engine.layers import Conv2D, Conv2DTranspose, SpectralNormalization

    rng = np.random.default_rng(6)
    x = rng.normal(size=(2, 4, 4, 3)).astype(np.float32)
    for seed, conv in enumerate((Conv2D(5, 3, padding="same"),
                                 Conv2DTranspose(5, 3, strides=2, padding="same"),
                                 keras.layers.Conv2D(5, 3, strides=2, padding="same"))):
        wrapped = SpectralNormalization(conv)
        wrapped(x)
        conv.kernel.assign(_gapped(tuple(conv.kernel.shape), seed))
        for _ in range(50):
            wrapped(x, training=True)
        _, normalized = wrapped.normalized_weights()
        matrix = np.asarray(conv.kernel).reshape(-1, conv.kernel.shape[-1])
        sigma = np.linalg.svd(matrix, compute_uv=False)[0]
        np.testing.assert_allclose(np.asarray(normalized), np.asarray(conv.kernel) / sigma,
                                   rtol=1e-4)
        plain = type(conv).from_config(conv.get_config())
        plain.build(x.shape)
        plain.set_weights([np.asarray(normalized), np.asarray(conv.bias)])
        np.testing.assert_allclose(np.asarray(wrapped(x)), np.asarray(plain(x)), rtol=1e-4,
                                   atol=1e-5)
    embed = SpectralNormalization(keras.layers.Embedding(10, 4))
    ids = np.array([[1], [2]])
    embed(ids)
    embed.layer.embeddings.assign(_gapped((10, 4), 7))
    table = np.asarray(embed.layer.embeddings)
    sigma = np.linalg.svd(table, compute_uv=False)[0]
    for _ in range(50):
        embed(ids, training=True)
    np.testing.assert_allclose(np.asarray(embed(np.array([[7]])))[0, 0], table[7] / sigma,
                               rtol=1e-4)
    with pytest.raises(ValueError, match="wraps Dense, Conv2D"):
        SpectralNormalization(keras.layers.LayerNormalization())


def _ctx_for(config: dict) -> Any:
    from ganzoo.contract.contexts import BuildContext

    base = {"seed": 0, "g_filters": 8, "d_filters": 8, "g_norm": "batch", "d_norm": "batch",
            "d_dropout": 0.0, "d_heads": "", "conditional": False}
    return BuildContext(image_shape=(28, 28, 1), latent_dim=4, num_classes=10,
                        config={**base, **config})


def test_dcgan_discriminator_norms_and_heads() -> None:
    import keras

    from ganzoo_plugins import dcgan

    d = dcgan.build_discriminator(_ctx_for({"d_norm": "spectral"}))
    kinds = {type(layer).__name__ for layer in d.layers}
    assert "SpectralNormalization" in kinds and "BatchNormalization" not in kinds
    d = dcgan.build_discriminator(_ctx_for({"d_norm": "layer", "d_heads": "class,code",
                                            "code_categorical": 3, "code_continuous": 2}))
    out = d(np.zeros((2, 28, 28, 1), np.float32))
    assert out["logits"].shape == (2, 1) and out["class_logits"].shape == (2, 10)
    assert out["code"].shape == (2, 5)
    assert any(isinstance(layer, keras.layers.LayerNormalization) for layer in d.layers)
    g = dcgan.build_generator(_ctx_for({"code_categorical": 3, "code_continuous": 2}))
    assert g.input_shape == (None, 4 + 5)


def test_latent_inputs_layout() -> None:
    from ganzoo.engine import latent

    config = {"latent_dim": 3, "code_categorical": 4, "code_continuous": 2}
    z = latent.inputs(config, 8, seed=1)
    assert z.shape == (8, 9)
    assert np.array_equal(z[:, 3:7].argmax(1), np.arange(8) % 4)
    assert np.array_equal(z[:, 3:7].sum(1), np.ones(8))
    assert (np.abs(z[:, 7:]) <= 1).all()
    fixed = latent.inputs(config, 5, seed=1, categories=np.full(5, 2))
    assert (fixed[:, 5] == 1).all()
    # Without codes the input is the plain Gaussian noise of sampling.noise.
    from ganzoo.artifacts import sampling

    assert np.array_equal(latent.inputs({"latent_dim": 6}, 4, 9), sampling.noise(4, 6, 9))


def test_infogan_grid_has_one_row_per_category() -> None:
    from ganzoo.engine.latent import grid_inputs

    config = {"grid_rows": 3, "seed": 0, "latent_dim": 5, "code_categorical": 4,
              "code_continuous": 1, "conditional": False}
    z, rows = grid_inputs(config, num_classes=10)
    assert z.shape == (12, 10)
    assert np.array_equal(rows, np.repeat(np.arange(4), 3))
    assert np.array_equal(z[:, 5:9].argmax(1), rows)


def test_began_skip_connections_concatenate_the_upsampled_first_tensor() -> None:
    import keras

    from ganzoo_plugins import began

    plain = began.build_generator(_ctx_for({"began_skip": False}))
    assert not any(isinstance(layer, keras.layers.Concatenate) for layer in plain.layers)
    g = began.build_generator(_ctx_for({"began_skip": True}))
    z = np.random.default_rng(0).normal(size=(2, 4)).astype(np.float32)
    h0 = np.asarray(keras.Model(g.input, g.get_layer("g_reshape").output)(z))
    assert h0.shape == (2, 7, 7, 8)
    # 28 = 7 * 2**2: two upsampling stages, each followed by [features, h0 at that size].
    for stage, side in ((1, 14), (2, 28)):
        joined = np.asarray(keras.Model(g.input, g.get_layer(f"g_skip{stage}").output)(z))
        assert joined.shape == (2, side, side, 16)
        factor = side // 7
        nearest = h0.repeat(factor, axis=1).repeat(factor, axis=2)
        np.testing.assert_allclose(joined[..., 8:], nearest, rtol=1e-6)
        up = np.asarray(keras.Model(g.input, g.get_layer(f"g_up{stage}").output)(z))
        np.testing.assert_allclose(joined[..., :8], up, rtol=1e-6)
    d = began.build_discriminator(_ctx_for({"began_skip": True, "d_hidden": 5}))
    out = d(np.zeros((2, 28, 28, 1), np.float32))
    assert out["logits"].shape == (2, 1) and out["reconstruction"].shape == (2, 28, 28, 1)
    assert d.get_layer("dec_skip2").output.shape[-1] == 16
