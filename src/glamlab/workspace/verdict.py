"""The latest verdict on the baselines: the newest stored evaluation that compared
models with the baselines (``glamlab evaluate``), read from the store.

``glamlab retrain`` stores its champion-against-challenger evaluation too, without the
baselines; it is not a verdict on whether to automate, so the reports, ``glamlab
status`` and the warnings of ``run`` and ``act`` read this one instead of the newest
evaluation.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

if TYPE_CHECKING:
    from . import Workspace


def baseline_verdict(ws: Workspace) -> dict[str, Any] | None:
    """The newest evaluation with a baseline in it, or None: ``verdict`` (its words),
    ``created_at``, ``metric``, ``baselines`` (their names), ``models`` (spec -> True when
    it was better than every baseline, significantly), ``beaten`` (whether any model
    was), ``automate`` (False when the verdict's words say not to automate), ``chosen``
    (the model the verdict names, or None) and ``best_baseline`` (the best baseline's ``name`` with its ``value``, ``low``
    and ``high`` on ``metric``; None in a stored row from an older format)."""
    t = ws.store.t.evaluations
    with ws.store.read() as conn:
        rows = conn.execute(sa.select(t.c.id, t.c.candidate, t.c.created_at,
                                      t.c.test_fingerprint, t.c.metric, t.c.results)
                            .order_by(t.c.id.desc())).all()
    newest = next((r for r in rows if (r.results or {}).get("kind") == "baseline"), None)
    if newest is None:
        return None
    group = [r for r in rows if r.created_at == newest.created_at
             and r.test_fingerprint == newest.test_fingerprint and r.metric == newest.metric]
    baselines = sorted({r.candidate for r in group if (r.results or {}).get("kind") == "baseline"})
    figures: dict[str, dict[str, Any]] = {}
    for r in group:
        res = r.results or {}
        figure = (res.get("metrics") or {}).get(newest.metric)
        if res.get("kind") == "baseline" and isinstance(figure, dict) and "value" in figure:
            figures[r.candidate] = figure
    top = max(figures, key=lambda k: figures[k]["value"]) if figures else None
    models: dict[str, bool] = {}
    for r in group:
        res = r.results or {}
        if res.get("kind") != "model":
            continue
        spec = str(res.get("spec") or r.candidate)
        vs = [c for c in res.get("comparisons") or []
              if c.get("b") == r.candidate and c.get("a") in baselines]
        models[spec] = bool(vs) and all(c.get("significant") and (c.get("difference") or 0) > 0
                                        for c in vs)
    words = str((newest.results or {}).get("verdict") or "")
    # the verdict is about the model the evaluation chose (on calibration data): when it
    # says "do not automate", another model's win on the test set does not undo that (a
    # model picked for its test score looks better there than it is)
    named = re.search(r"best model ([^\s:,;(]+)", words)
    return {"verdict": words, "automate": "do not automate" not in words.lower(),
            "chosen": named.group(1) if named else None,
            "created_at": newest.created_at, "metric": newest.metric,
            "test_fingerprint": newest.test_fingerprint,
            "baselines": baselines, "models": models, "beaten": any(models.values()),
            "best_baseline": {"name": top, **figures[top]} if top else None}


def not_better_than_baseline(ws: Workspace, spec: str, *, web: bool = False,
                             noun: str = "items") -> str | None:
    """One line of warning when the latest comparison with the baselines found the model
    ``spec`` (NAME@VERSION) no better than them, or found no model better and did not
    compare ``spec``; None otherwise (no comparison yet, or the model beat them).
    ``web``: what to do is said as the web app does it, not as commands; ``noun``: the
    project's word for its items (:attr:`~glamlab.tasks.kinds.base.TaskKind.noun`:
    "texts" for entities, "rows" for a table)."""
    found = baseline_verdict(ws)
    if found is None or not found["models"]:
        return None
    beat = found["models"].get(spec)
    if beat:
        return None
    if beat is None and found["beaten"]:
        return None  # another model beat them; this one was not compared (no claim)
    base = ", ".join(found["baselines"])
    which = (f"{spec} was no better than the baselines ({base}): its predictions are no "
             "better than a simple rule" if beat is False else
             f"no model was better than the baselines ({base}), and {spec} was not compared "
             "with them: it is not shown to do better than a simple rule")
    others = ("an admin trains and evaluates them" if web else "glamlab evaluate")
    return (f"warning: in the latest comparison with the baselines {which}. Label more "
            f"{noun}, try other models ({others}), or use the baseline or a rule "
            "instead.")
