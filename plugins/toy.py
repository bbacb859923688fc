"""MLP generator and discriminator, the `scatter` visualizer, and the toy 2-D data sets.

The MLPs are the networks of the toy mode-collapse benchmarks (fully connected
ReLU layers, as in Goodfellow et al. 2014 and the 2-D experiments of VEEGAN,
Srivastava et al. 2017, and PacGAN, Lin et al. 2018). They work with any loss and
any data: for point data (a sample shape of ``(D,)``) the generator's output is
linear, in the data's own coordinates; for images it ends in tanh and a reshape,
and the discriminator flattens its input.

For point data every layer is float32 whatever the run's precision: bfloat16
resolves numbers near 1 only to 1/128, coarser than ring8's std of 0.01, and
layers this small gain no speed from it.

The discriminator takes DCGAN's ``d_norm`` and ``d_heads`` keys too, so the zoo's
models (SNGAN's spectral norm, ACGAN's class head, InfoGAN's code head) run on the
toy sets with ``--set generator=mlp --set discriminator=mlp``.
"""

from __future__ import annotations

import contextlib
import math
import shutil
from pathlib import Path
from typing import Any

from ganzoo.plugin import BuildContext, ConfigError, VisualContext, atomic_path, write_json

from . import dcgan, norms

GENERATOR_PARAMS = {"g_units": 128, "g_layers": 3, "g_norm": "none"}
DISCRIMINATOR_PARAMS = {"d_units": 128, "d_layers": 3, "d_norm": "none", "d_heads": ""}


def _size(ctx: BuildContext, key: str, low: int, high: int) -> int:
    value = int(ctx.get(key))
    if not low <= value <= high:
        raise ConfigError(f"--set {key}={value}: choose a value in {low}..{high}")
    return value


def _precision(ctx: BuildContext) -> Any:
    """float32 for point data whatever the run's policy; the run's policy for images."""
    from ganzoo.plugin import dtype_policy

    return dtype_policy("float32") if ctx.is_points else contextlib.nullcontext()


def _label_onehot(ctx: BuildContext, keras: Any, inputs: list[Any]) -> Any:
    label = keras.Input((), dtype="int32", name="label")
    inputs.append(label)
    return keras.layers.CategoryEncoding(ctx.num_classes, output_mode="one_hot",
                                         name="label_onehot")(label)


def build_generator(ctx: BuildContext) -> Any:
    """z (plus latent codes; and a label, when conditional) -> a point, or an image."""
    import keras

    units = _size(ctx, "g_units", 1, 65536)
    layers = _size(ctx, "g_layers", 1, 64)
    norm = norms.check(str(ctx.get("g_norm")), "g_norm", norms.GENERATOR_NORMS)
    seed = int(ctx.get("seed", 0))
    with _precision(ctx):
        z = keras.Input((ctx.generator_input_dim,), name="z")
        inputs: list[Any] = [z]
        x = z
        if ctx.conditional:
            onehot = _label_onehot(ctx, keras, inputs)
            x = keras.layers.Concatenate(name="z_label")([z, onehot])
        for i in range(layers):
            x = keras.layers.Dense(units, kernel_initializer=keras.initializers.HeUniform(
                seed + 10 * i), name=f"hidden{i + 1}")(x)
            x = norms.after(norm, f"hidden{i + 1}_norm")(x)
            x = keras.layers.ReLU(name=f"hidden{i + 1}_act")(x)
        size = math.prod(ctx.image_shape)
        init = keras.initializers.GlorotUniform(seed + 10 * layers)
        if ctx.is_points:
            out = keras.layers.Dense(size, kernel_initializer=init, name="point")(x)
        else:
            x = keras.layers.Dense(size, kernel_initializer=init, name="to_pixels")(x)
            x = keras.layers.Activation("tanh", dtype="float32", name="tanh")(x)
            out = keras.layers.Reshape(ctx.image_shape, dtype="float32", name="image")(x)
        return keras.Model(inputs if len(inputs) > 1 else z, out, name="generator")


def build_discriminator(ctx: BuildContext) -> Any:
    """A point or image (and a label, when conditional) -> {"logits": (batch, 1), ...}.

    ``d_heads`` adds DCGAN's extra heads: "class_logits" (ACGAN) and "code" (InfoGAN's
    Q network); ``d_norm`` normalizes the hidden layers (``spectral`` for SNGAN).
    """
    import keras

    units = _size(ctx, "d_units", 1, 65536)
    layers = _size(ctx, "d_layers", 1, 64)
    norm = norms.check(str(ctx.get("d_norm")), "d_norm", norms.DISCRIMINATOR_NORMS)
    heads = dcgan.parse_heads(ctx)
    seed = int(ctx.get("seed", 0)) + 1000
    with _precision(ctx):
        sample = keras.Input(ctx.image_shape, name="point" if ctx.is_points else "image")
        inputs: list[Any] = [sample]
        x = sample if ctx.is_points else keras.layers.Flatten(name="flatten")(sample)
        if ctx.discriminator_conditional:
            onehot = _label_onehot(ctx, keras, inputs)
            x = keras.layers.Concatenate(name="x_label")([x, onehot])
        for i in range(layers):
            dense = keras.layers.Dense(units, kernel_initializer=keras.initializers.HeUniform(
                seed + 10 * i), name=f"hidden{i + 1}")
            x = norms.weight(dense, norm)(x)
            if norm != "spectral":
                x = norms.after(norm, f"hidden{i + 1}_norm")(x)
            x = keras.layers.ReLU(name=f"hidden{i + 1}_act")(x)

        def head(width: int, name: str, offset: int) -> Any:
            dense = keras.layers.Dense(width, dtype="float32", name=name,
                                       kernel_initializer=keras.initializers.GlorotUniform(
                                           seed + offset))
            return norms.weight(dense, norm)(x)

        outputs = {"logits": head(1, "logits", 999)}
        if "class" in heads:
            outputs["class_logits"] = head(ctx.num_classes, "class_logits", 998)
        if "code" in heads:
            outputs["code"] = head(ctx.code_dim, "code", 997)
        return keras.Model(inputs if len(inputs) > 1 else sample, outputs,
                           name="discriminator")


def build_scatter(ctx: BuildContext | None) -> Any:
    def scatter(run: VisualContext) -> list[Path]:
        """samples/scatter_NNN.png and scatter.png: fixed-noise points over real ones.

        On a toy set the modes are marked with their 3-std circles, the title gives
        the mode coverage and high-quality share of these points, and modes.json
        keeps the latest figures. Image data: nothing to draw (skipped).
        """
        points = run.samples()
        if points.ndim != 2:
            return run.skip("scatter draws 2-D points; this model makes images")
        from ganzoo.plugin import save_scatter, toy

        dataset = str(run.config.get("dataset") or "")
        where = f"epoch {run.epoch}, step {run.step}" if run.epoch else f"step {run.step}"
        title = f"{run.config.get('model', '')} on {dataset or 'points'}, {where}"
        modes = radius = None
        written: list[Path] = []
        if dataset in toy.toy_names():
            spec = toy.toy_set(dataset)
            metrics = toy.mode_metrics(points, dataset)
            modes, radius = spec.means, toy.HIGH_QUALITY_STD * spec.std
            title += (f"\nmodes {metrics['modes_covered']}/{metrics['modes']}, high quality "
                      f"{100 * metrics['high_quality_share']:.1f}% of {len(points)} samples")
            summary = run.out / "modes.json"
            write_json(summary, {"epoch": run.epoch, "step": run.step, **metrics})
            written.append(summary)
        real = run.real(toy.EVAL_SAMPLES)
        latest = run.out / "scatter.png"
        if not run.epoch:  # after training (`ganzoo visualize`): the one picture
            path = save_scatter(points, latest, real=real, modes=modes, radius=radius,
                                title=title)
            return [path, *written]
        path = save_scatter(points, run.out / "samples" / f"scatter_{run.epoch:03d}.png",
                            real=real, modes=modes, radius=radius, title=title)
        with atomic_path(latest) as tmp:
            shutil.copyfile(path, tmp)
        return [path, latest, *written]

    return scatter


def mode_coverage(ctx: Any) -> dict[str, Any] | None:
    """Modes covered and high-quality share (VEEGAN/PacGAN) of points from a toy set.

    A metric component for ``ganzoo eval``: None unless the samples are points and the
    data set is one of `ganzoo.data.toy`'s (definitions in `ganzoo.data.toy.mode_metrics`).
    """
    from ganzoo.plugin import toy

    if ctx.is_images or ctx.dataset not in toy.toy_names():
        return None
    m = toy.mode_metrics(ctx.samples, ctx.dataset)
    ctx.protocol["modes"] = {
        "definition": "nearest mode; high quality within 3 std of it; a mode is covered by "
                      "at least one high-quality sample (Srivastava et al. 2017)",
        "std": m["std"], "threshold_std": m["threshold_std"],
        "papers_samples": toy.EVAL_SAMPLES,
    }
    return {"modes_covered": m["modes_covered"], "modes": m["modes"],
            "high_quality_share": m["high_quality_share"], "high_quality": m["high_quality"],
            "covered_modes": m["covered"], "high_quality_per_mode": m["per_mode"]}


def load_dataset(name: str, split: str) -> Any:
    """A toy set's fixed train or test split (`ganzoo.data.toy.load_toy`)."""
    from ganzoo.plugin import toy

    return toy.load_toy(name, split)
