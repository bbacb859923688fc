"""Property-based tests of registry validation: whatever a registry file holds, the result
is a valid entry or one `ConfigError` line naming the file, the entry and the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ganzoo.errors import ConfigError
from ganzoo.zoo import registry
from ganzoo.zoo.components import Catalog

WHERE = "reg.json: model 'm': "
FIELDS = ("description", "papers", "components", "dataset", "defaults", "notes")

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=8,
)
NAME = st.text("abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=12)
PAPER = st.fixed_dictionaries(
    {"title": st.text(min_size=1, max_size=10), "authors": st.text(min_size=1, max_size=10),
     "year": st.integers(1900, 2100)},
    optional={"url": st.text(max_size=10)},
)
SCALAR = st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
VALID = st.fixed_dictionaries(
    {"description": st.builds(str.__add__, st.sampled_from("abcXYZ09"), st.text(max_size=19)),
     "components": st.fixed_dictionaries(
         {"generator": NAME, "discriminator": NAME, "loss": NAME},
         optional={"penalties": st.lists(NAME, max_size=2),
                   "visualizers": st.lists(NAME, max_size=2)})},
    optional={"papers": st.lists(PAPER, max_size=2), "dataset": st.text(max_size=10),
              "defaults": st.dictionaries(NAME, SCALAR, max_size=3),
              "notes": st.text(max_size=10)},
)
#: for each field, values of the wrong type
WRONG = {
    "description": st.just("") | st.none() | st.integers() | st.lists(st.text(), max_size=2),
    "papers": st.text(max_size=5) | st.integers() | st.dictionaries(st.text(), st.text()),
    "components": st.text(max_size=5) | st.integers() | st.lists(st.text(), max_size=2),
    "dataset": st.integers() | st.none() | st.lists(st.text(), max_size=2),
    "defaults": st.text(max_size=5) | st.integers() | st.lists(st.integers(), max_size=2),
}


def assert_one_line_naming(exc: ConfigError, *parts: str) -> None:
    message = str(exc)
    assert "\n" not in message
    assert message.startswith(WHERE), message
    for part in parts:
        assert part in message, (part, message)


@given(VALID)
def test_valid_entries_pass(entry: dict[str, Any]) -> None:
    registry.validate_entry("m", entry, WHERE)


@given(JSON)
def test_any_json_value_is_an_entry_or_one_clear_error(entry: Any) -> None:
    try:
        registry.validate_entry("m", entry, WHERE)
    except ConfigError as exc:
        assert_one_line_naming(exc)
        # The field named is one of the entry's own or a required one that is missing.
        fields = [*(entry if isinstance(entry, dict) else {}), "components", "dataset",
                  "defaults", "description", "notes", "papers"]
        named = [key for key in fields if f"field {key!r}" in str(exc)]
        assert named or "must be a JSON object" in str(exc), str(exc)
    else:
        assert isinstance(entry, dict) and entry.get("description")


@given(VALID, st.data())
def test_a_wrong_typed_field_is_named(entry: dict[str, Any], data: st.DataObject) -> None:
    field = data.draw(st.sampled_from(sorted(WRONG)))
    entry = {**entry, field: data.draw(WRONG[field])}
    try:
        registry.validate_entry("m", entry, WHERE)
    except ConfigError as exc:
        assert_one_line_naming(exc, f"field '{field}")
    else:
        raise AssertionError(f"{field}={entry[field]!r} was accepted")


@given(VALID, st.text(min_size=1, max_size=10).filter(lambda f: f not in FIELDS), JSON)
def test_an_unknown_field_is_named(entry: dict[str, Any], field: str, value: Any) -> None:
    try:
        registry.validate_entry("m", {**entry, field: value}, WHERE)
    except ConfigError as exc:
        assert_one_line_naming(exc, f"field {field!r}: unknown field")
    else:
        raise AssertionError("an unknown field was accepted")


@given(VALID, st.sampled_from(["generator", "discriminator", "loss"]),
       st.none() | st.just("") | st.integers())
def test_a_missing_or_empty_component_is_named(entry: dict[str, Any], slot: str,
                                              value: Any) -> None:
    components = dict(entry["components"])
    if value is None:
        del components[slot]
    else:
        components[slot] = value
    try:
        registry.validate_entry("m", {**entry, "components": components}, WHERE)
    except ConfigError as exc:
        assert_one_line_naming(exc, f"field 'components.{slot}'")
    else:
        raise AssertionError("a bad component was accepted")


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200) | JSON.map(lambda v: json.dumps(v).encode())
       | st.dictionaries(NAME, JSON | VALID, max_size=3).map(
           lambda models: json.dumps({"format": 1, "models": models}).encode()))
def test_any_registry_file_loads_or_fails_with_its_name(tmp_path: Path, content: bytes) -> None:
    """Bytes, JSON or a format-1 file with random entries: a file-level problem is one
    ConfigError naming the file; entry-level problems keep only that entry out."""
    path = tmp_path / "reg.json"
    path.write_bytes(content)
    try:
        models = registry.read_file(path)
    except ConfigError as exc:
        assert str(exc).startswith(str(path)) and "\n" not in str(exc)
        return
    catalog = Catalog()
    registry.register_file(catalog, path, plugin="file:reg.json")
    assert set(catalog.models) | set(catalog.invalid_models) == set(models)
    for name, why in catalog.invalid_models.items():
        assert why.startswith(f"{path}: model {name!r}: ") and "\n" not in why
    for name, (entry, _, _) in catalog.models.items():
        registry.validate_entry(name, entry, "")
