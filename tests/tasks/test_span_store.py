"""Gold spans in the store (SQLite, and PostgreSQL with GLAMLAB_TEST_PG): the
all-or-nothing import, reading back, corrections, splits by document."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from glamlab.errors import LabelError
from glamlab.tasks.spans import (
    Span,
    gold_span_sets,
    gold_spans,
    import_spans,
    save_spans,
    span_counts,
    span_data,
    split_spans,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "spans"
NEWSEYE = DATA / "newseye-fr-sample.tsv"
LABELS = ["PER", "LOC", "ORG", "PROD", "TIME"]


def entities_ws(make_ws, name="ws"):
    return make_ws(name, task="entities", modality="text", labels=LABELS)


def counts(ws):
    with ws.store.read() as conn:
        return {t: conn.execute(sa.select(sa.func.count()).select_from(ws.store.t.metadata
                                                                       .tables[t])).scalar()
                for t in ("items", "span_sets", "spans", "splits")}


def write_jsonl(path: Path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def test_hipe_import_creates_items_and_gold(make_ws):
    ws = entities_ws(make_ws)
    report = import_spans(ws, NEWSEYE, split="train")
    assert report.format == "hipe" and report.files == 1
    assert report.created == report.items == ws.count_items() == 10
    gold = gold_spans(ws)
    assert set(gold) == {i.item_id for i in ws.items()}
    item = ws.item("newseye-fr-dev_fr_3-s000")
    assert item.modality == "text" and item.source_kind == "hipe"
    assert item.meta["document_id"] == "dev_fr_3" and item.meta["date"] == "1919-01-15"
    for item_id, spans in gold.items():
        text = ws.item(item_id).text
        for s in spans:
            assert text[s.start:s.end] == s.text and s.layer == "entity"
    linked = [s for spans in gold.values() for s in spans if s.authority_id]
    assert any(s.authority_id == "Q34296" and "Wilson" in (s.text or "") for s in linked)
    assert report.labels == {row["label"]: row["train"] for row in span_counts(ws)["labels"]}
    nested = gold_spans(ws, layer=None)
    assert sum(map(len, nested.values())) >= sum(map(len, gold.values()))
    before = counts(ws)
    again = import_spans(ws, NEWSEYE, split="train")
    assert (again.added, again.unchanged, again.created) == (0, report.items, 0)
    assert counts(ws) == before


def test_bad_spans_import_nothing_and_name_the_lines(make_ws, tmp_path):
    ws = entities_ws(make_ws)
    src = write_jsonl(tmp_path / "bad.jsonl", [
        {"id": "ok", "text": "M. Thiers à Paris.", "entities": [
            {"start": 0, "end": 9, "label": "PER"}]},
        {"id": "outside", "text": "Genève", "entities": [{"start": 0, "end": 9,
                                                         "label": "LOC"}]},
        {"id": "overlap", "text": "Le général Dufour", "entities": [
            {"start": 3, "end": 17, "label": "PER"}, {"start": 11, "end": 17, "label": "PER"}]},
        {"id": "unknown", "text": "Le Rhône", "entities": [{"start": 3, "end": 8,
                                                           "label": "RIVER"}]},
        {"id": "no-text", "entities": []},
    ])
    with pytest.raises(LabelError) as err:
        import_spans(ws, src)
    rows = dict(err.value.rows)
    assert sorted(rows) == [2, 3, 4, 5]
    assert "outside the text" in rows[2]
    assert "overlaps" in rows[3]
    assert "unknown label 'RIVER'" in rows[4]
    assert "does not carry its text" in rows[5]
    assert "nothing imported" in str(err.value) and err.value.hint
    assert counts(ws) == {"items": 0, "span_sets": 0, "spans": 0, "splits": 0}


def test_import_labels_on_an_entities_project_points_to_import_spans(make_ws, tmp_path):
    """From Python, ``import_labels`` (the README's example) read a span file as a CSV and
    said "no column 'id' (columns: <the file's first JSON line>)". It now says that an
    entities project's labels are spans and which function imports them; the spans
    import as before."""
    from glamlab.tasks import import_labels

    ws = make_ws("ner", task="ner", kind="entities", modality="text", labels=LABELS,
                 metric="strict_micro_f1")
    src = write_jsonl(tmp_path / "gold.jsonl", [
        {"id": "s1", "text": "M. Thiers à Paris.", "entities": [
            {"start": 0, "end": 9, "label": "PER"}]}])
    with pytest.raises(LabelError) as err:
        import_labels(ws, src)
    assert "gold.jsonl" in str(err.value) and "entities project" in str(err.value)
    assert "import_spans" in err.value.hint and "columns" not in str(err.value)
    assert counts(ws) == {"items": 0, "span_sets": 0, "spans": 0, "splits": 0}
    assert import_spans(ws, src, split="train").spans == 1


def test_spans_on_existing_items_must_match_their_text(make_ws, tmp_path):
    ws = entities_ws(make_ws)
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "a.txt").write_text("M. Thiers à Paris.", encoding="utf-8")
    (tmp_path / "texts" / "b.txt").write_text("Rien ici.", encoding="utf-8")
    ws.ingest([tmp_path / "texts"])
    good = write_jsonl(tmp_path / "good.jsonl", [
        {"id": "a", "entities": [{"start": 0, "end": 9, "label": "PER"},
                                 {"start": 12, "end": 17, "label": "LOC", "text": "Paris"}]},
        {"id": "b", "text": "Rien ici.", "entities": []}])
    report = import_spans(ws, good, split="test")
    assert (report.items, report.created, report.spans) == (2, 0, 2)
    assert gold_spans(ws)["b"] == []  # labelled, no entity
    mismatch = write_jsonl(tmp_path / "mismatch.jsonl", [
        {"id": "a", "text": "M. Thiers a Paris.", "entities": []},
        {"id": "b", "entities": [{"start": 0, "end": 4, "label": "LOC", "text": "Rien"}]},
        {"id": "zzz", "entities": []}])
    before = counts(ws)
    with pytest.raises(LabelError) as err:
        import_spans(ws, mismatch, replace=True)
    rows = dict(err.value.rows)
    assert "does not match the item's text (at character 10" in rows[1]
    assert "zzz: no such item" in rows[3]
    assert 2 not in rows
    assert counts(ws) == before


def test_conflicts_replace_and_review_corrections(make_ws, tmp_path):
    ws = entities_ws(make_ws)
    first = write_jsonl(tmp_path / "one.jsonl", [
        {"id": "a", "text": "M. Thiers à Paris.", "entities": [
            {"start": 0, "end": 9, "label": "PER"}]}])
    import_spans(ws, first, annotator="alice")
    second = write_jsonl(tmp_path / "two.jsonl", [
        {"id": "a", "text": "M. Thiers à Paris.", "entities": [
            {"start": 0, "end": 9, "label": "PER"}, {"start": 12, "end": 17, "label": "LOC"}]}])
    with pytest.raises(LabelError, match="conflicts with the 1 spans 'alice' gave before"):
        import_spans(ws, second, annotator="alice")
    report = import_spans(ws, second, annotator="alice", replace=True)
    assert report.replaced == 1
    assert [s.label for s in gold_spans(ws)["a"]] == ["PER", "LOC"]
    # another annotator's import is kept alongside (agreement), and the latest wins
    import_spans(ws, first, annotator="bob")
    assert [s.label for s in gold_spans(ws)["a"]] == ["PER"]
    # a reviewer's correction becomes the gold
    save_spans(ws, "a", [Span(3, 9, "PER", authority_id="Q7173")], annotator="carol")
    gold = gold_spans(ws)["a"]
    assert [(s.start, s.end, s.text, s.authority_id) for s in gold] == [(3, 9, "Thiers",
                                                                         "Q7173")]
    history = gold_span_sets(ws, "a")
    assert [h["annotator"] for h in history] == ["carol", "bob", "alice"]
    with pytest.raises(LabelError, match="outside the text") as err:
        save_spans(ws, "a", [Span(3, 99, "PER")], annotator="carol")
    assert err.value.item == "a"


def test_split_by_document_and_frozen_test_split(make_ws):
    from glamlab.tasks.splits import test_data  # noqa: F401 - the freeze reader

    ws = entities_ws(make_ws)
    import_spans(ws, NEWSEYE)
    result = split_spans(ws, test_size=0.34, seed=1)
    assert result["groups"] == 3 and result["ungrouped"] == 0
    train, test = span_data(ws, "train"), span_data(ws, "test")
    docs_train = {i.meta["document_id"] for i in train.items}
    docs_test = {i.meta["document_id"] for i in test.items}
    assert docs_train and docs_test and not docs_train & docs_test
    assert len(train) + len(test) == ws.count_items()
    assert all(isinstance(s, Span) for spans in train.spans for s in spans)
    # freeze the split as an evaluation does; moving items across it is refused
    with ws.store.write() as conn:
        ws.store.audit(conn, "glamlab", "split.freeze", "fp", reader="evaluate")
    some = test.items[0].item_id
    text = test.items[0].text
    src = Path(ws.root) / "move.jsonl"
    write_jsonl(src, [{"id": some, "text": text, "entities": []}])
    with pytest.raises(LabelError, match="would leave the frozen test split"):
        import_spans(ws, src, split="train", annotator="eve")
    with pytest.raises(LabelError, match="frozen"):
        split_spans(ws)


def test_an_import_into_no_split_after_the_freeze_says_it_trains_nothing(make_ws):
    # a reviewer's corrections sent back as JSONL without --split: counted as imported,
    # yet no training would ever read them, and nothing said so
    ws = entities_ws(make_ws)
    import_spans(ws, NEWSEYE)
    split_spans(ws, test_size=0.34, seed=1)
    with ws.store.write() as conn:
        ws.store.audit(conn, "glamlab", "split.freeze", "fp", reader="evaluate")
    src = write_jsonl(Path(ws.root) / "fix.jsonl", [
        {"id": "late", "text": "Vive Paris.", "entities": [
            {"start": 5, "end": 10, "label": "LOC"}]}])
    report = import_spans(ws, src, annotator="maria")
    assert report.unsplit == 1
    assert "it is in no split, so no training reads it" in report.summary()
    assert "--split train" in report.summary()
    again = import_spans(ws, src, annotator="maria", split="train")
    assert again.unsplit == 0 and "no split" not in again.summary()


def test_an_empty_span_file_is_named_empty(make_ws, tmp_path):
    # it used to be "not a span file glamlab reads", fix "give the format with
    # format=...": giving --format hipe then only led to another error
    ws = entities_ws(make_ws)
    empty = tmp_path / "gold.tsv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(LabelError, match="gold.tsv: the file is empty") as err:
        import_spans(ws, empty)
    assert "complete file" in (err.value.hint or "")
    junk = tmp_path / "notes.txt"
    junk.write_text("hello\tworld\n", encoding="utf-8")
    with pytest.raises(LabelError, match="not a span file") as err:
        import_spans(ws, junk)
    assert "format='hipe', 'jsonl' or 'webanno'" in (err.value.hint or "")  # Python's words
    assert ws.count_items() == 0


def test_a_document_already_ingested_under_its_own_id_is_named(make_ws, tmp_path):
    # the archive's texts ingested first under their document ids, then HIPE gold for some
    # of them: the import made a second item of each (DATASET-LANG-DOCUMENT_ID) without a
    # word, and trends, run and exports counted every such text twice
    ws = entities_ws(make_ws)
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "dev_fr_3.txt").write_text("Le texte du journal.", encoding="utf-8")
    (tmp_path / "texts" / "other.txt").write_text("Un autre.", encoding="utf-8")
    ws.ingest([tmp_path / "texts"])
    report = import_spans(ws, NEWSEYE)
    assert report.twins == [["dev_fr_3", "newseye-fr-dev_fr_3-s000"]]
    summary = report.summary()
    assert "1 document of the file is already here as an item under its own id" in summary
    assert "'dev_fr_3', now also 'newseye-fr-dev_fr_3-s000'" in summary
    assert import_spans(ws, NEWSEYE).twins == []  # nothing created the second time


def test_a_document_ingested_after_its_gold_was_imported_is_named(make_ws, tmp_path):
    # the other order: HIPE gold imported first (items DATASET-LANG-DOCUMENT_ID-sNNN), then
    # the archive's texts under their document ids: the ingest made a second copy of each
    # without a word
    ws = entities_ws(make_ws)
    import_spans(ws, NEWSEYE)
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "dev_fr_3.txt").write_text("Le texte du journal.", encoding="utf-8")
    (tmp_path / "texts" / "other.txt").write_text("Un autre.", encoding="utf-8")
    report = ws.ingest([tmp_path / "texts"])
    assert report.added == 2
    said = [w for w in report.warnings if "gold span import" in w]
    assert len(said) == 1, report.warnings
    assert said[0].startswith("1 text brought in is already here as the items of a gold "
                              "span import"), said
    assert "'dev_fr_3' is also 'newseye-fr-dev_fr_3-s000', from newseye-fr-sample.tsv" \
        in said[0], said
    assert "--where document_id=dev_fr_3" in said[0]
    assert not [w for w in ws.ingest([tmp_path / "texts"]).warnings
                if "gold span import" in w]  # nothing new the second time


def _hipe(docs: list[tuple[str, list[tuple[str, str]]]]) -> str:
    """A small HIPE TSV: one document per (document id, [(token, coarse tag)])."""
    out = ["TOKEN\tNE-COARSE-LIT\tNE-COARSE-METO\tNE-FINE-LIT\tNE-FINE-METO\tNE-FINE-COMP"
           "\tNE-NESTED\tNEL-LIT\tNEL-METO\tMISC"]
    for doc_id, tokens in docs:
        out += [f"# hipe2022:document_id = {doc_id}", "# hipe2022:language = fr",
                "# hipe2022:dataset = newseye"]
        out += [f"{tok}\t{tag}\t_\t_\t_\t_\t_\t_\t_\t_" for tok, tag in tokens]
    return "\n".join(out) + "\n"


def test_an_i_tag_continuing_nothing_and_a_repeated_document_are_said(make_ws, tmp_path):
    # an I- with no B- before it, and one document given twice the same, were read
    # without a word; the rest of the file is imported, each is said with its line
    ws = entities_ws(make_ws)
    paris = [("A", "O"), ("Paris", "B-LOC"), ("hier", "O"), ("Victor", "I-PER"),
             ("Hugo", "I-PER"), ("parla", "O")]
    lyon = [("Lyon", "B-LOC"), ("dort", "O")]
    path = tmp_path / "gold.tsv"
    path.write_text(_hipe([("d1", paris), ("d2", lyon), ("d1", paris)]), encoding="utf-8")
    report = import_spans(ws, path, segment="document")
    assert report.items == 2 and report.spans == 3  # Paris, Victor Hugo, Lyon
    assert len(report.warnings) == 2, report.warnings
    orphan, twice = report.warnings
    assert orphan.startswith("2 entities begin with an I- tag that continues no entity "
                             "(lines 8, 22; the first, line 8: 'I-PER' after 'O'"), orphan
    assert "read as an entity starting there" in orphan
    assert twice.startswith("1 document is in the file more than once, the same each time "
                            "(e.g. 'd1' at line 2 and again at line 16): read once"), twice
    assert "warning: 2 entities begin" in report.summary()
    assert report.to_dict()["warnings"] == report.warnings


def test_stale_spans_after_the_text_changes(make_ws, tmp_path):
    ws = entities_ws(make_ws)
    (tmp_path / "t").mkdir()
    page = tmp_path / "t" / "p.txt"
    page.write_text("Vive Paris.", encoding="utf-8")
    ws.ingest([tmp_path / "t"])
    import_spans(ws, write_jsonl(tmp_path / "s.jsonl", [
        {"id": "p", "entities": [{"start": 5, "end": 10, "label": "LOC"}]}]), split="train")
    assert len(span_data(ws).items) == 1
    page.write_text("Vive Lyon!", encoding="utf-8")
    ws.ingest([tmp_path / "t"])
    data = span_data(ws)
    assert data.items == [] and data.stale == ["p"]


def test_inception_project_export_folder(make_ws, tmp_path):
    """INCEpTION's project export keeps annotation/<document>/<user>.tsv: each user's
    annotation is stored as that user's, and the document is one item."""
    ws = make_ws(task="entities", modality="text", labels=["PER", "LOC", "ORG"])
    root = tmp_path / "export" / "annotation" / "kafka.txt"
    root.mkdir(parents=True)
    shutil.copy(DATA / "inception" / "kafka-process-excerpt.tsv", root / "anna.tsv")
    shutil.copy(DATA / "inception" / "kafka-process-excerpt.tsv", root / "ben.tsv")
    report = import_spans(ws, tmp_path / "export", split="train")
    assert (report.format, report.files, report.items, report.added) == ("webanno", 2, 1, 2)
    assert ws.item("kafka").text.startswith("_ Verhaftung")
    assert [h["annotator"] for h in gold_span_sets(ws, "kafka")] == ["ben", "anna"]
    assert len(gold_spans(ws)["kafka"]) == 22


def test_stacked_inception_annotations_are_refused(make_ws):
    ws = make_ws(task="entities", modality="text", labels=["ORG", "ORGpart"])
    with pytest.raises(LabelError) as err:
        import_spans(ws, DATA / "inception" / "stacked-ner.tsv")
    assert err.value.rows[0][0] == 13 and "overlaps" in err.value.rows[0][1]
    assert ws.count_items() == 0


def test_a_bad_hipe_file_imports_nothing(make_ws, tmp_path):
    ws = entities_ws(make_ws)
    lines = NEWSEYE.read_text(encoding="utf-8").split("\n")
    bad_at = next(i for i, line in enumerate(lines) if line.startswith("Genève\tB-LOC"))
    lines[bad_at] = lines[bad_at].replace("B-LOC", "B-VILLE", 1)
    lines.insert(bad_at + 3, "trop\tO")
    src = tmp_path / "newseye-fr.tsv"
    src.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(LabelError) as err:
        import_spans(ws, src, split="train")
    assert [n for n, _ in err.value.rows] == [bad_at + 1, bad_at + 4]
    assert "unknown NE-COARSE-LIT type 'VILLE'" in err.value.rows[0][1]
    assert "2 tab-separated columns, not 10" in err.value.rows[1][1]
    assert counts(ws) == {"items": 0, "span_sets": 0, "spans": 0, "splits": 0}


def test_nul_characters_are_removed_from_imported_texts_with_the_offsets_moved(make_ws,
                                                                               tmp_path):
    """NUL (which PostgreSQL cannot store) leaves an imported text as it leaves an ingested
    one, and every entity still covers its words: the same items and spans on both
    stores, the text matching its spans (not stale), and a second import unchanged."""
    ws = entities_ws(make_ws)
    src = write_jsonl(tmp_path / "nul.jsonl", [
        {"id": "a", "text": "M.\x00 Thi\x00ers à Par\x00is\x00.", "place": "Gen\x00ève",
         "entities": [{"start": 0, "end": 11, "label": "PER", "text": "M.\x00 Thi\x00ers"},
                      {"start": 14, "end": 21, "label": "LOC", "authority_id": "Q9\x0000"}]},
        {"id": "b", "text": "Rien ici.", "entities": []}])
    report = import_spans(ws, src, split="train")
    assert (report.items, report.created, report.spans, report.nul_cleaned) == (2, 2, 2, 1)
    assert "NUL characters (\\x00) removed from the text of 1 item" in report.summary()
    item = ws.item("a")
    assert item.text == "M. Thiers à Paris."
    assert item.meta["place"] == "Genève" and "NUL" in item.meta["ingest_note"]
    spans = gold_spans(ws)["a"]
    assert [(item.text[s.start:s.end], s.label, s.authority_id) for s in spans] == [
        ("M. Thiers", "PER", None), ("Paris", "LOC", "Q900")]
    data = span_data(ws, "train")
    assert data.stale == [] and len(data) == 2
    again = import_spans(ws, src)
    assert (again.unchanged, again.added) == (2, 0)


def test_a_span_on_nothing_but_nul_is_named_and_nothing_is_imported(make_ws, tmp_path):
    ws = entities_ws(make_ws)
    src = write_jsonl(tmp_path / "nul.jsonl", [
        {"id": "ok", "text": "Paris", "entities": [{"start": 0, "end": 5, "label": "LOC"}]},
        {"id": "only-nul", "text": "Le \x00\x00 Rhône",
         "entities": [{"start": 3, "end": 5, "label": "LOC"}]}])
    with pytest.raises(LabelError) as err:
        import_spans(ws, src)
    assert [n for n, _ in err.value.rows] == [2]
    assert "only-nul: span 3-5 LOC covers nothing but NUL" in err.value.rows[0][1]
    assert counts(ws) == {"items": 0, "span_sets": 0, "spans": 0, "splits": 0}


def test_nul_in_hipe_tokens_is_removed(make_ws, tmp_path):
    ws = entities_ws(make_ws)
    lines = NEWSEYE.read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("Genève\tB-LOC"))
    lines[at] = "Gen\x00ève" + lines[at][len("Genève"):]
    src = tmp_path / "newseye-fr.tsv"
    src.write_text("\n".join(lines), encoding="utf-8")
    report = import_spans(ws, src, split="train")
    assert report.nul_cleaned == 1 and report.created == 10
    texts = {i.item_id: i.text for i in ws.items()}
    assert not any("\x00" in t for t in texts.values())
    found = [t[s.start:s.end] for i, spans in gold_spans(ws).items() for s in spans
             for t in [texts[i]] if "Genève" in t[s.start:s.end]]
    assert found


def test_a_person_s_span_with_nul_is_refused_naming_it(make_ws, tmp_path):
    ws = entities_ws(make_ws)
    src = write_jsonl(tmp_path / "a.jsonl", [{"id": "a", "text": "Paris", "entities": []}])
    import_spans(ws, src)
    with pytest.raises(LabelError) as err:
        save_spans(ws, "a", [Span(0, 5, "LOC", authority_id="Q\x0090")], annotator="maria")
    assert "authority id holds NUL characters" in str(err.value)
    assert gold_spans(ws)["a"] == []


def test_gold_fits_the_text_by_one_definition_everywhere(make_ws, tmp_path):
    """Whether a text's gold spans were made on its words now is one definition, the
    SQL clause the queue and training use (glamlab.store.queue.span_gold_fits); what a
    person's next gold set builds on (gold_to_build_on), the spans people saved
    (saved_spans) and span_data ask it (fitting_span_sets) rather than comparing text
    hashes of their own. Each case a text's gold goes through, and every reader of it
    says the same: unchanged, re-ingested with other words, ingested again with its
    earlier words, its "whole text checked" on the new words taken back, a linking
    result (a span set of another kind) made on the new words, and the same words
    ingested again (no new version)."""
    from glamlab.store.queue import changed_span_gold_items, fitting_span_sets
    from glamlab.tasks.spans.complete import mark_text_done, unmark_text_done
    from glamlab.tasks.spans.gold import (
        PREDICTION,
        _active_sets,
        gold_to_build_on,
        record_spans,
    )
    from glamlab.tasks.spans.saved import saved_spans
    from glamlab.tasks.splits import training_data

    ws = make_ws("ws", task="entities", kind="entities", modality="text", labels=LABELS,
                 metric="strict_micro_f1")
    folder = tmp_path / "t"
    folder.mkdir()
    before, after = "Vive Paris et Lyon.", "Vive Parme et Lyon!"  # Paris gone, Lyon moved
    cases = ("unchanged", "other_words", "words_back", "withdrawn", "linked", "same_again")
    for name in cases:
        (folder / f"{name}.txt").write_text(before, encoding="utf-8")
    ws.ingest([folder])
    import_spans(ws, write_jsonl(tmp_path / "s.jsonl", [
        {"id": name, "entities": [{"start": 5, "end": 10, "label": "LOC"},
                                  {"start": 14, "end": 18, "label": "LOC"}]}
        for name in cases]), split="train")
    for name in ("other_words", "words_back", "withdrawn", "linked"):
        (folder / f"{name}.txt").write_text(after, encoding="utf-8")
    ws.ingest([folder])
    assert mark_text_done(ws, "withdrawn", user="rey")["earlier_gold"] is not None
    unmark_text_done(ws, "withdrawn", user="rey")
    with ws.store.write() as conn:
        record_spans(conn, ws, "linked", after, [Span(13, 17, "LOC")],
                     annotator="linker:test", source="glamlab link", kind=PREDICTION)
    (folder / "words_back.txt").write_text(before, encoding="utf-8")
    ws.ingest([folder])  # a third version, with the first one's words
    assert ws.ingest([folder]).unchanged == len(cases)  # same words: no new version
    assert len(ws.item_versions("words_back")) == 3 and len(ws.item_versions("same_again")) == 1
    expected = {"unchanged": True, "other_words": False, "words_back": True,
                "withdrawn": False, "linked": False, "same_again": True}
    data = span_data(ws, "train")
    with ws.store.read() as conn:
        latest = _active_sets(conn, ws, list(cases))
        fits = fitting_span_sets(conn, [r.id for r in latest.values()])
        changed = changed_span_gold_items(conn, list(cases))
        built = {name: gold_to_build_on(conn, ws, name, ws.item(name).text) for name in cases}
        saved = saved_spans(ws, conn, list(cases))
    train = training_data(ws)
    for name in cases:
        says = {
            "fitting_span_sets": int(latest[name].id) in fits,
            "changed_span_gold": name not in changed,
            "gold_to_build_on": not built[name].changed,
            "span_data": name not in data.stale,
            "training_data": name not in train.changed,
        }
        assert set(says.values()) == {expected[name]}, (name, says)
        text = ws.item(name).text
        # what builds on the gold, and what people saved, lie on the words of the text now
        assert all(text[s.start:s.end] == s.text for s in built[name].spans), name
        assert all(text[s.span.start:s.span.end] in ("Paris", "Lyon") for s in saved[name])
        assert len(built[name].spans) == (2 if expected[name] else 1), name


def _inception_round_trip_folder(ws, folder):
    from glamlab.actions.entity_export import iter_gold_rows, write_inception_folder

    write_inception_folder(iter_gold_rows(ws), folder)
    return folder


def test_an_inception_folder_imports_back_unchanged_and_edits_update_it(make_ws, tmp_path):
    ws = entities_ws(make_ws)
    import_spans(ws, write_jsonl(tmp_path / "gold.jsonl", [
        {"id": "a", "text": "Le maire de Paris à Lyon.", "entities": [
            {"start": 0, "end": 17, "label": "PER"},
            {"start": 12, "end": 17, "label": "LOC", "layer": "nested"},
            {"start": 20, "end": 24, "label": "LOC", "authority_id": "Q456"}]},
        {"id": "b", "text": "Rien ici.", "entities": []}]))
    import_spans(ws, NEWSEYE)
    all_layers = gold_spans(ws, layer=None)
    assert any(s.layer != "entity" for spans in all_layers.values() for s in spans)
    folder = _inception_round_trip_folder(ws, tmp_path / "incep")
    before = counts(ws)
    # as written, and (INCEpTION's own export, no index.tsv) read back by its content
    again = import_spans(ws, folder, format="webanno")
    assert (again.added, again.unchanged, again.updates) == (0, again.items, [])
    bare = tmp_path / "bare"
    shutil.copytree(folder, bare)
    (bare / "index.tsv").unlink()
    again = import_spans(ws, bare, format="webanno")
    assert (again.added, again.unchanged, again.spans) == (0, again.items, 0)
    assert counts(ws) == before
    # one span's type edited in INCEpTION: that item is updated, its nested spans kept
    item_id, spans = "a", gold_spans(ws)["a"]
    loc = next(s for s in spans if s.label == "LOC")
    path = folder / f"{item_id}.tsv"
    lines = path.read_text(encoding="utf-8").split("\n")
    at = next(i for i, line in enumerate(lines)
              if line.split("\t")[1:2] and line.split("\t")[1].startswith(f"{loc.start}-"))
    cells = lines[at].split("\t")
    cells[4] = cells[4].replace("LOC", "ORG")
    lines[at] = "\t".join(cells)
    path.write_text("\n".join(lines), encoding="utf-8")
    edited = import_spans(ws, folder, format="webanno")
    assert edited.updates == [{"item_id": item_id, "changed": 1, "added": 0, "removed": 0}]
    assert edited.unchanged == edited.items - 1
    assert "1 item updated (1 changed, 0 added, 0 removed spans)" in edited.summary()
    now = gold_spans(ws, layer=None)[item_id]
    assert sorted((s.start, s.end, s.label, s.layer) for s in now) == sorted(
        (s.start, s.end, "ORG" if s.key == loc.key else s.label, s.layer)
        for s in all_layers[item_id])
    assert import_spans(ws, folder, format="webanno").updates == []


def test_a_reviewer_s_spans_imported_back_are_not_added_again(make_ws, tmp_path):
    ws = entities_ws(make_ws)
    doc = write_jsonl(tmp_path / "one.jsonl", [
        {"id": "a", "text": "M. Thiers à Paris.", "entities": []}])
    import_spans(ws, doc)
    save_spans(ws, "a", [Span(3, 9, "PER")], annotator="bob")
    folder = _inception_round_trip_folder(ws, tmp_path / "incep")
    before = counts(ws)
    one = import_spans(ws, folder / "a.tsv", format="webanno")
    assert (one.added, one.unchanged) == (0, 1)
    assert counts(ws) == before


def test_an_unchanged_inception_folder_never_moves_a_frozen_test_split(make_ws, tmp_path):
    """Importing glamlab's own INCEpTION export back unchanged (with ``split``) leaves
    every item's split as it was: a frozen test split keeps all its items."""
    from glamlab.tasks.splits import split_of, test_data  # noqa: F401 - the freeze reader

    ws = entities_ws(make_ws)
    import_spans(ws, NEWSEYE)
    split_spans(ws, test_size=0.34, seed=1)
    test_ids = [i.item_id for i in span_data(ws, "test").items]
    assert test_ids
    with ws.store.write() as conn:
        ws.store.audit(conn, "glamlab", "split.freeze", "fp", reader="evaluate")
    ids = [i.item_id for i in ws.items()]
    before = split_of(ws, ids)
    folder = _inception_round_trip_folder(ws, tmp_path / "incep")
    again = import_spans(ws, folder, split="train")
    assert again.added == 0 and again.kept_split == again.items
    assert "no item was put in the train split" in again.summary()
    assert split_of(ws, ids) == before
    assert [i.item_id for i in span_data(ws, "test").items] == test_ids
    # a file edited since (an item of the test split) still may not leave it
    edited = folder / f"{test_ids[0]}.tsv"
    edited.write_text(edited.read_text(encoding="utf-8").replace("\tPER", "\tLOC", 1)
                      .replace("\tLOC", "\tORG", 1), encoding="utf-8")
    with pytest.raises(LabelError, match="would leave the frozen test split"):
        import_spans(ws, folder, split="train")
    assert split_of(ws, ids) == before
