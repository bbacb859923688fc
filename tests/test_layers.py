"""ganzoo.engine.layers: the fast layers compute what Keras' layers compute.

Each fast path is checked against Keras' own layer with the same weights: exactly (to
float32 round-off) in float32, and in bfloat16 at least as close to the float32 result
as Keras' bfloat16 layer is. Each test also checks that the fast path really ran (the
ops in the traced graph), so a silent fallback to Keras' code cannot pass for it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from ganzoo.engine.runtime import dtype_policy

pytestmark = pytest.mark.tf

# Bound by the fixture below: importing TensorFlow at collection time would break the
# promise of other test files that their commands never import it.
tf: Any = None
keras: Any = None
gl: Any = None


@pytest.fixture(autouse=True, scope="module")
def _tensorflow() -> None:
    global tf, keras, gl
    from ganzoo.engine import layers
    from ganzoo.engine.runtime import import_tensorflow

    tf = import_tensorflow()
    import keras as keras_module

    keras, gl = keras_module, layers


def _ops(fn: Any) -> set[str]:
    return {op.type for op in fn.get_concrete_function().graph.get_operations()}


def _rel(a: Any, b: Any) -> float:
    a, b = np.asarray(a, np.float32), np.asarray(b, np.float32)
    return float(np.abs(a - b).max() / max(np.abs(a).max(), 1e-12))


def _forward_backward(layer: Any, x: Any, r: Any) -> tuple[Any, list[Any]]:
    """The layer's output and the gradients of sum(output * r) for input and weights."""

    def run() -> list[Any]:
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=True)
            loss = tf.reduce_sum(tf.cast(y, tf.float32) * r)
        return [y, *tape.gradient(loss, [x, *layer.trainable_variables])]

    fn = tf.function(run)
    return fn, fn()


@pytest.mark.parametrize(
    ("inputs", "out_channels", "kernel", "strides", "padding", "bias"),
    [
        ((7, 7, 32), 16, 5, 1, "same", False),   # the tutorial's stride-1 transposed conv
        ((14, 14, 16), 32, 5, 2, "same", True),  # the tutorial's D
        ((7, 7, 32), 16, 4, 2, "same", True),    # DCGAN's 4x4 kernels
        ((9, 9, 16), 16, 3, 2, "valid", True),
        ((7, 7, 16), 24, 4, 2, "same", True),    # odd side, stride 2
    ],
)
@pytest.mark.parametrize("transpose", [False, True])
def test_conv_matches_keras(inputs: tuple[int, ...], out_channels: int, kernel: int,
                            strides: int, padding: str, bias: bool, transpose: bool) -> None:
    keras_cls = keras.layers.Conv2DTranspose if transpose else keras.layers.Conv2D
    fast_cls = gl.Conv2DTranspose if transpose else gl.Conv2D
    kwargs = {"filters": out_channels, "kernel_size": kernel, "strides": strides,
              "padding": padding, "use_bias": bias}
    shape = (8, *inputs)
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=shape).astype(np.float32))
    reference = keras_cls(**kwargs)
    reference.build(shape)
    weights = reference.get_weights()
    r = tf.constant(rng.normal(size=reference(x).shape).astype(np.float32))
    _, truth = _forward_backward(reference, x, r)

    # float32: the fast layers are Keras' layers.
    fast = fast_cls(**kwargs)
    fast.build(shape)
    fast.set_weights(weights)
    _, got = _forward_backward(fast, x, r)
    for a, b in zip(truth, got, strict=True):
        assert _rel(a, b) < 1e-5

    # bfloat16: the kernel gradient comes from filter_gradient, as accurate as Keras'.
    with dtype_policy("mixed_bfloat16"):
        keras_bf16, fast_bf16 = keras_cls(**kwargs), fast_cls(**kwargs)
    for layer in (keras_bf16, fast_bf16):
        layer.build(shape)
        layer.set_weights(weights)
    _, keras_out = _forward_backward(keras_bf16, x, r)
    fn, fast_out = _forward_backward(fast_bf16, x, r)
    # The fast kernel gradient applies to convolutions reading <= 16x16 maps of >= 16
    # channels (for a transposed one, its output); elsewhere Keras' path must run.
    conv_input = fast_out[0].shape[1:] if transpose else shape[1:]
    expected = (conv_input[0] * conv_input[1] <= gl.MAX_PIXELS
                and conv_input[2] >= gl.MIN_CHANNELS)
    assert ("Conv2DBackpropFilter" not in _ops(fn)) == expected
    assert fast_out[0].dtype == tf.bfloat16
    for t, k, f in zip(truth, keras_out, fast_out, strict=True):
        assert _rel(t, f) <= max(1.5 * _rel(t, k), 1e-2)


def test_filter_gradient_equals_tensorflows() -> None:
    rng = np.random.default_rng(1)
    for (h, c_in, c_out, k, s, pad) in [(7, 3, 5, 5, 1, "same"), (14, 4, 6, 5, 2, "same"),
                                        (9, 2, 3, 3, 2, "valid"), (8, 3, 2, 4, 2, "same"),
                                        (10, 2, 2, 3, 1, "valid")]:
        x = tf.constant(rng.normal(size=(4, h, h, c_in)).astype(np.float32))
        y = tf.nn.conv2d(x, tf.zeros((k, k, c_in, c_out)), s, pad.upper())
        dy = tf.constant(rng.normal(size=y.shape).astype(np.float32))
        want = tf.raw_ops.Conv2DBackpropFilter(
            input=x, filter_sizes=[k, k, c_in, c_out], out_backprop=dy,
            strides=[1, s, s, 1], padding=pad.upper())
        got = gl.filter_gradient(x, dy, (k, k), (s, s), pad)
        assert got.shape == want.shape
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-4, atol=1e-4)


def test_fast_conv_is_differentiable_twice() -> None:
    """Gradient penalties (WGAN-GP, DRAGAN, R1) differentiate D's input gradient again."""
    rng = np.random.default_rng(2)
    x = tf.constant(rng.normal(size=(4, 8, 8, 16)).astype(np.float32))
    results = []
    for cls in (keras.layers.Conv2D, gl.Conv2D):
        with dtype_policy("mixed_bfloat16"):
            layer = cls(16, 3, strides=2, padding="same")
        layer.build(x.shape)
        layer.set_weights([np.full((3, 3, 16, 16), 0.05, np.float32),
                           np.zeros(16, np.float32)])

        @tf.function
        def penalty_grad(layer: Any = layer) -> Any:
            with tf.GradientTape() as outer:
                with tf.GradientTape() as inner:
                    inner.watch(x)
                    y = tf.reduce_sum(tf.cast(layer(x), tf.float32) ** 2)
                g = inner.gradient(y, x)
                penalty = tf.reduce_sum(tf.cast(g, tf.float32) ** 2)
            return outer.gradient(penalty, layer.kernel)

        results.append(penalty_grad().numpy())
    assert np.all(np.isfinite(results[1]))
    assert _rel(results[0], results[1]) < 3e-2


@pytest.mark.parametrize("shape", [(32, 50), (16, 7, 7, 12)])
@pytest.mark.parametrize("policy", ["float32", "mixed_bfloat16"])
def test_batchnorm_matches_keras(shape: tuple[int, ...], policy: str) -> None:
    rng = np.random.default_rng(3)
    x = tf.constant((rng.normal(size=shape) * 3 + 1).astype(np.float32))
    r = tf.constant(rng.normal(size=shape).astype(np.float32))
    results, fns = [], []
    for cls in (keras.layers.BatchNormalization, gl.BatchNormalization):
        with dtype_policy(policy):
            layer = cls(momentum=0.9, epsilon=1e-5)
        layer.build(shape)
        layer.gamma.assign(np.full(shape[-1:], 1.5, np.float32))
        layer.beta.assign(np.linspace(-1, 1, shape[-1]).astype(np.float32))
        fn, _ = _forward_backward(layer, x, r)  # two training steps move the statistics
        out = fn()
        results.append([*out, layer.moving_mean, layer.moving_variance,
                        layer(x, training=False)])
        fns.append(fn)
    assert "FusedBatchNormV3" in _ops(fns[1])
    assert "FusedBatchNormV3" not in _ops(fns[0])
    tolerance = 1e-5 if policy == "float32" else 1e-2
    for a, b in zip(*results, strict=True):
        assert _rel(a, b) < tolerance
    assert np.any(results[1][-3].numpy() != 0)  # the moving mean moved


def test_batchnorm_falls_back_where_fused_does_not_apply() -> None:
    layer = gl.BatchNormalization(axis=1)
    layer.build((4, 3, 5, 5))
    fn = tf.function(lambda: layer(tf.ones((4, 3, 5, 5)), training=True))
    assert "FusedBatchNormV3" not in _ops(fn)
    layer = gl.BatchNormalization(synchronized=True)
    layer.build((4, 6))
    fn = tf.function(lambda: layer(tf.ones((4, 6)), training=True))
    assert "FusedBatchNormV3" not in _ops(fn)


def test_dropout_keeps_the_right_share_and_mean() -> None:
    layer = gl.Dropout(0.3, seed=1)
    x = tf.ones((64, 14, 14, 64))
    y = layer(x, training=True).numpy()
    kept = (y != 0).mean()
    assert abs(kept - 0.7) < 0.003  # 800k draws: the standard error is 0.0005
    assert abs(y.mean() - 1.0) < 0.005  # kept values are scaled to keep the mean
    assert set(np.unique(y)) == {0.0, np.float32(65536 / (65536 - 19661))}
    again = layer(x, training=True).numpy()
    assert np.any((again != 0) != (y != 0))  # a fresh mask each call
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x.numpy())


def test_dropout_is_reproducible_and_handles_odd_sizes() -> None:
    masks = []
    for _ in range(2):
        layer = gl.Dropout(0.5, seed=7)
        masks.append(layer(tf.ones((3, 5)), training=True).numpy())
    np.testing.assert_array_equal(masks[0], masks[1])
    assert masks[0].shape == (3, 5)
    y = gl.Dropout(0.25, seed=3)(tf.ones((1000, 7)), training=True).numpy()
    assert abs((y != 0).mean() - 0.75) < 0.02


def test_dropout_gradient_is_its_mask() -> None:
    layer = gl.Dropout(0.4, seed=5)
    x = tf.ones((8, 6, 6, 4))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = layer(x, training=True)
        total = tf.reduce_sum(y)
    grad = tape.gradient(total, x)
    np.testing.assert_allclose(grad.numpy(), y.numpy())


def test_dropout_in_bfloat16_and_fallbacks() -> None:
    with dtype_policy("mixed_bfloat16"):
        layer = gl.Dropout(0.3, seed=1)
    y = layer(tf.ones((32, 10, 10, 8)), training=True)
    assert y.dtype == tf.bfloat16
    assert abs(float(tf.reduce_mean(tf.cast(y != 0, tf.float32))) - 0.7) < 0.01
    spatial = gl.Dropout(0.5, noise_shape=(None, 1, 1, 8), seed=2)  # Keras' own path
    out = spatial(tf.ones((4, 3, 3, 8)), training=True).numpy()
    assert np.all(out == out[:, :1, :1, :])


def test_fast_layers_serialize_and_share_keras_weight_layout(tmp_path: Any) -> None:
    for layer in (gl.Conv2D(4, 3, name="c"), gl.Conv2DTranspose(4, 3, strides=2, name="t"),
                  gl.BatchNormalization(momentum=0.8, name="b"), gl.Dropout(0.2, name="d")):
        config = keras.saving.serialize_keras_object(layer)
        clone = keras.saving.deserialize_keras_object(config)
        assert type(clone) is type(layer)
        assert clone.get_config() == layer.get_config()

    def model(cls_conv: Any, cls_bn: Any) -> Any:
        inputs = keras.Input((8, 8, 3))
        x = cls_conv(4, 3, padding="same", name="conv")(inputs)
        x = cls_bn(name="norm")(x)
        return keras.Model(inputs, x)

    fast = model(gl.Conv2D, gl.BatchNormalization)
    path = tmp_path / "m.weights.h5"
    fast.save_weights(path)
    plain = model(keras.layers.Conv2D, keras.layers.BatchNormalization)
    plain.load_weights(path)
    for a, b in zip(fast.get_weights(), plain.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
