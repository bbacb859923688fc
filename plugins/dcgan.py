"""DCGAN generator and discriminator (Radford, Metz & Chintala 2016), sized to the data.

The layer sequence is the one in ganzoo's source text (Dense 7x7x256 ->
ConvTranspose 128 -> 64 -> C for 28x28 images; Conv 64 -> 128 -> Dense 1),
made correct: the discriminator reads the generator's image shape, ends in a
logit (the loss works on logits), and the DCGAN paper's practice fills in what
the text leaves open: BatchNorm in G and in D after its first layer,
LeakyReLU(0.2), weights drawn from N(0, 0.02).

The number of stride-2 stages follows the image size: 28 = 7 * 2^2 (two
stages), 32 = 4 * 2^3, 64 = 4 * 2^4, so 64x64 gives the paper's
1024-512-256-128 generator.
"""

from __future__ import annotations

from typing import Any

from ganzoo.plugin import BuildContext, ConfigError

from . import norms

GENERATOR_PARAMS = {"g_filters": 64, "g_norm": "batch"}
DISCRIMINATOR_PARAMS = {"d_filters": 64, "d_norm": "batch", "d_dropout": 0.0, "d_heads": ""}
#: Extra discriminator heads, chosen with ``--set d_heads=class,code``.
HEADS = ("class", "code")


def stages_for(size: int) -> tuple[int, int]:
    """(number of stride-2 stages, base size) so that base * 2**stages == size, base >= 4."""
    stages, base = 0, size
    while base % 2 == 0 and base // 2 >= 4:
        base //= 2
        stages += 1
    if stages == 0:
        raise ConfigError(
            f"DCGAN needs image sides of the form b * 2^k with k >= 1 and b >= 4 "
            f"(28, 32, 64, ...); got {size}"
        )
    return stages, base


def _shape_checks(ctx: BuildContext) -> tuple[int, int, int]:
    if len(ctx.image_shape) != 3:
        raise ConfigError(
            f"DCGAN builds images, but this data set holds points of shape {ctx.image_shape}; "
            "use the MLP networks (--set generator=mlp --set discriminator=mlp) or the "
            "toy-gan model"
        )
    height, width, channels = ctx.image_shape
    if height != width:
        raise ConfigError(f"DCGAN needs square images; got {height}x{width}")
    stages, base = stages_for(height)
    return stages, base, channels


def _norm(kind: str, name: str) -> Any:
    if kind == "spectral":  # spectral normalization wraps the weight layers instead
        return norms.after("none", name)
    return norms.after(kind, name)


def parse_heads(ctx: BuildContext) -> list[str]:
    """The extra D heads asked for with ``d_heads``, checked against what the data offer;
    shared by every network that supports the heads (the MLPs of the toy sets too)."""
    heads = [h.strip() for h in str(ctx.get("d_heads", "")).split(",") if h.strip()]
    for head in heads:
        if head not in HEADS:
            raise ConfigError(f"--set d_heads={ctx.get('d_heads')}: unknown head {head!r}; "
                              f"choose from {', '.join(HEADS)} (comma-separated)")
    if "class" in heads and ctx.num_classes < 2:
        raise ConfigError("--set d_heads=class needs a labelled data set")
    if "code" in heads and ctx.code_dim == 0:
        raise ConfigError("--set d_heads=code needs latent codes: set code_categorical "
                          "and/or code_continuous")
    return heads


def build_generator(ctx: BuildContext) -> Any:
    """z (and a label, when conditional) -> image in [-1, 1]."""
    import keras

    from ganzoo.plugin import layers as fast

    stages, base, channels = _shape_checks(ctx)
    filters = int(ctx.get("g_filters"))
    norm = norms.check(str(ctx.get("g_norm")), "g_norm", norms.GENERATOR_NORMS)
    init = keras.initializers.RandomNormal(stddev=0.02, seed=ctx.get("seed"))

    # z, followed by the latent codes when the model has them (InfoGAN).
    z = keras.Input((ctx.generator_input_dim,), name="z")
    inputs: list[Any] = [z]
    x = z
    if ctx.conditional:
        label = keras.Input((), dtype="int32", name="label")
        inputs.append(label)
        onehot = keras.layers.CategoryEncoding(
            ctx.num_classes, output_mode="one_hot", name="label_onehot"
        )(label)
        x = keras.layers.Concatenate(name="z_label")([z, onehot])

    width = filters * 2**stages
    x = keras.layers.Dense(base * base * width, use_bias=False, kernel_initializer=init,
                           name="project")(x)
    x = keras.layers.Reshape((base, base, width), name="reshape")(x)
    x = _norm(norm, "project_norm")(x)
    x = keras.layers.LeakyReLU(0.2, name="project_act")(x)
    for i in range(stages):
        width //= 2
        x = fast.Conv2DTranspose(
            width, 4, strides=2, padding="same", use_bias=False, kernel_initializer=init,
            name=f"up{i + 1}",
        )(x)
        x = _norm(norm, f"up{i + 1}_norm")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"up{i + 1}_act")(x)
    x = fast.Conv2DTranspose(
        channels, 3, strides=1, padding="same", kernel_initializer=init, name="to_image"
    )(x)
    # tanh in float32 so images are exact in [-1, 1] under mixed precision.
    image = keras.layers.Activation("tanh", dtype="float32", name="image")(x)
    return keras.Model(inputs if len(inputs) > 1 else z, image, name="generator")


def build_discriminator(ctx: BuildContext) -> Any:
    """image (and a label, when conditional) -> {"logits": (batch, 1), ...heads}.

    ``d_heads=class`` adds "class_logits" (an auxiliary classifier, ACGAN) and
    ``d_heads=code`` adds "code" (InfoGAN's Q network: one hidden layer on D's
    features, then categorical logits followed by continuous means).
    """
    import keras

    from ganzoo.plugin import layers as fast

    stages, _, _ = _shape_checks(ctx)
    filters = int(ctx.get("d_filters"))
    norm = norms.check(str(ctx.get("d_norm")), "d_norm", norms.DISCRIMINATOR_NORMS)
    heads = parse_heads(ctx)
    dropout = float(ctx.get("d_dropout"))
    init = keras.initializers.RandomNormal(stddev=0.02, seed=ctx.get("seed") + 1)

    image = keras.Input(ctx.image_shape, name="image")
    inputs: list[Any] = [image]
    x = image
    if ctx.discriminator_conditional:
        label = keras.Input((), dtype="int32", name="label")
        inputs.append(label)
        height, width, _ = ctx.image_shape
        # The label as extra constant channels (Mirza & Osindero 2014 feed it to every layer's
        # input; for a conv net, one-hot planes are the usual form).
        planes = keras.layers.CategoryEncoding(ctx.num_classes, output_mode="one_hot",
                                               name="label_onehot")(label)
        planes = keras.layers.Reshape((1, 1, ctx.num_classes), name="label_planes")(planes)
        planes = keras.layers.UpSampling2D((height, width), name="label_broadcast")(planes)
        x = keras.layers.Concatenate(name="image_label")([x, planes])
    width = filters
    for i in range(stages):
        x = norms.weight(fast.Conv2D(width, 4, strides=2, padding="same", kernel_initializer=init,
                                name=f"down{i + 1}"), norm)(x)
        if i > 0:  # the DCGAN paper: no BatchNorm on D's input layer
            x = _norm(norm, f"down{i + 1}_norm")(x)
        x = keras.layers.LeakyReLU(0.2, name=f"down{i + 1}_act")(x)
        if dropout > 0:
            x = fast.Dropout(dropout, name=f"down{i + 1}_dropout")(x)
        width *= 2
    x = keras.layers.Flatten(name="flatten")(x)
    dense = keras.layers.Dense(1, kernel_initializer=init, dtype="float32", name="logits")
    outputs = {"logits": norms.weight(dense, norm)(x)}
    if "class" in heads:
        dense = keras.layers.Dense(ctx.num_classes, kernel_initializer=init, dtype="float32",
                                   name="class_logits")
        outputs["class_logits"] = norms.weight(dense, norm)(x)
    if "code" in heads:
        q = keras.layers.Dense(128, kernel_initializer=init, name="q_hidden")(x)
        q = keras.layers.LeakyReLU(0.2, name="q_act")(q)
        outputs["code"] = keras.layers.Dense(ctx.code_dim, kernel_initializer=init,
                                             dtype="float32", name="code")(q)
    return keras.Model(inputs if len(inputs) > 1 else image, outputs, name="discriminator")
