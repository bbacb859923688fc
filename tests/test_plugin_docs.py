"""docs/PLUGINS.md documents the whole plugin contract: every hook, every register() keyword,
every environment switch, and the commands it tells users to type exist."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from ganzoo.cli.app import cli
from ganzoo.contract import hookspecs
from ganzoo.zoo import host

REPO = Path(__file__).resolve().parent.parent
DOC = (REPO / "docs" / "PLUGINS.md").read_text(encoding="utf-8")


def hook_specs() -> list[str]:
    return sorted(name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
                  if hasattr(fn, "ganzoo_spec"))


def section(title: str) -> str:
    """The text under a `### title` heading, up to the next heading."""
    match = re.search(rf"^### `{re.escape(title)}`\n(.*?)(?=^#)", DOC, re.M | re.S)
    assert match, f"docs/PLUGINS.md has no section '### `{title}`'"
    return match.group(1)


def test_there_are_hooks_to_document() -> None:
    specs = hook_specs()
    assert "ganzoo_register_models" in specs and len(specs) >= 7


@pytest.mark.parametrize("hook", hook_specs())
def test_every_hook_spec_is_documented(hook: str) -> None:
    text = section(hook)
    parts = re.findall(r"^- (Called|Arguments|Returns): ", text, re.M)
    assert parts == ["Called", "Arguments", "Returns"], f"{hook}: when, arguments, returns"
    assert "register(" in text.split("- Arguments: ")[1], f"{hook}: the register() call"
    assert f"`{hook}`" in DOC.split("## Hook reference")[1]


def test_every_register_keyword_is_documented() -> None:
    table = DOC.split("## Hook reference")[1].split("### ")[0]
    for keyword in sorted(host._COMPONENT_ARGS):
        assert f"| `{keyword}` |" in table, keyword
    for keyword in sorted(host._MODEL_ARGS):
        assert f"{keyword}=" in section("ganzoo_register_models"), keyword
    for kind, keywords in host._KIND_ARGS.items():
        for keyword in sorted(keywords):
            assert f"| `{keyword}` |" in table, keyword
            assert f"{keyword}=" in section(host._KIND_HOOKS[kind]), (kind, keyword)


def test_environment_and_policy_are_documented() -> None:
    for text in ("GANZOO_PLUGINS=a,b", "GANZOO_PLUGINS=none", "GANZOO_BLOCK_PLUGINS=x,y",
                 "GANZOO_API = 1", "replace=True", f"(now {hookspecs.API_VERSION})",
                 "## Testing a plugin", "## Plugin API version policy", "## Keep discovery cheap",
                 "## Name clashes and replacing a built-in", "## From nothing to `ganzoo run`"):
        assert text in DOC, text


def test_documented_commands_exist() -> None:
    shell = "\n".join(re.findall(r"```bash\n(.*?)```", DOC, re.S))
    commands = set(re.findall(r"^ganzoo ([a-z-]+)", shell, re.M))
    assert {"new-plugin", "plugins", "list", "info", "run", "sample"} <= commands
    for command in sorted(commands):
        result = CliRunner().invoke(cli, [command, "--help"])
        assert result.exit_code == 0, (command, result.output)


# --------------------------------------------------------------------------- the plugin API


def _plugin_api_section() -> str:
    match = re.search(r"^## The plugin API: `ganzoo.plugin`\n(.*?)(?=^## )", DOC, re.M | re.S)
    assert match, "docs/PLUGINS.md has no section '## The plugin API: `ganzoo.plugin`'"
    return match.group(1)


def test_every_name_of_the_plugin_api_is_documented() -> None:
    import ganzoo.plugin

    rows = [line for line in _plugin_api_section().splitlines() if line.startswith("| `")]
    documented = {name for row in rows for name in re.findall(r"`(\w+)`", row.split(" | ")[0])}
    missing = sorted(set(ganzoo.plugin.__all__) - documented)
    assert not missing, f"add these names of ganzoo.plugin to docs/PLUGINS.md: {missing}"
    assert not documented - set(ganzoo.plugin.__all__), "documented names that do not exist"


def test_python_examples_import_only_the_plugin_api() -> None:
    blocks = re.findall(r"```python\n(.*?)```", DOC, re.S)
    assert len(blocks) >= 5
    for block in blocks:
        for module in re.findall(r"^\s*from (ganzoo[\w.]*) import", block, re.M):
            assert module == "ganzoo.plugin", f"an example imports {module}:\n{block}"


def test_documented_fault_messages_are_the_real_ones() -> None:
    import numpy as np

    from ganzoo.engine import faults
    from ganzoo.errors import PluginError

    with pytest.raises(PluginError) as caught:
        faults.scalar("loss 'myloss' from plugin 'mygan'", "loss", "discriminator_loss()",
                      np.zeros((64, 1)))
    assert f"`error: {caught.value}`" in DOC
    for text in ("a gradient of None means the tape did not record D's call",
                 "ganzoo visualize RUN --kind NAME --out FILE", "remapper failed",
                 "is not a ganzoo hook (did you mean ganzoo_register_losses?)"):
        assert text in DOC, text


def test_imagedata_fields_are_documented() -> None:
    import dataclasses

    from ganzoo.plugin import ImageData

    table = section("ImageData").split("\n\n")[1]
    for field in dataclasses.fields(ImageData):
        required = field.default is dataclasses.MISSING
        assert f"| `{field.name}` | {'yes' if required else 'no'}" in table, field.name


def _gradient_penalty_example() -> str:
    match = re.search(r"<!-- example: gradient-penalty -->\n```python\n(.*?)```", DOC, re.S)
    assert match, "the gradient-penalty example is gone from docs/PLUGINS.md"
    return match.group(1)


@pytest.mark.tf
def test_gradient_penalty_example_trains(tmp_path: Path) -> None:
    import types

    import numpy as np

    import ganzoo
    from ganzoo.zoo.host import load_catalog

    module = types.ModuleType("ganzoo_mygp")
    exec(compile(_gradient_penalty_example(), "PLUGINS.md", "exec"), module.__dict__)
    cat = load_catalog(extra_plugins=[("mygp", module)])
    assert cat.plugins["mygp"].error is None and cat.plugins["mygp"].warnings == []
    np.save(tmp_path / "tiny.npy", np.zeros((16, 28, 28, 1), np.uint8))
    result = ganzoo.train("mywgan", dataset=str(tmp_path / "tiny.npy"), steps=2, batch_size=4,
                          out=tmp_path / "run", verbose=0, cat=cat,
                          overrides={"g_filters": 4, "d_filters": 4, "d_steps": 2,
                                     "visualizers": "", "ema": 0.0})
    assert result.steps == 2
    header = (tmp_path / "run" / "metrics.csv").read_text().splitlines()[0].split(",")
    assert "mygp" in header
