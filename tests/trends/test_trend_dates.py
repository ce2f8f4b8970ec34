"""Honest dates for a trend over time (issue 22).

- A catalogue's date field also dates what happened to a work after it was made
  ("exhibited 1909", "published 1881", "purchased 1923"): the first year in the value was
  taken as the year of making, so such a work fell in the decade of its exhibition. Such
  a year is now refused; the item is counted with those that have no year, and the
  outputs say how many of them hold only such a date.
- pandas' NaN ("nan" as text, a float NaN in a Parquet column) is no value, never a group
  "nan"; a NaN ingested from Parquet or JSON Lines is stored as no value (it was stored as
  JSON's invalid NaN, and SQLite's JSON functions then failed on every trend).
- The sentence on the items with no year is said once per trend, not once per label.
"""

from __future__ import annotations

import csv
import json
import math
import re
from typing import Any

import pytest

from glamlab.cli import main
from glamlab.trends import ErrorRates, trends
from glamlab.trends.buckets import GroupBy, other_date, year_of
from glamlab.trends.words import label_summary, no_value_words
from tests.tasks.helpers import add_items
from tests.trends.helpers import add_model_with_predictions


@pytest.mark.parametrize("value,year", [
    # a date of making, alone or first
    ("1850", 1850), ("c.1850-5", 1850), ("?c.1750–65", 1750), ("1786 or 1800", 1786),
    ("1985, printed 1993–4", 1985), ("1844, exhibited 1844", 1844),
    ("1890, given to the museum 1920", 1890), ("c.1800–10, reworked and exhibited 1847", 1800),
    ("engraved 1775", 1775),
    # a year of showing, publishing, reproducing or acquiring: not the year of making
    ("exhibited 1909", None), ("?exhibited 1866", None), ("Published 1991", None),
    ("published by Smith & Co, London, 1881", None), ("reproduced in The Studio, 1950", None),
    ("purchased 1923", None), ("presented by the artist 1940", None),
    ("exhibited 1909 or 1910", None), ("exposé au Salon de 1870", None),
    # later years follow the refused one; a new part of the value starts afresh
    ("first published 1846, reprinted 1993", None),
    ("exhibition copy 2007 (original 1993)", 1993),
])
def test_a_year_of_showing_publishing_or_acquiring_is_not_the_year_of_making(
        value: str, year: int | None) -> None:
    assert year_of(value) == year
    decade = GroupBy.parse("date_text:decade").key(value)
    assert decade == (None if year is None else f"{year // 10 * 10}s")
    assert other_date(value) is (year is None)
    # the field itself, grouped by value, is not read for years
    assert GroupBy.parse("date_text").key(value) == value


@pytest.mark.parametrize("value", ["date not known", "", "?", "n.d.", None, "18th century"])
def test_a_value_with_no_year_is_not_an_other_date(value: str | None) -> None:
    assert not other_date(value)


def test_a_century_of_an_exhibition_is_no_century_of_making() -> None:
    gb = GroupBy.parse("date_text:century")
    assert gb.key("18th century") == "1700s"
    assert gb.key("exhibited in the 19th century") is None


@pytest.mark.parametrize("value", ["nan", "NaN", float("nan"), " None ", "null"])
def test_pandas_words_for_an_empty_cell_are_no_value_never_a_group(value: Any) -> None:
    for by in ("medium", "date_text:decade", "date_text:year", "date_text:century"):
        assert GroupBy.parse(by).key(value) is None
    assert year_of(value) is None and not other_date(value)


DATES = ["1850", "c.1852", "exhibited 1909", "published 1881", "1844, exhibited 1844",
         "date not known"]


def _dated_ws(make_ws: Any, labels: tuple[str, ...] = ("a", "b")) -> Any:
    ws = make_ws("dates", modality="text", labels=list(labels))
    add_items(ws, [{"id": f"i{i}", "text": "a portrait",
                    "meta": {"date_text": DATES[i % len(DATES)]}} for i in range(60)])
    add_model_with_predictions(ws, {f"i{i}": {"a": 0.9 if i % 3 else 0.2,
                                              "b": 0.1 if i % 3 else 0.8} for i in range(60)})
    return ws


RATES = {lab: ErrorRates.from_predictions(lab, [1] * 50 + [0] * 50, [0.9] * 40 + [0.1] * 60,
                                          [1] * 40 + [0] * 60) for lab in ("a", "b")}


def test_items_dated_only_by_an_exhibition_or_publication_are_undated_and_counted(
        make_ws: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """'exhibited 1909' put a work in the 1900s and 'published 1881' in the 1880s: now
    they are in '(no value)', and the words say how many of its items hold only such a
    date."""
    ws = _dated_ws(make_ws)
    res = trends(ws, by="date_text:decade", label="a", method="acc", rates=RATES, n_boot=20)
    assert {r.group: r.n for r in res.rows} == {"1840s": 10, "1850s": 20, None: 30}
    assert res.settings["other_dates"] == 20
    said = no_value_words(res)
    assert said is not None
    assert said.startswith("30 of the 60 items (50%) have no year in date_text")
    assert ("20 of them have a year only of what happened to the work after it was made "
            "(such as 'exhibited 1909' or 'published 1881'), which is not taken as the year "
            "it was made.") in said
    # grouped by the value itself, nothing is refused and nothing said of dates
    by_value = trends(ws, by="date_text", label="a", method="acc", rates=RATES, n_boot=20)
    assert by_value.settings["other_dates"] == 0
    assert {r.group for r in by_value.rows} == set(DATES)
    assert main(["-w", str(ws.root), "trends", "--by", "date_text:decade", "--label", "a",
                 "--method", "cc"]) in (None, 0)
    assert "20 of them have a year only of what happened" in capsys.readouterr().out


def test_the_undated_items_are_said_once_for_every_label(
        make_ws: Any, tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """With two labels the sentence on the items with no year was written in each label's
    words: twice on the offline page and the web page. It is now said once, in every
    output, and no label's words repeat it."""
    import html as html_lib

    ws = _dated_ws(make_ws)
    res = trends(ws, by="date_text:decade", label=["a", "b"], method="acc", rates=RATES,
                 n_boot=20)
    said = no_value_words(res)
    assert said
    for lab in ("a", "b"):
        assert not any("have no year" in s for s in label_summary(res, lab))
    assert html_lib.unescape(res.to_html()).count(said) == 1
    assert main(["-w", str(ws.root), "trends", "--by", "date_text:decade",
                 "--method", "cc"]) in (None, 0)
    assert capsys.readouterr().out.count("have no year in date_text") == 1

    from glamlab.auth import add_user
    from tests.web.conftest import PASSWORD, csrf_of, login

    add_user(ws, "val", PASSWORD, "viewer")
    from fastapi.testclient import TestClient

    from glamlab.web import create_app

    c = TestClient(create_app(ws))
    assert login(c, "val").status_code == 303
    r = c.post("/stages/trends", data={"csrf": csrf_of(c), "by": "date_text:decade",
                                       "label": "", "method": "cc"})
    assert r.status_code == 200, r.text
    page = html_lib.unescape(r.text)
    assert "Label: a" in page and "Label: b" in page
    assert page.count("have no year in date_text") == 1
    assert "20 of them have a year only of what happened" in page
    # the form's hint says it before anyone asks
    assert "or dated only by what happened to the work after it was made" in html_lib.unescape(
        c.get("/stages/trends").text)
    assert main(["trends", "--help"]) in (None, 0)
    assert "is not read as the year of making" in " ".join(capsys.readouterr().out.split())


def test_nan_from_parquet_and_json_lines_is_no_value_in_every_output(
        make_ws: Any, tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """A Parquet column of floats with NaN for its empty cells (pandas writes them so
    with from_pandas=False, or a notebook's frame of floats), and JSON Lines with NaN: the
    NaN was stored as is, which JSON cannot hold, and every trend over the items failed
    ("malformed JSON"); a value "nan" written as text made a group "nan". Both are now
    the group '(no value)' with its count: empty in JSON and Parquet, '(no value)' in the
    CSV and the table, never 'nan'."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    ws = make_ws("nan", modality="text", labels=["a", "b"])
    n = 40
    pq.write_table(pa.table({
        "id": [f"p{i}" for i in range(n)], "text": ["a portrait"] * n,
        "year": pa.array([math.nan if i % 4 == 0 else 1850.0 + i for i in range(n)],
                         from_pandas=False),
        "medium": ["nan" if i % 5 == 0 else "oil" for i in range(n)]}), tmp_path / "t.parquet")
    (tmp_path / "t.jsonl").write_text("\n".join(
        f'{{"id": "j{i}", "text": "a portrait", "year": {"NaN" if i % 2 else "1901"}, '
        '"medium": "oil"}' for i in range(10)), encoding="utf-8")
    ws.ingest([tmp_path / "t.parquet", tmp_path / "t.jsonl"])
    add_model_with_predictions(ws, {f"{p}{i}": {"a": 0.9 if i % 3 else 0.2,
                                                "b": 0.1 if i % 3 else 0.8}
                                    for p, k in (("p", n), ("j", 10)) for i in range(k)})
    res = trends(ws, by="year:decade", label="a", method="acc", rates=RATES, n_boot=20)
    assert {r.group: r.n for r in res.rows}[None] == 10 + 5
    by_medium = trends(ws, by="medium", label="a", method="acc", rates=RATES, n_boot=20)
    assert {r.group: r.n for r in by_medium.rows} == {"oil": 42, None: 8}
    assert "8 of the 50 items (16%) have no value of medium" in (no_value_words(by_medium)
                                                                or "")
    csv_path, pq_path = tmp_path / "m.csv", tmp_path / "m.parquet"
    assert main(["-w", str(ws.root), "trends", "--by", "medium", "--label", "a", "--method",
                 "cc", "--csv", str(csv_path), "--parquet", str(pq_path)]) in (None, 0)
    out = capsys.readouterr().out
    assert not re.search(r"\bnan\b", out, re.IGNORECASE), out
    with open(csv_path, newline="", encoding="utf-8-sig") as fh:
        assert sorted(r["group"] for r in csv.DictReader(fh)) == ["(no value)", "oil"]
    assert sorted(pq.read_table(pq_path).column("group").to_pylist(),
                  key=str) == [None, "oil"]
    assert main(["-w", str(ws.root), "trends", "--by", "year:decade", "--label", "a",
                 "--method", "cc", "--json"]) in (None, 0)
    doc = json.loads(capsys.readouterr().out)
    assert [r["n"] for r in doc["rows"] if r["group"] is None] == [15]
    assert not re.search(r"\bnan\b", json.dumps(doc), re.IGNORECASE)


def test_a_field_of_exhibition_years_only_is_refused_saying_why(make_ws: Any) -> None:
    """A field whose every year dates an exhibition ('exhibited 1909') has no year of
    making: grouped by decade, every item would be '(no value)'. The refusal said 'no
    value reads as a year', which its curator can see is false; it now says what the
    years date, and how to count the values as they are written."""
    from glamlab.errors import TrendsError

    ws = make_ws("shown", modality="text", labels=["a", "b"])
    add_items(ws, [{"id": f"i{i}", "text": "x",
                    "meta": {"shown": f"exhibited {1900 + i}"}} for i in range(10)])
    add_model_with_predictions(ws, {f"i{i}": {"a": 0.9, "b": 0.1} for i in range(10)})
    with pytest.raises(TrendsError) as err:
        trends(ws, by="shown:decade", label="a", method="cc", n_boot=10)
    assert "dates something that happened to a work after it was made" in err.value.message
    assert re.search(r"'exhibited 19\d\d'", err.value.message)
    assert "without :decade" in (err.value.hint or "")
    assert {r.group for r in trends(ws, by="shown", label="a", method="cc",
                                    n_boot=10).rows} == {f"exhibited {1900 + i}"
                                                         for i in range(10)}
