"""A tabular project through the command line, on the bundled real bookings: init,
ingest with the leakage check, the time split, train (refused while a column leaks),
backtest, monitor (a staged lead-time shift named as the cause), capacity, retrain; each
with --json, and one-line errors with the fix."""

from __future__ import annotations

import json

import pytest

from glamlab.cli import main
from tests import bookings

NEVER = [c for c in bookings.NEVER if c != "reservation_status"]


def _run(capsys, *args, code=0):
    with pytest.raises(SystemExit) as exc:
        main([*args])
        raise SystemExit(0)
    out = capsys.readouterr()
    assert (exc.value.code or 0) == code, out.err
    return out


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """The sample's 2015-2016 bookings, and 2017 with lead times shrunk from May."""
    from glamlab.demo.bookings import staged
    from glamlab.ingest.columns import read_table

    d = tmp_path_factory.mktemp("tables")
    raw = read_table(bookings.SAMPLE)
    raw[raw["arrival_date"] < "2017-01-01"].to_csv(d / "history.csv", index=False)
    later = staged(raw)
    later[later["arrival_date"] >= "2017-01-01"].to_csv(d / "2017.csv", index=False)
    return d


def split_project(capsys, tmp_path, table, cutoff: str = "2017-01-01") -> list[str]:
    """A tabular project of the bundled bookings before 2017 (``table``), ingested and
    split by time at ``cutoff``; returns its ``-w WS`` arguments."""
    ws = str(tmp_path / "ws")
    _run(capsys, "init", ws, "--task", "no-shows", "--modality", "tabular", "--labels", "0,1")
    w = ["-w", ws]
    _run(capsys, *w, "ingest", str(table / "history.csv"), "--time-column", "arrival_date",
         "--label-column", "is_canceled", "--id-column", "id", "--group-column", "hotel",
         *[f"--never-feature={c}" for c in NEVER], "--never-feature", "reservation_status")
    _run(capsys, *w, "labels", "split", "--by-time", "--cutoff", cutoff)
    return w


def test_a_tabular_project_end_to_end(tmp_path, capsys, table):
    ws = str(tmp_path / "ws")
    _run(capsys, "init", ws, "--task", "no-shows", "--modality", "tabular", "--labels", "0,1")
    w = ["-w", ws]
    # a wrong column name: one error naming it, nothing stored
    out = _run(capsys, *w, "ingest", str(table / "history.csv"), "--time-column", "arrival",
               "--label-column", "is_canceled", code=2)
    assert "arrival" in out.err and "fix:" in out.err
    args = [f"--never-feature={c}" for c in NEVER]
    out = _run(capsys, *w, "ingest", str(table / "history.csv"), "--time-column", "arrival_date",
               "--label-column", "is_canceled", "--id-column", "id", "--group-column", "hotel",
               *args, "--json")
    data = json.loads(out.out)
    assert data["added"] == 1980
    flagged = [f["column"] for f in data["leakage"]["flagged"]]
    assert "reservation_status" in flagged
    # the leaky column is not a never-feature yet: training is refused, with the fix
    out = _run(capsys, *w, "train", "tabular-gbm", code=2)
    assert "reservation_status" in out.err and "never_features" in out.err
    # the backtest refuses it too (every fold would look perfect)
    out = _run(capsys, *w, "backtest", "--since", "2016-10-01", "--n-boot", "20", code=2)
    assert "reservation_status" in out.err and "--allow-leaky" in out.err
    out = _run(capsys, *w, "ingest", str(table / "history.csv"),
               "--never-feature", "reservation_status", "--json")
    assert json.loads(out.out)["unchanged"] == 1980
    out = _run(capsys, *w, "labels", "split", "--by-time", "--cutoff", "2017-01-01", "--json")
    assert json.loads(out.out)["train"] == 1980
    out = _run(capsys, *w, "train", "tabular-gbm", "--json")
    assert json.loads(out.out)["champion"] is True
    out = _run(capsys, *w, "backtest", "--since", "2016-10-01", "--n-boot", "50", "--json",
               "--html", str(tmp_path / "bt.html"))
    bt = json.loads(out.out)
    assert bt["models"][:3] == ["tabular-share", "tabular-last-period", "tabular-last-year"]
    assert len(bt["folds"]) == 3
    assert 'data-plot="line"' in (tmp_path / "bt.html").read_text()
    # 2017 arrives with its outcomes; the lead-time shift from May is flagged (exit 3)
    _run(capsys, *w, "ingest", str(table / "2017.csv"))
    card = tmp_path / "ws" / "glamlab.toml"  # a sample: about 100 rows a month
    card.write_text(card.read_text() + "\n[monitor]\nmin_reference = 50\n")
    out = _run(capsys, *w, "monitor", "--window", "month", "--json", "--html",
               str(tmp_path / "reports" / "mon.html"), code=3)  # a new folder: made
    mon = json.loads(out.out)
    may = next(x for x in mon["windows"] if x["start"] == "2017-05-01")
    assert may["flagged"] and may["root_cause"] == "lead_time"
    assert may["estimate"]["realised"] is not None
    assert "lead_time" in (tmp_path / "reports" / "mon.html").read_text()
    # a month whose estimate's 95% range is too wide to tell says so, in --json and the
    # HTML report (rule: wider than 0.2 for F1)
    wide = [x for x in mon["windows"] if x["estimate"]["high"] - x["estimate"]["low"] > 0.2]
    assert wide and all(x["estimate"]["too_few_rows"] for x in wide)
    assert all(x["estimate"]["too_few_rows"] is None for x in mon["windows"] if x not in wide)
    assert "too few rows to tell" in (tmp_path / "reports" / "mon.html").read_text()
    out = _run(capsys, *w, "capacity", "--risk", "0.05", "--price", "20", "--over-cost", "60",
               "--json", "--csv", str(tmp_path / "plans" / "plan.csv"))
    cap = json.loads(out.out)
    assert cap["replay"]["slots"] == cap["slots"] > 0
    # UTF-8 with a byte-order mark, as every CSV glamlab writes (Excel shows the accents)
    assert (tmp_path / "plans" / "plan.csv").read_bytes().startswith(
        "\ufeffperiod,hotel".encode())
    # a path that cannot be written: one error naming it, not a traceback
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    out = _run(capsys, *w, "capacity", "--since", "2017-08-01", "--csv",
               str(blocker / "plan.csv"), code=2)
    assert out.err.startswith(f"error: cannot write {blocker / 'plan.csv'}") and "fix:" in out.err
    out = _run(capsys, *w, "retrain", "--window-start", "2017-08-01", "--json")
    re = json.loads(out.out)
    assert re["metric"] == "auc" and set(re["scores"]) == {"champion", "recent", "all"}
    out = _run(capsys, *w, "capacity", "--risk", "2", code=2)
    assert "risk" in out.err and "fix:" in out.err


def test_a_count_task_is_judged_by_its_counts(tmp_path, capsys, table):
    """--task-type count: the backtest scores no-shows per day and hotel by MAE, the
    monitor estimates and realises that error, retraining compares on it (lower is better),
    and capacity plans per day; the rows' model is the same."""
    ws = str(tmp_path / "ws")
    out = _run(capsys, "init", ws, "--task", "no-shows", "--modality", "tabular", "--labels",
               "0,1", "--task-type", "count", "--slot", "D", "--metric", "mae", "--json")
    assert json.loads(out.out)["count"] == {"slot": "D", "metric": "mae"}
    w = ["-w", ws]
    _run(capsys, *w, "ingest", str(table / "history.csv"), "--time-column", "arrival_date",
         "--label-column", "is_canceled", "--id-column", "id", "--group-column", "hotel",
         *[f"--never-feature={c}" for c in bookings.NEVER])
    out = _run(capsys, *w, "status")
    assert 'the number of "yes" per day and hotel, judged by mean absolute error' in out.out
    _run(capsys, *w, "labels", "split", "--by-time", "--cutoff", "2017-01-01")
    _run(capsys, *w, "train", "tabular-gbm")
    out = _run(capsys, *w, "backtest", "--since", "2016-11-01", "--n-boot", "50", "--json")
    bt = json.loads(out.out)
    assert bt["task"] == "count" and bt["metric"] == "mae"
    s = bt["overall"]["tabular-gbm"]
    assert s["mae"]["low"] <= s["mae"]["value"] <= s["mae"]["high"] and s["rmse"]["value"] >= \
        s["mae"]["value"]
    out = _run(capsys, *w, "backtest", "--since", "2016-11-01", "--n-boot", "20", "--per-row",
               "--json")
    assert json.loads(out.out)["metric"] == "f1"
    _run(capsys, *w, "ingest", str(table / "2017.csv"))
    card = tmp_path / "ws" / "glamlab.toml"
    card.write_text(card.read_text() + "\n[monitor]\nmin_reference = 50\n")
    out = _run(capsys, *w, "monitor", "--window", "month", "--json", code=3)
    wins = json.loads(out.out)["windows"]
    est = wins[0]["estimate"]
    assert est["metric"] == "mae" and est["realised"] is not None and est["estimate"] > 0
    text = _run(capsys, *w, "monitor", "--window", "month", code=3).out
    # the note after the figures names the measure as the figures print it, then in words
    assert "estimated mae " in text and "estimated mae [from, to]: " in text
    assert "average miss (MAE): " in text
    out = _run(capsys, *w, "status", "--json")
    mon_stage = next(x for x in json.loads(out.out)["stages"] if x["stage"] == "monitoring")
    assert mon_stage["alerts"] >= 1 and mon_stage["done"]  # the flagged window is stored
    out = _run(capsys, *w, "retrain", "--window-start", "2017-08-01", "--json")
    re = json.loads(out.out)
    assert re["metric"] == "mae"
    # lower is better: the chosen challenger is the one with the smaller error
    other = {"recent": "all", "all": "recent"}[re["chosen"]]
    assert re["scores"][re["chosen"]] <= re["scores"][other]
    if re["promoted"]:  # the same retraining again gains nothing: no new version
        again = json.loads(_run(capsys, *w, "retrain", "--window-start", "2017-08-01",
                                "--json").out)
        assert not again["promoted"] and again["saved"] is None
        assert "exactly as the current model" in " ".join(again["gate"]["reasons"])
    out = _run(capsys, *w, "capacity", "--since", "2017-06-01", "--json")
    cap = json.loads(out.out)
    assert cap["slot"] == "D" and cap["calibration"]["window"] == 60
    assert cap["replay"] and cap["replay_uncalibrated"]
    for bad, said in ((["--slot", "nonsense"], "slot"), (["--since", "notadate"], "date"),
                      (["--price", "-5"], "price")):
        out = _run(capsys, *w, "capacity", *bad, code=2)
        assert said in out.err and "fix:" in out.err and "Traceback" not in out.err
    # a count task on images, or a metric a count cannot have: one error each
    out = _run(capsys, "init", str(tmp_path / "img"), "--task", "t", "--modality", "image",
               "--labels", "a,b", "--task-type", "count", code=2)
    assert "tabular" in out.err
    out = _run(capsys, "init", str(tmp_path / "f1"), "--task", "t", "--modality", "tabular",
               "--labels", "0,1", "--task-type", "count", "--metric", "f1_macro", code=2)
    assert "mae" in out.err and not (tmp_path / "f1").exists()
    out = _run(capsys, "init", str(tmp_path / "slot"), "--task", "t", "--modality", "tabular",
               "--labels", "0,1", "--task-type", "count", "--slot", "fortnight", code=2)
    assert "slot" in out.err and "fix:" in out.err
    # the rows' models and gold labels read outcomes as 0/1: other labels would leave the
    # project with outcomes nobody could evaluate (labels show: 0), so they are refused
    out = _run(capsys, "init", str(tmp_path / "words"), "--task", "t", "--modality",
               "tabular", "--labels", "no,yes", "--positive-label", "yes", code=2)
    assert "0 and 1" in out.err and "positive" in out.err and "Traceback" not in out.err
    assert not (tmp_path / "words" / "glamlab.toml").exists()


@pytest.fixture(scope="module")
def later_rows(tmp_path_factory):
    """Rows before 2017 with their outcomes (b-old.csv); the rows of June 2017 without the
    outcome column (b-new-nolabel.csv), with it left empty (b-new-blank.csv), and with
    their outcomes (b-new-out.csv)."""
    from glamlab.ingest.columns import read_table

    d = tmp_path_factory.mktemp("later")
    raw = read_table(bookings.SAMPLE)
    raw[raw["arrival_date"] < "2017-01-01"].to_csv(d / "b-old.csv", index=False)
    new = raw[raw["arrival_date"].str.startswith("2017-06")]
    new.drop(columns=["is_canceled"]).to_csv(d / "b-new-nolabel.csv", index=False)
    new.assign(is_canceled="").to_csv(d / "b-new-blank.csv", index=False)
    new.to_csv(d / "b-new-out.csv", index=False)
    return d, int((raw["arrival_date"] < "2017-01-01").sum()), len(new)


def _outcomes(capsys, w):
    stages = json.loads(_run(capsys, *w, "status", "--json").out)["stages"]
    return next(s for s in stages if s["stage"] == "labels")["count"]


def _count_project(capsys, ws: str, table, never) -> list[str]:
    """A count project (no-shows per day and hotel, judged by MAE) at ``ws`` with the
    bookings ``table`` ingested, the columns ``never`` never features; its ``-w`` args."""
    _run(capsys, "init", ws, "--task", "no-shows", "--modality", "tabular", "--labels", "0,1",
         "--task-type", "count", "--slot", "D", "--metric", "mae")
    w = ["-w", ws]
    _run(capsys, *w, "ingest", str(table), "--time-column", "arrival_date",
         "--label-column", "is_canceled", "--id-column", "id", "--group-column", "hotel",
         *[f"--never-feature={c}" for c in never])
    return w


def _old_rows(capsys, tmp_path, later_rows):
    d, n_old, _n_new = later_rows
    w = _count_project(capsys, str(tmp_path / "museum"), d / "b-old.csv",
                       ["reservation_status", "reservation_status_date"])
    assert _outcomes(capsys, w) == n_old
    return w


def test_outcomes_in_another_file_come_in_with_allow_source_change(tmp_path, capsys,
                                                                    later_rows):
    """New rows ingested without outcomes, then their outcomes in another file: refused
    with the fix (the rows belong to the first file), then taken with
    --allow-source-change as new versions of the rows."""
    d, n_old, n_new = later_rows
    w = _old_rows(capsys, tmp_path, later_rows)
    out = _run(capsys, *w, "ingest", str(d / "b-new-nolabel.csv"), "--json")
    assert json.loads(out.out)["added"] == n_new
    assert _outcomes(capsys, w) == n_old
    out = _run(capsys, *w, "ingest", str(d / "b-new-out.csv"), code=2)
    assert f"{n_new} item(s) belong to another source" in out.err
    assert "--allow-source-change" in out.err
    assert _outcomes(capsys, w) == n_old  # all or nothing: no row was changed
    out = _run(capsys, *w, "ingest", str(d / "b-new-out.csv"), "--allow-source-change",
               "--json")
    res = json.loads(out.out)
    assert (res["added"], res["updated"], res["failed"]) == (0, n_new, 0)
    assert _outcomes(capsys, w) == n_old + n_new
    # the same file again: nothing changes, with or without the flag
    out = _run(capsys, *w, "ingest", str(d / "b-new-out.csv"), "--json")
    assert json.loads(out.out)["unchanged"] == n_new


def test_an_empty_outcome_column_means_no_outcomes_yet(tmp_path, capsys, later_rows):
    """New rows with the outcome column present and every value empty come in without
    outcomes (like a file without the column); their outcomes, arriving later, label
    them. The first table of a project still needs outcomes in the column it names."""
    d, n_old, n_new = later_rows
    w = _old_rows(capsys, tmp_path, later_rows)
    out = _run(capsys, *w, "ingest", str(d / "b-new-blank.csv"), "--json")
    res = json.loads(out.out)
    assert (res["added"], res["failed"]) == (n_new, 0)
    assert res["leakage"] is None  # no outcomes among these rows to check against
    assert _outcomes(capsys, w) == n_old
    out = _run(capsys, *w, "ingest", str(d / "b-new-out.csv"), "--allow-source-change",
               "--json")
    assert json.loads(out.out)["updated"] == n_new
    assert _outcomes(capsys, w) == n_old + n_new
    # the outcomes in the file they were ingested from first need no flag
    d2 = tmp_path / "same"
    d2.mkdir()
    (d2 / "b-new.csv").write_bytes((d / "b-new-blank.csv").read_bytes())
    w2 = _old_rows(capsys, tmp_path / "second", later_rows)
    _run(capsys, *w2, "ingest", str(d2 / "b-new.csv"))
    (d2 / "b-new.csv").write_bytes((d / "b-new-out.csv").read_bytes())
    out = _run(capsys, *w2, "ingest", str(d2 / "b-new.csv"), "--json")
    assert json.loads(out.out)["updated"] == n_new
    assert _outcomes(capsys, w2) == n_old + n_new
    # a project's first table: an empty outcome column is refused, naming it and the fix
    ws3 = str(tmp_path / "third")
    _run(capsys, "init", ws3, "--task", "no-shows", "--modality", "tabular", "--labels", "0,1")
    out = _run(capsys, "-w", ws3, "ingest", str(d / "b-new-blank.csv"), "--time-column",
               "arrival_date", "--label-column", "is_canceled", "--id-column", "id", code=2)
    assert "'is_canceled'" in out.err and "empty" in out.err and "fix:" in out.err
    assert json.loads(_run(capsys, "-w", ws3, "status", "--json").out)["stages"][1][
        "count"] == 0


def test_a_blank_outcome_never_erases_a_known_one(tmp_path, capsys, later_rows):
    """The rows' outcomes are in; the same rows come again with the outcome column blank
    (or without it): nothing known is lost, and no new version is made. A changed
    outcome (a correction) still comes in."""
    d, n_old, n_new = later_rows
    w = _old_rows(capsys, tmp_path, later_rows)
    f = tmp_path / "june.csv"
    f.write_bytes((d / "b-new-out.csv").read_bytes())
    _run(capsys, *w, "ingest", str(f))
    assert _outcomes(capsys, w) == n_old + n_new
    for blank in ("b-new-blank.csv", "b-new-nolabel.csv"):
        f.write_bytes((d / blank).read_bytes())
        res = json.loads(_run(capsys, *w, "ingest", str(f), "--json").out)
        assert res["updated"] == 0, blank
        assert _outcomes(capsys, w) == n_old + n_new, blank
    # a corrected outcome is a new version
    from glamlab.ingest.columns import read_table

    table = read_table(d / "b-new-out.csv")
    table.loc[0, "is_canceled"] = str(1 - int(table.loc[0, "is_canceled"]))
    table.to_csv(f, index=False)
    res = json.loads(_run(capsys, *w, "ingest", str(f), "--json").out)
    assert res["updated"] == 1 and _outcomes(capsys, w) == n_old + n_new


def test_a_misspelt_outcome_column_is_refused_naming_both(tmp_path, capsys, later_rows):
    """New rows whose outcome column is spelt otherwise (is_cancelled): refused with one
    error naming both names and the fix, nothing stored; renamed, they come in."""
    from glamlab.ingest.columns import read_table

    d, n_old, n_new = later_rows
    w = _old_rows(capsys, tmp_path, later_rows)
    table = read_table(d / "b-new-out.csv").rename(columns={"is_canceled": "is_cancelled"})
    table.to_csv(tmp_path / "june.csv", index=False)
    out = _run(capsys, *w, "ingest", str(tmp_path / "june.csv"), code=2)
    assert "'is_cancelled'" in out.err and "'is_canceled'" in out.err and "fix:" in out.err
    assert _outcomes(capsys, w) == n_old
    table.rename(columns={"is_cancelled": "is_canceled"}).to_csv(tmp_path / "june.csv",
                                                                 index=False)
    res = json.loads(_run(capsys, *w, "ingest", str(tmp_path / "june.csv"), "--json").out)
    assert res["added"] == n_new and _outcomes(capsys, w) == n_old + n_new


def test_labels_status_evaluate_and_act_read_the_outcomes_and_the_time_split(
        tmp_path, capsys, later_rows):
    """The rows' known outcomes are the project's labels and the time split its train/test
    split: labels show and status count them by time, evaluate scores the model and the
    forecaster's baselines on the rows after the cutoff, and act only decides about the
    rows whose outcome is not known yet (with thresholds from the labelled rows)."""
    from glamlab.ingest.columns import read_table

    d, n_old, n_new = later_rows
    old = read_table(d / "b-old.csv")
    n_train = int((old["arrival_date"] < "2016-07-01").sum())
    ws = str(tmp_path / "museum")
    _run(capsys, "init", ws, "--task", "no-shows", "--modality", "tabular", "--labels", "0,1")
    w = ["-w", ws]
    _run(capsys, *w, "ingest", str(d / "b-old.csv"), "--time-column", "arrival_date",
         "--label-column", "is_canceled", "--id-column", "id", "--group-column", "hotel",
         *[f"--never-feature={c}" for c in bookings.NEVER])
    _run(capsys, *w, "labels", "split", "--by-time", "--cutoff", "2016-07-01")

    def shown():
        return json.loads(_run(capsys, *w, "labels", "show", "--json").out)

    counts = shown()
    assert counts["items"] == n_old
    assert (counts["splits"]["train"], counts["splits"]["test"]) == (n_train, n_old - n_train)
    yes = {r["label"]: r["total"] for r in counts["labels"]}
    outcome = old["is_canceled"].astype(str)
    assert yes == {"1": int((outcome == "1").sum()), "0": int((outcome == "0").sum())}
    stage = next(s for s in json.loads(_run(capsys, *w, "status", "--json").out)["stages"]
                 if s["stage"] == "labels")
    assert (stage["count"], stage["train"], stage["test"]) == (n_old, n_train, n_old - n_train)

    _run(capsys, *w, "train", "tabular-gbm")
    ev = json.loads(_run(capsys, *w, "evaluate", "--n-boot", "50", "--json").out)
    assert ev["test_items"] == n_old - n_train and ev["metric"] == "f1_macro"
    scores = {c["name"]: c["metrics"]["f1_macro"]["value"] for c in ev["candidates"]}
    assert set(scores) == {"tabular-gbm@1", "tabular-share", "tabular-last-period",
                           "tabular-last-year"}
    assert scores["tabular-gbm@1"] > scores["tabular-share"]
    # the text says f1_macro is the average over the outcomes, not the F1 of one outcome
    # (what backtest and monitor report: the same baseline reads 0.000 there)
    text = _run(capsys, *w, "evaluate", "--n-boot", "20").out
    assert ("f1_macro: the F1 of each outcome ('0', '1'), averaged over the outcomes; not "
            "the F1 of one outcome alone, which backtest and monitor report as 'F1 for "
            "...'.") in text, text
    # the evaluated test split is frozen; even with --force the cutoff cannot move back
    # over the rows the model trained on
    out = _run(capsys, *w, "labels", "split", "--by-time", "--cutoff", "2016-01-01", code=2)
    assert "frozen" in out.err and "--force" in out.err
    out = _run(capsys, *w, "labels", "split", "--by-time", "--cutoff", "2016-01-01", "--force",
               code=2)
    assert "trained on" in out.err and "fix:" in out.err
    assert shown()["splits"]["train"] == n_train  # nothing moved

    # June 2017's bookings arrive without outcomes: not labels, and what act acts on
    _run(capsys, *w, "ingest", str(d / "b-new-nolabel.csv"))
    assert shown()["items"] == n_old
    _run(capsys, *w, "run")
    plan = json.loads(_run(capsys, *w, "act", "--dry-run", "--json").out)
    assert plan["items_with_predictions"] == n_new == plan["items_total"]
    assert sum(plan["counts"].values()) == n_new and plan["known_outcomes"] == n_old
    assert plan["policy_source"] == "default"  # thresholds proposed from the labelled rows
    assert plan["counts"]["accept"] > 0
    acted = json.loads(_run(capsys, *w, "act", "--json").out)
    queued = acted["written"]["review_queue"]
    assert queued > 0
    # their outcomes come in: they become labels in the test split, and nothing is left
    _run(capsys, *w, "ingest", str(d / "b-new-out.csv"), "--allow-source-change")
    counts = shown()
    assert counts["items"] == n_old + n_new
    assert counts["splits"]["test"] == n_old - n_train + n_new
    plan = json.loads(_run(capsys, *w, "act", "--dry-run", "--json").out)
    assert plan["items_with_predictions"] == 0 and sum(plan["counts"].values()) == 0
    # the review rows of bookings whose outcome is known now are withdrawn by the next
    # act (before, they stayed open, and a decision on one replaced the real outcome)
    again = json.loads(_run(capsys, *w, "act", "--json").out)
    assert again["superseded"] == queued
    status = json.loads(_run(capsys, *w, "status", "--json").out)
    actions = next(s for s in status["stages"] if s["stage"] == "actions")
    assert actions["review_open"] == 0


def _small_table(path, moved=None, dates=None):
    """40 rows over 2020 (the automatic cutoff: 2020-10-04; r30 to r39 test); ``moved``:
    a row id whose date is corrected to 2020-12-20, after the cutoff; ``dates``: row id
    -> its corrected date."""
    dates = {**({moved: "2020-12-20"} if moved else {}), **(dates or {})}
    lines = ["id,day,size,out"]
    for i in range(40):
        day = dates.get(f"r{i}", f"2020-{1 + i * 12 // 40:02d}-{1 + i % 27:02d}")
        lines.append(f"r{i},{day},{i % 7},{int(i % 3 == 0)}")
    path.write_text("\n".join(lines) + "\n")


def _dated_project(capsys, tmp_path, write=_small_table, name="ws"):
    """A tabular workspace ``name`` in ``tmp_path`` made from the table ``write`` writes
    to rows.csv (dated by ``day``, outcome ``out``, ids ``id``): the workspace's folder,
    its ``-w`` arguments and the table's path, to write corrected tables to."""
    ws = str(tmp_path / name)
    f = tmp_path / "rows.csv"
    write(f)
    _run(capsys, "init", ws, "--task", "t", "--modality", "tabular", "--labels", "0,1")
    _run(capsys, "-w", ws, "ingest", str(f), "--time-column", "day", "--label-column", "out",
         "--id-column", "id")
    return ws, ["-w", ws], f


def test_a_corrected_date_never_moves_a_trained_on_row_into_test(tmp_path, capsys):
    """A row a saved model trained on comes again with its date corrected to after the
    cutoff: ingest keeps it out of the test split and says so once (before, it moved the
    row into test, and evaluate then refused the model), and so does labels split
    --by-time. The correction itself is stored, and the row, in the train split, trains
    the models that come after (before, it was left out of both sets, and the warning
    came again with every ingest of the same table)."""
    ws, w, f = _dated_project(capsys, tmp_path)
    _run(capsys, *w, "train", "tabular-share")
    splits = json.loads(_run(capsys, *w, "labels", "show", "--json").out)["splits"]
    assert (splits["train"], splits["test"]) == (30, 10)

    _small_table(f, moved="r0")
    out = _run(capsys, *w, "ingest", str(f))
    assert "1 row whose date now falls on or after 2020-10-04" in out.out
    assert "stays out of the test rows" in out.out and "learned from it" in out.out
    assert "models trained from now on learn from it too" in out.out
    # the same table again: the correction is not new, nothing more to say
    res = json.loads(_run(capsys, *w, "ingest", str(f), "--json").out)
    assert res["kept_in_split"] == 0 and res["warnings"] == []
    assert "test rows" not in _run(capsys, *w, "ingest", str(f)).out
    splits = json.loads(_run(capsys, *w, "labels", "show", "--json").out)["splits"]
    assert (splits["train"], splits["test"]) == (30, 10)
    from glamlab.workspace import Workspace

    row = next(i for i in Workspace.open(ws).items() if i.item_id == "r0")
    assert row.meta["day"] == "2020-12-20"  # the correction is stored
    ev = json.loads(_run(capsys, *w, "evaluate", "--n-boot", "20", "--json").out)
    assert ev["test_items"] == 10
    # re-splitting at the same cutoff keeps it too, and says so
    out = _run(capsys, *w, "labels", "split", "--by-time", "--cutoff", "2020-10-04")
    assert "1 row whose date now falls on or after 2020-10-04" in out.out
    res = json.loads(_run(capsys, *w, "labels", "split", "--by-time", "--cutoff",
                          "2020-10-04", "--json").out)
    assert res["kept_in_split"] == 1 and (res["train"], res["test"]) == (30, 10)
    splits = json.loads(_run(capsys, *w, "labels", "show", "--json").out)["splits"]
    assert (splits["train"], splits["test"]) == (30, 10)
    # a model trained now learns from the kept row too: the train split's 30 rows
    res = json.loads(_run(capsys, *w, "train", "tabular-share", "--json").out)
    assert res["train_rows"] == 30
    import sqlalchemy as sa

    store = Workspace.open(ws).store
    t = store.t
    with store.read() as conn:
        learned = {r[0] for r in conn.execute(
            sa.select(t.model_items.c.item_id).join(
                t.models, t.models.c.id == t.model_items.c.model_id).where(
                t.models.c.version == 2))}
    assert "r0" in learned and len(learned) == 30


def test_a_corrected_date_never_moves_a_row_out_of_a_frozen_test_split(tmp_path, capsys):
    """A test row comes again with its date corrected to before the cutoff after an
    evaluation read the test split (frozen): it stays in test, ingest says so once naming
    it and how to move it anyway, no model trains on it, and the next evaluation is on
    the same test rows (before, it moved into train silently, changing the frozen test
    set under the saved comparison). labels split --force moves it; before any
    evaluation, the corrected row simply moves into train."""
    ws, w, f = _dated_project(capsys, tmp_path)
    _run(capsys, *w, "train", "tabular-share")
    first = json.loads(_run(capsys, *w, "evaluate", "--n-boot", "20", "--json").out)
    assert first["test_items"] == 10

    _small_table(f, dates={"r35": "2020-03-15"})
    out = _run(capsys, *w, "ingest", str(f))
    assert "1 test row ('r35') now has a date before 2020-10-04" in out.out
    assert "stays in the test split" in out.out and "--force" in out.out
    res = json.loads(_run(capsys, *w, "ingest", str(f), "--json").out)
    assert res["kept_in_test"] == 0 and res["warnings"] == []  # said once
    from glamlab.tasks.splits import split_of
    from glamlab.workspace import Workspace

    assert split_of(Workspace.open(ws), ["r35"]) == {"r35": "test"}
    row = next(i for i in Workspace.open(ws).items() if i.item_id == "r35")
    assert row.meta["day"] == "2020-03-15"  # the correction is stored
    res = json.loads(_run(capsys, *w, "train", "tabular-share", "--json").out)
    assert res["train_rows"] == 30  # r35 trains nothing
    again = json.loads(_run(capsys, *w, "evaluate", "--n-boot", "20", "--json").out)
    assert again["test_items"] == 10
    tests = {i for i, s in split_of(Workspace.open(ws)).items() if s == "test"}
    assert tests == {f"r{i}" for i in range(30, 40)}  # the rows the first one scored
    # re-splitting at the same cutoff keeps it and says so; --force moves it (logged)
    out = _run(capsys, *w, "labels", "split", "--by-time", "--cutoff", "2020-10-04")
    assert "1 test row ('r35')" in out.out
    res = json.loads(_run(capsys, *w, "labels", "split", "--by-time", "--cutoff",
                          "2020-10-04", "--force", "--json").out)
    assert res["kept_in_test"] == 0 and (res["train"], res["test"]) == (31, 9)
    assert split_of(Workspace.open(ws), ["r35"]) == {"r35": "train"}

    # before any evaluation, a corrected test row moves into train, silently
    ws2, _, f = _dated_project(capsys, tmp_path, name="ws2")
    _small_table(f, dates={"r35": "2020-03-15"})
    res = json.loads(_run(capsys, "-w", ws2, "ingest", str(f), "--json").out)
    assert res["kept_in_test"] == 0 and res["warnings"] == []
    assert split_of(Workspace.open(ws2), ["r35"]) == {"r35": "train"}


def test_retrain_leaves_out_of_its_window_the_rows_the_champion_learned_from(tmp_path, capsys):
    """A row the champion trained on whose date is corrected into the newest labelled
    window stays in the train split, and retrain leaves it out of the window it judges
    the champion on, saying so (before, the champion was scored on a row it learned
    from, beside challengers that never saw it); a window that starts inside the
    champion's training period leaves out its rows the same way, and one made only of
    them is refused, naming the fix."""
    ws, w, f = _dated_project(capsys, tmp_path)
    _run(capsys, *w, "train", "tabular-share")
    _small_table(f, moved="r0")  # 2020-12-20: in the newest 28 days
    _run(capsys, *w, "ingest", str(f))
    res = json.loads(_run(capsys, *w, "retrain", "--json").out)
    assert res["window"] == ["2020-11-23", "2020-12-21"]  # half-open, as before
    assert res["window_last_day"] == "2020-12-20"
    # r37, r38 and r39 (December 11 to 13); r0 is left out
    assert res["window_rows"] == 3 and res["window_learned"] == 1
    out = _run(capsys, *w, "retrain").out
    assert "1 labelled row of this window is left out: the current model learned from it" in out
    # the window as a person reads it: to its last day, not the day after
    assert "(2020-11-23 to 2020-12-20, 3 rows)" in out and "2020-12-21" not in out
    assert "Kept the current model (no new version saved)." in out or "Promoted" in out
    # a window inside the training period: the champion's rows are left out of it
    res = json.loads(_run(capsys, *w, "retrain", "--window-start", "2020-09-01",
                          "--json").out)
    assert res["window_learned"] == 4  # r0, and r27 to r29 (September 1 to 3)
    assert res["window_rows"] == 10  # the test rows r30 to r39
    # a window of its rows only is refused
    from glamlab.errors import EvaluationError
    from glamlab.retraining.tabular import retrain_project
    from glamlab.tasks.tabular import project_frame
    from glamlab.workspace import Workspace

    frame = project_frame(Workspace.open(ws))
    with pytest.raises(EvaluationError) as exc:
        retrain_project(Workspace.open(ws), window_start="2020-08-01",
                        frame=frame[frame["day"] < "2020-10-01"])
    assert "the current model learned from every labelled row" in exc.value.message
    assert "window_start='YYYY-MM-DD'" in (exc.value.hint or "")  # Python's words


def test_retrain_force_is_refused_in_a_tabular_project(tmp_path, capsys):
    """--force (train and compare when nothing is new) is for the other projects: a
    tabular retrain saves a version only when it wins on its window. Refused, saying so,
    rather than ignored."""
    ws, w, _ = _dated_project(capsys, tmp_path)
    _run(capsys, *w, "train", "tabular-share")
    err = _run(capsys, *w, "retrain", "--force", code=2).err
    assert "--force does not apply to a tabular project" in err, err


def test_backtest_says_which_rows_count_by_their_corrected_date(tmp_path, capsys):
    """The backtest's folds go by date, unlike train and evaluate (by the stored split):
    a frozen test row whose date is corrected to before the cutoff trains its folds, and
    a row kept in train whose date is corrected to after it is scored in its month.
    The backtest says so, naming the rows (before, nothing told the two apart), in its
    text output and its HTML report."""
    ws, w, f = _dated_project(capsys, tmp_path)
    back = ["backtest", "--model", "tabular-share", "--n-boot", "20"]
    assert json.loads(_run(capsys, *w, *back, "--json").out)["notes"] == []
    _run(capsys, *w, "train", "tabular-share")
    _run(capsys, *w, "evaluate", "--n-boot", "20")  # the test split is frozen
    _small_table(f, dates={"r0": "2020-12-20", "r35": "2020-03-15"})
    _run(capsys, *w, "ingest", str(f))
    res = json.loads(_run(capsys, *w, *back, "--json").out)
    held, kept = res["notes"]
    assert held.startswith("1 row ('r35') of the test split") and "before 2020-10-04" in held
    assert "it trains the folds" in held and "evaluate still tests on it" in held
    assert kept.startswith("1 row ('r0') of the train split") and "on or after 2020-10-04" in kept
    assert "scored in the month of that date" in kept
    # the December fold scores r0 by its date: r37 to r39 and r0
    assert next(x for x in res["folds"] if x["origin"] == "2020-12-01")["test_rows"] == 4
    out = _run(capsys, *w, *back).out
    assert "Note: 1 row ('r35') of the test split" in out and "Note: 1 row ('r0')" in out
    # the HTML report says them too, word for word (before, only the text output did)
    import html

    page = tmp_path / "backtest.html"
    _run(capsys, *w, *back, "--html", str(page))
    written = page.read_text(encoding="utf-8")
    assert all(html.escape(n) in written for n in (held, kept)), written


def _old_retrained(ws, until):
    """A tabular-share model saved as a retraining on rows before ``until`` was saved
    before glamlab recorded a model's rows: its card's training period only."""
    from glamlab.registry.models import save_model
    from glamlab.registry.tabular import make_predictor
    from glamlab.tasks.tabular import project_frame

    frame = project_frame(ws)
    learned = frame[(frame["day"] < until) & frame["out"].notna()]
    return save_model(ws, make_predictor(ws, "tabular-share").fit_table(learned),
                      name="old", card={"train_rows": len(learned), "split": "time",
                                        "train_until": until})


def test_a_model_saved_before_its_rows_were_recorded_counts_the_stored_test_split(
        tmp_path, capsys):
    """For a retrained model saved before its rows were recorded, the test rows it
    learned from are the rows of the test split as stored dated before its training
    period's end: a frozen test row whose date is corrected to before the cutoff counts
    (before, a model whose only test row was that one passed as out-of-sample, and
    evaluate scored it on the row), and a row kept in train whose date is corrected to
    after the cutoff does not (before, it was counted as a test row)."""
    from glamlab.registry.tabular import test_rows_learned
    from glamlab.workspace import Workspace

    ws, w, f = _dated_project(capsys, tmp_path)
    _run(capsys, *w, "train", "tabular-share")
    _run(capsys, *w, "evaluate", "--n-boot", "20")  # the test split is frozen
    # it trained on the rows before October 5th: r30 (October 4th, a test row) among them
    old = _old_retrained(Workspace.open(ws), "2020-10-05")
    assert test_rows_learned(Workspace.open(ws), old)["rows"] == 1
    _small_table(f, dates={"r30": "2020-03-15"})  # r30 stays in the frozen test split
    _run(capsys, *w, "ingest", str(f))
    learned = test_rows_learned(Workspace.open(ws), old)
    assert learned is not None and learned["rows"] == 1
    ev = json.loads(_run(capsys, *w, "evaluate", "--n-boot", "20", "--json").out)
    assert all(r["candidate"] != old.spec for r in ev["leaderboard"])
    assert any(f"{old.spec} is left out" in x for x in ev["warnings"])

    # a kept row: r0 (trained on by tabular-share@1) corrected to December 20th stays
    # in train; a model trained on the rows before December 21st learned 10 test rows
    _small_table(f, dates={"r0": "2020-12-20"})
    _run(capsys, *w, "ingest", str(f))
    late = _old_retrained(Workspace.open(ws), "2020-12-21")
    assert test_rows_learned(Workspace.open(ws), late)["rows"] == 10


def _signal_table(path, dates=None):
    """200 rows over 2020 whose outcome follows ``size`` (4 in 5 rows), so that a
    boosted model learns it (the automatic cutoff: 2020-10-16)."""
    dates = dates or {}
    lines = ["id,day,size,out"]
    for i in range(200):
        day = dates.get(f"r{i}", f"2020-{1 + i * 12 // 200:02d}-{1 + i % 28:02d}")
        lines.append(f"r{i},{day},{i % 7},{int((i % 7 >= 4) != (i % 5 == 0))}")
    path.write_text("\n".join(lines) + "\n")


def test_a_frozen_test_row_a_retraining_learns_from_is_recorded(tmp_path, capsys):
    """retrain's challengers take the labelled rows before the newest window by date, so
    a frozen test row whose date is corrected to before the cutoff is among them (as the
    test rows of the period before the window are, by design): the promoted model
    records it (role "retrain"), counts it among the test rows it learned from, and
    evaluate leaves the model out; train, by the stored split, does not learn from it."""
    from glamlab.registry import get_model
    from glamlab.registry.overlap import model_item_ids
    from glamlab.registry.tabular import test_rows_learned
    from glamlab.tasks.splits import split_of
    from glamlab.workspace import Workspace

    ws, w, f = _dated_project(capsys, tmp_path, _signal_table)
    _run(capsys, *w, "train", "tabular-gbm")
    _run(capsys, *w, "evaluate", "--n-boot", "20")  # the test split is frozen
    _signal_table(f, dates={"r190": "2020-09-20"})
    _run(capsys, *w, "ingest", str(f))
    assert split_of(Workspace.open(ws), ["r190"]) == {"r190": "test"}
    Workspace.open(ws).update_card({"gate": {"max_drop": 1.0}})  # the challenger wins
    res = json.loads(_run(capsys, *w, "retrain", "--json").out)
    assert res["saved"] == "tabular-gbm@2", res
    wsp = Workspace.open(ws)
    mv = get_model(wsp, "tabular-gbm@2")
    learned = set(model_item_ids(wsp, mv.id, "retrain"))
    assert "r190" in learned and len(learned) == res["train_rows"][res["chosen"]]
    tests = {i for i, s in split_of(wsp).items() if s == "test"}
    assert test_rows_learned(wsp, mv)["rows"] == len(learned & tests)
    ev = json.loads(_run(capsys, *w, "evaluate", "--n-boot", "20", "--json").out)
    assert any("tabular-gbm@2 is left out" in x for x in ev["warnings"])
    res = json.loads(_run(capsys, *w, "train", "tabular-gbm", "--json").out)
    trained = set(model_item_ids(wsp, get_model(wsp, res["model"]).id, "train"))
    assert "r190" not in trained and not trained & tests


def test_the_web_report_of_a_tabular_evaluation_says_outcomes(tmp_path, capsys, table):
    """The Evaluate page's report (the stored evaluation's sections) names a table's
    classes as the CLI's report does: f1_macro is averaged over the outcomes."""
    from glamlab.reports.overview import evaluation_sections
    from glamlab.workspace import Workspace

    w = split_project(capsys, tmp_path, table, cutoff="2016-09-01")  # rows on both sides
    _run(capsys, *w, "train", "tabular-gbm")
    _run(capsys, *w, "evaluate", "--json")
    ws = Workspace.open(w[1])
    try:
        said = " ".join(str(s) for s in evaluation_sections(ws))
    finally:
        ws.close()
    assert "averaged over the outcomes" in said and "averaged over the labels" not in said


def test_a_cutoff_after_the_last_row_is_told_with_the_real_fixes(tmp_path, capsys, table):
    """The 2015-16 table with the docs' cutoff (2017-01-01, after its last row): backtest
    names --since with a month inside the rows, and evaluate's empty test split the time
    split's cutoff (a table's --test-size split is refused)."""
    w = split_project(capsys, tmp_path, table)
    err = _run(capsys, *w, "backtest", code=2).err
    assert "after the last row (2016-12-31)" in err
    assert "--since 2016-" in err and "labels split --by-time --cutoff" in err
    err = _run(capsys, *w, "evaluate", code=2).err
    assert "--test-size" not in err
    assert "2017-01-01" in err and "labels split --by-time --cutoff" in err


def test_monitor_by_weeks_does_not_suggest_weeks(tmp_path, capsys, table):
    """Weekly windows too small to replay in the training period: the fix names the card
    settings and a longer history, not `--window week`, the flag already given."""
    w = split_project(capsys, tmp_path, table)
    _run(capsys, *w, "ingest", str(table / "2017.csv"))
    _run(capsys, *w, "train", "tabular-gbm")
    err = _run(capsys, *w, "monitor", "--window", "week", code=2).err
    assert "could be replayed" in err and "min_reference" in err
    assert "--window week" not in err and "longer history" in err


def test_a_count_task_is_judged_by_one_measure_everywhere(tmp_path, capsys, table):
    """init says mean absolute error per day and hotel; status, and evaluate's leaderboard,
    verdict and choice of the model in use go by that measure too (they said f1_macro,
    the rows' measure), with the rows' F1 beside it."""
    import numpy as np

    from glamlab import Workspace
    from glamlab.registry import load_model
    from glamlab.tasks.tabular import project_frame

    ws = str(tmp_path / "ws")
    w = _count_project(capsys, ws, table / "history.csv", bookings.NEVER)
    _run(capsys, *w, "ingest", str(table / "2017.csv"))
    _run(capsys, *w, "labels", "split", "--by-time", "--cutoff", "2017-01-01")
    _run(capsys, *w, "train", "tabular-gbm")
    status = _run(capsys, *w, "status").out
    assert "judged by mae" in status and "f1_macro" not in status
    res = json.loads(_run(capsys, *w, "evaluate", "--n-boot", "100", "--json").out)
    assert res["count_metric"] == "mae"
    board = {r["candidate"]: r for r in res["leaderboard"]}
    # the model's count error, worked out here from its predictions, per day and hotel
    space = Workspace.open(ws)
    try:
        frame = project_frame(space)
        _, model = load_model(space, "tabular-gbm@1")
    finally:
        space.close()
    test = frame[(frame["arrival_date"] >= "2017-01-01") & frame["is_canceled"].notna()]
    p = model.predict_table(test)
    slots = test.assign(p=p, y=test["is_canceled"].astype(float)) \
        .groupby([test["arrival_date"].dt.normalize(), "hotel"])[["p", "y"]].sum()
    mae = float(np.abs(slots["p"] - slots["y"]).mean())
    gbm = board["tabular-gbm@1"]
    assert abs(gbm["mae"] - mae) < 1e-6
    assert gbm["mae_low"] <= gbm["mae"] <= gbm["mae_high"]
    # best first, lower is better; the verdict leads with that measure
    values = [r["mae"] for r in res["leaderboard"]]
    assert values == sorted(values)
    assert res["verdict"].startswith("judged by the project's measure, the mean absolute "
                                     "error (mae) of the number of ")
    assert "per day and hotel (lower is better)" in res["verdict"]
    assert f"tabular-gbm@1 {gbm['mae']:.3f}" in res["verdict"]
    text = _run(capsys, *w, "evaluate", "--n-boot", "100").out
    assert "judged by the project's measure" in text and "f1_macro (rows)" in text


def test_rows_left_out_are_said_on_stderr_with_exit_status_1(tmp_path, capsys):
    """A table with a repeated id and an empty date was refused as a whole (exit 2,
    nothing stored). Now ``glamlab ingest`` says it as it says any ingest's problems:
    the counts on stdout, each left-out row (id, line, fix) on stderr, exit status 1;
    a table of bad rows only brings nothing in: exit status 2."""
    raw = bookings.raw().head(30).reset_index(drop=True)
    bad = raw.assign(id=raw["id"].mask(raw.index == 9, raw["id"][3]),
                     arrival_date=raw["arrival_date"].mask(raw.index == 5, ""))
    bad.to_csv(tmp_path / "bad.csv", index=False)
    ws = str(tmp_path / "ws")
    _run(capsys, "init", ws, "--task", "no-shows", "--modality", "tabular", "--labels", "0,1")
    out = _run(capsys, "-w", ws, "ingest", str(tmp_path / "bad.csv"), "--time-column",
               "arrival_date", "--label-column", "is_canceled", "--id-column", "id", code=1)
    assert "27 new items" in out.out and "3 problems recorded" in out.out
    assert f"line 11: the id '{raw['id'][3]}' is on 2 rows" in out.err
    assert f"line 7: the row '{raw['id'][5]}' has no date" in out.err
    raw.head(2).assign(arrival_date="").to_csv(tmp_path / "dateless.csv", index=False)
    out = _run(capsys, "-w", ws, "ingest", str(tmp_path / "dateless.csv"), code=2)
    assert "error: nothing was brought in: the 2 problems above" in out.err


def test_a_bad_date_or_outcome_on_a_row_is_said_on_stderr_with_exit_status_1(tmp_path, capsys):
    """A later table with 'not a date' in a date column besides the time column, or an
    outcome that is neither '1' nor '0', was refused as a whole (exit 2, nothing of it
    stored). Now ``glamlab ingest`` stores the other rows and names each left-out row on
    stderr (id, line, fix), exit status 1; the rows stored before stay. An empty outcome
    is a row still to come: stored, no problem, exit status 0."""
    raw = bookings.raw().head(40).reset_index(drop=True)
    ws = str(tmp_path / "ws")
    _run(capsys, "init", ws, "--task", "no-shows", "--modality", "tabular", "--labels", "0,1")
    raw.head(20).to_csv(tmp_path / "first.csv", index=False)
    _run(capsys, "-w", ws, "ingest", str(tmp_path / "first.csv"), "--time-column",
         "arrival_date", "--label-column", "is_canceled", "--id-column", "id",
         "--never-feature", "reservation_status_date", "--never-feature", "reservation_status")
    later = raw.iloc[20:].reset_index(drop=True)
    later.assign(
        reservation_status_date=later["reservation_status_date"].mask(later.index == 2,
                                                                      "not a date"),
        is_canceled=later["is_canceled"].mask(later.index == 5, "maybe"),
    ).to_csv(tmp_path / "later.csv", index=False)
    out = _run(capsys, "-w", ws, "ingest", str(tmp_path / "later.csv"), code=1)
    assert "18 new items" in out.out and "2 problems recorded" in out.out
    assert (f"line 4: the row '{later['id'][2]}' has 'not a date' in the date column "
            "'reservation_status_date'") in out.err
    assert f"line 7: the row '{later['id'][5]}' has 'maybe' in the outcome column" in out.err
    assert "maybe" not in out.out
    assert json.loads(_run(capsys, "-w", ws, "items", "--json").out)["count"] == 38
    raw.head(20).assign(is_canceled="").to_csv(tmp_path / "first.csv", index=False)
    out = _run(capsys, "-w", ws, "ingest", str(tmp_path / "first.csv"))  # not known here
    assert "20 unchanged" in out.out and not out.err
