"""The web app's background results (the agreement, the policy's dry run, the Export
page's check, monitoring): a page waiting for one says how far it is (started how long
ago, or how many wait before it; how long it took last time), and a try that failed is
said on the page, once, with what to do. Before, the refresher kept the failure to itself:
the page said "being worked out in the background" and reloaded itself for ever, and a
curator waiting on a large collection had no sign that anything moved."""

from __future__ import annotations

import re
import threading
from html import unescape
from typing import Any

import pytest

from glamlab.errors import GlamlabError
from glamlab.progress import seconds_words
from glamlab.reports.overview import _stored_or_scheduled
from glamlab.web.state import Refresher


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_the_refresher_says_how_far_it_is_and_why_a_try_failed() -> None:
    r = Refresher()
    started, release = threading.Event(), threading.Event()

    def slow() -> None:
        started.set()
        release.wait(30)

    def broken() -> None:
        raise GlamlabError("the store is locked", hint="close the other program")

    r("slow", slow)
    assert started.wait(30)
    r("broken", broken)
    assert r.progress("slow") is not None and "seconds" in r.progress("slow")  # type: ignore[operator]
    assert r.progress("broken") == {"waiting": 1}
    assert r.take_error("broken") is None  # not tried yet
    release.set()
    assert r.wait(30)
    assert r.progress("slow") is None
    assert r.take_error("broken") == ("the store is locked", "close the other program")
    assert r.take_error("broken") is None  # said once; the next look tries again
    assert r.take_error("slow") is None


def test_an_unexpected_error_is_said_without_its_inner_words() -> None:
    r = Refresher()

    def broken() -> None:
        raise KeyError("/srv/secret/path")

    r("x", broken)
    assert r.wait(30)
    message, hint = r.take_error("x")  # type: ignore[misc]
    assert message == "an unexpected error (KeyError)" and "/srv" not in message
    assert "reload the page" in (hint or "")


def test_a_result_whose_work_failed_is_said_then_tried_again(make_ws: Any) -> None:
    ws = make_ws("t", modality="text", labels=["a", "b"])
    r = Refresher()
    calls = []

    def broken() -> None:
        calls.append(1)
        raise GlamlabError("the labels table is busy", hint="try again in a minute")

    first = _stored_or_scheduled(ws, "n", False, None, broken, r, "The thing")
    assert first is not None and first["refresh"] and "being worked out" in first["pending"]
    assert r.wait(30)
    said = _stored_or_scheduled(ws, "n", False, None, broken, r, "The thing")
    assert said == {"missing": "The thing could not be worked out: the labels table is busy",
                    "hint": "try again in a minute"}
    assert len(calls) == 1  # not asked again while the failure is being said
    again = _stored_or_scheduled(ws, "n", False, None, broken, r, "The thing")
    assert again is not None and "pending" in again
    assert r.wait(30) and len(calls) == 2
    # a stored result out of date: shown, with the failed update and how long it took
    row = {"result": {"v": 1}, "computed_at": "2026-12-07T10:00:00", "seconds": 95.0}
    stale = _stored_or_scheduled(ws, "n", False, row, broken, r, "The thing")
    assert stale is not None and stale["v"] == 1
    assert stale["stale"] == ("new results since this was worked out, and working out an "
                              "update failed: the labels table is busy (try again in a "
                              "minute)")


def test_waiting_pages_say_how_long_it_took_last_time(make_ws: Any) -> None:
    ws = make_ws("t", modality="text", labels=["a", "b"])
    r = Refresher()
    started, release = threading.Event(), threading.Event()

    def slow() -> None:
        started.set()
        release.wait(30)

    row = {"result": {"v": 1}, "computed_at": "2026-12-07T10:00:00", "seconds": 95.0}
    stale = _stored_or_scheduled(ws, "n", False, row, slow, r, "The thing")
    assert started.wait(30)
    assert stale is not None
    assert stale["stale"].startswith("new results since this was worked out: an update is "
                                     "on its way (")
    assert stale["stale"].endswith("it took about 2 minutes last time)")
    pending = _stored_or_scheduled(ws, "m", False, None, slow, r, "The other thing")
    assert pending is not None
    assert pending["pending"].endswith("this page shows it when it is ready. 1 other result "
                                       "is worked out first.")
    release.set()
    assert r.wait(30)


@pytest.mark.parametrize(("seconds", "words"), [
    (3, "a few seconds"), (42.4, "about 42 seconds"), (95, "about 2 minutes"),
    (3600 * 1.5, "about 1.5 hours")])
def test_seconds_in_words(seconds: float, words: str) -> None:
    assert seconds_words(seconds) == words


def test_the_reports_page_says_the_agreement_failed_instead_of_waiting_for_ever(
        web_ws: Any, monkeypatch: Any) -> None:
    from fastapi.testclient import TestClient

    from glamlab.reports import agreement
    from glamlab.web import create_app

    from .conftest import login

    def broken(ws: Any) -> Any:
        raise GlamlabError("the agreement table could not be read",
                           hint="ask whoever runs glamlab to run glamlab migrate")

    monkeypatch.setattr(agreement, "compute_web_agreement", broken)
    app = create_app(web_ws)
    with TestClient(app) as c:
        assert login(c, "ada").status_code == 303
        first = _text(c.get("/reports").text)
        assert "The agreement between labellers is being worked out" in first
        assert app.state.refresher.wait(60)
        said = _text(c.get("/reports").text)
        assert ("The agreement between labellers could not be worked out: the agreement "
                "table could not be read") in said
        # the hint in the page's words, not the command line's (it said "run glamlab
        # migrate" on a page a curator reads)
        assert "ask whoever runs glamlab on the server" in said
        assert "glamlab migrate" not in said
        assert "being worked out" not in said.split("could not be worked out")[0][-200:]
        assert app.state.refresher.wait(60)


def test_a_failed_tries_hint_naming_a_command_is_said_in_the_pages_words() -> None:
    """A library error's hint names the command-line fix ("glamlab monitor --window
    week"); the refresher's failure is shown on a web page, so its hint is the page's
    (as :func:`glamlab.web.words.for_the_web` gives every other error shown there)."""
    r = Refresher()

    def broken() -> None:
        raise GlamlabError("the history is too short",
                           hint="replay weekly windows: glamlab monitor --window week")

    r("monitor", broken)
    assert r.wait(30)
    message, hint = r.take_error("monitor")  # type: ignore[misc]
    assert message == "the history is too short"
    assert hint is not None and "--window" not in hint and "glamlab monitor" not in hint


def test_a_failed_update_beside_a_stored_result_names_no_server_folder(make_ws: Any) -> None:
    """A stored result out of date whose update failed says why beside it (``stale``);
    like the failure said with no result (``missing``), the server's folders in it are
    for its admins only (``for_reader``): a reviewer or viewer reads the project's files
    from the project's folder."""
    from glamlab.web import create_app
    from glamlab.web.app import stop_background

    ws = make_ws("words", modality="text", labels=["a", "b"])
    app = create_app(ws)
    try:
        section = app.state.templates.get_template("report_section.html")
        r = {"stale": "new results since this was worked out, and working out an update "
                      f"failed: cannot read {ws.root}/models/majority/1/model.pkl (reload "
                      "the page to try again)", "computed_at": "2026-12-07T10:00:00"}
        html = section.render(r=r, user=None)
    finally:
        stop_background(app)
    assert "update failed: cannot read models/majority/1/model.pkl" in html, html
    assert str(ws.root) not in html, html


def test_the_refresher_says_a_fix_in_the_pages_words() -> None:
    """Its thread is started by a request but does not inherit the request's context: a
    refusal worked out there (the Export page's check: ``[export] base_url``) named its
    fix as Python's argument (``base_url='...'``) on the page, not in the pages' words."""
    from glamlab.actions.export import base_url_fix
    from glamlab.said import said, said_on_the_web

    r = Refresher()
    heard: list[str] = []

    def broken() -> None:
        heard.append(said())
        raise GlamlabError("IIIF annotation ids must be HTTP(S) URIs", hint=base_url_fix())

    with said_on_the_web():  # as a request asks for it
        r("export-check", broken)
    assert r.wait(30)
    assert heard == ["web"]
    _message, hint = r.take_error("export-check")  # type: ignore[misc]
    assert "base_url=" not in (hint or "") and "--base-url" not in (hint or ""), hint
    assert "ask whoever runs glamlab on the server" in (hint or ""), hint
    assert said() == "python"
