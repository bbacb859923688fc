"""Where the time of the tutorial's train step goes, op by op, with TensorFlow's profiler.

Builds the tutorial's networks from Keras' layers (``--layers keras``) or ganzoo's
(``--layers ganzoo``, ganzoo.layers), traces 10 steps of the two-tape step at batch 256
under the chosen dtype policy with one inter-op thread (so ops do not overlap and their
times add up), and prints milliseconds per step by kind of work.

    python bench/profile_step.py --layers keras --policy mixed_bfloat16
    python bench/profile_step.py --layers ganzoo --policy mixed_bfloat16
"""

from __future__ import annotations

import argparse
import collections
import tempfile
import time
from pathlib import Path

BATCH, LATENT, PROFILED_STEPS = 256, 100, 10


def build(kind: str):
    import keras
    from keras import layers

    if kind == "ganzoo":
        from ganzoo import layers as fast
    else:
        fast = layers
    generator = keras.Sequential([
        keras.Input((LATENT,)),
        layers.Dense(7 * 7 * 256, use_bias=False), fast.BatchNormalization(),
        layers.LeakyReLU(), layers.Reshape((7, 7, 256)),
        fast.Conv2DTranspose(128, 5, strides=1, padding="same", use_bias=False),
        fast.BatchNormalization(), layers.LeakyReLU(),
        fast.Conv2DTranspose(64, 5, strides=2, padding="same", use_bias=False),
        fast.BatchNormalization(), layers.LeakyReLU(),
        fast.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False),
        layers.Activation("tanh", dtype="float32"),
    ])
    discriminator = keras.Sequential([
        keras.Input((28, 28, 1)),
        fast.Conv2D(64, 5, strides=2, padding="same"), layers.LeakyReLU(), fast.Dropout(0.3),
        fast.Conv2D(128, 5, strides=2, padding="same"), layers.LeakyReLU(), fast.Dropout(0.3),
        layers.Flatten(), layers.Dense(1, dtype="float32"),
    ])
    return generator, discriminator


def category(name: str, op_type: str) -> str:
    if "Conv2DBackpropFilter" in op_type:
        return "convolution: kernel gradients (oneDNN backward-filter)"
    if "filter_gradient" in name:
        return "convolution: kernel gradients (ganzoo.layers: layout + forward convolution)"
    if "Conv2D" in op_type:
        return "convolution: forward and input gradients"
    if "dropout" in name:
        return "dropout (random draws, masks)"
    if "batch_normalization" in name or "FusedBatchNorm" in op_type:
        return "batch normalization"
    if "leaky_re_lu" in name or "LeakyRelu" in op_type:
        return "LeakyReLU"
    if "adam" in name:
        return "Adam updates"
    if "MatMul" in op_type:
        return "dense layers"
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--layers", choices=("keras", "ganzoo"), default="ganzoo")
    parser.add_argument("--policy", choices=("float32", "mixed_bfloat16"),
                        default="mixed_bfloat16")
    args = parser.parse_args()

    from ganzoo.runtime import import_tensorflow

    tf = import_tensorflow()
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    keras.mixed_precision.set_global_policy(args.policy)
    keras.utils.set_random_seed(0)
    generator, discriminator = build(args.layers)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    g_opt, d_opt = keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4)
    real = tf.random.uniform([BATCH, 28, 28, 1], -1, 1)

    @tf.function
    def step(real):
        noise = tf.random.normal([BATCH, LATENT])
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = generator(noise, training=True)
            real_out = discriminator(real, training=True)
            fake_out = discriminator(fake, training=True)
            g_loss = bce(tf.ones_like(fake_out), fake_out)
            d_loss = bce(tf.ones_like(real_out), real_out) + bce(tf.zeros_like(fake_out),
                                                                 fake_out)
        g_grads = g_tape.gradient(g_loss, generator.trainable_variables)
        d_grads = d_tape.gradient(d_loss, discriminator.trainable_variables)
        g_opt.apply_gradients(zip(g_grads, generator.trainable_variables, strict=True))
        d_opt.apply_gradients(zip(d_grads, discriminator.trainable_variables, strict=True))
        return g_loss

    step(real).numpy()
    start = time.perf_counter()
    for _ in range(20):
        out = step(real)
    out.numpy()
    unprofiled = (time.perf_counter() - start) / 20 * 1e3

    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        for _ in range(PROFILED_STEPS):
            out = step(real)
        out.numpy()
        tf.profiler.experimental.stop()
        space = xplane_pb2.XSpace()
        space.ParseFromString(next(Path(logdir).rglob("*.xplane.pb")).read_bytes())

    totals: collections.Counter[str] = collections.Counter()
    for plane in space.planes:
        if "host" not in plane.name.lower():
            continue
        names = {k: v.name for k, v in plane.event_metadata.items()}
        for line in plane.lines:
            for event in line.events:
                name = names.get(event.metadata_id, "")
                # Op events are "name:Type"; skip the executor's own ("Executor::Run", ...).
                if ":" not in name or "::" in name or " " in name:
                    continue
                op_name, op_type = name.rsplit(":", 1)
                totals[category(op_name, op_type)] += event.duration_ps / 1e9 / PROFILED_STEPS
    print(f"{args.layers} layers, {args.policy}, batch {BATCH}: {unprofiled:.1f} ms per step "
          f"unprofiled ({BATCH / unprofiled * 1e3:.0f} images/s, one inter-op thread)")
    for what, ms in totals.most_common():
        print(f"  {ms:7.1f} ms  {what}")
    print(f"  {sum(totals.values()):7.1f} ms  all ops (profiled)")


if __name__ == "__main__":
    main()
