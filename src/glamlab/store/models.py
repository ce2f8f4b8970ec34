"""Finding a saved model version by its spec, in SQL: the one rule that
:func:`glamlab.registry.get_model` and the workspace's status (which sits below the
registry) both read."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


def select_model(t: Any, spec: str) -> sa.Select[Any]:
    """The ``models`` row ``spec`` names, first: ``NAME`` (its newest version),
    ``NAME@N`` (version N) or ``NAME@ALIAS`` (the version holding that alias). ``t`` is
    the store's tables (``ws.store.t``)."""
    m = t.models
    name, _, tag = spec.partition("@")
    if not tag:
        return sa.select(m).where(m.c.name == name).order_by(m.c.version.desc()).limit(1)
    if tag.isdigit():
        return sa.select(m).where(m.c.name == name, m.c.version == int(tag))
    a = t.model_aliases
    return sa.select(m).join(a, a.c.model_id == m.c.id).where(a.c.name == name,
                                                             a.c.alias == tag)
