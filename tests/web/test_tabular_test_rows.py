"""A tabular project's test rows in the browser: the labelling page's "Test rows" part
offers an admin the date they start on (``glamlab labels split --by-time --cutoff``,
through the same :func:`set_time_split`), with the current date as its default and an
empty date meaning the CLI's default; a date that is not one, or leaves nothing to
train on, is one message; a frozen split is refused in words; the form needs its CSRF
token and an admin (before, the page offered nothing and the post was refused). The
evaluate page backtests month by month as ``glamlab backtest`` does and shows its notes
(rows counted by their corrected date), as does ``glamlab backtest --html``'s report
(before, only the command's text output said them)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests import bookings

from .conftest import app_with_users, csrf_of

NEVER = list(bookings.NEVER)


def _table(path: Path, dates: dict[str, str] | None = None) -> None:
    """The sample's first 300 bookings (July to September 2015: 220 before September);
    ``dates``: booking id -> its corrected arrival date."""
    raw = bookings.raw().sort_values("arrival_date").head(300).reset_index(drop=True)
    for rid, day in (dates or {}).items():
        raw.loc[raw["id"].astype(str) == rid, "arrival_date"] = day
    raw.to_csv(path, index=False)


def _ingest(ws: Any, path: Path) -> Any:
    from glamlab.tasks.tabular import ingest_table

    return ingest_table(ws, path, time_column="arrival_date", label_column="is_canceled",
                        id_column="id", group_columns=["hotel"], never_features=NEVER)


@pytest.fixture
def rows_app(make_ws: Any, tmp_path: Path) -> Any:
    ws = make_ws("rows", task="no-shows", modality="tabular", labels=["0", "1"])
    _table(tmp_path / "bookings.csv")
    _ingest(ws, tmp_path / "bookings.csv")
    made = app_with_users(ws)
    yield (*next(made), tmp_path / "bookings.csv")
    next(made, None)


def _main(page: str) -> str:
    return page.split("<main", 1)[1]


def _section(page: str) -> str:
    m = re.search(r'<section id="test-set".*?</section>', page, re.S)
    assert m, "no test rows section"
    return m.group(0)


def _counts(ws: Any) -> dict[str, int]:
    from glamlab.tasks.splits import split_of

    out: dict[str, int] = {}
    for s in split_of(ws).values():
        out[s] = out.get(s, 0) + 1
    return out


def test_an_admin_sets_the_test_rows_by_date(rows_app: Any) -> None:
    from glamlab.tasks.tabular import train_until

    ws, _app, client, _path = rows_app
    ada = client("ada")
    start = train_until(ws)
    assert start and start > "2015-09-01"  # the ingest's default: the latest fifth
    part = _section(_main(ada.get("/label").text))
    assert 'id="time-split-form"' in part and 'type="date"' in part
    assert f'value="{start}"' in part  # the current date is the form's default
    r = ada.post("/label/test-set", data={"csrf": csrf_of(ada), "train_until": "2015-09-01"},
                 follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("#test-set"), r.text
    assert ws.card.section("split") == {"by": "time", "train_until": "2015-09-01"}
    assert _counts(ws) == {"train": 220, "test": 80}
    done = _main(ada.get(r.headers["location"]).text)
    said = re.search(r'id="time-split-done".*?</p>', done, re.S)
    assert said, done
    assert "Rows before <b>2015-09-01</b> now train models (<b>220</b>)" in said.group(0)
    assert "test rows (<b>80</b>)" in said.group(0)
    assert 'value="2015-09-01"' in _section(done)

    # a date after the last row: no test rows, and the evaluate page points to the form
    r = ada.post("/label/test-set", data={"csrf": csrf_of(ada), "train_until": "2015-12-01"},
                 follow_redirects=False)
    assert r.status_code == 303 and _counts(ws) == {"train": 300}
    evaluate = _main(ada.get("/stages/evaluate").text)
    assert '<a href="/label#test-set" id="choose-test-rows">' in evaluate
    assert "for the test set first" not in evaluate

    # an empty date: the command line's default again
    r = ada.post("/label/test-set", data={"csrf": csrf_of(ada), "train_until": ""},
                 follow_redirects=False)
    assert r.status_code == 303 and train_until(ws) == start

    # not a date, or one that leaves nothing to train on: one message, nothing moved
    for bad, status, words in (
            ("next spring", 422, "must be a date, not 'next spring'"),
            ("2015-02-30", 422, "must be a date, not '2015-02-30'"),
            ("2015-06-01", 400, "a cutoff of 2015-06-01 leaves no rows to train on")):
        r = ada.post("/label/test-set", data={"csrf": csrf_of(ada), "train_until": bad})
        assert r.status_code == status, (bad, r.status_code)
        text = html.unescape(_main(r.text))
        assert words in text, (bad, text)
        assert "--cutoff" not in text and "glamlab labels" not in text
        assert train_until(ws) == start


def test_the_date_needs_its_csrf_token_and_an_admin(rows_app: Any) -> None:
    from glamlab.tasks.tabular import train_until

    ws, _app, client, _path = rows_app
    start = train_until(ws)
    r = client("ada").post("/label/test-set", data={"csrf": "forged",
                                                    "train_until": "2015-09-01"},
                           follow_redirects=False)
    assert r.status_code == 403, r.status_code
    rey = client("rey")
    part = _section(_main(rey.get("/label").text))
    assert 'action="/label/test-set"' not in part and "An admin can choose the date" in part
    assert f"The test rows start on <b id=\"test-rows-start\">{start}</b>" in part
    r = rey.post("/label/test-set", data={"csrf": csrf_of(rey), "train_until": "2015-09-01"},
                 follow_redirects=False)
    assert r.status_code == 403, r.status_code
    assert train_until(ws) == start


def test_frozen_test_rows_keep_their_date(rows_app: Any) -> None:
    from glamlab.tasks.splits import test_data
    from glamlab.tasks.tabular import train_until

    ws, _app, client, _path = rows_app
    test_data(ws, reader="evaluate")  # an evaluation read the test rows: frozen
    start, before = train_until(ws), _counts(ws)
    ada = client("ada")
    part = _section(_main(ada.get("/label").text))
    assert 'id="test-set-frozen"' in part and 'action="/label/test-set"' not in part
    r = ada.post("/label/test-set", data={"csrf": csrf_of(ada), "train_until": "2015-09-01"})
    assert r.status_code == 422, r.status_code
    text = _main(r.text)
    assert "cannot be moved to another date" in text and "already measured on them" in text
    assert "--force" not in text and "glamlab labels" not in text
    assert train_until(ws) == start and _counts(ws) == before


@pytest.mark.slow
def test_the_backtest_notes_show_on_the_evaluate_page_and_in_the_report(
        rows_app: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """A frozen test row whose date is corrected to before the cutoff, and a row a saved
    model learned from corrected to after it: the backtest counts both by their date,
    and says so on the evaluate page and in ``glamlab backtest --html``'s report, in the
    words of the command's text output."""
    from glamlab.cli import main
    from glamlab.registry.tabular import train_tabular
    from glamlab.tasks.splits import split_of, test_data
    from glamlab.tasks.tabular import set_time_split

    ws, app, client, path = rows_app
    set_time_split(ws, "2015-09-01")
    ids = sorted(split_of(ws).items())
    learned = next(i for i, s in ids if s == "train")
    tested = next(i for i, s in ids if s == "test")
    train_tabular(ws, "tabular-share")  # a saved model learned from the train rows
    test_data(ws, reader="evaluate")  # frozen
    _table(path, dates={learned: "2015-09-20", tested: "2015-08-15"})
    _ingest(ws, path)

    ada = client("ada")
    page = _main(ada.get("/stages/evaluate").text)
    assert 'id="start-backtest"' in page and 'id="backtest-notes"' not in page
    assert "An admin starts backtests" in _main(client("rey").get("/stages/evaluate").text)
    forged = ada.post("/stages/evaluate/backtest", data={"csrf": "forged"},
                      follow_redirects=False)
    assert forged.status_code == 403
    r = ada.post("/stages/evaluate/backtest", data={"csrf": csrf_of(ada)},
                 follow_redirects=False)
    assert r.status_code == 303, r.text
    assert app.state.jobs.wait(300)
    page = _main(ada.get("/stages/evaluate").text)
    assert 'id="backtest-overall"' in page and "tabular-gbm" in page, page
    notes = re.search(r'id="backtest-notes".*?</div>', page, re.S)
    assert notes, page
    shown = [html.unescape(n) for n in re.findall(r"<li>(.*?)</li>", notes.group(0), re.S)]

    report = path.parent / "backtest.html"
    with pytest.raises(SystemExit) as exc:
        main(["-w", str(ws.root), "backtest", "--html", str(report), "--json"])
        raise SystemExit(0)
    assert not exc.value.code
    said = json.loads(capsys.readouterr().out)["notes"]
    assert len(said) == 2 and shown == said  # the command's notes, word for word
    assert said[0].startswith(f"1 row ('{tested}') of the test split")
    assert said[1].startswith(f"1 row ('{learned}') of the train split")
    written = report.read_text(encoding="utf-8")
    for note in said:
        assert html.escape(note) in written, note


def test_a_backtest_with_nothing_to_learn_from_says_what_to_do_on_the_pages(
        rows_app: Any) -> None:
    """The test rows start in the first month of the table: no month of the backtest
    has rows before it, and the failure says to choose a later date on the labelling
    page (the command's fix, --since, is not on the pages)."""
    from glamlab.tasks.tabular import set_time_split
    from glamlab.web import jobs

    ws, app, client, _path = rows_app
    set_time_split(ws, "2015-07-15")
    ada = client("ada")
    r = ada.post("/stages/evaluate/backtest", data={"csrf": csrf_of(ada)},
                 follow_redirects=False)
    assert r.status_code == 303, r.text
    assert app.state.jobs.wait(300)
    job = jobs.latest(ws, "backtest")
    assert job["status"] == "failed"
    assert "no training rows before 2015-07-01" in job["error"]
    assert "later first date of the test rows on the Labelling page" in job["error"]
    assert "--since" not in job["error"]
    page = _main(ada.get("/stages/evaluate").text)
    assert "The backtest failed: no training rows before 2015-07-01" in page


def test_a_labelled_row_joins_the_test_rows_or_training_by_its_date(
        make_ws: Any, tmp_path: Path) -> None:
    """A tabular project's labelling page offers no "Labels go to: the test set /
    training" choice (a row joins them by its date) and says so; a row without its
    outcome labelled with ``split=test`` posted anyway (a crafted form, or the API)
    joins training when its date is before the test rows' first date, and a later row
    posted with ``split=train`` joins the test rows (before, the posted split won)."""
    from glamlab.tasks.splits import split_of
    from glamlab.tasks.tabular import train_until

    raw = bookings.raw().sort_values("arrival_date").head(300).reset_index(drop=True)
    early, late = str(raw.loc[0, "id"]), str(raw.loc[299, "id"])
    raw["is_canceled"] = raw["is_canceled"].astype("object")
    raw.loc[[0, 299], "is_canceled"] = None  # outcomes still to come: no split yet
    raw.to_csv(tmp_path / "bookings.csv", index=False)
    ws = make_ws("rows", task="no-shows", modality="tabular", labels=["0", "1"])
    _ingest(ws, tmp_path / "bookings.csv")
    start = train_until(ws)
    assert start and str(raw.loc[0, "arrival_date"]) < start <= str(raw.loc[299, "arrival_date"])
    assert early not in split_of(ws) and late not in split_of(ws)
    made = app_with_users(ws)
    _ws, _app, client = next(made)
    try:
        rey = client("rey")
        page = _main(rey.get("/label").text)
        assert "Labels go to" not in page and 'name="split"' not in page
        said = re.search(r'id="split-by-date".*?</p>', page, re.S)
        assert said and "rows from that date on are test rows" in said.group(0)
        assert f"<b>{start}</b>" in said.group(0)
        for row, asked, joins in ((early, "test", "train"), (late, "train", "test")):
            r = rey.post("/label", data={"csrf": csrf_of(rey), "item_id": row, "label": "1",
                                         "split": asked}, follow_redirects=False)
            assert r.status_code == 303, r.text
            assert split_of(ws, [row]) == {row: joins}, (row, asked)
        # the API's split goes the same way
        rey.post("/label/undo", data={"csrf": csrf_of(rey)}, follow_redirects=False)
        assert late not in split_of(ws)
        r = rey.post("/api/labels", json={"item_id": late, "labels": ["0"], "split": "train"},
                     headers={"X-CSRF-Token": csrf_of(rey)})
        assert r.status_code == 200 and r.json()["split"] == "test", r.text
        assert split_of(ws, [late]) == {late: "test"}
    finally:
        next(made, None)
