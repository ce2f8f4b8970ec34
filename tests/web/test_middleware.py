"""The app's middleware: every answer carries the security headers (pages, the API, errors,
refusals the middleware gives itself, static files), and none of it is Starlette's
``BaseHTTPMiddleware``, whose ``call_next`` logs "RuntimeError: No response returned."
when a browser goes away before its page is ready (seen once in a curator's walk)."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from starlette.middleware.base import BaseHTTPMiddleware

from glamlab.web import create_app
from glamlab.web.middleware import SECURITY_HEADERS

HEADERS = {name.decode(): value.decode() for name, value in SECURITY_HEADERS}


def _has_headers(response: Any) -> None:
    for name, value in HEADERS.items():
        assert response.headers.get(name) == value, (name, response.headers)


def test_every_answer_carries_the_security_headers(client_for: Any, queued_ws: Any) -> None:
    c = client_for("ada")
    answers = {
        "page": c.get("/"),
        "login page": client_for().get("/login"),
        "api": c.get("/api/items"),
        "missing page": c.get("/no-such-page"),
        "static file": c.get("/static/app.css"),
        "NUL refused by the middleware": c.get("/items/a%00b"),
    }
    assert answers["NUL refused by the middleware"].status_code == 400
    assert answers["missing page"].status_code == 404
    for what, response in answers.items():
        assert response.status_code < 500, what
        _has_headers(response)
    # a header a response sets itself is kept, and not sent twice
    raw = answers["page"].headers.get_list("content-security-policy")
    assert len(raw) == 1

    # the card broken on disk: the middleware's own 503 page carries them too
    path = queued_ws.root / "glamlab.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n[broken\n", encoding="utf-8")
    broken = c.get("/stages/policy")
    assert broken.status_code == 503 and "glamlab.toml" in broken.text
    _has_headers(broken)


def test_pages_api_answers_and_downloads_are_not_kept_in_the_browser_cache(
        client_for: Any) -> None:
    """A shared computer's browser cache kept the page that shows a new API token once,
    exports and every page after the person signed out: they say no-store. The app's
    own files are cached, and an answer that sets its own Cache-Control keeps it."""
    c = client_for("ada")
    csrf = c.get("/account/tokens").text.split('name="csrf" value="')[1].split('"')[0]
    c.post("/account/tokens", data={"csrf": csrf, "days": "7"})
    for path in ("/account/tokens", "/", "/api/items", "/stages/export/download?format=csv",
                 "/no-such-page"):
        assert c.get(path).headers.get_list("cache-control") == ["no-store"], path
    assert client_for().get("/login").headers.get("cache-control") == "no-store"
    for path in ("/static/app.css", "/favicon.ico"):
        assert "cache-control" not in c.get(path).headers, path


def test_no_middleware_is_basehttpmiddleware(queued_ws: Any) -> None:
    """``app.middleware("http")`` wraps a function in BaseHTTPMiddleware: the app's
    middleware is plain ASGI instead (see glamlab.web.middleware.SecurityHeaders)."""
    app = create_app(queued_ws)
    try:
        assert app.user_middleware, "the app has its middleware"
        for entry in app.user_middleware:
            assert not (isinstance(entry.cls, type) and issubclass(entry.cls, BaseHTTPMiddleware)), \
                entry
    finally:
        app.state.refresher.wait(120)


@pytest.mark.parametrize("path", ["/login", "/", "/api/items"])
def test_a_client_gone_before_the_answer_is_no_server_error(queued_ws: Any, path: str) -> None:
    """A browser that closes the tab at once: the app answers (or stops) without raising."""
    app = create_app(queued_ws)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
             "http_version": "1.1", "method": "GET", "scheme": "http", "path": path,
             "raw_path": path.encode(), "root_path": "", "query_string": b"",
             "headers": [(b"host", b"testserver")], "client": ("127.0.0.1", 1),
             "server": ("testserver", 80), "state": {}}

    async def main() -> None:
        await app(scope, receive, send)

    try:
        anyio.run(main)
    finally:
        app.state.refresher.wait(120)
    starts = [m for m in sent if m["type"] == "http.response.start"]
    assert len(starts) <= 1
    if starts:
        names = {bytes(n).decode().lower() for n, _v in starts[0]["headers"]}
        assert set(HEADERS) <= names
