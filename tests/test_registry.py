"""Registry files and model entries: reading, validation, lookup (no TensorFlow)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

from ganzoo.errors import ConfigError, GanzooError
from ganzoo.zoo import config, registry
from ganzoo.zoo.components import Catalog
from ganzoo.zoo.host import load_catalog

REPO = Path(__file__).resolve().parent.parent
SHIPPED = REPO / "registry.json"


# --------------------------------------------------------------------------- read_file


def test_malformed_json_names_file_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "format": 1,\n  "models": {,}\n}\n', encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        registry.read_file(path)
    # the stray comma is on line 3, column 14
    assert str(info.value).startswith(f"{path}:3:14: not valid JSON")


def test_malformed_json_position_matches_json_module(tmp_path: Path) -> None:
    text = '{"format": 1, "models": {"a": {"description": "x",}}}'
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        expected = f"{path}:{exc.lineno}:{exc.colno}: "
    with pytest.raises(ConfigError, match=re.escape(expected)):
        registry.read_file(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="registry file not found") as info:
        registry.read_file(tmp_path / "nope.json")
    assert str(tmp_path / "nope.json") in str(info.value)


def test_folder_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read registry file"):
        registry.read_file(tmp_path)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"format": 1, "models": {"\xe9": {}}}')
    with pytest.raises(ConfigError, match="cannot read registry file"):
        registry.read_file(path)


def test_too_large_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    path.write_bytes(b" " * (4 * 1024 * 1024 + 1))
    with pytest.raises(ConfigError, match="larger than 4 MiB"):
        registry.read_file(path)


@pytest.mark.parametrize("data", [[], {"format": 1}, {"format": 1, "models": []}, "x"])
def test_wrong_top_level_shape(tmp_path: Path, data: Any) -> None:
    path = tmp_path / "shape.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ConfigError, match="expected a JSON object"):
        registry.read_file(path)


@pytest.mark.parametrize("fmt", [2, 0, "1", None])
def test_wrong_format_version(write_registry: Any, fmt: Any) -> None:
    path = write_registry({}, fmt=fmt)
    with pytest.raises(ConfigError) as info:
        registry.read_file(path)
    message = str(info.value)
    assert message.startswith(f"{path}: field 'format'")
    assert f"registry format {fmt!r} is not supported" in message
    assert "format 1" in message


def test_missing_format_version(tmp_path: Path) -> None:
    path = tmp_path / "nofmt.json"
    path.write_text('{"models": {}}', encoding="utf-8")
    with pytest.raises(ConfigError, match="format None is not supported"):
        registry.read_file(path)


def test_read_file_returns_models_unvalidated(write_registry: Any) -> None:
    path = write_registry({"a": {"anything": 1}, "b": 5})
    assert registry.read_file(path) == {"a": {"anything": 1}, "b": 5}


# --------------------------------------------------------------------------- validate_entry

_DROP = object()


def _set(entry: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """Set (or drop, with _DROP) entry[a][b]... where dotted is 'a.b' or 'papers.0.year'."""
    parts = dotted.split(".")
    target: Any = entry
    for part in parts[:-1]:
        target = target[int(part)] if isinstance(target, list) else target[part]
    last: Any = int(parts[-1]) if isinstance(target, list) else parts[-1]
    if value is _DROP:
        del target[last]
    else:
        target[last] = value
    return entry


FIELD_CASES = [
    # (where to change, new value, field the message must name, text it must contain)
    ("descripton", "typo", "descripton", "did you mean 'description'"),
    ("description", _DROP, "description", "non-empty string"),
    ("description", "   ", "description", "non-empty string"),
    ("description", 7, "description", "non-empty string"),
    ("papers", {"title": "x"}, "papers", "must be a list"),
    ("papers.0", "Radford 2016", "papers[0]", "needs title, authors and year"),
    ("papers.0.year", _DROP, "papers[0]", "needs title, authors and year"),
    ("papers.0.title", _DROP, "papers[0]", "needs title, authors and year"),
    ("papers.0.doi", "10.1/x", "papers[0]", "unknown keys ['doi']"),
    ("papers.0.year", "2016", "papers[0].year", "must be an integer"),
    ("papers.0.year", 2016.5, "papers[0].year", "must be an integer"),
    ("components", _DROP, "components", "required"),
    ("components", ["dcgan"], "components", "required"),
    ("components.generator", _DROP, "components.generator", "required"),
    ("components.discriminator", "", "components.discriminator", "required"),
    ("components.loss", _DROP, "components.loss", "required"),
    ("components.loss", 3, "components.loss", "required"),
    ("components.penalties", "r1", "components.penalties", "must be a list"),
    ("components.visualizers", ["grid", 1], "components.visualizers", "must be a list"),
    ("components.optimizer", "adam", "components.optimizer", "unknown slot"),
    ("dataset", 10, "dataset", "must be a data set name or path"),
    ("defaults", [1, 2], "defaults", "must be an object"),
    ("defaults.lr_g", None, "defaults.lr_g", "must be a string, number or boolean"),
    ("defaults.lr_g", [1e-4], "defaults.lr_g", "must be a string, number or boolean"),
    ("defaults.lr_g", {"v": 1}, "defaults.lr_g", "must be a string, number or boolean"),
]


@pytest.mark.parametrize(("path", "value", "field", "text"), FIELD_CASES,
                         ids=[f"{c[0]}={c[1]!r}"[:40] for c in FIELD_CASES])
def test_every_field_check_names_file_model_and_field(
    write_registry: Any, make_entry: Any, path: str, value: Any, field: str, text: str
) -> None:
    entry = _set(make_entry(), path, value)
    reg = write_registry({"mygan": entry})
    cat = load_catalog(registry_files=[str(reg)])

    assert "mygan" not in cat.models
    message = cat.invalid_models["mygan"]
    assert message.startswith(f"{reg}: model 'mygan': field {field!r}: ")
    assert text in message
    # using the model raises the recorded message
    with pytest.raises(ConfigError) as info:
        registry.get(cat, "mygan")
    assert str(info.value) == message
    # and the built-in models are unaffected
    assert "dcgan" in cat.models


@pytest.mark.parametrize("name", ["my gan", "gan!", "", "dc.gan", "a/b"])
def test_model_names_must_be_plain(write_registry: Any, make_entry: Any, name: str) -> None:
    reg = write_registry({name: make_entry()})
    cat = load_catalog(registry_files=[str(reg)])
    assert name not in cat.models
    assert "letters, digits, '-' and '_' only" in cat.invalid_models[name]
    assert str(reg) in cat.invalid_models[name]


@pytest.mark.parametrize("entry", [[], "dcgan", 3, None])
def test_entry_must_be_an_object(write_registry: Any, entry: Any) -> None:
    reg = write_registry({"mygan": entry})
    cat = load_catalog(registry_files=[str(reg)])
    assert cat.invalid_models["mygan"] == f"{reg}: model 'mygan': an entry must be a JSON object"


def test_validate_entry_accepts_minimal_entry() -> None:
    entry = {"description": "d", "components": {"generator": "g", "discriminator": "d",
                                                 "loss": "l"}}
    registry.validate_entry("m-1_x", entry, "w: ")  # no exception
    with pytest.raises(ConfigError, match=r"^w: field 'description'"):
        registry.validate_entry("m", {**entry, "description": ""}, "w: ")


def test_add_entry_from_plugin_names_the_plugin(make_entry: Any) -> None:
    cat = Catalog()
    registry.add_entry(cat, "x", {**make_entry(), "papers": 1}, plugin="acme", source=None)
    assert cat.invalid_models["x"].startswith("plugin 'acme': model 'x': field 'papers'")


def test_valid_entry_in_later_file_replaces_invalid_one(
    tmp_path: Path, write_registry: Any, make_entry: Any
) -> None:
    bad = write_registry({"mygan": make_entry(description="")}, name="bad.json")
    good = write_registry({"mygan": make_entry()}, name="good.json")
    cat = load_catalog(registry_files=[str(bad), str(good)])
    assert "mygan" not in cat.invalid_models
    assert cat.models["mygan"][2] == str(good)


def test_invalid_entry_in_file_shadows_builtin_model(write_registry: Any) -> None:
    reg = write_registry({"dcgan": {"description": "broken"}})
    cat = load_catalog(registry_files=[str(reg)])
    with pytest.raises(ConfigError, match=re.escape(f"{reg}: model 'dcgan': field 'components'")):
        registry.get(cat, "dcgan")


# --------------------------------------------------------------------------- defaults via resolve


def _file_model(write_registry: Any, make_entry: Any, **changes: Any) -> tuple[Path, Catalog]:
    reg = write_registry({"mygan": make_entry(**changes)})
    return reg, load_catalog(registry_files=[str(reg)])


def test_unknown_default_names_file_model_and_field(write_registry: Any, make_entry: Any) -> None:
    reg, cat = _file_model(write_registry, make_entry, defaults={"lr_gg": 1e-3})
    entry, _, where = registry.get(cat, "mygan")  # the shape is fine
    assert where == f"{reg}: model 'mygan': "
    with pytest.raises(ConfigError) as info:
        config.resolve(entry, cat, entry_where=where)
    message = str(info.value)
    assert message.startswith(f"{reg}: model 'mygan': field 'defaults.lr_gg': ")
    assert "unknown hyperparameter (did you mean 'lr_g'?)" in message
    assert "valid keys: " in message and "batch_size" in message


@pytest.mark.parametrize(("defaults", "text"), [
    ({"lr_g": "fast"}, "expected float, got str"),
    ({"epochs": 2.5}, "expected int, got float"),
    ({"epochs": True}, "expected int, got bool"),
    ({"epochs": 0}, "must be at least 1"),
    ({"optimizer": "sgd"}, "choose one of adam, rmsprop"),
    ({"conditional": "yes"}, "expected bool, got str"),
])
def test_bad_default_value_names_file_model_and_field(
    write_registry: Any, make_entry: Any, defaults: dict[str, Any], text: str
) -> None:
    reg, cat = _file_model(write_registry, make_entry, defaults=defaults)
    entry, _, where = registry.get(cat, "mygan")
    with pytest.raises(ConfigError) as info:
        config.resolve(entry, cat, entry_where=where)
    key = next(iter(defaults))
    assert str(info.value).startswith(f"{reg}: model 'mygan': field 'defaults.{key}")
    assert text in str(info.value)


@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_non_finite_default_is_rejected(
    write_registry: Any, make_entry: Any, value: float
) -> None:
    reg, cat = _file_model(write_registry, make_entry, defaults={"lr_g": value})
    assert "NaN" in reg.read_text() or "Infinity" in reg.read_text()  # json writes them
    entry, _, where = registry.get(cat, "mygan")
    with pytest.raises(ConfigError, match=r"defaults\.lr_g"):
        config.resolve(entry, cat, entry_where=where)


def test_bad_default_value_message_quotes_the_field(write_registry: Any, make_entry: Any) -> None:
    reg, cat = _file_model(write_registry, make_entry, defaults={"lr_g": "fast"})
    entry, _, where = registry.get(cat, "mygan")
    with pytest.raises(ConfigError) as info:
        config.resolve(entry, cat, entry_where=where)
    assert str(info.value).startswith(f"{reg}: model 'mygan': field 'defaults.lr_g': ")


def test_slot_in_defaults_gets_a_consistent_message(
    write_registry: Any, make_entry: Any
) -> None:
    _, cat = _file_model(write_registry, make_entry, defaults={"loss": "nsgan"})
    entry, _, where = registry.get(cat, "mygan")
    with pytest.raises(ConfigError) as info:
        config.resolve(entry, cat, entry_where=where)
    message = str(info.value)
    assert "field 'defaults.loss'" in message
    assert "did you mean 'loss'" not in message


# --------------------------------------------------------------------------- component references


def test_unknown_component_reference(
    write_registry: Any, make_entry: Any, catalog: Catalog
) -> None:
    entry = make_entry()
    entry["components"]["loss"] = "hinje"
    reg = write_registry({"mygan": entry})
    cat = load_catalog(registry_files=[str(reg)])
    assert "mygan" in cat.models  # references are checked on use, when all plugins are loaded
    with pytest.raises(ConfigError) as info:
        registry.get(cat, "mygan")
    message = str(info.value)
    assert message.startswith(f"{reg}: model 'mygan': field 'components.loss': ")
    assert "no loss named 'hinje' (did you mean 'hinge'?)" in message
    assert f"(known: {', '.join(catalog.names('loss'))})" in message
    assert "nsgan" in catalog.names("loss")
    assert message.endswith("is the plugin that provides it installed?")


def test_unknown_list_component_reference(write_registry: Any, make_entry: Any) -> None:
    entry = make_entry()
    entry["components"]["penalties"] = ["no-such-penalty"]
    reg = write_registry({"mygan": entry})
    cat = load_catalog(registry_files=[str(reg)])
    with pytest.raises(ConfigError) as info:
        registry.get(cat, "mygan")
    message = str(info.value)
    assert "field 'components.penalties': no penalty named 'no-such-penalty'" in message
    known = ", ".join(cat.names("penalty")) or "none"
    assert f"(known: {known})" in message
    assert "is the plugin that provides it installed?" in message


# --------------------------------------------------------------------------- model lookup


def test_unknown_model_suggests_close_name(catalog: Catalog) -> None:
    with pytest.raises(ConfigError) as info:
        registry.get(catalog, "dcgn")
    message = str(info.value)
    assert message.startswith("unknown model 'dcgn' (did you mean 'dcgan'?); known models: ")
    assert "dcgan" in message.split("known models: ")[1]


def test_unknown_model_without_close_name(catalog: Catalog) -> None:
    with pytest.raises(ConfigError) as info:
        registry.get(catalog, "stylegan-xl")
    assert "did you mean" not in str(info.value)
    assert f"known models: {', '.join(sorted(registry.read_file(SHIPPED)))}" in str(info.value)


def test_unknown_model_with_no_models_at_all() -> None:
    with pytest.raises(ConfigError, match=r"none \(no plugin registered a model\)"):
        registry.get(Catalog(), "dcgan")


def test_config_error_is_a_ganzoo_error(catalog: Catalog) -> None:
    with pytest.raises(GanzooError) as info:
        registry.get(catalog, "nope")
    assert info.value.exit_code == 2


# --------------------------------------------------------------------------- --registry FILE


def test_registry_file_adds_model_of_existing_components(
    write_registry: Any, make_entry: Any
) -> None:
    reg = write_registry({"hingegan": make_entry()})
    cat = load_catalog(registry_files=[str(reg)])
    entry, plugin, where = registry.get(cat, "hingegan")
    assert plugin == f"file:{reg}"
    assert cat.models["hingegan"][2] == str(reg)
    assert where == f"{reg}: model 'hingegan': "
    resolved = config.resolve(entry, cat, entry_where=where)
    assert resolved["loss"] == "hinge"
    assert resolved["lr_g"] == 1e-4
    assert resolved["visualizers"] == ["grid"]
    assert sorted(cat.models) == sorted([*registry.read_file(SHIPPED), "hingegan"])


def test_registry_file_can_replace_builtin_model(write_registry: Any, make_entry: Any) -> None:
    reg = write_registry({"dcgan": make_entry(description="my dcgan")})
    cat = load_catalog(registry_files=[str(reg)])
    entry, plugin, _ = registry.get(cat, "dcgan")
    assert entry["description"] == "my dcgan"
    assert plugin == f"file:{reg}"
    assert cat.warnings == []


def test_bad_registry_file_raises_from_load_catalog(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(f"{path}:1:2: not valid JSON")):
        load_catalog(registry_files=[str(path)])


# --------------------------------------------------------------------------- the shipped registry


def test_shipped_registry_validates_and_names_existing_components(catalog: Catalog) -> None:
    models = registry.read_file(SHIPPED)
    assert "dcgan" in models
    for name, entry in models.items():
        registry.validate_entry(name, entry, f"{SHIPPED}: model {name!r}: ")
        registry.check_references(catalog, name, entry, "builtin", str(SHIPPED))
        for slot, kind in config.SLOTS.items():
            value = entry["components"].get(slot, [])
            for component in value if isinstance(value, list) else [value]:
                assert component in catalog.components[kind], (name, slot, component)
        if "dataset" in entry:
            assert entry["dataset"] in catalog.components["dataset"]
        resolved = config.resolve(entry, catalog, entry_where=f"{name}: ")
        for key, value in entry.get("defaults", {}).items():
            assert resolved[key] == value


def test_builtin_catalog_has_no_invalid_models(catalog: Catalog) -> None:
    assert catalog.invalid_models == {}
    entry, plugin, _ = catalog.models["dcgan"]
    assert plugin == "builtin"
    assert entry == registry.read_file(SHIPPED)["dcgan"]


def test_packaged_registry_matches_repository_registry() -> None:
    packaged = REPO / "plugins" / "registry.json"
    assert json.loads(packaged.read_text(encoding="utf-8")) == json.loads(
        SHIPPED.read_text(encoding="utf-8"))


def test_every_image_entry_averages_its_generator_except_the_tutorial() -> None:
    """The zoo's defaults policy (docs/DESIGN.md): the weight average is on in every image
    entry, because the default run is short; only the tutorial reproduction goes without."""
    models = registry.read_file(SHIPPED)
    image = {name: entry for name, entry in models.items()
             if entry.get("dataset") == "fashion-mnist-10k"}
    assert len(image) >= 15
    without = sorted(name for name, entry in image.items()
                     if not entry["defaults"].get("ema", 0.0) > 0.0)
    assert without == ["dcgan-tutorial"]
    yazici = "The Unusual Effectiveness of Averaging in GAN Training"
    uncited = sorted(name for name, entry in image.items() if name not in without
                     and yazici not in {paper["title"] for paper in entry["papers"]})
    assert uncited == []
