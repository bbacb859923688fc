"""Self-attention (Zhang, Goodfellow, Metaxas & Odena 2019, SAGAN) and SAGAN's networks.

`SelfAttention` is the paper's block (section 3, eq. 1-3): for a feature map x with C
channels and N positions, queries g(x), keys f(x) and values h(x) are 1x1 convolutions to
C/8 channels, beta_{j,i} = softmax_i(f(x_i) . g(x_j)) says how much position j attends to
position i, o_j = v(sum_i beta_{j,i} h(x_i)) with a 1x1 convolution v back to C channels,
and y = x + gamma * o with a learnable gamma that starts at 0, so the block starts as the
identity and the network first relies on local features. ``pool=True`` max-pools keys and
values 2x2 (the authors' code), dividing the attention's cost by 4.

The networks are DCGAN's stacks (plugins/dcgan.py) with spectral normalization on every
weight layer of G and D (SAGAN, section 4: in G as well as D; G keeps BatchNorm) and one
attention block on the feature map of side ``g_attention`` / ``d_attention`` (0: half the
image side, the 14x14 or 16x16 map; the paper found the larger maps best). SAGAN trains
with the hinge loss and TTUR (1e-4 for G, 4e-4 for D): the registry entry chooses those.

Importing this module imports neither TensorFlow nor Keras: the layer class is defined on
first use (``attention.SelfAttention`` or building a network) and registered then as
``ganzoo>SelfAttention``.
"""

from __future__ import annotations

from typing import Any

from ganzoo.plugin import BuildContext, ConfigError

from . import norms
from .resnet import discriminator_outputs, generator_inputs, image_checks, initializers

SAGAN_GENERATOR_PARAMS = {"g_filters": 64, "g_norm": "batch", "g_attention": 0,
                          "g_attention_pool": False}
SAGAN_DISCRIMINATOR_PARAMS = {"d_filters": 64, "d_attention": 0, "d_attention_pool": False,
                              "d_heads": ""}

_CLASSES: dict[str, type] = {}


def _define_self_attention() -> type:
    import keras
    from keras import ops

    from ganzoo.plugin import layers as fast

    @keras.saving.register_keras_serializable(package="ganzoo")
    class SelfAttention(keras.layers.Layer):
        """SAGAN's self-attention block, y = x + gamma * v(attention(g(x), f(x), h(x))).

        Args:
            key_channels: channels of queries and keys; default max(1, C // 8) (the paper).
            value_channels: channels of the values; default `key_channels` (the paper's
                C/8; the authors' code uses C/2).
            pool: max-pool keys and values 2x2 ("same" padding), as the authors' code.
            spectral_norm: wrap the four 1x1 convolutions in spectral normalization.
            seed: seeds the convolutions' Glorot-uniform initializers.
        """

        def __init__(self, key_channels: int | None = None, value_channels: int | None = None,
                     pool: bool = False, spectral_norm: bool = False, seed: int | None = None,
                     **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.key_channels = key_channels
            self.value_channels = value_channels
            self.pool = bool(pool)
            self.spectral_norm = bool(spectral_norm)
            self.seed = seed

        def _conv(self, filters: int, name: str, index: int) -> Any:
            seed = None if self.seed is None else int(self.seed) + index
            layer = keras.layers.Conv2D(
                filters, 1, use_bias=False, name=name, dtype=self.dtype_policy,
                kernel_initializer=keras.initializers.GlorotUniform(seed=seed))
            if self.spectral_norm:
                layer = fast.SpectralNormalization(layer, power_iterations=1,
                                                   name=f"{name}_sn", dtype=self.dtype_policy)
            return layer

        def build(self, input_shape: Any) -> None:
            if len(input_shape) != 4 or input_shape[1] is None or input_shape[2] is None:
                raise ValueError(f"SelfAttention needs (batch, H, W, C) inputs with known H "
                                 f"and W; got {input_shape}")
            channels = int(input_shape[-1])
            keys = self.key_channels or max(1, channels // 8)
            values = self.value_channels or keys
            self.query_conv = self._conv(keys, "g", 0)
            self.key_conv = self._conv(keys, "f", 1)
            self.value_conv = self._conv(values, "h", 2)
            self.output_conv = self._conv(channels, "v", 3)
            for layer in (self.query_conv, self.key_conv, self.value_conv):
                layer.build(input_shape)
            self.output_conv.build((*input_shape[:3], values))
            self.gamma = self.add_weight(name="gamma", shape=(), initializer="zeros")

        def call(self, inputs: Any, training: Any = None) -> Any:
            _, height, width, _ = inputs.shape
            query = self.query_conv(inputs, training=training)
            key = self.key_conv(inputs, training=training)
            value = self.value_conv(inputs, training=training)
            if self.pool:
                key = ops.max_pool(key, 2, 2, padding="same")
                value = ops.max_pool(value, 2, 2, padding="same")
            query = ops.reshape(query, (-1, height * width, query.shape[-1]))
            key = ops.reshape(key, (-1, key.shape[1] * key.shape[2], key.shape[-1]))
            value = ops.reshape(value, (-1, value.shape[1] * value.shape[2], value.shape[-1]))
            # scores[b, j, i] = g(x_j) . f(x_i); softmax over i in float32 (bf16-safe).
            scores = ops.matmul(query, ops.transpose(key, (0, 2, 1)))
            beta = ops.softmax(ops.cast(scores, "float32"), axis=-1)
            attended = ops.matmul(ops.cast(beta, value.dtype), value)
            attended = ops.reshape(attended, (-1, height, width, value.shape[-1]))
            out = self.output_conv(attended, training=training)
            return inputs + ops.cast(self.gamma, inputs.dtype) * out

        def compute_output_shape(self, input_shape: Any) -> Any:
            return input_shape

        def get_config(self) -> dict[str, Any]:
            config = super().get_config()
            config.update(key_channels=self.key_channels, value_channels=self.value_channels,
                          pool=self.pool, spectral_norm=self.spectral_norm, seed=self.seed)
            return config

    return SelfAttention


def self_attention_class() -> type:
    """The `SelfAttention` Keras layer class (defined, and registered, on the first call)."""
    if "SelfAttention" not in _CLASSES:
        _CLASSES["SelfAttention"] = _define_self_attention()
    return _CLASSES["SelfAttention"]


def __getattr__(name: str) -> Any:
    # `from ganzoo_plugins.attention import SelfAttention` defines the class on demand.
    if name == "SelfAttention":
        return self_attention_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _attention_side(ctx: BuildContext, key: str, sides: list[int]) -> int:
    """The feature-map side that gets the attention block: ``key``'s value, 0 = half the
    image side; a ConfigError names the sides the network has."""
    side = int(ctx.get(key, 0))
    if side == 0:
        side = ctx.image_shape[0] // 2
    if side not in sides:
        raise ConfigError(f"--set {key}={ctx.get(key)}: this network's feature maps are "
                          f"{', '.join(f'{s}x{s}' for s in sides)} for "
                          f"{ctx.image_shape[0]}x{ctx.image_shape[1]} images; choose one side "
                          f"of these (0: half the image side)")
    return side


def _spectral(layer: Any) -> Any:
    return norms.weight(layer, "spectral")


def build_sagan_generator(ctx: BuildContext) -> Any:
    """z (and a label, when conditional) -> image in [-1, 1]: DCGAN's generator with
    spectral normalization, ReLU and one self-attention block (Zhang et al. 2019)."""
    import keras

    from ganzoo.plugin import layers as fast

    stages, base, channels = image_checks(ctx, "SAGAN")
    filters = int(ctx.get("g_filters", SAGAN_GENERATOR_PARAMS["g_filters"]))
    norm = norms.check(str(ctx.get("g_norm", "batch")), "g_norm", norms.GENERATOR_NORMS)
    side = _attention_side(ctx, "g_attention", [base * 2**i for i in range(stages + 1)])
    pool = bool(ctx.get("g_attention_pool", False))
    seed = ctx.get("seed")
    init = initializers(seed)
    attention = self_attention_class()

    inputs, x = generator_inputs(ctx)
    width = filters * 2**stages
    x = _spectral(keras.layers.Dense(base * base * width, use_bias=False,
                                     kernel_initializer=init(1.0), name="project"))(x)
    x = keras.layers.Reshape((base, base, width), name="reshape")(x)
    x = norms.after(norm, "project_norm")(x)
    x = keras.layers.ReLU(name="project_act")(x)
    for i in range(stages + 1):
        if x.shape[1] == side:
            x = attention(pool=pool, spectral_norm=True, seed=None if seed is None else
                          int(seed) * 1000 + 500, name="attention")(x)
        if i == stages:
            break
        width //= 2
        x = _spectral(fast.Conv2DTranspose(width, 4, strides=2, padding="same", use_bias=False,
                                      kernel_initializer=init(1.0), name=f"up{i + 1}"))(x)
        x = norms.after(norm, f"up{i + 1}_norm")(x)
        x = keras.layers.ReLU(name=f"up{i + 1}_act")(x)
    x = _spectral(fast.Conv2DTranspose(channels, 3, padding="same", kernel_initializer=init(1.0),
                                  name="to_image"))(x)
    # tanh in float32 so images are exact in [-1, 1] under mixed precision.
    image = keras.layers.Activation("tanh", dtype="float32", name="image")(x)
    return keras.Model(inputs, image, name="generator")


def build_sagan_discriminator(ctx: BuildContext) -> Any:
    """image (and a label, when conditional) -> {"logits": (batch, 1), ...d_heads}: DCGAN's
    discriminator with spectral normalization and one self-attention block (Zhang et al.
    2019). A conditional D uses the projection (Miyato & Koyama 2018), as SAGAN does."""
    import keras

    from ganzoo.plugin import layers as fast

    stages, base, _ = image_checks(ctx, "SAGAN")
    filters = int(ctx.get("d_filters", SAGAN_DISCRIMINATOR_PARAMS["d_filters"]))
    side = _attention_side(ctx, "d_attention",
                           [base * 2**i for i in range(stages - 1, -1, -1)])
    pool = bool(ctx.get("d_attention_pool", False))
    seed = ctx.get("seed")
    seed = None if seed is None else int(seed) + 1
    init = initializers(seed)
    attention = self_attention_class()

    image = keras.Input(ctx.image_shape, name="image")
    label = keras.Input((), dtype="int32", name="label") if ctx.discriminator_conditional \
        else None
    x = image
    width = filters
    for i in range(stages):
        x = _spectral(fast.Conv2D(width, 4, strides=2, padding="same",
                             kernel_initializer=init(1.0), name=f"down{i + 1}"))(x)
        x = keras.layers.LeakyReLU(0.2, name=f"down{i + 1}_act")(x)
        if x.shape[1] == side:
            x = attention(pool=pool, spectral_norm=True, seed=None if seed is None else
                          seed * 1000 + 500, name="attention")(x)
        width *= 2
    features = keras.layers.Flatten(name="flatten")(x)
    outputs = discriminator_outputs(ctx, features, label, "spectral", init)
    return keras.Model(image if label is None else [image, label], outputs,
                       name="discriminator")
