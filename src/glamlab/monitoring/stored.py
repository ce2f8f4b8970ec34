"""Monitoring results stored with the key of what they depend on.

``monitor()`` refits its calibration for every window (seconds to minutes on a large
collection), so pages never call it while a person waits: :func:`compute` runs it (after a
run, from ``glamlab monitor``, or in the web app's background worker) and stores the report
in ``report_cache`` under a key made of everything it reads: the model's predictions and
runs, the test split, the training split as the model saw it, the ``[monitor]`` settings.
:func:`load` returns the stored report at once, saying whether it is still current.

Reviewer decisions change only the override rate: a report older than
:data:`DECISIONS_GRACE` with decisions made since counts as out of date, so it is refreshed
now and then while people review, not after every click.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import GlamlabError
from ..store import now
from ..store.results import get_result, key_of, put_result

if TYPE_CHECKING:
    from ..registry.models import ModelVersion
    from ..workspace import Workspace

DECISIONS_GRACE = timedelta(minutes=5)


def _model(ws: Workspace, model: str | None, *, web: bool = False) -> ModelVersion:
    from ..registry.models import get_model
    from .monitor import _default_model

    return get_model(ws, model or _default_model(ws, web=web))


#: the decisions marker's step per undone decision (:func:`dependency_key`): above any id
_WITHDRAWN_STEP = 1 << 40


def dependency_key(ws: Workspace, mv: ModelVersion) -> tuple[str, int]:
    """(key of what the report depends on, a marker of what is decided: the newest
    decision id, moved on by each undone decision)."""
    t = ws.store.t
    with ws.store.read() as conn:
        preds = conn.execute(sa.select(sa.func.max(t.predictions.c.id))
                             .where(t.predictions.c.model_id == mv.id)).one()
        runs = conn.execute(sa.select(sa.func.count(), sa.func.sum(t.runs.c.done),
                                      sa.func.sum(t.runs.c.failed))
                            .where(t.runs.c.model_id == mv.id)).one()
        test = conn.execute(sa.select(sa.func.count(), sa.func.max(t.splits.c.created_at))
                            .where(t.splits.c.split == "test")).one()
        train = conn.execute(sa.select(sa.func.count()).where(
            t.splits.c.split != "test", t.splits.c.created_at <= mv.created_at)).scalar()
        decided = conn.execute(sa.select(sa.func.max(t.decisions.c.id))).scalar()
        # an undone decision (its action "…-withdrawn") changes what is decided as a new
        # one does, though the newest id stays the same
        withdrawn = conn.execute(sa.select(sa.func.count()).where(
            t.decisions.c.action.like("%-withdrawn"))).scalar()
        # tabular: new rows are new windows, new versions of rows bring their outcomes
        rows = (conn.execute(sa.select(sa.func.count(), sa.func.max(t.items.c.created_at)))
                .one() if ws.card.modality == "tabular" else (0, None))
    facts = {"model": mv.id, "preds": list(preds), "runs": [str(v) for v in runs],
             "rows": [int(rows[0] or 0), str(rows[1])],
             "test": [test[0], str(test[1])], "train": train,
             "monitor": ws.card.section("monitor"), "metrics": mv.metrics.get("test"),
             "modality": ws.card.modality}
    return key_of(facts), int(decided or 0) + _WITHDRAWN_STEP * int(withdrawn or 0)


def _name(mv: ModelVersion) -> str:
    return f"monitor:{mv.name}@{mv.version}"


def load(ws: Workspace, model: str | None = None, *,
         web: bool = False) -> dict[str, Any] | None:
    """The stored monitoring report of ``model`` (default: the champion, else the newest
    model with predictions), with ``current`` (False when it should be recomputed) and
    ``computed_at``; None when none was ever stored (``web``: when no model has
    predictions, its fix in the web app's words)."""
    mv = _model(ws, model, web=web)
    row = get_result(ws.store, _name(mv))
    if row is None:
        return None
    key, decided = dependency_key(ws, mv)
    result = row["result"]
    stale_decisions = (int(result.get("decisions_max", 0)) != decided
                       and now() - row["computed_at"] > DECISIONS_GRACE)
    result["current"] = row["key"] == key and not stale_decisions
    result["computed_at"] = row["computed_at"]
    result["seconds"] = row["seconds"]
    return result


def compute(ws: Workspace, model: str | None = None, *, store_alerts: bool = False,
            web: bool = False) -> dict[str, Any]:
    """Run the monitor now and store its report (or the reason it cannot run yet; with
    ``web``, its fix in the web app's words: the stored report is what its pages show)."""
    from .monitor import monitor

    mv = _model(ws, model, web=web)
    key, decided = dependency_key(ws, mv)
    started = time.perf_counter()
    try:
        result: dict[str, Any]
        if ws.card.modality == "tabular":  # rows over time: drift causes, estimated F1
            from .tabular_project import monitor_project

            rows = monitor_project(ws, model=mv.spec, web=web)
            if store_alerts:
                from .tabular_project import store_alerts as keep_alerts

                keep_alerts(ws, rows)
            result = {**rows.to_dict(), "tabular": True, "summary": rows.summary(),
                      "alert": bool(rows.flagged)}
        else:
            report = monitor(ws, mv.spec, store_alerts=store_alerts, web=web)
            result = {**report.to_dict(), "summary": report.summary()}
    except GlamlabError as exc:
        result = {"model": mv.spec, "error": exc.message, "hint": exc.hint}
    return _save(ws, mv, key, decided, result, time.perf_counter() - started)


def _save(ws: Workspace, mv: ModelVersion, key: str, decided: int, result: dict[str, Any],
          seconds: float) -> dict[str, Any]:
    row = put_result(ws.store, _name(mv), key, {**result, "decisions_max": decided}, seconds)
    return {**row["result"], "current": True, "computed_at": row["computed_at"],
            "seconds": seconds}


def store_report(ws: Workspace, report: Any) -> None:
    """Keep a report ``glamlab monitor`` just computed (so pages need not compute it)."""
    from ..registry.models import get_model

    mv = get_model(ws, report.model)
    key, decided = dependency_key(ws, mv)
    extra = ({"tabular": True, "alert": bool(report.flagged)}
             if ws.card.modality == "tabular" else {})
    _save(ws, mv, key, decided, {**report.to_dict(), "summary": report.summary(), **extra},
          0.0)
