"""Applying the policy from the web app ("What the policy would do", then "Apply the
policy"): the step between a run and the review queue, which before only
``glamlab act`` took, so a curator in the browser found the queue empty."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests import ner_project
from tests.actions.test_act import pages as pages  # noqa: F401  (the fixture)

from .conftest import app_with_users, csrf_of


@pytest.fixture
def run_not_acted(make_ws: Any, tmp_path: Path) -> Any:
    """Gold entities, a gazetteer trained on them, eight new texts run, no act yet."""
    from glamlab.inference.runner import run

    ws = ner_project.gold_and_gazetteer(make_ws, "ner-act", task="entities")
    ner_project.ingest_new_texts(ws, tmp_path, 8, stem="unread", entities=2)
    run(ws, "gazetteer@1", workers=1, handle_signals=False)
    yield from app_with_users(ws)


def applied(ws: Any, app: Any, admin: Any) -> tuple[Any, dict[str, Any]]:
    """An admin presses "Apply the policy": the redirect, and the act job once done."""
    from glamlab.web import jobs

    r = admin.post("/stages/act", data={"csrf": csrf_of(admin)}, follow_redirects=False)
    assert r.status_code == 303 and app.state.jobs.wait(300)
    job = jobs.latest(ws, "act")
    assert job is not None and job["status"] == "done", job
    return r, job


def _open_rows(ws: Any) -> int:
    t = ws.store.t
    with ws.store.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(t.review_queue)
                                .where(t.review_queue.c.status == "open")).scalar() or 0)


def test_an_admin_applies_the_policy_and_the_queue_fills(run_not_acted: Any) -> None:
    ws, app, client = run_not_acted
    ada, rey = client("ada"), client("rey")
    assert _open_rows(ws) == 0
    page = ada.get("/stages/act").text
    assert 'id="start-act"' in page and "nothing is written until you apply it" in page
    assert 'id="start-act"' not in rey.get("/stages/act").text  # an admin applies it
    assert rey.post("/stages/act", data={"csrf": csrf_of(rey)},
                    follow_redirects=False).status_code == 403
    r = ada.post("/stages/act", data={"csrf": csrf_of(ada)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/stages/act?started=act"
    assert app.state.jobs.wait(300)
    from glamlab.web import jobs

    job = jobs.latest(ws, "act")
    assert job is not None and job["status"] == "done", job
    queued = _open_rows(ws)
    assert queued > 0 and job["result"]["written"]["review_queue"] == queued
    page = ada.get(r.headers["location"]).text
    # the rows a reviewer is shown, and apart those the gold texts' spans settle
    from glamlab.store.queue import settled, shown

    rq = ws.store.t.review_queue
    with ws.store.read() as conn:
        asked = conn.execute(sa.select(sa.func.count()).select_from(rq).where(
            *shown(rq))).scalar()
        by_gold = conn.execute(sa.select(sa.func.count()).select_from(rq).where(
            *settled(rq))).scalar()
    assert asked + by_gold == queued and job["result"]["written_settled_by_gold"] == by_gold
    assert 'id="act-written"' in page and f"<b>{asked}</b> sent to the review queue" in page
    assert (f"<b>{by_gold}</b> settled by a gold label already" in page) == bool(by_gold)
    assert 'href="/queue"' in page
    assert "0 waiting" not in rey.get("/queue").text


def test_the_act_page_counts_apart_what_a_gold_label_settles(pages: Any) -> None:  # noqa: F811
    """Of the four predictions the policy sends to review, two are test items whose gold
    label is the one predicted: written to the queue, but nobody is asked about them. The
    page said "4 sent to the review queue"; it now says the two a person is asked about
    and, apart, the two a gold label settles."""
    from tests.actions.test_act import KNOWN_POLICY, _set_policy

    ws = pages
    _set_policy(ws, KNOWN_POLICY)
    made = app_with_users(ws)
    _ws, app, client = next(made)
    ada = client("ada")
    _r, job = applied(ws, app, ada)
    page = ada.get("/stages/act").text
    next(made, None)
    assert job["result"]["written"]["review_queue"] == 4
    assert "<b>2</b> sent to the review queue" in page
    assert "<b>2</b> settled by a gold label already (nobody is asked)" in page
    # two accepted blanks are on test items a person labelled content: not written
    assert job["result"]["not_written_overruled_by_gold"] == 2
    assert ("<b>2</b> accepted values were not written as metadata: a person's label on "
            "the item says otherwise, and the person's wins.") in page


@pytest.fixture
def champion_then_prior(make_ws: Any) -> Any:
    """blanks@1, the champion, ran over the pages; then prior@1, a baseline, ran after
    it (as ``glamlab run --model prior`` does, to look at it)."""
    from glamlab.registry.models import set_alias
    from tests.actions.helpers import add_items, add_model, add_predictions

    ws = make_ws("pages", task="blank-pages", labels=["blank", "content"],
                 positive_label="blank")
    ids = [f"c{k:02d}" for k in range(6)]
    add_items(ws, [{"item_id": i} for i in ids])
    add_predictions(ws, add_model(ws, "blanks", 1), {
        i: {"blank": 0.97, "content": 0.03} if k % 2 else {"blank": 0.03, "content": 0.97}
        for k, i in enumerate(ids)})
    set_alias(ws, "blanks@1", "champion")
    add_predictions(ws, add_model(ws, "prior", 1, predictor="prior"),
                    {i: {"blank": 0.05, "content": 0.95} for i in ids})
    ws.card.raw["policy"] = {"field": "page_type", "default_action": "review",
                             "labels": {"blank": {"accept": 0.9}, "content": {"accept": 0.9}}}
    ws.save_card()
    yield from app_with_users(ws)


def test_the_pages_apply_the_policy_to_the_champion_not_the_latest_run(
        champion_then_prior: Any) -> None:
    from glamlab.registry.models import set_alias
    from glamlab.reports.overview import compute_act
    from tests.actions.helpers import add_model

    ws, app, client = champion_then_prior
    ada = client("ada")
    compute_act(ws)  # what the page shows, worked out now rather than in the background
    page = ada.get("/stages/act").text
    assert "Model blanks@1" in page and "prior@1" not in page
    _r, job = applied(ws, app, ada)
    assert job["result"]["model"] == "blanks@1"
    t = ws.store.t.machine_metadata
    with ws.store.read() as conn:
        assert set(conn.execute(sa.select(t.c.model)).scalars()) == {"blanks"}

    # a new champion not run yet: the page says so, in its words, and names it
    add_model(ws, "blanks", 2)
    set_alias(ws, "blanks@2", "champion")
    compute_act(ws)
    page = " ".join(ada.get("/stages/act").text.split())
    assert "the model in use, blanks@2, has no predictions yet" in page
    assert "on the Run page" in page and "glamlab run" not in page
    # the Export page's check of its download says the same
    from glamlab.reports.overview import compute_export_check

    compute_export_check(ws)
    page = " ".join(ada.get("/stages/export").text.split())
    # the export holds blanks@1's predictions instead, and says so (test below)
    assert "The model in use, blanks@2, has not been run yet" in page


def test_after_a_retrain_the_export_holds_the_decisions_on_the_last_model_acted_on(
        champion_then_prior: Any) -> None:
    """Reviewers decided queue rows on blanks@1's predictions; a retrain promoted blanks@2,
    not run yet (and a baseline, prior@1, ran after blanks@1). The Export page's CSV
    download answered a 400 page ("blanks@2 has no predictions... run the model in use
    first on the Run page"), with no warning beforehand: a reviewer cannot run, and the
    decisions could not be exported at all. Now the page says up front whose predictions
    the downloads hold, and the download gives them, with the reviewer's decision."""
    import csv
    import html
    import io

    from glamlab.registry.models import set_alias
    from glamlab.review.decisions import decide
    from tests.actions.helpers import add_model

    ws, app, client = champion_then_prior
    ada, rey = client("ada"), client("rey")
    ws.card.raw["policy"] = {"field": "page_type", "default_action": "review",
                             "labels": {"blank": {"accept": 0.99, "review": 0.5},
                                        "content": {"accept": 0.99, "review": 0.5}}}
    ws.save_card()  # nothing is accepted: every page goes to the queue
    _r, job = applied(ws, app, ada)
    assert job['result']['written']['review_queue'] > 0, job['result']
    q = ws.store.t.review_queue
    with ws.store.read() as conn:
        row = conn.execute(sa.select(q.c.id, q.c.item_id, q.c.version)
                           .where(q.c.status == "open").order_by(q.c.id).limit(1)).one()
    decide(ws, "rey", row.id, "accept", row.version)
    add_model(ws, "blanks", 2)  # what glamlab retrain does: a new version, promoted
    set_alias(ws, "blanks@2", "champion")
    for who in (rey, ada):
        page = " ".join(html.unescape(who.get("/stages/export").text).split())
        assert 'id="export-model-note"' in page
        assert ("The model in use, blanks@2, has not been run yet, so the export holds the "
                "predictions of the model the policy was last applied to, blanks@1 (an "
                "earlier version of the model in use), with the reviewers' decisions on "
                "them. An admin can run blanks@2 on the Run page") in page, page
        r = who.get("/stages/export/download?format=csv")
        assert r.status_code == 200, r.text[:2000]
        rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
        assert rows and {(x["model"], x["model_version"]) for x in rows} == {("blanks", "1")}
        mine = [x for x in rows if x["item_id"] == row.item_id and x["confirmed_by"]]
        assert [x["confirmed_by"] for x in mine] == ["rey"], rows
    # the command line's export follows the same rule, and says which model and why
    from glamlab.actions import export

    res = export(ws, "csv", ws.root / "cli.csv")
    assert res["model"] == "blanks@1" and len(res["notes"]) == 1
    assert "blanks@2, has not been run yet" in res["notes"][0]
    assert "glamlab run" in res["notes"][0]
    from glamlab.reports.overview import compute_act

    # the Act page still refuses to apply the policy with another model than the one in
    # use, and tells the admin where to run it
    compute_act(ws)
    page = " ".join(ada.get("/stages/act").text.split())
    assert "the model in use, blanks@2, has no predictions yet" in page
    assert "on the Run page" in page
    # a reviewer reads it too: who can run it is said (the Run page is an admin's)
    assert "an admin runs the model in use over the collection first, on the Run page" \
        in page, page


def test_the_act_page_says_what_a_changed_policy_took_out_of_the_queue(
        pages: Any) -> None:  # noqa: F811
    """Applying the policy again after its thresholds were lowered accepts candidates
    the queue was asking about: the page says how many open review items were withdrawn
    and why (before, they stayed open and nothing said so)."""
    from tests.actions.test_act import KNOWN_POLICY, _set_policy

    ws = pages
    _set_policy(ws, KNOWN_POLICY)
    made = app_with_users(ws)
    _ws, app, client = next(made)
    ada = client("ada")
    applied(ws, app, ada)
    first = _open_rows(ws)
    _set_policy(ws, {"field": "page_type",
                     "labels": {"blank": {"accept": 0.65, "review": 0.5},
                                "content": {"accept": 0.9, "review": 0.75}}})
    _r, job = applied(ws, app, ada)
    page = ada.get("/stages/act").text
    next(made, None)
    gone = first - _open_rows(ws)
    assert gone > 0 and job["result"]["withdrawn_by_policy"] == gone
    assert (f"<b>{gone}</b> open review items were withdrawn from the queue: the policy "
            "now accepts or rejects them") in page


def test_the_act_page_says_a_written_value_a_persons_label_overrules(make_ws: Any) -> None:
    """act marks a value it wrote earlier that a person's label given since overrules,
    and says so; the Act page's template had the sentence, but the job's result never
    carried the count, so the page never said it (nor when the mark is taken off)."""
    from tests.actions.helpers import add_gold
    from tests.actions.test_export_gold_wins import _blank_pages

    ws = _blank_pages(make_ws, "web-overruled", {"p1": {"blank": 0.99, "content": 0.01},
                                                 "p2": {"blank": 0.98, "content": 0.02},
                                                 "p3": {"content": 0.97, "blank": 0.03}})
    made = app_with_users(ws)
    _ws, app, client = next(made)
    try:
        ada = client("ada")
        _r, job = applied(ws, app, ada)
        assert job["result"]["written"]["machine_metadata"] == 3
        add_gold(ws, {"p1": "content"}, split="train")  # a person labels p1 otherwise
        _r, job = applied(ws, app, ada)
        page = ada.get("/stages/act").text
        assert ("<b>1</b> value written earlier is overruled by a person's label given "
                "since: marked overruled (kept), no longer the item's value.") in page
        assert job["result"]["written_overruled_by_gold"] == 1
        assert ("<b>1</b> accepted value was not written as metadata: a person's label on "
                "the item says otherwise, and the person's wins (1 of them written "
                "earlier: kept, overruled by the person's label).") in page
        lab = ws.store.t.labels  # the person's label withdrawn: the mark is taken off
        with ws.store.write() as conn:
            conn.execute(lab.update().where(lab.c.item_id == "p1").values(active=False))
        _r, job = applied(ws, app, ada)
        assert ("<b>1</b> value marked overruled is no longer overruled"
                in ada.get("/stages/act").text)
        assert job["result"]["overruled_restored"] == 1
    finally:
        next(made, None)
