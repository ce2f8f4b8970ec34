"""Authority files: CSV and JSONL imports, all or nothing, into the workspace store."""

from __future__ import annotations

import json

import pytest

from glamlab.errors import LabelError
from glamlab.linking import authority_from_mentions, import_authority, load_authority
from glamlab.linking.linker import Mention

LABELS = ["PER", "LOC", "ORG"]


def test_csv_authority_import_update_and_reload(make_ws, tmp_path):
    ws = make_ws(task="entities", modality="text", labels=LABELS)
    src = tmp_path / "names.csv"
    src.write_text("id,preferred_label,aliases,type,birth,death,lat,lon\n"
                   "Q7173,Adolphe Thiers,Thiers|M. Thiers,PER,1797-04-15,1877-09-03,,\n"
                   "Q90,Paris,Lutèce|Paname,LOC,,,48.8567,2.3522\n"
                   "n42,Société des Nations,SDN,ORG,1920,1946,,\n", encoding="utf-8")
    report = import_authority(ws, src)
    assert (report.rows, report.added, report.updated) == (3, 3, 0)
    records = {r.record_id: r for r in load_authority(ws)}
    assert records["Q7173"].alt_labels == ["Thiers", "M. Thiers"]
    assert records["Q7173"].year_range() == (1797, 1877)
    assert records["Q90"].lat == pytest.approx(48.8567) and records["n42"].type == "ORG"
    assert [r.record_id for r in load_authority(ws, types=["LOC"])] == ["Q90"]
    # a JSONL file updates one record and leaves the others
    update = tmp_path / "update.jsonl"
    update.write_text(json.dumps({"id": "Q90", "label": "Paris", "alt_labels": ["Lutetia"],
                                  "type": "LOC"}) + "\n"
                      + json.dumps({"qid": "Q7173", "name": "Adolphe Thiers",
                                    "alt_labels": "Thiers|M. Thiers", "type": "PER",
                                    "start_date": "1797-04-15", "end_date": "1877-09-03"})
                      + "\n", encoding="utf-8")
    again = import_authority(ws, update)
    assert (again.added, again.updated, again.unchanged) == (0, 1, 1)
    assert {r.record_id: r.alt_labels for r in load_authority(ws)}["Q90"] == ["Lutetia"]


def test_bad_authority_rows_import_nothing(make_ws, tmp_path):
    ws = make_ws(task="entities", modality="text", labels=LABELS)
    src = tmp_path / "bad.csv"
    src.write_text("id,label,type,start_date,lat\n"
                   "Q1,Good,LOC,,\n"
                   ",No id,LOC,,\n"
                   "Q3,,LOC,,\n"
                   "Q4,Bad type,human,,\n"
                   "Q5,Bad date,PER,15 avril 1797,\n"
                   "Q6,Bad lat,LOC,,123\n", encoding="utf-8")
    with pytest.raises(LabelError) as err:
        import_authority(ws, src)
    rows = dict(err.value.rows)
    assert sorted(rows) == [3, 4, 5, 6, 7]
    assert "no id" in rows[3] and "no label" in rows[4]
    assert "type 'human' (1 record, line 5) is not one of the project's labels" in rows[5]
    # the fix names the command's option, which a person running the CLI types
    assert "--type-map human=PER" in rows[5] and "type_map in Python" not in rows[5]
    assert "not an ISO date" in rows[6] and "out of range" in rows[7]
    assert load_authority(ws) == []
    # a type map makes the file usable
    fixed = tmp_path / "fixed.csv"
    fixed.write_text("id,label,type\nQ4,Someone,human\n", encoding="utf-8")
    import_authority(ws, fixed, type_map={"human": "PER"})
    assert load_authority(ws)[0].type == "PER"
    no_label = tmp_path / "nolabel.csv"
    no_label.write_text("id,kind\nQ1,LOC\n", encoding="utf-8")
    with pytest.raises(LabelError, match="no label column"):
        import_authority(ws, no_label)


def test_lone_surrogate_escapes_in_jsonl_are_bad_rows(make_ws, tmp_path):
    """A \ud800 escape in a JSONL record is one bad row with its line, nothing imported
    (it was a UnicodeEncodeError traceback from the database)."""
    ws = make_ws(task="entities", modality="text", labels=LABELS)
    src = tmp_path / "names.jsonl"
    src.write_text('{"id": "Q1", "label": "Anna", "type": "PER"}\n'
                   '{"id": "Q2", "label": "Bob \\ud800", "type": "PER"}\n', encoding="utf-8")
    with pytest.raises(LabelError) as err:
        import_authority(ws, src)
    rows = dict(err.value.rows)
    assert list(rows) == [2] and "\\ud800 is half of a UTF-16 pair" in rows[2]
    assert load_authority(ws) == []


def test_authority_from_linked_mentions():
    mentions = [Mention("Paris", "LOC", authority_id="Q90"),
                Mention("PARIS", "LOC", authority_id="Q90"),
                Mention("Paris", "ORG", authority_id="Q90"),
                Mention("Paris", "LOC", authority_id="Q90"),
                Mention("M. X", "PER", authority_id="NIL"),
                Mention("Genève", "LOC")]
    [paris] = authority_from_mentions(mentions)
    assert (paris.record_id, paris.label, paris.alt_labels, paris.type) == (
        "Q90", "Paris", ["PARIS"], "LOC")


def test_duplicate_ids_name_both_lines(make_ws, tmp_path):
    ws = make_ws(task="entities", modality="text", labels=LABELS)
    src = tmp_path / "dup.jsonl"
    src.write_text('{"id": "Q90", "label": "Paris"}\n\n{"id": "Q90", "label": "Lyon"}\n',
                   encoding="utf-8")
    with pytest.raises(LabelError) as err:
        import_authority(ws, src)
    assert err.value.rows == [(3, "Q90: a second, different record with this id (first at "
                                  "line 1)")]


def test_extra_cells_and_a_huge_cell_are_named_with_their_line(make_ws, tmp_path):
    """A row with more cells than the header (an unquoted comma) lost its extra cells,
    silently; a cell over the CSV limit (a quote never closed) was 'not valid CSV' with
    no line. Each is now named with its line and the fix; nothing is imported."""
    ws = make_ws(task="entities", modality="text", labels=LABELS)
    src = tmp_path / "names.csv"
    src.write_text("id,label,type,alt_labels\n"
                   "Q1,Paris,LOC,Paname\n"
                   "Q2,Paris,LOC,Paname,Lutèce\n", encoding="utf-8")
    with pytest.raises(LabelError) as err:
        import_authority(ws, src)
    rows = dict(err.value.rows)
    assert list(rows) == [3] and "1 more cell than the header ('Lutèce')" in rows[3]
    assert "double quotes" in rows[3]
    huge = tmp_path / "huge.csv"
    huge.write_text('id,label,type\nQ1,A,PER\nQ2,"B,PER\n'
                    + "".join(f"Q{i},Name {i},PER\n" for i in range(3, 20_000)),
                    encoding="utf-8")
    with pytest.raises(LabelError, match="huge.csv line 3: a cell longer than") as err:
        import_authority(ws, huge)
    assert "close the quote" in err.value.hint
    assert load_authority(ws) == []


def test_unmapped_types_are_one_line_each_with_their_count_and_the_fix(make_ws, tmp_path):
    """An authority file whose types are not the project's labels (Place, Person...) gave
    one near-identical error line per record, 1,476 of them: now one line per type, with
    how many records have it, and the --type-map that maps it, in one command."""
    from click.testing import CliRunner

    from glamlab.cli import cli

    ws = make_ws(task="entities", modality="text", labels=LABELS)
    src = tmp_path / "authority.csv"
    rows = ["id,label,alt_labels,type"]
    for n in range(300):
        kind = ("Place", "Person", "Work")[n % 3]
        rows.append(f"Q{n + 1},Name {n},Alt {n}|Other {n},{kind}")
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(LabelError) as err:
        import_authority(ws, src)
    lines = [msg for _, msg in err.value.rows]
    assert len(lines) == 3
    assert lines[0].startswith("type 'Place' (100 records, lines 2, 5, 8 and 97 more)")
    assert "--type-map Place=LOC" in lines[0] and "--type-map Person=PER" in lines[1]
    assert "--type-map Work=LABEL (LABEL one of those)" in lines[2]
    assert err.value.hint.endswith(
        "--type-map Place=LOC --type-map Person=PER --type-map Work=LABEL")
    db = [] if ws.store.is_sqlite else ["--db", ws.store.url]
    result = CliRunner().invoke(cli, ["-w", str(ws.root), *db, "authority", "import",
                                      str(src)])
    said = str(result.exception)
    assert said.count("type 'Place'") == 1 and said.count("\n") == 3
    # the fix works, and the |-separated alternative labels come in one by one
    report = import_authority(ws, src, type_map={"Place": "LOC", "Person": "PER",
                                                 "Work": None})
    assert report.added == 300
    first = {r.record_id: r for r in load_authority(ws)}["Q1"]
    assert (first.type, first.alt_labels) == ("LOC", ["Alt 0", "Other 0"])


def test_a_search_finds_the_project_s_records_by_name_or_id_best_first(make_ws, tmp_path):
    """What the review card's "Find another record" asks: the project's own records by
    a name (case, accents and punctuation aside; a whole name before a beginning, before
    a word's beginning, before a part), its id, or words of the name and description
    (``paris texas``); the span's type first among equals; at most ``limit``."""
    from glamlab.linking import search_authority

    ws = make_ws(task="entities", modality="text", labels=LABELS)
    src = tmp_path / "names.csv"
    src.write_text("id,label,alt_labels,type,description\n"
                   "Q90,Paris,Lutèce|Paname,LOC,capital of France\n"
                   "Q16555,Paris,,LOC,\"city in Lamar County, Texas\"\n"
                   "Q167646,Paris Hilton,,PER,American media personality\n"
                   "Q5,Pâris,,PER,a Trojan prince\n"
                   "Q1,Parisot,,LOC,commune in Tarn\n"
                   "n7,Zürich,Zurich,LOC,\n", encoding="utf-8")
    import_authority(ws, src)

    def ids(q, **kw):
        return [r.record_id for r in search_authority(ws, q, **kw)]

    # "Paris" and "Pâris" are the whole name, "Paris Hilton" its first word, "Parisot"
    # starts with it; a record of the span's type first among equals
    assert ids("paris") == ["Q16555", "Q5", "Q90", "Q167646", "Q1"]
    assert ids("PARIS", label="PER") == ["Q5", "Q16555", "Q90", "Q167646", "Q1"]
    assert ids("pari", label="LOC") == ["Q16555", "Q90", "Q1", "Q5", "Q167646"]
    assert ids("hilton") == ["Q167646"]  # a word of the name
    assert ids("zurich") == ids("Zürich") == ["n7"]
    assert ids("lutece") == ["Q90"]  # another name
    assert ids("paris texas") == ["Q16555"]  # name and description words
    assert ids("Q16555") == ["Q16555"]  # its id
    assert ids("paris", limit=2) == ["Q16555", "Q5"]
    assert ids("  ") == [] and ids("nowhere") == []
    # another import: its new and replaced records are found at once
    more = tmp_path / "more.csv"
    more.write_text("id,label,type,description\n"
                    "Q3,Paris,LOC,town in Ontario\n"
                    "n7,Zürich-Stadt,LOC,\n", encoding="utf-8")
    import_authority(ws, more)
    assert ids("paris ontario") == ["Q3"]
    assert ids("zurich stadt") == ["n7"] and ids("zurich") == ["n7"]
