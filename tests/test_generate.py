"""One batched generate, one input width, one visual-context builder.

The numpy parts run without TensorFlow (a fake generator stands in for a Keras model);
the InfoGAN run checks that ``ganzoo visualize`` draws what the trainer drew, from the
run folder and from its export (before the shared builder it failed on InfoGAN).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from ganzoo.contract.contexts import BuildContext
from ganzoo.engine import latent
from ganzoo.engine.generate import batches, fill, generate, stream, unit_range

INFOGAN = {"latent_dim": 5, "code_categorical": 4, "code_continuous": 3}


class FakeGenerator:
    """Records its calls; maps input rows to 'images' (n, 2, 2, 1) in [-1, 1]."""

    def __init__(self, points: bool = False) -> None:
        self.calls: list[tuple[int, bool]] = []
        self.points = points

    def __call__(self, inputs: Any, training: bool = False) -> np.ndarray:
        z, labels = (inputs if isinstance(inputs, list) else (inputs, None))
        self.calls.append((len(z), labels is not None))
        out = np.tanh(z[:, :4] + (0.0 if labels is None else labels[:, None]))
        return 3 * z[:, :2] if self.points else out.reshape(len(z), 2, 2, 1)


def _old_inputs(config: dict, n: int, seed: int) -> np.ndarray:
    """`latent.inputs` as it was written before blocks: all of z, then all codes."""
    rng = np.random.default_rng(seed)
    parts = [rng.standard_normal((n, config["latent_dim"])).astype(np.float32)]
    k, c = config.get("code_categorical", 0), config.get("code_continuous", 0)
    if k:
        parts.append(np.eye(k, dtype=np.float32)[np.arange(n) % k])
    if c:
        parts.append(rng.uniform(-1.0, 1.0, (n, c)).astype(np.float32))
    return np.concatenate(parts, axis=1)


@pytest.mark.parametrize("config", [{"latent_dim": 6}, INFOGAN,
                                    {"latent_dim": 2, "code_continuous": 1}])
def test_input_blocks_are_the_inputs_whatever_the_batch(config: dict) -> None:
    whole = latent.inputs(config, 1001, seed=7)
    assert np.array_equal(whole, _old_inputs(config, 1001, 7))  # same samples as before
    for batch in (1, 7, 500, 5000):
        blocks = list(latent.input_chunks(config, 1001, 7, batch=batch))
        assert max(len(b) for b in blocks) == min(batch, 1001)
        assert np.array_equal(np.concatenate(blocks), whole), batch


def test_one_input_width_for_the_engine_views_and_factories() -> None:
    for config in ({"latent_dim": 100}, INFOGAN, {"latent_dim": 3, "code_categorical": None}):
        width = latent.input_dim(config)
        ctx = BuildContext((28, 28, 1), int(config["latent_dim"]), 0, config)
        assert ctx.generator_input_dim == width
        assert latent.inputs(config, 3, 0).shape == (3, width)
    assert latent.input_dim(INFOGAN) == 5 + 4 + 3


def test_generate_batches_maps_images_and_keeps_points() -> None:
    z = latent.inputs({"latent_dim": 4}, 1203, seed=1)
    g = FakeGenerator()
    images = generate(g, z, batch=500)
    assert [n for n, _ in g.calls] == [500, 500, 203]
    assert images.dtype == np.float32 and images.shape == (1203, 2, 2, 1)
    assert np.array_equal(images, unit_range(np.tanh(z).reshape(-1, 2, 2, 1)))
    assert images.min() >= 0.0 and images.max() <= 1.0
    assert np.array_equal(generate(g, z, batch=7), images)  # the batch changes nothing
    points = generate(FakeGenerator(points=True), z, points=True)
    assert np.array_equal(points, 3 * z[:, :2])  # not squeezed into [0, 1]
    empty = generate(g, z[:0])
    assert empty.shape == (0, 2, 2, 1) and empty.dtype == np.float32


def test_labels_reach_the_generator_only_when_given() -> None:
    z = latent.inputs({"latent_dim": 4}, 10, seed=1)
    g = FakeGenerator()
    generate(g, z, np.arange(10) % 3, batch=4)
    assert g.calls == [(4, True), (4, True), (2, True)]
    g = FakeGenerator()
    generate(g, z)
    assert all(not has for _, has in g.calls)


def test_stream_makes_one_block_at_a_time_and_fill_checks_the_count() -> None:
    g = FakeGenerator()
    z = latent.inputs({"latent_dim": 4}, 20, seed=0)
    blocks = stream(g, batches(z, None, 8))
    assert g.calls == []  # nothing made before it is asked for
    first = next(blocks)
    assert first.shape == (8, 2, 2, 1) and g.calls == [(8, False)]
    assert fill(blocks, 12).shape == (12, 2, 2, 1)
    with pytest.raises(ValueError, match="expected"):
        fill(stream(g, batches(z, None, 8)), 19)
    with pytest.raises(ValueError, match="expected"):
        fill(stream(g, batches(z, None, 8)), 21)
    as_bytes = fill(stream(g, batches(z, None, 8)), 20, lambda x: (x * 255).astype(np.uint8))
    assert as_bytes.dtype == np.uint8


def test_visual_context_noise_has_the_generator_layout() -> None:
    """The bug: views drew Gaussian noise of width latent_dim for InfoGAN's generator."""
    from ganzoo.visual.context import build_context

    config = {**INFOGAN, "seed": 3, "grid_rows": 2, "conditional": False}
    g = FakeGenerator()
    ctx = build_context(config, g, model="infogan", dataset="d", num_classes=10,
                        points=False, out_dir=Path("."))
    noise = ctx.noise(6, salt=11)
    assert ctx.latent_dim == noise.shape[1] == 12
    assert np.array_equal(noise, latent.inputs(config, 6, 3 + 11))
    assert np.array_equal(noise[:, 5:9].argmax(1), np.arange(6) % 4)  # one-hot categories
    assert (np.abs(noise[:, 9:]) <= 1).all()
    ctx.samples()  # InfoGAN's grid labels name categories; they must not reach G
    assert g.calls and not any(has for _, has in g.calls)
    assert ctx.num_classes == 0 and len(ctx.grid_labels) == 8
    plain = build_context({"latent_dim": 4, "seed": 3, "grid_rows": 2}, g, model="m",
                          dataset=None, num_classes=0, points=False, out_dir=Path("."))
    expected = np.random.default_rng(3 + 11).standard_normal((5, 4)).astype(np.float32)
    assert np.array_equal(plain.noise(5, salt=11), expected)  # unchanged without codes


def _pixels(path: Path) -> np.ndarray:
    with Image.open(path) as img:
        return np.asarray(img)


@pytest.mark.tf
def test_visualize_infogan_from_run_and_export_draws_what_training_drew(
        tmp_path: Path) -> None:
    from ganzoo.cli.app import cli

    def invoke(*args: str) -> Any:
        return CliRunner().invoke(cli, list(args), obj={}, catch_exceptions=False)

    run = tmp_path / "run"
    result = invoke("run", "infogan", "--steps", "3", "--batch-size", "16", "--out", str(run),
                    "--set", "visualizers=grid,interpolation", "--set", "precision=float32",
                    "--set", "grid_rows=2", "--set", "interp_rows=2",
                    "--set", "interp_steps=3")
    assert result.exit_code == 0, result.output
    export = run / "infogan.weights.h5"
    for source in (run, export):
        for kind in ("interpolation", "grid"):
            out = tmp_path / f"{source.name}-{kind}.png"
            result = invoke("visualize", str(source), "--kind", kind, "--out", str(out))
            assert result.exit_code == 0, result.output
            # the same context, generator and inputs: the same pixels as the trainer's view
            assert np.array_equal(_pixels(out), _pixels(run / f"{kind}.png")), (source, kind)
