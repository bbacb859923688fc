"""Keras layers that train faster on CPUs: same maths, weights and config as Keras' own.

Importing this module imports TensorFlow; plugins import it inside their build
functions. Each layer is a subclass of the Keras layer it replaces, so weights
files, ``isinstance`` checks, ``get_config`` and spectral normalization work
unchanged, and each falls back to Keras' own code wherever its fast path does
not apply. ``SpectralNormalization`` is the exception: it is here because
Keras' wrapper computes something else (see its docstring). Measured on an
AVX512-BF16 CPU (docs/BENCHMARKS.md, "Where the time goes"):

- ``BatchNormalization`` trains with TensorFlow's fused batch-norm kernel (one op
  forward, one backward) instead of Keras' chain of float32 ops with casts: the
  tutorial's three BN layers took 4.7 instead of 25.8 ms per bfloat16 step. The
  moving statistics are updated exactly as Keras does (with the biased variance).
- ``Dropout`` draws 16 random bits per element instead of a float: less Philox
  work (34.4 -> 21.9 ms per step, masks included), and a keep probability exact to
  1/65536 (Keras' bfloat16 dropout draws bfloat16 uniforms, exact to 1/128).
- ``Conv2D`` / ``Conv2DTranspose`` in bfloat16 on a CPU compute the kernel
  gradient as a forward convolution over the batch (the batch becomes the
  reduction axis), which ran up to 1.6x faster than oneDNN's bfloat16
  backward-filter kernel on small maps (see `MAX_PIXELS`). Elsewhere, in float32,
  or with a GPU, they are Keras' layers.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

#: 16-bit dropout draws: a uniform integer in [0, 2**16).
_DRAWS = 1 << 16


def _no_gpu() -> bool:
    return not tf.config.list_logical_devices("GPU")


def _static_hw(shape: Any) -> bool:
    return shape.rank == 4 and shape[1] is not None and shape[2] is not None


# -- convolutions -------------------------------------------------------------------------------

def filter_gradient(inputs: Any, out_grad: Any, kernel_size: tuple[int, int],
                    strides: tuple[int, int], padding: str) -> Any:
    """d(loss)/d(kernel) of ``conv2d(inputs, kernel, strides, padding)`` (NHWC, no dilation),
    computed as a forward convolution: images become the batch of channels, the batch
    becomes the reduction axis, and the output gradient becomes a (dilated) kernel."""
    kh, kw = kernel_size
    sh, sw = strides
    height, width = inputs.shape[1], inputs.shape[2]
    out_h, out_w = out_grad.shape[1], out_grad.shape[2]
    with tf.name_scope("filter_gradient"):
        x = tf.transpose(inputs, [3, 1, 2, 0])              # (in_channels, H, W, batch)
        if padding == "same":
            pad_h = max((out_h - 1) * sh + kh - height, 0)
            pad_w = max((out_w - 1) * sw + kw - width, 0)
            x = tf.pad(x, [[0, 0], [pad_h // 2, pad_h - pad_h // 2],
                           [pad_w // 2, pad_w - pad_w // 2], [0, 0]])
        g = tf.transpose(out_grad, [1, 2, 0, 3])            # (out_h, out_w, batch, out_channels)
        k = tf.nn.conv2d(x, g, strides=1, padding="VALID", dilations=[sh, sw])
        return tf.transpose(k[:, :kh, :kw, :], [1, 2, 0, 3])  # (kh, kw, in, out)


def conv2d(inputs: Any, kernel: Any, strides: tuple[int, int], padding: str) -> Any:
    """``tf.nn.conv2d`` whose kernel gradient is `filter_gradient`."""
    pad = padding.upper()

    @tf.custom_gradient
    def op(x: Any, k: Any) -> Any:
        def grad(dy: Any) -> Any:
            dx = tf.nn.conv2d_transpose(dy, k, tf.shape(x), strides, pad)
            return dx, filter_gradient(x, dy, k.shape[:2], strides, padding)

        return tf.nn.conv2d(x, k, strides, pad), grad

    return op(inputs, kernel)


def conv2d_transpose(inputs: Any, kernel: Any, output_shape: Any, strides: tuple[int, int],
                     padding: str) -> Any:
    """``tf.nn.conv2d_transpose`` whose kernel gradient is `filter_gradient` (the
    transposed convolution is the input gradient of the convolution from its output)."""
    pad = padding.upper()

    @tf.custom_gradient
    def op(x: Any, k: Any) -> Any:
        y = tf.nn.conv2d_transpose(x, k, output_shape, strides, pad)

        def grad(dy: Any) -> Any:
            dx = tf.nn.conv2d(dy, k, strides, pad)
            return dx, filter_gradient(dy, x, k.shape[:2], strides, padding)

        return y, grad

    return op(inputs, kernel)


#: Where `filter_gradient` pays, measured against oneDNN's bfloat16 backward-filter kernel
#: (bench/filter_gradient.py, table in docs/BENCHMARKS.md): on maps of at most 16x16 pixels
#: with at least 16 channels going in, 1.15-1.6x faster; on 28x28 and 32x32 maps 0.42-0.62x,
#: with one input channel 0.86x. "Going in" is the convolution's input: for a transposed
#: convolution, its output.
MAX_PIXELS = 16 * 16
MIN_CHANNELS = 16


def _fast_conv(layer: Any, inputs: Any, conv_input_shape: tuple[Any, Any, Any]) -> bool:
    height, width, channels = conv_input_shape
    return (
        layer.compute_dtype == "bfloat16"
        and layer.data_format == "channels_last"
        and tuple(layer.dilation_rate) == (1, 1)
        and getattr(layer, "groups", 1) == 1
        and layer.padding in ("same", "valid")
        and _static_hw(inputs.shape)
        and height * width <= MAX_PIXELS
        and channels >= MIN_CHANNELS
        and _no_gpu()
    )


def _weight(variable: Any, dtype: Any) -> Any:
    # Reading the variable inside the layer's call applies Keras' autocast.
    return tf.cast(keras.ops.convert_to_tensor(variable), dtype)


@tf.custom_gradient
def _add_bias(x: Any, bias: Any) -> Any:
    # The bias gradient sums over batch and pixels; bfloat16 sums (BiasAddGrad, broadcast
    # adds) lose ~8 % of it at batch 64, so this one sums in float32.
    def grad(dy: Any) -> Any:
        return dy, tf.cast(tf.reduce_sum(tf.cast(dy, tf.float32), [0, 1, 2]), bias.dtype)

    return tf.nn.bias_add(x, bias), grad


def _bias_and_activation(layer: Any, outputs: Any) -> Any:
    if layer.use_bias:
        bias = _weight(layer.bias, outputs.dtype)
        if layer.data_format == "channels_last":
            outputs = _add_bias(outputs, bias)
        else:
            outputs = outputs + tf.reshape(bias, [1, -1, 1, 1])
    if layer.activation is not None:
        outputs = layer.activation(outputs)
    return outputs


def _conv_with_kernel(layer: Any, inputs: Any, kernel: Any) -> Any:
    """`layer` (a Keras Conv2D) applied with `kernel` in place of its own."""
    if isinstance(layer, Conv2D) and _fast_conv(layer, inputs, tuple(inputs.shape[1:])):
        outputs = conv2d(inputs, kernel, tuple(layer.strides), layer.padding)
    else:
        outputs = layer.convolution_op(inputs, kernel)
    return _bias_and_activation(layer, outputs)


def _fast_transpose_size(layer: Any, inputs: Any) -> tuple[int, int] | None:
    """The output (height, width) when `layer` is ganzoo's Conv2DTranspose and its fast
    path applies to `inputs`, else None."""
    if not isinstance(layer, Conv2DTranspose) or layer.output_padding is not None \
            or not _static_hw(inputs.shape):
        return None
    _, out_h, out_w, _ = layer.compute_output_shape(inputs.shape)
    return (out_h, out_w) if _fast_conv(layer, inputs, (out_h, out_w, layer.filters)) else None


def _conv_transpose_with_kernel(layer: Any, inputs: Any, kernel: Any) -> Any:
    """`layer` (a Keras Conv2DTranspose) applied with `kernel` in place of its own."""
    size = _fast_transpose_size(layer, inputs)
    if size is not None:
        out_h, out_w = size
        shape = tf.stack([tf.shape(inputs)[0], out_h, out_w, layer.filters])
        outputs = conv2d_transpose(inputs, kernel, shape, tuple(layer.strides), layer.padding)
        outputs = tf.ensure_shape(outputs, [inputs.shape[0], out_h, out_w, layer.filters])
    else:
        outputs = keras.ops.conv_transpose(
            inputs, kernel, strides=layer.strides, padding=layer.padding,
            output_padding=layer.output_padding, data_format=layer.data_format,
            dilation_rate=layer.dilation_rate)
    return _bias_and_activation(layer, outputs)


@keras.saving.register_keras_serializable(package="ganzoo")
class Conv2D(keras.layers.Conv2D):
    """keras.layers.Conv2D with the bfloat16 CPU kernel gradient of `filter_gradient`."""

    def call(self, inputs: Any) -> Any:
        if not _fast_conv(self, inputs, tuple(inputs.shape[1:])):
            return super().call(inputs)
        return _conv_with_kernel(self, inputs, _weight(self.kernel, inputs.dtype))


@keras.saving.register_keras_serializable(package="ganzoo")
class Conv2DTranspose(keras.layers.Conv2DTranspose):
    """keras.layers.Conv2DTranspose with the bfloat16 CPU kernel gradient of
    `filter_gradient`."""

    def call(self, inputs: Any) -> Any:
        if _fast_transpose_size(self, inputs) is None:
            return super().call(inputs)
        return _conv_transpose_with_kernel(self, inputs, _weight(self.kernel, inputs.dtype))


# -- spectral normalization ---------------------------------------------------------------------

@keras.saving.register_keras_serializable(package="ganzoo")
class SpectralNormalization(keras.layers.SpectralNormalization):
    """Spectral normalization as Miyato et al. 2018 define it: the wrapped layer computes
    with W / sigma(W), sigma from one power iteration per training call, and the gradient
    flows through sigma (their eq. 12: it penalizes the first singular direction).

    Keras' own wrapper (this class's base, whose build, weights and config it keeps)
    instead overwrites the stored kernel with W / sigma at each training call, so no
    gradient reaches sigma, and under mixed_bfloat16 it does so with the bfloat16 copy of
    the kernel: the float32 weights are rounded to 8 significant bits at every step, which
    erases the Adam steps smaller than ~0.2 % of a weight. Here the stored kernel is the
    unnormalized float32 W, the power iteration runs in float32 (autocast off), and only
    the normalized kernel is cast to the compute dtype. Wraps Dense, Conv2D,
    Conv2DTranspose and Embedding layers.
    """

    def __init__(self, layer: Any, power_iterations: int = 1, **kwargs: Any) -> None:
        kwargs["autocast"] = False  # read W and u in float32; inputs are cast in call
        super().__init__(layer, power_iterations=power_iterations, **kwargs)
        if not isinstance(layer, keras.layers.Dense | keras.layers.Conv2D
                          | keras.layers.Conv2DTranspose | keras.layers.Embedding):
            raise ValueError(f"SpectralNormalization wraps Dense, Conv2D, Conv2DTranspose "
                             f"or Embedding layers; got {type(layer).__name__}")

    def normalized_weights(self) -> tuple[Any, Any]:
        """(u after the power iteration, W / sigma), both float32; assigns nothing."""
        kernel = tf.convert_to_tensor(self.kernel)
        weights = tf.reshape(kernel, [-1, self.kernel_shape[-1]])
        u = tf.convert_to_tensor(self.vector_u)
        for _ in range(self.power_iterations):
            v = tf.math.l2_normalize(tf.matmul(u, weights, transpose_b=True))
            u = tf.math.l2_normalize(tf.matmul(v, weights))
        u, v = tf.stop_gradient(u), tf.stop_gradient(v)
        sigma = tf.matmul(tf.matmul(v, weights), u, transpose_b=True)[0, 0]
        return u, kernel / tf.maximum(sigma, 1e-12)

    def call(self, inputs: Any, training: Any = False) -> Any:
        u, kernel = self.normalized_weights()
        if training:
            self.vector_u.assign(u)
        layer = self.layer
        if isinstance(layer, keras.layers.Embedding):
            ids = tf.cast(inputs, "int32")
            return tf.cast(tf.gather(kernel, ids), self.compute_dtype)
        dtype = self.compute_dtype
        if inputs.dtype != dtype:
            inputs = tf.cast(inputs, dtype)
        kernel = tf.cast(kernel, dtype)
        if isinstance(layer, keras.layers.Conv2D):
            return _conv_with_kernel(layer, inputs, kernel)
        if isinstance(layer, keras.layers.Conv2DTranspose):
            return _conv_transpose_with_kernel(layer, inputs, kernel)
        outputs = tf.matmul(inputs, kernel) if inputs.shape.rank == 2 else \
            tf.tensordot(inputs, kernel, [[inputs.shape.rank - 1], [0]])
        if layer.use_bias:
            outputs = outputs + tf.cast(layer.bias, dtype)
        if layer.activation is not None:
            outputs = layer.activation(outputs)
        return outputs


# -- batch normalization ------------------------------------------------------------------------

@keras.saving.register_keras_serializable(package="ganzoo")
class BatchNormalization(keras.layers.BatchNormalization):
    """keras.layers.BatchNormalization that trains with TensorFlow's fused kernel.

    Used for training calls on rank-2 or NHWC rank-4 inputs normalized over the last
    axis, in float32 or bfloat16 on a CPU and in float32 on a GPU (where cuDNN needs
    epsilon >= 1.001e-5); synchronized (multi-replica), masked and renormalizing
    layers, and inference, use Keras' code.
    """

    def call(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        rank = inputs.shape.rank
        if not (
            training
            and self.trainable
            and mask is None
            and not self.renorm
            and not self.synchronized
            and self.axis in (-1, rank - 1)
            and rank in (2, 4)
            and (inputs.dtype == tf.float32 or inputs.dtype == tf.bfloat16)
            and (_no_gpu() or (inputs.dtype == tf.float32 and self.epsilon >= 1.001e-5))
        ):
            return super().call(inputs, training=training, mask=mask)
        channels = inputs.shape[-1]
        x = tf.reshape(inputs, [-1, 1, 1, channels]) if rank == 2 else inputs
        gamma = self.gamma if self.scale else tf.ones([channels])
        beta = self.beta if self.center else tf.zeros([channels])
        # The raw op: the wrapper raises epsilon to cuDNN's floor (1.001e-5) even on a CPU.
        empty = tf.constant([], tf.float32)
        y, mean, variance, _, _, _ = tf.raw_ops.FusedBatchNormV3(
            x=x, scale=tf.cast(gamma, tf.float32), offset=tf.cast(beta, tf.float32),
            mean=empty, variance=empty, epsilon=self.epsilon, is_training=True,
        )
        # The kernel returns the unbiased variance; Keras tracks the biased one.
        count = tf.cast(tf.size(x) // channels, tf.float32)
        variance = variance * (count - 1.0) / tf.maximum(count, 1.0)
        momentum = self.momentum
        self.moving_mean.assign(self.moving_mean * momentum + mean * (1.0 - momentum))
        self.moving_variance.assign(
            self.moving_variance * momentum + variance * (1.0 - momentum))
        if rank == 2:
            y = tf.reshape(y, tf.shape(inputs))
        return tf.cast(y, self.compute_dtype)


# -- dropout ------------------------------------------------------------------------------------

@keras.saving.register_keras_serializable(package="ganzoo")
class Dropout(keras.layers.Dropout):
    """keras.layers.Dropout that draws 16 random bits per element instead of a float."""

    def call(self, inputs: Any, training: Any = False) -> Any:
        if not training or not 0.0 < self.rate < 1.0 or self.noise_shape is not None:
            return super().call(inputs, training=training)
        threshold = round(self.rate * _DRAWS)
        seed = tf.cast(tf.math.floormod(self.seed_generator.next(), 2**31 - 1), tf.int32)
        size = tf.size(inputs)
        words = tf.math.floordiv(size + 3, 4)  # four 16-bit draws per 64-bit word
        bits = tf.random.stateless_uniform(tf.reshape(words, [1]), seed, minval=None,
                                           maxval=None, dtype=tf.uint64)
        draws = tf.reshape(tf.bitcast(bits, tf.uint16), [-1])
        inner = inputs.shape[1:].num_elements()  # the batch does not change divisibility by 4
        if inner is None or inner % 4:
            draws = draws[:size]
        keep = tf.reshape(draws, tf.shape(inputs)) >= tf.constant(threshold, tf.uint16)
        scale = tf.constant(_DRAWS / (_DRAWS - threshold), inputs.dtype)
        return tf.where(keep, inputs * scale, tf.zeros_like(inputs))


__all__ = ["BatchNormalization", "Conv2D", "Conv2DTranspose", "Dropout",
           "SpectralNormalization", "conv2d",
           "conv2d_transpose", "filter_gradient"]
