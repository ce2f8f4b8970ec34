"""The demo's production stages: run the model in use, act on its predictions, export them,
watch for drift, and say where the project stands."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from ..errors import GlamlabError, ModelNotFound
from ..progress import plural, review_time
from .projects import DemoProject, Say

if TYPE_CHECKING:
    from ..workspace import Workspace

DEMO_TARGET = 0.95


def stage_run(ws: Workspace, say: Say) -> dict[str, Any]:
    from ..inference.runner import champion_spec, run

    try:
        spec = champion_spec(ws)
    except ModelNotFound:
        say("No model is in use yet, so there is nothing to run over the collection; "
            "skipping this stage. (Compare models with glamlab evaluate and choose the model "
            "in use first: glamlab models use NAME.)")
        return {"skipped": "no model in use"}
    say(f"Running the model in use ({spec}) over every item of the collection. Items it "
        "has already predicted are skipped, so this is safe to repeat.")
    report = run(ws, spec, workers=min(2, os.cpu_count() or 1), progress=True)
    say(f"Run {report.run_id} {report.status}: {report.done:,} of {report.planned:,} items "
        f"have a prediction from {report.model}"
        + (f", {report.skipped:,} had one already" if report.skipped else "")
        + f"; {report.failed:,} could not be predicted"
        + (f" (see why with: glamlab runs --failures {report.run_id})" if report.failed else "")
        + ".")
    labels: dict[str, int] = {}
    import sqlalchemy as sa

    t = ws.store.t.predictions
    with ws.store.read() as conn:
        for label, n in conn.execute(sa.select(t.c.label, sa.func.count())
                                     .where(t.c.model_id == report.model_id)
                                     .group_by(t.c.label)):
            labels[str(label)] = int(n)
    labels.pop("None", None)  # kinds without a headline label (entities)
    if labels and not ws.card.multi_label:
        mix = ", ".join(f"{n:,} {label}" for label, n in sorted(labels.items(),
                                                                key=lambda kv: -kv[1]))
        say(f"What the model says across the collection: {mix}.")
    return report.to_dict()


def _has_predictions(ws: Workspace) -> bool:
    import sqlalchemy as sa

    with ws.store.read() as conn:
        return conn.execute(sa.select(ws.store.t.predictions.c.id).limit(1)).first() is not None


def stage_act(ws: Workspace, say: Say, noun: str = "items") -> dict[str, Any]:
    """Choose thresholds (if the policy has none), dry-run the policy, then act. ``noun``:
    what the collection's items are, in words ("pages", "records")."""
    from ..actions import act, load_policy, optimise, plan

    one = noun.removesuffix("s")
    if not _has_predictions(ws):
        say("There are no predictions yet, so there is nothing to act on: skipping this step.")
        return {"skipped": "no predictions"}
    out: dict[str, Any] = {}
    if not load_policy(ws.card).labels:
        try:
            res = optimise(ws, target_precision=DEMO_TARGET, write=True)
        except GlamlabError as exc:
            say(f"Could not choose thresholds ({exc.message}); every "
                "prediction goes to review.")
        else:
            out["optimise"] = res
            _say_thresholds(res, say, noun)
    report = plan(ws, dry_run=True).to_dict()
    out["dry_run"] = report
    # what the review counts count: the items themselves, or (multi-label) a label
    # suggested for an item
    unit = noun if report.get("unit", "items") == "items" else report["unit"]
    say(f"Before writing anything (dry run) for {report['items_with_predictions']} {noun}:")
    f = report.get("filter")
    if f and f["price_per_item"]:
        say(f"  {f['sent_on']} {noun} to send on, {f['accepted_as_positive']} held back as "
            f"{f['positive_label']!r}: {f['money_saved']:,.2f} {f['currency']} saved.")
        if f["expected_wrongly_withheld"] is not None:
            from ..actions.act import about_count

            say(f"  Expected mistakes: {about_count(f['expected_wrongly_withheld'])} {noun} "
                "held back that should have been sent.")
    else:
        for row in report["by_label"]:
            say(f"  {row['accept']} {noun} tagged {row['label']!r} automatically, "
                f"{row['review_workload']} to a reviewer, "
                f"{row['reject']} left untagged")
    for warning in report.get("warnings", []):
        say(f"  Warning: {warning}")
    partial = report.get("expected_wrong_partial")
    if report["expected_wrong_accepts"] is not None:
        lo, hi = report["expected_wrong_accepts_ci95"]
        say(f"  Expected wrong automatic tags: about {report['expected_wrong_accepts']:.0f}, "
            f"judging by the test split; with its size, up to {hi:.0f} (95%).")
    elif partial:
        names = ", ".join(repr(u["label"]) for u in partial["unmeasured"])
        say(f"  Expected wrong automatic tags: about {partial['expected_wrong_measured']:.0f} "
            f"of the {partial['measured_accepts']} the test split can judge (up to "
            f"{partial['expected_wrong_measured_ci95'][1]:.0f}, 95%); the other "
            f"{partial['unmeasured_accepts']} ({names}) it cannot: no test {one} scores that "
            "high for those labels.")
    decided = report.get("review_already_decided", 0)
    say(f"  Review workload: {report['review_workload']} {unit}, "
        f"{review_time(report['review_hours'])} at {ws.card.review_seconds_per_item:g} "
        "seconds each" + (f" ({decided} more already decided by a reviewer)." if decided else "."))
    if report["safety_hits"]:
        say(f"  Safety checks sent {len(report['safety_hits'])} labels to review or held them.")
    done = act(ws).to_dict()
    out["act"] = {"written": done["written"], "already_written": done["already_written"]}
    w = done["written"]
    gold = done["written_settled_by_gold"]
    say(f"Then acted: {w['machine_metadata']} machine-made values written (each marked with the "
        f"model, its score and the time, unconfirmed until a person confirms), "
        f"{done['written_open']} {unit} added to the review queue"
        + (f" ({gold} more settled by a gold label already: nobody is asked)" if gold else "")
        + ".")
    overruled = done.get("not_written_overruled_by_gold", 0)
    if overruled:
        say(f"  {overruled} accepted {plural(overruled, 'value')} "
            f"{plural(overruled, 'was', 'were')} not written: a person's label says "
            "otherwise, and the person's wins.")
    return out


def _say_thresholds(res: dict[str, Any], say: Say, noun: str) -> None:
    """The thresholds :func:`glamlab.actions.optimise` chose, label by label, and a caution
    that agrees with them: the pooled interval over every label can sit well above a
    single label's own."""
    from ..actions.policy import threshold_text

    one = noun.removesuffix("s")
    say(f"Chose thresholds on calibration data ({noun} the model was not fitted on, never "
        f"the test split) so that automatic values are right at least {DEMO_TARGET:.0%} of "
        "the time there, then checked them once on the frozen test split:")
    for r in res["labels"]:
        to_person = f"those scoring {threshold_text(r['review'])} or more go to a reviewer"
        if r["threshold"] is None:
            say(f"  {r['label']}: never automatic (no threshold is that precise); {to_person}")
        elif not r["accepted"]:
            say(f"  {r['label']}: automatic from score {threshold_text(r['threshold'])} (no "
                f"test {one} scores that high, so its precision is not measured yet)")
        else:
            lo, hi = r["ci95"]
            say(f"  {r['label']}: automatic from score {threshold_text(r['threshold'])} "
                f"({r['correct']} of {r['accepted']} right on the test split; 95% "
                f"interval {lo:.0%} to {hi:.0%})")
    if not any(r["threshold"] is not None for r in res["labels"]):
        say("No label reaches that precision on this small test set.")
    overall = res["overall"]
    measured = [r for r in res["labels"] if r["threshold"] is not None and r["accepted"]]
    if not overall["accepted"] or not measured:
        return
    weakest = min(measured, key=lambda r: r["ci95"][0])
    pooled_low = overall["ci95"][0]
    if pooled_low >= DEMO_TARGET and weakest["ci95"][0] >= DEMO_TARGET:
        return
    several = len(measured) > 1
    pooled = (f"pooled over the labels, its 95% interval reaches down to {pooled_low:.0%}"
              if several else f"its 95% interval reaches down to {pooled_low:.0%}")
    single = (f", and single labels lower: {weakest['label']!r} down to "
              f"{weakest['ci95'][0]:.0%} ({weakest['correct']} of {weakest['accepted']} right)"
              if several and weakest["ci95"][0] < pooled_low else "")
    say(f"Caution: that rests on {overall['accepted']} automatic values on the test split; "
        f"{pooled}{single}. Label more test {noun} for a firmer figure.")


def stage_export(ws: Workspace, say: Say, noun: str = "items") -> dict[str, Any]:
    """CSV and W3C Web Annotations (and the filter list) into ``exports/``."""
    from ..actions import export

    if not _has_predictions(ws):
        say("There are no predictions yet, so there is nothing to export: skipping this step.")
        return {"skipped": "no predictions"}
    folder = ws.root / "exports"
    res = {"csv": export(ws, "csv", folder / "predictions.csv"),
           "w3c": export(ws, "w3c", folder / "annotations.jsonld")}
    say(f"Exported {res['csv']['rows']} rows to {folder / 'predictions.csv'} (opens in Excel or "
        "OpenRefine; machine-made values are marked as such)")
    say(f"and {res['w3c']['annotations']} W3C Web Annotations to "
        f"{folder / 'annotations.jsonld'}.")
    if ws.card.positive_label and ws.card.price_per_item:
        res["filter"] = export(ws, "filter", folder / "send-on.txt")
        say(f"The {res['filter']['uris']} {noun} to send on are listed in "
            f"{folder / 'send-on.txt'}.")
        for r in res["filter"].get("refused", []):
            say(f"Left out of that list: item {r['item_id']!r}: {r['reason']}. What to do: "
                f"{r['fix']}.")
    return res


def stage_monitor(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    from ..monitoring.monitor import monitor
    from ..reports.monitoring import render

    if "monitor" not in ws.card.raw:
        # a sample of about a hundred items: judge windows from 15 items on
        ws.update_card({"monitor": {"min_window": 15}})
    try:
        report = monitor(ws, reference="test", window="run")
    except GlamlabError as exc:
        say(f"Monitoring skipped: {exc.message}.")
        return {"skipped": exc.message}
    path = ws.root / "monitor.html"
    path.write_text(render(report), encoding="utf-8")
    for line in report.summary().splitlines():
        say(line)
    say(f"The monitoring report, a plot per signal with its alert threshold, is {path}.")
    return {**report.to_dict(), "report": str(path)}


def stage_status(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    status = ws.status()
    say(f"Where the project stands: {status['summary']}.")
    say(f"Next step: {status['next_step']}")
    return status
