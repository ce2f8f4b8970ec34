"""No overlap, ever: the items a model learned from never score it.

Every saved model version records the ids of the items it was trained on (role
``train``) and tuned on (``calibration``) in ``model_items``. :func:`check_disjoint`
refuses, with one error naming the items and the fix, to score a model on a test split
that holds any of them (``evaluate``, ``act``, ``retrain`` call it); moving such an
item into the test split is refused where splits are written
(:func:`glamlab.tasks.labels.trained_on`).

A tabular model retrained on outcomes (``glamlab retrain``) learns from rows of the test
split's period by design: it acts on rows still to come, which is right, but its figures
on the test split would be in-sample. Its rows are recorded under the role ``retrain``,
which :func:`check_disjoint` (and so ``act``) does not refuse; ``evaluate`` leaves such a
model out instead (:func:`glamlab.registry.tabular.test_rows_learned`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import sqlalchemy as sa

from ..errors import LabelError

if TYPE_CHECKING:
    from ..workspace import Workspace
    from .models import ModelVersion

ROLES = ("train", "calibration", "retrain")
#: the roles :func:`check_disjoint` refuses over: items that must never be in the test
#: split (``retrain`` rows may be: the model is then kept off the test split's figures)
CHECKED = ("train", "calibration")
SHOWN = 5


class OverlapError(LabelError):
    """A model would be scored on items it learned from."""


def record_items(conn: sa.Connection, model_id: int, items: dict[str, Iterable[str]]) -> int:
    """Store the item ids of each role (:data:`ROLES`) for a model version."""
    from ..store import schema as s

    rows = [{"model_id": model_id, "item_id": i, "role": role}
            for role, ids in items.items() for i in dict.fromkeys(ids)]
    for start in range(0, len(rows), 5000):
        conn.execute(s.model_items.insert(), rows[start:start + 5000])
    return len(rows)


def model_item_ids(ws: Workspace, model_id: int, role: str | None = None) -> list[str]:
    """The ids a model version learned from (``role``: one of :data:`ROLES`, or both)."""
    t = ws.store.t.model_items
    q = sa.select(t.c.item_id).where(t.c.model_id == model_id).distinct()
    if role is not None:
        q = q.where(t.c.role == role)
    with ws.store.read() as conn:
        return sorted(r[0] for r in conn.execute(q))


def has_item_record(ws: Workspace, model_id: int) -> bool:
    t = ws.store.t.model_items
    with ws.store.read() as conn:
        return conn.execute(sa.select(t.c.item_id).where(t.c.model_id == model_id)
                            .limit(1)).first() is not None


def test_overlap(ws: Workspace, model_id: int,
                 roles: Iterable[str] = CHECKED) -> list[str]:
    """Items in the test split that the model trained or was calibrated on (sorted;
    ``roles``: which of :data:`ROLES` count)."""
    mi, sp = ws.store.t.model_items, ws.store.t.splits
    with ws.store.read() as conn:
        return sorted({r[0] for r in conn.execute(
            sa.select(mi.c.item_id).join(sp, sp.c.item_id == mi.c.item_id)
            .where(mi.c.model_id == model_id, sp.c.split == "test",
                   mi.c.role.in_(list(roles))))})


test_overlap.__test__ = False  # type: ignore[attr-defined]


def check_disjoint(ws: Workspace, mv: ModelVersion | int, purpose: str, *,
                   spec: str | None = None, web: bool = False) -> None:
    """Raise :class:`OverlapError` when the test split holds items ``mv`` (a model
    version or its id) learned from. Models saved before item ids were recorded cannot
    be checked and pass; rows of a retraining on outcomes (role ``retrain``) are not
    refused here (acting with that model is right; ``evaluate`` leaves it out).
    ``web``: the fix names the web app's Train models page, not a command."""
    model_id = mv if isinstance(mv, int) else mv.id
    spec = spec or (f"id {model_id}" if isinstance(mv, int) else mv.spec)
    found = test_overlap(ws, model_id)
    if found:
        shown = ", ".join(found[:SHOWN]) + (f" and {len(found) - SHOWN} more"
                                           if len(found) > SHOWN else "")
        raise OverlapError(
            f"{purpose}: model {spec} trained or was calibrated on {len(found)} item"
            f"{'s' if len(found) != 1 else ''} now in the test split ({shown}); its test "
            "figures would be optimistic",
            item=found[0],
            hint=("train it again on the Train models page (it trains on the current "
                  "train split), or take these items out of the test split") if web else
                 f"retrain it on the current train split (glamlab train {spec.split('@')[0]}"
                 " ...), or take these items out of the test split")


def unchecked(ws: Workspace, model_id: int) -> bool:
    """True for a model that trained on items but was saved before their ids were
    recorded: its overlap with the test split cannot be checked."""
    from .models import get_model_by_id

    mv = get_model_by_id(ws, model_id)
    return int(mv.card.get("train_items") or 0) > 0 and not has_item_record(ws, model_id)
