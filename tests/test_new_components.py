"""The ResNet (WGAN-GP/SNGAN) and SAGAN networks, self-attention and DiffAugment, against
numpy references and values worked out by hand on tiny tensors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from ganzoo.errors import ConfigError

pytestmark = pytest.mark.tf

# Bound by the fixture below: importing TensorFlow at collection time would break the
# promise of other test files that their commands never import it.
tf: Any = None
keras: Any = None

SHAPES = [(28, 28, 1), (32, 32, 3), (64, 64, 3)]


@pytest.fixture(autouse=True, scope="module")
def _tensorflow() -> None:
    global tf, keras
    from ganzoo.engine.runtime import import_tensorflow

    tf = import_tensorflow()
    import keras as keras_module

    keras = keras_module


def _ctx(image_shape: tuple[int, ...] = (28, 28, 1), latent_dim: int = 4,
         num_classes: int = 10, **config: Any) -> Any:
    from ganzoo.contract.contexts import BuildContext

    base = {"seed": 0, "g_channels": 8, "d_channels": 8, "g_filters": 4, "d_filters": 4,
            "conditional": False}
    return BuildContext(image_shape=image_shape, latent_dim=latent_dim,
                        num_classes=num_classes, config={**base, **config})


def _np(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def _factories() -> dict[str, tuple[Any, Any]]:
    from ganzoo_plugins import attention, resnet

    return {"resnet": (resnet.build_generator, resnet.build_discriminator),
            "sagan": (attention.build_sagan_generator, attention.build_sagan_discriminator)}


# -- numpy references ----------------------------------------------------------------------

def _conv(x: np.ndarray, layer: Any) -> np.ndarray:
    """A stride-1 'same' convolution with the layer's kernel (kh, kw, in, out) and bias."""
    kernel = _np(layer.kernel)
    kh, kw = kernel.shape[:2]
    batch, height, width, _ = x.shape
    padded = np.pad(x, ((0, 0), (kh // 2, kh // 2), (kw // 2, kw // 2), (0, 0)))
    out = np.zeros((batch, height, width, kernel.shape[-1]))
    for i in range(kh):
        for j in range(kw):
            out += padded[:, i:i + height, j:j + width] @ kernel[i, j]
    return out + (_np(layer.bias) if layer.use_bias else 0.0)


def _pool(x: np.ndarray) -> np.ndarray:
    b, h, w, c = x.shape
    return x.reshape(b, h // 2, 2, w // 2, 2, c).mean(axis=(2, 4))


def _up(x: np.ndarray) -> np.ndarray:
    return x.repeat(2, axis=1).repeat(2, axis=2)


def _relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0)


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# -- ResNet --------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("network", ["resnet", "sagan"])
def test_networks_build_for_each_image_size(shape: tuple[int, int, int], network: str) -> None:
    build_g, build_d = _factories()[network]
    ctx = _ctx(shape, d_heads="class")
    g, d = build_g(ctx), build_d(ctx)
    image = g(np.random.default_rng(0).normal(size=(2, 4)).astype(np.float32), training=True)
    assert image.shape == (2, *shape) and image.dtype == tf.float32
    assert np.abs(_np(image)).max() <= 1.0
    out = d(image, training=True)
    assert out["logits"].shape == (2, 1) and out["logits"].dtype == tf.float32
    assert out["class_logits"].shape == (2, 10)
    names = [layer.name for layer in g.layers]
    if network == "resnet":
        # One up-block per stride-2 stage of dcgan's sizing; D halves to at most 8x8.
        stages = {28: 2, 32: 3, 64: 4}[shape[0]]
        assert sum(n.endswith("_add") for n in names) == stages
        final = {28: 7, 32: 8, 64: 8}[shape[0]]
        assert d.get_layer("out_act").output.shape[1:3] == (final, final)
        downs = sum(n.endswith("_pool") and not n.endswith("shortcut_pool")
                    for n in (layer.name for layer in d.layers))
        assert downs == {28: 2, 32: 2, 64: 3}[shape[0]]
    else:
        half = shape[0] // 2
        for model in (g, d):
            assert model.get_layer("attention").output.shape[1:3] == (half, half)


@pytest.mark.parametrize("network", ["resnet", "sagan"])
def test_image_shape_errors(network: str) -> None:
    build_g, build_d = _factories()[network]
    for shape, words in [((28, 32, 1), "square"), ((7, 7, 1), "b * 2^k"),
                         ((2,), "points")]:
        for build in (build_g, build_d):
            with pytest.raises(ConfigError, match=words.replace("*", r"\*").replace("^", r"\^")):
                build(_ctx(shape))
    # A network built for 28x28 images refuses 32x32 ones.
    d = build_d(_ctx((28, 28, 1)))
    with pytest.raises(ValueError, match="shape"):
        d(np.zeros((1, 32, 32, 3), np.float32))


def test_resnet_critic_norms() -> None:
    from ganzoo_plugins import resnet

    with pytest.raises(ConfigError, match="d_norm=batch: choose one of spectral, layer, none"):
        resnet.build_discriminator(_ctx(d_norm="batch"))
    for norm, kind in [("spectral", "SpectralNormalization"),
                       ("layer", "LayerNormalization"), ("none", None)]:
        d = resnet.build_discriminator(_ctx(d_norm=norm))
        kinds = {type(layer).__name__ for layer in d.layers}
        assert "BatchNormalization" not in kinds
        if kind:
            assert kind in kinds


def test_resnet_generator_equals_the_papers_blocks() -> None:
    """G for 8x8 images (one up-block) against numpy: dense -> 4x4 -> [BN-]ReLU-up-conv-
    [BN-]ReLU-conv + conv1x1-up shortcut -> ReLU -> conv -> tanh (no BN: g_norm=none)."""
    from ganzoo_plugins import resnet

    g = resnet.build_generator(_ctx((8, 8, 1), latent_dim=3, g_channels=2, g_norm="none"))
    z = np.random.default_rng(1).normal(size=(2, 3))
    dense = g.get_layer("project")
    h = (z @ _np(dense.kernel) + _np(dense.bias)).reshape(2, 4, 4, 2)
    shortcut = _up(_conv(h, g.get_layer("up1_shortcut")))
    main = _conv(_up(_relu(h)), g.get_layer("up1_conv1"))
    main = _conv(_relu(main), g.get_layer("up1_conv2"))
    want = np.tanh(_conv(_relu(shortcut + main), g.get_layer("to_image")))
    got = g(z.astype(np.float32), training=False)
    np.testing.assert_allclose(_np(got), want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("conditional", [False, True])
def test_resnet_critic_equals_the_papers_blocks(conditional: bool) -> None:
    """D for 8x8 images against numpy: optimized block (conv-ReLU-conv-pool + pool-conv1x1),
    two plain blocks (ReLU-conv-ReLU-conv + identity), ReLU, sum pooling, dense; with a
    label, plus the projection <embed(y), features>."""
    from ganzoo_plugins import resnet

    d = resnet.build_discriminator(_ctx((8, 8, 1), d_channels=2, d_norm="none",
                                        conditional=conditional))
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 8, 8, 1))
    labels = np.array([0, 7, 3], np.int32)
    h = _conv(_pool(x), d.get_layer("block1_shortcut")) + _pool(
        _conv(_relu(_conv(x, d.get_layer("block1_conv1"))), d.get_layer("block1_conv2")))
    for block in ("block2", "block3"):
        main = _conv(_relu(h), d.get_layer(f"{block}_conv1"))
        h = h + _conv(_relu(main), d.get_layer(f"{block}_conv2"))
    features = _relu(h).sum(axis=(1, 2))
    dense = d.get_layer("logits")
    want = features @ _np(dense.kernel) + _np(dense.bias)
    inputs: Any = x.astype(np.float32)
    if conditional:
        embedding = _np(d.get_layer("label_embedding").embeddings)
        want = want + (embedding[labels] * features).sum(axis=1, keepdims=True)
        inputs = [tf.constant(inputs), tf.constant(labels)]
    got = d(inputs, training=False)["logits"]
    np.testing.assert_allclose(_np(got), want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("norm", ["none", "layer", "spectral"])
def test_resnet_critic_takes_a_gradient_penalty(norm: str) -> None:
    """WGAN-GP differentiates D's input gradient again: every D kernel gets a finite
    gradient of the penalty, and (no BatchNorm) each example's logit is its own."""
    from types import SimpleNamespace

    from ganzoo_plugins import resnet
    from ganzoo_plugins.penalties import GradientPenalty

    d = resnet.build_discriminator(_ctx((8, 8, 1), d_channels=4, d_norm=norm))
    rng = np.random.default_rng(10)
    real, fake = (tf.constant(rng.normal(size=(4, 8, 8, 1)).astype(np.float32))
                  for _ in range(2))
    ctx = SimpleNamespace(discriminator=lambda x, y=None: d(x, training=True), real=real,
                          fake=fake, labels=None, seed=keras.random.SeedGenerator(1))
    with tf.GradientTape() as tape:
        penalty = GradientPenalty(10.0)(ctx)
    grads = tape.gradient(penalty, d.trainable_variables)
    got = {v.path: g for v, g in zip(d.trainable_variables, grads, strict=True)}
    assert np.isfinite(float(penalty))
    # The logit's bias does not move the input gradient: no gradient there, by right.
    kernels = [g for p, g in got.items() if p.endswith("kernel")]
    assert all(g is not None and np.isfinite(g.numpy()).all() for g in kernels)
    if norm != "spectral":  # spectral normalization rewrites its kernel on training calls
        whole = d(real, training=True)["logits"].numpy()
        alone = d(real[:1], training=True)["logits"].numpy()
        np.testing.assert_allclose(whole[:1], alone, rtol=1e-5, atol=1e-6)


def test_conditional_generators_take_labels_and_codes() -> None:
    for build_g, build_d in _factories().values():
        ctx = _ctx((28, 28, 1), conditional=True, code_categorical=3, code_continuous=2,
                   d_heads="code")
        g, d = build_g(ctx), build_d(ctx)
        z = tf.zeros((2, 4 + 5))
        labels = tf.constant([1, 9], tf.int32)
        image = g([z, labels])
        out = d([image, labels])
        assert out["logits"].shape == (2, 1) and out["code"].shape == (2, 5)
        # The label changes G's output.
        assert not np.allclose(_np(image), _np(g([z, tf.constant([2, 3], tf.int32)])))


def test_networks_under_mixed_bfloat16() -> None:
    from ganzoo.engine.runtime import dtype_policy

    for build_g, build_d in _factories().values():
        with dtype_policy("mixed_bfloat16"):
            g, d = build_g(_ctx()), build_d(_ctx())
        image = g(tf.zeros((2, 4)), training=True)
        assert image.dtype == tf.float32
        assert d(image, training=True)["logits"].dtype == tf.float32


# -- self-attention ------------------------------------------------------------------------

def test_attention_with_gamma_zero_is_the_identity() -> None:
    from ganzoo_plugins.attention import SelfAttention

    x = tf.constant(np.random.default_rng(3).normal(size=(2, 4, 4, 16)).astype(np.float32))
    for pool in (False, True):
        layer = SelfAttention(pool=pool, spectral_norm=True, seed=1)
        for training in (False, True):
            np.testing.assert_array_equal(layer(x, training=training).numpy(), x.numpy())
        assert float(layer.gamma.numpy()) == 0.0
        assert layer.query_conv.layer.filters == 2  # C / 8


@pytest.mark.parametrize("pool", [False, True])
def test_attention_formula_with_set_weights(pool: bool) -> None:
    """y_j = x_j + gamma * W_v sum_i softmax_i(f(x_i) . g(x_j)) h(x_i) with set weights, on
    a 2x2x2 map; pooled (on a 4x4x2 map), keys and values are 2x2 maxima of f(x), h(x)."""
    from ganzoo_plugins.attention import SelfAttention

    if pool:
        x = np.random.default_rng(9).normal(size=(1, 4, 4, 2)).astype(np.float32)
    else:
        x = np.array([[[[1.0, -2.0], [0.5, 3.0]], [[-1.0, 0.0], [2.0, 1.0]]]], np.float32)
    layer = SelfAttention(pool=pool)
    layer.build(x.shape)
    assert layer.query_conv.filters == 1  # max(1, 2 // 8)
    w_g, w_f, w_h = np.array([[0.5], [-0.3]]), np.array([[0.2], [0.4]]), np.array([[1.0], [-1.0]])
    w_v = np.array([[0.7, -0.2]])
    for conv, w in [(layer.query_conv, w_g), (layer.key_conv, w_f), (layer.value_conv, w_h),
                    (layer.output_conv, w_v)]:
        conv.kernel.assign(w.reshape(1, 1, *w.shape).astype(np.float32))
    layer.gamma.assign(0.7)

    side = x.shape[1]
    positions = _np(x).reshape(side * side, 2)  # row-major
    query, key, value = positions @ w_g, positions @ w_f, positions @ w_h
    if pool:  # 2x2 windows of the 4x4 maps -> 4 positions
        def pooled(m: np.ndarray) -> np.ndarray:
            return m.reshape(2, 2, 2, 2).max(axis=(1, 3)).reshape(4, 1)

        key, value = pooled(key), pooled(value)
    beta = _softmax(query @ key.T)  # beta[j, i]
    want = positions + 0.7 * (beta @ value) @ w_v
    got = layer(tf.constant(x)).numpy().reshape(side * side, 2)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    if not pool:  # by hand: g(x_1) = 0.5 * 1 - 0.3 * -2 = 1.1, f(x_i) = 0.2 a + 0.4 b
        assert np.allclose(query[0] * key[:, 0], 1.1 * np.array([-0.6, 1.3, -0.2, 0.8]))


def test_attention_config_round_trip() -> None:
    from ganzoo_plugins import attention

    layer = attention.SelfAttention(key_channels=3, value_channels=5, pool=True,
                                    spectral_norm=True, seed=4, name="att")
    x = tf.constant(np.random.default_rng(5).normal(size=(2, 4, 4, 8)).astype(np.float32))
    layer(x)
    layer.gamma.assign(0.5)
    config = keras.saving.serialize_keras_object(layer)
    assert config["registered_name"] == "ganzoo>SelfAttention"
    copy = keras.saving.deserialize_keras_object(config)
    assert copy.get_config() == layer.get_config()
    copy(x)
    copy.set_weights(layer.get_weights())
    np.testing.assert_allclose(copy(x).numpy(), layer(x).numpy(), rtol=1e-6)
    assert layer.value_conv.layer.filters == 5 and layer.key_conv.layer.filters == 3


def test_sagan_spectral_norm_everywhere_and_attention_side() -> None:
    from ganzoo_plugins import attention

    g = attention.build_sagan_generator(_ctx((32, 32, 3), g_attention=8))
    d = attention.build_sagan_discriminator(_ctx((32, 32, 3), d_attention=8))
    for model in (g, d):
        assert model.get_layer("attention").output.shape[1:3] == (8, 8)
        weights = [layer for layer in model.layers
                   if isinstance(layer, keras.layers.Conv2D | keras.layers.Dense)]
        assert not weights  # all wrapped in SpectralNormalization, attention's too
        assert isinstance(model.get_layer("attention").output_conv,
                          keras.layers.SpectralNormalization)
    assert any(isinstance(layer, keras.layers.BatchNormalization) for layer in g.layers)
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in d.layers)
    with pytest.raises(ConfigError, match=r"g_attention=7: .*4x4, 8x8, 16x16, 32x32"):
        attention.build_sagan_generator(_ctx((32, 32, 3), g_attention=7))
    with pytest.raises(ConfigError, match=r"d_attention=32: .*16x16, 8x8, 4x4"):
        attention.build_sagan_discriminator(_ctx((32, 32, 3), d_attention=32))


def test_sagan_trains_through_attention() -> None:
    """One traced G+D gradient: every D weight gets a gradient, gamma a nonzero one."""
    from ganzoo_plugins import attention

    g = attention.build_sagan_generator(_ctx())
    d = attention.build_sagan_discriminator(_ctx())

    @tf.function
    def step(z: Any) -> Any:
        with tf.GradientTape() as tape:
            logits = d(g(z, training=True), training=True)["logits"]
            loss = tf.reduce_mean(tf.nn.relu(1.0 + logits))
        return tape.gradient(loss, d.trainable_variables)

    grads = step(tf.random.normal((4, 4), seed=1))
    assert all(grad is not None for grad in grads)
    gamma = [gr for v, gr in zip(d.trainable_variables, grads, strict=True)
             if v.path.endswith("gamma")]
    assert len(gamma) == 1 and float(tf.abs(gamma[0])) > 0


# -- DiffAugment ---------------------------------------------------------------------------

IMAGE = np.arange(1, 17, dtype=np.float32).reshape(1, 4, 4, 1)  # 1..16, row-major


def test_translate_by_given_shifts() -> None:
    from ganzoo_plugins import augment

    images = np.concatenate([IMAGE, IMAGE, IMAGE])
    out = augment.translate(images, np.array([1, 0, -2]), np.array([0, -1, 1]))[..., 0].numpy()
    # down 1
    assert out[0].tolist() == [[0, 0, 0, 0], [1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]]
    # left 1
    assert out[1].tolist() == [[2, 3, 4, 0], [6, 7, 8, 0], [10, 11, 12, 0], [14, 15, 16, 0]]
    # up 2, right 1
    assert out[2].tolist() == [[0, 9, 10, 11], [0, 13, 14, 15], [0, 0, 0, 0], [0, 0, 0, 0]]


def test_cutout_at_given_positions() -> None:
    from ganzoo_plugins import augment

    images = np.concatenate([IMAGE, IMAGE, IMAGE])
    assert augment.cutout_size(4, 4) == (2, 2)
    out = augment.cutout(images, np.array([1, -1, 3]), np.array([1, -1, 3]))[..., 0].numpy()
    assert out[0].tolist() == [[1, 2, 3, 4], [5, 0, 0, 8], [9, 0, 0, 12], [13, 14, 15, 16]]
    # Corners past the border cut less than the full square.
    assert out[1].tolist() == [[0, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]]
    assert out[2].tolist() == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 0]]


def test_color_by_given_factors() -> None:
    from ganzoo_plugins import augment

    # One 1x2 RGB image: pixels (0.2, 0.4, 0.6) and (-0.4, -0.2, 0.0).
    x = np.array([[[[0.2, 0.4, 0.6], [-0.4, -0.2, 0.0]]]], np.float32)
    out = augment.adjust_color(x, [0.1], [2.0], [0.5]).numpy()
    # brightness +0.1: (0.3, 0.5, 0.7), (-0.3, -0.1, 0.1); pixel means 0.5 and -0.1;
    # saturation x2: (0.1, 0.5, 0.9), (-0.5, -0.1, 0.3); image mean 0.2;
    # contrast x0.5: (0.15, 0.35, 0.55), (-0.15, 0.05, 0.25).
    want = [[[[0.15, 0.35, 0.55], [-0.15, 0.05, 0.25]]]]
    np.testing.assert_allclose(out, want, atol=1e-6)
    # Grey images: saturation has nothing to scale; brightness and contrast still apply.
    grey = np.array([[[[0.2], [-0.4]]]], np.float32)  # +0.1 -> 0.3, -0.3; mean 0; x2
    for saturation in ([2.0], None):
        out = augment.adjust_color(grey, [0.1], saturation, [2.0]).numpy()
        np.testing.assert_allclose(out, [[[[0.6], [-0.6]]]], atol=1e-6)


def test_gradients_flow_through_each_transform() -> None:
    from ganzoo_plugins import augment

    x = tf.constant(np.random.default_rng(6).normal(size=(2, 4, 4, 3)).astype(np.float32))
    top, left = np.array([0, 2]), np.array([1, -1])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        cut = tf.reduce_sum(augment.cutout(x, top, left))
        moved = tf.reduce_sum(augment.translate(x, np.array([1, -2]), np.array([0, 3])))
        colored = tf.reduce_sum(augment.adjust_color(x, [0.1, 0.2], [1.5, 0.5], [0.7, 1.2]))
    mask = augment.cutout_mask(4, 4, top, left, (2, 2)).numpy()
    np.testing.assert_array_equal(tape.gradient(cut, x).numpy(), np.broadcast_to(mask, x.shape))
    # A pixel's gradient is 1 where the shift keeps it inside the image, else 0.
    kept = np.zeros((2, 4, 4, 3))
    kept[0, :3] = 1  # moved down 1: the last row falls off
    kept[1, 2:, :1] = 1  # up 2, right 3: only rows 2-3 of column 0 stay
    np.testing.assert_array_equal(tape.gradient(moved, x).numpy(), kept)
    # Brightness and the mean-preserving scalings: d sum / dx = 1 for every pixel.
    np.testing.assert_allclose(tape.gradient(colored, x).numpy(), np.ones(x.shape), atol=1e-6)


def _brute_force_shift(original: np.ndarray, shifted: np.ndarray, limit: int) -> tuple:
    from ganzoo_plugins import augment

    for dy in range(-limit, limit + 1):
        for dx in range(-limit, limit + 1):
            moved = augment.translate(original[None], [dy], [dx]).numpy()[0]
            if np.array_equal(moved, shifted):
                return dy, dx
    raise AssertionError("not a translation within the limit")


def test_random_draws_stay_in_the_papers_ranges() -> None:
    from ganzoo_plugins import augment

    rng = np.random.default_rng(7)
    x = rng.uniform(0.5, 1.0, size=(12, 16, 16, 3)).astype(np.float32)  # no zeros inside
    seed = keras.random.SeedGenerator(3)
    assert augment.translation_limit(16) == 2 and augment.translation_limit(28) == 4
    moved = augment.random_translation(x, seed).numpy()
    shifts = {_brute_force_shift(x[b], moved[b], 2) for b in range(12)}
    assert len(shifts) > 3  # per example
    cut = augment.random_cutout(x, seed).numpy()
    zeros = (cut == 0).all(axis=-1).sum(axis=(1, 2))
    assert ((zeros >= 16) & (zeros <= 64)).all() and len(set(zeros)) > 1  # 8x8, clipped
    colored = augment.random_color(x, seed).numpy()
    offset = colored.mean(axis=(1, 2, 3)) - x.mean(axis=(1, 2, 3))  # = brightness
    assert (offset >= -0.5 - 1e-5).all() and (offset < 0.5 + 1e-5).all()
    assert offset.std() > 0.05


def test_augmentation_components_and_errors() -> None:
    from ganzoo_plugins import augment

    assert list(augment.FACTORIES) == ["translation", "cutout", "color"]
    cut = augment.FACTORIES["cutout"][0](_ctx())
    x = tf.constant(IMAGE)
    out = cut(x, keras.random.SeedGenerator(0)).numpy()
    assert out.shape == IMAGE.shape and (out == 0).any() and not np.array_equal(out, IMAGE)
    with pytest.raises(ConfigError, match="DiffAugment is for images"):
        augment.FACTORIES["cutout"][0](_ctx(image_shape=(2,)))
    with pytest.raises(ConfigError, match="Augmentation is for images"):
        cut(tf.zeros((8, 2)), keras.random.SeedGenerator(0))


def test_policy_in_a_traced_step() -> None:
    """Inside tf.function with a fixed batch: a SeedGenerator gives new draws each call, a
    seed tensor the same ones; the gradient reaches the images with their shape."""
    from ganzoo_plugins import augment

    parts = [augment.FACTORIES[name][0](_ctx()) for name in ("color", "translation", "cutout")]

    def policy(images: Any, seed: Any) -> Any:
        for i, part in enumerate(parts):  # one stream per part, as the engine draws them
            images = part(images, seed if isinstance(seed, keras.random.SeedGenerator)
                          else seed + i)
        return images

    seed = keras.random.SeedGenerator(11)
    x = tf.constant(np.random.default_rng(8).normal(size=(4, 8, 8, 3)).astype(np.float32))

    @tf.function(input_signature=[tf.TensorSpec((4, 8, 8, 3))])
    def step(images: Any) -> Any:
        with tf.GradientTape() as tape:
            tape.watch(images)
            out = policy(images, seed)
            loss = tf.reduce_sum(out ** 2)
        return out, tape.gradient(loss, images)

    first, grad = step(x)
    second, _ = step(x)
    assert grad.shape == x.shape and float(tf.reduce_sum(tf.abs(grad))) > 0
    assert not np.allclose(first.numpy(), second.numpy())
    fixed = tf.function(lambda images, s: policy(images, s))
    a = fixed(x, tf.constant([5, 6], tf.int64)).numpy()
    b = fixed(x, tf.constant([5, 6], tf.int64)).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, fixed(x, tf.constant([5, 7], tf.int64)).numpy())


def test_augment_slot_reaches_every_discriminator_input(tmp_path: Any) -> None:
    """`--set augment=...` builds the components in order; D sees augmented images while
    training (real, fake, penalties) and plain ones otherwise."""
    import ganzoo

    gan = ganzoo.build("dcgan", overrides={"augment": "translation,cutout", "d_norm": "none",
                                           "precision": "float32", "ema": 0.0})
    assert [a.name for a in gan.augmentations] == ["translation", "cutout"]
    x = tf.constant(np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype(np.float32))
    plain = gan.discriminator(x, training=False)["logits"].numpy()
    assert np.allclose(gan.discriminate(x, training=False)["logits"].numpy(), plain, atol=1e-6)
    seen = gan.discriminate(x, training=True)["logits"].numpy()
    assert not np.allclose(seen, plain, atol=1e-4)
    with pytest.raises(ConfigError, match=r"unknown augmentation|no augmentation named"):
        ganzoo.build("dcgan", overrides={"augment": "flip"})
