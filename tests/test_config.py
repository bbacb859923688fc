"""Hyperparameters: parsing ``--set`` values and resolving a run's configuration."""

from __future__ import annotations

import functools
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ganzoo.errors import ConfigError
from ganzoo.zoo import config
from ganzoo.zoo.components import Catalog, Component
from ganzoo.zoo.config import parse_assignments, parse_value, resolve

# --------------------------------------------------------------------------- helpers


def _factory(ctx: Any) -> None:
    return None


def make_catalog(extra: list[tuple[str, str, dict[str, Any]]] = ()) -> Catalog:
    """A hand-made catalog: generator 'gen' (g_width=8, g_act='relu'), discriminator 'disc'
    (d_width=8), losses 'nsgan' and 'hinge', visualizers 'grid' and 'curves', penalty 'r1'
    (r1_gamma=10.0), plus `extra` (kind, name, params)."""
    cat = Catalog()
    parts = [
        ("generator", "gen", {"g_width": 8, "g_act": "relu"}),
        ("discriminator", "disc", {"d_width": 8}),
        ("loss", "nsgan", {}),
        ("loss", "hinge", {}),
        ("penalty", "r1", {"r1_gamma": 10.0}),
        ("visualizer", "grid", {}),
        ("visualizer", "curves", {}),
        *extra,
    ]
    for kind, name, params in parts:
        cat.components[kind][name] = Component(kind=kind, name=name, factory=_factory,
                                               plugin="test", params=params)
    return cat


def make_entry(defaults: dict[str, Any] | None = None, **components: Any) -> dict[str, Any]:
    comps = {"generator": "gen", "discriminator": "disc", "loss": "nsgan", **components}
    return {"description": "x", "components": comps, "defaults": dict(defaults or {})}


# --------------------------------------------------------------------------- parse_value


@pytest.mark.parametrize("raw", ["1", "true", "True", "YES", " on ", "yes\n"])
def test_parse_bool_true(raw: str) -> None:
    assert parse_value("k", raw, bool) is True


@pytest.mark.parametrize("raw", ["0", "false", "FALSE", "no", "off", " Off "])
def test_parse_bool_false(raw: str) -> None:
    assert parse_value("k", raw, bool) is False


@pytest.mark.parametrize("raw", ["maybe", "", "2", "t", "y", "none"])
def test_parse_bool_errors(raw: str) -> None:
    with pytest.raises(ConfigError, match=f"^--set k={raw}: expected true or false$"):
        parse_value("k", raw, bool)


@pytest.mark.parametrize(("raw", "expected"), [
    ("42", 42), (" -7 ", -7), ("0", 0), ("1e3", 1000), ("1E3", 1000), ("2.0", 2),
    ("-3e2", -300), ("+5", 5), ("12345678901234567890", 12345678901234567890),
])
def test_parse_int(raw: str, expected: int) -> None:
    value = parse_value("k", raw, int)
    assert value == expected
    assert type(value) is int


@pytest.mark.parametrize("raw", ["2.5", "1e-3", "abc", "", "nan", "inf", "-inf", "1e400", "0x10",
                                 "1,000"])
def test_parse_int_errors(raw: str) -> None:
    with pytest.raises(ConfigError, match=r"^--set k=.*: expected an integer$"):
        parse_value("k", raw, int)


@pytest.mark.parametrize(("raw", "expected"), [
    ("2.5", 2.5), ("1e-4", 1e-4), ("3", 3.0), (" -0.5 ", -0.5), (".5", 0.5),
])
def test_parse_float(raw: str, expected: float) -> None:
    value = parse_value("k", raw, float)
    assert value == expected
    assert type(value) is float


@pytest.mark.parametrize("raw", ["nan", "NaN", "inf", "-inf", "Infinity", "1e400"])
def test_parse_float_rejects_non_finite(raw: str) -> None:
    with pytest.raises(ConfigError, match=r"expected a finite number$"):
        parse_value("k", raw, float)


@pytest.mark.parametrize("raw", ["abc", "", "1.2.3", "1e"])
def test_parse_float_errors(raw: str) -> None:
    with pytest.raises(ConfigError, match=r"^--set k=.*: expected a number$"):
        parse_value("k", raw, float)


@pytest.mark.parametrize(("raw", "expected"), [
    ("a,b", ["a", "b"]), (" a , b ,, c ", ["a", "b", "c"]), ("", []), (" , ", []),
    ("grid", ["grid"]),
])
def test_parse_list(raw: str, expected: list[str]) -> None:
    assert parse_value("k", raw, list) == expected


def test_parse_str_is_stripped() -> None:
    assert parse_value("k", "  adam ", str) == "adam"


# --------------------------------------------------------------------------- parse_assignments


def test_parse_assignments_splits_on_first_equals() -> None:
    pairs = ["lr_g=1e-4", " loss =hinge", "note=a=b", "empty="]
    assert parse_assignments(pairs) == {"lr_g": "1e-4", "loss": "hinge", "note": "a=b",
                                        "empty": ""}


def test_parse_assignments_later_wins() -> None:
    assert parse_assignments(("a=1", "a=2")) == {"a": "2"}


def test_parse_assignments_empty() -> None:
    assert parse_assignments([]) == {}


@pytest.mark.parametrize("pair", ["lr_g", "=1", " =1", "", "  "])
def test_parse_assignments_errors(pair: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_assignments(["ok=1", pair])
    assert str(info.value) == f"--set {pair!r}: expected KEY=VALUE, e.g. --set lr_g=1e-4"


# --------------------------------------------------------------------------- resolve: layering


def test_layering_trainer_then_component_then_entry_then_overrides() -> None:
    cat = make_catalog()
    base = resolve(make_entry(), cat)
    assert base["epochs"] == config.TRAINER["epochs"].default == 1  # trainer default
    assert base["g_width"] == 8  # component param
    assert base["d_width"] == 8

    entry = make_entry({"epochs": 5, "g_width": 16})
    layered = resolve(entry, cat)
    assert (layered["epochs"], layered["g_width"], layered["d_width"]) == (5, 16, 8)

    final = resolve(entry, cat, {"epochs": "7", "g_width": "32"})
    assert (final["epochs"], final["g_width"], final["d_width"]) == (7, 32, 8)
    # resolve does not modify its inputs
    assert entry["defaults"] == {"epochs": 5, "g_width": 16}


def test_resolve_contains_every_trainer_key_and_the_slots() -> None:
    resolved = resolve(make_entry(), make_catalog())
    assert set(config.TRAINER) <= set(resolved)
    assert {k: resolved[k] for k in config.SLOTS} == {
        "generator": "gen", "discriminator": "disc", "loss": "nsgan",
        "penalties": [], "visualizers": [], "augment": [],
    }


def test_overrides_are_not_mutated() -> None:
    overrides = {"loss": "hinge", "epochs": "3"}
    resolve(make_entry(), make_catalog(), overrides)
    assert overrides == {"loss": "hinge", "epochs": "3"}


@pytest.mark.parametrize(("key", "raw", "expected"), [
    ("lr_g", "1e-3", 1e-3),
    ("epochs", "1e2", 100),
    ("conditional", "yes", True),
    ("jit_compile", "off", False),
    ("optimizer", "rmsprop", "rmsprop"),
    ("g_act", "tanh", "tanh"),
    ("r1_gamma", "2", 2.0),
])
def test_string_overrides_are_typed(key: str, raw: str, expected: Any) -> None:
    resolved = resolve(make_entry(penalties=["r1"]), make_catalog(), {key: raw})
    assert resolved[key] == expected
    assert type(resolved[key]) is type(expected)


def test_typed_overrides_are_checked() -> None:
    cat = make_catalog()
    assert resolve(make_entry(), cat, {"lr_g": 1})["lr_g"] == 1.0
    assert type(resolve(make_entry(), cat, {"lr_g": 1})["lr_g"]) is float
    with pytest.raises(ConfigError, match=r"^--set epochs=True: expected int, got bool$"):
        resolve(make_entry(), cat, {"epochs": True})
    with pytest.raises(ConfigError, match=r"^--set epochs=2.5: expected int, got float$"):
        resolve(make_entry(), cat, {"epochs": 2.5})
    with pytest.raises(ConfigError, match=r"expected str, got int"):
        resolve(make_entry(), cat, {"optimizer": 1})


def test_bad_string_override_names_the_key() -> None:
    with pytest.raises(ConfigError, match=r"^--set lr_g=abc: expected a number$"):
        resolve(make_entry(), make_catalog(), {"lr_g": "abc"})


def test_unknown_key_lists_valid_keys_and_suggests() -> None:
    with pytest.raises(ConfigError) as info:
        resolve(make_entry(), make_catalog(), {"lr_gg": "1"})
    message = str(info.value)
    assert message.startswith("unknown hyperparameter 'lr_gg' (did you mean 'lr_g'?); valid keys: ")
    listed = message.split("valid keys: ")[1].split(", ")
    assert listed == sorted(listed)
    assert set(listed) == set(config.TRAINER) | set(config.SLOTS) | {"g_width", "g_act",
                                                                       "d_width"}


def test_unknown_key_without_suggestion() -> None:
    with pytest.raises(ConfigError) as info:
        resolve(make_entry(), make_catalog(), {"zzzzzz": "1"})
    assert "did you mean" not in str(info.value)
    assert "valid keys: " in str(info.value)


def test_penalty_params_are_valid_only_when_penalty_is_used() -> None:
    cat = make_catalog()
    with pytest.raises(ConfigError, match="unknown hyperparameter 'r1_gamma'"):
        resolve(make_entry(), cat, {"r1_gamma": "1"})
    resolved = resolve(make_entry(), cat, {"penalties": "r1", "r1_gamma": "1"})
    assert resolved["r1_gamma"] == 1.0
    assert resolved["penalties"] == ["r1"]


@pytest.mark.parametrize(("key", "raw", "text"), [
    ("optimizer", "sgd", "--set optimizer='sgd': choose one of adam, rmsprop"),
    ("update", "Alternating", "choose one of simultaneous, alternating"),
    ("precision", "float16", "choose one of auto, float32, bfloat16"),
])
def test_choices_are_enforced(key: str, raw: str, text: str) -> None:
    with pytest.raises(ConfigError) as info:
        resolve(make_entry(), make_catalog(), {key: raw})
    assert text in str(info.value)


@pytest.mark.parametrize(("key", "raw", "minimum"), [
    ("epochs", "0", "1"), ("batch_size", "-1", "1"), ("seed", "-1", "0"),
    ("lr_g", "-1e-4", "0.0"), ("d_steps", "0", "1"), ("keep_checkpoints", "0", "1"),
])
def test_minimum_is_enforced(key: str, raw: str, minimum: str) -> None:
    with pytest.raises(ConfigError, match=f"must be at least {minimum}$"):
        resolve(make_entry(), make_catalog(), {key: raw})


@pytest.mark.parametrize(("overrides", "text"), [
    ({"lr_schedule": "step"}, "lr_schedule=step needs the generator steps between decays: "
                              "add --set lr_decay_steps=N"),
    ({"lr_decay_steps": "100"}, "lr_decay_steps=100 applies only to lr_schedule=step (this "
                                "run's is constant)"),
    ({"lr_schedule": "linear", "lr_decay_steps": "5"}, "(this run's is linear)"),
])
def test_schedule_settings_that_do_nothing_are_refused(overrides: dict, text: str) -> None:
    with pytest.raises(ConfigError) as info:
        resolve(make_entry(), make_catalog(), overrides)
    assert text in str(info.value)


def test_step_schedule_resolves_with_its_interval() -> None:
    resolved = resolve(make_entry(), make_catalog(),
                       {"lr_schedule": "step", "lr_decay_steps": "936", "lr_decay": "0.5"})
    assert (resolved["lr_schedule"], resolved["lr_decay_steps"], resolved["lr_decay"]) == (
        "step", 936, 0.5)


def test_minimum_is_inclusive() -> None:
    resolved = resolve(make_entry(), make_catalog(), {"steps": "0", "lr_g": "0", "epochs": "1"})
    assert (resolved["steps"], resolved["lr_g"], resolved["epochs"]) == (0, 0.0, 1)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.nan])
def test_typed_non_finite_override_is_rejected(value: float) -> None:
    with pytest.raises(ConfigError):
        resolve(make_entry(), make_catalog(), {"lr_g": value})


# --------------------------------------------------------------------------- resolve: slots


def test_component_slot_overrides() -> None:
    cat = make_catalog()
    entry = make_entry(penalties=["r1"], visualizers=["grid", "curves"])
    resolved = resolve(entry, cat, {"loss": "hinge", "penalties": "", "visualizers": "grid"})
    assert resolved["loss"] == "hinge"
    assert resolved["penalties"] == []
    assert resolved["visualizers"] == ["grid"]
    assert "r1_gamma" not in resolved  # the removed penalty's params go with it
    assert entry["components"]["penalties"] == ["r1"]


def test_list_slot_override_with_typed_list() -> None:
    resolved = resolve(make_entry(), make_catalog(), {"visualizers": ("curves", "grid")})
    assert resolved["visualizers"] == ["curves", "grid"]


def test_missing_list_slots_default_to_empty() -> None:
    entry = make_entry()
    assert "penalties" not in entry["components"]
    resolved = resolve(entry, make_catalog())
    assert resolved["penalties"] == [] and resolved["visualizers"] == []


@pytest.mark.parametrize(("overrides", "kind", "name"), [
    ({"loss": "hinje"}, "loss", "hinje"),
    ({"generator": "nope"}, "generator", "nope"),
    ({"visualizers": "grid,nope"}, "visualizer", "nope"),
    ({"penalties": "r2"}, "penalty", "r2"),
])
def test_unknown_component_in_slot(overrides: dict[str, str], kind: str, name: str) -> None:
    cat = make_catalog()
    with pytest.raises(ConfigError) as info:
        resolve(make_entry(), cat, overrides)
    message = str(info.value)
    assert message.startswith(f"unknown {kind} {name!r}")
    for known in cat.names(kind):
        assert known in message.split("known ")[-1]


def test_unknown_component_suggests_close_name() -> None:
    with pytest.raises(ConfigError, match=r"unknown loss 'hinje' \(did you mean 'hinge'\?\)"):
        resolve(make_entry(), make_catalog(), {"loss": "hinje"})


@pytest.mark.parametrize(("kind", "plural"), [("loss", "losses"), ("penalty", "penalties")])
def test_unknown_component_message_plural(kind: str, plural: str) -> None:
    with pytest.raises(ConfigError, match=f"; known {plural}: "):
        make_catalog().get(kind, "zzz")


# --------------------------------------------------------------------------- component params


def test_same_param_same_default_is_shared() -> None:
    cat = make_catalog([("loss", "shared", {"width": 4}), ("penalty", "p2", {"width": 4})])
    resolved = resolve(make_entry(loss="shared", penalties=["p2"]), cat)
    assert resolved["width"] == 4
    helps = {k: h for k, _, h in config.describe(make_entry(loss="shared", penalties=["p2"]), cat)}
    assert helps["width"] == "read by loss 'shared', penalty 'p2'"


def test_same_param_different_defaults_is_an_error() -> None:
    cat = make_catalog([("loss", "l1", {"width": 4}), ("penalty", "p1", {"width": 5})])
    with pytest.raises(ConfigError) as info:
        resolve(make_entry(loss="l1", penalties=["p1"]), cat)
    message = str(info.value)
    assert "'width'" in message and "different defaults" in message
    assert "penalty 'p1' (plugin 'test') and loss 'l1' give the hyperparameter" in message


@pytest.mark.parametrize("key", ["epochs", "lr_g", "loss", "penalties"])
def test_component_param_colliding_with_trainer_key(key: str) -> None:
    cat = make_catalog([("loss", "greedy", {key: 3})])
    with pytest.raises(ConfigError) as info:
        resolve(make_entry(loss="greedy"), cat)
    message = str(info.value)
    assert f"loss 'greedy' (plugin 'test') declares the hyperparameter {key!r}" in message
    assert "belongs to the trainer" in message


def test_describe_lists_every_key_with_resolved_defaults() -> None:
    cat = make_catalog()
    rows = config.describe(make_entry({"epochs": 9}), cat)
    keys = [k for k, _, _ in rows]
    assert len(keys) == len(set(keys))
    assert set(keys) == set(config.TRAINER) | {"g_width", "g_act", "d_width"}
    values = {k: v for k, v, _ in rows}
    assert values["epochs"] == 9 and values["g_width"] == 8
    helps = {k: h for k, _, h in rows}
    assert helps["g_width"] == "read by generator 'gen'"


# --------------------------------------------------------------------------- property tests


@given(st.integers())
def test_any_int_round_trips(i: int) -> None:
    assert parse_value("k", str(i), int) == i


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_any_finite_float_round_trips(f: float) -> None:
    value = parse_value("k", repr(f), float)
    assert value == f
    assert math.copysign(1.0, value) == math.copysign(1.0, f)


@given(st.text(max_size=20), st.sampled_from([int, float, bool, str, list]))
def test_parse_value_returns_the_type_or_config_error(raw: str, kind: type) -> None:
    try:
        value = parse_value("k", raw, kind)
    except ConfigError:
        return
    assert type(value) is kind
    if kind is float:
        assert math.isfinite(value)
    if kind is list:
        assert all(part and part == part.strip() for part in value)


@functools.cache
def _builtin_catalog() -> Catalog:
    with pytest.MonkeyPatch.context() as mp:
        for var in ("GANZOO_PLUGINS", "GANZOO_BLOCK_PLUGINS"):
            mp.delenv(var, raising=False)
        from ganzoo.zoo.host import load_catalog

        return load_catalog()


_KEYS = sorted(set(config.TRAINER) | set(config.SLOTS) | {"g_filters", "d_dropout", "d_norm"})
_VALUES = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["1", "0", "-1", "1e3", "2.5", "nan", "inf", "true", "adam", "hinge",
                     "grid,losses", "", "nsgan", "dcgan", " ", "1e400"]),
)
_PAIRS = st.one_of(
    st.builds(lambda k, v: f"{k}={v}", st.sampled_from(_KEYS) | st.text(max_size=8), _VALUES),
    st.text(max_size=16),
)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_PAIRS, max_size=5))
def test_random_assignments_raise_only_config_errors(pairs: list[str]) -> None:
    cat = _builtin_catalog()
    entry = cat.models["dcgan"][0]
    try:
        overrides = parse_assignments(pairs)
        resolved = resolve(entry, cat, overrides)
    except ConfigError:
        return
    for key, raw in overrides.items():
        if key in config.TRAINER and config.TRAINER[key].type is not str:
            assert type(resolved[key]) is config.TRAINER[key].type
        if key in config.TRAINER and config.TRAINER[key].type is float:
            assert math.isfinite(resolved[key])
        if key == "loss":
            assert resolved["loss"] == raw
