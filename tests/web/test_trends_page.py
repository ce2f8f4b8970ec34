"""The Trends page (issue 22): a viewer picks a field to group by and sees the trend (the
chart, a table per label, the method and why in words) and downloads the numbers as a
formula-safe CSV; CSRF, bad fields, a project without predictions and a project that is
not a classification are each refused with one clear message."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest

from .conftest import PASSWORD, csrf_of, login

ODD_VALUE = "=HYPERLINK(\"x\")<i>odd</i> Journal de Genève"  # a formula, markup, an accent


def subjects_ws(make_ws: Any, *, run: bool = True) -> Any:
    """The Tate records (titles, date_text), their subjects, a TF-IDF model and its run:
    the demo's own stages, predicting in this process."""
    from glamlab.auth import add_user
    from glamlab.demo import preparation_stages as prep
    from glamlab.demo import project
    from glamlab.demo.trends import MODEL
    from glamlab.inference import run as run_model
    from glamlab.registry.training import train

    p = project("subjects")
    ws = make_ws("subjects", **p.init)
    quiet = lambda _s: None  # noqa: E731
    prep.stage_ingest(ws, p, quiet)
    prep.stage_labels(ws, p, quiet)
    _set_field(ws, ODD_VALUE)
    if run:
        spec = train(ws, MODEL[0], name=MODEL[1]).model.spec
        run_model(ws, spec, workers=0)
    add_user(ws, "ada", PASSWORD, "admin")
    add_user(ws, "val", PASSWORD, "viewer")
    return ws


def _set_field(ws: Any, value: str) -> None:
    """One record's classification made awkward: a spreadsheet formula with markup in it."""
    import sqlalchemy as sa

    t = ws.store.t.items
    with ws.store.write() as conn:
        pk, meta = conn.execute(sa.select(t.c.pk, t.c.meta).where(t.c.is_current.is_(True))
                                .order_by(t.c.pk).limit(1)).one()
        conn.execute(t.update().where(t.c.pk == pk).values(meta={**meta, "classification": value}))


def _csv_rows(r: Any) -> list[dict[str, str]]:
    """The downloaded CSV's rows; it starts with a byte-order mark, as every CSV glamlab
    writes (Excel then reads it as UTF-8: the accents of a group name stay)."""
    assert r.content.startswith("\ufeffgroup,".encode()), r.content[:40]
    return list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))


def _client(ws: Any, user: str) -> Any:
    from fastapi.testclient import TestClient

    from glamlab.web import create_app

    c = TestClient(create_app(ws))
    assert login(c, user).status_code == 303
    return c


@pytest.fixture(scope="module")
def tate(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from glamlab import Workspace

    root = tmp_path_factory.mktemp("trends-web")

    def make(name: str, **kw: Any) -> Any:
        return Workspace.init(root / name, **kw)

    ws = subjects_ws(make)
    _forget_training_labels(ws)
    yield ws
    ws.close()


def _forget_training_labels(ws: Any) -> None:
    """The demo labels every record, and a trend counts labelled items as labelled (their
    shares exact): the training split's labels are set aside after the run, so that the
    page shows estimates, clipped ones included (the test split still gives the rates)."""
    import sqlalchemy as sa

    t = ws.store.t
    with ws.store.write() as conn:
        train = sa.select(t.splits.c.item_id).where(t.splits.c.split == "train")
        conn.execute(t.labels.update().where(t.labels.c.item_id.in_(train))
                     .values(active=False))


def test_a_viewer_sees_the_trend_chart_table_and_method_in_words(tate: Any) -> None:
    from glamlab.trends import trends

    c = _client(tate, "val")
    page = c.get("/stages/trends").text
    nav = re.search(r'<nav aria-label="Stages".*?</nav>', page, re.S)
    assert nav and nav.group(0).index("What the policy would do") < nav.group(0).index(
        'aria-current="page">') < nav.group(0).index("Export")
    assert '<option value="date_text:decade" selected>' in page
    assert 'value="date_text:century"' in page and 'value="medium"' in page
    assert 'value="url"' not in page  # a value per item: no groups
    assert 'value="subjects"' not in page  # the label column is no field to group by
    r = c.post("/stages/trends", data={"csrf": csrf_of(c), "by": "date_text:decade",
                                       "label": "people", "method": ""})
    assert r.status_code == 200, r.text
    html = r.text
    assert html.count("<svg") == 1 and "Label: people" in html and "Label: nature" not in html
    expected = trends(tate, by="date_text:decade", label="people")
    assert f"(method {expected.method})" in html
    assert "glamlab used its default" in html or "glamlab chose it" in html
    row = next(r for r in expected.rows if r.group == "1970s")
    cells = re.search(r"<tr[^>]*><td>1970s</td><td>([\d,]+)</td><td>([^<]+)</td><td[^>]*>"
                      r"([^<]+)</td><td>([^<]+)</td><td[^>]*>([^<]+)</td><td[^>]*>([^<]*)</td>"
                      r"<td>([^<]*)</td>", html)
    assert cells, "no 1970s row in the table"
    assert cells.groups() == (f"{row.n:,}", f"{row.raw * 100:.1f}%",
                              f"{row.raw_low * 100:.1f}% to {row.raw_high * 100:.1f}%",
                              f"{row.estimate * 100:.1f}%",
                              f"{row.low * 100:.1f}% to {row.high * 100:.1f}%", "No", "")
    flagged = next(r for r in expected.rows if r.status.startswith("too few"))
    assert re.search(rf"<td>{re.escape(str(flagged.group))}</td>.*?too few items", html)
    from glamlab.trends.words import label_summary

    largest = next(s for s in label_summary(expected, "people")
                   if s.startswith("The largest group, "))
    assert largest.split(":")[0] in html


def test_the_corrections_are_offered_in_words_not_only_their_short_names(tate: Any) -> None:
    """Before, the Correction list offered "cc", "pcc", "cpcc", "acc", "pacc" and "emq":
    names a curator cannot choose between. Each now says what it does (the words the
    page uses for the method of the trend shown), its short name after it, and keeps
    what was asked."""
    import html as htmllib

    from glamlab.trends import METHODS
    from glamlab.trends.words import METHOD_WORDS

    c = _client(tate, "val")
    r = c.post("/stages/trends", data={"csrf": csrf_of(c), "by": "date_text:decade",
                                       "label": "people", "method": "pacc"})
    assert r.status_code == 200, r.text
    select = re.search(r'<select id="trends-method".*?</select>', r.text, re.S)
    assert select, "no Correction list"
    options = dict(re.findall(r'<option value="(\w*)"[^>]*>([^<]+)</option>', select.group(0)))
    assert set(options) == {"", *METHODS}
    for m in METHODS:
        words = htmllib.unescape(options[m])
        assert words.lower() == f"{METHOD_WORDS[m]} ({m})".lower(), words
    assert re.search(r'<option value="pacc" selected>', select.group(0))


def test_the_csv_holds_every_number_and_runs_no_formula(tate: Any) -> None:
    from glamlab.trends import trends

    c = _client(tate, "val")
    r = c.post("/stages/trends/csv", data={"csrf": csrf_of(c), "by": "classification",
                                           "label": "nature", "method": "cc"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = _csv_rows(r)
    expected = trends(tate, by="classification", label="nature", method="cc")
    assert len(rows) == len(expected.rows)
    odd = [row for row in rows if "HYPERLINK" in row["group"]]
    assert [row["group"] for row in odd] == ["'" + ODD_VALUE]
    assert {row["name"] for row in rows} == {"nature"}
    # the page escapes the same value
    page = c.post("/stages/trends", data={"csrf": csrf_of(c), "by": "classification",
                                          "label": "nature", "method": "cc"}).text
    assert "<i>odd</i>" not in page and "&lt;i&gt;odd&lt;/i&gt;" in page


def test_a_clipped_group_is_flagged_on_the_page_and_in_its_csv(tate: Any) -> None:
    """acc on the Tate decades: a decade whose count lies outside what the model's measured
    error rates can explain shows the flag (not reliable) in its row, not a blank "ok", and
    its interval is no narrower than the raw share's."""
    import html as html_lib

    from glamlab.trends import trends
    from glamlab.trends.quantify import is_clipped
    from glamlab.trends.words import group_name

    expected = trends(tate, by="date_text:decade", label="people", method="acc")
    clipped = [r for r in expected.rows if is_clipped(r.status)]
    assert clipped, [r.status for r in expected.rows]
    c = _client(tate, "val")
    data = {"csrf": csrf_of(c), "by": "date_text:decade", "label": "people", "method": "acc"}
    page = html_lib.unescape(c.post("/stages/trends", data=data).text)
    for r in clipped:
        # (a group with labelled items: its interval is the whole group's share, the raw
        # share's the model's own count over every item, labelled ones included)
        assert r.high > r.low
        if not r.labelled:
            assert r.low <= r.raw_low and r.high >= r.raw_high
        row = re.search(rf"<tr[^>]*><td>{re.escape(str(r.group))}</td>.*?</tr>", page, re.S)
        assert row and "clipped at" in row.group(0) and "not reliable" in row.group(0)
    assert "whose count lies outside what the model" in page
    # the clipped flag is a column of its own, in words, not only inside the status text
    heads = re.findall(r"<th scope=\"col\">([^<]*)</th>", page.split('class="trend-table"')[1])
    assert heads[6] == "Clipped at 0% or 100%?", heads
    marks = dict(re.findall(r"<tr[^>]*><td>([^<]*)</td>(?:<td[^>]*>[^<]*</td>){5}"
                            r"<td class=\"trend-clipped\">(.*?)</td>", page))
    assert len(marks) == len(expected.rows) > len(clipped)
    for r in expected.rows:
        assert marks[group_name(r.group)] == ("<strong>Yes: not reliable</strong>" if r.clipped
                                       else "No"), (r.group, r.status)
    rows = _csv_rows(c.post("/stages/trends/csv", data=data))
    assert sum(is_clipped(row["status"]) for row in rows) == len(clipped)


def test_a_post_without_the_csrf_token_is_refused(tate: Any) -> None:
    c = _client(tate, "val")
    for data in ({"by": "date_text:decade"}, {"by": "date_text:decade", "csrf": "forged"}):
        r = c.post("/stages/trends", data=data)
        assert r.status_code == 403 and "<svg" not in r.text
        assert c.post("/stages/trends/csv", data=data).status_code == 403


@pytest.mark.parametrize(("data", "message", "hint"), [
    ({"by": "painter:decade"}, "the items have no metadata field &#39;painter&#39;",
     "choose one in the list &#39;Group the items by&#39;: date_text, by decade; "
     "date_text, by year; date_text, by century; acquisition_year, by decade"),
    ({"by": "date_text:fortnight"}, "&#39;date_text:fortnight&#39; is not a way to group",
     "choose one in the list &#39;Group the items by&#39;: date_text, by decade"),
    # a field of dates named alone: the hint offers its ways (by decade...), as the list
    # does, not the field name the value already was ("choose one of: date_text")
    ({"by": "date_text"}, "&#39;date_text&#39; is not a way to group",
     "date_text, by decade; date_text, by year; date_text, by century"),
    ({"by": "date_text:decade", "label": "dragons"}, "no label &#39;dragons&#39;",
     "choose one of: abstraction"),
    ({"by": "date_text:decade", "method": "guess"}, "no method &#39;guess&#39;",
     "leave it to glamlab"),
])
def test_bad_input_gets_one_clear_message_naming_the_fix(tate: Any, data: dict[str, str],
                                                         message: str, hint: str) -> None:
    c = _client(tate, "ada")
    r = c.post("/stages/trends", data={"csrf": csrf_of(c), **data})
    assert r.status_code == 400
    box = re.search(r'<div id="trends-error" role="alert">(.*?)</div>', r.text, re.S)
    assert box and message in box.group(1) and hint in box.group(1)
    assert r.text.count('role="alert"') == 1 and "<svg" not in r.text
    assert 'id="trends-form"' in r.text  # the form is there to try again


def test_too_many_cells_to_work_out_in_a_request_are_refused_naming_the_fix(tate: Any
                                                                            ) -> None:
    from glamlab.web.routes.trends import MAX_CELLS

    c = _client(tate, "val")
    years = c.post("/stages/trends", data={"csrf": csrf_of(c), "by": "date_text:year"})
    assert years.status_code == 400
    box = re.search(r'<div id="trends-error" role="alert">(.*?)</div>', years.text, re.S)
    m = box and re.search(r"(\d+) labels in (\d+) groups \(by year of date_text\) are too "
                          r"many",
                          box.group(1))
    assert m and int(m.group(1)) == len(tate.card.labels)
    assert int(m.group(1)) * int(m.group(2)) > MAX_CELLS
    # what to choose on the page, in one sentence: no terminal, no chain of "or"s
    assert ("choose one label in the list &#39;Label&#39;, group by decade or century in "
            "the list &#39;Group the items by&#39;, or keep only some of the items with "
            "&#39;Only items whose&#39;") in box.group(1)
    assert "glamlab" not in box.group(1) and "terminal" not in box.group(1)
    # one label by year, or every label by decade, fits
    for data in ({"by": "date_text:year", "label": "people"}, {"by": "date_text:decade"}):
        r = c.post("/stages/trends", data={"csrf": csrf_of(c), **data})
        assert r.status_code == 200 and r.text.count("<svg") == (1 if "label" in data else
                                                                 len(tate.card.labels))


def test_a_project_without_predictions_says_to_run_first(make_ws: Any) -> None:
    ws = subjects_ws(make_ws, run=False)
    c = _client(ws, "val")
    assert 'id="trends-needs-run"' in c.get("/stages/trends").text
    r = c.post("/stages/trends", data={"csrf": csrf_of(c), "by": "date_text:decade"})
    assert r.status_code == 400
    box = re.search(r'<div id="trends-error" role="alert">(.*?)</div>', r.text, re.S)
    assert box and "no model has predictions" in box.group(1)
    assert "Run over the collection" in box.group(1)


@pytest.mark.parametrize("card", [
    {"task": "no-shows", "modality": "tabular", "labels": ["0", "1"]},
], ids=["tabular"])
def test_other_projects_are_told_trends_are_for_classification(make_ws: Any,
                                                               card: dict[str, Any]) -> None:
    from glamlab.auth import add_user

    ws = make_ws("other", **card)
    add_user(ws, "val", PASSWORD, "viewer")
    c = _client(ws, "val")
    page = c.get("/stages/trends").text
    assert 'id="trends-unsupported"' in page and 'id="trends-form"' not in page
    r = c.post("/stages/trends", data={"csrf": csrf_of(c), "by": "date_text:decade"})
    # a table's rows: what to use instead, the backtest and monitoring
    assert r.status_code == 400 and "have no trends to show here" in r.text
    assert 'href="/stages/evaluate#backtest"' in r.text


def test_an_entities_project_shows_mentions_per_1000_words(make_ws: Any) -> None:
    """Entity types instead of labels, mentions per 1,000 words instead of shares, and no
    choice of correction (there is one: the labelled test texts' ratio)."""
    from glamlab.auth import add_user
    from tests.trends.helpers import entities_workspace

    ws = entities_workspace(make_ws)
    add_user(ws, "val", PASSWORD, "viewer")
    c = _client(ws, "val")
    page = c.get("/stages/trends").text
    assert 'id="trends-form"' in page and "Entity type" in page
    assert 'id="trends-method"' not in page and 'id="trends-unsupported"' not in page
    r = c.post("/stages/trends", data={"csrf": csrf_of(c), "by": "date:decade", "label": "LOC"})
    assert r.status_code == 200, r.text
    assert "Corrected per 1,000 words" in r.text and "Type: places (LOC)" in r.text
    assert "people marked" in r.text and "mentions per 1,000 words" in r.text
    bad = c.post("/stages/trends", data={"csrf": csrf_of(c), "by": "date:decade",
                                        "method": "acc"})
    assert bad.status_code == 400 and "one correction" in bad.text
    got = c.post("/stages/trends/csv", data={"csrf": csrf_of(c), "by": "date:decade",
                                             "label": "LOC"})
    assert got.status_code == 200
    rows = _csv_rows(got)
    assert rows and {r["name"] for r in rows} == {"LOC"}


def test_only_some_items_and_words_counted_beside_the_trend(tate: Any) -> None:
    """The CLI's --where and --term on the page: the trend of one medium's records, and how
    often two words occur per 1,000 words in the same groups (also in the CSV)."""
    from glamlab.trends import trends

    c = _client(tate, "val")
    page = c.get("/stages/trends").text
    assert 'id="trends-where-field"' in page and 'id="trends-terms"' in page
    from collections import Counter

    from glamlab.trends.ngrams import words

    items = list(tate.items())
    medium = Counter(it.meta["medium"] for it in items).most_common(1)[0][0]
    word = Counter(w for it in items if it.meta["medium"] == medium
                   for w in words(it.text) if len(w) > 3).most_common(1)[0][0]
    data = {"csrf": csrf_of(c), "by": "date_text:decade", "label": "people",
            "where_field": "medium", "where_value": medium, "terms": f"{word}, steam engine"}
    r = c.post("/stages/trends", data=data)
    assert r.status_code == 200, r.text
    expected = trends(tate, by="date_text:decade", label="people", where={"medium": medium},
                      terms=[word, "steam engine"])
    assert sum(row.n for row in expected.rows) < 400  # the filter applied
    assert f"only items whose medium is {medium}" in r.text.replace("&#39;", "'")
    table = re.search(r'<table class="trend-table" id="trends-terms-table">(.*?)</table>',
                      r.text, re.S)
    assert table and r.text.count("<svg") == 2  # the label's chart and the words' chart
    term = next(t for t in expected.terms if t.hits)
    assert (f"<td>{term.group}</td><td>{term.term}</td><td>{term.words}</td>"
            f"<td>{term.hits}</td><td>{term.per_1000_words:.2f}</td>") in table.group(1)
    got = c.post("/stages/trends/csv", data=data)
    rows = _csv_rows(got)
    assert {row["series"] for row in rows} == {"label", "term"}
    assert sum(int(row["n"]) for row in rows if row["series"] == "label") == sum(
        row.n for row in expected.rows)


@pytest.mark.parametrize(("extra", "message"), [
    ({"where_field": "colour", "where_value": "red"}, "no metadata field 'colour'"),
    ({"where_field": "medium", "where_value": ""}, "give the value of medium"),
    ({"terms": "a, b, c, d, e, f"}, "at most 5"),
])
def test_bad_filters_and_words_are_one_message(tate: Any, extra: dict[str, str],
                                               message: str) -> None:
    c = _client(tate, "val")
    r = c.post("/stages/trends", data={"csrf": csrf_of(c), "by": "date_text:decade",
                                       "label": "people", **extra})
    assert r.status_code == 400
    box = re.search(r'<div id="trends-error" role="alert">(.*?)</div>', r.text, re.S)
    assert box and message in box.group(1).replace("&#39;", "'")


def test_the_heading_says_the_grouping_in_words_and_only_useful_fields_are_offered(
        make_ws: Any) -> None:
    """The heading said "Trend by date:decade"; the list offered every field, ids and
    fields with one value for all items included (dataset, document_id, lang, license,
    segment, source of HIPE texts). Now: "Trend by decade of date"; a field is offered
    when it splits the items into 2 or more groups (at most half as many as items) and
    is not named as an identifier; dates first, then words, then numbers."""
    import sqlalchemy as sa

    from glamlab.web.routes.trends import field_choices

    ws = subjects_ws(make_ws)
    t = ws.store.t.items
    with ws.store.write() as conn:
        rows = conn.execute(sa.select(t.c.pk, t.c.meta).where(t.c.is_current.is_(True))
                            .order_by(t.c.pk)).all()
        for n, (pk, meta) in enumerate(rows):
            conn.execute(t.update().where(t.c.pk == pk).values(meta={
                **meta, "dataset": "newseye", "license": "CC BY 4.0", "lang": "fr",
                "document_id": f"doc{n // 3}", "recordId": f"r{n // 3}",
                "volume": str(n % 4), "paper": ["Le Temps", "La Presse"][n % 2],
                "page_url": f"https://example.org/{n // 3}"}))
    choices = [c["value"] for c in field_choices(ws)]
    for hidden in ("dataset", "license", "lang", "document_id", "recordId", "page_url"):
        assert hidden not in choices, hidden
    dates = [i for i, c in enumerate(choices) if ":" in c]
    assert dates and dates == list(range(len(dates)))  # dates first
    assert choices.index("paper") < choices.index("volume")  # words, then numbers
    c = _client(ws, "val")
    by = next(v for v in choices if v.endswith(":decade"))
    r = c.post("/stages/trends", data={"csrf": csrf_of(c), "by": by})
    assert r.status_code == 200, r.text
    field = by.partition(":")[0]
    heading = re.search(r'<h2 id="trend-h">(.*?)</h2>', r.text)
    assert heading and heading.group(1) == f"Trend by decade of {field}"
    assert f"by {by}<" not in r.text


def test_an_entity_trend_does_not_call_its_mention_count_classify_and_count(
        make_ws: Any, tmp_path: Any) -> None:
    """An entity trend counts mentions per 1,000 words: its raw line is the mentions the
    model found, not "classify and count" (the share of items a classifier tags), in
    the page's legend and checkbox and in the chart file glamlab trends --html writes."""
    from glamlab.auth import add_user
    from glamlab.cli import main
    from tests.trends.helpers import entities_workspace

    ws = entities_workspace(make_ws)
    add_user(ws, "val", PASSWORD, "viewer")
    c = _client(ws, "val")
    r = c.post("/stages/trends", data={"csrf": csrf_of(c), "by": "date:decade", "label": "LOC"})
    assert r.status_code == 200, r.text
    html = tmp_path / "t.html"
    assert main(["-w", str(ws.root), "trends", "--by", "date:decade", "--label", "LOC",
                 "--html", str(html)]) in (0, None)
    for page in (r.text, html.read_text(encoding="utf-8")):
        assert "classify and count" not in page
        assert 'data-toggle="raw" checked> raw (mentions found)' in page
        assert page.count(">raw (mentions found)<") >= 1  # the chart's legend


def test_a_field_only_older_items_have_is_offered_and_new_fields_appear_after_ingest(
        make_ws: Any, tmp_path: Any) -> None:
    """The fields to group by were read from the newest 500 items: in a newspaper project
    whose first texts carry ``publication`` (NZZ, Luxemburger Wort) and whose later ones do
    not, the field was never offered. Now every field any current item has is (asked of the
    store: one pass, kept until items come in); a field with many dates is still a date,
    and one whose values hold a single year (the dataset "hipe2020") is not."""
    from glamlab.web.routes.trends import field_choices

    ws = make_ws("papers", task="topics", kind="single-label", modality="text",
                 labels=["politics", "other"])
    older = tmp_path / "older.csv"
    older.write_text("id,text,publication,date,dataset\n" + "".join(
        f"o{i},Text {i} aus der Zeitung,{['NZZ', 'Luxemburger Wort'][i % 2]},"
        f"{1850 + i % 40}-0{1 + i % 9}-1{i % 10},{['hipe2020', 'newseye'][i % 2]}\n"
        for i in range(40)), encoding="utf-8")
    newer = tmp_path / "newer.csv"
    newer.write_text("id,text,date\n" + "".join(
        f"n{i},Ein neuerer Text {i},{1890 + i % 40}-0{1 + i % 9}-{10 + i % 19}\n"
        for i in range(520)), encoding="utf-8")
    ws.ingest([older], id_column="id", text_column="text")
    ws.ingest([newer], id_column="id", text_column="text")
    choices = [c["value"] for c in field_choices(ws)]
    assert "publication" in choices, choices
    assert "date:decade" in choices  # over 200 different dates: still read as dates
    # a name with one year in it (the HIPE dataset "hipe2020") is no date: its values
    assert "dataset" in choices and "dataset:decade" not in choices
    later = tmp_path / "later.csv"
    later.write_text("id,text,section\n" + "".join(
        f"l{i},Noch ein Text {i},{['Feuilleton', 'Inland'][i % 2]}\n" for i in range(20)),
        encoding="utf-8")
    ws.ingest([later], id_column="id", text_column="text")
    assert "section" in [c["value"] for c in field_choices(ws)]  # not the cached list


def test_a_big_project_s_fields_are_read_on_rows_spread_over_the_whole_table(
        make_ws: Any, tmp_path: Any, monkeypatch: Any) -> None:
    """Past FIELD_FULL_SCAN item rows the field list reads every k-th row (old and new)
    rather than every item's metadata, with its counts scaled up and ``sampled`` saying
    k: a field of the oldest items is still found, and the page does not wait for a count
    over millions of items."""
    from glamlab.trends import aggregate
    from glamlab.web.routes.trends import field_choices

    ws = make_ws("big", task="topics", kind="single-label", modality="text",
                 labels=["politics", "other"])
    older = tmp_path / "older.csv"
    older.write_text("id,text,publication\n" + "".join(
        f"o{i},Text {i},{['NZZ', 'Luxemburger Wort'][i // 30]}\n" for i in range(60)),
        encoding="utf-8")
    newer = tmp_path / "newer.csv"
    newer.write_text("id,text,date\n" + "".join(
        f"n{i},Ein Text {i},{1890 + i % 40}-0{1 + i % 9}-{10 + i % 19}\n"
        for i in range(540)), encoding="utf-8")
    ws.ingest([older], id_column="id", text_column="text")
    ws.ingest([newer], id_column="id", text_column="text")
    full = aggregate.field_summary(ws, cache=False)
    assert full["publication"]["n"] == 60 and full["publication"]["sampled"] == 1
    monkeypatch.setattr(aggregate, "FIELD_FULL_SCAN", 100)
    seen = aggregate.field_summary(ws, cache=False)
    step = seen["date"]["sampled"]
    assert step == 6
    assert 30 <= seen["publication"]["n"] <= 90  # 60, estimated from every 6th row
    assert abs(seen["date"]["n"] - 540) <= 2 * step
    choices = [c["value"] for c in field_choices(ws)]
    assert "publication" in choices and "date:decade" in choices, choices


def test_an_entity_trend_shows_the_raw_intervals_its_summary_judges_change_by(
        make_ws: Any) -> None:
    """An entity trend's summary judges a change on the intervals of the mentions the model
    found (the correction scales every group alike), but the table showed the raw rate with
    no interval (only the CSV had raw_low, raw_high): the reader could not see what the words
    rested on. Now each row shows the raw interval beside the raw rate."""
    from glamlab.auth import add_user
    from glamlab.trends import trends
    from tests.trends.helpers import entities_workspace

    ws = entities_workspace(make_ws)
    add_user(ws, "val", PASSWORD, "viewer")
    c = _client(ws, "val")
    r = c.post("/stages/trends", data={"csrf": csrf_of(c), "by": "date:decade", "label": "PER"})
    assert r.status_code == 200, r.text
    assert "95% interval of the raw rate" in r.text
    expected = trends(ws, by="date:decade", label="PER", web=True)
    shown = re.findall(r'<td class="trend-raw-interval">(.*?)</td>', r.text)
    assert shown == [f"{x.raw_low:.1f} to {x.raw_high:.1f}" for x in expected.rows
                     if x.label == "PER"]


def test_an_entity_trend_says_labelled_texts_count_as_the_model_found_them(
        make_ws: Any) -> None:
    """An entity trend counts every text's mentions as the model found them, the texts
    people labelled too (their marked entities only measure the correction); the page did
    not say so, and a historian took the counts of labelled texts for their marked ones."""
    from glamlab.auth import add_user
    from tests.trends.helpers import entities_workspace

    ws = entities_workspace(make_ws)
    add_user(ws, "val", PASSWORD, "viewer")
    c = _client(ws, "val")
    r = c.post("/stages/trends", data={"csrf": csrf_of(c), "by": "date:decade"})
    assert r.status_code == 200, r.text
    said = re.search(r'<p id="trend-labelled-texts">(.*?)</p>', r.text)
    assert said, "no word on how labelled texts are counted"
    assert "with the mentions the model found in it, not the entities people marked" in \
        said.group(1)


def test_entity_types_and_groupings_read_as_words_and_large_counts_have_separators(
        make_ws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page showed entity types as codes (PER, LOC), the summary read "54 texts in 5
    groups of date:year" and counts had no thousands separator ("4566 texts"). Now: "places
    (LOC)" (the code kept after the words, and as the CSV's value), "counted per year of
    date", and 4,566."""
    from glamlab.auth import add_user
    from glamlab.trends.trend import TrendResult, TrendRow
    from glamlab.web.routes import trends as route
    from tests.trends.helpers import entities_workspace

    ws = entities_workspace(make_ws)
    add_user(ws, "val", PASSWORD, "viewer")
    c = _client(ws, "val")
    page = c.get("/stages/trends").text
    assert '<option value="LOC" >places (LOC)</option>' in page
    assert '<option value="PER" >people (PER)</option>' in page
    r = c.post("/stages/trends", data={"csrf": csrf_of(c), "by": "date:year", "label": "LOC"})
    assert r.status_code == 200, r.text
    assert "Type: places (LOC)" in r.text and "Type: LOC<" not in r.text
    assert re.search(r"Places \(LOC\): [\d,]+ texts, counted per year of date \(\d+ groups\)",
                     r.text)
    assert "groups of date:year" not in r.text
    got = c.post("/stages/trends/csv", data={"csrf": csrf_of(c), "by": "date:year",
                                             "label": "LOC"})
    assert {row["name"] for row in _csv_rows(got)} == {"LOC"}  # the CSV keeps the code
    # a large collection: thousands separators in the table and the summary
    big = [TrendRow(g, "LOC", 4566, 3.2, 2.9, 3.5, 4.8, 4.3, 5.3, "ratio", "ok",
                    {"raw": 3.2, "ratio": 4.8}) for g in ("1880", "1881")]
    result = TrendResult(by="date:year", model="gazetteer@1", method="ratio", labels=["LOC"],
                         rows=big, rates={"LOC": {"source": "test split, 1,250 texts",
                                                  "test_gold_mentions": 12034,
                                                  "test_predicted_mentions": 8022,
                                                  "ratio": 1.5, "few": False}},
                         settings={"corrected": True, "measure": "mentions per 1,000 words",
                                   "words": {"1880": 900_000, "1881": 900_000},
                                   "interval": "95%"})
    monkeypatch.setattr(route, "_compute", lambda request, asked: result)
    r = c.post("/stages/trends", data={"csrf": csrf_of(c), "by": "date:year", "label": "LOC"})
    assert r.status_code == 200, r.text
    assert "<td>1880</td><td>4,566</td>" in r.text
    assert "Places (LOC): 9,132 texts, counted per year of date (2 groups)." in r.text
    assert "people marked 12,034 mentions of places (LOC), the model found 8,022" in r.text


def test_a_date_field_whose_oldest_items_share_one_year_is_still_a_date(
        make_ws: Any, tmp_path: Any) -> None:
    """A field of many dates (more than the groups listed by value) was told to be a date
    from the first DATE_SAMPLE items' values, the oldest rows: a newspaper ingested in
    date order, whose first 1,000 pages are all of 1890, read as holding one year (a
    name, as "hipe2020"), so its date field was not offered at all. Its years are now
    read on old and new rows alike."""
    from datetime import date, timedelta

    from glamlab.trends import aggregate
    from glamlab.web.routes.trends import field_choices

    ws = make_ws("papers", task="topics", kind="single-label", modality="text",
                 labels=["politics", "other"])
    first = aggregate.DATE_SAMPLE + 100
    days = [date(1890, 1, 1) + timedelta(days=i * 300 // first) for i in range(first)]
    days += [date(1891 + i % 40, 1 + i % 12, 1 + i % 28) for i in range(300)]
    table = tmp_path / "papers.csv"
    table.write_text("id,text,date\n" + "".join(
        f"p{i},Seite {i},{d.isoformat()}\n" for i, d in enumerate(days)), encoding="utf-8")
    ws.ingest([table], id_column="id", text_column="text")
    seen = aggregate.field_summary(ws, cache=False)
    assert seen["date"]["values"] is None  # more dates than the groups listed by value
    choices = [c["value"] for c in field_choices(ws)]
    assert "date:decade" in choices, choices


def test_the_table_says_how_many_of_each_group_s_items_a_person_labelled(tate: Any) -> None:
    """A decade of 13 records, 8 of them labelled, has an interval far narrower than its
    size suggests (the labelled ones count as facts). The page's table gave no sign of it;
    it now has a column "Labelled by a person", and the text above says what it means."""
    import html as html_lib

    from glamlab.trends import trends

    expected = trends(tate, by="date_text:decade", label="people")
    c = _client(tate, "val")
    html = c.post("/stages/trends", data={"csrf": csrf_of(c), "by": "date_text:decade",
                                          "label": "people", "method": ""}).text
    assert '<th scope="col">Labelled by a person</th>' in html
    assert 'The column "Labelled by a person"' in html_lib.unescape(html)
    shown = dict(re.findall(r"<tr[^>]*><td>([^<]+)</td>.*?<td class=\"trend-labelled\">"
                            r"([\d,]+)</td></tr>", html))
    want = {("(no value)" if r.group is None else r.group): f"{r.labelled:,}"
            for r in expected.rows}
    assert shown == want
    assert any(v != "0" for v in want.values())


def test_an_empty_test_split_is_said_in_the_pages_words(make_ws: Any) -> None:
    """A trend needs the labelled test split (its error rates correct the counts). With
    none, the page said the command line's fix, "run `glamlab labels split --test-size
    0.3`", to a curator who never opens a terminal: now what to do on the pages."""
    ws = subjects_ws(make_ws)
    t = ws.store.t.splits
    with ws.store.write() as conn:
        conn.execute(t.update().where(t.c.split == "test").values(split="train"))
    c = _client(ws, "val")
    r = c.post("/stages/trends", data={"csrf": csrf_of(c), "by": "date_text:decade"})
    assert r.status_code == 400
    box = re.search(r'<div id="trends-error" role="alert">(.*?)</div>', r.text, re.S)
    assert box and "the test split is empty" in box.group(1), r.text[-3000:]
    said = re.sub(r"<[^>]*>", " ", box.group(1))
    assert "glamlab" not in said and "--" not in said, said
    assert "Labelling page" in said, said


def test_a_trend_groups_the_items_by_the_field_once(tate: Any) -> None:
    """The page counted the groups (to refuse too many), then ``trends`` grouped every
    item by the field again to check that they are groups: two reads of the whole
    collection a trend. Now once, with the same page."""
    import sqlalchemy as sa

    from glamlab.trends.aggregate import distinct_values, distinct_values_kept

    c = _client(tate, "val")
    grouping: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *_a: Any) -> None:
        if re.search(r"AS g, count\(\*\) AS n\b", statement):  # distinct_values
            grouping.append(statement)

    sa.event.listen(tate.store.engine, "before_cursor_execute", record)
    try:
        r = c.post("/stages/trends", data={"csrf": csrf_of(c), "by": "date_text:decade",
                                           "label": "people", "method": ""})
    finally:
        sa.event.remove(tate.store.engine, "before_cursor_execute", record)
    assert r.status_code == 200, r.text
    assert "Label: people" in r.text and "<svg" in r.text
    assert len(grouping) == 1, grouping
    # a shorter answer kept is the start of the longer one; other filters are asked again
    every = distinct_values(tate, "date_text", limit=100_000)
    with distinct_values_kept():
        assert distinct_values(tate, "date_text", limit=100_000) == every
        assert distinct_values(tate, "date_text", limit=3) == every[:3]
        assert distinct_values(tate, "medium", limit=5) == distinct_values(tate, "medium",
                                                                          limit=5)


def test_the_groups_counted_against_the_limit_are_those_the_filter_keeps(
        tate: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page counted the groups of every item, not of those the filter keeps: every
    label by year of one medium's records (49 years) was refused as 131 years, and with a
    filter the items were grouped twice (the count unfiltered, the check filtered). Now
    the count is the filter's, and the items are grouped once."""
    import sqlalchemy as sa

    from glamlab.trends import GroupBy
    from glamlab.trends.aggregate import distinct_values
    from glamlab.web.routes import trends as route

    medium = "Oil paint on canvas"
    gb = GroupBy.parse("date_text:year")
    kept = len({gb.key(v) for v, _n in distinct_values(tate, "date_text",
                                                       where={"medium": medium},
                                                       limit=100_000)})
    every = len({gb.key(v) for v, _n in distinct_values(tate, "date_text", limit=100_000)})
    labels = len(tate.card.labels)
    assert kept < every and labels * kept <= route.MAX_CELLS < labels * every
    c = _client(tate, "val")
    data = {"csrf": csrf_of(c), "by": "date_text:year", "where_field": "medium",
            "where_value": medium}
    grouping: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *_a: Any) -> None:
        if re.search(r"AS g, count\(\*\) AS n\b", statement):  # distinct_values
            grouping.append(statement)

    sa.event.listen(tate.store.engine, "before_cursor_execute", record)
    try:
        r = c.post("/stages/trends", data=data)
    finally:
        sa.event.remove(tate.store.engine, "before_cursor_execute", record)
    assert r.status_code == 200, re.findall(r'role="alert">(.*?)</div>', r.text, re.S)
    assert r.text.count("<svg") == labels
    assert len(grouping) == 1, grouping
    # over the limit, the message names the filter's groups
    monkeypatch.setattr(route, "MAX_CELLS", labels * kept - 1)
    r = c.post("/stages/trends", data={**data, "csrf": csrf_of(c)})
    assert r.status_code == 400
    box = re.search(r'<div id="trends-error" role="alert">(.*?)</div>', r.text, re.S)
    assert box and f"{labels} labels in {kept} groups (by year of date_text)" in box.group(1)


@pytest.mark.parametrize(("bucket", "labels", "entities", "words"), [
    ("year", 8, False, "choose one label in the list 'Label', group by decade or century "
     "in the list 'Group the items by', or keep only some of the items with 'Only items "
     "whose'"),
    ("decade", 1, False, "group by century in the list 'Group the items by' or keep only "
     "some of the items with 'Only items whose'"),
    ("century", 1, False, "keep only some of the items with 'Only items whose'"),
    (None, 5, True, "choose one entity type in the list 'Entity type', group by a field "
     "with fewer values in the list 'Group the items by', or keep only some of the items "
     "with 'Only items whose'"),
])
def test_too_many_cells_name_what_to_choose_on_the_page_in_one_sentence(
        bucket: str | None, labels: int, entities: bool, words: str) -> None:
    """The hint said "choose one label or group by decade or century or use glamlab
    trends in a terminal (no such limit)": a command, and a chain of "or"s."""
    from glamlab.web.routes.trends import fewer_cells_words

    said = fewer_cells_words(bucket, labels=labels, entities=entities)
    assert said == words
    assert said.count(" or ") <= 2 and "glamlab" not in said and "terminal" not in said


def test_a_group_labelled_throughout_shows_exact_not_an_interval_of_no_width(
        make_ws: Any) -> None:
    """A decade whose items people all labelled showed "100.0% to 100.0%" as its corrected
    share's 95% interval, and its row was flagged like a problem: its share is a count.
    The row says "exact (every item labelled)" instead; the CSV keeps its numbers, the
    status saying why the interval has no width."""
    import html as html_lib

    from glamlab.auth import add_user
    from glamlab.tasks.labels import import_labels
    from tests.tasks.helpers import add_items, write_csv
    from tests.trends.helpers import add_model_with_predictions

    ws = make_ws("exact", modality="text", labels=["a", "b"])
    items = ([{"id": f"x{i}", "text": "x", "meta": {"year": "1852"}} for i in range(40)]
             + [{"id": f"y{i}", "text": "y", "meta": {"year": "1861"}} for i in range(4)]
             + [{"id": f"z{i}", "text": "z", "meta": {"year": "1874"}} for i in range(30)])
    add_items(ws, items)
    add_model_with_predictions(ws, {it["id"]: {"a": 0.9, "b": 0.1} for it in items})
    # the 1860s labelled throughout (3 of 4 'a'); the 1870s throughout (none 'a')
    write_csv(ws.root / "train.csv", ["id", "label"],
              [[f"y{i}", "a" if i < 3 else "b"] for i in range(4)]
              + [[f"z{i}", "b"] for i in range(30)])
    import_labels(ws, ws.root / "train.csv", split="train")
    add_user(ws, "val", PASSWORD, "viewer")
    c = _client(ws, "val")
    data = {"csrf": csrf_of(c), "by": "year:decade", "label": "a", "method": "cc"}
    r = c.post("/stages/trends", data=data)
    assert r.status_code == 200, re.findall(r'role="alert">(.*?)</div>', r.text, re.S)
    page = html_lib.unescape(r.text)
    rows = {m.group(1): m.group(0) for m in
            re.finditer(r"<tr[^>]*><td>(\d{4}s)</td>.*?</tr>", page, re.S)}
    assert set(rows) == {"1850s", "1860s", "1870s"}, rows
    for decade in ("1860s", "1870s"):
        row = rows[decade]
        assert '<td class="trend-interval">exact (every item labelled)</td>' in row, row
        assert " to " not in re.search(r'<td class="trend-interval">(.*?)</td>', row).group(1)
        assert "every item labelled: the share is exact" not in row  # said once, above
    # a small group labelled throughout keeps its small-group flag
    assert "too few items: n=4" in rows["1860s"] and 'class="problem' in rows["1860s"]
    assert 'class="problem' not in rows["1870s"]  # a count is no problem
    assert '<td class="trend-interval">exact' not in rows["1850s"]
    assert re.search(r'<td class="trend-interval">\d+\.\d% to \d+\.\d%</td>',
                     rows["1850s"]), rows["1850s"]
    csv_rows = {row["group"]: row for row in _csv_rows(c.post("/stages/trends/csv",
                                                                data=data))}
    for decade, share in (("1860s", 0.75), ("1870s", 0.0)):
        row = csv_rows[decade]
        assert float(row["share"]) == float(row["low"]) == float(row["high"]) == share
        assert "every item labelled: the share is exact" in row["status"]
        assert row["labelled_items"] == row["n"]
