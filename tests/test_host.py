"""The plugin host: discovery, the clash rule, broken plugins, environment switches."""

from __future__ import annotations

import inspect
import sys
import types
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

import ganzoo
from ganzoo.contract import hookspecs
from ganzoo.contract.hookspecs import hookimpl
from ganzoo.errors import ConfigError
from ganzoo.zoo import host, registry
from ganzoo.zoo.components import KINDS, Catalog
from ganzoo.zoo.config import resolve
from ganzoo.zoo.host import build_plugin_manager, load_catalog
from ganzoo_plugins import losses as builtin_losses

BUILTIN_HOOKS = {
    "ganzoo_register_generators",
    "ganzoo_register_discriminators",
    "ganzoo_register_losses",
    "ganzoo_register_visualizers",
    "ganzoo_register_datasets",
    "ganzoo_register_metrics",
    "ganzoo_register_augmentations",
    "ganzoo_register_models",
}
SHIPPED_REGISTRY = Path(__file__).resolve().parent.parent / "registry.json"
BUILTIN_LOSSES = sorted(builtin_losses.LOSSES)  # nsgan, hinge, ... as the plugin defines


def _factory(ctx: Any) -> None:
    return None


def plugin(**hooks: Any) -> types.SimpleNamespace:
    """A plugin object: plugin(losses=[("name", factory), ...], models=[...], ...).

    A value may also be an exception instance, which the hook raises.
    """
    ns = types.SimpleNamespace()
    for short, items in hooks.items():
        if short == "api":
            ns.GANZOO_API = items
            continue

        def impl(register: Any, items: Any = items) -> None:
            if isinstance(items, BaseException):
                raise items
            for name, *rest in items:
                register(name, *rest[:1], **(rest[1] if len(rest) > 1 else {}))

        hook_name = f"ganzoo_register_{short}"
        impl.__name__ = impl.__qualname__ = hook_name  # pluggy passes only `register`
        setattr(ns, hook_name, hookimpl(impl))
    return ns


# --------------------------------------------------------------------------- discovery


def test_builtin_is_found_through_the_entry_point_group() -> None:
    eps = [ep for ep in metadata.entry_points(group="ganzoo") if ep.name == "builtin"]
    assert len(eps) == 1
    assert eps[0].value == "ganzoo_plugins.builtin"
    assert eps[0].dist is not None and eps[0].dist.metadata["Name"] == "ganzoo"

    _, records = build_plugin_manager()
    record = records["builtin"]
    assert record.builtin is True
    assert record.distribution == "ganzoo"
    assert record.version == ganzoo.__version__
    assert record.error is None
    assert set(record.hooks) >= BUILTIN_HOOKS
    assert set(record.hooks) <= BUILTIN_HOOKS | {"ganzoo_register_penalties"}


def test_builtin_comes_only_through_its_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    """No special path for the built-ins: without the entry point (ganzoo not installed)
    there are none, and the catalog says how to install ganzoo."""
    monkeypatch.setattr(host.metadata, "entry_points", lambda group: [])
    cat = load_catalog()
    assert "builtin" not in cat.plugins and not cat.models
    assert any("pip install -e ." in w for w in cat.warnings)


def test_every_component_knows_its_plugin(catalog: Catalog) -> None:
    builtin = catalog.plugins["builtin"]
    for kind in KINDS:
        for name, component in catalog.components[kind].items():
            assert component.plugin == "builtin"
            assert (component.kind, component.name) == (kind, name)
            assert callable(component.factory)
            assert component.description
        assert sorted(builtin.provides.get(kind, [])) == catalog.names(kind)
    assert sorted(builtin.provides["model"]) == sorted(registry.read_file(SHIPPED_REGISTRY))
    assert catalog.names("loss") == BUILTIN_LOSSES
    assert {"nsgan", "hinge", "lsgan", "wasserstein"} <= set(BUILTIN_LOSSES)
    assert "dcgan" in catalog.names("generator")
    assert "fashion-mnist-10k" in catalog.names("dataset")
    assert catalog.warnings == []


def test_hook_names_all_start_with_ganzoo() -> None:
    specs = [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
             if hasattr(fn, "ganzoo_spec")]
    assert len(specs) == 9
    assert all(name.startswith("ganzoo_") for name in specs)
    assert set(host._KIND_HOOKS.values()) | {"ganzoo_register_models"} == set(specs)
    pm, _ = build_plugin_manager()
    assert all(name.startswith("ganzoo_") for name in vars(pm.hook))


# --------------------------------------------------------------------------- third parties


def test_third_party_loss_replaces_builtin() -> None:
    mine = plugin(losses=[("nsgan", _factory, {"description": "my nsgan"})])
    cat = load_catalog(extra_plugins=[("thirdparty", mine)])
    component = cat.get("loss", "nsgan")
    assert component.plugin == "thirdparty"
    assert component.factory is _factory
    assert component.description == "my nsgan"
    assert cat.get("loss", "hinge").plugin == "builtin"
    assert cat.warnings == [
        "plugin 'thirdparty' replaces the built-in loss 'nsgan'; if that is intended, "
        "register it with replace=True to silence this warning"]
    assert "nsgan" not in cat.plugins["builtin"].provides["loss"]
    record = cat.plugins["thirdparty"]
    assert (record.builtin, record.error, record.hooks) == (
        False, None, ["ganzoo_register_losses"])
    assert record.provides == {"loss": ["nsgan"]}
    entry, _, _ = registry.get(cat, "dcgan")  # the model now uses the replacement
    assert resolve(entry, cat)["loss"] == "nsgan"


def test_deliberate_replacement_with_replace_true_is_silent(make_entry: Any) -> None:
    mine = plugin(losses=[("nsgan", _factory, {"replace": True})],
                  models=[("dcgan", make_entry(description="mine"), {"replace": True})])
    cat = load_catalog(extra_plugins=[("thirdparty", mine)])
    assert cat.get("loss", "nsgan").plugin == "thirdparty"
    assert registry.get(cat, "dcgan")[1] == "thirdparty"
    assert cat.warnings == []
    assert cat.plugins["thirdparty"].provides == {"loss": ["nsgan"], "model": ["dcgan"]}


def test_replace_true_does_not_beat_an_earlier_third_party() -> None:
    alpha = plugin(losses=[("custom", _factory)])
    zeta = plugin(losses=[("custom", _factory, {"replace": True})])
    cat = load_catalog(extra_plugins=[("zeta", zeta), ("alpha", alpha)])
    assert cat.get("loss", "custom").plugin == "alpha"
    assert len(cat.warnings) == 1 and "using 'alpha'" in cat.warnings[0]


def test_third_party_components_and_params() -> None:
    mine = plugin(
        penalties=[("r1", _factory, {"params": {"r1_gamma": 10.0}, "info": {"x": 1}})],
    )
    cat = load_catalog(extra_plugins=[("acme", mine)])
    component = cat.get("penalty", "r1")
    assert (component.plugin, dict(component.params), dict(component.info)) == (
        "acme", {"r1_gamma": 10.0}, {"x": 1})
    entry, _, _ = registry.get(cat, "dcgan")
    assert resolve(entry, cat, {"penalties": "r1"})["r1_gamma"] == 10.0


def test_two_third_parties_same_name_first_alphabetical_wins() -> None:
    zeta = plugin(losses=[("custom", _factory, {"description": "zeta's"})])
    alpha = plugin(losses=[("custom", _factory, {"description": "alpha's"})])
    cat = load_catalog(extra_plugins=[("zeta", zeta), ("alpha", alpha)])
    assert cat.get("loss", "custom").plugin == "alpha"
    assert cat.get("loss", "custom").description == "alpha's"
    assert len(cat.warnings) == 1
    warning = cat.warnings[0]
    assert "'alpha'" in warning and "'zeta'" in warning and "custom" in warning
    assert "using 'alpha'" in warning
    assert cat.plugins["zeta"].error is None


def test_two_third_parties_same_model_first_alphabetical_wins(make_entry: Any) -> None:
    zeta = plugin(models=[("mygan", make_entry(description="zeta's"))])
    alpha = plugin(models=[("mygan", make_entry(description="alpha's"))])
    cat = load_catalog(extra_plugins=[("zeta", zeta), ("alpha", alpha)])
    entry, owner, _ = registry.get(cat, "mygan")
    assert (owner, entry["description"]) == ("alpha", "alpha's")
    assert any("'alpha'" in w and "'zeta'" in w and "mygan" in w for w in cat.warnings)


def test_third_party_model_replaces_builtin_model(make_entry: Any) -> None:
    mine = plugin(models=[("dcgan", make_entry(description="mine"))])
    cat = load_catalog(extra_plugins=[("acme", mine)])
    entry, owner, where = registry.get(cat, "dcgan")
    assert (owner, entry["description"]) == ("acme", "mine")
    assert where == "plugin 'acme': model 'dcgan': "
    assert cat.warnings == ["plugin 'acme' replaces the built-in model 'dcgan'; if that is "
                            "intended, register it with replace=True to silence this warning"]
    assert "dcgan" not in cat.plugins["builtin"].provides.get("model", [])


def test_third_party_invalid_model_is_recorded(make_entry: Any) -> None:
    mine = plugin(models=[("badgan", make_entry(description=""))])
    cat = load_catalog(extra_plugins=[("acme", mine)])
    assert cat.invalid_models["badgan"].startswith(
        "plugin 'acme': model 'badgan': field 'description'")
    assert cat.plugins["acme"].error is None
    with pytest.raises(ConfigError, match="field 'description'"):
        registry.get(cat, "badgan")


# --------------------------------------------------------------------------- broken plugins


def _assert_builtins_intact(cat: Catalog) -> None:
    fresh = load_catalog()
    for kind in KINDS:
        assert cat.names(kind) == fresh.names(kind), kind
        for name in fresh.names(kind):
            assert cat.get(kind, name).plugin == "builtin"
    entry, owner, where = registry.get(cat, "dcgan")
    assert owner == "builtin"
    assert resolve(entry, cat, entry_where=where)["loss"] == "nsgan"


def test_hook_that_raises_is_reported_and_builtins_still_work() -> None:
    broken = plugin(
        generators=[("othergen", _factory)],
        losses=ValueError("kaput"),
    )
    cat = load_catalog(extra_plugins=[("broken", broken)])
    record = cat.plugins["broken"]
    assert record.error == "hook ganzoo_register_losses raised ValueError: kaput"
    # what it registered before failing is dropped, so a half plugin is never used
    assert "othergen" not in cat.components["generator"]
    assert record.provides == {}
    _assert_builtins_intact(cat)


def test_broken_plugin_does_not_disturb_healthy_third_party() -> None:
    broken = plugin(losses=RuntimeError("no"))
    healthy = plugin(losses=[("extra", _factory)])
    cat = load_catalog(extra_plugins=[("broken", broken), ("healthy", healthy)])
    assert cat.plugins["broken"].error is not None
    assert cat.plugins["healthy"].error is None
    assert cat.get("loss", "extra").plugin == "healthy"


def test_failing_plugin_that_replaced_a_builtin_restores_it() -> None:
    broken = plugin(
        losses=[("nsgan", _factory)],
        datasets=RuntimeError("boom"),  # a later hook fails
    )
    cat = load_catalog(extra_plugins=[("broken", broken)])
    assert cat.plugins["broken"].error == "hook ganzoo_register_datasets raised RuntimeError: boom"
    _assert_builtins_intact(cat)


def test_invalid_registration_after_a_replacement_restores_builtin() -> None:
    broken = plugin(losses=[("nsgan", _factory), ("bad", 42)])
    cat = load_catalog(extra_plugins=[("broken", broken)])
    assert "factory must be callable" in cat.plugins["broken"].error
    _assert_builtins_intact(cat)


@pytest.mark.parametrize(("items", "text"), [
    ([("bad", 42)], "loss 'bad': factory must be callable, got int"),
    ([("bad", None)], "loss 'bad': factory must be callable, got NoneType"),
    ([("", _factory)], "loss names must be non-empty strings"),
    ([(7, _factory)], "loss names must be non-empty strings"),
    ([("bad", _factory, {"colour": "red"})], "unknown register() arguments ['colour']"),
])
def test_bad_registration_is_reported(items: list[Any], text: str) -> None:
    cat = load_catalog(extra_plugins=[("sloppy", plugin(losses=items))])
    error = cat.plugins["sloppy"].error
    assert error is not None
    assert error.startswith("hook ganzoo_register_losses raised TypeError: ")
    assert text in error
    assert "bad" not in cat.components["loss"]
    assert cat.names("loss") == BUILTIN_LOSSES
    _assert_builtins_intact(cat)


def test_api_mismatch_is_reported() -> None:
    future = plugin(api=2, losses=[("future", _factory)])
    cat = load_catalog(extra_plugins=[("future", future)])
    record = cat.plugins["future"]
    assert record.error is not None
    assert record.error == (
        f"incompatible: needs ganzoo plugin API 2, but this ganzoo ({ganzoo.__version__}) "
        f"provides API {hookspecs.API_VERSION}; install a release of the plugin made for "
        f"API {hookspecs.API_VERSION}, or a ganzoo that provides API 2")
    assert record.api == 2
    assert record.hooks == []
    assert "future" not in cat.components["loss"]
    _assert_builtins_intact(cat)


@pytest.mark.parametrize("api", [1, [1, 2], (0, 1)])
def test_matching_api_is_accepted(api: Any) -> None:
    cat = load_catalog(extra_plugins=[("ok", plugin(api=api, losses=[("okloss", _factory)]))])
    assert cat.plugins["ok"].error is None
    assert cat.plugins["ok"].warnings == []
    assert cat.get("loss", "okloss").plugin == "ok"


@pytest.mark.parametrize(("api", "text"), [
    ([2, 3], "needs ganzoo plugin API 2 or 3, but this ganzoo"),
    ("1", "GANZOO_API must be an int or a list of ints (e.g. GANZOO_API = 1), got '1'"),
    ([], "GANZOO_API must be an int or a list of ints"),
    (True, "GANZOO_API must be an int or a list of ints"),
])
def test_bad_or_foreign_api_is_refused(api: Any, text: str) -> None:
    cat = load_catalog(extra_plugins=[("odd", plugin(api=api, losses=[("oddloss", _factory)]))])
    assert cat.plugins["odd"].error.startswith("incompatible: ")
    assert text in cat.plugins["odd"].error
    assert "oddloss" not in cat.components["loss"]


def test_undeclared_api_is_accepted_with_a_notice() -> None:
    cat = load_catalog(extra_plugins=[("old", plugin(losses=[("oldloss", _factory)]))])
    record = cat.plugins["old"]
    assert (record.error, record.api) == (None, None)
    assert record.warnings == ["declares no GANZOO_API; taken as API 1 (set GANZOO_API = 1 "
                               "in its module)"]
    assert cat.get("loss", "oldloss").plugin == "old"


def test_hookimpl_with_wrong_signature_is_reported() -> None:
    class Wrong:
        @hookimpl
        def ganzoo_register_losses(self, reg: Any) -> None:  # not `register`
            reg("x", _factory)

    cat = load_catalog(extra_plugins=[("wrong", Wrong())])
    record = cat.plugins["wrong"]
    assert record.error is not None and record.error.startswith("failed to load: ")
    assert "PluginValidationError" in record.error
    assert "{'reg'} are declared in the hookimpl" in record.error
    _assert_builtins_intact(cat)


def test_class_instance_plugin() -> None:
    class Mine:
        GANZOO_API = 1

        @hookimpl
        def ganzoo_register_visualizers(self, register: Any) -> None:
            register("fancy", _factory, description="a fancy plot")

    cat = load_catalog(extra_plugins=[("mine", Mine())])
    assert cat.get("visualizer", "fancy").plugin == "mine"
    assert cat.plugins["mine"].hooks == ["ganzoo_register_visualizers"]


# --------------------------------------------------------------------------- entry points and env


def _fake_entry_points(monkeypatch: pytest.MonkeyPatch, **modules: Any) -> None:
    """Add entry points name -> module (a module object, or a string naming a missing one),
    and let third-party plugins load (conftest sets GANZOO_PLUGINS=none)."""
    monkeypatch.delenv("GANZOO_PLUGINS", raising=False)
    real = [ep for ep in metadata.entry_points(group="ganzoo") if ep.name == "builtin"]
    fakes = []
    for name, module in modules.items():
        target = f"ganzoo_test_fake_{name}"
        if isinstance(module, types.ModuleType):
            monkeypatch.setitem(sys.modules, target, module)
        fakes.append(metadata.EntryPoint(name=name, value=target, group="ganzoo"))
    monkeypatch.setattr(host.metadata, "entry_points", lambda group: [*real, *fakes])


def _module(name: str, **hooks: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    for key, value in vars(plugin(**hooks)).items():
        setattr(module, key, value)
    return module


def test_entry_point_plugin_is_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_entry_points(monkeypatch, acme=_module("acme", losses=[("acmeloss", _factory)]))
    cat = load_catalog()
    assert cat.get("loss", "acmeloss").plugin == "acme"
    record = cat.plugins["acme"]
    assert (record.builtin, record.distribution, record.error) == (False, None, None)


def test_entry_point_that_fails_to_import_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_entry_points(monkeypatch, ghost="missing")
    cat = load_catalog()
    assert cat.plugins["ghost"].error == (
        "failed to load: ModuleNotFoundError: No module named 'ganzoo_test_fake_ghost'")
    _assert_builtins_intact(cat)


def test_block_plugins_builtin_removes_builtins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GANZOO_BLOCK_PLUGINS", "builtin")
    cat = load_catalog()
    assert "dcgan" not in cat.models
    assert "builtin" not in cat.plugins
    assert all(cat.names(kind) == [] for kind in KINDS)
    with pytest.raises(ConfigError, match="unknown model 'dcgan'"):
        registry.get(cat, "dcgan")


def test_block_plugins_list_with_spaces(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_entry_points(monkeypatch, acme=_module("acme", losses=[("acmeloss", _factory)]))
    monkeypatch.setenv("GANZOO_BLOCK_PLUGINS", " other , acme ")
    cat = load_catalog()
    assert "acme" not in cat.plugins
    assert "acmeloss" not in cat.components["loss"]
    assert "dcgan" in cat.models


def test_only_other_plugins_keeps_builtin(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_entry_points(monkeypatch, acme=_module("acme", losses=[("acmeloss", _factory)]))
    monkeypatch.setenv("GANZOO_PLUGINS", "some-other")
    cat = load_catalog()
    assert "dcgan" in cat.models
    assert cat.plugins["builtin"].error is None
    assert "acme" not in cat.plugins


def test_only_named_plugin_is_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_entry_points(monkeypatch,
                       acme=_module("acme", losses=[("acmeloss", _factory)]),
                       beta=_module("beta", losses=[("betaloss", _factory)]))
    monkeypatch.setenv("GANZOO_PLUGINS", "acme")
    cat = load_catalog()
    assert set(cat.plugins) == {"builtin", "acme"}
    assert "acmeloss" in cat.components["loss"] and "betaloss" not in cat.components["loss"]
