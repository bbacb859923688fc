"""BEGAN's networks (Berthelot, Schumm & Metz 2017, fig. 1), sized to the data.

The discriminator is an autoencoder: an encoder (3x3 convolutions with ELU,
a stride-2 convolution per stage, a linear embedding of ``d_hidden`` units)
and a decoder of the generator's shape (linear projection, pairs of 3x3
convolutions with ELU, nearest-neighbour upsampling). Its "logits" are the
per-example reconstruction energy L(v) = mean |v - D(v)|, shape (batch, 1),
read by the ``began`` loss. The generator is the same decoder ending in tanh.
No normalization layers, as in the paper. ``began_skip`` adds the paper's optional
skip connections (its section 3.5.1): after each upsampling the decoder concatenates the
first tensor h0, upsampled to the same size, so every stage sees the embedding directly.
"""

from __future__ import annotations

from typing import Any

from ganzoo.plugin import BuildContext

from .dcgan import _shape_checks

GENERATOR_PARAMS = {"g_filters": 64, "began_skip": False}
DISCRIMINATOR_PARAMS = {"d_filters": 64, "d_hidden": 64, "began_skip": False}


def _decoder(x: Any, ctx: BuildContext, filters: int, prefix: str) -> Any:
    import keras

    stages, base, channels = _shape_checks(ctx)
    x = keras.layers.Dense(base * base * filters, name=f"{prefix}_project")(x)
    h0 = x = keras.layers.Reshape((base, base, filters), name=f"{prefix}_reshape")(x)
    skip = bool(ctx.get("began_skip"))
    for i in range(stages + 1):
        for j in (1, 2):
            x = keras.layers.Conv2D(filters, 3, padding="same", activation="elu",
                                    name=f"{prefix}_block{i + 1}_conv{j}")(x)
        if i < stages:
            x = keras.layers.UpSampling2D(2, interpolation="nearest",
                                          name=f"{prefix}_up{i + 1}")(x)
            if skip:
                h0_up = keras.layers.UpSampling2D(2 ** (i + 1), interpolation="nearest",
                                                  name=f"{prefix}_h0_up{i + 1}")(h0)
                x = keras.layers.Concatenate(name=f"{prefix}_skip{i + 1}")([x, h0_up])
    return keras.layers.Conv2D(channels, 3, padding="same", name=f"{prefix}_to_image")(x)


def build_generator(ctx: BuildContext) -> Any:
    """z -> image in [-1, 1], BEGAN's decoder."""
    import keras

    z = keras.Input((ctx.generator_input_dim,), name="z")
    x = _decoder(z, ctx, int(ctx.get("g_filters")), "g")
    image = keras.layers.Activation("tanh", dtype="float32", name="image")(x)
    return keras.Model(z, image, name="generator")


def build_discriminator(ctx: BuildContext) -> Any:
    """image -> {"logits": reconstruction energy (batch, 1), "reconstruction": image}."""
    import keras
    from keras import ops

    stages, _, _ = _shape_checks(ctx)
    filters = int(ctx.get("d_filters"))
    image = keras.Input(ctx.image_shape, name="image")
    x = keras.layers.Conv2D(filters, 3, padding="same", activation="elu", name="enc_in")(image)
    for i in range(stages + 1):
        width = filters * (i + 1)
        for j in (1, 2):
            x = keras.layers.Conv2D(width, 3, padding="same", activation="elu",
                                    name=f"enc_block{i + 1}_conv{j}")(x)
        if i < stages:
            x = keras.layers.Conv2D(filters * (i + 2), 3, strides=2, padding="same",
                                    activation="elu", name=f"enc_down{i + 1}")(x)
    x = keras.layers.Flatten(name="enc_flatten")(x)
    h = keras.layers.Dense(int(ctx.get("d_hidden")), name="embedding")(x)
    recon = keras.layers.Activation("linear", dtype="float32", name="reconstruction")(
        _decoder(h, ctx, filters, "dec"))
    # Keras ops on symbolic tensors become part of the functional model (no Lambda layer).
    error = ops.abs(recon - ops.cast(image, "float32"))
    energy = ops.mean(ops.reshape(error, (-1, ctx.image_shape[0] * ctx.image_shape[1]
                                          * ctx.image_shape[2])), axis=1, keepdims=True)
    return keras.Model(image, {"logits": energy, "reconstruction": recon},
                       name="discriminator")
