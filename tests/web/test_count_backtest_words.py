"""A count task's backtest on the Evaluate page and in ``glamlab backtest --html``: the
real count per slot (``mean_count``, the same for every model) was a column headed by its
stored name, with an interval "[0.894, 0.894]" as if it were a score; and the page's
caption ended the last month on the first day of the next ("2017-01-01 to 2017-09-01")."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from glamlab.cli import cli
from tests import bookings
from tests.web.conftest import PASSWORD, csrf_of, login


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_the_real_count_is_named_in_words_without_an_interval(make_ws: Any,
                                                              tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.tasks.count import set_count_task
    from glamlab.web import create_app, jobs

    ws = bookings.rows_project(make_ws, tmp_path)
    set_count_task(ws, slot="D", metric="mae")
    base = ["-w", str(ws.root)] + ([] if ws.store.is_sqlite else ["--db", ws.store.url])
    report = tmp_path / "backtest.html"
    res = CliRunner().invoke(cli, [*base, "backtest", "--n-boot", "20", "--html",
                                   str(report)])
    assert res.exit_code == 0, (res.output, res.exception)
    shown = _text(report.read_text(encoding="utf-8"))
    add_user(ws, "ada", PASSWORD, "admin")
    app = create_app(ws)
    with TestClient(app) as c:
        login(c, "ada")
        r = c.post("/stages/evaluate/backtest", data={
            "csrf": csrf_of(c), "model": "tabular-gbm", "since": "", "until": "",
            "n_boot": "20"}, follow_redirects=False)
        assert r.status_code == 303, r.text
        assert app.state.jobs.wait(300)
        result = jobs.latest(ws, "backtest")["result"]
        page = _text(c.get("/stages/evaluate").text)
    count = result["overall"]["tabular-gbm"]["mean_count"]["value"]
    for said in (shown, page):
        assert "real count per slot, on average" in said
        assert f"{count:.3f}" in said
        assert f"{count:.3f} [" not in said  # no interval: it is what happened
    assert "mean_count" not in shown
    assert "the scale to read the misses against" in shown
    # the caption's period ends on the last month's last day
    first, end = result["folds"][0]["origin"], result["folds"][-1]["end"]
    assert end.endswith("-01")
    assert f"({first} to {end})" not in page
    from glamlab.tasks.calendar import last_day

    assert f"({first} to {last_day(end)}), with 95% intervals" in page
