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
