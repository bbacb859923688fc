"""End to end, through the CLI as a user runs it: train a few steps, export, sample.

These tests import TensorFlow; they share one short training run (module fixture)
so the whole file stays around a minute on 2 CPU cores.
"""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

from ganzoo.cli.app import cli

pytestmark = pytest.mark.tf


def invoke(*args: str) -> object:
    result = CliRunner().invoke(cli, list(args), obj={}, catch_exceptions=False)
    return result


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("e2e")
    run_dir = root / "run"
    result = invoke("run", "dcgan", "--steps", "6", "--batch-size", "16", "--seed", "3",
                    "--out", str(run_dir), "--set", "grid_rows=4")
    assert result.exit_code == 0, result.output
    return {"root": root, "run": run_dir, "output": result.output}


def test_run_writes_every_output(trained: dict) -> None:
    run = trained["run"]
    for name in ("config.json", "metrics.csv", "grid.png", "losses.png", "summary.json",
                 "dcgan.weights.h5", "samples/epoch_001.png", "checkpoints/latest.json"):
        assert (run / name).is_file(), name
    assert list((run / "tensorboard").rglob("events.out.tfevents.*")), "no TensorBoard events"
    config = json.loads((run / "config.json").read_text())
    assert config["model"] == "dcgan"
    assert config["config"]["steps"] == 6 and config["config"]["batch_size"] == 16
    assert config["data"]["name"] == "fashion-mnist-10k"
    rows = (run / "metrics.csv").read_text().strip().splitlines()
    assert rows[0].startswith("step,epoch,d_loss,g_loss")
    assert len(rows) == 1 + 6
    summary = json.loads((run / "summary.json").read_text())
    assert summary["steps"] == 6 and summary["stopped"] is None
    # The last lines say where everything is.
    assert f"weights:      {run / 'dcgan.weights.h5'}" in trained["output"]


def test_grid_png_has_the_requested_layout(trained: dict) -> None:
    from PIL import Image

    with Image.open(trained["run"] / "grid.png") as img:
        # 4x4 grid of 28x28 images scaled 2x with 2-pixel gutters.
        assert img.size == (2 * (4 * 30 + 2), 2 * (4 * 30 + 2))


def test_export_then_sample_png_and_npy(trained: dict) -> None:
    root, run = trained["root"], trained["run"]
    weights = root / "m.weights.h5"
    assert invoke("export", str(run), "--out", str(weights)).exit_code == 0
    png, npy = root / "s.png", root / "s.npy"
    assert invoke("sample", str(weights), "--n", "16", "--out", str(png)).exit_code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert invoke("sample", str(run), "--n", "100", "--out", str(npy)).exit_code == 0
    arr = np.load(npy)
    assert arr.shape == (100, 28, 28, 1) and arr.dtype == np.float32
    assert arr.min() >= 0.0 and arr.max() <= 1.0 and arr.std() > 0.01


def test_export_round_trip_is_bit_identical(trained: dict) -> None:
    """Samples from the run (its final export) equal samples from a fresh export of its
    checkpoint, and repeat exactly with the same seed."""
    import ganzoo

    root, run = trained["root"], trained["run"]
    again = ganzoo.export_run(run, root / "again.weights.h5")
    a = ganzoo.sample(run, n=8, seed=11)
    b = ganzoo.sample(again, n=8, seed=11)
    c = ganzoo.sample(again, n=8, seed=12)
    assert np.array_equal(a, b)
    assert not np.array_equal(b, c)


def test_export_is_self_describing_hdf5(trained: dict) -> None:
    import ganzoo

    with h5py.File(trained["run"] / "dcgan.weights.h5", "r") as f:
        assert f.attrs["ganzoo_model"] == "dcgan"
        assert int(f.attrs["ganzoo_format"]) == 1
        assert json.loads(f.attrs["ganzoo_image_shape"]) == [28, 28, 1]
        config = json.loads(f.attrs["ganzoo_config"])
        assert config["latent_dim"] == 100
        assert "generator" in f and "discriminator" in f
        kernel = f["generator/layers/dense/vars/0"][()]
        assert kernel.shape == (100, 7 * 7 * 256)
    # A Keras user rebuilds the networks from the stored config and uses load_weights.
    from ganzoo.artifacts.export import container

    gen, disc = ganzoo.build_networks(config, (28, 28, 1))
    container(gen, disc).load_weights(str(trained["run"] / "dcgan.weights.h5"))
    assert np.array_equal(gen.get_layer("project").get_weights()[0], kernel)


def test_in_memory_model_matches_its_export(tmp_path) -> None:
    """Export of a freshly built GAN, reloaded, gives bit-identical images for the same z."""
    import ganzoo
    from ganzoo.artifacts import export, sampling
    from ganzoo.artifacts.export import meta_for

    gan = ganzoo.build("dcgan", overrides={"ema": 0.0, "precision": "float32"})
    z = sampling.noise(5, 100, seed=0)
    before = np.asarray(gan.sampler(z, training=False))
    entry = ganzoo.catalog().models["dcgan"][0]
    from ganzoo.zoo.config import resolve

    config = resolve(entry, ganzoo.catalog(), {"ema": 0.0, "precision": "float32"})
    info = {"image_shape": [28, 28, 1], "num_classes": 0, "name": "x", "images": 0}
    path = export.write(tmp_path / "g.weights.h5", gan.sampler, gan.discriminator,
                        meta_for("dcgan", entry, config, info, 0, ganzoo.__version__))
    loaded = sampling.load(path, ganzoo.catalog())
    after = np.asarray(loaded.generator(z, training=False))
    assert np.array_equal(before, after)


def test_conditional_alternating_clipped_variant_runs(tmp_path) -> None:
    """The contract's other paths: labels to G and D, several D steps, weight clipping."""
    run_dir = tmp_path / "cond"
    result = invoke("run", "dcgan", "--steps", "2", "--batch-size", "8", "--out", str(run_dir),
                    "--set", "conditional=true", "--set", "d_steps=2",
                    "--set", "clip_value=0.01", "--set", "loss=wasserstein",
                    "--set", "precision=float32", "--set", "d_norm=none")
    assert result.exit_code == 0, result.output
    with h5py.File(run_dir / "dcgan.weights.h5", "r") as f:
        kernels = [f[name][()] for name in _datasets(f["discriminator"])]
    assert max(float(np.abs(k).max()) for k in kernels) <= 0.01 + 1e-7
    out = tmp_path / "label3.npy"
    assert invoke("sample", str(run_dir), "--n", "4", "--label", "3",
                  "--out", str(out)).exit_code == 0
    assert np.load(out).shape == (4, 28, 28, 1)
    bad = invoke("sample", str(run_dir), "--n", "4", "--label", "10",
                 "--out", str(tmp_path / "x.npy"))
    assert bad.exit_code == 2 and "choose a class in 0..9" in bad.output


def _datasets(group: h5py.Group) -> list[str]:
    names: list[str] = []
    group.visititems(lambda n, o: names.append(f"{group.name}/{n}")
                     if isinstance(o, h5py.Dataset) else None)
    return names


def test_same_seed_same_losses(tmp_path) -> None:
    def losses(name: str) -> list[str]:
        run_dir = tmp_path / name
        result = invoke("run", "dcgan", "--steps", "3", "--batch-size", "8", "--seed", "5",
                        "--out", str(run_dir), "--set", "precision=float32")
        assert result.exit_code == 0, result.output
        lines = (run_dir / "metrics.csv").read_text().splitlines()[1:]
        return [",".join(line.split(",")[2:4]) for line in lines]

    assert losses("a") == losses("b")


def test_run_refuses_an_existing_run_folder(trained: dict) -> None:
    before = (trained["run"] / "config.json").read_bytes()
    result = invoke("run", "dcgan", "--steps", "1", "--out", str(trained["run"]))
    assert result.exit_code == 2
    assert "already holds a run" in result.output
    assert (trained["run"] / "config.json").read_bytes() == before


def test_weights_of_another_shape_are_refused(trained: dict, tmp_path) -> None:
    """An export whose config no longer matches its arrays is a clear error."""
    import shutil

    bad = tmp_path / "bad.weights.h5"
    shutil.copy(trained["run"] / "dcgan.weights.h5", bad)
    with h5py.File(bad, "r+") as f:
        config = json.loads(f.attrs["ganzoo_config"])
        config["g_filters"] = 32
        f.attrs["ganzoo_config"] = json.dumps(config)
    result = invoke("sample", str(bad), "--n", "2", "--out", str(tmp_path / "x.png"))
    assert result.exit_code == 2
    assert "do not fit the model" in result.output
    assert not (tmp_path / "x.png").exists()


def test_tutorial_networks_reproduce_the_published_architecture(tmp_path) -> None:
    """dcgan-tutorial (used by bench/train_speed.py) has the tutorial's layer shapes."""
    import ganzoo

    gan = ganzoo.build("dcgan-tutorial", overrides={"precision": "float32"})
    kernels = [w.shape for w in gan.generator.weights if w.name == "kernel"]
    assert [tuple(k) for k in kernels] == [(100, 12544), (5, 5, 128, 256), (5, 5, 64, 128),
                                           (5, 5, 1, 64)]
    assert gan.generator.count_params() == 2_330_944  # the tutorial's summary() total
    assert gan.discriminator.count_params() == 212_865
    result = invoke("run", "dcgan-tutorial", "--steps", "2", "--batch-size", "8",
                    "--out", str(tmp_path / "tut"))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("flag", "policy"), [("float32", "float32"),
                                              ("bfloat16", "mixed_bfloat16")])
def test_precision_flag_picks_the_policy(tmp_path, flag: str, policy: str) -> None:
    run_dir = tmp_path / flag
    result = invoke("run", "dcgan", "--steps", "1", "--batch-size", "8", "--precision", flag,
                    "--out", str(run_dir), "--set", "visualizers=")
    assert result.exit_code == 0, result.output
    assert json.loads((run_dir / "summary.json").read_text())["precision"] == policy
    assert json.loads((run_dir / "config.json").read_text())["config"]["precision"] == flag


def test_precision_flag_rejects_other_values(tmp_path) -> None:
    result = invoke("run", "dcgan", "--precision", "float16", "--out", str(tmp_path / "r"))
    assert result.exit_code == 2
    assert "float16" in result.output and not (tmp_path / "r").exists()
