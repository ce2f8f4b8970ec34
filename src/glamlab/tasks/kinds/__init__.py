"""Task kinds by name: the extension point for what a project predicts.

Built-in kinds are listed in :data:`BUILTIN` (imported lazily); third parties add theirs
through the ``glamlab.task_kinds`` entry-point group. :func:`task_kind` gives the kind of
a project card, checked against the card; every stage asks it (see :mod:`.base` for the
contract, and ``tests/tasks/kinds/test_conformance.py`` for the checks every registered
kind passes).

>>> from glamlab.tasks.kinds import task_kind
>>> kind = task_kind(ws.card)          # e.g. <SingleLabel single-label labels=['a', 'b']>
>>> kind.candidates(kind.predict(predictor, items)[0])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ... import plugins
from ...errors import ConfigError
from ...said import a_new_card, card_words
from .base import (
    Candidate,
    Failure,
    ItemStats,
    LabelRow,
    Reducer,
    Row,
    StoredPrediction,
    TaskKind,
)

if TYPE_CHECKING:
    from ...config import ProjectCard

ENTRY_POINT_GROUP = "glamlab.task_kinds"

# name -> "module:Class"
BUILTIN: dict[str, str] = {
    "single-label": "glamlab.tasks.kinds.classification:SingleLabel",
    "multi-label": "glamlab.tasks.kinds.classification:MultiLabel",
    "entities": "glamlab.tasks.kinds.entities:Entities",
}


def available() -> dict[str, str]:
    """Every registered kind name and where it lives."""
    return plugins.available(BUILTIN, ENTRY_POINT_GROUP)


def get(name: str) -> type[TaskKind[Any, Any]]:
    spec = plugins.find(name, BUILTIN, ENTRY_POINT_GROUP)
    if spec is None:
        raise ConfigError(f"no task kind called {name!r}",
                          hint=card_words(f"set [task] kind in glamlab.toml to one of: "
                                          f"{', '.join(available())}",
                                          f"give kind= one of {', '.join(map(repr, available()))}",
                                          f"give --kind one of {', '.join(available())}",
                                          "choose what is predicted for each item"))
    return plugins.load(spec)  # type: ignore[no-any-return]


def task_kind(card: ProjectCard, **overrides: Any) -> TaskKind[Any, Any]:
    """The task kind of ``card``, checked against it. ``overrides`` replace ``[task]``
    options for one call (e.g. ``threshold=0.6``); None leaves an option as it is."""
    kind = get(card.kind)(card, **overrides)
    kind.validate()
    return kind


def prepare_card(card: ProjectCard) -> None:
    """Complete a new project card with its kind's defaults (the metric) and check it:
    what ``glamlab init`` does before it writes anything."""
    with a_new_card():  # not written yet: a fix names the caller's arguments
        if not card.metric:
            card.metric = get(card.kind).default_metric
        task_kind(card)


__all__ = ["BUILTIN", "ENTRY_POINT_GROUP", "Candidate", "Failure", "ItemStats", "LabelRow",
           "Reducer", "Row", "StoredPrediction", "TaskKind", "available", "get", "prepare_card",
           "task_kind"]
