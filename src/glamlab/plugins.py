"""Things found by name: the predictor catalogue, the task kinds and the hooks. Built-ins
are listed as ``"module:Class"`` and imported only when asked for; third parties add theirs
through an entry-point group.

:data:`HOOKS` are what a lower layer calls in a higher one it may not import (see
``tests/test_layers.py``): ``glamlab/__init__.py``, which runs before any glamlab module,
names them, and :func:`hook` loads one when it is first called."""

from __future__ import annotations

import importlib
from typing import Any

#: hook name -> "module:name"; ``glamlab/__init__.py`` registers the built-in ones:
#: ``prepare_card``, the task kinds' completion and check of a new project card
#: (:meth:`glamlab.workspace.Workspace.init` calls it when not given ``prepare``)
HOOKS: dict[str, str] = {}


def available(builtin: dict[str, str], group: str) -> dict[str, str]:
    """Every registered name (built-ins first, then the ``group`` entry points) and
    where it lives, sorted by name."""
    from importlib.metadata import entry_points  # slow to import: only when asked

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


def hook(name: str) -> Any | None:
    """The hook registered as ``name`` in :data:`HOOKS`, loaded; None where none is."""
    spec = HOOKS.get(name)
    return None if spec is None else load(spec)
