"""The reports page renders stored results at once (monitoring and the policy's dry run are
worked out in the background and kept with the key of what they read), shows the plots,
confusion matrices and per-label tables of the latest evaluation, and reviewing never
shrinks a monitoring window until its alert disappears (issue 18, items 2 and 4)."""

from __future__ import annotations

import csv
import re
from typing import Any

import numpy as np
import pytest

from glamlab.demo import demo_data
from glamlab.store import now
from glamlab.web.app import stop_background

from .conftest import PASSWORD, login

#: (item prefix, items, share of label a, mean score) of each run of :func:`_monitored`
MONITORED_RUNS = (("ref", 300, 0.3, 0.85), ("w0", 200, 0.3, 0.85), ("w1", 200, 0.8, 0.6))


def _monitored(ws: Any, seed: int = 0, runs: tuple[tuple[str, int, float, float], ...]
               = MONITORED_RUNS) -> None:
    """Model m@1: 300 test-split predictions (the reference) and two production runs, the
    second with a different label mix and lower scores (an alert); or ``runs``, the
    first of them the reference."""
    rng = np.random.default_rng(seed)
    t = ws.store.t
    with ws.store.write() as conn:
        mid = conn.execute(t.models.insert().values(
            name="m", version=1, predictor="majority", params={}, artifacts={},
            metrics={"accuracy": 0.9}, card={}, created_at=now())).inserted_primary_key[0]
        items, preds, splits = [], [], []
        for prefix, n, p_a, mu in runs:
            run = conn.execute(t.runs.insert().values(
                model_id=mid, status="done", started_at=now(), done=n, failed=0)
            ).inserted_primary_key[0]
            for i in range(n):
                iid = f"{prefix}-{i:04d}"
                lab = "a" if rng.random() < p_a else "b"
                score = float(np.clip(rng.normal(mu, 0.08), 0.5, 1.0))
                items.append(dict(item_id=iid, version=1, is_current=True, modality="text",
                                  source_kind="test", source="t", content_hash=iid,
                                  text="x" * int(rng.integers(50, 60)), meta={},
                                  created_at=now()))
                preds.append(dict(run_id=run, model_id=mid, item_id=iid, label=lab,
                                  labels=[lab], scores={lab: score}, score=score,
                                  created_at=now()))
                if prefix == "ref":
                    splits.append(dict(item_id=iid, split="test", created_at=now()))
        conn.execute(t.items.insert(), items)
        conn.execute(t.predictions.insert(), preds)
        conn.execute(t.splits.insert(), splits)


def _review_window(ws: Any, prefix: str) -> None:
    """What accepting or correcting an unsplit item does: it joins the training split."""
    t = ws.store.t
    with ws.store.write() as conn:
        conn.execute(t.splits.insert(), [dict(item_id=f"{prefix}-{i:04d}", split="train",
                                              created_at=now()) for i in range(150)])


@pytest.fixture
def monitored_ws(make_ws: Any) -> Any:
    from glamlab.auth import add_user

    ws = make_ws("mon", modality="text", labels=["a", "b"])
    _monitored(ws)
    add_user(ws, "rey", PASSWORD, "reviewer")
    return ws


def test_reviewing_does_not_shrink_a_monitoring_window(monitored_ws: Any) -> None:
    from glamlab.monitoring.monitor import monitor

    before = monitor(monitored_ws, "m@1", store_alerts=False)
    sizes = {w.key: len(w.rows) for w in before.windows}
    assert [w.key for w, _r in before.alerts] and sizes == {"run 2": 200, "run 3": 200}
    _review_window(monitored_ws, "w1")
    after = monitor(monitored_ws, "m@1", store_alerts=False)
    assert {w.key: len(w.rows) for w in after.windows} == sizes
    assert {(w.key, r.signal) for w, r in after.alerts} == {
        (w.key, r.signal) for w, r in before.alerts}


def test_reports_render_stored_monitoring_without_recomputing(
        monitored_ws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    from fastapi.testclient import TestClient

    from glamlab.web import create_app

    act = importlib.import_module("glamlab.actions.act")
    monitor_module = importlib.import_module("glamlab.monitoring.monitor")

    app = create_app(monitored_ws)
    calls = {"monitor": 0, "plan": 0}
    real_monitor, real_plan = monitor_module.monitor, act.plan

    def counting_monitor(*a: Any, **k: Any) -> Any:
        calls["monitor"] += 1
        return real_monitor(*a, **k)

    def counting_plan(*a: Any, **k: Any) -> Any:
        calls["plan"] += 1
        return real_plan(*a, **k)

    monkeypatch.setattr(monitor_module, "monitor", counting_monitor)
    monkeypatch.setattr(act, "plan", counting_plan)
    with TestClient(app) as c:
        assert login(c, "rey").status_code == 303
        first = c.get("/reports").text
        assert "being worked out in the background" in first and 'http-equiv="refresh"' in first
        assert app.state.refresher.wait(120)
        assert calls == {"monitor": 1, "plan": 1}
        page = c.get("/reports").text
        assert "alert(s): something changed" in page
        assert page.count("<svg") >= 3  # one plot per signal
        assert "run 3" in page and "label_mix" in page
        assert "<pre" not in page  # no fixed-width block running off the page
        # reviewing changes neither the predictions nor the model's training split
        _review_window(monitored_ws, "w1")
        for _ in range(3):
            assert "alert(s): something changed" in c.get("/reports").text
        assert not app.state.refresher.busy()
        assert calls == {"monitor": 1, "plan": 1}
        # a new run does: the stored report is shown, marked out of date, and refreshed
        t = monitored_ws.store.t
        with monitored_ws.store.write() as conn:
            conn.execute(t.items.insert().values(
                item_id="w2-0000", version=1, is_current=True, modality="text",
                source_kind="test", source="t", content_hash="w2", text="new", meta={},
                created_at=now()))
            conn.execute(t.predictions.insert().values(
                run_id=3, model_id=1, item_id="w2-0000", label="a", labels=["a"],
                scores={"a": 0.7}, score=0.7, created_at=now()))
        stale = c.get("/reports").text
        assert "an update is on its way" in stale and "alert(s)" in stale
        assert app.state.refresher.wait(120)
        assert calls["monitor"] == 2


def test_glamlab_monitor_stores_what_the_page_shows(monitored_ws: Any) -> None:
    from click.testing import CliRunner

    from glamlab.cli import cli
    from glamlab.monitoring import stored

    assert stored.load(monitored_ws) is None
    r = CliRunner().invoke(cli, ["-w", str(monitored_ws.root), "monitor"])
    assert r.exit_code == 3, r.output
    kept = stored.load(monitored_ws)
    assert kept is not None and kept["current"] and kept["alert"]


def test_an_undone_decision_makes_the_stored_report_out_of_date(monitored_ws: Any) -> None:
    """The stored report's override rates count decisions; undoing one (its action
    becomes "…-withdrawn") left the newest decision id as it was, so the report stayed
    'current' while counting the undone decision."""
    import sqlalchemy as sa

    from glamlab.monitoring.stored import _model, dependency_key

    mv = _model(monitored_ws, None)
    t = monitored_ws.store.t
    with monitored_ws.store.write() as conn:
        conn.execute(t.decisions.insert().values(item_id="w1-0000", user="rey",
                                                 action="accept", label="a",
                                                 created_at=now()))
        newest = conn.execute(sa.select(sa.func.max(t.decisions.c.id))).scalar()
    before = dependency_key(monitored_ws, mv)[1]
    with monitored_ws.store.write() as conn:
        conn.execute(t.decisions.update().where(t.decisions.c.id == newest)
                     .values(action="accept-withdrawn"))
    assert dependency_key(monitored_ws, mv)[1] != before


def evaluated_ws(make_ws: Any) -> tuple[Any, Any]:
    """The language demo, labelled, split and evaluated (baselines), with viewer val:
    ``(ws, result)``."""
    from glamlab.auth import add_user
    from glamlab.evaluation import evaluate, fit_baselines
    from glamlab.tasks import import_labels, split_labels
    from tests.tasks.helpers import add_csv_items

    with open(demo_data("language") / "texts.csv", newline="", encoding="utf-8") as fh:
        labels = sorted({r["label"] for r in csv.DictReader(fh)})
    ws = make_ws("lang", modality="text", labels=labels)
    add_csv_items(ws, demo_data("language") / "texts.csv", text_column="text")
    import_labels(ws, demo_data("language") / "texts.csv")
    split_labels(ws, test_size=0.3, seed=0)
    cands, _ = fit_baselines(ws)
    result = evaluate(ws, cands, n_boot=100)
    add_user(ws, "val", PASSWORD, "viewer")
    return ws, result


def test_reports_show_the_latest_evaluation_with_plots(make_ws: Any) -> None:
    from fastapi.testclient import TestClient

    from glamlab.web import create_app

    ws, result = evaluated_ws(make_ws)
    with TestClient(create_app(ws)) as c:
        assert login(c, "val").status_code == 303
        page = c.get("/reports").text
    # the page's Content-Security-Policy (style-src 'self') blocks inline style attributes:
    # the plots carry presentation attributes instead
    assert "style=" not in page
    assert 'font-family="system-ui,sans-serif"' in page
    assert result.verdict.split(":")[0] in page
    assert 'data-plot="heatmap"' in page  # a confusion matrix per candidate
    assert 'data-plot="bar"' in page  # the leaderboard and per-label F1
    assert page.count('data-plot="heatmap"') == len(result.candidates)
    for row in result.candidates[0].per_label:
        assert f"<td>{row['label']}</td>" in page


def test_a_window_too_small_to_judge_is_not_called_ok(make_ws: Any) -> None:
    """A run of 5 items under a reference of 300: every signal has too few values to be
    judged, yet its window read "ok" in the Production windows table (and in ``glamlab
    monitor``), under the line "windows under 30 items are not judged". Now it reads
    "not enough data", on the Monitoring and Reports pages and in the summary; a
    200-item window is still "ok"."""
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.monitoring.monitor import monitor
    from glamlab.web import create_app

    ws = make_ws("small", modality="text", labels=["a", "b"])
    _monitored(ws, runs=(("ref", 300, 0.3, 0.85), ("w0", 200, 0.3, 0.85),
                         ("w1", 5, 0.3, 0.85)))
    add_user(ws, "rey", PASSWORD, "reviewer")
    report = monitor(ws, "m@1", store_alerts=False)
    big, tiny = report.windows
    assert not any(r.status == "ok" for r in tiny.results)
    assert any(r.status == "ok" for r in big.results)
    summary = report.summary()
    assert f"  -      {tiny.key} (5 items): not enough data (fewer than 30)" in summary
    assert f"  ok     {tiny.key}" not in summary and f"  ok     {big.key} (200" in summary
    app = create_app(ws)
    with TestClient(app) as c:
        assert login(c, "rey").status_code == 303
        for url in ("/stages/monitoring", "/reports"):
            c.get(url)
            assert app.state.refresher.wait(120)
            page = c.get(url).text
            table = re.search(r"<caption>Production windows</caption>.*?</table>", page, re.S)
            assert table, url
            cells = dict(re.findall(r"<tr[^>]*><td>([^<]+)</td><td>\d+</td><td>([^<]*)</td>",
                                    table.group(0)))
            assert cells == {big.key: "ok", tiny.key: "not enough data (fewer than 30 items: "
                                                      "not judged)"}, (url, cells)
    stop_background(app)


def test_stored_alerts_and_times_read_to_the_minute_in_utc(monitored_ws: Any) -> None:
    """Stored alerts (and other stored times) show as ``2026-12-05 08:53 UTC``, not the
    raw ``2026-12-05 08:53:28.930105``."""
    from datetime import UTC, datetime, timedelta, timezone

    from fastapi.testclient import TestClient

    from glamlab.monitoring.monitor import monitor
    from glamlab.store import utc_minutes
    from glamlab.web import create_app

    monitor(monitored_ws, "m@1")  # stores its alerts
    t = monitored_ws.store.t
    with monitored_ws.store.write() as conn:
        assert conn.execute(t.alerts.update().values(
            created_at=datetime(2026, 12, 5, 8, 53, 28, 930105))).rowcount
    app = create_app(monitored_ws)
    with TestClient(app) as c:
        assert login(c, "rey").status_code == 303
        for url in ("/stages/monitoring", "/reports"):
            c.get(url)
            assert app.state.refresher.wait(120)
            page = c.get(url).text
            assert "Stored alerts" in page, url
            assert "<td>2026-12-05 08:53 UTC</td>" in page, url
            assert "08:53:28" not in page, url
    stop_background(app)
    # an aware time is shown in UTC; ISO text is read; other text is left as it is
    paris = timezone(timedelta(hours=1))
    assert utc_minutes(datetime(2026, 12, 5, 9, 53, 59, tzinfo=paris)) == "2026-12-05 08:53 UTC"
    assert utc_minutes(datetime(2026, 12, 5, 8, 53, tzinfo=UTC).isoformat()) == (
        "2026-12-05 08:53 UTC")
    assert utc_minutes(None) == "" and utc_minutes("soon") == "soon"


@pytest.mark.parametrize("stage", ["act", "monitoring"])
def test_a_stage_page_says_once_that_its_report_is_being_worked_out(monitored_ws: Any,
                                                                    stage: str) -> None:
    """The Act and Monitoring pages said "... is being worked out in the background" twice
    while their report was on its way (the page and the report section each said it): two
    status messages, read out twice by a screen reader."""
    from fastapi.testclient import TestClient

    from glamlab.web import create_app

    app = create_app(monitored_ws)
    try:
        with TestClient(app) as c:
            assert login(c, "rey").status_code == 303
            first = c.get(f"/stages/{stage}").text
            main = first.split("<main", 1)[1]
            assert main.count("being worked out in the background") == 1, main
            assert app.state.refresher.wait(120)
            assert "being worked out in the background" not in c.get(f"/stages/{stage}").text
    finally:
        stop_background(app)


def test_a_window_says_how_many_of_the_runs_predictions_it_leaves_out(make_ws: Any) -> None:
    """A run over 4,566 texts showed on the Monitoring page as the window 'run 1: 3460'
    with no word why: a window holds only the predictions on items in neither the
    training nor the test split. Now the page says so, and each row says how many of the
    run's predictions were left out (here 50 training items of run 2's 200)."""
    from datetime import datetime

    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.monitoring.monitor import monitor
    from glamlab.web import create_app

    ws = make_ws("left", modality="text", labels=["a", "b"])
    _monitored(ws)
    t = ws.store.t
    with ws.store.write() as conn:  # split before the model was trained: it learnt from them
        conn.execute(t.splits.insert(), [dict(item_id=f"w0-{i:04d}", split="train",
                                              created_at=datetime(2000, 1, 1))
                                         for i in range(50)])
    add_user(ws, "rey", PASSWORD, "reviewer")
    report = monitor(ws, "m@1", store_alerts=False)
    w0 = report.windows[0]
    assert len(w0.rows) == 150
    assert report.to_dict()["windows"][0]["left_out"] == {"training": 50, "test": 0}
    app = create_app(ws)
    with TestClient(app) as c:
        assert login(c, "rey").status_code == 303
        c.get("/stages/monitoring")
        assert app.state.refresher.wait(120)
        page = c.get("/stages/monitoring").text
        assert 'id="monitor-items-note"' in page and "neither the training nor the test" in page
        assert (f"<td>{w0.key}</td><td>150 <span class=\"hint monitor-left-out\">(of 200 "
                "predicted; left out: 50 training and 0 test items)</span></td>") in page
    stop_background(app)
