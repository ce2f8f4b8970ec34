"""The reports page: evaluate leaderboard and verdict, act dry-run, monitoring.

Each section calls the stage's own library lazily and says "not run yet" (with the
step that produces it) when the stage has produced nothing. A section that fails is
shown with its error; the other sections still show.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import GlamlabError

if TYPE_CHECKING:
    from ..workspace import Workspace


def _section(title: str, fn: Any, ws: Workspace) -> dict[str, Any]:
    try:
        return {"title": title, **fn(ws)}
    except GlamlabError as exc:
        return {"title": title, "missing": exc.message, "hint": exc.hint}
    except ImportError:
        return {"title": title, "missing": "this stage is not installed in this glamlab",
                "hint": None}


def leaderboard(ws: Workspace) -> dict[str, Any]:
    t = ws.store.t.evaluations
    with ws.store.read() as conn:
        rows = conn.execute(sa.select(t).order_by(t.c.id.desc()).limit(200)).all()
    if not rows:
        return {"missing": "not run yet",
                "hint": "measure the baselines first: glamlab baseline, then glamlab evaluate"}
    latest: dict[str, Any] = {}
    for r in rows:  # newest evaluation of each candidate
        latest.setdefault(r.candidate, r)
    board = []
    for cand, r in latest.items():
        res = r.results if isinstance(r.results, dict) else {}
        value = res.get("value", res.get(r.metric))
        if isinstance(value, dict):
            value = value.get("value", value.get("point"))
        ci = res.get("ci95") or res.get("ci")
        board.append({"candidate": cand, "metric": r.metric,
                      "value": value if isinstance(value, int | float) else None,
                      "ci95": ci if isinstance(ci, list | tuple) else None,
                      "at": r.created_at})
    board.sort(key=lambda b: (b["value"] is None, -(b["value"] or 0)))
    verdict = None
    try:  # the evaluation stage may say more than the numbers
        from .. import evaluation

        fn = getattr(evaluation, "verdict", None)
        if callable(fn):
            verdict = fn(ws)
            if isinstance(verdict, dict):
                verdict = verdict.get("text") or verdict.get("verdict")
    except ImportError:
        verdict = None
    if verdict is None and board and board[0]["value"] is not None:
        best = board[0]
        verdict = (f"Best so far: {best['candidate']} with {best['metric']} "
                   f"{best['value']:.3f} on the test set.")
    return {"board": board, "verdict": verdict}


def act_dry_run(ws: Workspace) -> dict[str, Any]:
    t = ws.store.t.predictions
    with ws.store.read() as conn:
        if conn.execute(sa.select(t.c.id).limit(1)).first() is None:
            return {"missing": "not run yet",
                    "hint": "run the best model over the collection: glamlab run"}
    from ..actions.act import plan

    report = plan(ws, dry_run=True, actor="web").to_dict()
    return {"act": report}


def monitoring(ws: Workspace) -> dict[str, Any]:
    t = ws.store.t.runs
    with ws.store.read() as conn:
        if conn.execute(sa.select(t.c.id).limit(1)).first() is None:
            return {"missing": "not run yet", "hint": "monitoring starts after the first run"}
    from ..monitoring.monitor import monitor

    report = monitor(ws, store_alerts=False)
    return {"summary": report.summary(), "alert": bool(report.alerts)}


def gather(ws: Workspace) -> list[dict[str, Any]]:
    return [
        _section("Leaderboard and verdict (glamlab evaluate)", leaderboard, ws),
        _section("What the policy would do (glamlab act --dry-run)", act_dry_run, ws),
        _section("Monitoring (glamlab monitor)", monitoring, ws),
    ]
