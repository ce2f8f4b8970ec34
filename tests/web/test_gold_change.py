"""A gold label given before can be changed in the web app: the item page had shown it
read-only, so a curator who clicked the wrong class, or saved a text with an entity
missing, had no way back but the CLI. Now a reviewer changes it on the item's page
(an entities text reopens in the labelling form with its spans). The earlier label stays
in the store, the item stays in its split (a frozen test item too, never moved to
training), the audit log records the change with the label it replaced, the exports and
the evaluation read the new label, and the Evaluate page says that the evaluations made
before measured the models against the labels as they were."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from glamlab.review import save_label
from glamlab.tasks.labels import gold_labels
from glamlab.tasks.splits import split_of

from .conftest import PASSWORD, csrf_of, login


def _freeze(ws: Any) -> None:
    """The test split as an evaluation leaves it: frozen."""
    with ws.store.write() as conn:
        ws.store.audit(conn, "glamlab", "split.freeze", "f" * 64, reader="evaluate")


def _audit(ws: Any, action: str) -> list[Any]:
    a = ws.store.t.audit_log
    with ws.store.read() as conn:
        return conn.execute(sa.select(a).where(a.c.action == action).order_by(a.c.id)).all()


def _labels(ws: Any, item_id: str) -> list[tuple[str, str, bool]]:
    t = ws.store.t.labels
    with ws.store.read() as conn:
        return [(r.label, r.annotator, bool(r.active)) for r in conn.execute(
            sa.select(t).where(t.c.item_id == item_id).order_by(t.c.id))]


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _evaluation(ws: Any) -> None:
    """A stored evaluation row (what the Evaluate page reads as the latest one)."""
    from glamlab.store import now

    with ws.store.write() as conn:
        conn.execute(ws.store.t.evaluations.insert().values(
            candidate="majority", test_fingerprint="f" * 64, metric="macro_f1",
            results={"kind": "baseline"}, created_at=now()))


def test_a_frozen_test_item_s_label_is_changed_on_its_page(client_for: Any,
                                                           queued_ws: Any) -> None:
    ws = queued_ws
    item_id = next(iter(ws.items())).item_id
    save_label(ws, "rob", item_id, ["graphic"], "test")
    _evaluation(ws)
    _freeze(ws)
    rey = client_for("rey")
    page = rey.get(f"/items/{item_id}").text
    form = page.split('id="change-gold"', 1)[1].split("</form>", 1)[0]
    assert re.search(r'value="graphic" checked', form), form
    assert 'name="mode" value="correct"' in form
    r = rey.post("/label", data={"csrf": csrf_of(rey), "item_id": item_id,
                                 "mode": "correct", "label": "no_graphic"},
                 follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"/items/{item_id}?done=changed"
    # the new label is in force for training, evaluation and the exports; the item stays
    # in the frozen test split; rob's label stays in the store, with who and when
    assert gold_labels(ws, [item_id]) == {item_id: ["no_graphic"]}
    assert split_of(ws, [item_id]) == {item_id: "test"}
    assert _labels(ws, item_id) == [("graphic", "rob", True), ("no_graphic", "rey", True)]
    said = _text(rey.get(f"/items/{item_id}?done=changed").text)
    assert "Saved: the label you gave is in force now" in said
    assert re.search(r"graphic by rob \(web, [^)]+\) · not in force \(a later label is\) "
                     r"no_graphic by rey \(web, [^)]+\) · in force", said), said
    # the audit log: the change, with the label it replaced, and a test label changed
    change = _audit(ws, "label")[-1]
    assert change.actor == "rey" and change.object == item_id
    assert change.details["changed_from"]["labels"] == ["graphic"]
    assert change.details["changed_from"]["by"] == "rob"
    relabel = _audit(ws, "test.relabel")
    assert [(r.object, r.actor, r.details["before"], r.details["after"]) for r in relabel] \
        == [(item_id, "rey", ["graphic"], ["no_graphic"])]
    # the Evaluate page: the latest evaluation was measured on the labels as they were
    ev = _text(rey.get("/stages/evaluate").text)
    assert (f"1 test item was given another label since the latest evaluation ( {item_id} "
            "by rey): the figures below were measured against the labels as they were") in ev
    # saved again as it is: nothing changed, nothing logged as a change
    r = rey.post("/label", data={"csrf": csrf_of(rey), "item_id": item_id,
                                 "mode": "correct", "label": "no_graphic"},
                 follow_redirects=False)
    assert r.headers["location"] == f"/items/{item_id}?done=unchanged"
    assert len(_audit(ws, "test.relabel")) == 1


def test_changing_a_label_needs_the_reviewer_role_and_the_form_s_token(
        client_for: Any, queued_ws: Any) -> None:
    ws = queued_ws
    item_id = next(iter(ws.items())).item_id
    save_label(ws, "rob", item_id, ["graphic"], "train")
    val = client_for("val")
    assert 'id="change-gold"' not in val.get(f"/items/{item_id}").text
    r = val.post("/label", data={"csrf": csrf_of(val), "item_id": item_id,
                                 "mode": "correct", "label": "no_graphic"},
                 follow_redirects=False)
    assert r.status_code == 403
    rey = client_for("rey")
    r = rey.post("/label", data={"csrf": "forged", "item_id": item_id, "mode": "correct",
                                 "label": "no_graphic"}, follow_redirects=False)
    assert r.status_code == 403
    assert gold_labels(ws, [item_id]) == {item_id: ["graphic"]}
    # an item with no label has none to change: said, nothing saved
    other = list(ws.items())[-1].item_id
    assert other not in gold_labels(ws)
    r = rey.post("/label", data={"csrf": csrf_of(rey), "item_id": other, "mode": "correct",
                                 "label": "graphic"}, follow_redirects=False)
    assert r.status_code == 422 and "has no label yet" in r.text
    assert other not in gold_labels(ws)


def test_a_multi_label_item_s_subjects_are_changed_by_their_labeller(
        make_ws: Any, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.web import create_app
    from glamlab.web.app import stop_background
    from tests.tasks.helpers import add_items

    ws = make_ws("multi", modality="text", labels=["maps", "ships", "text"],
                 multi_label=True)
    add_items(ws, [{"id": f"i{k}", "text": f"text {k}"} for k in range(4)])
    add_user(ws, "rob", PASSWORD, "reviewer")
    save_label(ws, "rob", "i1", ["maps", "ships"], "test")
    app = create_app(ws)
    c = TestClient(app)
    try:
        assert login(c, "rob").status_code == 303
        form = c.get("/items/i1").text.split('id="change-gold"', 1)[1].split("</form>")[0]
        assert 'type="checkbox" name="label" value="maps" checked' in form
        assert 'type="checkbox" name="label" value="ships" checked' in form
        assert 'value="text" checked' not in form
        r = c.post("/label", data={"csrf": csrf_of(c), "item_id": "i1", "mode": "correct",
                                   "label": ["maps", "text"]}, follow_redirects=False)
        assert r.status_code == 303, r.text
    finally:
        c.close()
        stop_background(app)
    assert gold_labels(ws, ["i1"]) == {"i1": ["maps", "text"]}
    assert split_of(ws, ["i1"]) == {"i1": "test"}
    # rob's own earlier rows stay in the store, replaced (no longer in force)
    assert _labels(ws, "i1") == [("maps", "rob", False), ("ships", "rob", False),
                                 ("maps", "rob", True), ("text", "rob", True)]
    change = _audit(ws, "label")[-1]
    assert change.details["changed_from"]["labels"] == ["maps", "ships"]
    assert [r.object for r in _audit(ws, "test.relabel")] == ["i1"]
    ws.close()


def test_an_entities_text_reopens_with_its_spans_and_stays_in_the_frozen_test_split(
        kind_template: Any) -> None:
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.tasks.spans import gold_spans
    from glamlab.tasks.spans.gold import gold_span_sets
    from glamlab.web import create_app
    from glamlab.web.app import stop_background

    ws = kind_template("entities")
    splits = split_of(ws)
    item_id = next(i for i, g in sorted(gold_spans(ws).items())
                   if splits.get(i) == "test" and len(g) >= 2)
    before = gold_spans(ws, [item_id])[item_id]
    _freeze(ws)
    add_user(ws, "rey", PASSWORD, "reviewer")
    app = create_app(ws)
    c = TestClient(app)
    try:
        assert login(c, "rey").status_code == 303
        page = c.get(f"/items/{item_id}").text
        m = re.search(r'id="change-gold"><a class="button" href="([^"]+)"', page)
        assert m, "the text's page offers no way to change its entities"
        form_page = c.get(html.unescape(m.group(1))).text
        assert "the text stays in the test split" in _text(form_page)
        assert 'name="mode" value="correct"' in form_page
        found = re.search(r'<textarea id="spans-json" name="label"[^>]*>(.*?)</textarea>',
                          form_page, re.S)
        assert found is not None
        import json

        spans = json.loads(html.unescape(found.group(1)))
        assert len(spans) == len(before)
        r = c.post("/label", data={"csrf": csrf_of(c), "item_id": item_id, "mode": "correct",
                                   "label": json.dumps(spans[1:])}, follow_redirects=False)
        assert r.status_code == 303, r.text
        assert r.headers["location"].endswith("?done=changed")
        assert "Saved: the entities you gave are in force now" in _text(
            c.get(r.headers["location"]).text)
    finally:
        c.close()
        stop_background(app)
    after = gold_spans(ws, [item_id])[item_id]
    assert [(s.start, s.end, s.label) for s in after] == \
        [(s.start, s.end, s.label) for s in before[1:]]
    assert split_of(ws, [item_id]) == {item_id: "test"}
    # the import's set stays in the store: the page lists it below the one in force
    sets = gold_span_sets(ws, item_id)
    assert [s["annotator"] for s in sets][0] == "rey" and len(sets) == 2
    assert [r.object for r in _audit(ws, "test.relabel")] == [item_id]
    ws.close()


def test_a_table_row_s_outcome_is_changed_on_its_page_and_trains_so(kind_template: Any
                                                                    ) -> None:
    """A tabular project: a row's outcome came in its table's cell (gold label by
    "table"). "Change the label" on its page goes through the same form and code as a
    classification item's (same audit, test.relabel, Evaluate page note), and the label
    in force is now what training, backtests and retraining read (they read the cell:
    the change reached the evaluation and the exports only). A reviewer's decision on
    a forecast is not an outcome."""
    from glamlab.store.gold import in_force
    from glamlab.tasks.tabular import project_frame, split_frame

    from .conftest import app_with_users

    ws = kind_template("rows")
    gold, splits = gold_labels(ws), split_of(ws)
    train_row = next(i for i in sorted(gold) if splits.get(i) == "train")
    test_row = next(i for i in sorted(gold) if splits.get(i) == "test")
    made = app_with_users(ws)
    ws, _app, client = next(made)
    try:
        rey = client("rey")
        _evaluation(ws)
        for row in (train_row, test_row):
            was = gold[row][0]
            flip = "0" if was == "1" else "1"
            page = rey.get(f"/items/{row}").text
            form = page.split('id="change-gold"', 1)[1].split("</form>", 1)[0]
            assert re.search(rf'value="{was}" checked', form), form
            said = _text(form)
            assert "The row's is_canceled cell in the table stays as it came in" in said
            r = rey.post("/label", data={"csrf": csrf_of(rey), "item_id": row,
                                         "mode": "correct", "label": flip},
                         follow_redirects=False)
            assert r.status_code == 303, r.text
            assert r.headers["location"] == f"/items/{row}?done=changed"
            assert gold_labels(ws, [row]) == {row: [flip]}
            assert split_of(ws, [row]) == {row: splits[row]}  # it stays in its split
            change = _audit(ws, "label")[-1]
            assert change.object == row and change.details["changed_from"]["labels"] == [was]
            assert change.details["changed_from"]["by"] == "table"
        # the rows' outcomes as training, the backtest and retraining read them
        frame = project_frame(ws)
        outcome = dict(zip(frame["id"].astype(str), frame["is_canceled"], strict=True))
        assert outcome[train_row] == (0.0 if gold[train_row] == ["1"] else 1.0)
        assert outcome[test_row] == (0.0 if gold[test_row] == ["1"] else 1.0)
        train, later, _ = split_frame(ws, frame)
        trained = dict(zip(train["id"].astype(str), train["is_canceled"], strict=True))
        assert trained[train_row] == outcome[train_row] and test_row not in trained
        # the test row's change is logged and said on the Evaluate page
        assert [r.object for r in _audit(ws, "test.relabel")] == [test_row]
        ev = _text(rey.get("/stages/evaluate").text)
        assert (f"1 test row was given another label since the latest evaluation "
                f"( {test_row} by rey)") in ev, ev[:3000]
        # a reviewer's decision on a forecast (source review) is no outcome
        other = next(i for i in sorted(gold) if splits.get(i) == "train" and i != train_row)
        cell = 1.0 if gold[other] == ["1"] else 0.0
        t = ws.store.t.labels
        from glamlab.store import now

        with ws.store.write() as conn:
            conn.execute(t.insert().values(item_id=other, label="0" if cell else "1",
                                           annotator="rob", source="review", active=True,
                                           created_at=now()))
            assert conn.execute(sa.select(t.c.annotator).where(
                in_force(t), t.c.item_id == other)).scalar() == "rob"
        frame = project_frame(ws)
        outcome = dict(zip(frame["id"].astype(str), frame["is_canceled"], strict=True))
        assert outcome[other] == cell
    finally:
        next(made, None)
        ws.close()


def test_a_row_s_outcome_a_person_gave_with_no_source_trains_so(kind_template: Any) -> None:
    """A person's label row with no ``labels.source`` (NULL: written before sources were
    kept, or by a path that names none; every other reader counts it as a person's) is
    the row's outcome too: ``source != 'review'`` alone is not true for NULL in SQL, so
    the change was dropped and training read the table's cell."""
    from glamlab.store import now
    from glamlab.tasks.tabular import people_outcomes, project_frame

    ws = kind_template("rows")
    gold, splits = gold_labels(ws), split_of(ws)
    row = next(i for i in sorted(gold) if splits.get(i) == "train")
    flip = "0" if gold[row] == ["1"] else "1"
    with ws.store.write() as conn:
        conn.execute(ws.store.t.labels.insert().values(
            item_id=row, label=flip, annotator="cataloguer", source=None, active=True,
            created_at=now()))
    assert gold_labels(ws, [row]) == {row: [flip]}
    assert people_outcomes(ws) == {row: float(flip)}
    frame = project_frame(ws)
    outcome = dict(zip(frame["id"].astype(str), frame["is_canceled"], strict=True))
    assert outcome[row] == float(flip)
    ws.close()
