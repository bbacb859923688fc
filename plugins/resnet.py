"""ResNet generator and critic of WGAN-GP and SNGAN, sized to the data.

Gulrajani et al. 2017 ("Improved Training of Wasserstein GANs", appendix: the CIFAR-10
ResNet) and Miyato et al. 2018 ("Spectral Normalization for GANs", appendix B, Table 4) use
the same residual networks for 32x32 images:

- G: z -> dense 4x4xC -> three up-blocks -> BN, ReLU, 3x3 conv -> tanh. An up-block is
  BN-ReLU-upsample-conv3x3-BN-ReLU-conv3x3 plus a shortcut of a nearest upsampling and
  a 1x1 conv (done here before the upsampling: the two commute exactly, at 1/4 of the cost).
- D: an "optimized" first down-block (conv3x3-ReLU-conv3x3-avgpool, shortcut
  avgpool-conv1x1; SNGAN), one down-block (ReLU-conv3x3-ReLU-conv3x3-avgpool, shortcut
  conv1x1-avgpool), two blocks without resampling at 8x8, ReLU, global sum pooling (SNGAN;
  WGAN-GP averages, which only rescales the dense weights), dense -> 1 logit.

Other sizes follow dcgan's `stages_for`: G has one up-block per stage (28 = 7 * 2^2: two,
32 = 4 * 2^3: three, 64 = 4 * 2^4: four); D halves the map until it is at most 8x8
(28 -> 14 -> 7, 32 -> 16 -> 8, 64 -> 32 -> 16 -> 8), then adds the two plain blocks. Widths
are constant (``g_channels``, ``d_channels``), as in the CIFAR-10 networks: WGAN-GP used 128
for both, SNGAN 256 for G and 128 for D.

D's normalization is ``d_norm``: ``spectral`` (SNGAN), ``none`` (WGAN-GP's critic) or
``layer`` (before each ReLU of a block). BatchNorm is refused: a critic trained with a
gradient penalty must treat each example on its own (plugins/norms.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from ganzoo.plugin import BuildContext, ConfigError

from . import norms
from .dcgan import parse_heads, stages_for

GENERATOR_PARAMS = {"g_channels": 128, "g_norm": "batch"}
DISCRIMINATOR_PARAMS = {"d_channels": 128, "d_norm": "spectral", "d_heads": ""}
#: Normalizations a ResNet critic may use: no BatchNorm (see the module docstring).
CRITIC_NORMS = ("spectral", "layer", "none")
#: D halves its feature map until the side is at most this (8x8 in both papers at 32x32).
D_MAP_SIZE = 8


def image_checks(ctx: BuildContext, network: str) -> tuple[int, int, int]:
    """(stages, base side, channels) of a square image b * 2^k, or a ConfigError."""
    if len(ctx.image_shape) != 3:
        raise ConfigError(
            f"the {network} networks build images, but this data set holds points of shape "
            f"{ctx.image_shape}; use the MLP networks (--set generator=mlp "
            "--set discriminator=mlp) or the toy-gan model"
        )
    height, width, channels = ctx.image_shape
    if height != width:
        raise ConfigError(f"the {network} networks need square images; got {height}x{width}")
    try:
        stages, base = stages_for(height)
    except ConfigError:
        raise ConfigError(f"the {network} networks need image sides of the form b * 2^k with "
                          f"k >= 1 and b >= 4 (28, 32, 64, ...); got {height}") from None
    return stages, base, channels


def initializers(seed: Any) -> Callable[[float], Any]:
    """A source of Glorot-uniform initializers (SNGAN's), each with its own seed.

    A Keras initializer with an int seed returns the same values on every call, so layers
    of equal shape sharing one would start out equal. The returned function gives a fresh
    initializer for a gain (sqrt(2) on the residual convs, 1 elsewhere, as in SNGAN's code).
    """
    import keras

    counter = itertools.count()
    base = 0 if seed is None else int(seed)

    def make(gain: float = 1.0) -> Any:
        return keras.initializers.VarianceScaling(
            scale=gain * gain, mode="fan_avg", distribution="uniform",
            seed=base * 1000 + next(counter))

    return make


def label_input() -> Any:
    """The int32 class-label input of a conditional network."""
    import keras

    return keras.Input((), dtype="int32", name="label")


def generator_inputs(ctx: BuildContext) -> tuple[Any, Any]:
    """(model inputs, first tensor): z and latent codes, with the one-hot label concatenated
    when conditional (as dcgan does: Mirza & Osindero 2014)."""
    import keras

    z = keras.Input((ctx.generator_input_dim,), name="z")
    if not ctx.conditional:
        return z, z
    label = label_input()
    onehot = keras.layers.CategoryEncoding(ctx.num_classes, output_mode="one_hot",
                                           name="label_onehot")(label)
    return [z, label], keras.layers.Concatenate(name="z_label")([z, onehot])




def discriminator_outputs(ctx: BuildContext, features: Any, label: Any, norm: str,
                          init: Callable[[float], Any]) -> dict[str, Any]:
    """The heads on D's pooled features: {"logits": (batch, 1) float32, ...d_heads}.

    A conditional D adds the projection term <embed(y), features> to the logit (Miyato &
    Koyama 2018, "cGANs with Projection Discriminator"; the conditional SNGAN and SAGAN).
    """
    import keras
    from keras import ops

    heads = parse_heads(ctx)
    dense = keras.layers.Dense(1, kernel_initializer=init(1.0), dtype="float32", name="logits")
    logits = norms.weight(dense, norm)(features)
    if label is not None:
        embed = keras.layers.Embedding(ctx.num_classes, features.shape[-1],
                                       embeddings_initializer=init(1.0), dtype="float32",
                                       name="label_embedding")
        embedded = norms.weight(embed, norm)(label)
        logits = logits + ops.sum(embedded * ops.cast(features, "float32"), axis=1,
                                  keepdims=True)
    outputs = {"logits": logits}
    if "class" in heads:
        dense = keras.layers.Dense(ctx.num_classes, kernel_initializer=init(1.0),
                                   dtype="float32", name="class_logits")
        outputs["class_logits"] = norms.weight(dense, norm)(features)
    if "code" in heads:
        q = keras.layers.Dense(128, kernel_initializer=init(1.0), name="q_hidden")(features)
        q = keras.layers.LeakyReLU(0.2, name="q_act")(q)
        outputs["code"] = keras.layers.Dense(ctx.code_dim, kernel_initializer=init(1.0),
                                             dtype="float32", name="code")(q)
    return outputs


def _after(kind: str, name: str) -> Any:
    # Spectral normalization wraps the weight layers; nothing follows them.
    return norms.after("none" if kind == "spectral" else kind, name)


def _up_block(x: Any, width: int, norm: str, init: Callable[[float], Any], name: str) -> Any:
    import keras

    from ganzoo.plugin import layers as fast

    shortcut = fast.Conv2D(width, 1, kernel_initializer=init(1.0), name=f"{name}_shortcut")(x)
    shortcut = keras.layers.UpSampling2D(2, name=f"{name}_shortcut_up")(shortcut)
    h = norms.after(norm, f"{name}_norm1")(x)
    h = keras.layers.ReLU(name=f"{name}_act1")(h)
    h = keras.layers.UpSampling2D(2, name=f"{name}_up")(h)
    h = fast.Conv2D(width, 3, padding="same", kernel_initializer=init(2**0.5),
               name=f"{name}_conv1")(h)
    h = norms.after(norm, f"{name}_norm2")(h)
    h = keras.layers.ReLU(name=f"{name}_act2")(h)
    h = fast.Conv2D(width, 3, padding="same", kernel_initializer=init(2**0.5),
               name=f"{name}_conv2")(h)
    return keras.layers.Add(name=f"{name}_add")([shortcut, h])


def _down_block(x: Any, width: int, norm: str, init: Callable[[float], Any], name: str,
                first: bool, down: bool) -> Any:
    """A D block; `first` is SNGAN's optimized block (no activation before the first
    conv: the input is an image), `down` halves the map with 2x2 average pooling."""
    import keras

    from ganzoo.plugin import layers as fast

    def conv(size: int, gain: float, suffix: str) -> Any:
        layer = fast.Conv2D(width, size, padding="same", kernel_initializer=init(gain),
                       name=f"{name}_{suffix}")
        return norms.weight(layer, norm)

    def pool(suffix: str) -> Any:
        return keras.layers.AveragePooling2D(2, name=f"{name}_{suffix}")

    if first:
        shortcut = conv(1, 1.0, "shortcut")(pool("shortcut_pool")(x))
        h = conv(3, 2**0.5, "conv1")(x)
    else:
        shortcut = x
        if down or x.shape[-1] != width:
            shortcut = conv(1, 1.0, "shortcut")(x)
        if down:
            shortcut = pool("shortcut_pool")(shortcut)
        h = _after(norm, f"{name}_norm1")(x)
        h = keras.layers.ReLU(name=f"{name}_act1")(h)
        h = conv(3, 2**0.5, "conv1")(h)
    h = _after(norm, f"{name}_norm2")(h)
    h = keras.layers.ReLU(name=f"{name}_act2")(h)
    h = conv(3, 2**0.5, "conv2")(h)
    if down:
        h = pool("pool")(h)
    return keras.layers.Add(name=f"{name}_add")([shortcut, h])


def d_downsamplings(size: int) -> int:
    """How often D halves an image side: until it is at most `D_MAP_SIZE` (or odd)."""
    count = 0
    while size > D_MAP_SIZE and size % 2 == 0:
        size //= 2
        count += 1
    return max(count, 1)


def build_generator(ctx: BuildContext) -> Any:
    """z (and a label, when conditional) -> image in [-1, 1], through residual up-blocks."""
    import keras

    from ganzoo.plugin import layers as fast

    stages, base, channels = image_checks(ctx, "ResNet")
    width = int(ctx.get("g_channels", GENERATOR_PARAMS["g_channels"]))
    norm = norms.check(str(ctx.get("g_norm", "batch")), "g_norm", norms.GENERATOR_NORMS)
    init = initializers(ctx.get("seed"))
    inputs, x = generator_inputs(ctx)
    x = keras.layers.Dense(base * base * width, kernel_initializer=init(1.0),
                           name="project")(x)
    x = keras.layers.Reshape((base, base, width), name="reshape")(x)
    for i in range(stages):
        x = _up_block(x, width, norm, init, f"up{i + 1}")
    x = norms.after(norm, "out_norm")(x)
    x = keras.layers.ReLU(name="out_act")(x)
    x = fast.Conv2D(channels, 3, padding="same", kernel_initializer=init(1.0), name="to_image")(x)
    # tanh in float32 so images are exact in [-1, 1] under mixed precision.
    image = keras.layers.Activation("tanh", dtype="float32", name="image")(x)
    return keras.Model(inputs, image, name="generator")


def build_discriminator(ctx: BuildContext) -> Any:
    """image (and a label, when conditional) -> {"logits": (batch, 1), ...d_heads}.

    Conditional D: projection (see `discriminator_outputs`). ``d_heads`` as in dcgan.
    """
    import keras
    from keras import ops

    image_checks(ctx, "ResNet")
    width = int(ctx.get("d_channels", DISCRIMINATOR_PARAMS["d_channels"]))
    norm = norms.check(str(ctx.get("d_norm", "spectral")), "d_norm", CRITIC_NORMS)
    parse_heads(ctx)  # errors before any layer is built
    seed = ctx.get("seed")
    init = initializers(None if seed is None else int(seed) + 1)
    image = keras.Input(ctx.image_shape, name="image")
    label = label_input() if ctx.discriminator_conditional else None
    x = image
    downs = d_downsamplings(ctx.image_shape[0])
    for i in range(downs + 2):
        x = _down_block(x, width, norm, init, f"block{i + 1}", first=i == 0, down=i < downs)
    x = _after(norm, "out_norm")(x)
    x = keras.layers.ReLU(name="out_act")(x)
    # Global sum pooling (SNGAN); Keras ops on symbolic tensors join the functional model.
    features = ops.sum(ops.cast(x, "float32"), axis=(1, 2))
    outputs = discriminator_outputs(ctx, features, label, norm, init)
    return keras.Model(image if label is None else [image, label], outputs,
                       name="discriminator")
