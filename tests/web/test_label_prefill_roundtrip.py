"""The Labelling page of an entities text that has gold spans fills its form with them
(routes/labelling._entities_had): saving the form unchanged keeps every span as it
was, its layer, authority id and attributes (HIPE's fine-grained type) included."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest

from tests import ner_project
from tests.web.conftest import PASSWORD, csrf_of, login


def test_saving_a_pre_filled_text_unchanged_keeps_its_spans(make_ws: Any) -> None:
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.tasks import split_labels
    from glamlab.tasks.spans import gold_spans, import_spans
    from glamlab.web import create_app

    ws = make_ws("ner", task="entities", kind="entities", modality="text",
                 labels=ner_project.LABELS, metric="strict_micro_f1")
    import_spans(ws, ner_project.DATA / "newseye-fr-gold.tsv")
    split_labels(ws, test_size=0.3, seed=0, group_by="document_id")
    add_user(ws, "rey", PASSWORD, "reviewer")

    def spans(item_id: str) -> list[tuple[Any, ...]]:
        got = gold_spans(ws, [item_id], layer=None)[item_id]
        return sorted((s.start, s.end, s.label, s.layer, s.authority_id,
                       tuple(sorted((s.attrs or {}).items()))) for s in got)

    every = gold_spans(ws, layer=None)
    # a text whose spans carry what the form must keep: another layer, a link
    item_id = next(i for i, g in sorted(every.items())
                   if any(s.layer != "entity" for s in g) and any(s.authority_id for s in g))
    # HIPE's fine-grained type, kept in a span's attributes (glamlab.tasks.spans.hipe)
    import dataclasses

    from glamlab.tasks.spans.gold import save_spans

    save_spans(ws, item_id, [dataclasses.replace(s, attrs={"fine": f"{s.label.lower()}.x"})
                             for s in every[item_id]], annotator="importer", source="import")
    before = spans(item_id)
    assert all(attrs for *_x, attrs in before)
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        page = c.get(f"/label?item={item_id}").text
        m = re.search(r'<textarea id="spans-json" name="label"[^>]*>(.*?)</textarea>', page,
                      re.S)
        assert m is not None
        r = c.post("/label", data={"csrf": csrf_of(c), "item_id": item_id,
                                   "label": html.unescape(m.group(1)), "split": "test",
                                   "strategy": "random"}, follow_redirects=False)
        assert r.status_code == 303, r.text
    assert spans(item_id) == before


@pytest.mark.browser
@pytest.mark.slow
def test_adding_an_entity_keeps_a_pre_filled_span_of_another_layer(make_ws: Any,
                                                                    tmp_path: Path) -> None:
    """A text whose gold has a nested entity (another layer) inside the words of a new
    main entity: adding the main one kept only the spans outside its words, whatever
    their layer, so the nested entity the form was filled with was dropped without a
    word and saving lost it. Now an added entity replaces the overlapping ones of its
    own (the main) layer only."""
    from glamlab.auth import add_user
    from glamlab.tasks.spans import Span, gold_spans, save_spans
    from tests.web.conftest import chromium_page

    text = "Le président de l'Université de Paris est arrivé."
    ws = make_ws("ner-nested", task="entities", kind="entities", modality="text",
                 labels=ner_project.LABELS, metric="strict_micro_f1")
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "lettre.txt").write_text(text, encoding="utf-8")
    assert ws.ingest([folder]).added == 1
    add_user(ws, "rey", PASSWORD, "reviewer")
    item_id = next(iter(ws.items())).item_id
    paris = text.index("Paris")
    save_spans(ws, item_id, [Span(paris, paris + 5, "LOC", layer="nested")],
               annotator="importer", source="import")
    org = (text.index("Université"), paris + 5)
    with chromium_page(ws, f"/label?item={item_id}") as (sync_api, page, errors):
        expect = sync_api.expect
        expect(page.locator("#span-list")).to_contain_text("Paris (LOC, nested)")
        page.evaluate("""([a, b]) => {
            document.getElementById('add_start_label').value = a;
            document.getElementById('add_end_label').value = b; }""", list(org))
        page.select_option("#label-form select", "ORG")
        page.get_by_role("button", name="Add as entity").click()
        expect(page.locator("#span-list")).to_contain_text("(ORG)")
        expect(page.locator("#span-list")).to_contain_text("Paris (LOC, nested)")
        page.keyboard.press("Escape")
        with page.expect_navigation():
            page.get_by_role("button", name="Save").click()
        assert errors == []
    got = gold_spans(ws, [item_id], layer=None)[item_id]
    assert sorted((s.start, s.end, s.label, s.layer) for s in got) == [
        (org[0], org[1], "ORG", "entity"), (paris, paris + 5, "LOC", "nested")]
