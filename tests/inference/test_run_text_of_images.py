"""A run of a span (text) predictor over ALTO pages ingested with their images: a page
image that carries OCR text is read by its text, whatever its place in the batch; an image
without text fails alone, named, with the fix; and the run's status says how many failed.

(The modality check looked at the first item of each batch only: a batch that began with
an image failed its text items too, and the same page failed or not by batch order.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from glamlab.errors import PredictorError
from glamlab.items import Item
from glamlab.predictors.entities.baselines import GazetteerPredictor

ALTO = Path(__file__).resolve().parents[1] / "data" / "interop" / "alto" / "sbb-abbyy-alto2.xml"


def _pages_ws(make_ws, tmp_path: Path):
    from PIL import Image

    ws = make_ws("pages", task="ner", kind="entities", modality="text",
                 labels=["PER", "LOC", "ORG"], metric="strict_micro_f1")
    pages = tmp_path / "scans"
    pages.mkdir()
    for name in ("a", "b", "d"):  # a and d: an image with its ALTO; b: an image alone
        Image.new("L", (60, 80), 255).save(pages / f"{name}.png")
    (pages / "a.xml").write_bytes(ALTO.read_bytes())
    (pages / "d.xml").write_bytes(ALTO.read_bytes().replace(b"Utricularia", b"Utricularis"))
    (pages / "c.txt").write_text("Die Stadt Berlin und die Stadt Wien.", encoding="utf-8")
    assert ws.ingest([pages]).added == 4
    kinds = {it.item_id: (it.modality, it.text is not None) for it in ws.items()}
    assert kinds == {"a": ("image", True), "b": ("image", False), "c": ("text", True),
                     "d": ("image", True)}
    return ws


def test_a_page_image_with_ocr_text_is_read_and_one_without_fails_alone(make_ws, tmp_path):
    from glamlab.inference.runner import list_predictions, list_runs, run
    from glamlab.registry import save_model

    ws = _pages_ws(make_ws, tmp_path)
    gaz = GazetteerPredictor().fit(["Utricularia und Berlin"],
                                   [[(0, 11, "ORG"), (16, 22, "LOC")]],
                                   classes=["PER", "LOC", "ORG"])
    save_model(ws, gaz, name="gaz")
    for batch_size in (1, 2, 4):  # the outcome never depends on how items are batched
        report = run(ws, "gaz@1", workers=0, batch_size=batch_size, force=True,
                     handle_signals=False)
        assert (report.done, report.failed) == (3, 1), batch_size
        (failure,) = report.failures
        assert failure["item_id"] == "b"
        assert "without text" in failure["reason"]
        assert "fix: ingest the item's OCR text" in failure["reason"]
        assert "choose a predictor for this modality" not in failure["reason"]
    preds = {p["item_id"]: p for p in list_predictions(ws, model="gaz@1")}
    assert set(preds) == {"a", "c", "d"}
    found = preds["a"]["scores"]["spans"]
    assert found and all(ws.item("a").text[s["start"]:s["end"]] == "Utricularia"
                         for s in found)
    latest = list_runs(ws, limit=1)[0]
    assert latest["status"] == "done"  # kept for scripts
    assert latest["status_words"] == "done, 1 failed"
    from tests.web.conftest import stage_page_worked_out

    page = stage_page_worked_out(ws, "run")
    assert "— done, 1 failed</label>" in page and "<td>done, 1 failed</td>" in page
    assert "ingest the item" in page and "choose a predictor for this modality" not in page


def test_the_modality_check_looks_at_every_item_in_any_order() -> None:
    gaz = GazetteerPredictor().fit(["Wien"], [[(0, 4, "LOC")]], classes=["LOC"])
    page = Item(item_id="page", modality="image", text="Ankunft in Wien.")
    bare = Item(item_id="bare", modality="image")
    text = Item(item_id="t", modality="text", text="Wien")
    assert [len(s) for s in gaz.predict_items([page, text])] == [1, 1]
    assert [len(s) for s in gaz.predict_items([text, page])] == [1, 1]
    for batch in ([text, bare], [bare, text], [page, bare]):
        with pytest.raises(PredictorError, match="without text") as exc:
            gaz.predict_items(batch)
        assert exc.value.item == "bare"
