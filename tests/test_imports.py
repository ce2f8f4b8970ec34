"""Every module of the package imports (mypy is told to ignore missing imports, so a module
renamed under another's feet is caught here, not by a user)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
MODULES = sorted(
    ".".join(p.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
    for p in (SRC / "glamlab").rglob("*.py") if p.name != "__main__.py")


@pytest.mark.parametrize("name", MODULES)
def test_module_imports(name: str) -> None:
    importlib.import_module(name)


def _imports_inside(path: Path) -> list[tuple[str, str | None, int]]:
    """Every glamlab ``from X import name`` / ``import X`` in a module, at any depth (inside
    functions too), as (module, name or None, line)."""
    import ast

    parts = list(path.relative_to(SRC).with_suffix("").parts)
    base = parts if parts[-1] == "__init__" else parts[:-1]
    base = [p for p in base if p != "__init__"]
    out: list[tuple[str, str | None, int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                pkg = base[: len(base) - (node.level - 1)]
                module = ".".join([*pkg, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            if module.split(".")[0] == "glamlab":
                out += [(module, a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.Import):
            out += [(a.name, None, node.lineno) for a in node.names
                    if a.name.split(".")[0] == "glamlab"]
    return out


def test_every_import_inside_functions_resolves() -> None:
    """Imports inside functions (lazy ones) run only when that path runs: check each names
    a module, or a name the module defines."""
    broken = []
    for path in sorted((SRC / "glamlab").rglob("*.py")):
        for module, name, line in _imports_inside(path):
            where = f"{path.relative_to(SRC)}:{line}"
            try:
                mod = importlib.import_module(module)
            except ImportError as exc:
                broken.append(f"{where}: {module} ({exc})")
                continue
            if name is None or name == "*" or hasattr(mod, name):
                continue
            try:
                importlib.import_module(f"{module}.{name}")
            except ImportError:
                broken.append(f"{where}: {module} has no {name}")
    assert not broken, "\n".join(broken)
