"""A tabular model retrained on outcomes (``glamlab retrain``) learned from rows of the
test split's period: evaluate leaves it out of the test split's figures (with a warning
naming it, its training period, how many test rows it learned from and where its fair
comparison is), refuses it when it is named, and evaluates the version trained before
the split in its place; act still uses it (it acts on rows still to come); the web app's
evaluate page shows the warning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests import bookings
from tests.web.conftest import PASSWORD, login

CUTOFF = "2017-01-01"
WINDOW = "2017-07-01"


@pytest.fixture
def retrained(tmp_path: Path, make_ws: Any) -> tuple[Any, dict[str, Any]]:
    """Bookings of 2015-2016 train tabular-gbm@1 (rows before 2017 train, later rows
    test); 2017 arrives with its outcomes and the retraining on them is promoted:
    tabular-gbm@2 learned from 2017 rows before July: test rows."""
    from glamlab.demo.bookings import staged
    from glamlab.ingest.columns import read_table
    from glamlab.registry.tabular import train_tabular
    from glamlab.retraining.tabular import retrain_project
    from glamlab.tasks.tabular import ingest_table, set_time_split

    raw = read_table(bookings.SAMPLE)
    raw[raw["arrival_date"] < CUTOFF].to_csv(tmp_path / "history.csv", index=False)
    later = staged(raw)
    later[later["arrival_date"] >= CUTOFF].to_csv(tmp_path / "2017.csv", index=False)
    ws = make_ws("rows", task="no-shows", modality="tabular", labels=["0", "1"])
    ws.update_card({"gate": {"max_drop": 1.0}})  # the challenger is promoted
    opts = dict(time_column="arrival_date", label_column="is_canceled", id_column="id",
                group_columns=["hotel"], never_features=list(bookings.NEVER))
    ingest_table(ws, tmp_path / "history.csv", **opts)
    set_time_split(ws, cutoff=CUTOFF)
    assert train_tabular(ws, "tabular-gbm")["model"] == "tabular-gbm@1"
    ingest_table(ws, tmp_path / "2017.csv", allow_source_change=True)
    res = retrain_project(ws, window_start=WINDOW, recent_days=90)
    assert res["saved"] == "tabular-gbm@2", res
    return ws, res


def _learned_test_rows(ws: Any, res: dict[str, Any]) -> int:
    """The test rows (outcome known, on or after the cutoff) the chosen challenger
    trained on: labelled rows before the window (the recent ones: its last 90 days)."""
    import pandas as pd

    from glamlab.tasks.tabular import project_frame

    frame = project_frame(ws)
    t = frame["arrival_date"]
    start = pd.Timestamp(WINDOW)
    first = start - pd.Timedelta(days=90) if res["chosen"] == "recent" else pd.Timestamp(CUTOFF)
    keep = frame["is_canceled"].notna() & (t >= max(first, pd.Timestamp(CUTOFF))) & (t < start)
    return int(keep.sum())


@pytest.mark.slow
def test_evaluate_leaves_the_retrained_model_out_and_act_still_uses_it(retrained: Any) -> None:
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.errors import EvaluationError
    from glamlab.evaluation import candidates_for, evaluate
    from glamlab.registry import get_model
    from glamlab.registry.overlap import check_disjoint, model_item_ids
    from glamlab.tasks.splits import freeze_info
    from glamlab.web import create_app
    from glamlab.web.jobs import _evaluate

    ws, res = retrained
    mv = get_model(ws, "tabular-gbm@2")
    assert "champion" in mv.aliases
    # its training rows are recorded (role "retrain"), and act does not refuse it: it
    # acts on rows still to come
    assert len(model_item_ids(ws, mv.id, "retrain")) == res["train_rows"][res["chosen"]]
    check_disjoint(ws, mv, "act")
    n = _learned_test_rows(ws, res)
    assert n > 0

    # named: refused, in one error saying why and where its fair comparison is
    with pytest.raises(EvaluationError) as exc:
        evaluate(ws, candidates_for(ws, ["tabular-gbm@2"]), n_boot=50)
    err = exc.value
    assert "tabular-gbm@2" in err.message and "in-sample" in err.message
    assert f"{n:,} of them in the test split" in err.message
    assert err.hint and "glamlab backtest" in err.hint and "tabular-gbm@1" in err.hint
    assert freeze_info(ws) is None  # refused before the test split was read

    # every saved model (the default): left out of the leaderboard and the choice, with
    # a warning; the version trained before the split is evaluated in its place
    result = evaluate(ws, candidates_for(ws), n_boot=50)
    names = {c.name for c in result.candidates}
    assert "tabular-gbm@2" not in names and "tabular-gbm@1" in names
    assert result.selection.get("chosen") != "tabular-gbm@2"
    assert all(r["candidate"] != "tabular-gbm@2" for r in result.leaderboard())
    warning = next(w for w in result.warnings if "tabular-gbm@2" in w)
    assert "left out" in warning and f"trained on rows before {WINDOW}" in warning
    assert f"{n:,} of them in the test split" in warning and CUTOFF in warning
    assert f"window from {WINDOW}" in warning and "glamlab backtest" in warning
    assert "tabular-gbm@1" in warning

    # the web app's evaluate job: its page shows the warning
    add_user(ws, "ada", PASSWORD, "admin")
    _evaluate(ws, {"id": 0})  # what the page's background job does
    with TestClient(create_app(ws)) as c:
        login(c, "ada")
        page = c.get("/stages/evaluate").text
        reports = c.get("/reports").text
    assert "Warning: tabular-gbm@2 is left out of this evaluation" in page
    assert "<td>tabular-gbm@2</td>" not in page and "<td>tabular-gbm@1</td>" in page
    assert reports.count("tabular-gbm@2 is left out of this evaluation") == 1  # not twice

    # act uses it, but its expected wrong accepts, measured on the test split, are said
    # to be in-sample: it learned from those rows (before, they read as figures to expect)
    from glamlab.actions.act import act, render
    from glamlab.inference import run

    run(ws, "tabular-gbm@2", workers=0, handle_signals=False)
    acted = act(ws, model="tabular-gbm@2").to_dict()
    assert acted["test"]["in_sample"] is True
    text = render(acted)
    assert f"tabular-gbm@2 learned from {n:,} of the test rows" in text
    assert "glamlab backtest" in text


@pytest.mark.slow
def test_a_retrained_model_saved_before_its_rows_were_recorded_is_left_out_too(
        retrained: Any) -> None:
    """A model retrained before glamlab recorded its rows: its card's training period
    (train_until after the cutoff) counts the test rows it learned from."""
    from glamlab.evaluation import candidates_for, evaluate
    from glamlab.registry import get_model

    ws, res = retrained
    mv = get_model(ws, "tabular-gbm@2")
    t = ws.store.t.model_items
    with ws.store.write() as conn:
        conn.execute(t.delete().where(t.c.model_id == mv.id))
    result = evaluate(ws, candidates_for(ws), n_boot=50)
    assert "tabular-gbm@2" not in {c.name for c in result.candidates}
    warning = next(w for w in result.warnings if "tabular-gbm@2" in w)
    # every labelled test row before its train_until (the card does not say which period)
    import pandas as pd

    from glamlab.tasks.tabular import project_frame

    frame = project_frame(ws)
    t_ = frame["arrival_date"]
    n = int((frame["is_canceled"].notna() & (t_ >= CUTOFF) & (t_ < WINDOW)).sum())
    assert n > 0 and isinstance(t_.iloc[0], pd.Timestamp)
    assert f"{n:,} of them in the test split" in warning


@pytest.mark.slow
def test_evaluate_does_not_advise_undoing_the_retrain(retrained: Any) -> None:
    """The version evaluated in place of the retrained champion wins the evaluation, but
    the verdict does not advise promoting it back (that would undo the retrain on no
    evidence against the retrained one): it says the retrained one stays in use, and on
    what evidence retrain promoted it (its window and the gate's scores)."""
    from glamlab.evaluation import candidates_for, evaluate
    from glamlab.registry import get_model
    from glamlab.registry.models import in_use

    ws, res = retrained
    before = in_use(ws)
    result = evaluate(ws, candidates_for(ws), n_boot=50)
    assert "promote tabular-gbm@1" not in result.verdict
    assert "tabular-gbm@2 stays the model in use" in result.verdict
    window = res["window"]
    # the window's last day, as a person reads it (its stored end is the day after)
    assert f"from {window[0]} to {res['window_last_day']}" in result.verdict
    scores = res["scores"]
    assert (f"{res['metric']} {scores[res['chosen']]:.3f} against tabular-gbm@1's "
            f"{scores['champion']:.3f}") in result.verdict
    assert result.chosen is None
    assert in_use(ws) == before
    assert "champion" in get_model(ws, "tabular-gbm@2").aliases


def test_the_retrained_model_in_use_is_not_said_to_be_unmeasured(retrained: Any) -> None:
    """The retrain's comparison measured it (evaluate never can: it learned from test
    rows): the pages and status said "not measured yet: the first model trained is put
    in use ... compare it on the Baselines and evaluation page", which leaves it out."""
    import html
    import re

    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.registry.models import measured
    from glamlab.web import create_app

    ws, res = retrained
    assert measured(ws, res["saved"]) and not measured(ws, "tabular-gbm@1")
    assert "not measured yet" not in str(ws.status()["next_step"])
    add_user(ws, "ada", PASSWORD, "admin")
    with TestClient(create_app(ws)) as c:
        login(c, "ada")
        for page in ("/admin", "/stages/run", "/"):
            shown = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", c.get(page).text)).split())
            assert "not measured yet" not in shown, (page, shown)
