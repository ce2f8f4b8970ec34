"""Typed columns: schema inference, the card section, typing, and one clear error per
bad column (naming it and the fix)."""

from __future__ import annotations

import pytest

from glamlab.errors import ColumnError
from glamlab.ingest.columns import TableSchema, frame_from_items, infer_schema, prepare
from tests import bookings


def test_infer_schema_types_the_real_bookings():
    schema = bookings.schema()
    cols = schema.columns
    assert cols["lead_time"] == "number" and cols["adr"] == "number"
    assert cols["hotel"] == "category" and cols["deposit_type"] == "category"
    assert cols["agent"] == "category"  # forced: agent numbers are identifiers
    assert cols["arrival_date"] == "date" and cols["reservation_status_date"] == "date"
    assert "is_canceled" not in cols and "id" not in cols
    assert "reservation_status" not in schema.features
    assert "arrival_date" not in schema.features
    assert "lead_time" in schema.features


def test_prepare_types_and_orders_by_time():
    f = bookings.frame()
    assert str(f["arrival_date"].dtype).startswith("datetime64")
    assert f["arrival_date"].is_monotonic_increasing
    assert f["lead_time"].dtype == float
    assert set(f["is_canceled"].unique()) == {0.0, 1.0}
    # empty company ids ("NULL" in the file) are a category of their own, not an error
    assert "(missing)" in set(f["company"])


def test_card_round_trip():
    schema = bookings.schema()
    again = TableSchema.from_card(schema.to_card())
    assert again == schema


def test_unknown_type_and_unknown_key_in_the_card():
    card = bookings.schema().to_card()
    card["columns"]["lead_time"] = "integer"
    with pytest.raises(ColumnError, match="lead_time") as exc:
        TableSchema.from_card(card)
    assert exc.value.hint
    with pytest.raises(ColumnError, match="unknown keys"):
        TableSchema.from_card({"time_column": "t", "colums": {}})
    with pytest.raises(ColumnError, match="no time column"):
        TableSchema.from_card({"label_column": "y"})


def test_a_wrong_column_name_is_one_error_naming_it_and_the_closest():
    table = bookings.raw()
    with pytest.raises(ColumnError) as exc:
        infer_schema(table, time_column="arival_date", label_column="is_canceled")
    assert exc.value.column == "arival_date"
    assert "'arrival_date'" in str(exc.value)  # did you mean
    assert "time column" in exc.value.hint


def test_a_time_column_that_is_not_a_date():
    table = bookings.raw()
    with pytest.raises(ColumnError) as exc:
        infer_schema(table, time_column="hotel", label_column="is_canceled")
    assert exc.value.column == "hotel"
    assert "not a date" in str(exc.value) and "YYYY-MM-DD" in exc.value.hint


def test_a_missing_label_column():
    schema = bookings.schema()
    table = bookings.raw().drop(columns=["is_canceled"])
    with pytest.raises(ColumnError) as exc:
        prepare(table, schema)
    assert exc.value.column == "is_canceled" and "label column" in str(exc.value)
    # without outcomes (new rows to predict) the same table is fine
    assert len(prepare(table, schema, require_label=False)) == len(table)


def test_an_empty_label_column_is_no_outcomes_yet():
    """New rows may keep the outcome column with every value empty: typed, their outcome
    is missing (as without the column). Naming an empty column as a new table's outcome
    is refused, naming it."""
    schema = bookings.schema()
    table = bookings.raw().head(40).assign(is_canceled="")
    typed = prepare(table, schema)
    assert len(typed) == 40 and typed["is_canceled"].isna().all()
    with pytest.raises(ColumnError) as exc:
        infer_schema(table, time_column="arrival_date", label_column="is_canceled")
    assert exc.value.column == "is_canceled" and "empty" in str(exc.value)
    assert "none of the 40 rows has an outcome" in str(exc.value)
    assert "label column" in exc.value.hint
    # a table of one row: said of that row, not "none of the 1 rows"
    with pytest.raises(ColumnError) as one:
        infer_schema(table.head(1), time_column="arrival_date", label_column="is_canceled")
    assert "its one row has no outcome" in str(one.value)
    assert "1 rows" not in str(one.value)


def test_outcomes_read_as_floats_keep_their_positives():
    """An outcome column with a missing value reads as floats (Parquet, pandas: 1.0, 0.0,
    NaN). 1.0 is the positive "1", not a 0 (every positive was lost before)."""
    schema = bookings.schema()
    table = bookings.raw().head(40)
    truth = table["is_canceled"].astype(int).to_numpy()
    floats = table.assign(is_canceled=table["is_canceled"].astype(float))
    floats.loc[floats.index[0], "is_canceled"] = float("nan")
    typed = prepare(floats, schema).set_index("id")
    got = typed.loc[table["id"].astype(str).iloc[1:], "is_canceled"].to_numpy()
    assert truth[1:].sum() > 0 and (got == truth[1:]).all()
    assert typed.loc[str(table["id"].iloc[0]), "is_canceled"] != \
        typed.loc[str(table["id"].iloc[0]), "is_canceled"]  # NaN: not known yet


def test_numbers_that_are_not_numbers():
    schema = bookings.schema()
    table = bookings.raw()
    table.loc[5, "adr"] = "about 90"
    with pytest.raises(ColumnError, match="'adr'") as exc:
        prepare(table, schema)
    assert "category" in exc.value.hint


def test_rows_ingested_as_items_make_the_same_table(make_ws):
    """Rows of a tabular project go through the ordinary table ingest into the store
    (SQLite or PostgreSQL) and come back as the same typed table."""
    ws = make_ws("bookings", modality="tabular", labels=["0", "1"])
    report = ws.ingest([str(_plain_csv(ws.root))])
    assert report.added == 2860
    schema = bookings.schema()
    items = list(ws.items())
    assert {i.modality for i in items} == {"record"}
    got = frame_from_items(items, schema)
    want = bookings.frame()
    assert len(got) == len(want)
    got = got.sort_values(["arrival_date", "id"]).reset_index(drop=True)
    want = want.sort_values(["arrival_date", "id"]).reset_index(drop=True)
    for c in ("lead_time", "adr", "hotel", "is_canceled", "arrival_date", "company"):
        assert got[c].tolist() == want[c].tolist(), c


def _plain_csv(folder):
    import gzip
    import shutil

    out = folder / "bookings.csv"
    with gzip.open(bookings.SAMPLE, "rb") as src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return out


def test_a_row_with_an_extra_cell_is_named_with_its_line_and_the_fix(tmp_path):
    """A row with more cells than the header (a comma inside an unquoted cell) is one
    error naming the file, the line, the extra cell and the fix, in the words the label
    sheets use; in the middle of a file pandas said only "Expected 3 fields in line 3,
    saw 4", and in the first row it took the ids for row names and shifted every column
    silently. Empty cells past the header (a trailing comma) are read as nothing."""
    import gzip

    from glamlab.ingest.columns import read_table

    header = "id,day,out\n"
    for name, body, line in (("middle.csv", "r1,2020-01-01,1\nr2,2020-01-02,0,Smith\n", 3),
                             ("first.csv", "r1,2020-01-01,1,Smith\nr2,2020-01-02,0\n", 2)):
        (tmp_path / name).write_text(header + body)
        with pytest.raises(ColumnError) as exc:
            read_table(tmp_path / name)
        assert str(exc.value) == (f"{name} line {line}: 4 values where the header has 3 "
                                  "columns (the extra cell: 'Smith'); nothing was read")
        assert exc.value.hint == ("put a cell that holds a comma (',') in double quotes, or "
                                  "remove the extra cell, then try again")
    with gzip.open(tmp_path / "rows.csv.gz", "wt") as fh:
        fh.write(header + "r1,2020-01-01,1\n\nr2,2020-01-02,0,Smith,Jones\n")
    with pytest.raises(ColumnError, match=r"rows.csv.gz line 4: 5 values .* 'Smith', 'Jones'"):
        read_table(tmp_path / "rows.csv.gz")
    (tmp_path / "trailing.csv").write_text(header + "r1,2020-01-01,1,\nr2,2020-01-02,0,\n")
    table = read_table(tmp_path / "trailing.csv")
    assert table.to_dict("records") == [{"id": "r1", "day": "2020-01-01", "out": "1"},
                                        {"id": "r2", "day": "2020-01-02", "out": "0"}]
    (tmp_path / "short.csv").write_text(header + "r1,2020-01-01,1\nr2,2020-01-02\n")
    assert read_table(tmp_path / "short.csv")["out"].tolist() == ["1", ""]


def test_the_few_rows_whose_outcome_is_not_one_of_the_two_are_found():
    """odd_outcomes: the rows a table's ingest leaves out, one problem each, for a value
    that is not one of the two outcomes (a third one, or one the stored rows do not
    hold); none where such values are most of the column (check_outcomes' one error),
    and never an empty cell (not known yet)."""
    import pandas as pd

    from glamlab.ingest.columns import check_outcomes, odd_outcomes

    schema = TableSchema(time_column="t", label_column="y", positive="1")
    col = pd.Series(["1", "0", "0", "maybe", "", "1.0", "0"])
    odd, two = odd_outcomes(col, schema)
    assert odd.tolist() == [False, False, False, True, False, False, False]
    assert two == ["1", "0"]
    odd, two = odd_outcomes(pd.Series(["0", "0", "2", ""]), schema,
                            stored={"1": "a", "0": "b"})  # the stored rows say 1 and 0
    assert odd.tolist() == [False, False, True, False] and two == ["1", "0"]
    odd, two = odd_outcomes(pd.Series(["1", "no", "1"]), schema, stored={"0": "b"})
    assert odd.tolist() == [False, True, False] and two == ["1", "0"]
    many = pd.Series(["1", "no", "no", "yes", "0"])  # mostly other values: the column
    assert not odd_outcomes(many, schema, stored={"1": "a", "0": "b"})[0].any()
    with pytest.raises(ColumnError, match="stored already hold '0' and '1'"):
        check_outcomes(many, schema, pd.Series(list("abcde")), stored={"1": "a", "0": "b"})
    assert not odd_outcomes(pd.Series(["yes", "no"]), schema)[0].any()  # check_outcomes'
