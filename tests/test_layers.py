"""The layers stay layers: no import cycle in the firmware or on the host, and on the host nothing reaches back up
device -> ops -> cli (nor does the register reach for the device or the commands). Every import counts, those
inside functions too: a lazy import is still a dependency."""

from __future__ import annotations

import ast
from pathlib import Path

from tools_support import ROOT

FIRMWARE = ROOT / "firmware"
HOST = ROOT / "host" / "tobs"


def firmware_modules() -> dict[str, Path]:
    """Module name -> file, as the device imports them: lib/ is on the path, so is the top folder."""
    found = {}
    for path in sorted(FIRMWARE.rglob("*.py")):
        rel = path.relative_to(FIRMWARE)
        if "__pycache__" in rel.parts or rel == Path("__init__.py"):
            continue
        parts = list(rel.with_suffix("").parts)
        if parts[0] in ("lib", "testbuild", "tools"):
            parts = parts[1:]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def host_modules() -> dict[str, Path]:
    found = {}
    for path in sorted(HOST.rglob("*.py")):
        rel = path.relative_to(HOST.parent)
        if "__pycache__" in rel.parts or "migrations" in rel.parts:
            continue
        parts = list(rel.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports(module: str, path: Path, known: set[str]) -> set[str]:
    """The known modules `module` imports anywhere in its file."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".") if package else []
                anchor = anchor[: len(anchor) - (node.level - 1)] if node.level > 1 else anchor
                base = ".".join([*anchor, *([base] if base else [])])
            names = [f"{base}.{alias.name}" if base else alias.name for alias in node.names] + [base]
        for name in names:
            # The longest known module the name starts with: `from handheld import text` is handheld.text.
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
    return targets


def graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    known = set(modules)
    return {name: imports(name, path, known) for name, path in modules.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle_and_only_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set(), "c": {"a", "b"}}) == []


def test_the_import_reader_sees_lazy_relative_and_from_imports():
    modules = firmware_modules()
    edges = graph(modules)
    assert "handheld.siteconfig_check" in edges["handheld.siteconfig_load"]  # from handheld import x
    assert "tobs_core" in edges["tobs_record"]  # the relative import the PC uses, and its fallback
    assert "handheld.flow" in edges["handheld.app"]  # imported inside a function


def test_no_import_cycle_in_the_firmware():
    assert cycles(graph(firmware_modules())) == []


def test_no_import_cycle_on_the_host():
    assert cycles(graph(host_modules())) == []


def test_the_screens_never_import_the_flow():
    edges = graph(firmware_modules())
    screens = [name for name in edges if name.startswith("handheld.screen_")]
    assert screens
    for name in screens:
        assert "handheld.flow" not in edges[name], name


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


# Which host layers each layer may import. The CLI sits on top; ops use the device and the register; the device
# layer and the register know nothing of each other or of what is above them.
ALLOWED = {
    # tobs.files: owner-only files and folders for health data, below every layer that writes any.
    "files": set(),
    "shared": {"firmware"},
    "firmware": set(),
    "device": {"firmware", "shared", "files"},
    "register": {"shared", "files"},
    "ops": {"device", "register", "firmware", "shared", "files"},
    "reports": {"register", "firmware", "shared", "files"},
    "exchange": {"register", "firmware", "shared", "files"},
    "web": {"reports", "exchange", "register", "firmware", "shared", "files"},
    "cli": {"ops", "device", "register", "firmware", "shared", "reports", "web", "exchange", "files"},
}


def test_host_layers_only_import_downwards():
    edges = graph(host_modules())
    wrong = []
    for module, targets in edges.items():
        layer = layer_of(module)
        if layer not in ALLOWED:
            continue  # the package itself, and layers this test does not know yet are checked for cycles only
        for target in targets:
            other = layer_of(target)
            if other and other != layer and other not in ALLOWED[layer]:
                wrong.append(f"{module} imports {target}")
    assert wrong == []
