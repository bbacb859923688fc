"""Broken and unruly plugins: each failure is reported with the plugin's name, on one line,
and every other plugin keeps working.

Load-time failures (import errors, hooks that raise, bad registrations, clashes, the
environment switches) need no TensorFlow; build-time failures (a factory that returns the
wrong object or the wrong shape) are in the `tf` part at the end.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import types
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result

from ganzoo.cli.app import cli
from ganzoo.contract.hookspecs import hookimpl
from ganzoo.errors import ConfigError, PluginError
from ganzoo.zoo import host, registry
from ganzoo.zoo.components import Catalog
from ganzoo.zoo.host import load_catalog

REPO = Path(__file__).resolve().parent.parent


def _factory(ctx: Any) -> None:
    return None


def make_plugin(name: str = "plugin", api: Any = 1, **hooks: Any) -> types.ModuleType:
    """A plugin module: make_plugin(losses=[("x", factory, {...})], models=ValueError(...)).

    A hook given an exception raises it; given a list, registers each item.
    """
    module = types.ModuleType(name)
    module.GANZOO_API = api
    for short, items in hooks.items():

        def impl(register: Any, items: Any = items) -> None:
            if isinstance(items, BaseException):
                raise items
            for item_name, *rest in items:
                register(item_name, *rest[:1], **(rest[1] if len(rest) > 1 else {}))

        hook_name = f"ganzoo_register_{short}"
        impl.__name__ = impl.__qualname__ = hook_name
        setattr(module, hook_name, hookimpl(impl))
    return module


def model_entry(generator: str = "dcgan", **changes: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "description": "a test model",
        "components": {"generator": generator, "discriminator": "dcgan", "loss": "nsgan",
                       "visualizers": []},
        "defaults": {"latent_dim": 8},
    }
    entry.update(changes)
    return entry


def invoke(cat: Catalog, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), obj={"catalog": cat})


def error_line(result: Result) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    return lines[0]


def healthy() -> tuple[str, types.ModuleType]:
    """A working third-party plugin, to show it keeps working beside a broken one."""
    return "healthy", make_plugin("healthy", losses=[("okloss", _factory)],
                                  models=[("okgan", model_entry())])


def assert_healthy_still_works(cat: Catalog) -> None:
    assert cat.plugins["healthy"].error is None
    assert cat.get("loss", "okloss").plugin == "healthy"
    _, plugin, _ = registry.get(cat, "okgan")
    assert plugin == "healthy"
    assert registry.get(cat, "dcgan")[1] == "builtin"
    listed = invoke(cat, "list")
    assert listed.exit_code == 0
    names = [line.split()[0] for line in listed.stdout.splitlines()]
    assert "okgan" in names and "dcgan" in names
    # a run of the healthy model gets as far as its plan (data and config checked)
    from ganzoo.training import plan as planning

    plan = planning.plan("okgan", catalog=cat, overrides={"steps": 1})
    assert plan.config["loss"] == "nsgan"


# --------------------------------------------------------------------------- import errors


def _fake_entry_points(monkeypatch: pytest.MonkeyPatch, **targets: str) -> None:
    """Installed entry points name -> module path (real built-in plus these fakes)."""
    monkeypatch.delenv("GANZOO_PLUGINS", raising=False)
    real = [ep for ep in metadata.entry_points(group="ganzoo") if ep.name == "builtin"]
    fakes = [metadata.EntryPoint(name=n, value=v, group="ganzoo") for n, v in targets.items()]
    monkeypatch.setattr(host.metadata, "entry_points", lambda group: [*real, *fakes])


def _write_module(folder: Path, name: str, source: str) -> None:
    (folder / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")


@pytest.fixture
def module_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    return folder


def test_import_error_is_one_line_and_named(monkeypatch: pytest.MonkeyPatch,
                                            module_dir: Path) -> None:
    _write_module(module_dir, "ganzoo_t_needs_lib", "import ganzoo_no_such_lib\n")
    _write_module(module_dir, "ganzoo_t_raises", """
        raise RuntimeError("first line\\n   second line\\n\\nthird")
    """)
    _write_module(module_dir, "ganzoo_t_syntax", "def broken(:\n    pass\n")
    _write_module(module_dir, "ganzoo_t_ok", """
        from ganzoo.contract.hookspecs import hookimpl
        GANZOO_API = 1

        @hookimpl
        def ganzoo_register_losses(register):
            register("okloss", lambda ctx: None)
    """)
    _fake_entry_points(monkeypatch, needslib="ganzoo_t_needs_lib", raises="ganzoo_t_raises",
                       syntax="ganzoo_t_syntax", ok="ganzoo_t_ok")
    cat = load_catalog()
    assert cat.plugins["needslib"].error == (
        "failed to load: ModuleNotFoundError: No module named 'ganzoo_no_such_lib'")
    assert cat.plugins["raises"].error == (
        "failed to load: RuntimeError: first line second line third")
    assert cat.plugins["syntax"].error.startswith("failed to load: SyntaxError: ")
    assert cat.plugins["ok"].error is None and cat.get("loss", "okloss").plugin == "ok"

    shown = invoke(cat, "plugins")
    assert shown.exit_code == 0
    out = shown.stdout.splitlines()
    for name in ("needslib", "raises", "syntax"):
        i = out.index(f"{name}  (?)")
        assert out[i + 1] == f"  module: ganzoo_t_{name.replace('needslib', 'needs_lib')}"
        assert out[i + 2] == f"  BROKEN: {cat.plugins[name].error}"
    data = json.loads(invoke(cat, "plugins", "--json").stdout)
    status = {p["name"]: (p["status"], p["error"]) for p in data["plugins"]}
    assert status["raises"] == ("broken", "failed to load: RuntimeError: first line second "
                                          "line third")
    assert status["ok"] == ("ok", None) and status["builtin"] == ("ok", None)

    listed = invoke(cat, "list")
    assert listed.exit_code == 0
    assert ["dcgan", "builtin"] in [line.split()[:2] for line in listed.stdout.splitlines()]
    assert ("warning: plugin 'raises' is broken: failed to load: RuntimeError: first line "
            "second line third") in listed.stderr
    # a model nobody provides: the broken plugins are named as where it may come from
    line = error_line(invoke(cat, "run", "plugh"))
    assert line.startswith("error: unknown model 'plugh'; known models: ")
    assert "plugh" not in cat.models
    assert "plugins 'needslib', 'raises', 'syntax' may provide it but are broken" in line


def test_single_broken_plugin_gives_its_reason_for_unknown_models(
        monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_entry_points(monkeypatch, ghost="ganzoo_t_missing_module")
    cat = load_catalog()
    line = error_line(invoke(cat, "info", "xyzzy"))
    known = ", ".join(sorted(cat.models))
    assert line == (
        f"error: unknown model 'xyzzy'; known models: {known} (see `ganzoo list`); plugin "
        "'ghost' may provide it but is broken: failed to load: ModuleNotFoundError: No module "
        "named 'ganzoo_t_missing_module' (see `ganzoo plugins`)")
    line = error_line(invoke(cat, "run", "dcgan", "--set", "loss=ghostloss"))
    assert "unknown loss 'ghostloss'" in line and "plugin 'ghost' may provide it" in line


# --------------------------------------------------------------------------- hooks that raise


def test_model_of_a_plugin_whose_hook_raised_names_the_plugin() -> None:
    broken = make_plugin("broken", generators=ValueError("bad\nweights"),
                         models=[("brokengan", model_entry(generator="brokengen"))])
    cat = load_catalog(extra_plugins=[("broken", broken), healthy()])
    assert cat.plugins["broken"].error == (
        "hook ganzoo_register_generators raised ValueError: bad weights")
    assert "brokengan" not in cat.models
    for args in (("run", "brokengan", "--steps", "1"), ("info", "brokengan")):
        line = error_line(invoke(cat, *args))
        assert line == ("error: model 'brokengan' comes from plugin 'broken', which is broken: "
                        "hook ganzoo_register_generators raised ValueError: bad weights; fix "
                        "or reinstall that plugin (`ganzoo plugins` shows its state)")
    with pytest.raises(PluginError, match="plugin 'broken'"):
        registry.get(cat, "brokengan")
    listed = invoke(cat, "list")
    assert "warning: model 'brokengan' is unusable: its plugin 'broken' is broken" in (
        listed.stderr)
    assert json.loads(invoke(cat, "list", "--json").stdout)["broken"] == {
        "brokengan": "broken"}
    assert_healthy_still_works(cat)


def test_every_failing_hook_is_reported() -> None:
    broken = make_plugin("broken", losses=KeyError("x"), penalties=TypeError("y"))
    cat = load_catalog(extra_plugins=[("broken", broken)])
    error = cat.plugins["broken"].error
    assert "hook ganzoo_register_losses raised KeyError: 'x'" in error
    assert "hook ganzoo_register_penalties raised TypeError: y" in error
    assert "\n" not in error


def test_healthy_model_using_a_component_of_a_broken_plugin() -> None:
    broken = make_plugin("broken", generators=[("sharedgen", _factory)],
                         losses=RuntimeError("no"))
    user = make_plugin("user", models=[("usergan", model_entry(generator="sharedgen"))])
    cat = load_catalog(extra_plugins=[("broken", broken), ("user", user), healthy()])
    assert cat.plugins["user"].error is None
    line = error_line(invoke(cat, "run", "usergan"))
    assert line.startswith("error: generator 'sharedgen' comes from plugin 'broken', which is "
                           "broken: hook ganzoo_register_losses raised RuntimeError: no")
    assert_healthy_still_works(cat)


def test_registering_a_name_twice_breaks_the_plugin() -> None:
    twice = make_plugin("twice", losses=[("same", _factory), ("same", _factory)])
    cat = load_catalog(extra_plugins=[("twice", twice), healthy()])
    assert cat.plugins["twice"].error == (
        "hook ganzoo_register_losses raised ValueError: loss 'same' is registered twice")
    assert "same" not in cat.components["loss"]
    assert_healthy_still_works(cat)


def test_unknown_register_argument_is_named() -> None:
    sloppy = make_plugin("sloppy", models=[("m", model_entry(), {"sauce": 1})])
    cat = load_catalog(extra_plugins=[("sloppy", sloppy), healthy()])
    assert cat.plugins["sloppy"].error == (
        "hook ganzoo_register_models raised TypeError: model 'm': unknown register() "
        "arguments ['sauce'] (allowed: replace, source)")
    assert_healthy_still_works(cat)


def test_second_argument_may_be_given_by_its_documented_name() -> None:
    class ByKeyword:
        GANZOO_API = 1

        @hookimpl
        def ganzoo_register_models(self, register: Any) -> None:
            register(name="kwgan", entry=model_entry())

        @hookimpl
        def ganzoo_register_datasets(self, register: Any) -> None:
            register("kwdata", loader=lambda split: None, description="d")

        @hookimpl
        def ganzoo_register_losses(self, register: Any) -> None:
            register(name="kwloss", factory=_factory)

    cat = load_catalog(extra_plugins=[("kw", ByKeyword())])
    assert cat.plugins["kw"].error is None
    assert cat.models["kwgan"][1] == "kw"
    assert cat.get("dataset", "kwdata").description == "d"
    assert cat.get("loss", "kwloss").factory is _factory


def test_api_mismatch_is_a_clear_error_in_listings() -> None:
    future = make_plugin("future", api=2, models=[("futuregan", model_entry())])
    cat = load_catalog(extra_plugins=[("future", future), healthy()])
    shown = invoke(cat, "plugins").stdout
    assert "future  (?)  API 2\n  module: future\n  BROKEN: incompatible: needs ganzoo " \
           "plugin API 2, but this ganzoo" in shown
    line = error_line(invoke(cat, "run", "futuregan"))
    assert "plugin 'future' may provide it but is broken: incompatible: needs ganzoo plugin " \
           "API 2" in line
    assert_healthy_still_works(cat)


def test_dataset_of_a_plugin_that_fails_or_returns_junk() -> None:
    plugin = make_plugin("shoddy", datasets=[("junk", lambda split: [1, 2, 3]),
                                             ("crash", lambda split: 1 / 0)])
    cat = load_catalog(extra_plugins=[("shoddy", plugin), healthy()])
    line = error_line(invoke(cat, "run", "dcgan", "--dataset", "junk"))
    assert line == ("error: dataset 'junk' from plugin 'shoddy' returned list, expected "
                    "ganzoo.plugin.ImageData")
    line = error_line(invoke(cat, "run", "dcgan", "--dataset", "crash"))
    assert line == ("error: dataset 'crash' from plugin 'shoddy' failed to load: "
                    "ZeroDivisionError: division by zero")
    assert_healthy_still_works(cat)


def test_visualizer_that_is_not_callable_is_refused() -> None:
    from ganzoo.engine.builder import build_visualizers

    plugin = make_plugin("vis", visualizers=[("flat", lambda ctx: "a string"),
                                             ("boom", lambda ctx: [][0])])
    cat = load_catalog(extra_plugins=[("vis", plugin)])
    with pytest.raises(PluginError, match="visualizer 'flat' from plugin 'vis' returned str, "
                                          "expected a callable"):
        build_visualizers(cat, ["grid", "flat"])
    with pytest.raises(PluginError, match="visualizer 'boom' from plugin 'vis' failed to "
                                          "build: IndexError: list index out of range"):
        build_visualizers(cat, ["boom"])
    assert [n for n, _ in build_visualizers(cat, ["grid", "losses"])] == ["grid", "losses"]


# --------------------------------------------------------------------------- clashes


def test_clash_warnings_are_printed_by_every_command() -> None:
    alpha = make_plugin("alpha", losses=[("shared", _factory)])
    zeta = make_plugin("zeta", losses=[("shared", _factory), ("nsgan", _factory)])
    quiet = make_plugin("quiet", losses=[("hinge", _factory, {"replace": True})])
    cat = load_catalog(extra_plugins=[("zeta", zeta), ("alpha", alpha), ("quiet", quiet)])
    result = invoke(cat, "list")
    assert result.exit_code == 0
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert warnings == [
        "warning: loss 'shared' is provided by plugins 'alpha' and 'zeta'; using 'alpha' "
        "(first in alphabetical order); block one with GANZOO_BLOCK_PLUGINS",
        "warning: plugin 'zeta' replaces the built-in loss 'nsgan'; if that is intended, "
        "register it with replace=True to silence this warning",
    ]
    assert cat.get("loss", "hinge").plugin == "quiet"
    data = json.loads(invoke(cat, "plugins", "--json").stdout)
    assert len(data["warnings"]) == 2
    provides = {p["name"]: p["provides"] for p in data["plugins"]}
    assert provides["zeta"] == {"loss": ["nsgan"]}
    assert "nsgan" not in provides["builtin"]["loss"]


def test_same_plugin_name_from_two_distributions(monkeypatch: pytest.MonkeyPatch,
                                                 module_dir: Path) -> None:
    _write_module(module_dir, "ganzoo_t_twin", "GANZOO_API = 1\n")
    dists = []
    for dist_name in ("ganzoo-twin-a", "ganzoo-twin-b"):
        info = module_dir / f"{dist_name.replace('-', '_')}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist_name}\n"
                                       f"Version: 1.0\n")
        (info / "entry_points.txt").write_text("[ganzoo]\ntwin = ganzoo_t_twin\n")
        dists.append(metadata.PathDistribution(info))
    eps = [ep for d in dists for ep in d.entry_points]
    monkeypatch.delenv("GANZOO_PLUGINS", raising=False)
    real = [ep for ep in metadata.entry_points(group="ganzoo") if ep.name == "builtin"]
    monkeypatch.setattr(host.metadata, "entry_points", lambda group: [*real, *eps])
    cat = load_catalog()
    assert cat.plugins["twin"].error == (
        "the distributions 'ganzoo-twin-a' and 'ganzoo-twin-b' both define the plugin name "
        "'twin'; uninstall one of them")
    assert "dcgan" in cat.models


# --------------------------------------------------------------------------- environment


def test_blocked_plugin_is_never_imported(monkeypatch: pytest.MonkeyPatch,
                                          module_dir: Path) -> None:
    _write_module(module_dir, "ganzoo_t_blocked", "raise AssertionError('imported')\n")
    _write_module(module_dir, "ganzoo_t_other", "GANZOO_API = 1\n")
    _fake_entry_points(monkeypatch, blocked="ganzoo_t_blocked", other="ganzoo_t_other")
    monkeypatch.setenv("GANZOO_BLOCK_PLUGINS", "blocked,nosuch")
    cat = load_catalog()
    assert "ganzoo_t_blocked" not in sys.modules
    assert "blocked" not in cat.plugins
    assert cat.skipped["blocked"].skipped == "blocked by GANZOO_BLOCK_PLUGINS"
    assert cat.plugins["other"].error is None
    assert cat.warnings == ["GANZOO_BLOCK_PLUGINS names 'nosuch', which is not an installed "
                            "plugin (installed: blocked, builtin, other)"]
    out = invoke(cat, "plugins").stdout
    assert "blocked  (?)\n  module: ganzoo_t_blocked\n  NOT LOADED: blocked by " \
           "GANZOO_BLOCK_PLUGINS" in out
    status = {p["name"]: p["status"] for p in json.loads(
        invoke(cat, "plugins", "--json").stdout)["plugins"]}
    assert status == {"builtin": "ok", "other": "ok", "blocked": "skipped"}


def test_only_named_plugins_are_imported(monkeypatch: pytest.MonkeyPatch,
                                         module_dir: Path) -> None:
    _write_module(module_dir, "ganzoo_t_left_out", "raise AssertionError('imported')\n")
    _write_module(module_dir, "ganzoo_t_wanted", "GANZOO_API = 1\n")
    _fake_entry_points(monkeypatch, leftout="ganzoo_t_left_out", wanted="ganzoo_t_wanted")
    monkeypatch.setenv("GANZOO_PLUGINS", "wanted")
    cat = load_catalog()
    assert set(cat.plugins) == {"builtin", "wanted"}
    assert cat.skipped["leftout"].skipped == "not listed in GANZOO_PLUGINS"
    assert "ganzoo_t_left_out" not in sys.modules


def test_no_third_party_plugins(monkeypatch: pytest.MonkeyPatch, module_dir: Path) -> None:
    _write_module(module_dir, "ganzoo_t_third", "raise AssertionError('imported')\n")
    _fake_entry_points(monkeypatch, third="ganzoo_t_third")
    monkeypatch.setenv("GANZOO_PLUGINS", "none")
    cat = load_catalog()
    assert set(cat.plugins) == {"builtin"}
    assert cat.skipped["third"].skipped == "not loaded: GANZOO_PLUGINS=none"
    assert cat.warnings == []
    assert "ganzoo_t_third" not in sys.modules
    line = error_line(invoke(cat, "run", "thirdgan"))
    assert line.endswith("; plugin 'third' is installed but not loaded: GANZOO_PLUGINS=none "
                         "(see `ganzoo plugins`)")


def test_the_test_suite_itself_runs_without_third_party_plugins() -> None:
    assert os.environ["GANZOO_PLUGINS"] == "none"


# --------------------------------------------------------------------------- cheap discovery


def _installed(site: Path, dist: str, plugin: str, module: str, source: str) -> None:
    """A distribution installed into `site` as pip would leave it (dist-info + module)."""
    info = site / f"{dist.replace('-', '_')}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[ganzoo]\n{plugin} = {module}\n")
    (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")


def test_plugin_that_imports_tensorflow_when_loaded_is_flagged(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _installed(site, "ganzoo-heavy", "heavy", "ganzoo_heavy", """
        import tensorflow  # the mistake: every ganzoo command now pays for it
        GANZOO_API = 1
    """)
    _installed(site, "ganzoo-light", "light", "ganzoo_light", "GANZOO_API = 1\n")
    # a stand-in, so that the test checks the detection without paying for TensorFlow
    (site / "tensorflow.py").write_text("STAND_IN = True\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GANZOO_")}
    env.update(PYTHONPATH=f"{site}{os.pathsep}{REPO}", GANZOO_OFFLINE="1")
    proc = subprocess.run([sys.executable, "-c", "from ganzoo.cli.app import main; "
                           "main(['plugins', '--json'])"], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    plugins = {p["name"]: p for p in json.loads(proc.stdout)["plugins"]}
    assert plugins["heavy"]["warnings"] == [
        "importing it imported tensorflow, which slows down every ganzoo command (even "
        "`ganzoo list`); import them inside factories instead"]
    assert plugins["heavy"]["status"] == "ok"
    assert plugins["light"]["warnings"] == [] and plugins["builtin"]["warnings"] == []


# --------------------------------------------------------------------------- build time (TF)


def _networks(bad: str) -> dict[str, Any]:
    """Factories for a plugin whose generator or discriminator is wrong in one way."""

    def generator(ctx: Any) -> Any:
        import keras

        if bad == "generator-kind":
            return "not a model"
        if bad == "generator-raises":
            raise ValueError("layer sizes\ndo not match")
        z = keras.Input((ctx.latent_dim,))
        side = 14 if bad == "generator-shape" else 28
        x = keras.layers.Dense(side * side)(z)
        return keras.Model(z, keras.layers.Reshape((side, side, 1))(x))

    def discriminator(ctx: Any) -> Any:
        import keras

        image = keras.Input(ctx.image_shape)
        x = keras.layers.Flatten()(image)
        width = 3 if bad == "discriminator-shape" else 1
        return keras.Model(image, {"logits": keras.layers.Dense(width)(x)})

    class NoMethods:
        pass

    return {"generator": generator, "discriminator": discriminator,
            "loss": (lambda ctx: NoMethods()) if bad == "loss-kind" else None}


@pytest.mark.tf
@pytest.mark.parametrize(("bad", "message"), [
    ("generator-kind", "generator 'wonky' from plugin 'wonky' returned str, expected a "
                       "keras.Model"),
    ("generator-raises", "generator 'wonky' from plugin 'wonky' failed to build: ValueError: "
                         "layer sizes do not match"),
    ("generator-shape", "generator 'wonky' from plugin 'wonky' makes images of shape "
                        "(14, 14, 1), but the data set's images are (28, 28, 1)"),
    ("discriminator-shape", "discriminator 'wonky' from plugin 'wonky' must return logits of "
                            "shape (batch, 1)"),
    ("loss-kind", "loss 'wonkyloss' from plugin 'wonky' has no discriminator_loss() method"),
])
def test_component_that_builds_the_wrong_thing(bad: str, message: str) -> None:
    import ganzoo

    parts = _networks(bad)
    losses = [("wonkyloss", parts["loss"])] if parts["loss"] else []
    wonky = make_plugin("wonky", generators=[("wonky", parts["generator"])],
                        discriminators=[("wonky", parts["discriminator"])], losses=losses,
                        models=[("wonkygan", model_entry(
                            generator="wonky", components={
                                "generator": "wonky", "discriminator": "wonky",
                                "loss": "wonkyloss" if losses else "nsgan"}))])
    cat = load_catalog(extra_plugins=[("wonky", wonky), healthy()])
    assert cat.plugins["wonky"].error is None  # only building shows the fault
    with pytest.raises(PluginError) as caught:
        ganzoo.build("wonkygan", overrides={"ema": 0.0}, cat=cat)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert_healthy_still_works(cat)


@pytest.mark.tf
def test_wrong_shape_through_the_cli_and_others_still_build(tmp_path: Path) -> None:
    import ganzoo

    parts = _networks("generator-shape")
    wonky = make_plugin("wonky", generators=[("wonky", parts["generator"])],
                        models=[("wonkygan", model_entry(generator="wonky"))])
    cat = load_catalog(extra_plugins=[("wonky", wonky), healthy()])
    np.save(tmp_path / "tiny.npy", np.zeros((16, 28, 28, 1), np.uint8))
    result = invoke(cat, "run", "wonkygan", "--dataset", str(tmp_path / "tiny.npy"),
                    "--steps", "1", "--batch-size", "8", "--out", "w")
    assert result.exit_code == 2 and "Traceback" not in result.output
    line = result.stderr.strip().splitlines()[-1]  # after the run's opening lines
    assert line == ("error: generator 'wonky' from plugin 'wonky' makes images of shape "
                    "(14, 14, 1), but the data set's images are (28, 28, 1)")
    gan = ganzoo.build("okgan", overrides={"ema": 0.0, "g_filters": 4, "d_filters": 4},
                       cat=cat)
    assert tuple(gan.generator.output.shape) == (None, 28, 28, 1)


@pytest.mark.tf
def test_visualizer_that_raises_during_training_is_switched_off(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import ganzoo

    calls: list[int] = []

    def build_flaky(ctx: Any) -> Any:
        def flaky(run: Any) -> list[Path]:
            calls.append(run.epoch)
            raise OSError("disk\nfull")

        return flaky

    plugin = make_plugin("flaky", visualizers=[("flaky", build_flaky)])
    cat = load_catalog(extra_plugins=[("flaky", plugin)])
    np.save(tmp_path / "tiny.npy", np.zeros((16, 28, 28, 1), np.uint8))
    result = ganzoo.train("dcgan", dataset=str(tmp_path / "tiny.npy"), steps=2, batch_size=8,
                          out=tmp_path / "run", verbose=0, cat=cat,
                          overrides={"visualizers": "grid,flaky", "g_filters": 4,
                                     "d_filters": 4})
    assert result.steps == 2 and result.export_path is not None
    assert calls == [1]  # switched off after its first failure
    assert (tmp_path / "run" / "grid.png").is_file()  # the other visualizer kept going
    err = capsys.readouterr().err
    assert ("warning: visualizer 'flaky' from plugin 'flaky' failed and is switched off for "
            "this run: OSError: disk full") in err


def test_sampling_a_run_of_a_broken_plugin_names_it(tmp_path: Path) -> None:
    from ganzoo.artifacts import sampling
    from ganzoo.errors import WeightsError

    broken = make_plugin("broken", generators=[("brokengen", _factory)],
                         losses=RuntimeError("no"))
    cat = load_catalog(extra_plugins=[("broken", broken)])
    meta = types.SimpleNamespace(model="brokengan", config={"generator": "brokengen",
                                                            "discriminator": "dcgan"})
    with pytest.raises(PluginError, match="generator 'brokengen' comes from plugin 'broken', "
                                          "which is broken: hook ganzoo_register_losses"):
        sampling._check_catalog(cat, meta, tmp_path / "x.weights.h5")
    meta.config["generator"] = "othergen"
    with pytest.raises(WeightsError, match=r"needs generator 'othergen', which no installed "
                                           r"plugin provides .*plugin 'broken' may provide it"):
        sampling._check_catalog(cat, meta, tmp_path / "x.weights.h5")


def test_broken_plugin_cannot_be_used_by_python_api() -> None:
    broken = make_plugin("broken", models=[("brokengan", model_entry())],
                         losses=RuntimeError("no"))
    cat = load_catalog(extra_plugins=[("broken", broken)])
    import ganzoo

    with pytest.raises(PluginError, match="model 'brokengan' comes from plugin 'broken'"):
        ganzoo.train("brokengan", steps=1, cat=cat)
    with pytest.raises(ConfigError, match="unknown model 'nothing'"):
        ganzoo.train("nothing", steps=1, cat=cat)


# --------------------------------------------------------------------------- hooks never called


def test_misspelled_hook_is_a_warning_with_the_closest_hook() -> None:
    typo = make_plugin("typo", losses=[("typoloss", _factory)])

    @hookimpl
    def ganzoo_register_loss(register: Any) -> None:  # the typo: losses
        register("myloss", _factory)

    typo.ganzoo_register_loss = ganzoo_register_loss
    cat = load_catalog(extra_plugins=[("typo", typo), healthy()])
    record = cat.plugins["typo"]
    assert record.error is None and record.hooks == ["ganzoo_register_losses"]
    warning = ("implements ganzoo_register_loss, which is not a ganzoo hook (did you mean "
               "ganzoo_register_losses?); ganzoo never calls it")
    assert record.warnings == [warning]
    data = json.loads(invoke(cat, "plugins", "--json").stdout)
    row = next(p for p in data["plugins"] if p["name"] == "typo")
    assert row["status"] == "ok" and row["warnings"] == [warning]
    assert "ganzoo_register_loss" not in row["hooks"]
    shown = invoke(cat, "plugins").stdout
    assert f"typo  (?)  API 1\n  module: typo\n  WARNING: {warning}\n  hooks: " \
           "ganzoo_register_losses\n" in shown
    # what the misspelled hook would have registered: its error points at the typo
    line = error_line(invoke(cat, "run", "dcgan", "--set", "loss=myloss"))
    assert line.startswith("error: unknown loss 'myloss'")
    assert f"plugin 'typo' {warning} (see `ganzoo plugins`)" in line
    assert cat.plugins["healthy"].warnings == [] and cat.hook_problems == {"typo": [warning]}
    assert_healthy_still_works(cat)


def test_hook_without_hookimpl_and_unknown_hooks_are_warnings() -> None:
    class Sloppy:
        GANZOO_API = 1

        def ganzoo_register_penalties(self, register: Any) -> None:  # no @hookimpl
            register("mypen", _factory)

        def ganzoo_register_visualiser(self, register: Any) -> None:  # both mistakes
            register("myvis", _factory)

        def ganzoo_helper(self) -> None:  # not hook-like: no warning
            pass

        @hookimpl
        def ganzoo_provide_schedules(self, register: Any) -> None:  # a hook of no ganzoo
            pass

    cat = load_catalog(extra_plugins=[("sloppy", Sloppy())])
    assert cat.plugins["sloppy"].error is None and cat.plugins["sloppy"].hooks == []
    assert cat.plugins["sloppy"].warnings == [
        "implements ganzoo_provide_schedules, which is not a ganzoo hook; ganzoo never "
        "calls it",
        "defines ganzoo_register_penalties without @hookimpl, so ganzoo never calls it; "
        "decorate it with @hookimpl (from ganzoo.plugin import hookimpl)",
        "defines ganzoo_register_visualiser (did you mean ganzoo_register_visualizers?) "
        "without @hookimpl, so ganzoo never calls it; decorate it with @hookimpl (from "
        "ganzoo.plugin import hookimpl)",
    ]
    assert "mypen" not in cat.components["penalty"]


def test_builtin_plugin_has_no_hook_warnings(catalog: Catalog) -> None:
    assert catalog.plugins["builtin"].warnings == [] and catalog.hook_problems == {}


# --------------------------------------------------------------------------- missing components


def test_entry_naming_a_missing_component_is_listed_as_unusable() -> None:
    shop = make_plugin("shop", models=[
        ("typogan", model_entry(components={"generator": "dcgan", "discriminator": "dcgan",
                                            "loss": "hinje"})),
        ("goodgan", model_entry())])
    cat = load_catalog(extra_plugins=[("shop", shop)])
    why = ("plugin 'shop': model 'typogan': field 'components.loss': no loss named 'hinje' "
           "(did you mean 'hinge'?) is registered (known: ")
    assert cat.invalid_models["typogan"].startswith(why)
    assert "goodgan" not in cat.invalid_models
    listed = invoke(cat, "list")
    assert listed.exit_code == 0
    assert f"warning: model 'typogan' is unusable: {why}" in listed.stderr
    assert json.loads(invoke(cat, "list", "--json").stdout)["invalid"]["typogan"] == (
        cat.invalid_models["typogan"])
    line = error_line(invoke(cat, "run", "typogan"))
    assert line == f"error: {cat.invalid_models['typogan']}"
    assert line.endswith("is the plugin that provides it installed?")


def test_entry_using_a_component_of_a_broken_plugin_is_listed_as_unusable() -> None:
    broken = make_plugin("broken", generators=[("sharedgen", _factory)],
                         losses=RuntimeError("no"))
    user = make_plugin("user", models=[("usergan", model_entry(generator="sharedgen"))])
    cat = load_catalog(extra_plugins=[("broken", broken), ("user", user)])
    listed = invoke(cat, "list")
    assert ("warning: model 'usergan' is unusable: generator 'sharedgen' comes from plugin "
            "'broken', which is broken: hook ganzoo_register_losses raised RuntimeError: "
            "no") in listed.stderr


# --------------------------------------------------------------------------- sampling


def _plugin_loss(ctx: Any) -> Any:
    from keras import ops

    class Softplus:
        def discriminator_loss(self, real: Any, fake: Any) -> Any:
            return ops.mean(ops.softplus(-real["logits"])) + ops.mean(
                ops.softplus(fake["logits"]))

        def generator_loss(self, real: Any, fake: Any) -> Any:
            return ops.mean(ops.softplus(-fake["logits"]))

    return Softplus()


def _trainer_plugin() -> types.ModuleType:
    return make_plugin("mygan", losses=[("myloss", _plugin_loss, {"params": {
        "myloss_gamma": 1.5}})])


def _stored(meta_config: dict[str, Any]) -> types.SimpleNamespace:
    from ganzoo.zoo.config import resolve

    entry = model_entry(components={"generator": "dcgan", "discriminator": "dcgan",
                                    "loss": "myloss", "visualizers": ["grid"]})
    with_plugin = load_catalog(extra_plugins=[("mygan", _trainer_plugin())])
    config = resolve(entry, with_plugin, meta_config)
    return types.SimpleNamespace(model="mygan", entry=entry, config=config)


def test_sampling_checks_only_the_components_it_builds(tmp_path: Path) -> None:
    from ganzoo.artifacts import sampling
    from ganzoo.errors import WeightsError

    meta = _stored({"myloss_gamma": 2.0, "g_filters": 16})
    gone = load_catalog()  # the plugin that gave the loss is uninstalled
    sampling._check_catalog(gone, meta, tmp_path / "x.weights.h5", sampling.SAMPLE_SLOTS)
    sampling._check_catalog(gone, meta, tmp_path / "x.weights.h5", sampling.EXPORT_SLOTS)
    assert meta.config["myloss_gamma"] == 2.0 and meta.config["g_filters"] == 16
    with pytest.raises(WeightsError, match=r"x: needs loss 'myloss', which no installed plugin "
                                           r"provides \(model 'mygan'\); its checkpoint holds "
                                           r"the whole GAN"):
        sampling._check_catalog(gone, meta, tmp_path / "x", sampling.CHECKPOINT_SLOTS)
    # what the networks read is still type-checked
    meta.config["g_filters"] = "many"
    with pytest.raises(WeightsError, match="stored config of model 'mygan' is not valid here: "
                                           "--set g_filters=many: expected an integer"):
        sampling._check_catalog(gone, meta, tmp_path / "x", sampling.SAMPLE_SLOTS)
    # a discriminator nobody provides stops an export, not sampling
    meta = _stored({})
    meta.config["discriminator"] = "gonedisc"
    sampling._check_catalog(gone, meta, tmp_path / "x", sampling.SAMPLE_SLOTS)
    with pytest.raises(WeightsError, match="needs discriminator 'gonedisc'"):
        sampling._check_catalog(gone, meta, tmp_path / "x", sampling.EXPORT_SLOTS)


@pytest.mark.tf
def test_run_of_an_uninstalled_plugin_loss_can_still_be_sampled(tmp_path: Path) -> None:
    import ganzoo

    np.save(tmp_path / "tiny.npy", np.zeros((16, 28, 28, 1), np.uint8))
    cat = load_catalog(extra_plugins=[("mygan", _trainer_plugin())])
    ganzoo.train("dcgan", dataset=str(tmp_path / "tiny.npy"), steps=2, batch_size=8,
                 out=tmp_path / "run", verbose=0, cat=cat,
                 overrides={"loss": "myloss", "g_filters": 4, "d_filters": 4,
                            "visualizers": "", "ema": 0.0})
    gone = load_catalog()
    result = invoke(gone, "sample", str(tmp_path / "run"), "--n", "4", "--out", "s.png")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "s.png").is_file()
    loaded = ganzoo.load(tmp_path / "run" / "dcgan.weights.h5", cat=gone)
    assert loaded.discriminator is None and loaded.meta.config["myloss_gamma"] == 1.5
    # exporting again from the run reads its checkpoint, which needs the loss
    line = error_line(invoke(gone, "export", str(tmp_path / "run"), "--out", "again.weights.h5"))
    assert "needs loss 'myloss', which no installed plugin provides" in line
    assert "its checkpoint holds the whole GAN" in line
