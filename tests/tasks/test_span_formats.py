"""Span file formats: HIPE TSV, JSONL and WebAnno TSV 3.3 (read, and WebAnno written back),
on real files: NewsEye rows of the shared HIPE data and INCEpTION's own exports."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from glamlab.tasks.spans import Span, check_spans
from glamlab.tasks.spans.hipe import read_hipe
from glamlab.tasks.spans.jsonl import read_jsonl
from glamlab.tasks.spans.webanno import (
    escape_value,
    read_webanno,
    unescape_value,
    write_webanno,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "spans"
NEWSEYE = DATA / "newseye-fr-sample.tsv"
INCEPTION = DATA / "inception"


# -- HIPE ---------------------------------------------------------------------------------
def test_hipe_sentences_text_spans_links_and_metadata():
    problems: list[tuple[int, str]] = []
    docs = list(read_hipe(NEWSEYE, problems=problems))
    assert problems == []
    assert {d.meta["document_id"] for d in docs} == {"dev_fr_27", "dev_fr_3", "dev_fr_18"}
    first = docs[0]
    assert first.item_id == "newseye-fr-dev_fr_27-s000"
    assert first.meta["dataset"] == "newseye" and first.meta["lang"] == "fr"
    assert "date" not in first.meta  # NA
    assert first.meta["publication"] == "Marie-Claire"
    assert first.meta["license"] == "CC-BY 4.0"
    # "Aujourd" + NoSpaceAfter + "'" + NoSpaceAfter + "hui": joined
    assert first.text.startswith("Valeur du franc : Hier Aujourd'huiA New-York....")
    ferry = [d for d in docs if d.meta["document_id"] == "dev_fr_18"]
    assert ferry[0].text.startswith("M. Jules Ferry, président du conseil.")
    assert any("je me suis pro¬posé" in d.text for d in ferry)  # hyphenation kept
    for d in docs:
        assert check_spans(d.text, d.spans) == [] or any(s.layer != "entity" for s in d.spans)
        for s in d.spans:
            assert d.text[s.start:s.end] == s.text
    entities = [s for d in docs for s in d.spans if s.layer == "entity"]
    assert {s.label for s in entities} <= {"PER", "LOC", "ORG", "PROD"}
    linked = [s for s in entities if s.authority_id and s.authority_id.startswith("Q")]
    assert linked and any(s.authority_id == "NIL" for s in entities)
    dated = [d for d in docs if d.meta["document_id"] == "dev_fr_3"]
    assert dated[0].meta["date"] == "1919-01-15"


def test_hipe_document_segment_keeps_line_breaks():
    docs = list(read_hipe(NEWSEYE, segment="document"))
    assert [d.item_id for d in docs] == ["newseye-fr-dev_fr_27", "newseye-fr-dev_fr_3",
                                         "newseye-fr-dev_fr_18"]
    text = docs[2].text
    assert "je me suis pro¬\nposé" in text  # EndOfLine: the OCR's line break
    sentences = [d for d in read_hipe(NEWSEYE) if d.meta["document_id"] == "dev_fr_18"]
    assert "".join("".join(s.text.split()) for s in sentences) == "".join(text.split())


def _hash_token_sentences(tsv: Path) -> set[str]:
    """Sentence ids whose tokens include one starting with '#': the builder of the shared
    labels.csv read those lines as comments."""
    out = set()
    docs = {}
    for d in read_hipe(tsv):
        docs[d.item_id] = d
    lines = tsv.read_text(encoding="utf-8").split("\n")
    hash_lines = {n for n, line in enumerate(lines, start=1)
                  if line.startswith("#") and line.count("\t") == 9}
    ordered = sorted(docs.values(), key=lambda d: d.line)
    for i, d in enumerate(ordered):
        end = ordered[i + 1].line if i + 1 < len(ordered) else len(lines) + 1
        if any(d.line <= n < end for n in hash_lines):
            out.add(d.item_id)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("split", ["dev", "train"])
def test_hipe_rebuilds_the_shared_labels_csv(shared_data, split):
    """Every sentence of the shared labels.csv comes back with the same id, text and
    literal coarse entities, with three documented differences: tokens starting with '#'
    (read as comments by the builder of labels.csv), and entities cut by a sentence
    boundary or changing type mid-way (kept, as the HIPE scorer reads the BIO tags)."""
    root = shared_data / "ner" / split
    with open(root / "labels.csv", encoding="utf-8", newline="") as fh:
        rows = {r["id"]: r for r in csv.DictReader(fh)}
    seen: set[str] = set()
    differing_text: set[str] = set()
    hash_sentences: set[str] = set()
    other_span_differences = 0
    for tsv in sorted((root / "iob").glob("*.tsv")):
        problems: list[tuple[int, str]] = []
        hash_sentences |= _hash_token_sentences(tsv)
        for d in read_hipe(tsv, problems=problems):
            row = rows[d.item_id]
            seen.add(d.item_id)
            assert row["lang"] == d.meta["lang"] and row["document_id"] == d.meta["document_id"]
            if row["path_or_text"] != d.text:
                differing_text.add(d.item_id)
                continue
            gold = sorted((e["start"], e["end"], e["type"]) for e in json.loads(row["label"]))
            mine = [s for s in d.spans if s.layer == "entity"]
            kept = sorted((s.start, s.end, s.label) for s in mine
                          if not s.attrs.get("continued"))
            if gold != kept:
                # a type change inside an entity (I-pers after I-loc): labels.csv glued
                # them, the HIPE scorer splits them; or a lone I- after O
                gold_starts = {g[0] for g in gold}
                assert all(g in kept or g[0] in gold_starts for g in gold)
                other_span_differences += 1
        assert problems == []
    assert seen == set(rows)
    assert differing_text <= hash_sentences
    assert len(differing_text) <= 15
    assert other_span_differences <= 15


def test_hipe_bad_lines_are_reported_with_their_numbers(tmp_path):
    src = tmp_path / "bad-fr.tsv"
    src.write_text(
        "TOKEN\tNE-COARSE-LIT\tNE-COARSE-METO\tNE-FINE-LIT\tNE-FINE-METO\tNE-FINE-COMP\t"
        "NE-NESTED\tNEL-LIT\tNEL-METO\tMISC\n"
        "Paris\tB-loc\tO\tO\tO\tO\tO\tQ90\t_\t_\n"  # line 2: before any document
        "# hipe2022:document_id = d1\n"
        "# hipe2022:dataset = newseye\n"
        "# hipe2022:language = fr\n"
        "Paris\tB-loc\tO\tO\tO\tO\tO\tQ90\t_\t_\n"
        "est\tX-loc\tO\tO\tO\tO\tO\t_\t_\t_\n"  # line 7: not a BIO tag
        "beau\tB-animal\tO\tO\tO\tO\tO\t_\t_\t_\n"  # line 8: unknown type
        "trop\tO\tO\n",  # line 9: three columns
        encoding="utf-8")
    problems: list[tuple[int, str]] = []
    docs = list(read_hipe(src, problems=problems))
    assert [n for n, _ in sorted(problems)] == [2, 7, 8, 9]
    assert "not O, B-TYPE or I-TYPE" in dict(problems)[7]
    assert "unknown NE-COARSE-LIT type 'animal'" in dict(problems)[8]
    assert docs[0].text == "Paris est beau"


def test_hipe_and_webanno_read_nil_in_any_case_as_nil(tmp_path):
    """``nil`` or ``Nil`` in a file's link column is NIL, the one spelling stored, as the
    page, the API and JSONL read it (before: HIPE and WebAnno kept it as a record id
    ``nil``, which no authority file has); spaces around an id are dropped."""
    hipe = tmp_path / "links-fr.tsv"
    hipe.write_text(
        "TOKEN\tNE-COARSE-LIT\tNE-COARSE-METO\tNE-FINE-LIT\tNE-FINE-METO\tNE-FINE-COMP\t"
        "NE-NESTED\tNEL-LIT\tNEL-METO\tMISC\n"
        "# hipe2022:document_id = d1\n"
        "# hipe2022:dataset = newseye\n"
        "# hipe2022:language = fr\n"
        "Paris\tB-loc\tB-org\tO\tO\tO\tO\tnil\tNil\t_\n"
        "et\tO\tO\tO\tO\tO\tO\t_\t_\t_\n"
        "Lyon\tB-loc\tO\tO\tO\tO\tO\tQ456\t_\t_\n"
        "et\tO\tO\tO\tO\tO\tO\t_\t_\t_\n"
        "Metz\tB-loc\tO\tO\tO\tO\tO\tNIL\t_\tEndOfSentence\n",
        encoding="utf-8")
    problems: list[tuple[int, str]] = []
    [doc] = read_hipe(hipe, problems=problems)
    assert not problems
    assert [(s.text, s.layer, s.authority_id) for s in doc.spans] == [
        ("Paris", "entity", "NIL"), ("Lyon", "entity", "Q456"), ("Metz", "entity", "NIL"),
        ("Paris", "metonymic", "NIL")]
    webanno = tmp_path / "links.tsv"
    webanno.write_text(
        "#FORMAT=WebAnno TSV 3.3\n"
        "#T_SP=de.tudarmstadt.ukp.dkpro.core.api.ner.type.NamedEntity|identifier|value\n\n\n"
        "#Text=Paris et Lyon et Metz\n"
        "1-1\t0-5\tParis\tnil\tLOC\t\n1-2\t6-8\tet\t_\t_\t\n"
        "1-3\t9-13\tLyon\tQ456\tLOC\t\n1-4\t14-16\tet\t_\t_\t\n"
        "1-5\t17-21\tMetz\tNiL\tLOC\t\n", encoding="utf-8")
    [doc] = read_webanno(webanno, problems=problems)
    assert not problems
    assert [(s.text, s.authority_id) for s in doc.spans] == [
        ("Paris", "NIL"), ("Lyon", "Q456"), ("Metz", "NIL")]


def test_hipe_says_which_of_dataset_and_language_is_missing_and_the_fix(make_ws, tmp_path):
    from glamlab.errors import LabelError
    from glamlab.tasks.spans import import_spans

    header = ("TOKEN\tNE-COARSE-LIT\tNE-COARSE-METO\tNE-FINE-LIT\tNE-FINE-METO\t"
              "NE-FINE-COMP\tNE-NESTED\tNEL-LIT\tNEL-METO\tMISC\n")
    token = "Paris\tB-loc\tO\tO\tO\tO\tO\tQ90\t_\t_\n"
    src = tmp_path / "fr-train10.tsv"  # not DATASET-LANG.tsv: the language is in it
    src.write_text(header + "# hipe2022:document_id = d1\n# hipe2022:language = fr\n" + token,
                   encoding="utf-8")
    ws = make_ws(task="entities", modality="text", labels=["PER", "LOC"])
    with pytest.raises(LabelError) as err:
        import_spans(ws, src)
    message = str(err.value)
    assert "document 'd1': no dataset," in message and "no language" not in message
    assert "'fr-train10.tsv' is not DATASET-LANG.tsv" in message
    assert "add a '# dataset = NAME' line" in message and "name the file NAME-fr.tsv" in message
    # both missing: both said
    bare = tmp_path / "bare.tsv"
    bare.write_text(header + "# hipe2022:document_id = d2\n" + token, encoding="utf-8")
    problems: list[tuple[int, str]] = []
    assert list(read_hipe(bare, problems=problems)) == []
    assert "no dataset and no language" in problems[0][1]
    assert "'# dataset = NAME' and '# language = fr' lines" in problems[0][1]
    # a DATASET-LANG.tsv name gives both
    named = tmp_path / "newseye-fr.tsv"
    named.write_text(header + "# hipe2022:document_id = d3\n" + token, encoding="utf-8")
    assert [d.item_id for d in read_hipe(named)] == ["newseye-fr-d3-s000"]


# -- JSONL ------------------------------------------------------------------------------
def test_jsonl_reads_entities_and_metadata(tmp_path):
    src = tmp_path / "spans.jsonl"
    src.write_text(json.dumps({"id": "a", "text": "M. Thiers à Paris.", "date": "1871-05-01",
                               "entities": [{"start": 0, "end": 9, "label": "PER"},
                                            {"start": 12, "end": 17, "type": "LOC",
                                             "authority_id": "Q90", "text": "Paris"}]},
                              ensure_ascii=False) + "\n\n"
                   + json.dumps({"id": "b", "entities": []}) + "\n", encoding="utf-8")
    problems: list[tuple[int, str]] = []
    docs = list(read_jsonl(src, problems=problems))
    assert problems == []
    assert [d.item_id for d in docs] == ["a", "b"]
    assert docs[0].meta == {"date": "1871-05-01"}
    assert docs[0].spans[1].label == "LOC" and docs[0].spans[1].authority_id == "Q90"
    assert docs[1].text is None and docs[0].span_lines == [1, 1]


def test_jsonl_bad_lines(tmp_path):
    src = tmp_path / "bad.jsonl"
    src.write_text('{"id": "a", "text": "x", "entities": []}\n'
                   "{not json\n"
                   '{"text": "no id"}\n'
                   '{"id": "c", "text": "abc", "entities": [{"start": 0, "label": "PER"}]}\n'
                   '{"id": "d", "text": "abc", "entities": [{"start": "0", "end": 1, '
                   '"label": "PER"}]}\n'
                   '[1, 2]\n', encoding="utf-8")
    problems: list[tuple[int, str]] = []
    docs = list(read_jsonl(src, problems=problems))
    assert [d.item_id for d in docs] == ["a"]
    assert [n for n, _ in problems] == [2, 3, 4, 5, 6]
    assert "no end" in dict(problems)[4]
    assert "whole numbers" in dict(problems)[5]


def test_jsonl_spans_under_another_key_are_a_problem_not_zero_spans(tmp_path):
    """spaCy/doccano-style keys ("spans", "label" triples) were read as metadata: 0 spans."""
    src = tmp_path / "other.jsonl"
    src.write_text('{"id": "a", "text": "Rome", "spans": [{"start": 0, "end": 4, '
                   '"label": "LOC"}]}\n'
                   '{"id": "b", "text": "Rome", "label": [[0, 4, "LOC"]]}\n'
                   '{"id": "c", "text": "Rome", "labels": ["news"], "entities": []}\n'
                   '{"id": "d", "text": "Rome", "label": "news"}\n', encoding="utf-8")
    problems: list[tuple[int, str]] = []
    docs = list(read_jsonl(src, problems=problems))
    assert [d.item_id for d in docs] == ["c", "d"]
    assert [n for n, _ in problems] == [1, 2]
    assert 'rename the key "spans" to "entities"' in dict(problems)[1]
    assert dict(problems)[2].startswith('b: the spans are under "label"')
    assert docs[1].meta == {"label": "news"}


# -- checks ------------------------------------------------------------------------------
def test_check_spans_names_every_problem():
    text = "Le général Dufour à Genève."
    spans = [Span(3, 17, "PER"), Span(11, 17, "PER"), Span(20, 26, "LOC", text="Geneve"),
             Span(20, 40, "LOC"), Span(5, 5, "PER"), Span(0, 2, "ANIMAL")]
    problems = check_spans(text, spans, labels=["PER", "LOC"], lines=[1, 2, 3, 4, 5, 6],
                           item_id="it")
    messages = dict(problems)
    assert "outside the text (0-27)" in messages[4]
    assert "empty or reversed" in messages[5]
    assert "unknown label 'ANIMAL'" in messages[6]
    assert "says 'Geneve' but the text there reads 'Genève'" in messages[3]
    assert "overlaps span 3-17 PER" in messages[2]
    # spans of different layers may overlap
    assert check_spans(text, [Span(3, 17, "PER"), Span(11, 17, "PER", layer="nested")]) == []


# -- WebAnno TSV --------------------------------------------------------------------------
def test_webanno_reads_a_real_inception_export():
    problems: list[tuple[int, str]] = []
    [doc] = read_webanno(INCEPTION / "kafka-process-excerpt.tsv", problems=problems)
    assert problems == []
    assert doc.item_id == "kafka-process-excerpt"
    assert doc.text.startswith("_ Verhaftung –\n_ Gespräch mit Frau Grubach –\n")
    assert [(s.text, s.label) for s in doc.spans[:3]] == [
        ("Grubach", "PER"), ("Bürstner", "PER"), ("Josef K.", "PER")]  # PER[3]: two tokens, one entity
    assert len(doc.spans) == 22 and check_spans(doc.text, doc.spans) == []


def test_jsonl_lone_surrogate_escapes_are_bad_lines(make_ws, tmp_path):
    """A \ud800 escape in a span file's text is one bad line, nothing imported (it was a
    UnicodeEncodeError traceback)."""
    from glamlab.errors import LabelError
    from glamlab.tasks.spans import import_spans

    src = tmp_path / "spans.jsonl"
    src.write_text('{"id": "a", "text": "Anna", "entities": []}\n'
                   '{"id": "b", "text": "Anna \\udc00", "entities": '
                   '[{"start": 0, "end": 4, "label": "PER"}]}\n', encoding="utf-8")
    ws = make_ws(task="entities", modality="text", labels=["PER", "LOC"])
    with pytest.raises(LabelError) as err:
        import_spans(ws, src)
    assert "line 2: not valid JSON: the escape \\udc00" in str(err.value)
    assert ws.count_items() == 0


def test_webanno_identifier_feature_and_stacked_annotations():
    [doc] = read_webanno(INCEPTION / "identifier-value.tsv")
    assert [(s.text, s.label, s.authority_id) for s in doc.spans] == [
        ("admitted", "false", "A")]
    [stacked] = read_webanno(INCEPTION / "stacked-ner.tsv")
    assert [(s.start, s.end, s.label) for s in stacked.spans] == [
        (40, 56, "ORG"), (40, 56, "ORGpart")]
    problems = check_spans(stacked.text, stacked.spans, lines=stacked.span_lines)
    assert problems and "overlaps" in problems[0][1] and problems[0][0] == 13


@pytest.mark.parametrize("path", ["kafka-process-excerpt.tsv", "identifier-value.tsv"])
def test_webanno_round_trip_of_real_exports(tmp_path, path):
    [doc] = read_webanno(INCEPTION / path)
    out = tmp_path / "again.tsv"
    with open(out, "w", encoding="utf-8") as fh:
        write_webanno(fh, doc.text, doc.spans)
    problems: list[tuple[int, str]] = []
    [back] = read_webanno(out, problems=problems)
    assert problems == []
    assert back.text == doc.text
    assert [(s.start, s.end, s.label, s.authority_id) for s in back.spans] == [
        (s.start, s.end, s.label, s.authority_id) for s in doc.spans]


def test_webanno_round_trip_of_hipe_documents_with_links(tmp_path):
    """Whole NewsEye documents (line breaks, OCR hyphenation, QIDs) written for INCEpTION
    and read back: the same spans at the same offsets."""
    for doc in read_hipe(NEWSEYE, segment="document"):
        main = [s for s in doc.spans if s.layer == "entity"]
        buf = io.StringIO()
        assert write_webanno(buf, doc.text, main) == len(main)
        out = tmp_path / f"{doc.item_id}.tsv"
        out.write_text(buf.getvalue(), encoding="utf-8")
        [back] = read_webanno(out)
        assert [(s.start, s.end, s.label, s.authority_id) for s in back.spans] == [
            (s.start, s.end, s.label, s.authority_id) for s in main]
        assert back.text == doc.text


def test_webanno_utf16_offsets_and_escaping(tmp_path):
    text = "Le 😊 de Napoléon|Ier [roi] à Paris_Nord"
    a, b = text.index("Napoléon|Ier"), text.index("Paris_Nord")
    spans = [Span(a, a + 12, "PER", authority_id="Q517|x"), Span(b, b + 10, "LOC")]
    buf = io.StringIO()
    write_webanno(buf, text, spans)
    written = buf.getvalue()
    assert "\t3-5\t😊\t" in written  # U+1F60A counts two UTF-16 units
    assert "\tQ517\\|x\tPER\t" in written and "\tParis_Nord\t*\tLOC\t" in written
    out = tmp_path / "emoji.tsv"
    out.write_text(written, encoding="utf-8")
    [back] = read_webanno(out)
    assert back.text == text
    assert [(s.start, s.end, s.label, s.authority_id) for s in back.spans] == [
        (a, a + 12, "PER", "Q517|x"), (b, b + 10, "LOC", None)]
    for value in ["a|b", "x[1]", "_", "*", "a->b", "c;d", "back\\slash", "tab\tnl\n"]:
        assert unescape_value(escape_value(value)) == value


def test_webanno_bad_files(tmp_path):
    from glamlab.errors import LabelError

    plain = tmp_path / "plain.tsv"
    plain.write_text("just\ttext\n", encoding="utf-8")
    with pytest.raises(LabelError, match="not WebAnno TSV"):
        list(read_webanno(plain))
    pos = tmp_path / "pos.tsv"
    pos.write_text("#FORMAT=WebAnno TSV 3.3\n"
                   "#T_SP=de.tudarmstadt.ukp.dkpro.core.api.lexmorph.type.pos.POS|PosValue\n\n\n"
                   "#Text=Hi\n1-1\t0-2\tHi\tNN\t\n", encoding="utf-8")
    with pytest.raises(LabelError, match="no span layer .*NamedEntity") as err:
        list(read_webanno(pos))
    assert "Named Entity layer" in (err.value.hint or "")
    broken = tmp_path / "broken.tsv"
    broken.write_text("#FORMAT=WebAnno TSV 3.3\n"
                      "#T_SP=de.tudarmstadt.ukp.dkpro.core.api.ner.type.NamedEntity|value\n\n\n"
                      "#Text=Ein Test\n1-1\t0-3\tEin\t_\t\n1-2\t4-9\tTest\tPER\t\n"
                      "1-3\tnope\n", encoding="utf-8")
    problems: list[tuple[int, str]] = []
    list(read_webanno(broken, problems=problems))
    assert sorted(n for n, _ in problems) == [7, 8]
    assert "is not what the #Text= lines hold" in dict(problems)[7]


def test_webanno_cut_short_is_a_problem_not_an_empty_item(tmp_path):
    """A file cut after its header made an item with no text; one cut after a sentence's
    #Text= line lost that sentence. Each is a problem with its line."""
    head = ("#FORMAT=WebAnno TSV 3.3\n"
            "#T_SP=de.tudarmstadt.ukp.dkpro.core.api.ner.type.NamedEntity|value\n\n\n")
    whole = head + "#Text=Ein Test\n1-1\t0-3\tEin\t_\t\n1-2\t4-8\tTest\tPER\t\n"
    for name, content, line, says in [
            ("header.tsv", head, 4, "no sentence after the header"),
            ("text.tsv", head + "#Text=Ein Test\n", 5, "no sentence after the header"),
            ("last.tsv", whole + "\n#Text=Noch einer\n", 9, "the last sentence has no token")]:
        src = tmp_path / name
        src.write_text(content, encoding="utf-8")
        problems: list[tuple[int, str]] = []
        docs = list(read_webanno(src, problems=problems))
        assert [n for n, _ in problems] == [line], (name, problems)
        assert says in problems[0][1] and "export it from INCEpTION again" in problems[0][1]
        assert name == "last.tsv" or docs == []
    src = tmp_path / "whole.tsv"
    src.write_text(whole, encoding="utf-8")
    problems = []
    assert [d.text for d in read_webanno(src, problems=problems)] == ["Ein Test"]
    assert problems == []


def test_glamlab_s_inception_export_folder_imports_back(make_ws, tmp_path):
    """The INCEpTION export is a folder of WebAnno TSV files named after the item ids
    (made safe for a file system) and an index.tsv saying which item each file is; the
    folder imported again (glamlab labels import FOLDER) gives the same items and spans:
    the index was read as a broken WebAnno file and refused the whole import."""
    from glamlab.actions.entity_export import export_spans, iter_gold_rows
    from glamlab.tasks.spans import gold_spans, import_spans

    labels = ["PER", "LOC"]
    src = tmp_path / "gold.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in [
        {"id": "lettre/1 été", "text": "Anna went to Paris.",
         "entities": [{"start": 0, "end": 4, "label": "PER"},
                      {"start": 13, "end": 18, "label": "LOC"}]},
        {"id": "plain", "text": "Max lives in Rome.",
         "entities": [{"start": 13, "end": 17, "label": "LOC"}]}]), encoding="utf-8")
    one = make_ws("one", task="entities", kind="entities", modality="text", labels=labels,
                  metric="strict_micro_f1")
    import_spans(one, src)
    folder = tmp_path / "inception"
    export_spans(iter_gold_rows(one), "inception", folder)
    assert (folder / "index.tsv").exists()

    two = make_ws("two", task="entities", kind="entities", modality="text", labels=labels,
                  metric="strict_micro_f1")
    import_spans(two, folder)

    def spans(ws):
        return {i: [(s.start, s.end, s.label) for s in found]
                for i, found in gold_spans(ws).items()}

    assert spans(two) == spans(one)
    assert two.item("lettre/1 été").text == "Anna went to Paris."


def test_the_inception_export_keeps_the_text_s_line_breaks_and_spaces(make_ws, tmp_path):
    """WebAnno TSV rebuilds a text from its #Text= lines, a line break after each
    sentence and spaces up to the next one. The writer trimmed every line, so a blank
    line (a paragraph break) came back as a space, spaces before a line break moved after
    it, a CR was lost, and a text ending with a line break came back without it: imported
    into a new project the texts were not the same, and imported back into the project
    it came from (the round trip through INCEpTION) such a text was refused ("the text
    does not match the item's text"). Now each sentence's #Text= lines carry the blank
    lines and spaces after it, and the texts come back as they were."""
    from glamlab.actions.entity_export import export_spans, iter_gold_rows
    from glamlab.tasks.spans import gold_spans, import_spans

    texts = {
        "paragraphs": "Anna 😀 went to Paris.\n\nMax stayed in Straße.\n\n\nThe end.",
        "spaces": "Anna went  \nto Paris.   \n  Max stayed.",
        "crlf": "Anna went\r\nto Paris.\r\n",
        "ends": "Max lives in Rome.\n",
        "lead": "  Émile\n\nin Rome.\n\n",
    }
    labels = ["PER", "LOC"]
    rows = []
    for item_id, text in texts.items():
        ents = [{"start": m.start(), "end": m.end(), "label": lab}
                for word, lab in (("Anna", "PER"), ("Max", "PER"), ("Émile", "PER"),
                                  ("Paris", "LOC"), ("Rome", "LOC"), ("Straße", "LOC"))
                for m in re.finditer(word, text)]
        rows.append({"id": item_id, "text": text, "entities": ents})
    src = tmp_path / "gold.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                   encoding="utf-8")
    one = make_ws("one", task="entities", kind="entities", modality="text", labels=labels,
                  metric="strict_micro_f1")
    import_spans(one, src)
    folder = tmp_path / "inception"
    export_spans(iter_gold_rows(one), "inception", folder)

    def spans(ws):
        return {i: [(s.start, s.end, s.label) for s in found]
                for i, found in gold_spans(ws).items()}

    two = make_ws("two", task="entities", kind="entities", modality="text", labels=labels,
                  metric="strict_micro_f1")
    import_spans(two, folder)
    assert {i: two.item(i).text for i in texts} == texts
    assert spans(two) == spans(one)
    # back into the project it came from (as from INCEpTION): the same texts, unchanged
    report = import_spans(one, folder)
    assert report.unchanged == len(texts)
    assert spans(one) == spans(two)


def test_webanno_round_trip_keeps_tabs_and_blank_lines_starting_a_line(make_ws, tmp_path):
    """A sentence's #Text= lines stopped at the last line break before the next sentence,
    and a reader fills the rest with spaces: a tab (or a tab and spaces) starting a line
    came back as spaces, so the text changed. Now they carry all the whitespace up to the
    next sentence, and the text comes back exactly. Line breaks or tabs before the
    text's first word the format cannot carry (a reader places the first sentence at
    its first token): they come back as spaces of the same length, the offsets stay
    right, and the export says so in one warning naming the item."""
    from glamlab.actions.entity_export import export_spans, iter_gold_rows
    from glamlab.tasks.spans import import_spans

    inner = {"tab": "Anna went\n\tto Paris.\n\t\tMax stayed.",
             "tab-blank": "Anna went\n\n\t \nto Paris.\n \tMax stayed.\n",
             "form-feed": "Anna went\n\x0c\tto Paris."}
    for item_id, text in inner.items():
        spans = [Span(m.start(), m.end(), lab) for word, lab in (("Anna", "PER"),
                 ("Paris", "LOC"), ("Max", "PER")) for m in re.finditer(word, text)]
        buf = io.StringIO()
        write_webanno(buf, text, spans)
        path = tmp_path / f"{item_id}.tsv"
        path.write_text(buf.getvalue(), encoding="utf-8")
        problems: list[tuple[int, str]] = []
        [back] = read_webanno(path, problems=problems)
        assert problems == []
        assert back.text == text, item_id
        assert [(s.start, s.end, s.label) for s in back.spans] == [
            (s.start, s.end, s.label) for s in spans]

    # before the first word: spaces of the same length, entities in place, one warning
    lead = "\n\n\tAnna went to Paris."
    rows = [{"id": "lead", "text": lead, "entities": [
        {"start": lead.index("Anna"), "end": lead.index("Anna") + 4, "label": "PER"}]},
        {"id": "plain", "text": "  Max in Rome.", "entities": []}]
    src = tmp_path / "gold.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    one = make_ws("one", task="entities", kind="entities", modality="text",
                  labels=["PER", "LOC"], metric="strict_micro_f1")
    import_spans(one, src)
    folder = tmp_path / "inception"
    res = export_spans(iter_gold_rows(one), "inception", folder)
    [warning] = res["warnings"]
    assert "'lead'" in warning and "'plain'" not in warning and "spaces" in warning
    [back] = read_webanno(folder / "lead.tsv")
    assert back.text == "   Anna went to Paris." and len(back.text) == len(lead)
    assert [(s.start, s.end) for s in back.spans] == [(3, 7)]
    assert import_spans(one, folder).unchanged == 2  # back into its project: the same
