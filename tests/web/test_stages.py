"""A project through its stage pages with no terminal command: evaluate (a job), choose the
champion, run over the collection (a job whose progress survives a reload and resumes
after a restart), what the policy would do, export downloaded, monitoring (issue 18)."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
import sqlalchemy as sa

from glamlab.demo import demo_data
from glamlab.web.app import stop_background
from tests.web.pages import next_step

from .conftest import PASSWORD, csrf_of, login, stage_page_worked_out


@pytest.fixture
def lang_app(make_ws: Any) -> Any:
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.tasks import import_labels, split_labels
    from glamlab.web import create_app
    from tests.tasks.helpers import add_csv_items

    with open(demo_data("language") / "texts.csv", newline="", encoding="utf-8") as fh:
        labels = sorted({r["label"] for r in csv.DictReader(fh)})
    ws = make_ws("lang", modality="text", labels=labels)
    add_csv_items(ws, demo_data("language") / "texts.csv", text_column="text")
    import_labels(ws, demo_data("language") / "texts.csv")
    split_labels(ws, test_size=0.3, seed=0)
    add_user(ws, "ada", PASSWORD, "admin")
    add_user(ws, "val", PASSWORD, "viewer")
    app = create_app(ws)
    with TestClient(app) as c:
        assert login(c, "ada").status_code == 303
        yield ws, app, c
    stop_background(app)


def _post(c: Any, url: str, **data: str) -> Any:
    r = c.post(url, data={"csrf": csrf_of(c), **data}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return r


def test_a_project_through_the_stage_pages(lang_app: Any) -> None:
    ws, app, c = lang_app
    page = c.get("/stages/evaluate").text
    assert 'id="start-evaluate"' in page and "not run yet" in page
    _post(c, "/stages/evaluate")
    assert app.state.jobs.wait(300)
    page = c.get("/stages/evaluate").text
    assert "Evaluation finished" in page and "majority" in page and "prior" in page
    # the champion is chosen on the admin page (confirmed), then the run is a job
    from glamlab.registry import list_models

    spec = next(f"{m.name}@{m.version}" for m in list_models(ws) if m.name == "majority")
    _post(c, "/admin/alias", model=spec, alias="champion", confirmed="yes")
    # the page names the version that will run, not the alias (majority@champion)
    before = c.get("/stages/run").text
    assert f"Model in use: <b>{spec}</b>" in before and f"Run {spec} over the" in before
    assert "@champion" not in before
    _post(c, "/stages/run")
    during = c.get("/stages/run").text  # queued or running: the page refreshes itself
    assert 'http-equiv="refresh"' in during or "The run finished" in during
    assert app.state.jobs.wait(300)
    page = c.get("/stages/run").text
    n = ws.count_items()
    assert "The run finished" in page
    assert re.search(rf'<progress id="run-progress" max="{n}" value="{n}"', page)
    # what the policy would do: worked out in the background, then shown
    c.get("/stages/act")
    assert app.state.refresher.wait(120)
    act = c.get("/stages/act").text
    assert "accepted automatically" in act
    # the export, downloaded
    r = c.get("/stages/export/download?format=csv")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))  # a BOM for Excel
    assert len(rows) == n and {"item_id", "value", "action"} <= set(rows[0])
    assert c.get("/stages/export/download?format=../../etc/passwd").status_code == 404
    # monitoring: one window is all there is; the page says so instead of failing
    _post(c, "/stages/monitoring")
    assert app.state.jobs.wait(300)
    assert "Monitoring finished" in c.get("/stages/monitoring").text
    # nothing in the app sends the curator to the terminal for these stages
    for url in ("/", "/stages/evaluate", "/stages/run", "/stages/act", "/stages/export",
                "/stages/monitoring", "/reports"):
        assert not re.search(r"glamlab (baseline|evaluate|run|act|serve|monitor)\b",
                             c.get(url).text), url


def test_the_admin_pages_champion_is_the_model_runs_use(lang_app: Any) -> None:
    """The Admin page asks "Make M the model in use? Runs, acting and the web app's
    predictions will use M from now on"; confirmed, the Run stage still ran the model the
    evaluate verdict had chosen (M was only its own name's champion)."""
    from glamlab.evaluation.evaluate import fit_baselines
    from glamlab.registry import champion, set_alias, use_model

    ws, app, c = lang_app
    fit_baselines(ws)
    set_alias(ws, "prior@1", "champion")
    use_model(ws, "prior")  # as the verdict marks the model it finds best
    r = c.post("/admin/alias", data={"model": "majority@1", "alias": "champion",
                                     "csrf": csrf_of(c)}, follow_redirects=False)
    question = c.get(r.headers["location"]).text
    assert "will use majority@1 from now on" in question
    _post(c, "/admin/alias", model="majority@1", alias="champion", confirmed="yes")
    assert champion(ws).spec == "majority@1"
    page = c.get("/stages/run").text
    assert "Model in use: <b>majority@1</b>" in page and "Run majority@1 over the" in page


def test_viewers_see_stage_pages_without_start_buttons(lang_app: Any) -> None:
    from fastapi.testclient import TestClient

    ws, app, _admin = lang_app
    with TestClient(app) as val:
        assert login(val, "val").status_code == 303
        page = val.get("/stages/evaluate").text
        assert 'id="start-evaluate"' not in page and "An admin starts evaluations" in page
        r = val.post("/stages/evaluate", data={"csrf": csrf_of(val)}, follow_redirects=False)
        assert r.status_code == 403


def test_a_job_left_running_by_a_stopped_server_is_taken_again(lang_app: Any) -> None:
    from glamlab.web import jobs

    ws, app, c = lang_app
    app.state.jobs.stop()
    job_id = jobs.submit(ws, "evaluate", "ada")
    t = ws.store.t.jobs
    with ws.store.write() as conn:  # as a server killed mid-job leaves it
        conn.execute(t.update().where(t.c.id == job_id).values(status="running"))
    worker = jobs.JobWorker(ws)  # the next server's worker
    worker.start()
    try:
        assert worker.wait(300)
    finally:
        worker.stop()
    assert jobs.latest(ws, "evaluate")["status"] == "done"


def test_a_new_champion_without_predictions_says_to_run_it(make_ws: Any) -> None:
    """After ``glamlab retrain`` promotes len@2, the stored predictions are still len@1's:
    ``glamlab status``, the overview and the Run stage say so, and that a run is needed
    for act and exports to use the new champion; after the run they no longer do."""
    from click.testing import CliRunner
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.cli import cli
    from glamlab.inference import run
    from glamlab.retraining.retrain import retrain
    from glamlab.web import create_app
    from tests.retraining.test_retrain import _correct, _workspace

    ws = _workspace(make_ws)
    run(ws, "len@champion", handle_signals=False)
    base = ["-w", str(ws.root)] + ([] if ws.store.is_sqlite else ["--db", ws.store.url])
    before = CliRunner().invoke(cli, [*base, "status"])
    assert before.exit_code == 0 and "stored predictions" not in before.output
    _correct(ws)
    assert retrain(ws, "len", n_boot=200).promoted
    sentence = ("The stored predictions are from len@1; the model in use is now len@2: run it "
                "({how}) so act and exports use it.")
    r = CliRunner().invoke(cli, [*base, "status"])
    assert r.exit_code == 0, r.output
    assert sentence.format(how="`glamlab run`") in r.output
    assert "Next: Run the model in use, len@2, over the collection: `glamlab run`." in r.output
    add_user(ws, "val", PASSWORD, "viewer")
    app = create_app(ws)
    with TestClient(app) as c:
        assert login(c, "val").status_code == 303
        web = sentence.format(how="the Run stage")
        overview = c.get("/").text
        assert web in overview and 'href="/stages/run"' in overview
        assert web in c.get("/stages/run").text
        run(ws, handle_signals=False)  # what the Run stage starts
        assert "stored predictions" not in c.get("/").text
        assert "stored predictions" not in c.get("/stages/run").text
    stop_background(app)
    r = CliRunner().invoke(cli, [*base, "status"])
    assert "stored predictions" not in r.output


def test_the_act_page_shows_acts_notes_as_plain_lines(make_ws: Any) -> None:
    """act's ``notes`` (e.g. thresholds tuned on another model) were never shown in the
    web app, only its warnings: the dry run on the act stage shows them, not as warnings."""
    from glamlab.inference import run
    from tests.retraining.test_retrain import _workspace

    ws = _workspace(make_ws)
    run(ws, "len@champion", handle_signals=False)
    ws.card.raw["policy"] = {"optimised_with": "len@9",
                             "labels": {"long": {"accept": 0.9}, "short": {"accept": 0.9}}}
    ws.save_card()
    page = stage_page_worked_out(ws, "act")
    note = re.search(r'<p class="hint act-note">([^<]*)</p>', page)
    assert note, page
    assert note.group(1) == (
        "The thresholds in [policy] were tuned on len@9; this is len@1. Tune them for it on "
        "the Choose the policy page (Work out the thresholds, then save them).")
    assert "Warning: The thresholds" not in page
    command = re.search(r"glamlab (act|evaluate)\b", page)  # the web's words, not commands
    assert not command, page[command.start() - 300:command.end() + 100]


def test_the_act_page_says_how_to_fix_an_old_review_0_policy_in_the_web_app(make_ws: Any) -> None:
    """The warning about review thresholds an earlier act saved (review = 0 for every label
    of a multi-label task) named the command and the glamlab.toml edit that fix it; on the
    web page it says what to do there instead (the Choose the policy page)."""
    from tests.actions.test_act import subjects_project

    ws = subjects_project(make_ws)
    ws.card.raw["policy"] = {
        "proposed_by": "glamlab act", "optimised_with": "subj@1", "field": "subjects",
        "target_precision": 0.95,
        "labels": {"maps": {"accept": 0.9, "review": 0.0}, "people": {"review": 0.0},
                   "ships": {"accept": 0.96, "review": 0.0}}}
    ws.save_card()
    page = stage_page_worked_out(ws, "act")
    warnings = re.findall(r'<p class="warning" role="note">Warning: ([^<]*)</p>', page)
    old = [w for w in warnings if "earlier version of glamlab" in w]
    assert len(old) == 1, warnings
    assert "from 0% sure" in old[0] and "less than 50% sure" in old[0], old[0]
    assert "work out the thresholds again on the Choose the policy page (Work out the " \
           "thresholds, then save them)" in old[0], old[0]
    for w in warnings:
        assert "glamlab " not in w.replace("glamlab now", ""), w
        assert "[policy" not in w and "glamlab.toml" not in w, w


def test_an_in_sample_dry_run_stored_without_its_reason_names_no_command(make_ws: Any) -> None:
    """A dry run stored before act gave its own in-sample reason fell back to a sentence
    naming ``glamlab act --optimise --write``; the page says where to do it instead. The
    monitoring verdict of a tabular project named ``glamlab labels import`` the same way."""
    from glamlab.web.app import create_app

    app = create_app(make_ws("plain"))
    section = app.state.templates.env.get_template("report_section.html")
    app.state.jobs.stop()
    act = {"model": "m@1", "field": "language", "items_with_predictions": 10,
           "counts": {"accept": 5, "review": 2, "reject": 3}, "by_label": [],
           "expected_wrong_accepts": 1.2, "review_hours": 0.1, "test": {"in_sample": True}}
    html = section.render(r={"act": act})
    assert "in-sample: the test split itself chose these thresholds" in html, html
    assert 'href="/stages/policy">Choose the policy</a>' in html, html
    assert "glamlab " not in html, html
    rows = {"model": "gbm@1", "trained_until": "2024-01-01", "window": "month", "flagged": 1,
            "first_flagged": "2024-02-01", "windows": []}
    html = section.render(r={"rows_monitor": rows, "alert": True})
    assert 'href="/stages/items">Bring rows in</a>' in html, html
    assert "glamlab " not in html, html


def test_the_monitoring_section_of_a_tabular_project_without_a_model_names_no_command(
        make_ws: Any) -> None:
    """It said 'train one first (glamlab train tabular-gbm)': the page names its stage."""
    from glamlab.reports import overview

    ws = make_ws("rows", task="no-shows", modality="tabular", labels=["0", "1"])
    section = overview.monitoring(ws)
    assert section["missing"] == "no model yet"
    assert section["hint"].startswith("train one first (Train models page)"), section
    assert "glamlab " not in section["hint"]


def test_the_run_page_names_the_items_a_run_could_not_predict(make_ws: Any) -> None:
    """The Run stage said "2 failed of 60" and nothing else: which items, why and what to
    do were only in ``glamlab runs --failures``, a command the curator never opens."""
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.inference import run
    from glamlab.web import create_app
    from tests.inference.conftest import add_text_items, save_hash_model

    ws = make_ws("runs", modality="text", labels=["a", "b", "c"])
    ids = add_text_items(ws, 12)
    bad = (ids[3], ids[7])
    save_hash_model(ws, fail_on=bad)
    report = run(ws, "hash", workers=0)
    assert (report.done, report.failed) == (10, 2)
    add_user(ws, "ada", PASSWORD, "admin")
    app = create_app(ws)
    with TestClient(app) as c:
        assert login(c, "ada").status_code == 303
        page = c.get("/stages/run").text
    stop_background(app)
    section = page[page.index('id="run-failures"'):]
    for item_id in bad:
        assert f'href="/items/{item_id}">{item_id}</a>' in section
    assert "cannot read this item" in section and "replace the file" in section
    assert not re.search(r"glamlab runs\b|--failures", page)


def test_the_overview_points_to_the_ingest_problems_without_a_command(make_ws: Any,
                                                                      tmp_path: Any) -> None:
    """The overview's first line said "2 ingest problems (see glamlab items --errors)":
    a command, on the page of people who never open a terminal."""
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.web import create_app

    ws = make_ws("texts", modality="text", labels=["a", "b"])
    table = tmp_path / "texts.csv"
    table.write_text("id,text\nt1,some words\nt2,\nt3,more words\n", encoding="utf-8")
    ws.ingest([str(table)], id_column="id", text_column="text")
    assert "1 ingest problem" in ws.status()["summary"]
    add_user(ws, "ada", PASSWORD, "admin")
    app = create_app(ws)
    with TestClient(app) as c:
        assert login(c, "ada").status_code == 303
        page = c.get("/").text
    stop_background(app)
    summary = page[page.index('id="summary"'):]
    summary = summary[:summary.index("</p>")]
    assert "1 ingest problem (see the Bring items in page)" in summary
    assert "glamlab" not in summary


def test_a_model_in_use_that_never_predicted_some_items_says_to_run_it(make_ws: Any) -> None:
    """The champion switched back to an older model, run before 3 items came in: the
    overview said "Keep watching" (or "See what the policy would do") while 3 items had no
    prediction of the model in use, and the export left them out without a word. The next
    step is to run the model in use on the Run page; after the run it is not."""
    from fastapi.testclient import TestClient

    from glamlab.actions.act import act
    from glamlab.auth import add_user
    from glamlab.evaluation import candidates_for, evaluate, fit_baselines
    from glamlab.inference import run
    from glamlab.store import now
    from glamlab.web import create_app
    from tests.retraining.test_retrain import _workspace

    ws = _workspace(make_ws)
    fit_baselines(ws)
    evaluate(ws, candidates_for(ws), n_boot=200)
    run(ws, "len@champion", handle_signals=False, workers=0)
    act(ws)
    t = ws.store.t
    with ws.store.write() as conn:  # 3 items in after the run
        conn.execute(t.items.insert(), [
            dict(item_id=f"new{i}", version=1, is_current=True, modality="text",
                 source_kind="test", source="t", content_hash=f"new{i}", text="x" * 70,
                 meta={}, created_at=now()) for i in range(3)])
    assert ws.status()["next_step"] == (  # glamlab status
        "The model in use, len@1, has no prediction for 3 of the 243 items: the policy "
        "decides nothing for them, and the exports carry only the labels people gave. "
        "First `glamlab run`.")
    add_user(ws, "val", PASSWORD, "viewer")
    app = create_app(ws)
    with TestClient(app) as c:
        assert login(c, "val").status_code == 303
        overview = c.get("/").text
        step = next_step(overview)
        assert "Keep watching" not in step and "What the policy would do" not in step, step
        assert "3 of the 243 items" in step and "len@1" in step, step
        assert "run the model in use on the Run page" in step, step
        assert 'href="/stages/run"' in step, step
        # the Export page says the downloads have no model value for them, before downloading
        export = c.get("/stages/export").text
        assert ("len@1 has no prediction for 3 items: the downloads have no model value "
                "for them (only a label a person gave, where one did). To include them, run "
                "the model in use on the Run page") in export, export
        run(ws, handle_signals=False, workers=0)  # what the Run stage starts
        step = next_step(c.get("/").text)
        assert "Run page" not in step and "/stages/run" not in step, step
        assert 'id="export-unpredicted-warning"' not in c.get("/stages/export").text
    stop_background(app)
    assert "no prediction" not in ws.status()["next_step"]


def test_a_new_model_in_use_not_acted_on_says_to_apply_the_policy(make_ws: Any) -> None:
    """The policy was applied to len@1's predictions; then len@2 was made the champion and
    run over the collection, and act never ran with it. The overview said "Keep watching:
    check monitoring after each run" (the actions stage counted len@1's act), though none
    of len@2's suggestions were in the queue or the metadata. The next step is to apply
    the policy (the Act page); once an admin has applied it, it is to keep watching."""
    from glamlab.actions.act import act
    from glamlab.evaluation import candidates_for, evaluate, fit_baselines
    from glamlab.inference import run
    from glamlab.registry.models import set_alias
    from glamlab.registry.training import train
    from tests.retraining.test_retrain import _workspace

    from .conftest import app_with_users

    ws = _workspace(make_ws)
    fit_baselines(ws)
    evaluate(ws, candidates_for(ws), n_boot=200)
    run(ws, "len@champion", handle_signals=False, workers=0)
    act(ws)
    train(ws, "threshold", name="len", params={"statistic": "text_length"})
    set_alias(ws, "len@2", "champion")
    run(ws, handle_signals=False, workers=0)  # the model in use, len@2, runs; no act
    status = ws.status()
    assert status["policy_applied"] == {"model": "len@2", "done": False, "last": "len@1"}
    assert "glamlab act" in status["next_step"] and "len@2" in status["next_step"], status
    ws.card.raw["policy"] = {"model": "len@1"}  # act uses len@1, whose it applied
    ws.save_card()
    assert ws.status()["policy_applied"] == {"model": "len@1", "done": True, "last": "len@1"}
    del ws.card.raw["policy"]
    ws.save_card()
    fixture = app_with_users(ws)
    ws, app, client = next(fixture)
    ada = client("ada")

    def step() -> str:
        return next_step(ada.get("/").text)

    before = step()
    assert "Keep watching" not in before, before
    assert "applied to the predictions of len@1, not yet to those of len@2" in before, before
    assert 'href="/stages/act"' in before and "Apply the policy" in before, before
    _post(ada, "/stages/act")  # the Act page's "Apply the policy"
    assert app.state.jobs.wait(300)
    assert ws.status()["policy_applied"]["done"]
    after = step()
    assert "/stages/act" not in after and "len@1" not in after, after
    next(fixture, None)  # the clients closed, the background stopped


def test_an_item_the_model_in_use_could_not_predict_does_not_ask_for_another_run(
        make_ws: Any) -> None:
    """An item a run of the model in use failed on (here: a text item with no text) has
    no prediction, yet running the model again fails again: the next step must not say
    "run the model in use" for ever. The Run page names such items and why."""
    from glamlab.actions.act import act
    from glamlab.evaluation import candidates_for, evaluate, fit_baselines
    from glamlab.inference import run
    from glamlab.store import now
    from tests.retraining.test_retrain import _workspace

    ws = _workspace(make_ws)
    fit_baselines(ws)
    evaluate(ws, candidates_for(ws), n_boot=200)
    t = ws.store.t
    with ws.store.write() as conn:  # an item the model cannot read
        conn.execute(t.items.insert(), [
            dict(item_id="empty", version=1, is_current=True, modality="text",
                 source_kind="test", source="t", content_hash="empty", text=None,
                 meta={}, created_at=now())])
    report = run(ws, "len@champion", handle_signals=False, workers=0)
    assert report.failed == 1, report
    act(ws)
    status = ws.status()
    assert status["unpredicted"] is None, status["unpredicted"]
    assert "has no prediction for" not in status["next_step"], status["next_step"]
    from glamlab.actions.export import unpredicted_warning

    assert unpredicted_warning(ws) is None  # nor does the Export page ask for a run
    # a failure of an earlier run counts as waiting: the next run tries the item again
    # (a server that was down, a file fixed since); only the latest run's failures don't
    t = ws.store.t
    with ws.store.write() as conn:
        model_id = conn.execute(sa.select(t.runs.c.model_id)).scalar()
        conn.execute(t.runs.insert().values(model_id=model_id, status="done", engine="local",
                                            workers=1, query={}, planned=0, done=0,
                                            failed=0, started_at=now(), finished_at=now()))
    assert ws.status()["unpredicted"]["missing"] == 1
    assert unpredicted_warning(ws) is not None
