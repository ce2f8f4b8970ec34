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
        m = (res.get("metrics") or {}).get(r.metric) or {}
        value = m.get("value")
        ci = [m["low"], m["high"]] if "low" in m and "high" in m else None
        board.append({"candidate": cand, "metric": r.metric,
                      "value": value if isinstance(value, int | float) else None,
                      "ci95": ci, "at": r.created_at})
    board.sort(key=lambda b: (b["value"] is None, -(b["value"] or 0)))
    newest = rows[0].results if isinstance(rows[0].results, dict) else {}
    verdict = newest.get("verdict")
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

    stored = _stored_alerts(ws)
    rechecks = _open_rechecks(ws)
    try:
        report = monitor(ws, store_alerts=False)
    except GlamlabError as exc:
        return {"missing": exc.message, "hint": exc.hint, "alerts": stored,
                "rechecks": rechecks}
    return {"summary": report.summary(), "alert": bool(report.alerts), "alerts": stored,
            "rechecks": rechecks}


def _stored_alerts(ws: Workspace, limit: int = 20) -> list[dict[str, Any]]:
    """Alerts that `glamlab monitor` stored (newest first)."""
    t = ws.store.t.alerts
    with ws.store.read() as conn:
        rows = conn.execute(sa.select(t).order_by(t.c.id.desc()).limit(limit)).all()
    return [{"at": r.created_at, "signal": r.signal, "window": r.window, "value": r.value,
             "threshold": r.threshold} for r in rows]


def _open_rechecks(ws: Workspace) -> int:
    """Gold labels that `glamlab labels issues` sent to a person to re-check."""
    t = ws.store.t.review_queue
    with ws.store.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(t).where(
            t.c.kind == "recheck", t.c.status == "open")).scalar() or 0)


def gather(ws: Workspace) -> list[dict[str, Any]]:
    return [
        _section("Leaderboard and verdict (glamlab evaluate)", leaderboard, ws),
        _section("What the policy would do (glamlab act --dry-run)", act_dry_run, ws),
        _section("Monitoring (glamlab monitor)", monitoring, ws),
    ]
