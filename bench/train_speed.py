"""Training speed: the TensorFlow DCGAN tutorial's train step against ganzoo's engine.

Times, in one process, run after run (interleaved, median of several repeats):

  (a) tutorial  - our reimplementation of the TensorFlow DCGAN tutorial's model and train
                  step (its published architecture, Adam(1e-4), batch 256, float32, a
                  hand-written @tf.function step with two gradient tapes);
  (b) ganzoo    - the same networks and hyperparameters trained through ganzoo's normal
                  engine (the `dcgan-tutorial` registry entry: GAN.train_step under fit()
                  with ganzoo's callbacks), at the precision ganzoo picks (`auto`) and at
                  float32;
  (c) pytorch   - the same model and step in PyTorch on the CPU, when torch is installed.

and prints images/s, the ratio ganzoo/tutorial, and useful FLOP/s against the machine's
measured peaks. FLOPs are counted analytically (bench/flops.py).

    python bench/train_speed.py --quick          # under 3 minutes
    python bench/train_speed.py                  # the figures in docs/BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flops import tutorial_train_flops_per_image

LATENT = 100


def load_images(dataset: str) -> np.ndarray:
    from ganzoo.data.loading import load_embedded, load_standard

    data = load_embedded() if dataset == "fashion-mnist-10k" else load_standard(dataset)
    return data.images


# -- (a) the tutorial's train step, reimplemented ------------------------------------------

def tutorial_networks(fast_layers: bool = False):
    """The tutorial's G and D, from Keras' layers or (`fast_layers`) from ganzoo.engine.layers.

    tanh and the logits are float32 layers, so the networks also build under a mixed
    policy (bench/profile_step.py); under float32 that is the tutorial's arithmetic.
    """
    import keras
    from keras import layers

    if fast_layers:
        from ganzoo.engine import layers as swapped
    else:
        swapped = layers
    generator = keras.Sequential([
        keras.Input((LATENT,)),
        layers.Dense(7 * 7 * 256, use_bias=False), swapped.BatchNormalization(),
        layers.LeakyReLU(), layers.Reshape((7, 7, 256)),
        swapped.Conv2DTranspose(128, 5, strides=1, padding="same", use_bias=False),
        swapped.BatchNormalization(), layers.LeakyReLU(),
        swapped.Conv2DTranspose(64, 5, strides=2, padding="same", use_bias=False),
        swapped.BatchNormalization(), layers.LeakyReLU(),
        swapped.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False),
        layers.Activation("tanh", dtype="float32"),
    ])
    discriminator = keras.Sequential([
        keras.Input((28, 28, 1)),
        swapped.Conv2D(64, 5, strides=2, padding="same"), layers.LeakyReLU(),
        swapped.Dropout(0.3),
        swapped.Conv2D(128, 5, strides=2, padding="same"), layers.LeakyReLU(),
        swapped.Dropout(0.3), layers.Flatten(), layers.Dense(1, dtype="float32"),
    ])
    return generator, discriminator


class Tutorial:
    """The tutorial's networks, optimizers and @tf.function train step, fed from `images`."""

    def __init__(self, images: np.ndarray, batch: int, seed: int,
                 fast_layers: bool = False) -> None:
        from ganzoo.engine.runtime import import_tensorflow

        tf = import_tensorflow()
        import keras

        keras.utils.set_random_seed(seed)
        generator, discriminator = tutorial_networks(fast_layers)
        bce = keras.losses.BinaryCrossentropy(from_logits=True)
        g_opt, d_opt = keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4)

        x = (images.astype(np.float32) - 127.5) / 127.5
        ds = tf.data.Dataset.from_tensor_slices(x).shuffle(len(x), seed=seed).repeat()
        ds = ds.batch(batch, drop_remainder=True).prefetch(tf.data.AUTOTUNE)

        @tf.function
        def train_step(real):
            noise = tf.random.normal([batch, LATENT])
            with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
                fake = generator(noise, training=True)
                real_out = discriminator(real, training=True)
                fake_out = discriminator(fake, training=True)
                g_loss = bce(tf.ones_like(fake_out), fake_out)
                d_loss = (bce(tf.ones_like(real_out), real_out)
                          + bce(tf.zeros_like(fake_out), fake_out))
            g_grads = g_tape.gradient(g_loss, generator.trainable_variables)
            d_grads = d_tape.gradient(d_loss, discriminator.trainable_variables)
            g_opt.apply_gradients(zip(g_grads, generator.trainable_variables, strict=True))
            d_opt.apply_gradients(zip(d_grads, discriminator.trainable_variables, strict=True))
            return g_loss, d_loss

        self.generator, self.batch = generator, batch
        self._step, self._batches = train_step, iter(ds)

    def train(self, steps: int, warm_up: bool = True) -> float:
        """Run `steps` train steps (after one untimed, tracing step); images/s."""
        if warm_up:
            self._step(next(self._batches))[0].numpy()
        start = time.perf_counter()
        for _ in range(steps):
            out = self._step(next(self._batches))
        out[0].numpy()
        return steps * self.batch / (time.perf_counter() - start)


# -- (b) ganzoo's engine --------------------------------------------------------------------

def ganzoo_runner(dataset: str, batch: int, seed: int, precision: str):
    from ganzoo.training import plan as planning
    from ganzoo.training import trainer as training
    from ganzoo.zoo.host import load_catalog

    catalog = load_catalog()

    def run(steps: int) -> float:
        plan = planning.plan("dcgan-tutorial", catalog=catalog, dataset=dataset, overrides={
            "steps": steps + 1, "batch_size": batch, "seed": seed, "precision": precision,
            "visualizers": "",
        })
        with tempfile.TemporaryDirectory() as tmp:
            result = training.train(plan, out=Path(tmp) / "run", verbose=0,
                                    echo=lambda _m: None)
        return result.images_per_sec  # excludes the first (tracing) step

    return run


# -- (c) PyTorch ----------------------------------------------------------------------------

def torch_runner(images: np.ndarray, batch: int, seed: int):
    """The same networks and step in PyTorch: one G and two D forward passes, gradients of
    both losses from them (as the tutorial's two tapes), Keras' BatchNorm/Adam constants."""
    try:
        import torch
        from torch import nn
    except ImportError:
        return None
    torch.manual_seed(seed)

    class Generator(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.project = nn.Sequential(nn.Linear(LATENT, 7 * 7 * 256, bias=False),
                                         nn.BatchNorm1d(7 * 7 * 256, 1e-3, 0.01),
                                         nn.LeakyReLU(0.3))
            self.body = nn.Sequential(
                nn.ConvTranspose2d(256, 128, 5, 1, 2, bias=False), nn.BatchNorm2d(128, 1e-3, 0.01),
                nn.LeakyReLU(0.3),
                nn.ConvTranspose2d(128, 64, 5, 2, 2, output_padding=1, bias=False),
                nn.BatchNorm2d(64, 1e-3, 0.01), nn.LeakyReLU(0.3),
                nn.ConvTranspose2d(64, 1, 5, 2, 2, output_padding=1, bias=False), nn.Tanh())

        def forward(self, z):
            return self.body(self.project(z).view(-1, 256, 7, 7))

    discriminator = nn.Sequential(
        nn.Conv2d(1, 64, 5, 2, 2), nn.LeakyReLU(0.3), nn.Dropout(0.3),
        nn.Conv2d(64, 128, 5, 2, 2), nn.LeakyReLU(0.3), nn.Dropout(0.3),
        nn.Flatten(), nn.Linear(128 * 7 * 7, 1))
    generator = Generator()
    g_params, d_params = list(generator.parameters()), list(discriminator.parameters())
    g_opt = torch.optim.Adam(g_params, 1e-4, eps=1e-7)
    d_opt = torch.optim.Adam(d_params, 1e-4, eps=1e-7)
    bce = nn.BCEWithLogitsLoss()
    x = torch.from_numpy((images.astype(np.float32) - 127.5) / 127.5).permute(0, 3, 1, 2)
    ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)

    def step(real):
        fake = generator(torch.randn(batch, LATENT))
        real_out, fake_out = discriminator(real), discriminator(fake)
        g_loss = bce(fake_out, ones)
        d_loss = bce(real_out, ones) + bce(fake_out, zeros)
        g_grads = torch.autograd.grad(g_loss, g_params, retain_graph=True)
        d_grads = torch.autograd.grad(d_loss, d_params)
        for params, grads, opt in ((g_params, g_grads, g_opt), (d_params, d_grads, d_opt)):
            for p, g in zip(params, grads, strict=True):
                p.grad = g
            opt.step()

    def run(steps: int) -> float:
        order = torch.randperm(len(x))
        step(x[order[:batch]])
        start = time.perf_counter()
        for i in range(steps):
            j = (i * batch) % (len(x) - batch)
            step(x[order[j:j + batch]])
        return steps * batch / (time.perf_counter() - start)

    return run


def machine() -> dict:
    import keras
    import tensorflow as tf

    from ganzoo.engine.runtime import cpu_info

    cpu = cpu_info().get("model name") or platform.processor() or platform.machine()
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "tensorflow": tf.__version__, "keras": keras.__version__}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps and repeats (< 3 min)")
    parser.add_argument("--steps", type=int, default=None, help="timed steps per repeat")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--dataset", default="fashion-mnist-10k")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    steps = args.steps or (15 if args.quick else 60)
    repeats = args.repeats or (3 if args.quick else 5)

    images = load_images(args.dataset)
    runners = {
        "tutorial (float32)": Tutorial(images, args.batch, args.seed).train,
        "ganzoo (auto)": ganzoo_runner(args.dataset, args.batch, args.seed, "auto"),
        "ganzoo (float32)": ganzoo_runner(args.dataset, args.batch, args.seed, "float32"),
    }
    torch_run = torch_runner(images, args.batch, args.seed)
    if torch_run is not None:
        runners["pytorch (float32)"] = torch_run

    # One short untimed pass of every runner first: the first run in a process pays for
    # oneDNN's kernel caches and thread start-up (the first timed repeat ran ~15 % slow).
    for run in runners.values():
        run(3)
    rates: dict[str, list[float]] = {name: [] for name in runners}
    for r in range(repeats):
        for name, run in runners.items():
            rates[name].append(run(steps))
        print(f"repeat {r + 1}/{repeats}: " + ", ".join(
            f"{n} {v[-1]:.0f}" for n, v in rates.items()), flush=True)

    flops = tutorial_train_flops_per_image()
    med = {name: statistics.median(v) for name, v in rates.items()}
    print(f"\nbatch {args.batch}, {steps} timed steps x {repeats} repeats, median images/s; "
          f"{flops / 1e6:.0f} MFLOP per image per train step (analytic)")
    for name, value in med.items():
        print(f"  {name:<20} {value:8.0f} images/s   {value * flops / 1e9:6.0f} GFLOP/s useful")
    base = med["tutorial (float32)"]
    torch_ratio = (f"; pytorch / tutorial: {med['pytorch (float32)'] / base:.2f}x"
                   if "pytorch (float32)" in med else "")
    print(f"ratio ganzoo (auto) / tutorial: {med['ganzoo (auto)'] / base:.2f}x; "
          f"ganzoo (float32) / tutorial: {med['ganzoo (float32)'] / base:.2f}x{torch_ratio}")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "batch": args.batch,
                                         "steps": steps, "repeats": repeats, "rates": rates,
                                         "median": med, "flops_per_image": flops}, indent=2))


if __name__ == "__main__":
    main()
