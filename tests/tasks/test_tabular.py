"""A tabular project's rows in the store (SQLite, or PostgreSQL with GLAMLAB_TEST_PG):
ingest of a gzipped CSV, the schema in the card, one error per bad table with nothing
stored, outcomes arriving later as new versions of the rows, the time split, and the
leakage gate before training."""

from __future__ import annotations

import pytest

from glamlab.errors import ColumnError, ConfigError, LabelError
from glamlab.tasks import tabular as tb
from tests import bookings

NEVER = [c for c in bookings.NEVER if c != "reservation_status"]


def _ws(make_ws):
    return make_ws("rows", modality="tabular", labels=["0", "1"])


def test_rows_in_out_and_the_time_split(make_ws, tmp_path):
    ws = _ws(make_ws)
    res = tb.ingest_table(ws, bookings.SAMPLE, time_column="arrival_date",
                          label_column="is_canceled", id_column="id", never_features=NEVER,
                          types={"agent": "category", "company": "category"})
    assert res.report.added == 2860
    assert ws.card.section("tabular")["time_column"] == "arrival_date"
    assert tb.schema_of(ws).never_features == NEVER
    assert [f.column for f in res.leakage.flagged][:1] == ["reservation_status"]
    assert res.train_until is not None  # an automatic split by time
    assert res.yearly == []  # arrival_date_year is a never-feature here
    assert "glamlab backtest" in ws.status()["next_step"]  # no labelling step for rows
    frame = tb.project_frame(ws)
    assert len(frame) == 2860 and frame["arrival_date"].is_monotonic_increasing
    split = tb.set_time_split(ws, "2017-01-01")
    assert (split["train"], split["test"]) == (1980, 880)
    train, later, cutoff = tb.split_frame(ws, frame)
    assert cutoff == "2017-01-01" and train["arrival_date"].max() < later["arrival_date"].min()
    # the status column leaks the outcome and is not a never-feature: training refused
    with pytest.raises(LabelError) as exc:
        tb.require_no_leakage(train, tb.schema_of(ws))
    assert "reservation_status" in str(exc.value) and "never_features" in exc.value.hint
    with pytest.raises(ConfigError, match="no rows to train on"):
        tb.set_time_split(ws, "2000-01-01")


def _july_in(make_ws, tmp_path):
    """A project holding July 2017 with its outcomes; July's rows and the later ones."""
    ws = _ws(make_ws)
    raw = bookings.raw()
    july = raw[raw["arrival_date"].str.startswith("2017-07")]
    rows = raw[raw["arrival_date"] >= "2017-08-01"]
    july.to_csv(tmp_path / "july.csv", index=False)
    tb.ingest_table(ws, tmp_path / "july.csv", time_column="arrival_date",
                    label_column="is_canceled", id_column="id", check_leaks=False)
    return ws, july, rows


def test_outcomes_that_arrive_later_are_new_versions(make_ws, tmp_path):
    ws, july, rows = _july_in(make_ws, tmp_path)
    path = tmp_path / "aug.csv"
    rows.drop(columns=["is_canceled"]).to_csv(path, index=False)
    tb.ingest_table(ws, path, check_leaks=False)
    frame = tb.project_frame(ws)
    assert frame.loc[frame["arrival_date"] >= "2017-08-01", "is_canceled"].isna().all()
    # the status counts the rows whose outcome is known (not "0 labelled")
    assert f"{len(july):,} with an outcome" in ws.status()["summary"]
    rows.to_csv(path, index=False)
    res = tb.ingest_table(ws, path, check_leaks=False)
    assert res.report.updated == len(rows)
    assert f"{len(july) + len(rows):,} with an outcome" in ws.status()["summary"]
    frame = tb.project_frame(ws)
    assert frame["is_canceled"].notna().all()
    assert frame["is_canceled"].sum() == bookings.raw().loc[rows.index.union(july.index),
                                                 "is_canceled"].astype(int).sum()


def test_outcomes_in_another_file_need_allow_source_change(make_ws, tmp_path):
    """The rows' outcomes arriving in a new file: refused as a whole (nothing stored),
    unless allow_source_change, then new versions; an empty outcome column before them
    is no outcomes yet."""
    from glamlab.errors import IngestError

    ws, july, rows = _july_in(make_ws, tmp_path)
    rows.assign(is_canceled="").to_csv(tmp_path / "aug.csv", index=False)
    res = tb.ingest_table(ws, tmp_path / "aug.csv")
    assert res.report.added == len(rows) and res.leakage is None
    assert f"{len(july):,} with an outcome" in ws.status()["summary"]
    rows.to_csv(tmp_path / "aug-outcomes.csv", index=False)
    with pytest.raises(IngestError, match="another source") as exc:
        tb.ingest_table(ws, tmp_path / "aug-outcomes.csv", check_leaks=False)
    assert "allow_source_change=True" in exc.value.hint  # Python's words (glamlab.said)
    assert f"{len(july):,} with an outcome" in ws.status()["summary"]
    res = tb.ingest_table(ws, tmp_path / "aug-outcomes.csv", check_leaks=False,
                          allow_source_change=True)
    assert (res.report.added, res.report.updated) == (0, len(rows))
    assert f"{len(july) + len(rows):,} with an outcome" in ws.status()["summary"]
    assert tb.project_frame(ws)["is_canceled"].notna().all()


def test_bad_tables_are_one_error_and_store_nothing(make_ws, tmp_path):
    ws = _ws(make_ws)
    raw = bookings.raw().head(50)
    with pytest.raises(ColumnError, match="arrival"):
        tb.ingest_table(ws, bookings.SAMPLE, time_column="arrivals", label_column="is_canceled",
                        id_column="id")
    twice = tmp_path / "twice.csv"
    raw.assign(id="same").to_csv(twice, index=False)
    res = tb.ingest_table(ws, twice, time_column="arrival_date", label_column="is_canceled",
                          id_column="id")  # every row a problem: nothing stored
    assert (res.report.seen, res.report.failed) == (0, 50)
    assert "is on 50 rows" in res.report.problems[0]["reason"]
    assert ws.card.section("tabular") == {}  # the card is left as it was
    no_id = tmp_path / "no-id.csv"
    raw.drop(columns=["id"]).to_csv(no_id, index=False)
    with pytest.raises(ConfigError, match="no id column"):
        tb.ingest_table(ws, no_id, time_column="arrival_date", label_column="is_canceled")
    assert ws.count_items() == 0
    with pytest.raises(ConfigError, match="time column"):
        tb.ingest_table(ws, bookings.SAMPLE)


def test_outcome_values_that_are_not_yes_or_no_are_refused(make_ws, tmp_path):
    """Every outcome but the positive value is read as "no": a third value (a typo, a
    'maybe') or a yes/no column read with the positive value 1 would have made those
    rows "no" outcomes, silently. A column of such values is one error naming the
    column, the values, the rows and the fix, nothing stored; --positive says which
    value is yes. A few rows with a third value are left out, each one problem naming
    its id and line (they refused the whole table before), the other rows stored."""
    ws = _ws(make_ws)
    raw = bookings.raw().head(40)
    yes_no = raw.assign(is_canceled=raw["is_canceled"].astype(str).map({"1": "yes", "0": "no"}))
    path = tmp_path / "yes-no.csv"
    yes_no.to_csv(path, index=False)
    options = {"time_column": "arrival_date", "label_column": "is_canceled",
               "id_column": "id", "check_leaks": False}
    with pytest.raises(ColumnError) as exc:
        tb.ingest_table(ws, path, **options)
    assert "holds 'no' and 'yes', and neither is the positive value '1'" in str(exc.value)
    assert "--positive" in exc.value.hint and exc.value.column == "is_canceled"
    many = yes_no.copy()  # most rows with a third value: the column is wrong
    many.loc[many.index[:26:2], "is_canceled"] = "maybe"
    many.loc[many.index[1:26:2], "is_canceled"] = "Yes"
    many.to_csv(tmp_path / "many.csv", index=False)
    with pytest.raises(ColumnError) as exc:
        tb.ingest_table(ws, tmp_path / "many.csv", positive="yes", **options)
    message = str(exc.value)
    assert "4 different values" in message and "'maybe'" in message and "'Yes'" in message
    assert exc.value.column == "is_canceled" and "correct those rows" in exc.value.hint
    assert ws.count_items() == 0
    odd = yes_no.copy()  # two rows: left out, the others stored
    odd.loc[odd.index[3], "is_canceled"] = "maybe"
    odd.loc[odd.index[5], "is_canceled"] = "Yes"
    odd.to_csv(tmp_path / "odd.csv", index=False)
    res = tb.ingest_table(ws, tmp_path / "odd.csv", positive="yes", **options)
    assert (res.report.added, res.report.failed) == (38, 2)
    assert [(p["item"], p["reason"].split(":")[0]) for p in res.report.problems] == [
        (str(odd["id"].iloc[3]), "line 5"), (str(odd["id"].iloc[5]), "line 7")]
    assert "has 'Yes' in the outcome column" in res.report.problems[1]["reason"]
    assert "write 'yes' or 'no' there" in res.report.problems[1]["hint"]
    res = tb.ingest_table(ws, path, positive="yes", **options)
    assert (res.report.added, res.report.unchanged) == (2, 38)
    frame = tb.project_frame(ws)
    assert int(frame["is_canceled"].sum()) == int((raw["is_canceled"].astype(str) == "1").sum()) > 0
    with pytest.raises(ConfigError, match="positive is 'yes', not 'no'"):
        tb.ingest_table(ws, path, positive="no", **options)


def test_a_later_table_must_write_its_outcomes_as_the_stored_rows_do(make_ws, tmp_path):
    """The outcome values are checked against the rows stored already, not only within
    one file: a second table writing only 'Yes' where the first wrote yes/no passed on
    its own and made its rows "no" outcomes, silently; one writing 1/0 was refused with
    the hint to change the positive value, which the stored rows contradict. Now one
    error naming the file, its values, the stored ones and the fix; nothing of it is
    stored; the same table written as the stored rows do comes in."""
    ws = _ws(make_ws)
    raw = bookings.raw().head(60)
    yes_no = raw.assign(is_canceled=raw["is_canceled"].astype(str).map({"1": "yes", "0": "no"}))
    yes_no.head(40).to_csv(tmp_path / "first.csv", index=False)
    tb.ingest_table(ws, tmp_path / "first.csv", time_column="arrival_date",
                    label_column="is_canceled", id_column="id", positive="yes",
                    check_leaks=False)
    later = raw.iloc[40:]
    assert set(later["is_canceled"].astype(str)) == {"0", "1"}
    later.to_csv(tmp_path / "second.csv", index=False)
    with pytest.raises(ColumnError) as exc:
        tb.ingest_table(ws, tmp_path / "second.csv", check_leaks=False)
    message = str(exc.value)
    assert "of second.csv holds '0', '1'" in message and "'no' and 'yes'" in message
    assert repr(str(later["id"].iloc[0])) in message and exc.value.column == "is_canceled"
    assert "'yes' for yes, 'no' for no" in exc.value.hint
    assert ws.count_items() == 40
    # one value unlike the stored ones is enough ('Yes' would be read as no): on a few
    # rows, those rows are left out, each named with the fix, the others stored
    one = yes_no.iloc[40:].copy()
    one["is_canceled"] = one["is_canceled"].replace({"yes": "Yes"})
    n_yes = int((one["is_canceled"] == "Yes").sum())
    assert 0 < n_yes <= 10
    one.to_csv(tmp_path / "second.csv", index=False)
    res = tb.ingest_table(ws, tmp_path / "second.csv", check_leaks=False)
    assert (res.report.added, res.report.failed) == (20 - n_yes, n_yes)
    assert all("has 'Yes' in the outcome column 'is_canceled'" in p["reason"]
               and "write 'yes' or 'no' there" in p["hint"] for p in res.report.problems)
    assert ws.count_items() == 60 - n_yes
    yes_no.iloc[40:].to_csv(tmp_path / "second.csv", index=False)
    assert tb.ingest_table(ws, tmp_path / "second.csv", check_leaks=False).report.added == n_yes
    frame = tb.project_frame(ws)  # every "yes" a yes
    assert int(frame["is_canceled"].sum()) == int((raw["is_canceled"].astype(str) == "1").sum())


def test_a_first_table_with_a_header_only_is_refused_and_fixes_nothing(make_ws, tmp_path):
    """A header-only first table fixed the project's columns and wrote a time split at
    'NaT' in the card. Refused now, the card untouched; a later one adds nothing."""
    ws = _ws(make_ws)
    raw = bookings.raw()
    raw.head(0).to_csv(tmp_path / "header.csv", index=False)
    options = {"time_column": "arrival_date", "label_column": "is_canceled",
               "id_column": "id", "check_leaks": False}
    with pytest.raises(ConfigError, match="header.csv holds no rows"):
        tb.ingest_table(ws, tmp_path / "header.csv", **options)
    assert ws.card.section("tabular") is None or not ws.card.section("tabular")
    assert "split" not in ws.card.raw
    raw.head(30).to_csv(tmp_path / "rows.csv", index=False)
    first = tb.ingest_table(ws, tmp_path / "rows.csv", **options)
    assert first.train_until and first.train_until != "NaT"
    again = tb.ingest_table(ws, tmp_path / "header.csv", **options)
    assert again.report.added == 0 and ws.count_items() == 30


def test_an_image_project_is_not_tabular(make_ws):
    ws = make_ws("pages", modality="image", labels=["a", "b"])
    with pytest.raises(ConfigError, match="not a tabular one"):
        tb.schema_of(ws)


def test_a_column_that_only_follows_the_year_is_pointed_out(make_ws):
    """arrival_date_year, left among the features, is named at ingest with the flag that
    keeps it out (every later year lies outside its training range)."""
    ws = _ws(make_ws)
    never = [c for c in NEVER if c != "arrival_date_year"]
    res = tb.ingest_table(ws, bookings.SAMPLE, time_column="arrival_date",
                          label_column="is_canceled", id_column="id", never_features=never,
                          types={"agent": "category", "company": "category"})
    assert res.yearly == ["arrival_date_year"]
    assert "add 'arrival_date_year' to never_features=[...]" in res.summary()
    assert res.to_dict()["follow_the_year"] == ["arrival_date_year"]


def test_ingest_names_every_calendar_column_monitoring_leaves_out_of_drift(make_ws, tmp_path):
    """Ingest warned only about arrival_date_year (a column that follows the year), while
    monitoring also leaves the week number, the day of the month and the month's name out
    of drift: each is named at ingest, by the monitor's own rule (a week number under a
    name of its own counts too)."""
    from glamlab.monitoring.tabular import calendar_positions as monitor_rule
    from glamlab.tasks.calendar import calendar_positions

    assert monitor_rule is calendar_positions  # one rule for ingest and the monitor
    ws = _ws(make_ws)
    table = bookings.raw()
    table["wk"] = table["arrival_date_week_number"]
    table.to_csv(tmp_path / "rows.csv", index=False)
    never = [c for c in NEVER if c not in ("arrival_date_month", "arrival_date_week_number",
                                           "arrival_date_day_of_month")]
    res = tb.ingest_table(ws, tmp_path / "rows.csv", time_column="arrival_date",
                          label_column="is_canceled", id_column="id", never_features=never,
                          types={"agent": "category", "company": "category"})
    assert res.calendar == {
        "arrival_date_month": "the month of arrival_date",
        "arrival_date_week_number": "the week of the year of arrival_date",
        "arrival_date_day_of_month": "the day of the month of arrival_date",
        "wk": "the week of the year of arrival_date"}
    said = res.summary()
    assert ("Left out of drift monitoring: arrival_date_month (the month of arrival_date), "
            "arrival_date_week_number (the week of the year of arrival_date)") in said
    assert "wk (the week of the year of arrival_date)" in said
    assert res.to_dict()["calendar"] == res.calendar


def test_known_outcomes_are_labels_in_the_split_of_their_time(make_ws, tmp_path):
    """Each row with an outcome is a label given by the table (its source naming the
    outcome column) in the train or test split by its time, as training and the backtest
    see them: rows without one are neither; a later outcome labels its row, a corrected
    one replaces the label, a blank never erases it; the cutoff moves the rows; a project
    whose outcomes are not labels yet gets them from the split."""
    import sqlalchemy as sa

    from glamlab.tasks.labels import gold_labels
    from glamlab.tasks.splits import split_of

    ws, july, rows = _july_in(make_ws, tmp_path)
    gold = gold_labels(ws)
    assert gold == {str(i): [str(int(v))] for i, v in zip(july["id"], july["is_canceled"],
                                                          strict=True)}
    t = ws.store.t.labels
    with ws.store.read() as conn:
        sources = {r.annotator: r.source for r in conn.execute(sa.select(t))}
    assert sources == {tb.TABLE_ANNOTATOR: "is_canceled column of july.csv"}
    assert set(split_of(ws, list(gold)).values()) == {"train", "test"}  # the automatic split
    tb.set_time_split(ws, "2017-07-16")
    train, later, _ = tb.split_frame(ws)
    split = split_of(ws)
    assert {i for i, s in split.items() if s == "train"} == set(train["id"])
    assert {i for i, s in split.items() if s == "test"} == set(later["id"])
    # August without outcomes: no labels, no split; then with them: labelled, in test
    path = tmp_path / "aug.csv"
    rows.drop(columns=["is_canceled"]).to_csv(path, index=False)
    tb.ingest_table(ws, path, check_leaks=False)
    assert len(gold_labels(ws)) == len(july) and len(split_of(ws)) == len(july)
    rows.to_csv(path, index=False)
    tb.ingest_table(ws, path, check_leaks=False)
    gold = gold_labels(ws)
    assert len(gold) == len(july) + len(rows)
    assert {split_of(ws)[str(i)] for i in rows["id"]} == {"test"}
    # a corrected outcome replaces the label; a blank column leaves every label as it is
    first = str(rows["id"].iloc[0])
    other = str(1 - int(rows["is_canceled"].iloc[0]))
    flipped = rows.copy()
    flipped.loc[flipped.index[0], "is_canceled"] = other
    flipped.to_csv(path, index=False)
    tb.ingest_table(ws, path, check_leaks=False)
    assert gold_labels(ws)[first] == [other]
    rows.assign(is_canceled="").to_csv(path, index=False)
    tb.ingest_table(ws, path, check_leaks=False)
    after = gold_labels(ws)
    assert after[first] == [other]
    assert len(after) == len(july) + len(rows)
    # outcomes that are not labels yet (a project ingested before they were kept as
    # labels): setting the split brings them in
    with ws.store.write() as conn:
        conn.execute(t.delete())
        conn.execute(ws.store.t.splits.delete())
    assert gold_labels(ws) == {}
    res = tb.set_time_split(ws, "2017-07-16")
    assert gold_labels(ws) == after
    assert sum(1 for s in split_of(ws).values() if s == "train") == res["train"]


def test_the_same_rows_read_as_floats_are_not_new_versions(make_ws, tmp_path):
    """July's rows again, in a Parquet file beside new rows whose outcome is not known
    yet: the gaps make the outcome column (and any whole-number column with a gap)
    floats, 1.0 for the CSV's "1". Before, every July row got a new version for it (its
    content hash covered 1.0 instead of "1"); now only the new rows come in."""
    import numpy as np
    import pandas as pd

    ws, july, rows = _july_in(make_ws, tmp_path)
    later = rows.head(40).assign(is_canceled=np.nan)
    both = pd.concat([july.assign(is_canceled=july["is_canceled"].astype(float)), later])
    for col in ("adults", "babies"):
        both[col] = pd.to_numeric(both[col]).astype(float)
    assert both["is_canceled"].dtype == float
    both.to_parquet(tmp_path / "july.parquet", index=False)
    res = tb.ingest_table(ws, tmp_path / "july.parquet", check_leaks=False,
                          allow_source_change=True)
    assert (res.report.added, res.report.updated) == (len(later), 0)
    frame = tb.project_frame(ws)
    assert frame["is_canceled"].notna().sum() == len(july)


def test_a_read_only_card_stops_the_first_table_before_any_row_is_stored(
        make_ws, tmp_path, read_only):
    """The first table's schema and time split are saved in the card after its rows:
    with a card that cannot be written the rows used to be stored (labels and split
    too) and the card left without [tabular], so the next table counted as the first
    again and re-split every row. Now nothing is stored, with one clear error."""
    from glamlab.errors import CardNotWritable

    ws = _ws(make_ws)
    read_only(ws.root / "glamlab.toml")
    with pytest.raises(CardNotWritable, match="glamlab.toml"):
        tb.ingest_table(ws, bookings.SAMPLE, time_column="arrival_date",
                        label_column="is_canceled", id_column="id", never_features=NEVER)
    assert ws.count_items() == 0
    assert ws.status()["stages"][2]["count"] == 0  # no labels


def test_a_row_without_a_date_or_id_is_left_out_naming_its_line(make_ws, tmp_path):
    """An empty date cell was stored: the row, with its outcome, sat in the test split
    whatever its date (a missing date is never before the cutoff) and in no month. An
    empty id cell was stored as the item ''. Then the whole table was refused for one
    such row. Now each such row is left out, one problem naming its id and line and the
    fix, and the other rows are stored, before or after the first table; an empty file
    and a time column of no dates at all are still one error, nothing stored."""
    ws = _ws(make_ws)
    raw = bookings.raw().head(30).reset_index(drop=True)
    opts = {"time_column": "arrival_date", "label_column": "is_canceled", "id_column": "id",
            "check_leaks": False}
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ColumnError, match="empty.csv is empty"):
        tb.ingest_table(ws, empty, **opts)
    words = tmp_path / "words.csv"
    raw.assign(arrival_date="soon").to_csv(words, index=False)
    with pytest.raises(ColumnError, match="'arrival_date' is not a date: none of its 30"):
        tb.ingest_table(ws, words, **opts)
    assert ws.count_items() == 0
    no_date = tmp_path / "no-date.csv"
    raw.assign(arrival_date=raw["arrival_date"].mask(raw.index == 7, "")).to_csv(
        no_date, index=False)
    rid = raw["id"][7]
    res = tb.ingest_table(ws, no_date, **opts)  # the first table
    assert (res.report.added, res.report.failed) == (29, 1)
    [p] = res.report.problems
    assert p["item"] == rid and p["reason"].startswith(f"line 9: the row '{rid}' has no date")
    assert "left out" in p["reason"] and "YYYY-MM-DD" in p["hint"]
    wrong = tmp_path / "wrong-date.csv"
    raw.assign(arrival_date=raw["arrival_date"].mask(raw.index == 3, "05/03/2016")).to_csv(
        wrong, index=False)
    res = tb.ingest_table(ws, wrong, **opts)  # a later table
    [p] = res.report.problems
    assert p["reason"].startswith(f"line 5: the row '{raw['id'][3]}' has '05/03/2016'")
    assert res.report.added == 1  # the row left out of the first table
    no_id = tmp_path / "no-id.csv"
    raw.assign(id=raw["id"].mask(raw.index == 2, "")).to_csv(no_id, index=False)
    res = tb.ingest_table(ws, no_id, **opts)
    [p] = res.report.problems
    assert p["item"] == "line 4" and "'id' is empty" in p["reason"]
    assert ws.count_items() == 30 and "" not in {i.item_id for i in ws.items()}
    # every row a problem: nothing stored, the problems said as every ingest says them
    blank = tmp_path / "blank-dates.csv"
    raw.head(2).assign(arrival_date="").to_csv(blank, index=False)
    res = tb.ingest_table(ws, blank, allow_source_change=True)
    assert (res.report.seen, res.report.failed) == (0, 2)
    assert ws.count_items() == 30


def test_bad_rows_are_left_out_and_the_rest_stored(make_ws, tmp_path):
    """A table with one id given twice, one empty date and good rows used to be refused
    as a whole. Now the good rows are stored; each bad row is one problem (recorded, as
    every ingest's are) naming its id, its line and the fix, both copies of the repeated
    id left out (which one is right is not known); rows stored before stay as they are."""
    ws = _ws(make_ws)
    raw = bookings.raw().head(40).reset_index(drop=True)
    opts = {"time_column": "arrival_date", "label_column": "is_canceled", "id_column": "id",
            "check_leaks": False}
    raw.head(20).to_csv(tmp_path / "first.csv", index=False)
    tb.ingest_table(ws, tmp_path / "first.csv", **opts)
    kept = {i.item_id: dict(i.meta) for i in ws.items()}
    later = raw.iloc[20:].reset_index(drop=True)
    twice = later["id"][3]
    bad = later.assign(id=later["id"].mask(later.index == 9, twice),
                       arrival_date=later["arrival_date"].mask(later.index == 5, ""))
    bad.to_csv(tmp_path / "later.csv", index=False)
    res = tb.ingest_table(ws, tmp_path / "later.csv")
    assert (res.report.added, res.report.failed) == (17, 3)
    by_line = {p["reason"].split(":")[0]: p for p in res.report.problems}
    assert set(by_line) == {"line 5", "line 7", "line 11"}
    for line in ("line 5", "line 11"):
        assert by_line[line]["item"] == twice
        assert f"the id '{twice}' is on 2 rows (line 5, line 11)" in by_line[line]["reason"]
        assert "every copy was left out" in by_line[line]["reason"]
        assert "keep one row" in by_line[line]["hint"]
    assert by_line["line 7"]["item"] == later["id"][5]
    assert "no date" in by_line["line 7"]["reason"]
    stored = {i.item_id: dict(i.meta) for i in ws.items()}
    assert len(stored) == 37 and twice not in stored and later["id"][5] not in stored
    assert all(stored[i] == m for i, m in kept.items())  # the rows stored before stay
    assert "3 problems recorded" in res.summary() and "line 7: the row" in res.summary()
    assert {e["item"] for e in ws.ingest_errors()} == {twice, later["id"][5]}


def test_a_bad_date_or_outcome_on_a_row_is_left_out_and_the_rest_stored(make_ws, tmp_path):
    """A later table with 'not a date' in a date column besides the time column (here a
    never-feature: it is typed all the same), a word in a never-feature number column, or
    an outcome that is neither of the project's two ('maybe' beside '1' and '0') was
    refused as a whole, nothing of it stored. Now that row is left out, one problem
    naming its id, its line and the fix, and the other rows are stored; a stored row
    brought again with a wrong outcome keeps its stored version. An empty outcome is no
    problem: the outcome is not known yet (a booking still to come), and the row comes in
    to be predicted. A column of wrong values is still one error, nothing stored."""
    ws = _ws(make_ws)
    raw = bookings.raw().head(40).reset_index(drop=True)
    opts = {"time_column": "arrival_date", "label_column": "is_canceled", "id_column": "id",
            "never_features": ["booking_changes", "reservation_status_date"],
            "check_leaks": False}
    first = raw.head(20)
    first.to_csv(tmp_path / "first.csv", index=False)
    tb.ingest_table(ws, tmp_path / "first.csv", **opts)
    assert tb.schema_of(ws).columns["reservation_status_date"] == "date"
    kept = {i.item_id: dict(i.meta) for i in ws.items()}
    later = raw.iloc[20:].reset_index(drop=True)
    bad = later.assign(
        reservation_status_date=later["reservation_status_date"].mask(later.index == 2,
                                                                      "not a date"),
        is_canceled=later["is_canceled"].mask(later.index == 5, "maybe").mask(
            later.index == 7, ""),
        booking_changes=later["booking_changes"].mask(later.index == 9, "abc"))
    bad.to_csv(tmp_path / "later.csv", index=False)
    res = tb.ingest_table(ws, tmp_path / "later.csv", check_leaks=False)
    assert (res.report.added, res.report.failed) == (17, 3)
    by_line = {p["reason"].split(":")[0]: p for p in res.report.problems}
    assert set(by_line) == {"line 4", "line 7", "line 11"}
    assert by_line["line 4"]["item"] == later["id"][2]
    assert by_line["line 4"]["reason"] == (
        f"line 4: the row '{later['id'][2]}' has 'not a date' in the date column "
        "'reservation_status_date', not a date; it was left out")
    assert "YYYY-MM-DD" in by_line["line 4"]["hint"]
    assert by_line["line 7"]["item"] == later["id"][5]
    assert by_line["line 7"]["reason"] == (
        f"line 7: the row '{later['id'][5]}' has 'maybe' in the outcome column "
        "'is_canceled', not one of the project's two outcomes ('1' for yes, '0' for no); "
        "it was left out")
    assert by_line["line 7"]["hint"].startswith("write '1' or '0' there, or leave the cell "
                                                "empty where the outcome is not known yet")
    assert "'abc' in the number column 'booking_changes'" in by_line["line 11"]["reason"]
    stored = {i.item_id: dict(i.meta) for i in ws.items()}
    assert len(stored) == 37
    assert not {later["id"][i] for i in (2, 5, 9)} & set(stored)
    assert all(stored[i] == m for i, m in kept.items())  # the rows stored before stay
    # the empty outcome: stored, no problem, a row still to come (no outcome, no label)
    assert not tb.has_outcome(stored[later["id"][7]], "is_canceled")
    assert tb.count_known_outcomes(ws) == 36
    assert {e["item"] for e in ws.ingest_errors()} == {later["id"][i] for i in (2, 5, 9)}
    assert "3 problems recorded" in res.summary()

    # a stored row brought again with an outcome that is not one of the two: left out,
    # its stored outcome kept; the empty outcome of another keeps its stored one too
    again = first.assign(is_canceled=first["is_canceled"].mask(first.index == 3, "yes")
                         .mask(first.index == 4, ""))
    again.to_csv(tmp_path / "first.csv", index=False)
    res = tb.ingest_table(ws, tmp_path / "first.csv", check_leaks=False)
    assert (res.report.added, res.report.updated, res.report.unchanged,
            res.report.failed) == (0, 0, 19, 1)
    [p] = res.report.problems
    assert p["item"] == first["id"][3] and "has 'yes' in the outcome column" in p["reason"]
    assert {i.item_id: dict(i.meta) for i in ws.items()} == stored
    # most outcomes written another way: the column is wrong, one error, nothing stored
    words = first.assign(is_canceled=first["is_canceled"].map({"0": "no", "1": "yes"}))
    words.to_csv(tmp_path / "first.csv", index=False)
    with pytest.raises(ColumnError, match="the rows stored already hold '0' and '1'"):
        tb.ingest_table(ws, tmp_path / "first.csv", check_leaks=False)
    assert {i.item_id: dict(i.meta) for i in ws.items()} == stored


def test_an_odd_outcome_in_the_first_table_is_left_out(make_ws, tmp_path):
    """The project's first table: a third outcome value on one row refused the table (and
    so the project had no rows at all); now that row is left out and the two outcomes are
    those of the other rows."""
    ws = _ws(make_ws)
    raw = bookings.raw().head(30).reset_index(drop=True)
    raw.assign(is_canceled=raw["is_canceled"].mask(raw.index == 6, "Maybe")).to_csv(
        tmp_path / "first.csv", index=False)
    res = tb.ingest_table(ws, tmp_path / "first.csv", time_column="arrival_date",
                          label_column="is_canceled", id_column="id", check_leaks=False)
    assert (res.report.added, res.report.failed) == (29, 1)
    [p] = res.report.problems
    assert p["reason"].startswith(f"line 8: the row '{raw['id'][6]}' has 'Maybe' in the "
                                  "outcome column")
    assert ws.card.section("tabular")["label_column"] == "is_canceled"


def test_a_later_table_without_a_column_or_with_a_word_for_a_number_says_the_fix(
        make_ws, tmp_path):
    """A later table without a column the models read said "fix: name an existing column
    as the column"; a word in a number column named no row. Now: the column, that models
    read it, and the fix (add it, or make it a never-feature); the row by its id."""
    ws = _ws(make_ws)
    raw = bookings.raw().head(30).reset_index(drop=True)
    opts = {"time_column": "arrival_date", "label_column": "is_canceled", "id_column": "id",
            "check_leaks": False}
    raw.to_csv(tmp_path / "first.csv", index=False)
    tb.ingest_table(ws, tmp_path / "first.csv", **opts)
    later = bookings.raw().iloc[30:40].reset_index(drop=True)
    later.drop(columns=["lead_time"]).to_csv(tmp_path / "no-lead.csv", index=False)
    with pytest.raises(ColumnError) as exc:
        tb.ingest_table(ws, tmp_path / "no-lead.csv")
    assert "no column 'lead_time'" in str(exc.value) and "never_features" in exc.value.hint
    later.assign(lead_time=later["lead_time"].mask(later.index == 3, "abc")).to_csv(
        tmp_path / "word.csv", index=False)
    res = tb.ingest_table(ws, tmp_path / "word.csv")  # one row's word: that row left out
    [p] = res.report.problems
    assert p["item"] == later["id"][3] and "'abc' in the number column 'lead_time'" in p["reason"]
    assert 'lead_time = "category"' in p["hint"] and res.report.added == 9
    later.assign(lead_time="abc").to_csv(tmp_path / "words.csv", index=False)
    with pytest.raises(ColumnError, match="typed as a number but 10 values are not"):
        tb.ingest_table(ws, tmp_path / "words.csv")  # a column of words: the wrong type
    assert ws.count_items() == 39
