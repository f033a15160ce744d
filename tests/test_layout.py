"""The architecture, checked from the source: the import graph of the three packages.

- no import cycle between modules (a function-level import counts like any other);
- layers: ``pgm`` imports neither ``energy`` nor ``neural``; ``energy`` does not import
  ``neural``;
- no package imports another package's private (``_``-prefixed) module or name;
- an import of the library inside a function is refused (it would hide a cycle or a layer
  break); function-level imports are kept for heavy optional third-party packages only;
- a kernel module loaded on first use (``lazy_module("a.b")`` at module level, see
  :mod:`pgm.runtime.jit`) counts as an import of it;
- no module over 650 lines (the design's "about 600").
"""

import ast
import importlib
import pathlib

import networkx as nx
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGES = ("pgm", "energy", "neural")
MAX_LINES = 650


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules():
    out = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            out[_module_name(path)] = path
    return out


MODULES = _modules()


def _resolve(name: str, node: ast.ImportFrom, is_pkg: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = name.split(".") if is_pkg else name.split(".")[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(name: str, path: pathlib.Path):
    """(target module, imported name or None, line, inside a function?) of every import."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_pkg = path.name == "__init__.py"
    out = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                       ast.Lambda))
            if isinstance(child, ast.Import):
                for alias in child.names:
                    out.append((alias.name, None, child.lineno, in_function))
            elif (isinstance(child, ast.Call) and getattr(child.func, "id", None) == "lazy_module"
                  and child.args and isinstance(child.args[0], ast.Constant)):
                # pgm.runtime.jit.lazy_module("a.b"): an import deferred to first use, checked
                # like any other (cycles, layers, private modules, not inside a function)
                out.append((child.args[0].value, None, child.lineno, in_function))
            elif isinstance(child, ast.ImportFrom):
                target = _resolve(name, child, is_pkg)
                for alias in child.names:
                    sub = f"{target}.{alias.name}"
                    if sub in MODULES:          # from pkg import module
                        out.append((sub, None, child.lineno, in_function))
                    else:
                        out.append((target, alias.name, child.lineno, in_function))
            visit(child, nested)

    visit(tree, False)
    return out


def _own(target: str) -> bool:
    return target.split(".")[0] in PACKAGES


def _graph():
    g = nx.DiGraph()
    g.add_nodes_from(MODULES)
    for name, path in MODULES.items():
        for target, _, _, _ in _imports(name, path):
            if _own(target):
                # importing a.b.c runs a/__init__ and a/b/__init__ too
                parts = target.split(".")
                for k in range(1, len(parts) + 1):
                    mod = ".".join(parts[:k])
                    if mod in MODULES and mod != name and not name.startswith(mod + "."):
                        g.add_edge(name, mod)
    return g


def test_the_three_packages_are_found():
    assert {"pgm", "energy", "neural"} <= set(MODULES)
    assert len(MODULES) > 30


def test_no_import_cycle():
    cycles = list(nx.simple_cycles(_graph()))
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c + [c[0]]) for c in cycles[:5])


@pytest.mark.parametrize("lower, upper", [("pgm", "energy"), ("pgm", "neural"),
                                          ("energy", "neural")])
def test_layers_import_only_downwards(lower, upper):
    bad = [f"{name}:{line} imports {target}"
           for name, path in MODULES.items() if name.split(".")[0] == lower
           for target, _, line, _ in _imports(name, path) if target.split(".")[0] == upper]
    assert not bad, "\n".join(bad)


def test_no_package_imports_another_packages_private_names():
    bad = []
    for name, path in MODULES.items():
        own_pkg = name.split(".")[0]
        for target, imported, line, _ in _imports(name, path):
            if not _own(target) or target.split(".")[0] == own_pkg:
                continue
            private_module = any(p.startswith("_") for p in target.split("."))
            private_name = imported is not None and imported.startswith("_")
            if private_module or private_name:
                bad.append(f"{name}:{line} imports {target}"
                           + (f".{imported}" if imported else ""))
    assert not bad, "\n".join(bad)


def test_no_function_level_import_of_the_library():
    bad = [f"{name}:{line} imports {target} inside a function"
           for name, path in MODULES.items()
           for target, _, line, in_function in _imports(name, path)
           if in_function and _own(target)]
    assert not bad, "\n".join(bad)


def test_no_module_is_too_long():
    long = {name: n for name, path in MODULES.items()
            if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines: {long}"


def _script_imports():
    for folder in ("examples", "benchmarks"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                        and _own(node.module):
                    for alias in node.names:
                        yield path.relative_to(ROOT), node.lineno, node.module, alias.name
                elif isinstance(node, ast.Import):
                    for alias in node.names:
                        if _own(alias.name):
                            yield path.relative_to(ROOT), node.lineno, alias.name, None


def test_examples_and_benchmarks_import_names_that_exist():
    """A script that imports a moved module fails here, not in a user's hands."""
    bad = []
    for path, line, module, name in _script_imports():
        try:
            mod = importlib.import_module(module)
            if name is not None and not hasattr(mod, name):
                importlib.import_module(f"{module}.{name}")
        except ImportError as exc:
            bad.append(f"{path}:{line}: {exc}")
    assert not bad, "\n".join(bad)
