"""Mentions placed on a IIIF canvas: a word box reaching past the page is clipped to it,
a mention whose boxes lie wholly off the page is left out and said, not drawn off the
canvas (where a viewer shows it nowhere)."""

from __future__ import annotations

import io
import json

from glamlab.actions.entity_export import (
    SpanProvenance,
    iiif_left_out_web,
    iiif_nothing_placed,
    span_regions,
    write_span_iiif,
)
from glamlab.items import Item
from glamlab.tasks.spans import Span

TEXT = "Jules Ferry\nà Paris."


def _page(width: int | None, height: int | None) -> Item:
    # ALTO in pixels on a 2000 x 3000 page: "Ferry" at the right margin, its box drawn
    # loose past the edge; "Paris." (OCR of another page) wholly off it
    boxes = [0, 5, 100, 200, 90, 30,
             6, 11, 1950, 198, 120, 34,
             14, 20, 2100, 3100, 95, 30]
    return Item(item_id="p1", modality="text", text=TEXT, width=width, height=height,
                meta={"word_boxes": boxes, "page_width": 2000, "page_height": 3000,
                      "canvas": "https://iiif.example.org/c1"})


def test_a_word_box_past_the_page_is_clipped_one_wholly_off_it_is_left_out_and_said():
    page = _page(2000, 3000)
    ferry, paris = Span(6, 11, "PER"), Span(14, 20, "LOC")
    assert span_regions(page, ferry) == [(1950, 198, 50, 34)]  # was 1950,198,120,34
    assert span_regions(page, paris) == []  # was 2100,3100,95,30: off the canvas
    buf = io.StringIO()
    report: dict = {}
    written, skipped = write_span_iiif([(page, [ferry, paris], SpanProvenance(model="m"))],
                                       buf, base="https://example.org/anno/", report=report)
    doc = json.loads(buf.getvalue())
    assert (written, skipped) == (1, 0)
    assert doc["items"][0]["target"] == "https://iiif.example.org/c1#xywh=1950,198,50,34"
    assert report["skipped_off_page"] == 1
    res = {"annotations": written, "skipped_off_page": 1}
    (words,) = iiif_left_out_web(res)
    assert "leaves out 1 of the 2 entity mentions" in words and "wholly off the page" in words
    only_off = {"annotations": 0, "skipped_off_page": 1}
    assert "OCR made from that same image" in (iiif_nothing_placed(only_off) or "")


def test_a_page_of_unknown_size_is_not_clipped():
    page = _page(None, None)
    assert span_regions(page, Span(6, 11, "PER")) == [(1950, 198, 120, 34)]


def test_the_command_line_says_the_mentions_off_the_page():
    from glamlab.cli.act import _entity_export_line

    line = _entity_export_line("iiif", "out.json", {"annotations": 1, "skipped_off_page": 2})
    assert "2 mentions left out: their word boxes lie wholly off the page" in line
    assert "Ingest each page image with the ALTO or PAGE file made from that image" in line
