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
    """The newest evaluation of each candidate, best first, and the latest verdict on
    the baselines (a retrain's comparison of the model in use with its challenger is not one)."""
    from ..evaluation import history
    from ..workspace.verdict import baseline_verdict

    rows = history(ws, limit=200)
    if not rows:
        return {"missing": "not run yet",
                "hint": ("measure the baselines first: \"Fit the baselines and evaluate\" on "
                         "the Baselines and evaluation page")}
    latest: dict[str, Any] = {}
    for r in rows:  # newest first: keep each candidate's newest evaluation
        latest.setdefault(r["candidate"], r)
    board = []
    # a count task's evaluations lead with its count error (lower is better)
    counted = all(r.get("count_metric") in (r.get("metrics") or {}) for r in latest.values())
    for cand, r in latest.items():
        if counted:
            m = r["metrics"][r["count_metric"]]
            r = {**r, "metric": r["count_metric"], "value": m.get("value"),
                 "low": m.get("low"), "high": m.get("high")}
        value = r["value"]
        ci = [r["low"], r["high"]] if r["low"] is not None and r["high"] is not None else None
        spend = (f"{r['calls']} calls, {r['spent']:.2f} {ws.card.currency} "
                 f"({r['cached']} from the cache)" if r.get("service") else None)
        board.append({"candidate": cand, "metric": r["metric"],
                      "value": value if isinstance(value, int | float) else None,
                      "ci95": ci, "at": r["created_at"], "spend": spend})
    board.sort(key=lambda b: (b["value"] is None,
                              (b["value"] or 0) if counted else -(b["value"] or 0)))
    found = baseline_verdict(ws)
    verdict = found["verdict"] if found else rows[0].get("verdict")
    # the warnings of the evaluation whose verdict is shown (e.g. a model left out)
    shown = next((r for r in rows if found and r["created_at"] == found["created_at"]),
                 rows[0])
    if verdict is None and board and board[0]["value"] is not None:
        best = board[0]
        verdict = (f"Best so far: {best['candidate']} with {best['metric']} "
                   f"{best['value']:.3f} on the test set.")
    return {"board": board, "verdict": verdict, "warnings": shown.get("warnings") or [],
            "spend": any(b["spend"] for b in board), "plain": plain_verdict(ws)}


def plain_verdict(ws: Workspace) -> str | None:
    """The latest comparison with the baselines in a curator's words (the web app's
    verdict): what the simple methods are, how well the best of them and the best model
    do (the task kind's :meth:`~glamlab.tasks.kinds.TaskKind.score_in_words`), and
    whether the model is better than every simple method beyond chance. None without
    such a comparison (then the stored verdict is shown)."""
    from ..evaluation.bootstrap import weakest_p
    from ..tasks.kinds import task_kind
    from .stored import latest_evaluation

    result = latest_evaluation(ws, with_baselines=True)
    if result is None:
        return None
    metric = result.metric
    baselines = [c for c in result.candidates if c.kind == "baseline"]
    models = [c for c in result.candidates if c.kind == "model"]
    if not baselines:
        return None
    if result.count_summary and result.count_metric:
        return _count_verdict(result, ws)
    kind = task_kind(ws.card)

    def words(c: Any) -> str:
        return kind.score_in_words(metric, c.metrics)

    top = max(baselines, key=lambda c: c.metrics[metric]["value"])
    n = result.test_items
    text = (f"Measured on the {n} {kind.noun_one if n == 1 else kind.noun} of the test set. "
            f"The simple methods any model must beat are "
            f"{kind.baselines_said([b.name for b in baselines])}; the "
            f"best of them, {top.name}, {words(top)}.")
    if not models:
        return text + (" No model has been trained yet: train one on the Train page to "
                       "see whether machine learning does better.")
    # the model the evaluation chose (compared with the other models), else the only one
    names = {m.name for m in models}
    chosen = next((c.b for c in result.comparisons if c.a in names and c.b in names), None)
    best = next((m for m in models if m.name == chosen), None) or max(
        models, key=lambda c: c.metrics[metric]["value"])
    top_model = max(models, key=lambda c: c.metrics[metric]["value"])
    note = ""
    if chosen is not None and top_model is not best and \
            top_model.metrics[metric]["value"] > best.metrics[metric]["value"]:
        # the leaderboard lists the models by their test figure: say why its first is not
        # the one the verdict is about, rather than contradict it without a word
        text += (f" The model chosen, {best.spec or best.name} (chosen on labelled "
                 f"{kind.noun} other than the test set, so that the test set stays a fair "
                 f"judge), {words(best)}")
        note = (f" {top_model.spec or top_model.name} scores higher on these test "
                f"{kind.noun} ({words(top_model)}), but a model picked for its test score "
                "looks better there than it is.")
    else:
        text += f" The best model, {best.spec or best.name}, {words(best)}"
    base_names = {b.name for b in baselines}
    vs = [c for c in result.comparisons if c.b == best.name and c.a in base_names]
    if vs and all(c.significant and c.difference > 0 for c in vs):
        return text + (": better than every simple method, and the difference is unlikely "
                       f"to be chance ({weakest_p(vs)}).") + note
    ahead = best.metrics[metric]["value"] > top.metrics[metric]["value"]
    why = ("its lead over the simple methods could be chance" if ahead else
           f"it does no better than {top.name}")
    return text + f": {why}. Do not automate with machine learning yet." + note


def _count_verdict(result: Any, ws: Workspace) -> str:
    """A count task's verdict in words: judged by its count error per slot, as backtest,
    monitor and retrain judge it."""
    s, m = result.count_summary, result.count_metric
    by = {c.name: c for c in result.candidates}

    def miss(name: str) -> str:
        v = by[name].metrics[m]
        return f"{v['value']:.2f} (95% interval {v['low']:.2f} to {v['high']:.2f})"

    text = (f"Measured on the {result.test_items:,} rows of the test set by {s['words']}: how "
            "far the predicted number is from the real one, on average (lower is better). "
            f"The best simple method, {s['baseline']}, misses by {miss(s['baseline'])}")
    best = by.get(s["best"])
    if best is None or best.kind != "model":
        return text + "."
    text += f"; the best model, {best.spec or best.name}, by {miss(s['best'])}"
    if s["beaten"]:
        return text + (": better than every simple method, and the difference is unlikely to "
                       f"be chance ({s['p']}).")
    return text + ": its lead over the simple methods could be chance. Do not automate with " \
        "machine learning yet."


def evaluation_sections(ws: Workspace) -> list[Any]:
    """The latest evaluation as the sections of ``glamlab evaluate --html`` (plots, the
    confusion matrices, the per-label tables), from what was stored; [] when none."""
    from .evaluation import report_sections
    from .stored import latest_evaluation

    result = latest_evaluation(ws, with_baselines=True)
    if result is None:
        return []
    # a table's classes are its outcomes, as the CLI's report names them
    return report_sections(result, noun="outcome" if ws.card.modality == "tabular"
                           else "label")


# A page never computes a slow stage result while a person waits: ``schedule(name, fn)``
# asks for ``fn`` to run in the background (the web app's refresher); without it (a script)
# the result is computed at once.
Schedule = Callable[[str, Callable[[], Any]], None]


#: audit actions that change no prediction, gold label or decision (``LIKE`` patterns):
#: signing in (and failed or limited attempts), people's accounts and API tokens
_NOT_GOLD_AUDIT = ("login%", "user.%", "token.%")


def _act_key(ws: Workspace) -> str:
    import sqlalchemy as sa

    from ..store.results import key_of

    t = ws.store.t
    with ws.store.read() as conn:
        # newest ids only (primary keys: no scan); rows are added, and a prediction made
        # again is a new row, so a change always moves one of them
        preds = [conn.execute(sa.select(sa.func.max(t.predictions.c.id))).scalar()]
        models = conn.execute(sa.select(sa.func.max(t.models.c.id))).scalar()
        aliases = conn.execute(sa.select(sa.func.max(t.model_aliases.c.updated_at))).scalar()
        evals = conn.execute(sa.select(sa.func.max(t.evaluations.c.id))).scalar()
        items = [conn.execute(sa.select(sa.func.max(t.items.c.pk))).scalar()]
        # a reviewer's decision changes what still needs a person (act.review_decided)
        decided = conn.execute(sa.select(sa.func.max(t.decisions.c.id))).scalar()
        # so does gold given without a decision row: a label, an entities text marked
        # "whole text checked" (its open spans settled) or that mark undone; each is
        # audited (before, the Export page's counts stayed those from before the mark)
        # (not a sign-in or an account change: they change no prediction, and counting
        # them made every login mark both results out of date and work them out again)
        a = t.audit_log
        audited = conn.execute(
            sa.select(a.c.id).where(*(a.c.action.not_like(p) for p in _NOT_GOLD_AUDIT))
            .order_by(a.c.id.desc()).limit(1)).scalar()
    card = ws.card
    return key_of({"preds": list(preds), "models": models, "aliases": aliases, "evals": evals,
                   "items": list(items), "decisions": decided, "audited": audited,
                   "policy": card.section("policy"),
                   "safety": card.section("safety"), "costs": card.section("costs")})


ACT_NAME = "act:dry-run"


def compute_act(ws: Workspace) -> dict[str, Any]:
    """Run the policy as a dry run now and store what it would do."""
    import time

    from ..actions.act import plan
    from ..store.results import put_result

    key = _act_key(ws)
    started = time.perf_counter()
    try:
        result: dict[str, Any] = {"act": plan(ws, dry_run=True, actor="web", web=True).to_dict()}
    except GlamlabError as exc:
        result = {"missing": exc.message, "hint": exc.hint}
    return put_result(ws.store, ACT_NAME, key, result, time.perf_counter() - started)


def _stored_or_scheduled(ws: Workspace, name: str, current: bool, row: dict[str, Any] | None,
                         fn: Callable[[], Any], schedule: Schedule | None,
                         what: str, reads: str = "it reads every prediction once"
                         ) -> dict[str, Any] | None:
    """The stored result (with a note when out of date), after asking for a fresh one;
    ``reads``: why it takes a while, in the note shown meanwhile."""
    if row is not None and current:
        return {**row["result"], "computed_at": row["computed_at"]}
    if schedule is None:
        fresh = fn()
        return {**fresh["result"], "computed_at": fresh["computed_at"]} if fresh else None
    failed = _failed(schedule, name)
    if failed is not None:  # said once; the next look tries again
        message, hint = failed
        if row is None:
            return {"missing": f"{what} could not be worked out: {message}",
                    "hint": hint or "reload the page to try again"}
        return {**row["result"], "computed_at": row["computed_at"],
                "stale": f"new results since this was worked out, and working out an update "
                         f"failed: {message} ({hint or 'reload the page to try again'})"}
    schedule(name, fn)
    if row is None:
        now = "; ".join(_progress(schedule, name))
        return {"pending": f"{what} is being worked out in the background ({reads}); "
                           "this page shows it when it is ready."
                           + (f" {now[0].upper()}{now[1:]}." if now else ""),
                "refresh": True}
    bits = "; ".join(_progress(schedule, name, row.get("seconds")))
    return {**row["result"], "computed_at": row["computed_at"],
            "stale": "new results since this was worked out: an update is on its way"
                     + (f" ({bits})" if bits else "")}


def _failed(schedule: Schedule, name: str) -> tuple[str, str | None] | None:
    """Why the schedule's last try at ``name`` failed, if it says (the web's refresher)."""
    take = getattr(schedule, "take_error", None)
    return take(name) if take is not None else None  # type: ignore[no-any-return]


def _progress(schedule: Schedule | None, name: str, last: float | None = None) -> list[str]:
    """How far the background work on ``name`` is, in clauses (none when the schedule
    does not say): started how long ago, or how many wait before it, and how long it
    took last time."""
    from ..progress import plural, seconds_words

    ask = getattr(schedule, "progress", None)
    now = ask(name) if ask is not None else None
    words = []
    if now and "seconds" in now:
        words.append(f"started {seconds_words(now['seconds'])} ago")
    elif now and now.get("waiting"):
        n = int(now["waiting"])
        words.append(f"{n} other {plural(n, 'result')} {plural(n, 'is', 'are')} worked out "
                     "first")
    if last:
        words.append(f"it took {seconds_words(float(last))} last time")
    return words


def act_dry_run(ws: Workspace, schedule: Schedule | None = None) -> dict[str, Any]:
    """What the policy would do with the latest predictions (nothing is written)."""
    from ..inference import has_predictions
    from ..store.results import get_result

    if not has_predictions(ws):
        return {"missing": "not run yet",
                "hint": "run the best model over the collection (Run page)"}
    row = get_result(ws.store, ACT_NAME)
    current = row is not None and row["key"] == _act_key(ws)
    out = _stored_or_scheduled(ws, ACT_NAME, current, row, lambda: compute_act(ws), schedule,
                               "What the policy would do")
    return out or {}


EXPORT_CHECK = "export:check"


def _export_key(ws: Workspace) -> str:
    from ..store.results import key_of

    card = ws.card
    return key_of({"act": _act_key(ws), "export": card.section("export"),
                   "labels": card.section("labels")})


def compute_export_check(ws: Workspace) -> dict[str, Any]:
    """Write the Export page's spreadsheet (CSV) download to a scratch file now, with the
    same function its download link calls, and store the warnings that export gives (in
    the web app's words): e.g. an entities project's spans a reviewer settled on that no
    longer lie on the re-ingested text, which the file leaves out; and its notes (whose
    predictions they are, when no model is in use yet). An entities project's IIIF
    annotations download is written too: ``iiif_left_out`` says how many mentions it
    leaves out, why and what to do (:func:`~glamlab.actions.entity_export.iiif_left_out_web`)."""
    import tempfile
    import time
    from pathlib import Path

    from ..actions.entity_export import (
        export_entities,
        exports_spans,
        iiif_left_out_web,
        iiif_offered,
    )
    from ..actions.export import export
    from ..store.results import put_result

    key = _export_key(ws)
    started = time.perf_counter()
    try:
        iiif: list[str] = []
        with tempfile.TemporaryDirectory(prefix="glamlab-export-check-") as folder:
            path = Path(folder) / "export.csv"
            res = (export_entities(ws, "csv", path, web=True) if exports_spans(ws, "csv")
                   else export(ws, "csv", path, web=True))
            if iiif_offered(ws):  # (not offered for plain texts: nothing to check)
                # the IIIF annotations download too: the mentions it cannot place on a
                # page (no word boxes, no canvas), counted by the export itself
                iiif = iiif_left_out_web(export_entities(
                    ws, "iiif", Path(folder) / "export.iiif.json", web=True))
        # and which model it is, when no model is in use yet (the latest run's)
        result: dict[str, Any] = {"warnings": list(res.get("warnings") or []),
                                  "notes": list(res.get("notes") or []),
                                  "iiif_left_out": iiif}
    except GlamlabError as exc:
        result = {"missing": exc.message, "hint": exc.hint}
    return put_result(ws.store, EXPORT_CHECK, key, result, time.perf_counter() - started)


def export_check(ws: Workspace, schedule: Schedule | None = None) -> dict[str, Any]:
    """The warnings of the Export page's download, worked out by the export itself (in
    the background, stored until the predictions, decisions, items or policy change);
    ``{}`` before there is anything to export."""
    from ..inference import has_predictions
    from ..store.results import get_result

    if not has_predictions(ws):
        return {}
    row = get_result(ws.store, EXPORT_CHECK)
    current = row is not None and row["key"] == _export_key(ws)
    out = _stored_or_scheduled(ws, EXPORT_CHECK, current, row,
                               lambda: compute_export_check(ws), schedule,
                               "The export's own check of the file")
    return out or {}


def _positive_outcome(ws: Workspace) -> str | None:
    """The outcome a yes/no table's F1 is measured for, in words (``is_canceled = 1``);
    None for a count task or a table without a schema yet."""
    from ..errors import GlamlabError
    from ..tasks.count import count_task
    from ..tasks.tabular import schema_of

    try:
        return None if count_task(ws) else schema_of(ws).positive_outcome
    except GlamlabError:
        return None


def monitoring(ws: Workspace, schedule: Schedule | None = None) -> dict[str, Any]:
    """The monitor's verdict (stored, recomputed when what it reads changed), its plots,
    the alerts ``glamlab monitor`` stored, and how many gold labels wait to be
    re-checked (``glamlab labels issues``)."""
    from ..inference import list_runs
    from ..monitoring import stored as monitor_store
    from ..monitoring.monitor import stored_alerts
    from ..review import recheck_count

    tabular = ws.card.modality == "tabular"
    if tabular:  # rows arrive over time: windows after the model's training period
        from ..registry import list_models

        if not list_models(ws):
            return {"missing": "no model yet",
                    "hint": "train one first (Train models page); monitoring then "
                            "checks every week or month of rows after its training period"}
    elif not list_runs(ws, limit=1):
        return {"missing": "not run yet", "hint": "monitoring starts after the first run"}
    rechecks = recheck_count(ws)
    report = monitor_store.load(ws, web=True)
    failed = None
    if report is None or not report["current"]:
        if schedule is None:
            report = monitor_store.compute(ws, web=True)
        elif (failed := _failed(schedule, "monitor")) is None:  # said once, then tried again
            schedule("monitor", lambda: monitor_store.compute(ws, web=True))
    # an older alert on a column the monitor now leaves out of drift says so
    calendar = (report or {}).get("calendar")  # (None: no report says; the rows tell)
    stored = stored_alerts(ws, limit=20, calendar=calendar)
    extra = {"alerts": stored, "rechecks": rechecks}
    if report is None and failed is not None:
        return {"missing": f"monitoring could not be worked out: {failed[0]}",
                "hint": failed[1] or "reload the page to try again", **extra}
    if report is None:
        now = "; ".join(_progress(schedule, "monitor"))
        return {"pending": "Monitoring is being worked out in the background (it compares "
                           "every window with the reference); this page shows it when ready."
                           + (f" {now[0].upper()}{now[1:]}." if now else ""),
                "refresh": True, **extra}
    if report.get("error"):
        return {"missing": report["error"], "hint": report.get("hint"), **extra}
    from .monitoring import signal_sections

    if report.get("tabular"):
        from ..monitoring.estimate import too_few_rows
        from .tabular import monitor_sections_html
        from .words import measure_words

        positive = _positive_outcome(ws)
        for w in report.get("windows") or []:  # a report stored before it said so
            e = w.get("estimate") or {}
            if e and "too_few_rows" not in e and not e.get("cannot_judge"):
                e["too_few_rows"] = too_few_rows(str(e.get("metric")), e.get("estimate"),
                                                 e.get("low"), e.get("high"))
        stored_metric = next((w["estimate"].get("metric") for w in report.get("windows") or []
                              if w.get("estimate")), "f1")
        out = {"rows_monitor": report, "alert": bool(report.get("alert")),
               "plots": monitor_sections_html(report, positive),
               # the estimate's measure in words: "F1 for 'is_canceled = 1'"
               "measure": measure_words(str(stored_metric), positive),
               "computed_at": report.get("computed_at"), **extra}
    else:
        out = {"monitor": report, "alert": bool(report.get("alert")),
               "plots": signal_sections(report), "computed_at": report.get("computed_at"),
               **extra}
    if not report["current"] and failed is not None:
        out["stale"] = (f"new results since this was worked out, and working out an update "
                        f"failed: {failed[0]} ({failed[1] or 'reload the page to try again'})")
    elif not report["current"]:
        bits = "; ".join(_progress(schedule, "monitor"))
        out["stale"] = ("new results since this was worked out: an update is on its way"
                        + (f" ({bits})" if bits else ""))
    return out


def gather(ws: Workspace, schedule: Schedule | None = None) -> list[dict[str, Any]]:
    """Every section of the reports page."""
    return [
        _section("Leaderboard and verdict", leaderboard, ws),
        _section("What the policy would do", lambda w: act_dry_run(w, schedule), ws),
        _section("Monitoring", lambda w: monitoring(w, schedule), ws),
    ]
