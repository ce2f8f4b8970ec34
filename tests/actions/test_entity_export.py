"""Entity exports: JSONL (imports back), CSV for OpenRefine, W3C Web Annotations, IIIF on
ALTO word boxes, and WebAnno TSV folders INCEpTION imports (read back the same)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from glamlab.actions.entity_export import (
    ENTITY_COLUMNS,
    SpanProvenance,
    export_spans,
    iter_gold_rows,
    span_regions,
    write_entities_csv,
    write_span_iiif,
    write_span_web_annotations,
    write_spans_jsonl,
)
from glamlab.errors import PolicyError
from glamlab.items import Item
from glamlab.tasks.spans import Span, gold_spans, import_spans
from glamlab.tasks.spans.webanno import read_webanno

DATA = Path(__file__).resolve().parents[1] / "data" / "spans"
LABELS = ["PER", "LOC", "ORG", "PROD", "TIME"]

ALTO = """<?xml version="1.0" encoding="UTF-8"?>
<alto xmlns="http://www.loc.gov/standards/alto/ns-v4#">
  <Description><MeasurementUnit>pixel</MeasurementUnit></Description>
  <Layout><Page ID="P1" WIDTH="2000" HEIGHT="3000"><PrintSpace>
    <TextBlock ID="B1">
      <TextLine ID="L1">
        <String CONTENT="M." HPOS="100" VPOS="200" WIDTH="40" HEIGHT="30" WC="0.9"/><SP/>
        <String CONTENT="Jules" HPOS="150" VPOS="200" WIDTH="90" HEIGHT="30" WC="0.9"/><SP/>
        <String CONTENT="Fer" HPOS="250" VPOS="198" WIDTH="60" HEIGHT="34" WC="0.8"/>
        <HYP CONTENT="¬"/>
      </TextLine>
      <TextLine ID="L2">
        <String CONTENT="ry" HPOS="100" VPOS="240" WIDTH="30" HEIGHT="30" WC="0.8"/><SP/>
        <String CONTENT="à" HPOS="140" VPOS="240" WIDTH="15" HEIGHT="30" WC="0.9"/><SP/>
        <String CONTENT="Paris." HPOS="165" VPOS="240" WIDTH="95" HEIGHT="30" WC="0.9"/>
      </TextLine>
    </TextBlock>
  </PrintSpace></Page></Layout>
</alto>
"""


@pytest.fixture
def gold_ws(make_ws):
    ws = make_ws(task="entities", modality="text", labels=LABELS)
    import_spans(ws, DATA / "newseye-fr-sample.tsv", split="train")
    return ws


def test_jsonl_export_imports_back_the_same_spans(gold_ws, make_ws, tmp_path):
    out = tmp_path / "spans.jsonl"
    result = export_spans(iter_gold_rows(gold_ws), "jsonl", out)
    assert result["items"] == gold_ws.count_items()
    first = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert set(first) == {"id", "text", "entities", "provenance"}
    assert first["provenance"]["annotator"] == "import"
    fresh = make_ws("fresh", task="entities", modality="text", labels=LABELS)
    import_spans(fresh, out)
    assert {k: [(s.start, s.end, s.label, s.authority_id) for s in v]
            for k, v in gold_spans(fresh).items()} == {
        k: [(s.start, s.end, s.label, s.authority_id) for s in v]
        for k, v in gold_spans(gold_ws).items()}


def test_a_gold_text_without_entities_keeps_who_checked_it(gold_ws, tmp_path):
    """A text a person's gold says has no entity exports with that gold's provenance
    (who gave it, when), as the texts with entities do; it was exported with an empty
    provenance, as if nobody had looked at it."""
    empty = next(k for k, v in gold_spans(gold_ws).items() if not v)
    out = tmp_path / "spans.jsonl"
    export_spans(iter_gold_rows(gold_ws, ids=[empty]), "jsonl", out)
    (doc,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert doc["id"] == empty and doc["entities"] == []
    assert doc["provenance"]["annotator"] == "import"
    assert doc["provenance"]["confirmed_by"] == "import" and doc["provenance"]["created"]


def test_csv_one_row_per_mention_formula_safe_with_bom():
    item = Item(item_id="p1", modality="text", text="=cmd| Paris et -Genève @home")
    spans = [Span(0, 4, "PER", score=0.91234567), Span(6, 11, "LOC", authority_id="Q90"),
             Span(15, 22, "LOC", authority_id="NIL")]
    prov = SpanProvenance(model="ner-crf", model_version=3, confirmed_by="alice",
                          created="2024-05-01T10:00:00Z")
    buf = io.StringIO()
    assert write_entities_csv([(item, spans, prov)], buf, bom=True) == 3
    text = buf.getvalue()
    assert text.startswith("\ufeffitem_id,type,text,start,end,authority_id")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert list(rows[0]) == ENTITY_COLUMNS
    assert rows[0]["text"] == "'=cmd" and rows[2]["text"] == "'-Genève"
    assert rows[0]["score"] == "0.912346" and rows[1]["authority_id"] == "Q90"
    assert {r["model"] for r in rows} == {"ner-crf"} and rows[1]["model_version"] == "3"
    assert {r["confirmed_by"] for r in rows} == {"alice"}


def test_csv_ids_never_altered_text_still_formula_safe_bom_in_files(tmp_path):
    # as the classification CSV: the ids keep joining, the free text cannot run
    item = Item(item_id="@evil", modality="text", text="=SUM(A1) à Genève")
    spans = [Span(0, 8, "PER", authority_id="-Q1"), Span(11, 17, "LOC", authority_id="+42x")]
    prov = SpanProvenance(model="m", model_version=2, confirmed_by="=bob",
                          created="2024-05-01T10:00:00Z")
    out = tmp_path / "entities.csv"
    result = export_spans([(item, spans, prov)], "csv", out)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfitem_id,")  # a BOM: Excel reads Genève right
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))
    assert [r["item_id"] for r in rows] == ["@evil", "@evil"]
    assert [r["authority_id"] for r in rows] == ["-Q1", "+42x"]
    assert rows[0]["text"] == "'=SUM(A1)" and rows[1]["text"] == "Genève"
    assert rows[0]["confirmed_by"] == "'=bob" and rows[0]["model_version"] == "2"
    # distinct ids: "@evil" (on both rows), "-Q1", "+42x"
    assert result["rows"] == 2 and result["warnings"][0].startswith("3 ids")
    # no BOM on stdout (a pipe), unless asked
    buf = io.StringIO()
    assert write_entities_csv([(item, spans, prov)], buf, bom=False) == 2
    assert buf.getvalue().startswith("item_id,")


def test_web_annotations_with_quote_and_position_selectors():
    text = "Le président Wilson est arrivé à Paris hier soir."
    item = Item(item_id="doc/1", modality="text", text=text, uri="/data/doc1.txt")
    spans = [Span(3, 19, "PER", authority_id="Q34296", score=0.8),
             Span(33, 38, "LOC", authority_id="NIL")]
    buf = io.StringIO()
    n = write_span_web_annotations([(item, spans, SpanProvenance(model="m", model_version=1))],
                                   buf, base="urn:test:")
    doc = json.loads(buf.getvalue())
    assert n == 2 and doc["type"] == "AnnotationCollection" and doc["total"] == 2
    first, second = doc["first"]["items"]
    quote, position = first["target"]["selector"]
    assert quote == {"type": "TextQuoteSelector", "exact": "président Wilson", "prefix": "Le ",
                     "suffix": " est arrivé à Paris hier soir."}
    assert position == {"type": "TextPositionSelector", "start": 3, "end": 19}
    assert text[position["start"]:position["end"]] == quote["exact"]
    assert first["target"]["source"] == "file:///data/doc1.txt"
    assert first["body"][1] == {"type": "SpecificResource", "purpose": "identifying",
                                "source": "http://www.wikidata.org/entity/Q34296"}
    assert first["generator"]["name"] == "glamlab model m@1" and first["confidence"] == 0.8
    assert [b["purpose"] for b in second["body"]] == ["tagging"]  # NIL: no identifying body


def test_alto_word_boxes_and_iiif_annotations(make_ws, tmp_path):
    ws = make_ws(task="entities", modality="text", labels=LABELS)
    (tmp_path / "ocr").mkdir()
    (tmp_path / "ocr" / "page1.xml").write_text(ALTO, encoding="utf-8")
    ws.ingest([tmp_path / "ocr"])
    item = ws.item("page1")
    assert item.text == "M. Jules Ferry\nà Paris."  # the hyphenated word joined
    boxes = item.meta["word_boxes"]
    assert len(boxes) == 6 * 6
    words = [item.text[boxes[i]:boxes[i + 1]] for i in range(0, len(boxes), 6)]
    assert words == ["M.", "Jules", "Ferry", "Ferry", "à", "Paris."]  # a box per half
    # an entity over a line break has one region per line
    ferry = Span(0, item.text.index("Ferry") + 5, "PER")
    assert span_regions(item, ferry) == [(100, 198, 210, 34), (100, 240, 30, 30)]
    # page image twice the ALTO size: the regions scale
    big = Item(**{**item.__dict__, "width": 4000, "height": 6000,
                  "meta": {**item.meta, "canvas": "https://iiif.example.org/c1"}})
    paris = Span(item.text.index("Paris"), item.text.index("Paris") + 5, "LOC",
                 authority_id="Q90")
    assert span_regions(big, paris) == [(330, 480, 190, 60)]
    buf = io.StringIO()
    plain = Item(item_id="t", modality="text", text="Paris")
    written, skipped = write_span_iiif(
        [(big, [ferry, paris], SpanProvenance(model="m", model_version=2)),
         (plain, [Span(0, 5, "LOC")], SpanProvenance())], buf,
        base="https://example.org/anno/")
    page = json.loads(buf.getvalue())
    assert (written, skipped) == (2, 1)
    targets = [a["target"] for a in page["items"]]
    assert targets[1] == "https://iiif.example.org/c1#xywh=330,480,190,60"
    assert isinstance(targets[0], list) and len(targets[0]) == 2
    assert page["items"][1]["body"][1]["source"] == "http://www.wikidata.org/entity/Q90"
    with pytest.raises(PolicyError, match="HTTP"):
        write_span_iiif([], io.StringIO(), base="urn:x:")
    # a span of another layer (a nested entity, asked for) says so in its describing body
    nested = Span(paris.start, paris.end, "LOC", layer="nested")
    buf = io.StringIO()
    write_span_iiif([(big, [paris, nested], SpanProvenance(model="m"))], buf,
                    base="https://example.org/anno/", layers=None)
    described = [json.loads(a["body"][-1]["value"]) for a in json.loads(buf.getvalue())["items"]]
    assert [d.get("layer") for d in described] == [None, "nested"]


def test_inception_folder_round_trip(gold_ws, tmp_path):
    result = export_spans(iter_gold_rows(gold_ws), "inception", tmp_path / "inc")
    assert result["files"] == gold_ws.count_items()
    index = (tmp_path / "inc" / "index.tsv").read_text(encoding="utf-8").splitlines()[1:]
    gold = gold_spans(gold_ws)
    for line in index:
        name, item_id = line.split("\t")[:2]
        [doc] = read_webanno(tmp_path / "inc" / name)
        assert doc.text.split() == gold_ws.item(item_id).text.split()
        assert [(s.start, s.end, s.label, s.authority_id) for s in doc.spans] == [
            (s.start, s.end, s.label, s.authority_id) for s in gold[item_id]]


def test_export_spans_refuses_bad_requests(tmp_path):
    with pytest.raises(PolicyError, match="unknown entity export format"):
        export_spans([], "annif", tmp_path / "x")
    with pytest.raises(PolicyError, match="binary"):
        export_spans([], "xlsx", None)
    with pytest.raises(PolicyError, match="folder"):
        export_spans([], "inception", None)
    item = Item(item_id="../../etc/passwd", modality="text", text="Paris")
    result = export_spans([(item, [Span(0, 5, "LOC")], SpanProvenance())], "inception",
                          tmp_path / "safe")
    assert result["files"] == 1
    assert [p.name for p in (tmp_path / "safe").iterdir()] and all(
        p.parent == tmp_path / "safe" for p in (tmp_path / "safe").iterdir())


def test_jsonl_writer_keeps_provenance_and_scores():
    item = Item(item_id="a", modality="text", text="Paris")
    buf = io.StringIO()
    write_spans_jsonl([(item, [Span(0, 5, "LOC", score=0.5, layer="entity"),
                               Span(0, 5, "LOC", layer="nested")],
                        SpanProvenance(model="m", model_version=4, confirmed_by="bob"))], buf)
    obj = json.loads(buf.getvalue())
    assert obj["entities"] == [{"start": 0, "end": 5, "label": "LOC", "text": "Paris",
                                "score": 0.5}]
    assert obj["provenance"]["model"] == "m" and obj["provenance"]["confirmed_by"] == "bob"


def test_people_spans_join_the_rows_once_each_latest_decision_standing():
    """What an item's export rows become once the people's spans are settled: one row
    per reviewer (the filter may have split them), each span once, and a person's span
    (the latest decision over those words) in place of the spans it overlaps, a
    reviewer's earlier confirmation of the model's span included."""
    from datetime import datetime
    from types import SimpleNamespace

    from glamlab.actions.entity_export import SpanProvenance, _with_people
    from glamlab.tasks.spans.model import Span

    item = SimpleNamespace(item_id="i1", text="Marie Curie lives in Paris")
    machine = SpanProvenance(model="crf-ner", model_version=1)
    bob = SpanProvenance(model="crf-ner", model_version=1, confirmed_by="bob")
    rows = [(item, [Span(0, 5, "PER")], bob),
            (item, [Span(21, 26, "LOC")], machine),
            (item, [Span(21, 26, "LOC"), Span(6, 11, "PER")], machine)]
    have = {"i1": [Span(0, 5, "PER"), Span(21, 26, "LOC"), Span(6, 11, "PER")]}
    ana = Span(0, 11, "PER", text="Marie Curie")
    people = {"i1": [(ana, "ana", datetime(2026, 1, 2))]}
    out = [(p.confirmed_by, [(s.label, s.start, s.end) for s in spans])
           for _, spans, p in _with_people([item], rows, people, None, have)]
    assert out == [(None, [("LOC", 21, 26)]), ("ana", [("PER", 0, 11)])]
    # no people's spans: the rows as they were, one per reviewer, each span once
    out = [(p.confirmed_by, [(s.label, s.start, s.end) for s in spans])
           for _, spans, p in _with_people([item], rows, {}, None, have)]
    assert out == [("bob", [("PER", 0, 5)]),
                   (None, [("PER", 6, 11), ("LOC", 21, 26)])]
    # a person's span over other words than the text has now is left out
    moved = {"i1": [(Span(0, 11, "PER", text="Pierre Curi"), "ana", datetime(2026, 1, 2))]}
    out = [p.confirmed_by for _, _, p in _with_people([item], rows, moved, None, have)]
    assert out == ["bob", None]


def test_an_item_with_spans_of_several_people_is_one_jsonl_line_and_one_inception_file(
        tmp_path):
    """An item comes as several rows once reviewers confirmed some of its spans (one row
    per reviewer, one for the model's unconfirmed spans). Before, JSONL wrote a line per
    row and the INCEpTION folder a document per row (text.tsv, text-2.tsv), each with part
    of the item's entities; now one line and one document per item hold them all, and a
    span someone confirmed says who in its own provenance."""
    text = "Marie Curie vit à Paris chez Pierre"
    item = Item(item_id="doc/1", modality="text", text=text)
    other = Item(item_id="doc2", modality="text", text="Lyon")
    machine = SpanProvenance(model="crf-ner", model_version=2)
    bob = SpanProvenance(model="crf-ner", model_version=2, confirmed_by="bob")
    ann = SpanProvenance(confirmed_by="ann", annotator="ann")
    rows = [(item, [Span(18, 23, "LOC", score=0.7)], bob),
            (item, [Span(0, 11, "PER", score=0.9)], machine),
            (item, [Span(29, 35, "PER")], ann),
            (other, [Span(0, 4, "LOC", score=0.8)], machine)]
    buf = io.StringIO()
    assert write_spans_jsonl(rows, buf) == 2
    first, second = (json.loads(line) for line in buf.getvalue().splitlines())
    assert first["id"] == "doc/1" and second["id"] == "doc2"
    assert first["provenance"]["model"] == "crf-ner"
    assert first["provenance"]["confirmed_by"] is None
    assert [(e["text"], (e.get("provenance") or {}).get("confirmed_by"))
            for e in first["entities"]] == [("Marie Curie", None), ("Paris", "bob"),
                                            ("Pierre", "ann")]
    assert "provenance" not in second["entities"][0]
    result = export_spans(rows, "inception", tmp_path / "inc")
    assert result["files"] == 2 and result["entities"] == 4
    names = sorted(p.name for p in (tmp_path / "inc").iterdir())
    assert names == ["doc2.tsv", "doc_1.tsv", "index.tsv"]
    [doc] = read_webanno(tmp_path / "inc" / "doc_1.tsv")
    assert [(s.start, s.end, s.label) for s in doc.spans] == [
        (0, 11, "PER"), (18, 23, "LOC"), (29, 35, "PER")]


def test_annotation_ids_use_the_cards_base_url_as_the_classification_export_does(
        gold_ws, tmp_path):
    """The entity export ignored ``[export] base_url``: its W3C ids were always
    ``urn:glamlab:entities:...`` and its IIIF ids example.org, with no warning, while the
    classification export reads the card. Now the card's base is used, and without one
    the placeholder comes with the same warning."""
    from glamlab.actions.entity_export import export_entities
    from glamlab.workspace import Workspace

    res = export_entities(gold_ws, "w3c", tmp_path / "before.jsonld", gold=True)
    assert any("no [export] base_url" in w for w in res["warnings"])
    root, db = gold_ws.root, (None if gold_ws.store.is_sqlite else gold_ws.store.url)
    card = gold_ws.card_path
    card.write_text(card.read_text(encoding="utf-8")
                    + '\n[export]\nbase_url = "https://example.museum/anno"\n',
                    encoding="utf-8")
    gold_ws.close()
    ws = Workspace.open(root, db=db)
    try:
        for fmt, name in (("w3c", "a.jsonld"), ("iiif", "a.iiif.json")):
            res = export_entities(ws, fmt, tmp_path / name, gold=True)
            assert not any("base_url" in w for w in res.get("warnings", [])), res
            doc = json.loads((tmp_path / name).read_text(encoding="utf-8"))
            # the collection's or page's own id, and every annotation's (the sample
            # has no word boxes, so the IIIF page has none)
            ids = [doc["id"], *(a["id"] for a in _annotations(doc))]
            assert all(i.startswith("https://example.museum/anno/") for i in ids), ids
            assert fmt == "iiif" or len(ids) > 1
    finally:
        ws.close()


def _annotations(doc):
    """Every object with type Annotation in a JSON-LD document."""
    if isinstance(doc, dict):
        if doc.get("type") == "Annotation":
            yield doc
        for v in doc.values():
            yield from _annotations(v)
    elif isinstance(doc, list):
        for v in doc:
            yield from _annotations(v)


def test_annotation_ids_are_unique_for_item_ids_beyond_ascii():
    """An annotation's id named its item by the id's ASCII letters and digits alone, so
    items whose ids differ in other characters (Cyrillic or Greek ids, ``é``, a ``/``
    or a space) gave two annotations one id in the W3C and IIIF exports: an annotation
    server keeps one of them. Each id now names its item exactly (percent-encoded, as
    an IRI holds it); an id of plain ASCII letters, digits and ``-._~`` is as before."""
    text = "Anna in Paris"
    items = [Item(item_id=i, modality="text", text=text)
             for i in ["письмо 1", "открытка 1", "émile/1", "mile-1", "mile_1"]]
    spans = [Span(0, 4, "PER"), Span(8, 13, "LOC")]
    rows = [(it, spans, SpanProvenance()) for it in items]
    buf = io.StringIO()
    write_span_web_annotations(rows, buf, base="https://example.org/anno/")
    ids = [a["id"] for a in json.loads(buf.getvalue())["first"]["items"]]
    assert len(ids) == len(set(ids)) == 10
    assert "https://example.org/anno/mile_1-0-4-PER" in ids  # a plain id, as before
    assert "https://example.org/anno/%C3%A9mile%2F1-0-4-PER" in ids
    assert all(" " not in i for i in ids)


def test_alto_in_mm10_on_a_page_image_of_unknown_size_is_not_placed_in_the_wrong_units(
        tmp_path):
    """A METS page whose image is on the web (no width nor height until it is fetched)
    with ALTO measured in tenths of a millimetre: its word boxes are not pixels, so a
    region of ``xywh=530,85,...`` (mm10 written as pixels) would be wrong. The mention is
    left out and counted, with why; the same ALTO on a page of known size is scaled, and
    ALTO in pixels on a page of unknown size is kept as it is."""
    from glamlab.actions.entity_export import iiif_nothing_placed
    from glamlab.cli.act import _entity_export_line

    text = "Goethe in Weimar"
    boxes = [0, 6, 530, 85, 100, 40, 10, 16, 320, 135, 150, 40]
    meta = {"measurement_unit": "mm10", "page_width": 847.0, "page_height": 1270.0,
            "word_boxes": boxes}
    remote = Item(item_id="book#p1", modality="image", text=text, meta=dict(meta),
                  uri="https://images.example.org/book/0001.jpg")
    goethe, weimar = Span(0, 6, "PER"), Span(10, 16, "LOC")
    assert span_regions(remote, goethe) == []
    known = Item(**{**remote.__dict__, "width": 1000, "height": 1500})
    assert span_regions(known, goethe) == [(626, 100, 118, 47)]
    pixels = Item(**{**remote.__dict__, "meta": {**meta, "measurement_unit": "pixel"}})
    assert span_regions(pixels, goethe) == [(530, 85, 100, 40)]
    res = export_spans([(remote, [goethe, weimar], SpanProvenance(model="m"))], "iiif",
                       tmp_path / "e.json", base="https://example.org/anno/")
    assert json.loads((tmp_path / "e.json").read_text(encoding="utf-8"))["items"] == []
    assert res["annotations"] == 0
    assert res["skipped_without_image_size"] == 2
    assert res["skipped_without_word_boxes"] == 0  # they have boxes, in other units
    assert "2 mentions left out: their ALTO measures in mm10" in \
        _entity_export_line("iiif", "-", res)
    assert "image size is not known" in (iiif_nothing_placed(dict(res)) or "")


def test_annotations_point_at_the_project_s_own_records_not_a_guessed_wikidata_page(
        make_ws, tmp_path):
    """A project whose authority file is its own (a local CSV, or records built from its
    mentions): an id shaped like a Wikidata QID (``Q2``, a local number) was written as
    ``http://www.wikidata.org/entity/Q2`` in the W3C and IIIF annotations, and a record's
    own ``uri`` from the file was ignored. Now a record the project's authority has points
    at its ``uri``, else at a URN of its id; only an id no record has (a HIPE file's
    QIDs, which are Wikidata's) is still taken for Wikidata's."""
    from glamlab.actions.entity_export import export_entities
    from glamlab.linking import import_authority

    ws = make_ws(task="entities", modality="text", labels=["PER", "LOC"])
    text = "Jeanne Martin est née à Lyon, puis vint à Paris."
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": "d1", "text": text, "entities": [
        {"start": 0, "end": 13, "label": "PER", "authority_id": "Q2"},
        {"start": 24, "end": 28, "label": "LOC", "authority_id": "lyon-1"},
        {"start": 42, "end": 47, "label": "LOC", "authority_id": "Q90"}]}) + "\n",
        encoding="utf-8")
    import_spans(ws, gold)
    names = tmp_path / "names.csv"
    names.write_text("id,label,type,uri\n"
                     "Q2,Jeanne Martin,PER,\n"
                     "lyon-1,Lyon,LOC,https://archives.example.org/lieux/lyon\n",
                     encoding="utf-8")
    import_authority(ws, names)
    export_entities(ws, "w3c", tmp_path / "e.jsonld", gold=True)
    items = json.loads((tmp_path / "e.jsonld").read_text(encoding="utf-8"))["first"]["items"]
    sources = {a["target"]["selector"][0]["exact"]: a["body"][1]["source"] for a in items}
    assert sources == {"Jeanne Martin": "urn:glamlab:authority:Q2",
                       "Lyon": "https://archives.example.org/lieux/lyon",
                       "Paris": "http://www.wikidata.org/entity/Q90"}


def test_a_wikidata_extract_without_a_uri_column_points_at_wikidata(make_ws, tmp_path):
    """An authority of Wikidata QIDs with no ``uri`` column (a SPARQL extract's ids): the
    annotations link its records to Wikidata, not to a URN; once a record with another
    kind of id comes in, records without a uri are the institution's own (URNs)."""
    from glamlab.actions.entity_export import export_entities
    from glamlab.linking import import_authority

    ws = make_ws(task="entities", modality="text", labels=["PER", "LOC"])
    text = "Jeanne Martin est née à Lyon."
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": "d1", "text": text, "entities": [
        {"start": 0, "end": 13, "label": "PER", "authority_id": "Q2"},
        {"start": 24, "end": 28, "label": "LOC", "authority_id": "Q456"}]}) + "\n",
        encoding="utf-8")
    import_spans(ws, gold)
    names = tmp_path / "wikidata.csv"
    names.write_text("id,label,type\nQ2,Jeanne Martin,PER\nQ456,Lyon,LOC\n", encoding="utf-8")
    import_authority(ws, names)
    export_entities(ws, "w3c", tmp_path / "e.jsonld", gold=True)
    items = json.loads((tmp_path / "e.jsonld").read_text(encoding="utf-8"))["first"]["items"]
    assert {a["body"][1]["source"] for a in items} == {
        "http://www.wikidata.org/entity/Q2", "http://www.wikidata.org/entity/Q456"}
    local = tmp_path / "local.csv"
    local.write_text("id,label,type\nlyon-1,Lyon,LOC\n", encoding="utf-8")
    import_authority(ws, local)
    export_entities(ws, "w3c", tmp_path / "e2.jsonld", gold=True)
    items = json.loads((tmp_path / "e2.jsonld").read_text(encoding="utf-8"))["first"]["items"]
    assert {a["body"][1]["source"] for a in items} == {
        "urn:glamlab:authority:Q2", "urn:glamlab:authority:Q456"}


def test_an_entity_type_the_project_does_not_have_is_refused_not_an_empty_file(gold_ws,
                                                                               tmp_path):
    # `glamlab export --label PERSON` in a PER/LOC/... project wrote an empty file and
    # exited 0: a script took "no people in the collection" for an answer
    from glamlab.actions import ExportFilter
    from glamlab.actions.entity_export import export_entities

    out = tmp_path / "people.csv"
    for label, close in (("PERSON", None), ("per", "PER")):
        with pytest.raises(PolicyError, match=f"no entity type {label!r}") as err:
            export_entities(gold_ws, "csv", out, gold=True, where=ExportFilter(label=label))
        assert "PER, LOC, ORG, PROD, TIME" in (err.value.hint or "")
        assert (f"did you mean {close!r}" in (err.value.hint or "")) == bool(close)
        assert not out.exists()
    result = export_entities(gold_ws, "csv", out, gold=True, where=ExportFilter(label="PER"))
    assert result["rows"] > 0
