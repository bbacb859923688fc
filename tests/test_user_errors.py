"""Every mistake a user can make: one line `error: ...`, exit code 2, and no file changed.

Each case prepares its files in the test's working folder, hashes the whole folder,
runs the command through the CLI, and checks the message, the exit code and that
the folder hashes the same afterwards (nothing written, nothing lost).
Only the cases marked ``tf`` build a network. (The file sorts after test_cli_basic.py,
whose last test checks that nothing imported TensorFlow before it.)
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from ganzoo.cli.app import cli


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and folder under `folder`: content hash and mode."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if path.is_dir():
            out[rel] = f"dir {oct(path.stat().st_mode)}"
        else:
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def fails_cleanly(args: list[str], *expected: str) -> str:
    """Run the CLI in the current folder; it must fail with one line and change nothing."""
    here = Path.cwd()
    before = snapshot(here)
    result = CliRunner().invoke(cli, args, obj={})
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    for text in expected:
        assert text in lines[0], (text, lines[0])
    assert snapshot(here) == before, "the failed command changed files"
    return lines[0]


# ----------------------------------------------------------------------------- names, --set


def test_unknown_model_suggests_a_name() -> None:
    fails_cleanly(["run", "dcgam"], "unknown model 'dcgam'", "did you mean 'dcgan'")


@pytest.mark.parametrize(("setting", "message"), [
    ("lr_q=1e-4", "unknown hyperparameter 'lr_q'"),
    ("batch_size=abc", "--set batch_size=abc: expected an integer"),
    ("lr_g=fast", "--set lr_g=fast: expected a number"),
    ("lr_g=nan", "expected a finite number"),
    ("ema=true", "expected a number"),
    ("conditional=maybe", "expected true or false"),
    ("seed=-1", "must be at least 0"),
    ("seed=99999999999", "must be at most 4294967295"),
    ("loss=hinj", "hinj"),
    ("precision=float16", "choose one of auto, float32, bfloat16"),
    ("noequals", "expected KEY=VALUE"),
])
def test_bad_set_values(setting: str, message: str) -> None:
    fails_cleanly(["run", "dcgan", "--set", setting], message)


# --------------------------------------------------------------------------- registry files


def _registry(text: str) -> str:
    Path("reg.json").write_text(text, encoding="utf-8")
    return "reg.json"


@pytest.mark.parametrize(("text", "message"), [
    ('{"format": 1, "models": {', "reg.json:1:"),
    ("[1, 2]", 'expected a JSON object {"format": 1'),
    ('{"format": 2, "models": {}}', "field 'format': registry format 2 is not supported"),
    ("\udcff".encode("utf-8", "surrogateescape").decode("latin-1"), "reg.json"),
])
def test_malformed_registry_file(text: str, message: str) -> None:
    fails_cleanly(["--registry", _registry(text), "list"], message)


@pytest.mark.parametrize(("change", "message"), [
    ({"components": {"generator": 3, "discriminator": "dcgan", "loss": "nsgan"}},
     "field 'components.generator': required"),
    ({"description": ""}, "field 'description': required"),
    ({"papers": [{"title": "T"}]}, "field 'papers[0]': needs title, authors and year"),
    ({"defaults": {"lr_g": [1]}}, "field 'defaults.lr_g': must be a string, number or boolean"),
    ({"defaults": {"lr_q": 1.0}}, "field 'defaults.lr_q': unknown hyperparameter"),
    ({"colour": "red"}, "field 'colour': unknown field"),
    ({"components": {"generator": "nope", "discriminator": "dcgan", "loss": "nsgan"}},
     "field 'components.generator': no generator named 'nope'"),
])
def test_schema_invalid_registry_entry(make_entry: Callable, change: dict,
                                       message: str) -> None:
    path = _registry(json.dumps({"format": 1, "models": {"mine": make_entry(**change)}}))
    fails_cleanly(["--registry", path, "run", "mine"], "reg.json: model 'mine': ", message)


# ------------------------------------------------------------------------------- data sets


def _png(path: Path, size: int, mode: str = "L") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, (size, size), 128).save(path)


def test_missing_data_set() -> None:
    fails_cleanly(["run", "dcgan", "--dataset", "no/such/folder"],
                  "unknown data set 'no/such/folder'")


def test_empty_data_set() -> None:
    Path("empty").mkdir()
    fails_cleanly(["run", "dcgan", "--dataset", "empty"], "empty: found no data")


def test_empty_array_data_set() -> None:
    np.save("none.npy", np.zeros((0, 28, 28), dtype=np.uint8))
    fails_cleanly(["run", "dcgan", "--dataset", "none.npy"], "none.npy: holds no pixels")


def test_data_set_of_mixed_shapes() -> None:
    _png(Path("mixed/a.png"), 28)
    _png(Path("mixed/b.png"), 32)
    fails_cleanly(["run", "dcgan", "--dataset", "mixed"], "images differ in size",
                  "mixed/a.png is 28x28 but mixed/b.png is 32x32")


def test_data_set_that_is_not_images() -> None:
    Path("notimages").mkdir()
    Path("notimages/a.png").write_text("this is text, not a PNG", encoding="utf-8")
    fails_cleanly(["run", "dcgan", "--dataset", "notimages"],
                  "notimages/a.png: not a readable image")


def test_array_that_is_not_images() -> None:
    np.save("strings.npy", np.array(["a", "b"]))
    fails_cleanly(["run", "dcgan", "--dataset", "strings.npy"],
                  "strings.npy: images have shape (2,)")


# ------------------------------------------------------------------------------ weights files


def _export(path: str, **attrs: object) -> str:
    """A minimal file laid out like an export (no TensorFlow needed)."""
    with h5py.File(path, "w", libver="latest") as f:  # "latest": room for big attributes
        f.create_dataset("generator/layers/dense/vars/0", data=np.zeros((2, 2), np.float32))
        f.create_group("discriminator")
        base = {"ganzoo_format": 1, "ganzoo_model": "dcgan", "ganzoo_entry": "{}",
                "ganzoo_config": "{}", "ganzoo_image_shape": "[28, 28, 1]"}
        for key, value in {**base, **attrs}.items():
            f.attrs[key] = value
    return path


def test_weights_not_hdf5() -> None:
    Path("w.weights.h5").write_bytes(b"not an HDF5 file at all" * 10)
    fails_cleanly(["sample", "w.weights.h5", "--out", "s.png"], "not an HDF5 file")


def test_weights_truncated() -> None:
    _export("full.weights.h5")
    data = Path("full.weights.h5").read_bytes()
    Path("cut.weights.h5").write_bytes(data[: len(data) // 2])
    fails_cleanly(["sample", "cut.weights.h5", "--out", "s.png"], "cut.weights.h5")


def test_weights_of_a_newer_format() -> None:
    _export("new.weights.h5", ganzoo_format=99)
    fails_cleanly(["sample", "new.weights.h5", "--out", "s.png"],
                  "export format 99 is newer than this ganzoo reads (1)")


def test_weights_not_from_ganzoo() -> None:
    with h5py.File("keras.weights.h5", "w") as f:
        f.create_dataset("generator/layers/dense/vars/0", data=np.zeros(3, np.float32))
    fails_cleanly(["sample", "keras.weights.h5", "--out", "s.png"], "not a ganzoo export")


@pytest.mark.tf
def test_weights_from_another_model() -> None:
    """Attributes that describe DCGAN, arrays that do not fit it."""
    config = {"latent_dim": 100, "generator": "dcgan", "discriminator": "dcgan",
              "loss": "nsgan", "penalties": [], "visualizers": []}
    entry = {"description": "x", "components": {"generator": "dcgan", "discriminator": "dcgan",
                                                 "loss": "nsgan"}}
    _export("other.weights.h5", ganzoo_config=json.dumps(config),
            ganzoo_entry=json.dumps(entry))
    fails_cleanly(["sample", "other.weights.h5", "--out", "s.png"],
                  "do not fit the model rebuilt from its config")


# ------------------------------------------------- hostile weights files: refused, never run


def _big_vlen(f: h5py.File) -> None:
    f.attrs.create("ganzoo_config", "x" * (2 << 20), dtype=h5py.string_dtype())


def _big_fixed(f: h5py.File) -> None:
    f.attrs["ganzoo_config"] = np.bytes_(b"x" * (2 << 20))


def _attr(key: str, value: object) -> Callable[[h5py.File], None]:
    def set_it(f: h5py.File) -> None:
        f.attrs[key] = value
    return set_it


def _replace(name: str, **kwargs: object) -> Callable[[h5py.File], None]:
    def set_it(f: h5py.File) -> None:
        del f[name]
        f.create_dataset(name, **kwargs)
    return set_it


def _link(kind: str) -> Callable[[h5py.File], None]:
    def set_it(f: h5py.File) -> None:
        f["generator/extra"] = (h5py.SoftLink("/discriminator") if kind == "soft"
                                else h5py.ExternalLink("/etc/passwd", "/x"))
    return set_it


@pytest.mark.parametrize(("change", "message"), [
    (_big_vlen, "attribute 'ganzoo_config' is larger than 1 MiB; refused"),
    (_big_fixed, "attribute 'ganzoo_config' is not a single value of at most 1 MiB"),
    (_attr("ganzoo_model", np.bytes_(b"\xff\xfe dcgan")), "malformed ganzoo attributes"),
    (_attr("ganzoo_config", "[1, 2]"), "ganzoo_config must hold a JSON dict"),
    (_attr("ganzoo_config", '[["latent_dim", 100]]'), "ganzoo_config must hold a JSON dict"),
    (_attr("ganzoo_entry", '"text"'), "ganzoo_entry must hold a JSON dict"),
    (_attr("ganzoo_config", "{not json"), "malformed ganzoo attributes"),
    (_attr("ganzoo_image_shape", "[-28, 28, 1]"), "bad sample shape [-28, 28, 1]"),
    (_attr("ganzoo_image_shape", "[1000000, 1000000, 3]"), "bad sample shape"),
    (_attr("ganzoo_image_shape", "[28, 28, true]"), "bad sample shape"),
    (_attr("ganzoo_num_classes", -3), "bad number of classes -3"),
    (_attr("ganzoo_format", "1; import os"), "ganzoo_format is not an integer"),
    (_attr("ganzoo_format", np.arange(3)), "is not a single value"),
    (_replace("generator/layers/dense/vars/0", data=np.array([b"a", b"b"])),
     "array generator/layers/dense/vars/0 has dtype |S1, expected float32; refused"),
    (_replace("generator/layers/dense/vars/0", data=np.zeros((2, 2))),
     "has dtype float64, expected float32"),
    (_replace("generator/layers/dense/vars/0", data=np.zeros((64, 64), np.float32),
              compression="gzip"), "virtual, external or filtered"),
    (_link("soft"), "generator/extra is a SoftLink"),
    (_link("external"), "generator/extra is a ExternalLink"),
])
def test_hostile_weights_file_is_refused(change: Callable[[h5py.File], None],
                                          message: str) -> None:
    _export("bad.weights.h5")
    with h5py.File("bad.weights.h5", "r+", libver="latest") as f:
        change(f)
    fails_cleanly(["sample", "bad.weights.h5", "--out", "s.png"], "bad.weights.h5: ", message)


def test_no_code_path_can_run_code_from_a_file() -> None:
    """Weights are read by Keras' weights-only loader and h5py; nothing in ganzoo reaches
    for a loader that can run code (full-model loading, pickle, unsafe deserialisation)."""
    import ast

    import ganzoo

    calls = {"load_model", "from_config", "deserialize", "eval", "exec", "Lambda", "loads"}
    modules = {"pickle", "marshal", "dill", "cloudpickle", "shelve"}
    for source in Path(ganzoo.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = {a.name.split(".")[0] for a in node.names}
                names.add((getattr(node, "module", None) or "").split(".")[0])
                assert not names & modules, f"{source.name} imports {names & modules}"
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                owner = getattr(func, "value", None)
                if name == "loads" and getattr(owner, "id", "") == "json":
                    continue  # JSON is data
                assert name not in calls, f"{source.name} calls {name}()"
                for kw in node.keywords:
                    assert kw.arg != "safe_mode", f"{source.name} passes safe_mode"
                    if kw.arg == "allow_pickle":
                        assert getattr(kw.value, "value", None) is False, source.name


# ------------------------------------------------------------------------------ output paths


def test_run_into_a_folder_that_holds_a_run() -> None:
    Path("old").mkdir()
    Path("old/config.json").write_text(json.dumps(
        {"model": "dcgan", "entry": {}, "config": {}, "data": {}}), encoding="utf-8")
    fails_cleanly(["run", "dcgan", "--out", "old"], "already holds a run",
                  "--overwrite", "ganzoo resume old")


def test_sample_onto_an_existing_file() -> None:
    _export("w.weights.h5")
    Path("s.png").write_bytes(b"precious")
    fails_cleanly(["sample", "w.weights.h5", "--out", "s.png"], "s.png already exists",
                  "--overwrite")


def test_export_onto_an_existing_file() -> None:
    Path("run").mkdir()
    Path("e.weights.h5").write_bytes(b"precious")
    fails_cleanly(["export", "run", "--out", "e.weights.h5"], "already exists")


def test_run_out_below_a_file() -> None:
    Path("file.txt").write_text("x", encoding="utf-8")
    fails_cleanly(["run", "dcgan", "--out", "file.txt/run"], "file.txt is a file, not a folder")


def _read_only(folder: Path) -> bool:
    folder.mkdir()
    folder.chmod(0o555)
    probe = folder / "probe"
    try:
        probe.mkdir()
    except OSError:
        return True
    probe.rmdir()
    return False


def test_run_out_not_writable(tmp_path: Path) -> None:
    target = "/proc/ganzoo-test-run"  # a place nobody, root included, can create a folder
    if not _read_only(tmp_path / "ro"):
        fails_cleanly(["run", "dcgan", "--out", target], "cannot write to /proc")
    else:
        fails_cleanly(["run", "dcgan", "--out", "ro/run"], "cannot write to ro")
    assert not Path(target).exists()


def test_sample_out_not_writable() -> None:
    _export("w.weights.h5")
    fails_cleanly(["sample", "w.weights.h5", "--out", "/proc/ganzoo-test.png"],
                  "cannot write to /proc")


# ------------------------------------------------------------------------------------- lock


@pytest.fixture
def live_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield proc.pid
    proc.kill()
    proc.wait()


def test_two_runs_into_one_folder(live_pid: int) -> None:
    """A folder locked by a live process: --overwrite and resume both refuse it."""
    Path("busy").mkdir()
    Path("busy/.lock").write_text(str(live_pid), encoding="utf-8")
    fails_cleanly(["run", "dcgan", "--out", "busy"], f"in use by another ganzoo process "
                  f"(pid {live_pid})")
    Path("busy/config.json").write_text("{}", encoding="utf-8")
    fails_cleanly(["run", "dcgan", "--out", "busy", "--overwrite"], "in use")


# ----------------------------------------------------------------------------------- resume


def test_resume_a_folder_that_is_not_a_run() -> None:
    Path("plain").mkdir()
    fails_cleanly(["resume", "plain"], "not a ganzoo run folder (no config.json)")
    fails_cleanly(["resume", "nowhere"], "nowhere: no such run folder")


def test_resume_with_a_damaged_config() -> None:
    Path("run").mkdir()
    Path("run/config.json").write_text('{"model": "dcgan"', encoding="utf-8")
    fails_cleanly(["resume", "run"], "unreadable run config")


def test_resume_with_data_that_changed(catalog: object) -> None:
    """Other pixels than the run trained on (same count and shape): refused, since the
    resumed run could not match the uninterrupted one."""
    from ganzoo.zoo.config import resolve

    np.save("d.npy", np.zeros((64, 28, 28, 1), np.uint8))
    entry = catalog.models["dcgan"][0]
    Path("run").mkdir()
    Path("run/config.json").write_text(json.dumps({
        "model": "dcgan", "plugin": "builtin", "entry": entry,
        "config": resolve(entry, catalog, {}), "dataset": str(Path("d.npy").resolve()),
        "precision": "float32",
        "data": {"name": "d.npy", "images": 64, "image_shape": [28, 28, 1],
                 "fingerprint": "0" * 64}}), encoding="utf-8")
    fails_cleanly(["resume", "run"], "the data set", "has changed since the run started")
