"""The TensorFlow DCGAN tutorial's networks, for like-for-like comparisons.

The tutorial ("Deep Convolutional Generative Adversarial Network", tensorflow.org)
trains on 28x28 MNIST with: G = Dense(7*7*256, no bias) -> BN -> LeakyReLU ->
ConvT(128, 5, s1) -> BN -> LeakyReLU -> ConvT(64, 5, s2) -> BN -> LeakyReLU ->
ConvT(1, 5, s2, tanh), all transposed convolutions without bias; D = Conv(64, 5, s2)
-> LeakyReLU -> Dropout(0.3) -> Conv(128, 5, s2) -> LeakyReLU -> Dropout(0.3) ->
Flatten -> Dense(1); Keras' default LeakyReLU slope (0.3); Adam(1e-4); batch 256.
ganzoo's `dcgan-tutorial` entry uses these to benchmark its engine against the
tutorial's own train step (bench/train_speed.py), built from ganzoo's fast layers
(ganzoo.layers: the same maths and weights as Keras'). Like the tutorial, it
supports 28x28 images only.
"""

from __future__ import annotations

from typing import Any

from ganzoo.plugin import BuildContext, ConfigError


def _check(ctx: BuildContext) -> None:
    if tuple(ctx.image_shape[:2]) != (28, 28):
        raise ConfigError(
            f"the tutorial networks are for 28x28 images; got {ctx.image_shape[0]}x"
            f"{ctx.image_shape[1]} (use dcgan, which adapts to the image size)"
        )
    if ctx.conditional:
        raise ConfigError("the tutorial networks are unconditional; drop conditional=true")


def build_generator(ctx: BuildContext) -> Any:
    import keras
    from keras import layers

    from ganzoo.plugin import layers as fast

    _check(ctx)
    z = keras.Input((ctx.generator_input_dim,), name="z")
    x = layers.Dense(7 * 7 * 256, use_bias=False, name="project")(z)
    x = fast.BatchNormalization(name="project_norm")(x)
    x = layers.LeakyReLU(name="project_act")(x)
    x = layers.Reshape((7, 7, 256), name="reshape")(x)
    for i, (filters, stride) in enumerate(((128, 1), (64, 2)), start=1):
        x = fast.Conv2DTranspose(filters, 5, strides=stride, padding="same", use_bias=False,
                            name=f"up{i}")(x)
        x = fast.BatchNormalization(name=f"up{i}_norm")(x)
        x = layers.LeakyReLU(name=f"up{i}_act")(x)
    x = fast.Conv2DTranspose(ctx.image_shape[2], 5, strides=2, padding="same", use_bias=False,
                        name="to_image")(x)
    image = layers.Activation("tanh", dtype="float32", name="image")(x)
    return keras.Model(z, image, name="generator")


def build_discriminator(ctx: BuildContext) -> Any:
    import keras
    from keras import layers

    from ganzoo.plugin import layers as fast

    _check(ctx)
    image = keras.Input(ctx.image_shape, name="image")
    x = image
    for i, filters in enumerate((64, 128), start=1):
        x = fast.Conv2D(filters, 5, strides=2, padding="same", name=f"down{i}")(x)
        x = layers.LeakyReLU(name=f"down{i}_act")(x)
        x = fast.Dropout(0.3, name=f"down{i}_dropout")(x)
    x = layers.Flatten(name="flatten")(x)
    logits = layers.Dense(1, dtype="float32", name="logits")(x)
    return keras.Model(image, {"logits": logits}, name="discriminator")
