"""External services in the web app: listed on the evaluate page with their price, a page
that sends a small sample to the service (a real local HTTP server mimicking a vision
API) and shows its labels, how they map and the cost, confirmation before paying for
more, and adding the service to the comparison, whose leaderboard shows the spend."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from glamlab.web.app import stop_background
from tests.predictors.fake_vision import PRICE, SECRET, FakeVision, pages_workspace, serve

from .conftest import PASSWORD, csrf_of, login


@pytest.fixture
def app_with_service(make_ws: Any, tmp_path: Path, monkeypatch: Any) -> Any:
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.web import create_app

    monkeypatch.setenv("VISION_KEY", SECRET)
    gen = serve()
    url = next(gen)
    ws = pages_workspace(make_ws, tmp_path, url, n=20)
    add_user(ws, "ada", PASSWORD, "admin")
    add_user(ws, "val", PASSWORD, "viewer")
    app = create_app(ws)
    with TestClient(app) as c:
        assert login(c, "ada").status_code == 303
        yield ws, app, c
    stop_background(app)
    gen.close()


def test_try_a_service_and_compare_it_in_the_web_app(app_with_service: Any) -> None:
    ws, app, c = app_with_service
    page = c.get("/stages/evaluate").text
    assert "External services" in page and "service:vision" in page
    assert f"{PRICE:g} EUR per call" in page and 'href="/stages/services/vision"' in page
    page = c.get("/stages/services/vision").text
    assert 'id="try-service"' in page and "Illustration" in page  # the mapping, shown
    assert sum(FakeVision.requests.values()) == 0  # looking costs nothing
    # the free sample: sent at once, labels and how they map
    r = c.post("/stages/services/vision", data={"csrf": csrf_of(c), "sample": "3"})
    assert r.status_code == 200, r.text
    assert sum(FakeVision.requests.values()) == 3
    assert "Illustration" in r.text and "<b>graphic</b>" in r.text
    assert 'class="unmapped"' in r.text and re.search(r"<code>Paper</code> \(3\)", r.text)
    assert "This sample: 3 paid calls" in r.text
    # more than the free sample: a confirmation with the cost, nothing sent before it
    r = c.post("/stages/services/vision", data={"csrf": csrf_of(c), "sample": "8"})
    assert "may cost up to" in r.text and 'id="confirm-yes"' in r.text
    assert sum(FakeVision.requests.values()) == 3
    r = c.post("/stages/services/vision", data={"csrf": csrf_of(c), "sample": "8",
                                                "confirmed": "yes"})
    assert "This sample: 5 paid calls" in r.text and "(3 answers from the cache, free)" in r.text
    # a viewer may look, not spend
    c.post("/logout", data={"csrf": csrf_of(c)})
    assert login(c, "val").status_code == 303
    assert "An admin sends items" in c.get("/stages/services/vision").text
    r = c.post("/stages/services/vision", data={"csrf": csrf_of(c), "sample": "1"})
    assert r.status_code == 403 and sum(FakeVision.requests.values()) == 8
    c.post("/logout", data={"csrf": csrf_of(c)})
    assert login(c, "ada").status_code == 303
    # added to the comparison: the evaluation job sends the test items, spend shown
    r = c.post("/stages/services/vision/add", data={"csrf": csrf_of(c)},
               follow_redirects=False)
    assert r.status_code == 303 and "added=vision@1" in r.headers["location"]
    assert c.get("/stages/services/nope").status_code == 404
    c.post("/stages/evaluate", data={"csrf": csrf_of(c)}, follow_redirects=False)
    assert app.state.jobs.wait(300)
    page = c.get("/stages/evaluate").text
    assert "Evaluation finished" in page, page
    assert "Spent on the service" in page and re.search(r"\d+ calls, [0-9.]+ EUR", page)
