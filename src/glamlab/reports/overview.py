"""One look across the stages (the web app's reports page): the evaluation leaderboard
and verdict, what the policy would do (act dry run), and monitoring.

Each section calls the stage's own library and says "not run yet" (with the step that
produces it) when the stage has produced nothing. A section that fails is shown with its
error; the other sections still show.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import GlamlabError

if TYPE_CHECKING:
    from ..workspace import Workspace


def _section(title: str, fn: Callable[[Workspace], dict[str, Any]], ws: Workspace
             ) -> dict[str, Any]:
    try:
        return {"title": title, **fn(ws)}
    except GlamlabError as exc:
        return {"title": title, "missing": exc.message, "hint": exc.hint}
    except ImportError:
        return {"title": title, "missing": "this stage is not installed in this glamlab",
                "hint": None}


def leaderboard(ws: Workspace) -> dict[str, Any]:
    """The newest evaluation of each candidate, best first, and the latest verdict."""
    from ..evaluation import history

    rows = history(ws, limit=200)
    if not rows:
        return {"missing": "not run yet",
                "hint": "measure the baselines first: glamlab baseline, then glamlab evaluate"}
    latest: dict[str, Any] = {}
    for r in rows:  # newest first: keep each candidate's newest evaluation
        latest.setdefault(r["candidate"], r)
    board = []
    for cand, r in latest.items():
        value = r["value"]
        ci = [r["low"], r["high"]] if r["low"] is not None and r["high"] is not None else None
        board.append({"candidate": cand, "metric": r["metric"],
                      "value": value if isinstance(value, int | float) else None,
                      "ci95": ci, "at": r["created_at"]})
    board.sort(key=lambda b: (b["value"] is None, -(b["value"] or 0)))
    verdict = rows[0].get("verdict")
    if verdict is None and board and board[0]["value"] is not None:
        best = board[0]
        verdict = (f"Best so far: {best['candidate']} with {best['metric']} "
                   f"{best['value']:.3f} on the test set.")
    return {"board": board, "verdict": verdict}


def act_dry_run(ws: Workspace) -> dict[str, Any]:
    """What the policy would do with the latest predictions (nothing is written)."""
    from ..actions.act import plan
    from ..inference import has_predictions

    if not has_predictions(ws):
        return {"missing": "not run yet",
                "hint": "run the best model over the collection: glamlab run"}
    return {"act": plan(ws, dry_run=True, actor="web").to_dict()}


def monitoring(ws: Workspace) -> dict[str, Any]:
    """The monitor's verdict now, the alerts ``glamlab monitor`` stored, and how many gold
    labels wait to be re-checked (``glamlab labels issues``)."""
    from ..inference import list_runs
    from ..monitoring.monitor import monitor, stored_alerts
    from ..review import queue_counts

    if not list_runs(ws, limit=1):
        return {"missing": "not run yet", "hint": "monitoring starts after the first run"}
    stored = stored_alerts(ws, limit=20)
    rechecks = queue_counts(ws, kind="recheck")["open"]
    try:
        report = monitor(ws, store_alerts=False)
    except GlamlabError as exc:
        return {"missing": exc.message, "hint": exc.hint, "alerts": stored,
                "rechecks": rechecks}
    return {"summary": report.summary(), "alert": bool(report.alerts), "alerts": stored,
            "rechecks": rechecks}


def gather(ws: Workspace) -> list[dict[str, Any]]:
    """Every section of the reports page."""
    return [
        _section("Leaderboard and verdict (glamlab evaluate)", leaderboard, ws),
        _section("What the policy would do (glamlab act --dry-run)", act_dry_run, ws),
        _section("Monitoring (glamlab monitor)", monitoring, ws),
    ]
