"""The plugin's own tests: its parts, checked against hand-computed values and shapes.

Run them after installing the plugin: `pip install -e ".[test]" && python -m pytest`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from ganzoo_resgan import losses, networks, visualizers

from ganzoo.contract.contexts import BuildContext
from ganzoo.errors import ConfigError
from ganzoo.zoo.host import load_catalog


@pytest.fixture(autouse=True)
def _all_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GANZOO_PLUGINS", raising=False)
    monkeypatch.delenv("GANZOO_BLOCK_PLUGINS", raising=False)


def _ctx(shape: tuple[int, int, int] = (28, 28, 1), **config: object) -> BuildContext:
    full = {"res_g_channels": 8, "res_d_channels": 8, "seed": 0, **config}
    return BuildContext(image_shape=shape, latent_dim=16, num_classes=0, config=full)


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.log1p(np.exp(x))


def test_ganzoo_discovers_every_part() -> None:
    cat = load_catalog()
    record = cat.plugins["resgan"]
    assert (record.error, record.warnings, record.api) == (None, [], 1)
    assert record.distribution == "ganzoo-resgan"
    assert record.provides == {"generator": ["resgan"], "discriminator": ["resgan"],
                               "loss": ["ragan"], "visualizer": ["moments"],
                               "model": ["resgan"]}
    # the files `moments` writes, so that --overwrite removes them and the report shows them
    assert cat.get("visualizer", "moments").outputs == ("moments.png",)


def test_import_is_light() -> None:
    code = "import sys, ganzoo_resgan; print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["False", "False"]


def test_ragan_matches_the_formula_by_hand() -> None:
    real = np.array([[1.0], [2.0], [0.5]], dtype=np.float32)
    fake = np.array([[-1.0], [0.0], [0.25]], dtype=np.float32)
    loss = losses.build_ragan(None)
    got_d = float(loss.discriminator_loss({"logits": real}, {"logits": fake}))
    got_g = float(loss.generator_loss({"logits": real}, {"logits": fake}))
    r_rel, f_rel = real - fake.mean(), fake - real.mean()
    want_d = _softplus(-r_rel).mean() + _softplus(f_rel).mean()
    want_g = _softplus(-f_rel).mean() + _softplus(r_rel).mean()
    assert got_d == pytest.approx(want_d, rel=1e-5)
    assert got_g == pytest.approx(want_g, rel=1e-5)
    # identical critics: both players sit at 2 log 2, the loss of a coin toss
    same = {"logits": np.zeros((4, 1), np.float32)}
    assert float(loss.discriminator_loss(same, same)) == pytest.approx(2 * np.log(2), rel=1e-6)
    assert loss.needs_real_for_generator is True


@pytest.mark.parametrize(("shape", "blocks"), [((28, 28, 1), 2), ((32, 32, 3), 3)])
def test_networks_fit_the_data(shape: tuple[int, int, int], blocks: int) -> None:
    ctx = _ctx(shape)
    assert networks.blocks_for(ctx)[0] == blocks
    generator = networks.build_generator(ctx)
    discriminator = networks.build_discriminator(ctx)
    images = np.asarray(generator(np.zeros((2, 16), np.float32)))
    assert images.shape == (2, *shape)
    assert np.abs(images).max() <= 1.0
    logits = np.asarray(discriminator(images)["logits"])
    assert logits.shape == (2, 1)


def test_unusable_shapes_are_clear_errors() -> None:
    with pytest.raises(ConfigError, match="square images; got 28x32"):
        networks.blocks_for(_ctx((28, 32, 1)))
    with pytest.raises(ConfigError, match="got 7"):
        networks.blocks_for(_ctx((7, 7, 1)))


def test_moments_by_hand() -> None:
    images = np.stack([np.zeros((2, 2, 1)), np.ones((2, 2, 1))]).astype(np.float32)
    mean, spread = visualizers.moments(images)
    assert mean.shape == (2, 2, 1) and spread.shape == (2, 2, 1)
    assert np.allclose(mean, 0.5) and np.allclose(spread, 1.0)  # std 0.5, scaled by 2
    _, flat = visualizers.moments(np.full((4, 2, 2, 1), 0.3, np.float32))
    assert np.allclose(flat, 0.0)


def test_moments_writes_a_png(tmp_path: Path) -> None:
    from ganzoo.contract.visual import VisualContext

    rng = np.random.default_rng(0)
    run = VisualContext(run_dir=tmp_path, config={}, epoch=1, step=1, final=False,
                        grid_samples=lambda: rng.random((10, 28, 28, 1)).astype(np.float32),
                        real_samples=rng.random((20, 28, 28, 1)).astype(np.float32))
    written = visualizers.build_moments(None)(run)
    assert written == [tmp_path / "moments.png"]
    assert written[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    points = VisualContext(run_dir=tmp_path, config={}, epoch=1, step=1, final=False,
                           grid_samples=lambda: np.zeros((10, 2), np.float32))
    assert visualizers.build_moments(None)(points) == []
    assert points.skipped == ["moments needs image data"]
