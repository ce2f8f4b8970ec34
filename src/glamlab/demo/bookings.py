"""``glamlab demo bookings``: predictions that drift, on real bookings (the museum story).

A museum sells timed tickets and wants to sell extra places for the bookings that will
not be used. The bundled sample (``demo_data/bookings``: 2,860 real hotel bookings,
110 per arrival month from July 2015 to August 2017, CC BY 4.0, see its SOURCE.md)
stands in for the bookings; "cancelled" stands for "did not come".

Stages of its own:

- ``ingest``: the bookings of 2015–2016 with their outcomes; the leakage check names the
  columns written after the outcome;
- ``backtest``: a rolling-origin backtest over the last six months of that history,
  baselines first;
- ``train``: ``tabular-gbm`` on 2015–2016 (calibrated on its latest rows);
- ``replay``: 2017 month by month as it happened: each month arrives without its outcomes
  (glamlab checks it for drift and estimates its F1), then its outcomes arrive (the
  realised F1 beside the estimate); the capacity decision replayed in money;
- ``shift``: the same year with a staged change like the museum's app (from May, people
  book a few days ahead instead of months: the month's bookings are resampled from the
  real 2017 bookings made at most 7 days ahead), in a second workspace: glamlab flags the
  first shifted month and names lead time as the cause; once the outcomes are in,
  ``retrain`` trains challengers on the recent months and on all rows and promotes
  through the gate.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import GlamlabError
from ..progress import plural

if TYPE_CHECKING:
    import pandas as pd

    from ..workspace import Workspace
    from .projects import DemoProject, Say

NAME = "bookings"
SAMPLE = "bookings-sample.csv.gz"
CUTOFF = "2017-01-01"
SHIFT_FROM = "2017-05-01"
NEVER = ["reservation_status", "reservation_status_date", "assigned_room_type",
         "booking_changes", "arrival_date_year", "arrival_date_month",
         "arrival_date_week_number", "arrival_date_day_of_month"]
TABLE: dict[str, Any] = {"time_column": "arrival_date", "label_column": "is_canceled", "id_column": "id",
         "never_features": NEVER, "group_columns": ["hotel"],
         "types": {"agent": "category", "company": "category"},
         "units": {"lead_time": "days"}}
# what an extra place earns and what a visitor over capacity costs (turned away, refunded)
DECISION = {"slot": "D", "risk": 0.05, "price": 20.0, "over_cost": 60.0}


def project() -> DemoProject:
    from .projects import DemoProject, demo_data

    return DemoProject(
        name=NAME,
        init={"task": "no-shows", "modality": "tabular", "labels": ["0", "1"],
              "positive_label": "1", "metric": "f1_macro",
              "need": "Each day, sell extra tickets at the door for the booked visitors who "
                      "will not come, without going over capacity more than 1 day in 20; "
                      "and know quickly when the predictions stop being right, and why."},
        ingest=[str(demo_data("bookings") / SAMPLE)],
        ingest_options={},
        stages=[("ingest", stage_ingest), ("backtest", stage_backtest),
                ("train", stage_train), ("replay", stage_replay), ("shift", stage_shift)],
    )


def _table(p: DemoProject) -> pd.DataFrame:
    from ..ingest.columns import read_table

    return read_table(p.ingest[0])


def _write(frame: pd.DataFrame, path: Path, *, outcomes: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    out = frame if outcomes else frame.drop(columns=[TABLE["label_column"]])
    out.to_csv(path, index=False)
    return path


def _setup(ws: Workspace, history: Path, say: Say) -> dict[str, Any]:
    from ..tasks.tabular import ingest_table, set_time_split

    res = ingest_table(ws, history, **TABLE)
    # a sample of ~100 rows a month: judge from 50
    ws.update_card({"decision": dict(DECISION), "monitor": {"min_reference": 50}})
    split = set_time_split(ws, CUTOFF)
    return {"ingest": res, "split": split}


def stage_ingest(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    raw = _table(p)
    history = raw[raw["arrival_date"] < CUTOFF]
    path = _write(history, ws.root / "incoming" / "bookings-2015-2016.csv")
    say(f"Read {len(history):,} bookings arriving between {history['arrival_date'].min()} "
        f"and {history['arrival_date'].max()}, each with its outcome ({TABLE['label_column']}: "
        "1 = the booking was not used).")
    out = _setup(ws, path, say)
    res = out["ingest"]
    say(res.report.summary())
    schema = res.schema
    kinds = {k: sum(1 for v in schema.columns.values() if v == k)
             for k in ("number", "category", "date")}
    say(f"Column types found: {kinds['number']} numbers, {kinds['category']} categories, "
        f"{kinds['date']} dates (the card's [tabular] section; edit it to correct a type).")
    if res.leakage is not None:
        flagged = res.leakage.flagged
        say("Before any training, glamlab checked whether a column gives the outcome away: "
            + (", ".join(f"{f.column} (alone it predicts the outcome with ROC AUC "
                         f"{f.auc:.2f})" for f in flagged) or "none does") + ".")
        if flagged:
            say("They are written after the fact (a booking's final status), so the card lists "
                "them in never_features and no model may read them.")
    say(f"Time split: bookings arriving before {CUTOFF} train; later ones are the future.")
    return {"rows": res.report.added, "leaky": [f.column for f in res.leakage.flagged]
            if res.leakage else [], "split": out["split"]}


def stage_backtest(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    from ..evaluation.tabular import project_backtest

    say("Rolling-origin backtest on the history: for each month from July to December 2016, "
        "train on everything before it, predict the month. Baselines first.")
    report = project_backtest(ws, since="2016-07-01", until="2016-12-31", n_boot=100)
    for line in report.summary().splitlines():
        say(line)
    gbm = report.overall["tabular-gbm"]
    say(f"The baselines give (almost) every booking the same chance, below one half, so at "
        f"the 0.5 threshold they (almost) never say 'will not come'; the model finds "
        f"{report.metric_words} {gbm['f1']['value']:.2f} and ROC AUC "
        f"{gbm['auc']['value']:.2f}. ({report.metric_words} is the F1 of that outcome alone; "
        "glamlab evaluate reports f1_macro, the F1 averaged over both outcomes, where a "
        "baseline does not read 0.)")
    return report.to_dict()


def stage_train(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    from ..registry.tabular import train_tabular

    res = train_tabular(ws, "tabular-gbm")
    say(f"Trained {res['model']} on {res['train_rows']:,} bookings before {res['train_until']} "
        f"(gradient-boosted trees; probabilities: {res['calibrated_on']}). "
        "It is the model in use.")
    return res


def _replay(ws: Workspace, months: list[tuple[str, pd.DataFrame]], say: Say,
            *, decision: bool) -> dict[str, Any]:
    """Each month: its bookings arrive without outcomes (drift check, estimated F1), then
    the outcomes arrive (realised F1)."""
    from ..monitoring.estimate import realised_f1
    from ..monitoring.tabular_project import monitor_project
    from ..registry.tabular import champion_predictor
    from ..tasks.tabular import ingest_table, project_frame

    incoming = ws.root / "incoming"
    windows = []
    _, model = champion_predictor(ws)
    label, time = TABLE["label_column"], TABLE["time_column"]
    for month, rows in months:
        ingest_table(ws, _write(rows, incoming / f"{month}.csv", outcomes=False),
                     check_leaks=False)
        report = monitor_project(ws, window="month", since=f"{month}-01")
        if not report.windows:  # the month was skipped: too few rows before it
            skipped = report.skipped[0]
            raise GlamlabError(f"the bookings of {month} could not be checked for drift: "
                               f"{skipped.reason}", hint=skipped.hint or None)
        w = report.windows[0]
        # the same file, now with the outcomes filled in: new versions of the same rows
        ingest_table(ws, _write(rows, incoming / f"{month}.csv"), check_leaks=False)
        frame = project_frame(ws)
        known = frame[frame[time].dt.strftime("%Y-%m") == month]
        realised = realised_f1(known[label].to_numpy(dtype=float), model.predict_table(known))
        e, drift = w.estimate, w.drift
        line = (f"{month}: {drift.n} bookings; "
                + (f"DRIFT: {drift.causes[0].words}" if drift.root_cause else
                   "nothing unusual")
                + (f". Estimated {e.said or 'F1'}: cannot be judged ({e.cannot_judge})"
                   if e.cannot_judge else
                   f". Estimated {e.said or 'F1'} {e.value:.2f} [{e.low:.2f}, {e.high:.2f}]")
                + (" (not to be trusted: inputs outside the training range)" if e.reasons
                   else "")
                + f"; realised, once the outcomes came: {realised:.2f}.")
        say(line)
        windows.append({"month": month, "flagged": drift.flagged, "root_cause": drift.root_cause,
                        "estimate": e.value, "low": e.low, "high": e.high, "trusted": e.trusted,
                        "realised": realised,
                        "causes": [c.words for c in drift.causes]})
    out: dict[str, Any] = {"windows": windows}
    if decision:
        from ..actions.capacity import project_capacity

        cap = project_capacity(ws)
        raw = cap["replay_uncalibrated"]
        say(decision_words(cap))
        if raw:
            say(f"Taking the model's probabilities at their word instead: {raw['extra_sold']:,} "
                f"extra {plural(raw['extra_sold'], 'ticket')}, "
                f"{raw['over_capacity_rate']:.1%} of the slots over capacity, net "
                f"{raw['net']:,.0f} {cap['currency']}.")
        out["capacity"] = {k: v for k, v in cap.items() if k != "plan"}
    return out


def _months(frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    later = frame[frame["arrival_date"] >= CUTOFF]
    key = later["arrival_date"].str[:7]
    return [(m, later[key == m]) for m in sorted(key.unique())]


def stage_replay(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    import numpy as np

    say("2017 as it happened, month by month: each month's bookings arrive first "
        "without their outcomes, then with them.")
    out = _replay(ws, _months(_table(p)), say, decision=True)
    quiet = [w for w in out["windows"]]
    gaps = [abs(w["estimate"] - w["realised"]) for w in quiet if w["realised"] is not None]
    out["estimated_vs_realised_mae"] = float(np.mean(gaps)) if gaps else None
    say(f"Estimated and realised F1 differ by {out['estimated_vs_realised_mae']:.2f} on "
        f"average over the {len(gaps)} months.")
    return out


def staged(raw: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """2017 with the museum's app from :data:`SHIFT_FROM`: every month's bookings are
    replaced by real 2017 bookings made at most 7 days ahead (drawn with replacement, new
    ids, the month's own arrival dates kept)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    later = raw[raw["arrival_date"] >= CUTOFF]
    pool = later[later["lead_time"].astype(float) <= 7]
    parts = [raw[raw["arrival_date"] < SHIFT_FROM]]
    shifted = later[later["arrival_date"] >= SHIFT_FROM]
    take = pool.iloc[rng.integers(0, len(pool), len(shifted))].copy()
    take["arrival_date"] = shifted["arrival_date"].to_numpy()
    take["id"] = [f"app-{i}" for i in shifted["id"]]
    parts.append(take)
    import pandas as pd

    return pd.concat(parts, ignore_index=True)


def stage_shift(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    from ..registry.tabular import train_tabular
    from ..retraining.tabular import retrain_project
    from ..workspace import Workspace as W

    root = ws.root / "with-the-app"
    say(f"The same year again, with a staged change from {SHIFT_FROM[:7]}: a booking app "
        "arrives and people book a few days ahead instead of months (the bookings of those "
        f"months are real 2017 bookings made at most 7 days ahead). A second workspace: {root}.")
    frame = staged(_table(p))
    if (root / "glamlab.toml").exists():
        import shutil

        shutil.rmtree(root)
    shifted = W.init(root, **p.init)
    try:
        _setup(shifted, _write(frame[frame["arrival_date"] < CUTOFF],
                               root / "incoming" / "bookings-2015-2016.csv"), say)
        train_tabular(shifted, "tabular-gbm")
        out = _replay(shifted, _months(frame), say, decision=False)
        first = next((w for w in out["windows"]
                      if w["flagged"] and w["month"] >= SHIFT_FROM[:7]), None)
        if first is not None:
            earlier = [w["month"] for w in out["windows"]
                       if w["flagged"] and w["month"] < SHIFT_FROM[:7]]
            say(f"The change began in {SHIFT_FROM[:7]}; the first month glamlab flagged from "
                f"then is {first['month']}, most likely cause: {first['root_cause']}."
                + (f" (Flagged before it: {', '.join(earlier)}: real changes of 2017, not the "
                   "staged one.)" if earlier else ""))
        before = [abs(w["estimate"] - w["realised"]) for w in out["windows"]
                  if w["month"] < SHIFT_FROM[:7]]
        after = [abs(w["estimate"] - w["realised"]) for w in out["windows"]
                 if w["month"] >= SHIFT_FROM[:7]]
        say("The months after it are not flagged again: each is compared with the four weeks "
            "before it, which already had the app. The model has not adapted, though: its "
            "estimated F1 stays far above the realised one.")
        out["estimate_gap_before"] = sum(before) / max(1, len(before))
        out["estimate_gap_after"] = sum(after) / max(1, len(after))
        say(f"Estimated vs realised F1: {out['estimate_gap_before']:.2f} apart on average "
            f"before the change, {out['estimate_gap_after']:.2f} after it (an estimate from "
            "the inputs cannot see that the same inputs now mean something else).")
        say("The outcomes of the changed months are in: retrain on them.")
        res = retrain_project(shifted, window_start="2017-08-01", recent_days=90)
        s = res["scores"]
        say(f"On August (the newest labelled month, {res['window_rows']} bookings), ROC AUC: "
            f"the model in use {s['champion']:.3f}, a new version trained on the last 90 days "
            f"{s['recent']:.3f}, one trained on all rows {s['all']:.3f}.")
        for reason in res["gate"]["reasons"]:
            say(f"  - {reason}")
        if res["too_few_to_tell"]:
            say(res["too_few_to_tell"])
        say(f"Promoted {res['saved']}: it is the model in use now." if res["saved"] else
            "The gate kept the model in use.")
        out["recovery"] = _recovery(shifted, res, say)
        out["retrain"] = res
        out["first_flagged"] = first["month"] if first else None
        out["first_cause"] = first["root_cause"] if first else None
    finally:
        shifted.close()
    return out


def decision_words(cap: dict[str, Any]) -> str:
    """The replayed decision of :func:`glamlab.actions.capacity.project_capacity` (with
    its replay) in a sentence, counts in the singular or plural they need."""
    from ..actions.capacity import chance_words, people, slot_unit

    r, cur = cap["replay"], cap["currency"]
    days = len({row["period"] for row in cap.get("plan") or []})
    span = (f" ({days:,} {plural(days, 'day')} from {cap['first']} to {cap['last']})"
            if days else "")
    unit = cap.get("slot_unit") or slot_unit(str(cap.get("slot", "D")),
                                             cap.get("group_by") or ["hotel"])
    return (f"The decision, replayed: selling the extra places glamlab allowed for a "
            f"{cap['risk']:.0%} risk per slot (a slot: {unit}; calibrated slot by "
            f"slot on the outcomes of the latest {cap['calibration']['window']} slots), "
            f"{r['extra_sold']:,} extra {plural(r['extra_sold'], 'ticket')} over "
            f"{r['slots']:,} {plural(r['slots'], 'slot')}{span} would have earned "
            f"{r['earned']:,.0f} {cur}; {r['over_capacity_slots']:,} "
            f"{plural(r['over_capacity_slots'], 'slot')} "
            f"({r['over_capacity_rate']:.1%}) would have been over capacity, by "
            f"{people(r['people_over'])}, costing {r['cost']:,.0f}: net {r['net']:,.0f} "
            f"{cur}; {chance_words(r)}.")


def month_words(month: str, spec: str, expected: float, r: dict[str, Any],
                currency: str) -> str:
    """A month's plan by model ``spec`` replayed (``r``: a replay's dict), in a sentence."""
    from ..actions.capacity import people

    return (f"{month} with {spec}: it expected {expected:.0f} no-shows, {r['no_shows']:,} "
            f"happened; selling the {r['extra_sold']:,} extra "
            f"{plural(r['extra_sold'], 'place')} it allowed would have put "
            f"{r['over_capacity_slots']:,} of {r['slots']:,} {plural(r['slots'], 'slot')} "
            f"(a day for one hotel) over capacity (by {people(r['people_over'])}): net "
            f"{r['net']:,.0f} {currency}.")


def _recovery(ws: Workspace, res: dict[str, Any], say: Say) -> dict[str, Any]:
    """The decision in August under the old champion and the retrained one (August is
    the month the gate judged them on: not an independent test)."""
    from ..actions.capacity import project_capacity

    out = {}
    for who, spec in (("before", res["champion"]), ("after", res["saved"])):
        if not spec:
            continue
        cap = project_capacity(ws, since="2017-08-01", model=spec)
        expected = sum(r["expected_no_shows"] for r in cap["plan"])
        r = cap["replay"]
        out[who] = {"model": spec, "expected_no_shows": round(expected, 1), **r}
        say(month_words("August", spec, expected, r, cap["currency"]))
    if "after" in out:
        b, a = out["before"], out["after"]
        gap_b = abs(b["expected_no_shows"] - b["no_shows"])
        gap_a = abs(a["expected_no_shows"] - a["no_shows"])
        say(f"Expected vs actual no-shows in August: off by {gap_b:.0f} before retraining, by "
            f"{gap_a:.0f} after; slots over capacity {b['over_capacity_slots']} before, "
            f"{a['over_capacity_slots']} after (judged on August, the month the gate compared "
            "the models on, so not an independent test).")
        out["expected_gap"] = {"before": round(gap_b, 1), "after": round(gap_a, 1)}
    return out


__all__ = ["NAME", "project", "staged"]
