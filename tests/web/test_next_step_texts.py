"""An empty entities project's overview names what a text project brings in: a
spreadsheet of texts or a HIPE/WebAnno file with the entities marked. It said "a
spreadsheet, a ZIP of images, a IIIF manifest or a METS file", so a historian with a
HIPE file of newspaper texts did not see it was the thing to upload."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import app_with_users
from tests.web.pages import next_step


def test_an_empty_entities_project_is_told_to_bring_texts_in(make_ws: Any) -> None:
    ws = make_ws("ner-empty", task="entities", kind="entities", modality="text",
                 labels=["PER", "LOC"], metric="strict_micro_f1")
    fixture = app_with_users(ws)
    ws, _app, client = next(fixture)
    step = next_step(client("ada").get("/").text)
    assert "HIPE" in step and "text" in step
    assert "images" not in step and "METS" not in step
    assert 'href="/stages/items"' in step
