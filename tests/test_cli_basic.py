"""The command line without training: listings, and every mistake a user can make before a
model is built. None of these commands may import TensorFlow."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import ganzoo
from ganzoo.cli.app import cli
from ganzoo.contract.hookspecs import hookimpl
from ganzoo.errors import ConfigError
from ganzoo.zoo.host import load_catalog
from ganzoo_plugins import losses as builtin_losses

#: whether TensorFlow/Keras were imported before this module's first test ran (another test
#: file may have imported them in this process; then the last test cannot tell and skips)
_TF_AT_START: dict[str, bool] = {}


@pytest.fixture(autouse=True, scope="module")
def _note_tensorflow_at_start() -> None:
    _TF_AT_START.update({m: m in sys.modules for m in ("tensorflow", "keras")})
SHIPPED_MODELS = json.loads((Path(__file__).resolve().parent.parent / "registry.json").read_text(
    encoding="utf-8"))["models"]
SHIPPED = SHIPPED_MODELS["dcgan"]
BUILTIN_MODELS = sorted(SHIPPED_MODELS)


@pytest.fixture(autouse=True)
def _no_tensorflow_import() -> Iterator[None]:
    before = {m: m in sys.modules for m in ("tensorflow", "keras")}
    yield
    for module, was_there in before.items():
        if not was_there and module in sys.modules:
            pytest.fail(f"this test imported {module}")


def invoke(*args: str, obj: dict[str, Any] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), obj={} if obj is None else obj)


def one_line_error(result: Result) -> str:
    """The single `error: ...` line of a failed command (exit 2, no traceback)."""
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, ConfigError | KeyError | TypeError)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: "), lines
    return lines[0]


def entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# --------------------------------------------------------------------------- help and version


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"ganzoo, version {ganzoo.__version__}"


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_lists_commands(flag: str) -> None:
    result = invoke(flag)
    assert result.exit_code == 0
    commands = result.stdout.split("Commands:")[1]
    for command in ("run", "list", "info", "plugins", "sample", "export"):
        assert re.search(rf"^\s+{command}\s", commands, re.M), command
    assert "--registry" in result.stdout


def test_run_help_mentions_set() -> None:
    result = invoke("run", "--help")
    assert result.exit_code == 0
    assert "--set KEY=VALUE" in result.stdout and "--dataset" in result.stdout


# --------------------------------------------------------------------------- list


def test_list_shows_dcgan_from_builtin() -> None:
    result = invoke("list")
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stdout.splitlines()]
    dcgan = [row for row in rows if row and row[0] == "dcgan"]
    assert len(dcgan) == 1
    assert dcgan[0][1] == "builtin"
    assert "Deep convolutional GAN" in result.stdout
    assert result.stderr == ""


def test_list_json() -> None:
    result = invoke("list", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["invalid"] == {}
    by_name = {m["name"]: m for m in data["models"]}
    assert by_name["dcgan"]["plugin"] == "builtin"
    assert by_name["dcgan"]["description"].startswith("Deep convolutional GAN")


def test_list_with_registry_file(tmp_path: Path, make_entry: Any, write_registry: Any) -> None:
    reg = write_registry({"hingegan": make_entry(), "broken": make_entry(description="")})
    result = invoke("--registry", str(reg), "list", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    names = {m["name"]: m["plugin"] for m in data["models"]}
    assert names == {**dict.fromkeys(BUILTIN_MODELS, "builtin"), "hingegan": f"file:{reg}"}
    assert "field 'description'" in data["invalid"]["broken"]

    text = invoke("--registry", str(reg), "list")
    assert text.exit_code == 0
    assert re.search(r"^hingegan\s", text.stdout, re.M)
    assert "warning: model 'broken' is unusable" in text.stderr


def test_list_with_unreadable_registry_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{\n", encoding="utf-8")
    line = one_line_error(invoke("--registry", str(bad), "list"))
    assert line.startswith(f"error: {bad}:2:1: not valid JSON")


def test_list_without_any_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GANZOO_BLOCK_PLUGINS", "builtin")
    result = invoke("list")
    assert result.exit_code == 0
    assert result.stdout.startswith("no models")


# --------------------------------------------------------------------------- info


def test_info_dcgan() -> None:
    result = invoke("info", "dcgan")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("dcgan (plugin builtin)")
    components = out.split("components:")[1].split("data set:")[0]
    for slot, name in [("generator", "dcgan"), ("discriminator", "dcgan"), ("loss", "nsgan"),
                       ("visualizers", "grid"), ("visualizers", "losses")]:
        assert re.search(rf"^\s+{slot}\s+{name}\s+\[builtin\]", components, re.M), (slot, name)
    assert "data set: fashion-mnist-10k" in out
    hyper = out.split("hyperparameters (change with --set KEY=VALUE):")[1].split("papers:")[0]
    for key, value in SHIPPED["defaults"].items():
        assert re.search(rf"^\s+{key}\s+{re.escape(str(value))}\s", hyper, re.M), key
    assert re.search(r"^\s+g_filters\s+64\s", hyper, re.M)
    papers = out.split("papers:")[1]
    assert "Alec Radford, Luke Metz, Soumith Chintala (2016). Unsupervised Representation" in papers
    assert "https://arxiv.org/abs/1511.06434" in papers


def test_info_json() -> None:
    result = invoke("info", "dcgan", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert (data["name"], data["plugin"], data["dataset"]) == ("dcgan", "builtin",
                                                                "fashion-mnist-10k")
    slots = [(c["slot"], c["name"], c["plugin"]) for c in data["components"]]
    assert ("loss", "nsgan", "builtin") in slots
    assert data["defaults"]["d_filters"] == 64
    for key, value in SHIPPED["defaults"].items():
        assert data["defaults"][key] == value
    assert 2016 in [p["year"] for p in data["papers"]]


def test_info_unknown_model() -> None:
    line = one_line_error(invoke("info", "nope"))
    assert line.startswith("error: unknown model 'nope'")
    assert "did you mean" not in line
    assert f"known models: {', '.join(BUILTIN_MODELS)}" in line


def test_info_typo_suggests() -> None:
    line = one_line_error(invoke("info", "dcgn"))
    assert "(did you mean 'dcgan'?)" in line


def test_debug_shows_the_traceback_and_keeps_exit_code_2() -> None:
    result = invoke("--debug", "info", "nope")
    assert result.exit_code == 2, result.output
    err = result.stderr
    assert err.startswith("Traceback (most recent call last):")
    assert "ganzoo.errors.ConfigError: unknown model 'nope'" in err
    assert err.rstrip().splitlines()[-1].startswith("error: unknown model 'nope'")
    assert one_line_error(invoke("info", "nope")) in err  # the same line as without --debug


def test_info_of_model_with_missing_component(write_registry: Any, make_entry: Any) -> None:
    entry = make_entry()
    entry["components"]["penalties"] = ["no-such-penalty"]
    reg = write_registry({"r1gan": entry})
    line = one_line_error(invoke("--registry", str(reg), "info", "r1gan"))
    assert "no penalty named 'no-such-penalty'" in line
    assert "is the plugin that provides it installed?" in line


# --------------------------------------------------------------------------- plugins


def test_plugins_text() -> None:
    result = invoke("plugins")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith(f"builtin  (ganzoo {ganzoo.__version__})  [built-in]")
    assert "hooks: ganzoo_register_augmentations, ganzoo_register_datasets" in out
    assert f"  losses: {', '.join(sorted(builtin_losses.LOSSES))}" in out
    assert "nsgan" in builtin_losses.LOSSES
    assert "  generators: " in out and "dcgan" in out
    assert f"  models: {', '.join(BUILTIN_MODELS)}" in out


def test_plugins_json() -> None:
    result = invoke("plugins", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["warnings"] == []
    (builtin,) = [p for p in data["plugins"] if p["name"] == "builtin"]
    assert builtin["builtin"] is True and builtin["error"] is None
    assert builtin["distribution"] == "ganzoo" and builtin["version"] == ganzoo.__version__
    assert "ganzoo_register_losses" in builtin["hooks"]
    assert all(h.startswith("ganzoo_") for h in builtin["hooks"])
    assert sorted(builtin["provides"]["loss"]) == sorted(builtin_losses.LOSSES)
    assert sorted(builtin["provides"]["model"]) == BUILTIN_MODELS


class _Penalty:
    @hookimpl
    def ganzoo_register_penalties(self, register: Any) -> None:
        register("r1", lambda ctx: None, description="R1")


class _Broken:
    @hookimpl
    def ganzoo_register_losses(self, register: Any) -> None:
        raise RuntimeError("oops")


def test_plugins_shows_broken_plugin() -> None:
    cat = load_catalog(extra_plugins=[("broken", _Broken())])
    result = invoke("plugins", obj={"catalog": cat})
    assert result.exit_code == 0
    assert "broken  (?)\n  BROKEN: hook ganzoo_register_losses raised RuntimeError: oops" in (
        result.stdout)
    listed = invoke("list", obj={"catalog": cat})
    assert "warning: plugin 'broken' is broken: hook ganzoo_register_losses" in listed.stderr


def test_plugins_plural_of_penalty() -> None:
    cat = load_catalog(extra_plugins=[("pen", _Penalty())])
    result = invoke("plugins", obj={"catalog": cat})
    assert result.exit_code == 0
    assert "  penalties: r1" in result.stdout


# --------------------------------------------------------------------------- run: refused early


def test_run_unknown_key_lists_valid_keys(tmp_path: Path) -> None:
    line = one_line_error(invoke("run", "dcgan", "--set", "lr_gg=1"))
    assert line.startswith("error: unknown hyperparameter 'lr_gg' (did you mean 'lr_g'?)")
    valid = line.split("valid keys: ")[1].split(", ")
    for key in ("lr_g", "lr_d", "batch_size", "epochs", "g_filters", "loss", "penalties"):
        assert key in valid
    assert not (tmp_path / "runs").exists()
    assert entries(tmp_path) == []


@pytest.mark.parametrize(("args", "text"), [
    (["--set", "lr_g=abc"], "--set lr_g=abc: expected a number"),
    (["--set", "epochs=2.5"], "--set epochs=2.5: expected an integer"),
    (["--set", "optimizer=sgd"], "choose one of adam, rmsprop"),
    (["--set", "lr_g"], "expected KEY=VALUE"),
    (["--set", "loss=hinje"], "unknown loss 'hinje' (did you mean 'hinge'?)"),
    (["--epochs", "1", "--steps", "1"], "give either --epochs or --steps, not both"),
])
def test_run_bad_arguments(tmp_path: Path, args: list[str], text: str) -> None:
    line = one_line_error(invoke("run", "dcgan", *args))
    assert text in line
    assert entries(tmp_path) == []


def test_run_missing_dataset_path(tmp_path: Path) -> None:
    line = one_line_error(invoke("run", "dcgan", "--dataset", "/no/such/path"))
    assert "'/no/such/path'" in line
    assert "not a registered name" in line
    assert entries(tmp_path) == []


def test_run_unknown_model(tmp_path: Path) -> None:
    line = one_line_error(invoke("run", "dcgn", "--steps", "1"))
    assert "unknown model 'dcgn' (did you mean 'dcgan'?)" in line
    assert entries(tmp_path) == []


@pytest.mark.parametrize("args", [["--epochs", "0"], ["--batch-size", "0"], ["--seed", "-1"]])
def test_run_click_range_checks(tmp_path: Path, args: list[str]) -> None:
    line = one_line_error(invoke("run", "dcgan", *args))
    assert line.startswith(f"error: invalid value for '{args[0]}': {args[1]} is not in the range")
    assert line.endswith("(see 'ganzoo run --help')")
    assert entries(tmp_path) == []


@pytest.mark.parametrize(("args", "message"), [
    (["run"], "error: missing argument 'NAME' (see 'ganzoo run --help')"),
    (["sample", "x"], "error: missing option '--out' (see 'ganzoo sample --help')"),
    (["run", "dcgan", "--strategy", "x"],
     "error: invalid value for '--strategy': 'x' is not one of 'default', 'mirrored', "
     "'multi-worker', 'tpu' (see 'ganzoo run --help')"),
    (["run", "dcgan", "--bogus"], "error: no such option '--bogus'"),
    (["--bogus", "list"], "error: no such option '--bogus' (see 'ganzoo --help')"),
    (["lst"], "error: no such command 'lst'"),
    (["run", "dcgan", "extra"], "error: got unexpected extra argument (extra)"),
])
def test_click_usage_errors_are_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    """click's own errors look like ganzoo's: one line, exit 2, no Usage/Try lines."""
    line = one_line_error(invoke(*args))
    assert line.startswith(message), line
    assert "Usage:" not in line and "Try " not in line
    assert entries(tmp_path) == []


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["sample", "-h"]])
def test_help_is_still_the_full_page(args: list[str]) -> None:
    result = invoke(*args)
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout.startswith("Usage: ganzoo") and "Options:" in result.stdout


# --------------------------------------------------------------------------- sample


def test_sample_missing_source(tmp_path: Path) -> None:
    line = one_line_error(invoke("sample", "/no/such", "--n", "4", "--out", "x.png"))
    assert "/no/such" in line and "no such run folder or weights file" in line
    assert entries(tmp_path) == []


def test_sample_non_hdf5_file(tmp_path: Path) -> None:
    weights = tmp_path / "f.weights.h5"
    weights.write_bytes(b"\x00garbage, not HDF5 at all" * 10)
    line = one_line_error(invoke("sample", str(weights), "--out", "x.png"))
    assert f"{weights}: not an HDF5 file" in line
    assert entries(tmp_path) == ["f.weights.h5"]


def _h5(path: Path, attrs: dict[str, Any], generator: bool = True) -> Path:
    import h5py

    with h5py.File(path, "w") as f:
        if generator:
            f.create_group("generator")
        for key, value in attrs.items():
            f.attrs[key] = value
    return path


@pytest.mark.parametrize(("attrs", "generator", "text"), [
    ({}, False, "holds no generator weights"),
    ({}, True, "not a ganzoo export"),
    ({"ganzoo_format": 99, "ganzoo_model": "dcgan"}, True, "export format 99 is newer"),
    ({"ganzoo_format": "x", "ganzoo_model": "dcgan"}, True, "ganzoo_format is not an integer"),
    ({"ganzoo_format": 1, "ganzoo_model": "dcgan", "ganzoo_image_shape": "[28, 28]",
      "ganzoo_entry": "{}", "ganzoo_config": "{}"}, True, "malformed ganzoo attributes"),
])
def test_sample_hdf5_that_is_not_a_usable_export(
    tmp_path: Path, attrs: dict[str, Any], generator: bool, text: str
) -> None:
    weights = _h5(tmp_path / "f.weights.h5", attrs, generator)
    line = one_line_error(invoke("sample", str(weights), "--out", "x.png"))
    assert text in line
    assert not (tmp_path / "x.png").exists()


def test_sample_export_needing_missing_plugin(tmp_path: Path) -> None:
    weights = _h5(tmp_path / "f.weights.h5", {
        "ganzoo_format": 1, "ganzoo_model": "stylegan", "ganzoo_entry": "{}",
        "ganzoo_config": json.dumps({"generator": "style", "discriminator": "style"}),
        "ganzoo_image_shape": "[28, 28, 1]",
    })
    line = one_line_error(invoke("sample", str(weights), "--out", "x.png"))
    assert "needs generator 'style', which no installed plugin provides" in line


@pytest.mark.parametrize("out", ["x.txt", "x", "x.jpg"])
def test_sample_bad_out_suffix(tmp_path: Path, out: str) -> None:
    line = one_line_error(invoke("sample", "/no/such", "--out", out))
    assert f"--out {out}: use a .png (grid) or .npy (array) file name" in line
    assert entries(tmp_path) == []


def test_sample_existing_out_without_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "x.png"
    out.write_bytes(b"precious")
    line = one_line_error(invoke("sample", "/no/such", "--out", str(out)))
    assert f"{out} already exists" in line and "--overwrite" in line
    assert out.read_bytes() == b"precious"


def test_sample_out_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "d.png").mkdir()
    result = invoke("sample", "/no/such", "--out", "d.png", "--overwrite")
    assert result.exit_code == 2
    assert "'d.png' is a directory" in result.stderr
    assert (tmp_path / "d.png").is_dir()


def test_sample_run_folder_without_config(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    line = one_line_error(invoke("sample", "run", "--out", "x.png"))
    assert "not a ganzoo run folder (no config.json)" in line


def test_sample_run_folder_without_weights(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps(
        {"model": "dcgan", "entry": {}, "config": {}, "data": {}}), encoding="utf-8")
    line = one_line_error(invoke("sample", "run", "--out", "x.png"))
    assert "the run has no checkpoint or export yet" in line


def test_sample_run_folder_with_broken_config(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text('{"model": "dcgan"}', encoding="utf-8")
    line = one_line_error(invoke("sample", "run", "--out", "x.png"))
    assert "run config lacks 'entry'" in line


# --------------------------------------------------------------------------- export


@pytest.mark.parametrize("out", ["model.h5", "model.weights", "model.keras", "weights.h5.tmp"])
def test_export_out_must_end_in_weights_h5(tmp_path: Path, out: str) -> None:
    line = one_line_error(invoke("export", "/no/such", "--out", out))
    assert f"--out {out}: export names must end in .weights.h5" in line
    assert entries(tmp_path) == []


def test_export_existing_out_without_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "m.weights.h5"
    out.write_bytes(b"\x89HDF old export")
    before = out.read_bytes()
    line = one_line_error(invoke("export", "/no/such", "--out", str(out)))
    assert f"{out} already exists; choose another path or pass --overwrite" in line
    assert out.read_bytes() == before


def test_export_missing_run(tmp_path: Path) -> None:
    line = one_line_error(invoke("export", "/no/such", "--out", "m.weights.h5"))
    assert "/no/such: no such run folder or weights file" in line
    assert entries(tmp_path) == []


# --------------------------------------------------------------------------- the module's promise


def test_zz_tensorflow_was_never_imported_by_this_module() -> None:
    """Runs last in this file: no command above imported TensorFlow or Keras."""
    for module, was_there in _TF_AT_START.items():
        if was_there:
            pytest.skip(f"{module} was imported by another test file before this one")
        assert module not in sys.modules
