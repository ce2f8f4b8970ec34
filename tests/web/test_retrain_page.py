"""A tabular project's retraining page: an admin retrains on the outcomes people brought
in or corrected (``glamlab retrain``'s own function, as a background job), sees the
current model and the new versions scored on the same held-out rows with 95% ranges and
the gate's advice, and chooses to switch (confirmed; the old model kept as previous).
Nothing changes for the model in use until then. A reviewer can neither retrain nor
switch; a bad date is one message beside the form; the form needs its CSRF token.
Before, the web app had no way to retrain: only the command line could."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests import bookings

from .conftest import app_with_users, csrf_of

CUTOFF = "2017-01-01"
WINDOW = "2017-08-01"


def shifted_project(tmp_path: Path, make_ws: Any) -> Any:
    """2015-2016 train tabular-gbm@1; 2017 arrives (with the staged booking-app shift)
    with its outcomes."""
    from glamlab.demo.bookings import staged
    from glamlab.ingest.columns import read_table
    from glamlab.registry.tabular import train_tabular
    from glamlab.tasks.tabular import ingest_table, set_time_split

    raw = read_table(bookings.SAMPLE)
    raw[raw["arrival_date"] < CUTOFF].to_csv(tmp_path / "history.csv", index=False)
    later = staged(raw)
    later[later["arrival_date"] >= CUTOFF].to_csv(tmp_path / "2017.csv", index=False)
    ws = make_ws("rows", task="no-shows", modality="tabular", labels=["0", "1"])
    opts = dict(time_column="arrival_date", label_column="is_canceled", id_column="id",
                group_columns=["hotel"], never_features=list(bookings.NEVER))
    ingest_table(ws, tmp_path / "history.csv", **opts)
    set_time_split(ws, cutoff=CUTOFF)
    assert train_tabular(ws, "tabular-gbm")["model"] == "tabular-gbm@1"
    ingest_table(ws, tmp_path / "2017.csv", allow_source_change=True)
    return ws


@pytest.fixture
def shifted_app(tmp_path: Path, make_ws: Any) -> Any:
    made = app_with_users(shifted_project(tmp_path, make_ws))
    yield next(made)
    next(made, None)


def _main(page: str) -> str:
    return page.split("<main", 1)[1]


def _words(page: str) -> str:
    """The words a person reads (tags and comments left out: a CSRF token in a hidden
    input is random), with the spaces between them made single."""
    text = re.sub(r"<[^>]*>", " ", re.sub(r"<!--.*?-->", "", page, flags=re.S))
    return re.sub(r"\s+", " ", text)


def _in_use(ws: Any) -> str:
    from glamlab.registry.tabular import champion_predictor

    return str(champion_predictor(ws, None)[0].spec)


def test_an_admin_retrains_compares_and_switches(shifted_app: Any) -> None:
    from glamlab.registry.models import get_model, list_models

    ws, app, client = shifted_app
    ada = client("ada")
    page = ada.get("/stages/retrain")
    assert page.status_code == 200, page.text[-3000:]
    assert "Retrain from outcomes" in page.text and 'id="retrain-form"' in page.text
    assert 'href="/stages/retrain"' in ada.get("/stages/monitoring").text  # in the stages
    r = ada.post("/stages/retrain", data={"csrf": csrf_of(ada), "window_start": WINDOW,
                                          "recent_days": "90"}, follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    assert app.state.jobs.wait(300)
    page = _main(ada.get("/stages/retrain").text)
    assert 'id="retrain-scores"' in page, page[:3000]
    # the three models on the same window, each with its 95% range, and the difference
    # August as a person reads it: to its last day, not to the day after (kept half-open)
    assert "(2017-08-01 to 2017-08-31)" in page and "2017-09-01" not in _words(page)
    ranges = re.findall(r"<td>(\d\.\d{3}) to (\d\.\d{3})</td>", page)
    assert len(ranges) == 3, page[:4000]
    assert all(float(lo) <= float(hi) for lo, hi in ranges)
    assert "95% range of the difference" in page
    assert 'id="retrain-advice"' in page and "<li>" in page  # the gate's reasons
    # nothing switched yet: the new version is kept, not in use
    assert _in_use(ws) == "tabular-gbm@1"
    job = re.search(r'name="job" value="(\d+)"', page)
    assert job and "Switch to tabular-gbm@2" in page
    # as glamlab retrain: no model version saved, no alias moved, until someone switches
    assert [m.spec for m in list_models(ws)] == ["tabular-gbm@1"]
    assert "not yet saved as a model version: it becomes tabular-gbm@2 only if an admin " \
        "switches to it" in _words(page)
    # switching asks first, then makes the new version the model in use
    r = ada.post("/stages/retrain/switch", data={"csrf": csrf_of(ada), "job": job.group(1)})
    assert r.status_code == 200 and "Switch to the new version tabular-gbm@2?" in r.text
    assert 'href="/stages/retrain"' in r.text  # "No, go back" comes back here
    said = _words(r.text)
    assert "The comparison advised" in said and ": ." not in said and ".." not in said, said
    # a result whose gate gave no reasons still reads as a sentence (it read "...: .")
    from glamlab.web import jobs

    stored = jobs.get(ws, int(job.group(1)))
    assert stored is not None
    result = dict(stored["result"])
    jobs._set(ws, int(job.group(1)), result={**result, "gate": {**result["gate"], "reasons": []}})
    said = _words(ada.post("/stages/retrain/switch",
                           data={"csrf": csrf_of(ada), "job": job.group(1)}).text)
    assert "The comparison advised" in said and ": ." not in said and ".." not in said, said
    jobs._set(ws, int(job.group(1)), result=result)
    assert _in_use(ws) == "tabular-gbm@1"
    r = ada.post("/stages/retrain/switch", data={"csrf": csrf_of(ada), "job": job.group(1),
                                                 "confirmed": "yes"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/stages/retrain?switched=1"
    assert _in_use(ws) == "tabular-gbm@2"
    two = get_model(ws, "tabular-gbm@2")  # saved on switching, with what it learned from
    assert two.card["retrained_on_window"] == ["2017-08-01", "2017-09-01"]
    assert two.card["promoted_over"]["model"] == "tabular-gbm@1"
    assert "previous" in get_model(ws, "tabular-gbm@1").aliases
    assert not (ws.root / "retrained" / f"job-{job.group(1)}").exists()
    page = _main(ada.get(r.headers["location"]).text)
    assert 'id="switched"' in page and "ada switched to tabular-gbm@2" in page
    assert "Switch to tabular-gbm@2" not in page  # not offered twice


def test_a_reviewer_can_neither_retrain_nor_switch(shifted_app: Any) -> None:
    ws, app, client = shifted_app
    rey = client("rey")
    page = rey.get("/stages/retrain").text
    assert 'id="retrain-form"' not in page and "Only an admin can retrain" in page
    r = rey.post("/stages/retrain", data={"csrf": csrf_of(rey), "window_start": WINDOW})
    assert r.status_code == 403 and "cannot retrain models" in r.text
    r = rey.post("/stages/retrain/switch", data={"csrf": csrf_of(rey), "job": "1",
                                                 "confirmed": "yes"})
    assert r.status_code == 403
    from glamlab.web import jobs

    assert jobs.latest(ws, "retrain") is None
    assert _in_use(ws) == "tabular-gbm@1"


def test_the_retrain_form_needs_its_csrf_token_and_a_date(shifted_app: Any) -> None:
    from glamlab.web import jobs

    ws, app, client = shifted_app
    ada = client("ada")
    r = ada.post("/stages/retrain", data={"window_start": WINDOW})
    assert r.status_code == 403
    r = ada.post("/stages/retrain", data={"csrf": csrf_of(ada), "window_start": "August",
                                          "recent_days": "90"})
    assert r.status_code == 400
    assert r.text.count('class="problem"') == 1
    assert "the first day of the window to compare on must be a date, not &#39;August&#39;" \
        in r.text and "e.g. 2017-08-01" in r.text
    assert 'value="August"' in r.text  # what was typed comes back
    r = ada.post("/stages/retrain", data={"csrf": csrf_of(ada), "recent_days": "3"})
    assert r.status_code == 400 and "whole number of days from 7 to 3650" in r.text
    r = ada.post("/stages/retrain/switch", data={"csrf": csrf_of(ada), "job": "99",
                                                 "confirmed": "yes"})
    assert r.status_code == 400 and "no retrained version to switch to" in r.text
    assert jobs.latest(ws, "retrain") is None


def test_a_retrain_that_cannot_be_made_says_why_in_the_page_s_words(shifted_app: Any) -> None:
    ws, app, client = shifted_app
    ada = client("ada")
    r = ada.post("/stages/retrain", data={"csrf": csrf_of(ada), "window_start": "2030-01-01"})
    assert r.status_code == 200
    assert app.state.jobs.wait(300)
    page = _main(ada.get("/stages/retrain").text)
    assert "Retraining failed: no labelled rows from 2030-01-01" in page, page[:3000]
    assert "bring the outcomes of that period in on the Bring rows in page" in page
    # the words a person reads name no command-line flag (tags left out: the random CSRF
    # token in a hidden input may hold "--")
    words = re.sub(r"<[^>]*>", " ", re.sub(r"<!--.*?-->", "", page, flags=re.S))
    assert "--" not in words, words
    assert _in_use(ws) == "tabular-gbm@1"


def test_a_retrain_whose_window_has_one_outcome_only_still_shows_its_page(
        tmp_path: Path, make_ws: Any) -> None:
    """An AUC on a window whose rows all have the same outcome cannot be had (NaN, kept
    as None in the job's result): the page says 'could not be scored' instead of failing
    with a server error, and the form to retrain again stays there."""
    from glamlab.web import jobs

    ws = make_ws("rows", task="no-shows", modality="tabular", labels=["0", "1"])
    made = app_with_users(ws)
    ws, _app, client = next(made)
    try:
        job_id = jobs.submit(ws, "retrain", "ada", {})
        jobs._set(ws, job_id, status="done", result={
            "window": ["2017-08-01", "2017-09-01"], "window_rows": 40, "metric": "auc",
            "scores": {"champion": None, "recent": None, "all": None},
            "train_rows": {"recent": 300, "all": 2000}, "chosen": "recent",
            "p_value": 1.0, "gate": {"promote": False, "reasons": ["no score"]},
            "promoted": False, "window_learned": 0,
            "intervals": {"champion": None, "recent": None, "all": None,
                          "difference": None},
            "champion": "tabular-gbm@1", "saved": "tabular-gbm@2"})
        page = client("ada").get("/stages/retrain")
        assert page.status_code == 200, page.text[-2000:]
        assert "could not be scored" in page.text and 'id="retrain-form"' in page.text
    finally:
        next(made, None)


def test_a_comparison_on_too_few_rows_says_so_beside_the_gate_s_advice(
        tmp_path: Path, make_ws: Any) -> None:
    """A 95% range of the difference that reaches both a loss and a gain beyond the
    gate's margin: the page (and the switch's confirmation) say there are too few rows
    to tell, and the advice is not shown as certain."""
    from glamlab.retraining.gate import GateConfig
    from glamlab.retraining.tabular import too_few_to_tell
    from glamlab.web import jobs

    ws = make_ws("rows", task="no-shows", modality="tabular", labels=["0", "1"])
    made = app_with_users(ws)
    ws, _app, client = next(made)
    try:
        job_id = jobs.submit(ws, "retrain", "ada", {})
        jobs._set(ws, job_id, status="done", result={
            "window": ["2017-08-14", "2017-09-01"], "window_rows": 67, "metric": "auc",
            "scores": {"champion": 0.770, "recent": 0.660, "all": 0.777},
            "train_rows": {"recent": 300, "all": 2000}, "chosen": "all",
            "p_value": 0.3, "gate": {"promote": True, "reasons": ["gain +0.008"]},
            "promoted": True, "window_learned": 0,
            "intervals": {"champion": [0.7, 0.83], "recent": [0.6, 0.72],
                          "all": [0.71, 0.84], "difference": [-0.012, 0.029]},
            "too_few_to_tell": too_few_to_tell((-0.012, 0.029), GateConfig(), 67),
            "champion": "tabular-gbm@1", "saved": "tabular-gbm@2"})
        ada = client("ada")
        page = ada.get("/stages/retrain")
        assert page.status_code == 200, page.text[-2000:]
        words = _words(_main(page.text))
        assert ("Too few rows to tell: on these 67 rows the 95% range of the difference "
                "runs from -0.012 to +0.029") in words, words
        assert "Wait for more outcomes, then retrain again." in words
        assert ("advises switching to the new version, but on too few rows to tell"
                in words)
        assert "(2017-08-14 to 2017-08-31)" in words
        r = ada.post("/stages/retrain/switch", data={"csrf": csrf_of(ada),
                                                     "job": str(job_id)})
        assert r.status_code == 200 and "Too few rows to tell" in _words(r.text)
    finally:
        next(made, None)


def test_a_count_s_difference_is_a_gain_as_its_range_is(tmp_path: Path, make_ws: Any) -> None:
    """A count task (lower error is better): the page said "The better new version minus
    the current model: +0.065 (95% range of the difference -0.105 to +0.001, as the
    current model's error minus the new version's ...)": the figure outside its own
    range, one the new version's error minus the current's, the range the other way."""
    from glamlab.web import jobs

    ws = make_ws("rows", task="no-shows", modality="tabular", labels=["0", "1"])
    made = app_with_users(ws)
    ws, _app, client = next(made)
    try:
        job_id = jobs.submit(ws, "retrain", "ada", {})
        jobs._set(ws, job_id, status="done", result={
            "window": ["2017-08-01", "2017-09-01"], "window_rows": 110, "metric": "mae",
            "scores": {"champion": 0.488, "recent": 0.553, "all": 0.561},
            "train_rows": {"recent": 325, "all": 2750}, "chosen": "recent",
            "p_value": 0.9, "gate": {"promote": False, "reasons": ["worse"]},
            "promoted": False, "window_learned": 0,
            "intervals": {"champion": [0.347, 0.624], "recent": [0.431, 0.655],
                          "all": [0.486, 0.649], "difference": [-0.105, 0.001]},
            "champion": "tabular-gbm@3", "saved": None, "kept": None})
        words = _words(_main(client("ada").get("/stages/retrain").text))
        assert ("The current model's error minus the better new version's (above 0: the "
                "new version misses less): -0.065 (95% range of the difference -0.105 to "
                "+0.001: it includes 0, so the new version may be no better)") in words, words
        assert "+0.065" not in words
    finally:
        next(made, None)


def test_every_page_of_a_tabular_project_lists_the_retraining_stage(make_ws: Any) -> None:
    """The Bring rows in page (and the other pages the setup routes draw) listed the
    stages without "Retrain from outcomes", which every other page lists."""
    import re

    ws = make_ws("rows", task="no-shows", modality="tabular", labels=["0", "1"])
    made = app_with_users(ws)
    ws, _app, client = next(made)
    try:
        ada = client("ada")
        pages = sorted(set(re.findall(r'href="(/stages/[a-z]+)"',
                                      ada.get("/stages/project").text)))
        assert "/stages/items" in pages and "/stages/retrain" in pages, pages
        listed: list[str] = []
        for path in pages:
            page = ada.get(path)
            assert page.status_code == 200, (path, page.status_code)
            if 'href="/stages/monitoring"' in page.text:  # a page that lists the stages
                listed.append(path)
                assert 'href="/stages/retrain"' in page.text, path
        assert "/stages/items" in listed, listed
    finally:
        next(made, None)
