"""`glamlab labels import` of a sheet with more columns than the id and the label (the
shared illustrations labels.csv: a book, ``document_ark``, beside each page): the web
upload kept those columns as the items' information, the CLI dropped them, so
`glamlab labels split --group-by document_ark` said "no labelled item has the metadata
field 'document_ark'" and pages of one book could only be split apart."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from glamlab.errors import LabelError
from glamlab.tasks import import_labels, split_labels, split_of
from tests.tasks.helpers import add_items, write_csv


def _meta(ws, item_id):
    t = ws.store.t.items
    with ws.store.read() as conn:
        return conn.execute(sa.select(t.c.meta).where(t.c.item_id == item_id,
                                                      t.c.is_current.is_(True))).scalar()


@pytest.fixture
def ws(make_ws):
    ws = make_ws(labels=["graphic", "no_graphic"], modality="text")
    add_items(ws, [{"id": f"b{b}p{p}", "text": "page", "meta": {"title": "kept"}}
                   for b in range(6) for p in range(4)])
    return ws


def test_a_sheet_s_other_columns_become_the_items_fields_and_a_split_keeps_books_whole(
        ws, tmp_path):
    rows = [[f"b{b}p{p}", "graphic" if p % 2 else "no_graphic", f"book{b}", "changed", ""]
            for b in range(6) for p in range(4)]
    f = write_csv(tmp_path / "labels.csv", ["id", "label", "document_ark", "title", "note"],
                  rows)
    report = import_labels(ws, f)
    assert report.columns_kept == {"columns": ["document_ark"], "items": 24}
    assert "other column (document_ark) kept as information on 24 items" in report.summary()
    meta = _meta(ws, "b3p1")
    assert meta["document_ark"] == "book3"
    assert meta["title"] == "kept"  # a field the item has is never overwritten
    assert "note" not in meta  # an empty cell adds nothing
    split_labels(ws, test_size=0.34, seed=0, group_by="document_ark")
    sides = split_of(ws, [f"b{b}p{p}" for b in range(6) for p in range(4)])
    for b in range(6):
        assert len({sides[f"b{b}p{p}"] for p in range(4)}) == 1, sides


def test_a_refused_sheet_adds_no_field_either(ws, tmp_path):
    f = write_csv(tmp_path / "labels.csv", ["id", "label", "document_ark"],
                  [["b0p0", "graphic", "book0"], ["b0p1", "nonsense", "book0"]])
    with pytest.raises(LabelError):
        import_labels(ws, f)
    assert "document_ark" not in (_meta(ws, "b0p0") or {})


def test_a_table_s_rows_gain_no_column_from_a_labels_sheet(make_ws, tmp_path):
    """In a tabular project a column is a feature: one a labels sheet adds (written
    after the outcome was known) would teach the model the answer."""
    ws = make_ws(labels=["0", "1"], modality="tabular")
    add_items(ws, [{"id": "r1", "text": ""}])
    f = write_csv(tmp_path / "labels.csv", ["id", "label", "status"], [["r1", "1", "came"]])
    report = import_labels(ws, f)
    assert report.columns_kept["items"] == 0
    assert "status" not in (_meta(ws, "r1") or {})


def test_glamlab_s_own_label_sheet_comes_back_without_copying_its_text_into_the_fields(
        make_ws, tmp_path):
    """`glamlab labels sample --out` writes id, label, title, text (its first 1,000
    characters) and link: glamlab's copies of the item, for the person labelling. Filled in
    and imported, they are not information to keep: the item gained a field 'text' (its
    text cut with '…') and 'link' (its file's place). A column a person adds is kept."""
    from glamlab.sheets import read_sheet
    from glamlab.tasks.labels import write_label_sheet

    ws = make_ws(labels=["graphic", "no_graphic"], modality="text")
    add_items(ws, [{"id": "p1", "text": "Texte de la page " * 100,
                    "uri": "https://example.org/p1.jpg"}])
    out = tmp_path / "sheet.csv"
    write_label_sheet(ws, ["p1"], out)
    header, rows = read_sheet(out)
    row = rows[0][1]
    f = write_csv(tmp_path / "filled.csv", [*header, "document_ark"],
                  [[row["id"], "graphic", row["title"], row["text"], row["link"], "book1"]])
    report = import_labels(ws, f)
    meta = _meta(ws, "p1") or {}
    assert "text" not in meta and "link" not in meta, meta
    assert meta["document_ark"] == "book1"
    assert report.columns_kept == {"columns": ["document_ark"], "items": 1}


def test_a_glamlab_export_imported_as_labels_adds_no_prediction_columns_to_the_items(
        ws, tmp_path):
    """A reviewed export (glamlab export --format csv) imported back as labels: its
    score, action, model and decision columns are a prediction, not the item's
    information; a column a person added to it (a book) is kept."""
    from glamlab.actions.export import COLUMNS, DETAIL_COLUMNS
    from glamlab.tasks.labels import EXPORT_COLUMNS

    assert set(EXPORT_COLUMNS) == set(COLUMNS) | set(DETAIL_COLUMNS)
    header = [*COLUMNS, *DETAIL_COLUMNS, "book"]
    row = {c: "" for c in header}
    row.update(item_id="b0p0", value="graphic", action="accept", score="0.91",
               model="windows", model_version="2", prediction_id="7", book="book0")
    f = write_csv(tmp_path / "export.csv", header, [[row[c] for c in header]])
    report = import_labels(ws, f, id_column="item_id", label_column="value")
    assert report.columns_kept == {"columns": ["book"], "items": 1}
    meta = _meta(ws, "b0p0")
    assert meta["book"] == "book0" and "score" not in meta and "action" not in meta
