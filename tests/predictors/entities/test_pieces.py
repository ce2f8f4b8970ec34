"""Span predictors learn from sentences but are run on whole OCR pages: a long text is
read in sentence-sized pieces (``pieces``), and no span crosses from one piece into the
next (one ORG used to run over 8 lines of an ALTO page)."""

from __future__ import annotations

from pathlib import Path

import pytest

from glamlab.ingest.xml import parse_bytes
from glamlab.items import Item
from glamlab.predictors.entities.base import PIECE_CHARS, SpanPredictor, pieces
from glamlab.predictors.entities.corpus import read_sentences
from glamlab.predictors.entities.tokens import Span

DATA = Path(__file__).resolve().parents[2] / "data"
ALTO = DATA / "interop" / "alto"
SAMPLE = DATA / "ner" / "newseye-sample.csv"


class WholeText(SpanPredictor):
    """Marks every text it is given as one ORG: what a model trained on sentences can do
    with a whole page, at its worst."""

    name = "whole-text"
    needs_fit = False

    def _predict_spans(self, texts: list[str], langs: list[str | None]) -> list[list[Span]]:
        self.seen_ = [*getattr(self, "seen_", []), *texts]
        return [[Span(0, len(t), "ORG", 0.9)] if t else [] for t in texts]


def _page(name: str) -> str:
    return parse_bytes((ALTO / name).read_bytes()).text


def _blank_lines(text: str, span: Span) -> bool:
    inside = text[span.start:span.end]
    return any(not line.strip() for line in inside.split("\n")[1:-1]) or "\n\n" in inside


@pytest.mark.parametrize("name", ["sbb-abbyy-alto2.xml", "ndnp-chronam-excerpt.xml"])
def test_no_span_crosses_a_blank_line_of_a_real_alto_page(name: str) -> None:
    text = _page(name)
    assert "\n\n" in text and len(text) > 1000  # several blocks, many lines
    p = WholeText().fit([], [], classes=["ORG"])
    (spans,) = p.predict_items([Item(item_id="page", modality="text", text=text)])
    assert len(spans) > 3
    for s in spans:
        assert not _blank_lines(text, s), text[s.start:s.end]
        assert text[s.start:s.end] == text[s.start:s.end].strip()  # no white space around
    # the pieces the predictor read are the page's own characters, line breaks as spaces
    assert p.seen_ == [text[s.start:s.end].replace("\n", " ") for s in spans]
    assert all(len(t) <= PIECE_CHARS or "\n" not in text[s.start:s.end]
               for t, s in zip(p.seen_, spans, strict=True))
    # every word of the page is in one piece
    covered = " ".join(text[s.start:s.end] for s in spans)
    assert covered.split() == [w for w in text.split() if w]


def test_a_sentence_is_read_whole_and_a_page_in_sentences() -> None:
    one = "Le président de la République , M. Carnot , est arrivé à Lyon ."
    assert pieces(one) == [(0, len(one))]
    two = "Der Kaiser reiste nach Wien.\nDort traf er Dr. Müller und\nHerrn von Bülow.\n\nNeuer Absatz."
    got = [two[a:b] for a, b in pieces(two)]
    assert got == ["Der Kaiser reiste nach Wien.", "Dort traf er Dr. Müller und\nHerrn von Bülow.",
                   "Neuer Absatz."]


def test_a_real_crf_on_a_whole_alto_page_keeps_to_its_pieces() -> None:
    pytest.importorskip("sklearn_crfsuite")
    from glamlab.predictors.entities.crf import CRFTagger

    rows = read_sentences(SAMPLE)
    crf = CRFTagger().fit([r.text for r in rows], [list(r.spans) for r in rows],
                          langs=[r.lang for r in rows])
    text = _page("sbb-abbyy-alto2.xml")
    (spans,) = crf.predict_spans([text], langs=["de"])
    bounds = pieces(text)
    for s in spans:
        assert any(a <= s.start and s.end <= b for a, b in bounds), (s, text[s.start:s.end])
        assert not _blank_lines(text, s)
        assert text[s.start:s.end].strip() == text[s.start:s.end]
