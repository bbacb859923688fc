"""`ganzoo eval` through the CLI, periodic evaluation during training, metric plugins."""

from __future__ import annotations

import csv
import json
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from ganzoo.cli.app import cli
from ganzoo.contract.hookspecs import hookimpl
from ganzoo.data.loading import load_embedded
from ganzoo.evaluation import evaluate as evaluation

pytestmark = pytest.mark.tf


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), obj={}, catch_exceptions=False)


@pytest.fixture(scope="module")
def arrays(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("eval")
    images = load_embedded().images[:300]
    np.save(root / "uint8.npy", images)
    np.save(root / "float.npy", images.astype(np.float32) / 255.0)
    return {"root": root, "uint8": root / "uint8.npy", "float": root / "float.npy"}


def test_eval_of_an_array_prints_and_saves_figures_with_protocol(arrays: dict) -> None:
    result = invoke("eval", str(arrays["uint8"]), "--n", "200", "--json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    saved = json.loads((arrays["root"] / "uint8.eval.json").read_text())
    assert printed == saved
    m, p = printed["metrics"], printed["protocol"]
    for key in ("frechet_distance", "kid", "kid_std", "precision", "recall",
                "classifier_score", "classifier_score_std", "class_shares", "class_share_tv"):
        assert key in m, key
    assert len(m["class_shares"]) == 10
    assert sum(m["class_shares"].values()) == pytest.approx(1.0, abs=1e-4)
    assert p["samples"] == 200 and p["requested_samples"] == 200
    assert p["reference"]["dataset"] == "fashion-mnist" and p["reference"]["split"] == "test"
    assert p["reference"]["n"] == 10000
    assert p["feature_extractor"]["name"] == "ganzoo-fmnist-cnn"
    assert p["feature_extractor"]["version"] == 1 and len(p["feature_extractor"]["sha256"]) == 16
    assert p["kid"]["subset_size"] == 200 and p["precision_recall"]["k"] == 3
    assert set(p["metrics"]) == {"frechet", "kid", "precision-recall", "classifier-score",
                                 "class-shares"}
    assert printed["source_kind"] == "array"


def test_uint8_and_float_arrays_give_the_same_figures(arrays: dict) -> None:
    a = invoke("eval", str(arrays["uint8"]), "--n", "100", "--json")
    b = invoke("eval", str(arrays["float"]), "--n", "100", "--json")
    assert json.loads(a.output)["metrics"] == json.loads(b.output)["metrics"]


def test_eval_human_output_and_out_option(arrays: dict, tmp_path: Path) -> None:
    out = tmp_path / "res.json"
    result = invoke("eval", str(arrays["uint8"]), "--n", "100", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "frechet_distance" in result.output and "reference: fashion-mnist test split" \
        in result.output
    assert "compare figures only at equal --n" in result.output
    assert json.loads(out.read_text())["protocol"]["samples"] == 100


@pytest.mark.parametrize(("args", "message"), [
    (["nothing.npy"], "no such run folder"),
    (["{root}/uint8.npy", "--n", "5"], "5 is not in the range"),
])
def test_eval_errors_are_one_line(arrays: dict, args: list[str], message: str) -> None:
    result = invoke("eval", *[a.format(root=arrays["root"]) for a in args])
    assert result.exit_code == 2
    assert message in result.output


def test_run_folder_export_and_its_samples_score_the_same(tmp_path: Path) -> None:
    run = tmp_path / "run"
    result = invoke("run", "dcgan", "--steps", "3", "--batch-size", "16", "--out", str(run),
                    "--set", "visualizers=")
    assert result.exit_code == 0, result.output
    from_run = invoke("eval", str(run), "--n", "100", "--seed", "4", "--json")
    assert from_run.exit_code == 0, from_run.output
    figures = json.loads(from_run.output)
    assert json.loads((run / "eval.json").read_text()) == figures
    assert (figures["source_kind"], figures["model"], figures["step"]) == ("run", "dcgan", 3)
    assert figures["protocol"]["dataset"] == "fashion-mnist-10k"
    from_export = invoke("eval", str(run / "dcgan.weights.h5"), "--n", "100", "--seed", "4")
    assert from_export.exit_code == 0, from_export.output
    assert (run / "dcgan.eval.json").is_file()
    assert invoke("sample", str(run), "--n", "100", "--seed", "4", "--out",
                  str(tmp_path / "s.npy")).exit_code == 0
    from_array = json.loads(invoke("eval", str(tmp_path / "s.npy"), "--seed", "4",
                                   "--json").output)
    assert from_array["protocol"]["samples"] == 100
    assert from_array["metrics"] == figures["metrics"]
    assert json.loads((run / "dcgan.eval.json").read_text())["metrics"] == figures["metrics"]


def test_rgb_without_inception_weights_says_where_to_put_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.delenv("GANZOO_INCEPTION_WEIGHTS", raising=False)
    np.save(tmp_path / "rgb.npy", np.zeros((20, 32, 32, 3), np.uint8))
    result = invoke("eval", str(tmp_path / "rgb.npy"))
    assert result.exit_code == 2
    line = result.output.strip()
    assert line.startswith("error: ") and "\n" not in line
    assert "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5" in line
    assert "never downloads" in line


def test_training_with_eval_every_logs_metrics(tmp_path: Path) -> None:
    """64 labelled images, batch 16: 4 steps per epoch; evaluated after epochs 1 and 2."""
    data = load_embedded()
    np.savez(tmp_path / "small.npz", x=data.images[:64], y=data.labels[:64])
    run = tmp_path / "run"
    result = invoke("run", "dcgan", "--dataset", str(tmp_path / "small.npz"), "--epochs", "2",
                    "--batch-size", "16", "--out", str(run), "--set", "eval_every=1",
                    "--set", "eval_n=40", "--set", "visualizers=")
    assert result.exit_code == 0, result.output
    with (run / "metrics.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 8
    evaluated = [r for r in rows if r["eval_frechet_distance"]]
    assert [int(r["step"]) for r in evaluated] == [4, 8]
    assert all(float(r["eval_recall"]) >= 0 for r in evaluated)
    assert rows[0]["eval_classifier_score"] == ""  # a path data set: no class metrics
    with (run / "eval.csv").open() as f:
        evals = list(csv.DictReader(f))
    assert [(int(r["step"]), int(r["epoch"])) for r in evals] == [(4, 1), (8, 2)]
    assert {"frechet_distance", "kid", "precision", "recall"} <= set(evals[0])
    assert float(evals[1]["frechet_distance"]) > 0
    assert list((run / "tensorboard" / "eval").glob("events.out.tfevents.*"))


def test_training_refuses_eval_every_it_cannot_score(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.delenv("GANZOO_INCEPTION_WEIGHTS", raising=False)
    np.save(tmp_path / "rgb.npy", np.zeros((64, 32, 32, 3), np.uint8))
    result = invoke("run", "dcgan", "--dataset", str(tmp_path / "rgb.npy"), "--steps", "1",
                    "--out", str(tmp_path / "run"), "--set", "eval_every=1")
    assert result.exit_code == 2
    assert "never downloads" in result.output
    assert not (tmp_path / "run").exists()  # refused before anything was written


def _plugin_catalog() -> Any:
    from ganzoo.zoo.host import load_catalog

    def mean_pixel(ctx: Any) -> dict[str, float]:
        return {"mean_pixel": float(np.mean(ctx.samples)), "n_seen": ctx.n}

    def broken(ctx: Any) -> dict[str, float]:
        raise RuntimeError("boom")

    def points_only(ctx: Any) -> dict[str, float] | None:
        if ctx.is_images:
            return None
        return {"spread": float(np.std(ctx.samples)), "dataset_seen": ctx.dataset}

    @hookimpl
    def ganzoo_register_metrics(register: Any) -> None:
        register("mean-pixel", mean_pixel, description="mean pixel value")
        register("points", points_only, description="for 2-D points")

    good = types.ModuleType("good_metrics")
    good.ganzoo_register_metrics = ganzoo_register_metrics  # type: ignore[attr-defined]
    bad = types.ModuleType("bad_metrics")

    @hookimpl
    def register_bad(register: Any) -> None:
        register("broken", broken)

    bad.ganzoo_register_metrics = register_bad  # type: ignore[attr-defined]
    return load_catalog(extra_plugins=[("good", good), ("bad", bad)])


def test_plugins_add_metrics_and_a_failing_one_is_reported() -> None:
    cat = _plugin_catalog()
    assert {"frechet", "mean-pixel", "broken"} <= set(cat.components["metric"])
    images = load_embedded().images[:50]
    result = evaluation.Scorer(cat, None, (28, 28, 1)).score(images)
    assert result["metrics"]["mean_pixel"] == pytest.approx(images.mean())
    assert result["metrics"]["n_seen"] == 50
    assert "frechet_distance" in result["metrics"]  # the built-ins still ran
    assert "boom" in result["errors"]["broken"] and "'bad'" in result["errors"]["broken"]
    assert result["protocol"]["metrics"]["mean-pixel"] == "good"
    assert "points" not in result["protocol"]["metrics"]


def test_points_reach_plugin_metrics_without_image_features(tmp_path: Path) -> None:
    """The hook for data that are not images (2-D toy sets): built-ins step aside."""
    cat = _plugin_catalog()
    np.save(tmp_path / "pts.npy", np.random.default_rng(0).normal(size=(100, 2)))
    result = evaluation.evaluate_source(tmp_path / "pts.npy", cat, n=80, dataset="ring")
    assert result["metrics"]["dataset_seen"] == "ring"
    assert result["metrics"]["spread"] > 0.5
    assert "frechet_distance" not in result["metrics"]
    assert "feature_extractor" not in result["protocol"]
    assert result["protocol"]["samples"] == 80
