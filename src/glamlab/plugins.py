"""Things found by name: the predictor catalogue and the task kinds. Built-ins are listed
as ``"module:Class"`` and imported only when asked for; third parties add theirs through
an entry-point group."""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Any


def available(builtin: dict[str, str], group: str) -> dict[str, str]:
    """Every registered name (built-ins first, then the ``group`` entry points) and
    where it lives, sorted by name."""
    found = dict(builtin)
    for ep in entry_points(group=group):
        found.setdefault(ep.name, ep.value)
    return dict(sorted(found.items()))


def find(name: str, builtin: dict[str, str], group: str) -> str | None:
    """Where ``name`` lives; built-ins without reading every installed package's entry
    points (which is slow)."""
    return builtin.get(name) or available(builtin, group).get(name)


def load(spec: str) -> Any:
    """The object a ``"module:Name"`` spec names."""
    module_name, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module_name), attr)
