"""The extra-places plan on the bundled bookings, measured: it keeps to its risk over
2017 (within what chance alone gives on that many slots, and says so); August alone,
planned by a model trained up to its first day, is too few slots to judge the risk by,
and is said to be on target rather than failing; a plan whose slots are all past says
so and how to plan the days ahead (command line and web page)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import bookings


def _project(d: Path, cutoff: str):
    """The demo's project: its columns, its prices, a model trained before ``cutoff``,
    then the later bookings with their outcomes."""
    from glamlab.demo.bookings import DECISION, TABLE
    from glamlab.ingest.columns import read_table
    from glamlab.registry.tabular import train_tabular
    from glamlab.tasks.tabular import ingest_table, set_time_split
    from glamlab.workspace import Workspace

    raw = read_table(bookings.SAMPLE)
    raw[raw["arrival_date"] < cutoff].to_csv(d / "history.csv", index=False)
    raw[raw["arrival_date"] >= cutoff].to_csv(d / "later.csv", index=False)
    ws = Workspace.init(d / "ws", task="no-shows", modality="tabular", labels=["0", "1"])
    ws.update_card({"decision": dict(DECISION)})
    ingest_table(ws, d / "history.csv", **TABLE)
    set_time_split(ws, cutoff)
    train_tabular(ws, "tabular-gbm")
    ingest_table(ws, d / "later.csv", **TABLE)
    return ws


@pytest.fixture(scope="module")
def august(tmp_path_factory):
    return _project(tmp_path_factory.mktemp("august"), "2017-08-01")


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    return _project(tmp_path_factory.mktemp("year"), "2017-01-01")


@pytest.mark.slow
def test_the_plan_keeps_to_its_risk_over_2017(year):
    from glamlab.actions.capacity import chance_range, project_capacity

    ws = year
    for risk in (0.05, 0.2):
        out = project_capacity(ws, risk=risk)
        r = out["replay"]
        low, high = chance_range(r["slots"], risk)
        assert r["slots"] > 300 and low <= r["over_capacity_slots"] <= high, (risk, r)
        assert (r["chance_low"], r["chance_high"], r["chance"]) == (low, high, "within")
        assert r["chance_words"].startswith(f"on target: at a {risk:.0%} risk, chance alone "
                                            f"puts {low} to {high} of {r['slots']} slots")


def test_a_month_of_slots_is_judged_against_chance_and_said_to_be_past(august, capsys):
    """After a retrain on July, the plan covers August only: "5 slots (9.8%) over
    capacity" read as a broken promise of 5%, and nothing said the slots were past."""
    from glamlab.actions.capacity import project_capacity
    from glamlab.cli import main

    out = project_capacity(august, risk=0.05)
    r = out["replay"]
    assert (out["first"], out["last"], out["past_only"]) == ("2017-08-01", "2017-08-31", True)
    assert r["over_capacity_rate"] > 0.075  # more than 1.5 times the risk ...
    assert r["over_capacity_slots"] <= r["chance_high"] and r["chance"] == "within"  # ... by chance
    main(["-w", str(august.root), "capacity", "--risk", "0.05"])
    text = capsys.readouterr().out
    assert f"over {r['slots']} slots (a slot: a day for one hotel) from 2017-08-01 to " \
           "2017-08-31" in text
    assert "Every slot of this plan is past (its outcomes are in)" in text
    assert "To plan the days ahead: ingest their bookings (without outcomes), then run " \
           "glamlab capacity again." in text
    assert (f"That is on target: at a 5% risk, chance alone puts {r['chance_low']} to "
            f"{r['chance_high']} of {r['slots']} slots over capacity.") in text
    assert "slot D" not in text and "slot(s)" not in text


@pytest.mark.slow
def test_the_capacity_page_says_a_past_plan_is_past_and_a_month_is_within_chance(august):
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.web import create_app
    from glamlab.web.app import stop_background
    from tests.web.conftest import PASSWORD, csrf_of, login

    add_user(august, "rey", PASSWORD, "reviewer")
    app = create_app(august)
    try:
        with TestClient(app) as c:
            login(c, "rey")
            assert c.post("/stages/act/capacity", data={"csrf": csrf_of(c), "risk": "0.05",
                                                        "calibrate": "yes"},
                          follow_redirects=False).status_code == 303
            assert app.state.jobs.wait(300)
            page = c.get("/stages/act").text
    finally:
        stop_background(app)
    assert 'id="capacity-past"' in page and "Every slot of this plan is past" in page
    assert "To plan the days ahead, bring their bookings in (without outcomes)" in page
    assert 'id="capacity-chance"' in page and "on target: at a 5% risk" in page
    assert "More slots went over capacity than the chosen risk" not in page


@pytest.mark.slow
def test_the_demo_counts_slots_not_days(year):
    """The demo said "20 days (5.3%) ... over 378 days" for 8 months (243 days): a slot
    is a day for one hotel."""
    from glamlab.actions.capacity import project_capacity
    from glamlab.demo.bookings import decision_words

    cap = project_capacity(year)
    said, r = decision_words(cap), cap["replay"]
    days = len({row["period"] for row in cap["plan"]})
    assert days < r["slots"]
    assert f"over {r['slots']} slots ({days} days from 2017-01-01 to " in said
    assert f"{r['over_capacity_slots']} slots ({r['over_capacity_rate']:.1%})" in said
    assert "a slot: a day for one hotel" in said and " days would" not in said
