"""The public names are exported once, from ``glamlab``, and pinned here: changing them
is a decision, not an accident."""

from __future__ import annotations

import glamlab

PUBLIC = ["GlamlabError", "Item", "ProjectCard", "Workspace", "__version__",
          "predictions_frame"]


def test_exported_members_are_pinned():
    assert sorted(glamlab.__all__) == sorted(PUBLIC)


def test_every_exported_member_resolves():
    for name in glamlab.__all__:
        assert getattr(glamlab, name) is not None


def test_unknown_attribute_is_an_attribute_error():
    import pytest

    with pytest.raises(AttributeError):
        glamlab.NoSuchThing  # noqa: B018


def test_every_import_in_the_docstrings_examples_resolves():
    """The `>>> from glamlab... import ...` lines of the modules' docstrings, and the
    `from glamlab... import ...` lines of README.md and docs/, name what exists: the
    evaluation module's example imported `baseline_candidates`, which is not there
    (`fit_baselines` gives the baselines)."""
    import importlib
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    pattern = re.compile(r"^\s*(?:>>> )?from (glamlab[\w.]*) import ([\w, ]+?)\s*(?:#.*)?$",
                         re.M)
    sources = [*sorted((root / "src" / "glamlab").rglob("*.py")), root / "README.md",
               *sorted((root / "docs").glob("*.md"))]
    missing = []
    for path in sources:
        text = path.read_text(encoding="utf-8")
        for module, names in pattern.findall(text):
            if path.suffix == ".py" and f">>> from {module} import" not in text:
                continue  # the code's own imports are checked by running it
            mod = importlib.import_module(module)
            for name in (n.strip() for n in names.split(",")):
                if name and not hasattr(mod, name):
                    try:
                        importlib.import_module(f"{module}.{name}")
                    except ImportError:
                        missing.append(f"{path.relative_to(root)}: {module}.{name}")
    assert not missing
