"""The import contract: every arrow between our layers points down, and nothing cycles.

Why a test and not a diagram: the README's layer table drifted from the code once (the wallet
reached into the protocol package for hashing; a view model lived in a widget module and the
widgets imported each other). Each module under ``wallet_perps`` is parsed with :mod:`ast`, so
imports inside functions and under ``TYPE_CHECKING`` count too, and checked against the same
table the README shows. The few known exceptions are listed in :data:`ALLOWED_EXCEPTIONS`, each
with its reason, and an exception that no longer matches any import fails the test so the list
cannot rot.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

PACKAGE_DIR: Final = Path(__file__).resolve().parents[1] / "wallet_perps"
ROOT: Final = "wallet_perps"

#: Top-level modules of the app shell (command line, self-test, logs, crash reports).
SHELL_MODULES: Final = frozenset(
    {"app", "selftest", "diagnostics", "redaction", "heap_trim", "__main__"}
)

#: Which layers each layer may import (itself included). ``shell`` may import anything; the
#: package root (``wallet_perps/__init__.py``, just the version) may be imported by anyone.
#: Keep in step with the README's "Architecture" table.
MAY_IMPORT: Final[dict[str, frozenset[str]]] = {
    "core": frozenset({"core"}),
    "crypto": frozenset({"crypto", "core"}),
    "config": frozenset({"config", "core"}),
    "hyperliquid": frozenset({"hyperliquid", "crypto", "core"}),
    "wallet": frozenset({"wallet", "crypto", "config", "core"}),
    "services": frozenset({"services", "wallet", "hyperliquid", "crypto", "config", "core"}),
    "ui": frozenset({"ui", "services", "config", "core"}),
    "localvenue": frozenset({"localvenue", "hyperliquid", "crypto", "core"}),
    "resources": frozenset({"resources"}),
}

#: Packages that load Qt: only ``ui`` imports them, or the shell inside a function.
QT_PACKAGES: Final = frozenset({"PySide6", "shiboken6", "qasync", "pyqtgraph"})

#: (importing module, imported module or package) -> why it is allowed for now. An entry
#: covers the named module and everything under it.
#: None today: the wallet signs digests the sender makes (it imported hyperliquid.signing
#: until the signers took digests instead of actions).
ALLOWED_EXCEPTIONS: Final[dict[tuple[str, str], str]] = {}


@dataclass(frozen=True, slots=True)
class Import:
    """One import statement's target as seen from one module."""

    importer: str
    target: str  # fully qualified module (ours resolved to a module that exists)
    line: int
    in_function: bool
    type_only: bool  # under ``if TYPE_CHECKING:``


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path
        for path in sorted(PACKAGE_DIR.rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def _is_package(module: str) -> bool:
    return _modules()[module].name == "__init__.py"


def _ours(name: str) -> str:
    """The longest prefix of ``name`` that is one of our modules (``a.b.C`` -> ``a.b``)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in _modules():
            return candidate
        parts.pop()
    return name


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(
    node: ast.AST, in_function: bool, type_only: bool
) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool, bool]]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, in_function, type_only
        elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield from _walk(child, True, type_only)
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            for stmt in child.body:
                yield from _walk(ast.Module(body=[stmt], type_ignores=[]), in_function, True)
            for stmt in child.orelse:
                yield from _walk(ast.Module(body=[stmt], type_ignores=[]), in_function, type_only)
        else:
            yield from _walk(child, in_function, type_only)


@cache
def _imports(module: str) -> tuple[Import, ...]:
    tree = ast.parse(_modules()[module].read_text(encoding="utf-8"))
    package = module if _is_package(module) else module.rpartition(".")[0]
    found: list[Import] = []
    for node, in_function, type_only in _walk(tree, False, False):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                # ``from pkg import submodule`` imports the submodule; else the name is an
                # attribute of ``base``.
                targets.append(full if full in _modules() else base)
        for target in targets:
            resolved = _ours(target) if target.split(".")[0] == ROOT else target
            found.append(Import(module, resolved, node.lineno, in_function, type_only))
    return tuple(found)


def _layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "root"
    if len(parts) == 2 and not _is_package(module):
        return "config" if parts[1] == "config" else "shell" if parts[1] in SHELL_MODULES else "?"
    return parts[1]


def _allowed_by_exception(imp: Import) -> tuple[str, str] | None:
    for importer, target in ALLOWED_EXCEPTIONS:
        if imp.importer == importer and (
            imp.target == target or imp.target.startswith(target + ".")
        ):
            return (importer, target)
    return None


def test_every_module_has_a_layer() -> None:
    unknown = sorted(m for m in _modules() if _layer(m) not in {*MAY_IMPORT, "shell", "root"})
    assert not unknown, (
        "modules outside every layer (add them to the README table and to MAY_IMPORT or "
        f"SHELL_MODULES): {unknown}"
    )


def test_imports_point_down_only() -> None:
    problems: list[str] = []
    used: set[tuple[str, str]] = set()
    for module in _modules():
        layer = _layer(module)
        for imp in _imports(module):
            if imp.target.split(".")[0] != ROOT or layer == "shell":
                continue
            target_layer = _layer(imp.target)
            if target_layer == "root" or target_layer in MAY_IMPORT.get(layer, frozenset()):
                continue
            exception = _allowed_by_exception(imp)
            if exception is not None:
                used.add(exception)
                continue
            where = "inside a function" if imp.in_function else "at module level"
            problems.append(
                f"{module} ({layer}) imports {imp.target} ({target_layer}) {where}, "
                f"line {imp.line}; {layer} may import only {sorted(MAY_IMPORT.get(layer, ()))}"
            )
    stale = sorted(set(ALLOWED_EXCEPTIONS) - used)
    problems += [f"allowed exception no longer needed, remove it: {i} -> {t}" for i, t in stale]
    assert not problems, "layering violations:\n  " + "\n  ".join(problems)


def test_qt_only_in_ui_or_inside_shell_functions() -> None:
    problems = []
    for module in _modules():
        layer = _layer(module)
        for imp in _imports(module):
            if imp.target.split(".")[0] not in QT_PACKAGES or layer == "ui":
                continue
            if layer == "shell" and (imp.in_function or imp.type_only):
                continue
            problems.append(f"{module} ({layer}) imports {imp.target}, line {imp.line}")
    assert not problems, (
        "Qt outside ui (the shell may import it only inside functions, so --help and "
        "--version need no display):\n  " + "\n  ".join(problems)
    )


def _import_graph() -> dict[str, set[str]]:
    """Module-level, run-time edges between our modules: what executes at import."""
    graph: dict[str, set[str]] = {m: set() for m in _modules()}
    for module in _modules():
        for imp in _imports(module):
            if imp.in_function or imp.type_only or imp.target not in graph:
                continue
            if imp.target != module:
                graph[module].add(imp.target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycles_at_import_time() -> None:
    graph = _import_graph()
    cycles = _cycles(graph)
    lines = []
    for component in cycles:
        members = set(component)
        edges = [f"{a} -> {b}" for a in component for b in sorted(graph[a]) if b in members]
        lines.append("; ".join(edges))
    assert not cycles, "import cycles (module-level imports):\n  " + "\n  ".join(lines)


def test_the_checker_sees_what_it_must() -> None:
    """The parser resolves relative, function-level and TYPE_CHECKING imports, so a clean run
    above means something; and the cycle finder finds a planted cycle."""
    source = (
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from wallet_perps.ui import theme\n"
        "def f() -> None:\n    from PySide6 import QtCore\n"
    )
    tree = ast.parse(source)
    seen = [(n.lineno, inf, tc) for n, inf, tc in _walk(tree, False, False)]
    assert seen == [(1, False, False), (2, False, False), (4, False, True), (6, True, False)]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _layer("wallet_perps.crypto.keccak") == "crypto"
    assert _layer("wallet_perps.config") == "config"
    assert _layer("wallet_perps.app") == "shell"
    relative = [i.target for i in _imports("wallet_perps.wallet.unlocked")]
    assert "wallet_perps.crypto.secp256k1" in relative
