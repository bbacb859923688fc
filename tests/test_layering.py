"""The architecture, enforced: floors of subpackages, no import cycles, one plugin API.

Every import is counted, at module level or inside a function: a lazy import is still a
dependency. A module may import its own floor or a lower one (docs/DESIGN.md draws
them); plugins import `ganzoo.plugin` only.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ganzoo"

#: bottom to top; a module of floor k may import floors 0..k
FLOORS: tuple[tuple[str, ...], ...] = (
    ("ganzoo.errors", "ganzoo.version"),
    ("ganzoo.contract",),
    ("ganzoo.zoo",),
    ("ganzoo.data",),
    ("ganzoo.engine",),
    ("ganzoo.artifacts",),
    ("ganzoo.evaluation",),
    ("ganzoo.visual",),
    ("ganzoo.training",),
    ("ganzoo.plugin", "ganzoo.api", "ganzoo.bench"),
    ("ganzoo.cli",),
    ("ganzoo",),  # the package root re-exports the API lazily
)
MAX_LINES = 420


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(path: Path, package: str) -> set[str]:
    """Every ganzoo module `path` imports, resolved to module names (not attributes)."""
    known = _modules()
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            subs = [f"{base}.{alias.name}" for alias in node.names]
            # `from pkg import sub` depends on the submodule; `from mod import name` on mod
            names = [s for s in subs if s in known] or [base]
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name.startswith("ganzoo"):
                found.add(name)
    return found


def _floor(module: str) -> int:
    best, length = None, -1
    for level, prefixes in enumerate(FLOORS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > length:
                best, length = level, len(prefix)
    assert best is not None, f"{module} is on no floor: add it to FLOORS and docs/DESIGN.md"
    return best


def _graph() -> dict[str, set[str]]:
    graph = {}
    for name, path in _modules().items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        graph[name] = {m for m in _imports(path, package) if m != name}
    return graph


def test_every_module_imports_only_its_floor_or_lower() -> None:
    wrong = []
    for module, imported in _graph().items():
        for target in imported:
            # a package's __init__ sits on its package's floor; `ganzoo` itself is the top
            if target == "ganzoo":
                wrong.append(f"{module} imports the package root (import from the module)")
            elif _floor(target) > _floor(module):
                wrong.append(f"{module} (floor {_floor(module)}) imports {target} "
                             f"(floor {_floor(target)})")
    assert not wrong, "\n".join(sorted(wrong))


def test_no_import_cycles() -> None:
    graph = _graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt):], nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_the_layering_check_sees_a_violation() -> None:
    """The check above can fail: an engine module importing training would be reported."""
    assert _floor("ganzoo.training.loop") > _floor("ganzoo.engine.gan")
    assert _floor("ganzoo.plugin") > _floor("ganzoo.contract.contexts")
    assert _floor("ganzoo.cli.app") > _floor("ganzoo.api")


def test_modules_stay_small() -> None:
    big = {name: n for name, path in _modules().items()
           if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not big, f"split these modules (one concept each, <= {MAX_LINES} lines): {big}"


PLUGIN_SOURCES = [
    *sorted((ROOT / "plugins").glob("*.py")),
    *sorted((ROOT / "examples" / "ganzoo-resgan" / "ganzoo_resgan").glob("*.py")),
]


@pytest.mark.parametrize("path", PLUGIN_SOURCES, ids=lambda p: p.name)
def test_plugins_import_ganzoo_plugin_only(path: Path) -> None:
    """Built-ins and the example plugin use the stable API like any third-party plugin."""
    others = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ganzoo"):
            if node.module != "ganzoo.plugin" and not node.module.startswith("ganzoo_"):
                others.append(node.module)
        elif isinstance(node, ast.Import):
            others += [a.name for a in node.names if a.name.split(".")[0] == "ganzoo"]
    assert not others, f"{path.name} imports {others}; import them from ganzoo.plugin"


def test_scaffold_templates_import_ganzoo_plugin_only() -> None:
    from ganzoo.cli import scaffold

    files = scaffold.files_for(scaffold.names_for("probe"))
    for name, text in files.items():
        if not name.endswith(".py") or "/tests/" in f"/{name}":
            continue
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ganzoo."):
                assert node.module == "ganzoo.plugin", f"{name} imports {node.module}"


def test_the_plugin_api_never_imports_tensorflow() -> None:
    import subprocess
    import sys

    code = ("import sys, ganzoo.plugin as p; [getattr(p, n) for n in p.__all__ "
            "if n not in ('layers', 'input_gradients', 'input_gradient_norms', 'features')]; "
            "print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
