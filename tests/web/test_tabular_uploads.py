"""A tabular project's table uploaded in the browser goes through ``glamlab ingest``'s
path (``ingest_table``): the first upload fixes the schema (time, outcome, id, group
columns) and reports a column that gives the outcome away; the same file uploaded again
with its outcomes filled in updates them; a file of another name changing those rows is
refused until "these rows update rows I uploaded before" is ticked
(``--allow-source-change``); a misspelt outcome column or a wrong column is one message
on the page naming the column and the fix, and nothing stored is lost. Admins only, with
the form's CSRF token."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest

from glamlab.web.app import stop_background
from tests import bookings

from .conftest import PASSWORD, app_with_users, csrf_of, login

# kept out of the models, except reservation_status(_date): the leak the upload reports
NEVER = [c for c in bookings.NEVER if not c.startswith("reservation_status")]


@pytest.fixture
def rows_app(make_ws: Any) -> Any:
    ws = make_ws("rows", task="no-shows", modality="tabular", labels=["0", "1"])
    yield from app_with_users(ws)


def _sample(n: int = 300) -> Any:
    raw = bookings.raw().sort_values("arrival_date").head(n).reset_index(drop=True)
    assert raw["is_canceled"].nunique() == 2
    return raw


def _csv(frame: Any) -> bytes:
    out = io.StringIO()
    frame.to_csv(out, index=False)
    return out.getvalue().encode()


def _upload(c: Any, name: str, data: bytes) -> dict[str, str]:
    r = c.post("/stages/items", data={"csrf": csrf_of(c)}, files={"file": (name, data)},
               follow_redirects=False)
    assert r.status_code == 303 and "upload=" in r.headers["location"], r.text
    return dict(re.findall(r"(upload|file)=([^&]+)", r.headers["location"]))


def _rows(c: Any, q: dict[str, str], **fields: Any) -> Any:
    return c.post("/stages/items/rows", data={"csrf": csrf_of(c), **q, **fields},
                  follow_redirects=False)


def _done(app: Any, c: Any, r: Any) -> str:
    assert r.status_code == 303 and "started=ingest" in r.headers["location"], r.text
    assert app.state.jobs.wait(300)
    return str(c.get(r.headers["location"]).text)


def _outcomes(ws: Any) -> dict[str, Any]:
    return {it.item_id: it.meta.get("is_canceled") for it in ws.items()}


FIRST = {"time_column": "arrival_date", "label_column": "is_canceled", "id_column": "id",
         "group_columns": ["hotel"], "never_features": NEVER}


def test_uploads_of_rows_go_through_the_tabular_ingest(rows_app: Any) -> None:
    from glamlab.web import jobs

    ws, app, client = rows_app
    ada = client("ada")
    raw = _sample()
    later = raw.index >= 200
    first = raw.copy()
    first.loc[later, "is_canceled"] = ""  # outcomes not known yet for the last 100 rows
    q = _upload(ada, "bookings.csv", _csv(first))
    page = ada.get(f"/stages/items?upload={q['upload']}&file={q['file']}").text
    assert 'id="rows-mapping"' in page and "first table" in page
    for sel, col in (("rows-id", "id"), ("rows-time", "arrival_date"),
                     ("rows-outcome", "is_canceled")):  # guessed from the values
        assert re.search(rf'id="{sel}".*?<option selected>{col}</option>', page, re.S), sel

    # a wrong time column: one message naming it, nothing stored, the form kept
    bad = _rows(ada, q, **{**FIRST, "time_column": "hotel"})
    assert bad.status_code == 422 and "hotel" in bad.text and 'id="rows-mapping"' in bad.text
    assert ws.count_items() == 0 and not ws.card.section("tabular")
    assert jobs.latest(ws, "ingest") is None

    page = _done(app, ada, _rows(ada, q, **FIRST))
    assert ws.count_items() == 300
    tab = ws.card.section("tabular")
    assert (tab["time_column"], tab["label_column"], tab["id_column"]) == (
        "arrival_date", "is_canceled", "id")
    assert tab["group_columns"] == ["hotel"] and "booking_changes" in tab["never_features"]
    assert ws.card.section("split")["by"] == "time"
    # the leak is reported in words, with the fix
    leak = re.search(r'id="leakage".*?</div>', page, re.S)
    assert leak and "reservation_status" in leak.group(0)
    assert "Columns no model may read" in leak.group(0)
    stored = _outcomes(ws)
    assert sum(v in (None, "") for v in stored.values()) == 100

    # the same file uploaded again, its outcomes filled in: they are updated
    q2 = _upload(ada, "bookings.csv", _csv(raw))
    page = ada.get(f"/stages/items?upload={q2['upload']}&file={q2['file']}").text
    assert 'id="rows-updates"' in page and 'id="rows-time"' not in page  # schema fixed
    page = _done(app, ada, _rows(ada, q2, never_features=["reservation_status",
                                                          "reservation_status_date"]))
    assert jobs.latest(ws, "ingest")["status"] == "done"
    stored = _outcomes(ws)
    assert stored == {str(i): str(v) for i, v in zip(raw["id"], raw["is_canceled"],
                                                     strict=True)}
    assert "100 changed rows" in page
    assert 'class="ok">No column predicts' in page  # the leak is kept out now
    assert "reservation_status" in ws.card.section("tabular")["never_features"]

    # outcomes in a file of another name: refused until the person says so
    changed = raw.copy()
    changed.loc[later, "adr"] = "1.5"
    q3 = _upload(ada, "corrections.csv", _csv(changed))
    page = _done(app, ada, _rows(ada, q3))
    assert jobs.latest(ws, "ingest")["status"] == "failed"
    assert "bookings.csv" in page and "these rows update rows I uploaded before" in page
    assert _outcomes(ws) == stored and ws.count_items() == 300  # nothing lost
    page = _done(app, ada, _rows(ada, q3, updates="1"))
    assert jobs.latest(ws, "ingest")["status"] == "done" and "100 changed rows" in page
    assert {it.meta["adr"] for it in ws.items() if it.meta["id"] in set(raw["id"][later])
            } == {"1.5"}

    # a blank outcome never erases a stored one (same file name, outcomes left empty)
    q4 = _upload(ada, "corrections.csv", _csv(changed.assign(is_canceled="")))
    _done(app, ada, _rows(ada, q4))
    assert _outcomes(ws) == stored


def test_a_misspelt_outcome_column_is_refused_on_the_page(rows_app: Any) -> None:
    from glamlab.web import jobs

    ws, app, client = rows_app
    ada = client("ada")
    raw = _sample(200)
    _done(app, ada, _rows(ada, _upload(ada, "history.csv", _csv(raw)), **FIRST))
    before = _outcomes(ws)
    n_jobs = jobs.latest(ws, "ingest")["id"]

    misspelt = raw.rename(columns={"is_canceled": "is_cancelled"})
    r = _rows(ada, _upload(ada, "history.csv", _csv(misspelt)))
    assert r.status_code == 422
    err = re.search(r'id="items-error".*?</div>', r.text, re.S)
    assert err and "&#39;is_cancelled&#39;" in err.group(0)
    assert "rename the column &#39;is_cancelled&#39; to &#39;is_canceled&#39;" in err.group(0)
    assert 'id="rows-mapping"' in r.text  # the form stays, to send a fixed file
    # a later table without the project's time column: the column and the fix
    r = _rows(ada, _upload(ada, "history.csv", _csv(raw.rename(
        columns={"arrival_date": "arrival_day"}))))
    assert r.status_code == 422 and "&#39;arrival_date&#39;" in r.text
    assert "rename the column &#39;arrival_day&#39; to &#39;arrival_date&#39;" in r.text
    assert jobs.latest(ws, "ingest")["id"] == n_jobs  # nothing queued
    assert _outcomes(ws) == before


def test_an_upload_with_bad_rows_stores_the_others_and_names_each_bad_one(
        rows_app: Any) -> None:
    """A later upload with one id given twice and one empty date was refused as a whole
    (nothing of it stored). Now its good rows come in and the page lists each row left
    out, by its id and line, with what to do; the rows stored before stay as they were."""
    from glamlab.web import jobs

    ws, app, client = rows_app
    ada = client("ada")
    raw = _sample(240)
    _done(app, ada, _rows(ada, _upload(ada, "history.csv", _csv(raw.head(200))), **FIRST))
    before = {it.item_id: dict(it.meta) for it in ws.items()}
    later = raw.iloc[200:].reset_index(drop=True)
    twice, no_date = later["id"][3], later["id"][5]
    bad = later.assign(id=later["id"].mask(later.index == 9, twice),
                       arrival_date=later["arrival_date"].mask(later.index == 5, ""))
    page = _done(app, ada, _rows(ada, _upload(ada, "later.csv", _csv(bad))))
    assert jobs.latest(ws, "ingest")["status"] == "done"
    stored = {it.item_id: dict(it.meta) for it in ws.items()}
    assert len(stored) == 237 and twice not in stored and no_date not in stored
    assert all(stored[i] == m for i, m in before.items())  # nothing stored is lost
    table = re.search(r'id="items-problems".*?</table>', page, re.S)
    assert table, page
    said = table.group(0).replace("&#39;", "'")
    assert f"line 5: the id '{twice}' is on 2 rows (line 5, line 11)" in said
    assert f"line 11: the id '{twice}'" in said and "every copy was left out" in said
    assert f"line 7: the row '{no_date}' has no date" in said


def test_an_upload_with_a_bad_date_or_outcome_on_a_row_stores_the_others(
        rows_app: Any) -> None:
    """A later upload with 'not a date' in a date column besides the time column, or an
    outcome neither '1' nor '0', was refused as a whole on the page (nothing of it
    stored). Now its other rows come in (one with an empty outcome too: a booking still
    to come) and the page lists each row left out, by its id and line, with the fix."""
    from glamlab.web import jobs

    ws, app, client = rows_app
    ada = client("ada")
    raw = _sample(240)
    _done(app, ada, _rows(ada, _upload(ada, "history.csv", _csv(raw.head(200))), **FIRST))
    before = {it.item_id: dict(it.meta) for it in ws.items()}
    later = raw.iloc[200:].reset_index(drop=True)
    bad = later.assign(
        reservation_status_date=later["reservation_status_date"].mask(later.index == 2,
                                                                      "not a date"),
        is_canceled=later["is_canceled"].mask(later.index == 5, "maybe").mask(
            later.index == 7, ""))
    page = _done(app, ada, _rows(ada, _upload(ada, "later.csv", _csv(bad))))
    assert jobs.latest(ws, "ingest")["status"] == "done"
    stored = {it.item_id: dict(it.meta) for it in ws.items()}
    assert len(stored) == 238 and later["id"][2] not in stored and later["id"][5] not in stored
    assert stored[later["id"][7]]["is_canceled"] == ""  # not known yet: stored
    assert all(stored[i] == m for i, m in before.items())  # nothing stored is lost
    table = re.search(r'id="items-problems".*?</table>', page, re.S)
    assert table, page
    said = table.group(0).replace("&#39;", "'")
    assert (f"line 4: the row '{later['id'][2]}' has 'not a date' in the date column "
            "'reservation_status_date'") in said
    assert (f"line 7: the row '{later['id'][5]}' has 'maybe' in the outcome column "
            "'is_canceled', not one of the project's two outcomes") in said
    assert later["id"][7] not in said


def test_only_admins_with_the_form_token_bring_rows_in(rows_app: Any) -> None:
    ws, app, client = rows_app
    ada, rey = client("ada"), client("rey")
    q = _upload(ada, "bookings.csv", _csv(_sample(50)))
    assert _rows(rey, q, **FIRST).status_code == 403
    no_token = ada.post("/stages/items/rows", data={**q, **FIRST}, follow_redirects=False)
    assert no_token.status_code == 403
    assert ws.count_items() == 0 and not ws.card.section("tabular")


def test_a_curator_sets_up_a_tabular_project_in_the_browser(make_ws: Any) -> None:
    """Before, the new-project page offered texts and images only: the no-show story
    could not start in the web app. Rows of a table take one yes/no outcome (two labels,
    'yes' second, the one a filter acts on), as glamlab init --modality tabular."""
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.config import ProjectCard
    from glamlab.web import create_app

    ws = make_ws("fresh", task="new-project", labels=["a", "b"])
    add_user(ws, "ada", PASSWORD, "admin")
    app = create_app(ws)
    try:
        with TestClient(app) as c:
            assert login(c, "ada").status_code == 303
            page = c.get("/stages/project").text
            assert 'value="tabular"' in page and "rows of a table over time" in page

            def define(**fields: str) -> Any:
                data = {"name": "No-shows", "need": "Plan the extra places per slot",
                        "modality": "tabular", "kind": "single-label",
                        "labels": "0\n1", "price_per_item": "0", **fields}
                return c.post("/stages/project", data={"csrf": csrf_of(c), **data},
                              follow_redirects=False)

            bad = define(kind="multi-label")
            assert bad.status_code == 422 and "one outcome, yes or no" in bad.text
            three = define(labels="0\n1\n2")
            assert three.status_code == 422 and "take the labels 0 and 1" in three.text
            words = define(labels="no\nyes")  # the models and gold labels read 0/1
            assert words.status_code == 422 and "take the labels 0 and 1" in words.text
            assert define().status_code == 303
            card = ProjectCard.load(ws.root / "glamlab.toml")
            assert (card.modality, card.kind, card.labels, card.positive_label) == (
                "tabular", "single-label", ["0", "1"], "1")
            # the upload page now offers the rows form (date and outcome columns)
            r = c.post("/stages/items", data={"csrf": csrf_of(c)},
                       files={"file": ("bookings.csv", _csv(_sample(50)))},
                       follow_redirects=False)
            assert r.status_code == 303, r.text
            form = c.get(r.headers["location"]).text
            assert 'action="/stages/items/rows"' in form
    finally:
        stop_background(app)


def test_the_upload_page_of_a_tabular_project_speaks_of_rows(rows_app: Any,
                                                              make_ws: Any) -> None:
    """A museum developer brings a table of bookings in: the page says rows, a date and an
    outcome column, not images, manifests and METS files (those stay on other projects)."""
    _ws, _app, client = rows_app
    c = client("ada")
    page = c.get("/stages/items").text.split("<main", 1)[1]
    assert "<h1>Bring rows in</h1>" in page and "Rows in the project" in page
    assert "bookings, visits or loans" in page and "for its outcome" in page
    assert "a column for the row's date" in page
    for word in ("Images", "image", "manifest", "METS", "IIIF"):
        assert word not in page, word
    assert "Parquet <b>.parquet</b>" in page and ".parquet" in page  # as the command line
    assert "--time-column" not in page  # a curator's page names no command-line flag
    overview = c.get("/").text
    assert "Bring the table in" in overview and "METS" not in overview
    letters = app_with_users(make_ws("letters", modality="text"))
    _text_ws, _text_app, text_client = next(letters)
    words = text_client("ada").get("/stages/items").text
    assert "<h1>Bring items in</h1>" in words and "METS" in words
    next(letters, None)  # its clients closed, its jobs stopped


def test_the_pages_of_a_tabular_project_call_its_items_rows(rows_app: Any,
                                                            make_ws: Any) -> None:
    """The stages, the overview and the run page say rows (the task kind's noun), not
    items: "Label rows", "Run over the rows", "Rows in the project" (before, every page
    but "Bring rows in" said items). Another project still says items."""
    from glamlab.tasks.tabular import ingest_table

    ws, _app, client = rows_app
    path = ws.root / "history.csv"
    path.write_bytes(_csv(_sample(120)))
    ingest_table(ws, path, check_leaks=False, **FIRST)
    c = client("ada")
    pages = {url: c.get(url).text.split("<main", 1)[1] for url in ("/", "/stages/run",
                                                                   "/stages/evaluate")}
    nav = re.search(r'<nav aria-label="Stages".*?</nav>', pages["/stages/run"], re.S)
    assert nav and "2. Bring rows in" in nav.group(0) and "3. Label rows" in nav.group(0)
    assert "Run over the rows" in nav.group(0)
    assert not re.search(r">[^<]*items", nav.group(0))  # no link says items
    assert "Rows in the project: <b>120</b>" in pages["/stages/run"]
    assert "predicts every row in the project" in pages["/stages/run"]
    assert '<a href="/label">Label rows</a>' in pages["/"]
    assert re.search(r'id="labelled-count">120</b> rows', pages["/"])
    for url, page in pages.items():
        assert "Label items" not in page and "Items in the collection" not in page, url
    # no test rows yet (every row before the cutoff): the next step is the later rows'
    # outcomes, not "label about 100 items for a test set"
    from glamlab.tasks.tabular import set_time_split

    set_time_split(ws, "2030-01-01")
    page = c.get("/").text
    assert "120 rows have an outcome, none after the time split" in page
    assert "label about 100 items" not in page
    letters = app_with_users(make_ws("letters", modality="text"))
    _text_ws, _text_app, text_client = next(letters)
    run = text_client("ada").get("/stages/run").text
    assert "3. Label items" in run and "Run over the collection" in run
    assert "Items in the collection" in run
    next(letters, None)


def test_a_parquet_table_is_uploaded_as_the_command_line_takes_it(rows_app: Any,
                                                                  make_ws: Any) -> None:
    """A Parquet table of bookings (typed: whole numbers, dates) goes through the same
    steps as a CSV: its columns and first rows on the mapping page, the id, date and
    outcome guessed, then the tabular ingest, its outcomes stored (before, the page took
    only .csv, .tsv and .xlsx, and sent a Parquet file to the command line). A project
    of another kind refuses one at once, saying what to upload instead."""
    import pandas as pd

    ws, app, client = rows_app
    ada = client("ada")
    raw = _sample()
    typed = raw.assign(is_canceled=raw["is_canceled"].astype(int),
                       lead_time=raw["lead_time"].astype(int),
                       arrival_date=pd.to_datetime(raw["arrival_date"]))
    out = io.BytesIO()
    typed.to_parquet(out, index=False)
    q = _upload(ada, "bookings.parquet", out.getvalue())
    page = ada.get(f"/stages/items?upload={q['upload']}&file={q['file']}").text
    assert 'id="rows-mapping"' in page and "bookings.parquet" in page
    for sel, col in (("rows-id", "id"), ("rows-time", "arrival_date"),
                     ("rows-outcome", "is_canceled")):
        assert re.search(rf'id="{sel}".*?<option selected>{col}</option>', page, re.S), sel
    assert f"<td>{raw['arrival_date'].iloc[0]}</td>" in page  # a date, not a timestamp
    _done(app, ada, _rows(ada, q, **{**FIRST, "never_features": bookings.NEVER}))
    assert ws.count_items() == 300
    assert ws.card.section("tabular")["time_column"] == "arrival_date"
    from glamlab.tasks.tabular import project_frame

    frame = project_frame(ws)
    assert int(frame["is_canceled"].sum()) == int((raw["is_canceled"] == "1").sum()) > 0

    letters = app_with_users(make_ws("letters", modality="text"))
    _text_ws, _text_app, text_client = next(letters)
    c = text_client("ada")
    r = c.post("/stages/items", data={"csrf": csrf_of(c)},
               files={"file": ("rows.parquet", out.getvalue())}, follow_redirects=False)
    assert r.status_code == 422 and "Parquet table" in r.text and ".csv" in r.text
    next(letters, None)


def test_a_corrected_date_keeps_a_trained_on_row_out_of_the_test_split(rows_app: Any) -> None:
    """The same file uploaded again with the date of a row a model trained on corrected
    to after the cutoff: the row is updated, keeps its place in training, and the page
    says so in words."""
    from glamlab.registry.tabular import train_tabular
    from glamlab.tasks.splits import split_of

    ws, app, client = rows_app
    ada = client("ada")
    raw = _sample(200)
    _done(app, ada, _rows(ada, _upload(ada, "history.csv", _csv(raw)), **FIRST))
    cutoff = ws.card.section("split")["train_until"]
    train_tabular(ws, "tabular-share", allow_leaky=True)  # the leak is not the point here
    row = str(raw["id"].iloc[0])
    assert split_of(ws, [row]) == {row: "train"}
    fixed = raw.copy()
    fixed.loc[0, "arrival_date"] = raw["arrival_date"].max()
    page = _done(app, ada, _rows(ada, _upload(ada, "history.csv", _csv(fixed))))
    assert "1 changed rows" in page
    assert (f"1 row whose date now falls on or after {cutoff} (the test period) stays out "
            "of the test rows") in page
    assert split_of(ws, [row]) == {row: "train"}
    assert ws.item(row).meta["arrival_date"] == raw["arrival_date"].max()
