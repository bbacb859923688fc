"""Every model of the zoo trains from the CLI on the embedded Fashion-MNIST set, exports,
and re-samples (2 steps, tiny widths: this checks the wiring, not the quality)."""

from __future__ import annotations

import csv
import json

import h5py
import numpy as np
import pytest
from click.testing import CliRunner

from ganzoo.cli.app import cli

pytestmark = pytest.mark.tf

SMALL = ("--set", "grid_rows=2", "--set", "precision=float32", "--set", "visualizers=grid")
#: tiny widths of the DCGAN, BEGAN and SAGAN networks (the ResNet entries set their own)
NARROW = ("--set", "g_filters=8", "--set", "d_filters=8")
#: model -> (extra --set values, logged keys beyond d_loss/g_loss)
MODELS = {
    "gan": ((), ()),
    "nsgan": ((), ()),
    "lsgan": ((), ()),
    "wgan": ((), ()),
    "wgan-gp": ((), ("gp",)),
    "dragan": ((), ("dragan",)),
    "sngan": ((), ()),
    "cgan": ((), ()),
    "acgan": ((), ("acgan", "acgan_g")),
    "infogan": ((), ("infogan", "infogan_g")),
    "began": (("--set", "d_hidden=8"), ("began_k", "began_m")),
    "sagan": ((), ()),
    "wgan-gp-resnet": (("--set", "g_channels=8", "--set", "d_channels=8"), ("gp",)),
    "sngan-resnet": (("--set", "g_channels=8", "--set", "d_channels=8"), ()),
}
#: entries tested elsewhere: dcgan (test_end_to_end), the tutorial (bench), toy-gan (test_toy*)
ELSEWHERE = {"dcgan", "dcgan-tutorial", "toy-gan"}
CONDITIONAL = {"cgan", "acgan"}


def invoke(*args: str) -> object:
    return CliRunner().invoke(cli, list(args), obj={}, catch_exceptions=False)


@pytest.mark.parametrize("model", sorted(MODELS))
def test_model_trains_exports_and_samples(model: str, tmp_path) -> None:
    extra, logged = MODELS[model]
    run = tmp_path / "run"
    result = invoke("run", model, "--steps", "2", "--batch-size", "8", "--seed", "1",
                    "--out", str(run), *SMALL, *(() if "resnet" in model else NARROW), *extra)
    assert result.exit_code == 0, result.output
    with (run / "metrics.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2
    for key in ("d_loss", "g_loss", *logged):
        assert all(np.isfinite(float(r[key])) for r in rows), key
    config = json.loads((run / "config.json").read_text())["config"]
    assert config["conditional"] == (model in CONDITIONAL)

    weights = tmp_path / f"{model}.weights.h5"
    assert invoke("export", str(run), "--out", str(weights)).exit_code == 0
    with h5py.File(weights, "r") as f:
        assert f.attrs["ganzoo_model"] == model
    out = tmp_path / "s.npy"
    label = ["--label", "3"] if model in CONDITIONAL | {"infogan"} else []
    result = invoke("sample", str(weights), "--n", "6", "--seed", "2", "--out", str(out), *label)
    assert result.exit_code == 0, result.output
    images = np.load(out)
    assert images.shape == (6, 28, 28, 1) and images.min() >= 0.0 and images.max() <= 1.0
    assert invoke("sample", str(weights), "--n", "20", "--out",
                  str(tmp_path / "s.png")).exit_code == 0


@pytest.mark.parametrize("model", sorted(set(MODELS) - {"began"}))
def test_model_trains_on_points_without_flags(model: str, tmp_path) -> None:
    """Image entries switch to the MLP networks on point data by themselves."""
    run = tmp_path / "run"
    result = invoke("run", model, "--dataset", "ring8", "--steps", "2", "--batch-size", "8",
                    "--set", "grid_rows=2", "--out", str(run))
    assert result.exit_code == 0, result.output
    stored = json.loads((run / "config.json").read_text())
    assert (stored["config"]["generator"], stored["config"]["discriminator"]) == ("mlp", "mlp")
    assert (run / "scatter.png").is_file()
    points = tmp_path / "p.npy"
    assert invoke("sample", str(run), "--n", "5", "--out", str(points)).exit_code == 0
    assert np.load(points).shape == (5, 2)


def test_began_on_points_is_a_clear_error(tmp_path) -> None:
    result = invoke("run", "began", "--dataset", "ring8", "--steps", "1",
                    "--out", str(tmp_path / "x"))
    assert result.exit_code == 2
    assert "loss 'began' needs the discriminator 'began'" in result.output


def test_every_registry_entry_is_covered() -> None:
    """A new registry entry must join MODELS (or ELSEWHERE), so it is trained here."""
    from ganzoo.zoo.host import load_catalog

    assert set(load_catalog().models) == set(MODELS) | ELSEWHERE


def test_dcgan_combines_components_by_name(tmp_path) -> None:
    """A loss, a penalty and a normalization swapped into DCGAN from the command line."""
    run = tmp_path / "combo"
    result = invoke("run", "dcgan", "--steps", "2", "--batch-size", "8", "--out", str(run),
                    *SMALL, *NARROW, "--set", "loss=hinge", "--set", "penalties=r1",
                    "--set", "d_norm=spectral", "--set", "ema=0")
    assert result.exit_code == 0, result.output
    header = (run / "metrics.csv").read_text().splitlines()[0]
    assert "r1" in header.split(",")
    with h5py.File(run / "dcgan.weights.h5", "r") as f:
        config = json.loads(f.attrs["ganzoo_config"])
    assert (config["loss"], config["penalties"], config["d_norm"]) == ("hinge", ["r1"],
                                                                       "spectral")


def test_a_term_without_its_head_is_a_clear_error(tmp_path) -> None:
    result = invoke("run", "acgan", "--steps", "1", "--batch-size", "8", *SMALL,
                    "--set", "d_heads=", "--out", str(tmp_path / "x"))
    assert result.exit_code == 2
    assert "needs the discriminator head(s) class_logits" in result.output
    result = invoke("run", "dcgan", "--steps", "1", "--set", "penalties=infogan",
                    "--out", str(tmp_path / "y"))
    assert result.exit_code == 2 and "needs latent codes" in result.output


def test_info_shows_components_and_papers() -> None:
    result = invoke("info", "wgan-gp")
    assert result.exit_code == 0
    for text in ("wasserstein", "gp", "gp_weight", "Improved Training of Wasserstein GANs",
                 "d_norm"):
        assert text in result.output
