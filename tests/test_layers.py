"""The packages form layers, and each imports only the layers below it.

Every import counts: at module level, inside functions (where cycles hide) and under
``if TYPE_CHECKING:``. Packages on one line of :data:`LAYERS` may import each other only
one way (the whole graph must have no cycle). ``python -m tests.test_layers`` prints the
layers with what each package imports.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "glamlab"

# lowest first; the order README.md and docs/architecture.md draw
LAYERS: list[tuple[str, ...]] = [
    ("errors", "said", "config", "progress", "plugins", "files", "sheets"),
    ("store",),
    ("items", "ingest"),
    ("workspace",),
    ("auth",),
    ("tasks",),
    ("linking",),
    ("features",),
    ("predictors",),
    ("registry",),
    ("evaluation",),
    ("inference",),
    ("actions",),
    ("review",),
    ("monitoring",),
    ("retraining",),
    ("reports",),
    ("trends",),
    ("demo",),
    ("web", "cli", "__main__"),
]
LEVEL = {name: i for i, layer in enumerate(LAYERS) for name in layer}


def _module_name(path: Path) -> tuple[list[str], bool]:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        return parts[:-1], True
    return parts, False


def imports() -> dict[str, dict[str, list[str]]]:
    """package -> imported package -> where ("module:line")."""
    out: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in sorted(SRC.rglob("*.py")):
        parts, is_pkg = _module_name(path)
        if len(parts) < 2:
            continue  # glamlab/__init__.py: the public facade, resolved lazily
        here = parts[1]
        base = parts if is_pkg else parts[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    pkg = base[: len(base) - (node.level - 1)]
                    mod = [*pkg, *(node.module.split(".") if node.module else [])]
                    targets = ([".".join([*mod, a.name]) for a in node.names] if not node.module
                               else [".".join(mod)])
                else:
                    targets = [node.module or ""]
            for target in targets:
                t = target.split(".")
                if t[0] != "glamlab" or len(t) < 2:
                    continue
                there = t[1]
                if not ((SRC / there).is_dir() or (SRC / f"{there}.py").exists()):
                    continue  # a name of the glamlab package itself (__version__)
                if there != here:
                    out[here][there].append(f"{'.'.join(parts)}:{node.lineno}")
    return out


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                found.append([*path[path.index(nxt):], nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def report() -> str:
    deps = imports()
    lines = []
    for i, layer in enumerate(LAYERS):
        for name in layer:
            below = sorted(deps.get(name, {}), key=lambda p: (LEVEL.get(p, -1), p))
            lines.append(f"{i:2d} {name:<11} -> {', '.join(below) or '(nothing)'}")
    return "\n".join(lines)


def test_every_package_is_in_a_layer() -> None:
    packages = {p.stem if p.is_file() else p.name for p in SRC.iterdir()
                if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()}
    assert packages - set(LEVEL) == set(), "add new packages to LAYERS (and to the docs)"
    assert set(LEVEL) - packages == set(), "LAYERS names a package that is gone"


def test_each_package_imports_only_layers_below() -> None:
    upward = []
    for here, targets in imports().items():
        for there, where in targets.items():
            if LEVEL.get(there, -1) > LEVEL[here]:
                upward.append(f"{here} (layer {LEVEL[here]}) imports {there} (layer "
                              f"{LEVEL.get(there)}) at {', '.join(where)}")
    assert not upward, "imports going up the layers:\n" + "\n".join(sorted(upward))


def test_no_import_cycles_between_packages() -> None:
    graph = {here: set(targets) for here, targets in imports().items()}
    assert _cycles(graph) == []


def test_only_the_fronts_import_the_demo() -> None:
    users = sorted(p for p, targets in imports().items() if "demo" in targets)
    assert set(users) <= {"cli", "web"}, users


if __name__ == "__main__":
    print(report())
