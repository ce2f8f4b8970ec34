"""Label import: single- and multi-label, bad input reported per row, all or nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from glamlab.cli import cli
from glamlab.errors import LabelError
from glamlab.tasks import gold_labels, import_labels, split_of
from tests.tasks.helpers import add_items, write_csv


def _count_labels(ws) -> int:
    with ws.store.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(ws.store.t.labels)).scalar())


@pytest.fixture
def ws(make_ws):
    ws = make_ws(labels=["blank", "content"], modality="text")
    add_items(ws, [{"id": f"p{i}", "text": "x" * i} for i in range(10)])
    return ws


def test_import_single_label_and_reimport_is_idempotent(ws, tmp_path) -> None:
    f = write_csv(tmp_path / "l.csv", ["id", "label"], [["p0", "blank"], ["p1", "content"],
                                                       ["p2", "content"]])
    r = import_labels(ws, f)
    assert (r.items, r.added, r.unchanged) == (3, 3, 0)
    assert gold_labels(ws) == {"p0": ["blank"], "p1": ["content"], "p2": ["content"]}
    again = import_labels(ws, f)
    assert (again.added, again.unchanged) == (0, 3)
    assert _count_labels(ws) == 3


def test_bad_rows_are_reported_with_line_numbers_and_nothing_is_imported(ws, tmp_path) -> None:
    f = write_csv(tmp_path / "bad.csv", ["id", "label"], [
        ["p0", "blank"],          # line 2: fine
        ["p1", "maybe"],          # line 3: unknown label
        ["nope", "blank"],        # line 4: unknown item
        ["p2", "blank"],          # line 5: fine
        ["p2", "content"],        # line 6: conflicts with line 5
        ["p3", ""],               # line 7: no label yet (left out, not a problem)
    ])
    with pytest.raises(LabelError) as info:
        import_labels(ws, f)
    lines = dict(info.value.rows)
    assert set(lines) == {3, 4, 6}
    assert "unknown label 'maybe'" in lines[3]
    assert "nope: no such item" in lines[4]
    assert "conflicts with line 5" in lines[6]
    assert "nothing imported" in info.value.message
    assert _count_labels(ws) == 0


def test_conflict_with_earlier_labels_of_the_same_annotator_and_replace(ws, tmp_path) -> None:
    import_labels(ws, write_csv(tmp_path / "a.csv", ["id", "label"], [["p0", "blank"]]))
    f = write_csv(tmp_path / "b.csv", ["id", "label"], [["p1", "blank"], ["p0", "content"]])
    with pytest.raises(LabelError) as info:
        import_labels(ws, f)
    assert info.value.rows[0][0] == 3
    assert gold_labels(ws) == {"p0": ["blank"]}  # p1 was not half-imported either
    r = import_labels(ws, f, replace=True)
    assert r.replaced == 1
    assert gold_labels(ws) == {"p0": ["content"], "p1": ["blank"]}


def test_a_conflict_with_earlier_labels_names_replace_as_the_fix(ws, tmp_path) -> None:
    """A cataloguer who corrected the file and imports it again is told how to let it
    replace the earlier labels, not only to "fix these rows"."""
    import_labels(ws, write_csv(tmp_path / "a.csv", ["id", "label"], [["p0", "blank"]]))
    f = write_csv(tmp_path / "b.csv", ["id", "label"], [["p0", "content"]])
    with pytest.raises(LabelError) as info:
        import_labels(ws, f)
    assert "--replace" in (info.value.hint or "")
    bad = write_csv(tmp_path / "c.csv", ["id", "label"], [["p1", "maybe"]])
    with pytest.raises(LabelError) as info:
        import_labels(ws, bad)
    assert "--replace" not in (info.value.hint or "")  # nothing earlier to replace


def test_another_annotator_does_not_conflict_and_latest_annotator_is_gold(ws, tmp_path) -> None:
    import_labels(ws, write_csv(tmp_path / "a.csv", ["id", "label"], [["p0", "blank"]]))
    import_labels(ws, write_csv(tmp_path / "b.csv", ["id", "label"], [["p0", "content"]]),
                  annotator="maria")
    assert gold_labels(ws) == {"p0": ["content"]}


def test_a_second_labellers_label_is_gold_only_where_it_is_the_only_label(ws, tmp_path) -> None:
    """A blind second label (the Labelling page's "label a sample again") is kept for the
    agreement, but the gold label stays another person's; a label given on purpose, even
    by the second labeller, settles it."""
    from glamlab.review import save_label, second_disagreements
    from glamlab.tasks.labels import annotator_labels

    import_labels(ws, write_csv(tmp_path / "a.csv", ["id", "label"],
                                [["p0", "blank"], ["p1", "blank"]]))
    from glamlab.review import undo_label

    save_label(ws, "ana", "p2", ["blank"], "train")
    save_label(ws, "rob", "p0", ["content"], None, second=True)
    save_label(ws, "rob", "p1", ["blank"], None, second=True)
    save_label(ws, "rob", "p2", ["content"], None, second=True)
    assert gold_labels(ws) == {"p0": ["blank"], "p1": ["blank"], "p2": ["blank"]}
    undo_label(ws, "ana")  # the first label taken back: the second is the only label
    assert gold_labels(ws) == {"p0": ["blank"], "p1": ["blank"], "p2": ["content"]}
    assert annotator_labels(ws)["p0"] == {"import": ["blank"], "rob": ["content"]}
    found = second_disagreements(ws)
    assert found["total"] == 1
    (d,) = found["listed"]
    assert (d["item_id"], d["by"], d["gold"], d["second"]) == (
        "p0", "import", "blank", [("rob", "content")])
    save_label(ws, "rob", "p0", ["content"], None)  # settled on purpose
    assert gold_labels(ws)["p0"] == ["content"]
    assert second_disagreements(ws)["total"] == 0


def test_several_labels_on_a_single_label_task_is_an_error(ws, tmp_path) -> None:
    f = write_csv(tmp_path / "l.csv", ["id", "label"], [["p0", "blank|content"]])
    with pytest.raises(LabelError) as info:
        import_labels(ws, f, separator="|")
    assert "single-label" in info.value.rows[0][1]


def test_missing_column_names_the_option(ws, tmp_path) -> None:
    f = write_csv(tmp_path / "l.csv", ["identifier", "label"], [["p0", "blank"]])
    with pytest.raises(LabelError, match="no column 'id'") as info:
        import_labels(ws, f)
    # from Python, the argument (the command line says --id-column: test_said_in_python)
    assert "id_column=" in (info.value.hint or "")
    r = import_labels(ws, f, id_column="identifier")
    assert r.items == 1


def test_multi_label_with_separator_and_long_format(make_ws, tmp_path) -> None:
    ws = make_ws(labels=["maps", "people", "ships"], multi_label=True, modality="text")
    add_items(ws, [{"id": "r1", "text": "a"}, {"id": "r2", "text": "b"}])
    f = write_csv(tmp_path / "s.csv", ["id", "subjects"], [["r1", "maps|ships"], ["r2", "people"],
                                                          ["r2", "ships"]])
    r = import_labels(ws, f, label_column="subjects")
    assert r.added == 4
    assert gold_labels(ws) == {"r1": ["maps", "ships"], "r2": ["people", "ships"]}


def test_import_into_a_split(ws, tmp_path) -> None:
    f = write_csv(tmp_path / "l.csv", ["id", "label"], [["p0", "blank"], ["p1", "content"]])
    import_labels(ws, f, split="test")
    assert split_of(ws) == {"p0": "test", "p1": "test"}


def test_cli_reports_rows_and_exits_non_zero(ws, tmp_path) -> None:
    f = write_csv(tmp_path / "bad.csv", ["id", "label"], [["p0", "blank"], ["p1", "maybe"]])
    runner = CliRunner()
    res = runner.invoke(cli, ["-w", str(ws.root), "labels", "import", str(f)])
    assert res.exit_code != 0
    assert "line 3" in str(res.exception) or "line 3" in res.output
    ok = write_csv(tmp_path / "ok.csv", ["id", "label"], [["p0", "blank"]])
    res = runner.invoke(cli, ["-w", str(ws.root), "labels", "import", str(ok), "--json"])
    assert res.exit_code == 0, res.output
    assert '"items": 1' in res.output


@pytest.fixture
def multi(make_ws):
    ws = make_ws("multi", labels=["maps", "people", "nature"], multi_label=True,
                 modality="text")
    add_items(ws, [{"id": f"r{i}", "text": "x"} for i in range(4)])
    return ws


def test_an_unquoted_comma_in_a_label_cell_refuses_the_file_naming_the_line(
        multi, tmp_path) -> None:
    # "people, nature" unquoted is three cells: the labels after the comma were dropped
    f = tmp_path / "comma.csv"
    f.write_text("id,label\nr0,maps\nr1,people, nature\nr2,nature,\n", encoding="utf-8")
    with pytest.raises(LabelError) as info:
        import_labels(multi, f)
    lines = dict(info.value.rows)
    assert set(lines) == {3}  # a trailing empty cell (line 4) is not a problem
    assert "3 values where the header has 2 columns" in lines[3]
    assert "double quotes" in lines[3] and "'|'" in lines[3]
    assert _count_labels(multi) == 0  # all or nothing
    f.write_text('id,label\nr0,maps\nr1,"people, nature"\nr2,nature,\n', encoding="utf-8")
    with pytest.raises(LabelError, match="unknown label 'people, nature'"):
        import_labels(multi, f)  # quoted: one cell, one label name
    f.write_text("id,label\nr0,maps\nr1,people|nature\nr2,nature,\n", encoding="utf-8")
    import_labels(multi, f)
    assert gold_labels(multi) == {"r0": ["maps"], "r1": ["nature", "people"],
                                  "r2": ["nature"]}


def test_an_unclosed_quote_in_a_label_sheet_refuses_it_naming_the_line(multi, tmp_path) -> None:
    f = tmp_path / "quote.csv"
    f.write_text('id,label\nr0,maps\nr1,"people\nr2,nature\nr3,maps\n', encoding="utf-8")
    with pytest.raises(LabelError, match="line 3: a quote opens in this line and is never "
                                         "closed") as info:
        import_labels(multi, f)
    assert "close the quote" in (info.value.hint or "")
    assert _count_labels(multi) == 0


def test_long_format_rows_of_one_item_are_merged_and_counted(multi, tmp_path) -> None:
    f = write_csv(tmp_path / "long.csv", ["id", "label"],
                  [["r0", "people"], ["r0", "nature"], ["r1", "maps"], ["r0", "maps"]])
    r = import_labels(multi, f)
    assert gold_labels(multi)["r0"] == ["maps", "nature", "people"]
    assert r.merged == ["r0"]
    assert "1 item had labels on several rows, merged into one set (r0)" in r.summary()
    assert r.to_dict()["merged"] == ["r0"]


def test_a_label_in_the_wrong_case_suggests_the_right_one(multi, ws, tmp_path) -> None:
    f = write_csv(tmp_path / "case.csv", ["id", "label"], [["r0", "People"], ["r1", "natur"]])
    with pytest.raises(LabelError) as info:
        import_labels(multi, f)
    lines = dict(info.value.rows)
    assert "unknown label 'People'" in lines[2] and "did you mean 'people'?" in lines[2]
    assert "did you mean 'nature'?" in lines[3]
    f = write_csv(tmp_path / "single.csv", ["id", "label"], [["p0", "BLANK "], ["p1", "xyz"]])
    with pytest.raises(LabelError) as info:
        import_labels(ws, f)
    lines = dict(info.value.rows)
    assert "did you mean 'blank'?" in lines[2]
    assert "did you mean" not in lines[3]


def test_a_label_holding_a_comma_reads_as_one_in_the_list_of_labels(make_ws, tmp_path) -> None:
    """Tate's 'emotions, concepts and ideas': listed between commas, the task's labels
    read as 'emotions', 'concepts and ideas'; between '|' (as `glamlab init --labels`
    takes them) each stays one label."""
    from glamlab.cli.workspace import _status_text

    labels = ["abstraction", "emotions, concepts and ideas", "people"]
    ws = make_ws(labels=labels, modality="text", multi_label=True)
    add_items(ws, [{"id": "t1", "text": "A title"}])
    f = write_csv(tmp_path / "l.csv", ["id", "label"], [["t1", "portraits"]])
    with pytest.raises(LabelError) as info:
        import_labels(ws, f)
    assert "abstraction | emotions, concepts and ideas | people" in info.value.rows[0][1]
    text = _status_text({**ws.status(), "next_step": "label"})
    assert "labels: abstraction | emotions, concepts and ideas | people;" in text
    plain = make_ws("plain", labels=["blank", "content"], modality="text")
    assert "labels: blank, content;" in _status_text({**plain.status(), "next_step": "x"})


def test_an_import_that_changes_a_test_label_is_logged_as_a_test_relabel(ws, tmp_path) -> None:
    """The web app's change of a test item's label is logged as ``test.relabel`` (the
    Evaluate page then says its latest figures were measured on the labels as they
    were); a corrected file imported with --replace changes them as much, and is too.
    An item imported into the test split for the first time, or with the same label,
    is no change."""
    a = ws.store.t.audit_log
    import_labels(ws, write_csv(tmp_path / "a.csv", ["id", "label"],
                                [["p0", "blank"], ["p1", "blank"]]), split="test")
    import_labels(ws, write_csv(tmp_path / "b.csv", ["id", "label"],
                                [["p0", "content"], ["p1", "blank"]]), replace=True)
    assert split_of(ws, ["p0", "p1"]) == {"p0": "test", "p1": "test"}
    with ws.store.read() as conn:
        rows = conn.execute(sa.select(a).where(a.c.action == "test.relabel")).all()
    assert [(r.object, r.details["before"], r.details["after"]) for r in rows] == [
        ("p0", ["blank"], ["content"])]


def test_labels_imported_into_no_split_after_the_freeze_say_they_train_nothing(make_ws,
                                                                               tmp_path):
    from glamlab.tasks import split_labels

    ws = make_ws(labels=["yes", "no"], modality="text")
    add_items(ws, [{"id": f"i{k:02d}", "text": f"text {k}"} for k in range(30)])
    import_labels(ws, write_csv(tmp_path / "a.csv", ["id", "label"],
                                [[f"i{k:02d}", "yes" if k % 2 else "no"] for k in range(20)]))
    split_labels(ws, test_size=0.3, seed=0)
    with ws.store.write() as conn:
        ws.store.audit(conn, "glamlab", "split.freeze", "fp", reader="evaluate")
    late = write_csv(tmp_path / "late.csv", ["id", "label"], [["i25", "yes"], ["i26", "no"]])
    report = import_labels(ws, late, annotator="maria")
    assert report.unsplit == 2
    assert "they are in no split, so no training reads them" in report.summary()
    again = import_labels(ws, late, annotator="maria", split="train")
    assert again.unsplit == 0 and "no split" not in again.summary()


def test_ids_named_by_paths_are_matched_literally(make_ws) -> None:
    """:func:`glamlab.tasks.labels._named_by_path` looks items up with LIKE: the id's
    ``%``, ``_`` and ``\\`` are matched as themselves (SQLite and PostgreSQL), so an id
    is never taken for another item's path ending (``page_1`` for ``images/pageX1``)."""
    from glamlab.tasks.labels import _named_by_path

    ws = make_ws(labels=["yes", "no"], modality="text")
    add_items(ws, [{"id": i, "text": "t"} for i in (
        "images/pageX1.jpg", "images/50%_off.png", "scans/a\\b.tif", "scans/page_2.jpg")])
    assert _named_by_path(ws, ["page_1"]) is None
    assert _named_by_path(ws, ["5%"]) is None
    assert _named_by_path(ws, ["50%_off"]) == ("50%_off", "images/50%_off.png")
    assert _named_by_path(ws, ["a\\b"]) == ("a\\b", "scans/a\\b.tif")
    assert _named_by_path(ws, ["page_2"]) == ("page_2", "scans/page_2.jpg")
    assert _named_by_path(ws, ["page_2.jpg"]) == ("page_2.jpg", "scans/page_2.jpg")
