"""Which layer each span is on, on the pages a reviewer decides from.

An entities project's predictor may find a span on the main layer and another of the
same type over the same words on a nested layer (HIPE's nested entities). The review
card, the item page and the Labelling page said a span's type and words only: the two
cards of "Paris" read the same ("Predicted LOC for Paris"), the policy's accepted spans
read "Paris (LOC), Paris (LOC)", the spans saved for the text left out those of another
layer (and a reviewer's nested additions had no "Remove"), the item page listed "Paris
LOC" twice and its history "ada accepted LOC" twice, and the Labelling page's list read
"Paris (LOC) Paris (LOC)". Each now names a span's layer beside its type where it is not
the main one ("LOC, nested"), and a decision taken from a card (accept, Remove) applies
to the span of that card's layer."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.cli.test_export_layers import _project
from tests.web.conftest import PASSWORD, chromium_page, csrf_of, login


def _plain(fragment: str) -> str:
    """A page fragment's words, tags left out, spaces squeezed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()


def _cards(page: str) -> dict[int, str]:
    """Queue row id -> its card's HTML."""
    return {int(m.group(1)): m.group(0) for m in re.finditer(
        r'<li class="qitem"[^>]*data-queue-id="(\d+)".*?</li>', page, re.S)}


def _paris_rows(ws: Any) -> dict[str, int]:
    """Layer -> the queue row of the model's "Paris" (text a) on that layer."""
    q = ws.store.t.review_queue
    with ws.store.read() as conn:
        return {(r.value or {}).get("layer") or "entity": int(r.id)
                for r in conn.execute(sa.select(q.c.id, q.c.value).where(
                    q.c.item_id == "a", q.c.label == "LOC"))}


def test_the_review_card_names_each_span_s_layer_and_decides_that_one(
        make_ws: Any, tmp_path: Path, monkeypatch: Any) -> None:
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.tasks.spans import gold_spans
    from glamlab.web import create_app

    ws = _project(make_ws, tmp_path, monkeypatch)  # every span queued
    rows = _paris_rows(ws)
    assert sorted(rows) == ["entity", "nested"]
    add_user(ws, "ada", PASSWORD, "reviewer")
    with TestClient(create_app(ws)) as c:
        assert login(c, "ada").status_code == 303
        cards = _cards(c.get("/queue").text)
        main, nested = cards[rows["entity"]], cards[rows["nested"]]
        # the two cards of Paris no longer read the same: the nested one says so
        assert "Predicted LOC (nested) for Paris" in _plain(nested)
        assert "Predicted LOC for Paris" in _plain(main) and "nested" not in _plain(main)
        assert 'title="LOC, nested"' in nested and 'title="LOC"' in main
        assert 'aria-label="a: predicted LOC (nested) (1.00)"' in nested

        # accept the nested one from its card: that span is saved, on its layer
        ver = re.search(rf'value="{rows["nested"]}:(\d+):accept"', nested)
        value = re.search(rf"name=\"value_{rows['nested']}\" value='([^']*)'", nested)
        assert ver and value
        r = c.post("/queue/decide", data={
            "csrf": csrf_of(c), "one": f"{rows['nested']}:{ver.group(1)}:accept",
            f"value_{rows['nested']}": html.unescape(value.group(1))},
            follow_redirects=False)
        assert r.status_code == 303, r.text
        text = ws.item("a").text or ""
        assert [(text[s.start:s.end], s.label, s.layer)
                for s in gold_spans(ws, ["a"], layer=None)["a"]] == [
            ("Paris", "LOC", "nested")]
        # the main Paris waits on its card, which lists the nested one as saved
        # (before: "no entity", the nested span left out) and does not replace it
        main = _cards(c.get("/queue").text)[rows["entity"]]
        said = _plain(main)
        assert "Saved for this text so far: Paris (LOC, nested)." in said
        assert "Already saved over these words" not in said
        assert 'title="LOC (saved)"' not in main  # its own highlight is the main span's


def test_each_added_entity_s_remove_button_takes_back_that_layer_s_one(
        make_ws: Any, tmp_path: Path, monkeypatch: Any) -> None:
    """ada added "soir" as a place on the nested layer, then on the main one: the card
    lists both, each with its layer and a Remove button for its own addition (the
    buttons were keyed by words and type only, and a nested one was never offered)."""
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.review import add_span
    from glamlab.tasks.spans import gold_spans
    from glamlab.web import create_app

    ws = _project(make_ws, tmp_path, monkeypatch)
    text = ws.item("b").text or ""
    at = text.index("soir")
    nested = add_span(ws, "ada", "b", at, at + 4, "LOC", layer="nested")["decision_id"]
    main = add_span(ws, "ada", "b", at, at + 4, "LOC")["decision_id"]
    add_user(ws, "ada", PASSWORD, "reviewer")
    with TestClient(create_app(ws)) as c:
        assert login(c, "ada").status_code == 303
        page = c.get("/queue").text
        [card, *_] = [h for h in _cards(page).values() if "Rien" in h]
        buttons = dict(re.findall(r'name="remove_span" value="(\d+)"[^>]*aria-label="([^"]*)"',
                                  card))
        assert buttons == {str(main): "Remove soir (LOC), the entity you added to b",
                           str(nested): "Remove soir (LOC, nested), the entity you added "
                                        "to b"}
        r = c.post("/queue/remove-span", data={"csrf": csrf_of(c), "remove_span": nested},
                   follow_redirects=False)
        assert r.status_code == 303, r.text
    assert [(text[s.start:s.end], s.layer) for s in gold_spans(ws, ["b"], layer=None)["b"]
            ] == [("soir", "entity")]


def test_the_card_names_the_layer_of_each_span_the_policy_accepted(
        make_ws: Any, tmp_path: Path, monkeypatch: Any) -> None:
    from fastapi.testclient import TestClient

    from glamlab.actions.act import act
    from glamlab.auth import add_user
    from glamlab.web import create_app

    ws = _project(make_ws, tmp_path, monkeypatch)
    ws.card_path.write_text(ws.card_path.read_text() + "[policy.labels.LOC]\naccept = 0.0\n")
    ws.reload_card()
    act(ws)  # both Paris accepted by the policy; Durand still waits
    q = ws.store.t.review_queue
    with ws.store.read() as conn:
        durand = conn.execute(sa.select(q.c.id).where(
            q.c.item_id == "a", q.c.label == "PER")).scalar_one()
    add_user(ws, "ada", PASSWORD, "reviewer")
    with TestClient(create_app(ws)) as c:
        assert login(c, "ada").status_code == 303
        card = _cards(c.get("/queue").text)[durand]
    # before: "Paris (LOC), Paris (LOC)"
    assert ("Accepted by the policy, kept as entities: Paris (LOC), Paris (LOC, nested)."
            in _plain(card))


def _both_accepted(make_ws: Any, tmp_path: Path, monkeypatch: Any) -> Any:
    """The two-layer project, ada having accepted Paris on both layers."""
    from glamlab.review import decide

    ws = _project(make_ws, tmp_path, monkeypatch)
    q = ws.store.t.review_queue
    for row in _paris_rows(ws).values():
        with ws.store.read() as conn:
            version = conn.execute(sa.select(q.c.version).where(q.c.id == row)).scalar_one()
        decide(ws, "ada", row, "accept", version)
    return ws


def test_the_item_page_names_each_span_s_layer(
        make_ws: Any, tmp_path: Path, monkeypatch: Any) -> None:
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.web import create_app

    ws = _both_accepted(make_ws, tmp_path, monkeypatch)
    add_user(ws, "ada", PASSWORD, "reviewer")
    with TestClient(create_app(ws)) as c:
        assert login(c, "ada").status_code == 303
        item = c.get("/items/a").text
        gold = re.search(r'<p id="gold-set-1">.*?</ul>', item, re.S)
        assert gold
        spans = sorted(_plain(li) for li in re.findall(r"<li>.*?</li>", gold.group(0), re.S))
        assert spans == ["Paris LOC (characters 16–21)",
                         "Paris LOC, nested (characters 16–21)"]
        # and its history: which of ada's two decisions was on the nested Paris
        decided = re.search(r'<h2 id="dec-h">Decisions</h2>.*?</ul>', item, re.S)
        assert decided
        said = sorted(re.sub(r" \(\d{4}-.*", "", _plain(li))
                      for li in re.findall(r"<li>.*?</li>", decided.group(0), re.S))
        assert said == ["ada accepted LOC “Paris”", "ada accepted LOC “Paris” (nested)"]


def test_the_labelling_page_names_each_span_s_layer(
        make_ws: Any, tmp_path: Path, monkeypatch: Any) -> None:
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.web import create_app

    ws = _both_accepted(make_ws, tmp_path, monkeypatch)
    add_user(ws, "ada", PASSWORD, "reviewer")
    with TestClient(create_app(ws)) as c:
        assert login(c, "ada").status_code == 303
        label = c.get("/label?item=a").text
        listed = re.search(r'<span id="span-list"[^>]*>(.*?)</span></p>', label, re.S)
        assert listed
        assert _plain(listed.group(1)) == "Paris (LOC) Paris (LOC, nested)"


@pytest.mark.browser
@pytest.mark.slow
def test_the_labelling_page_s_list_names_each_span_s_layer_in_chromium(
        make_ws: Any, tmp_path: Path, monkeypatch: Any) -> None:
    """The Labelling page's script writes the text's list of entities again as it loads:
    each of the two Paris says its layer there too, and "Remove" on the nested one
    removes that one, the main one saved."""
    import json

    from glamlab.auth import add_user
    from glamlab.tasks.spans import gold_spans

    ws = _both_accepted(make_ws, tmp_path, monkeypatch)
    add_user(ws, "rey", PASSWORD, "reviewer")
    with chromium_page(ws, "/label?item=a") as (sync_api, page, errors):
        expect = sync_api.expect
        listed = page.locator("#span-list")
        expect(listed).to_contain_text("Paris (LOC, nested)")
        assert listed.inner_text().replace("Remove", "").split() == [
            "Paris", "(LOC)", "Paris", "(LOC,", "nested)"]
        expect(page.locator("#span-text mark")).to_have_attribute("title", "LOC")
        page.get_by_role("button", name="Remove Paris (LOC, nested)").click()
        expect(listed).not_to_contain_text("nested")
        assert [s.get("layer", "entity") for s in json.loads(
            page.locator("#spans-json").input_value())] == ["entity"]
        with page.expect_navigation():
            page.locator("#label-form button[type=submit][data-key=Enter]").click()
        expect(page.locator("#label-status")).to_contain_text("Saved")
        assert not errors, errors
    text = ws.item("a").text or ""
    assert [(text[s.start:s.end], s.layer) for s in gold_spans(ws, ["a"], layer=None)["a"]
            ] == [("Paris", "entity")]
