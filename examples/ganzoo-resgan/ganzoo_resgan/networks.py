"""Residual-block generator and discriminator, sized to the data.

The blocks follow the ResNet GAN of Gulrajani et al. 2017 (their CIFAR-10 model), built on
He et al. 2016's residual units:

- generator: z -> Dense -> (base x base) -> k up-blocks -> BN -> ReLU -> 3x3 conv -> tanh,
  an up-block being BN -> ReLU -> 2x nearest up-sampling -> 3x3 conv -> BN -> ReLU ->
  3x3 conv, added to a 1x1 conv of the up-sampled input;
- discriminator: a first block without pre-activation (conv -> ReLU -> conv -> 2x2
  average pool, shortcut pool -> 1x1 conv), k - 1 further down-blocks (ReLU -> conv ->
  ReLU -> conv -> pool, shortcut 1x1 conv -> pool), one block that keeps the size,
  ReLU, global average pooling and a Dense logit.

The number of up/down-blocks follows the image side: 28 = 7 * 2^2 gives two,
32 = 4 * 2^3 three. Channels are 64 by default (the papers use 128 for CIFAR-10)
to keep CPU runs short; `--set res_g_channels=128 --set res_d_channels=128` gives
the papers' width. The discriminator has no normalisation layers.
"""

from __future__ import annotations

from typing import Any

from ganzoo.plugin import BuildContext, ConfigError

GENERATOR_PARAMS = {"res_g_channels": 64}
DISCRIMINATOR_PARAMS = {"res_d_channels": 64}


def blocks_for(ctx: BuildContext) -> tuple[int, int]:
    """(number of 2x blocks, base side) with base * 2**blocks == side and base >= 4."""
    height, width, _ = ctx.image_shape
    if ctx.conditional:
        raise ConfigError("resgan's networks are unconditional; use --set conditional=false")
    if height != width:
        raise ConfigError(f"resgan needs square images; got {height}x{width}")
    blocks, base = 0, height
    while base % 2 == 0 and base // 2 >= 4:
        base //= 2
        blocks += 1
    if blocks == 0:
        raise ConfigError(f"resgan needs image sides b * 2^k with k >= 1 and b >= 4 "
                          f"(28, 32, 64...); got {height}")
    return blocks, base


def _up_block(x: Any, channels: int, init: Any, name: str) -> Any:
    import keras
    from keras import layers

    shortcut = layers.UpSampling2D(2, name=f"{name}_short_up")(x)
    shortcut = layers.Conv2D(channels, 1, kernel_initializer=init, name=f"{name}_short_conv")(
        shortcut)
    h = layers.BatchNormalization(name=f"{name}_bn1")(x)
    h = layers.ReLU(name=f"{name}_relu1")(h)
    h = layers.UpSampling2D(2, name=f"{name}_up")(h)
    h = layers.Conv2D(channels, 3, padding="same", kernel_initializer=init,
                      name=f"{name}_conv1")(h)
    h = layers.BatchNormalization(name=f"{name}_bn2")(h)
    h = layers.ReLU(name=f"{name}_relu2")(h)
    h = layers.Conv2D(channels, 3, padding="same", kernel_initializer=init,
                      name=f"{name}_conv2")(h)
    return keras.layers.Add(name=f"{name}_add")([shortcut, h])


def _down_block(x: Any, channels: int, init: Any, name: str, *, first: bool,
                down: bool) -> Any:
    from keras import layers

    h = x if first else layers.ReLU(name=f"{name}_relu1")(x)
    h = layers.Conv2D(channels, 3, padding="same", kernel_initializer=init,
                      name=f"{name}_conv1")(h)
    h = layers.ReLU(name=f"{name}_relu2")(h)
    h = layers.Conv2D(channels, 3, padding="same", kernel_initializer=init,
                      name=f"{name}_conv2")(h)
    if down:
        h = layers.AveragePooling2D(2, name=f"{name}_pool")(h)
    # 1x1 convolution and average pooling commute, so the shortcut pools first (4x cheaper)
    shortcut = x
    if down:
        shortcut = layers.AveragePooling2D(2, name=f"{name}_short_pool")(shortcut)
    if first or down or x.shape[-1] != channels:
        shortcut = layers.Conv2D(channels, 1, kernel_initializer=init,
                                 name=f"{name}_short_conv")(shortcut)
    return layers.Add(name=f"{name}_add")([shortcut, h])


def build_generator(ctx: BuildContext) -> Any:
    """z -> image in [-1, 1], (batch, *ctx.image_shape)."""
    import keras
    from keras import layers

    blocks, base = blocks_for(ctx)
    channels = int(ctx.get("res_g_channels"))
    init = keras.initializers.GlorotUniform(seed=ctx.get("seed"))
    z = keras.Input((ctx.generator_input_dim,), name="z")  # z and any latent codes
    x = layers.Dense(base * base * channels, kernel_initializer=init, name="project")(z)
    x = layers.Reshape((base, base, channels), name="reshape")(x)
    for i in range(blocks):
        x = _up_block(x, channels, init, f"up{i + 1}")
    x = layers.BatchNormalization(name="out_bn")(x)
    x = layers.ReLU(name="out_relu")(x)
    x = layers.Conv2D(ctx.image_shape[-1], 3, padding="same", kernel_initializer=init,
                      name="to_image")(x)
    image = layers.Activation("tanh", dtype="float32", name="image")(x)
    return keras.Model(z, image, name="generator")


def build_discriminator(ctx: BuildContext) -> Any:
    """image -> {"logits": (batch, 1)}."""
    import keras
    from keras import layers

    blocks, _ = blocks_for(ctx)
    channels = int(ctx.get("res_d_channels"))
    init = keras.initializers.GlorotUniform(seed=int(ctx.get("seed", 0)) + 1)
    image = keras.Input(ctx.image_shape, name="image")
    x = _down_block(image, channels, init, "down1", first=True, down=True)
    for i in range(1, blocks):
        x = _down_block(x, channels, init, f"down{i + 1}", first=False, down=True)
    x = _down_block(x, channels, init, "same", first=False, down=False)
    x = layers.ReLU(name="out_relu")(x)
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    logits = layers.Dense(1, kernel_initializer=init, dtype="float32", name="logits")(x)
    return keras.Model(image, {"logits": logits}, name="discriminator")
