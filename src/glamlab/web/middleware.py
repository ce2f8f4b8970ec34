"""ASGI middleware of the web app: requests with NUL characters are refused, and every
response carries the security headers."""

from __future__ import annotations

import json
from html import escape
from typing import Any


def _header(scope: Any, wanted: bytes) -> bytes:
    for name, value in scope.get("headers") or ():
        if name.lower() == wanted:
            return bytes(value).lower()
    return b""


class SaidOnTheWeb:
    """Every request's refusals name their fix in the web pages' words
    (:func:`glamlab.said.said_on_the_web`), not as Python's arguments (``text_column=``)
    nor as the command line's options: the voice of the whole request, the routes'
    threads included (each runs in a copy of the request's context)."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        from ..said import said_on_the_web

        with said_on_the_web():
            await self.app(scope, receive, send)


class RejectNul:
    """Refuse requests that carry NUL characters (in the path, the query or the body)
    with one clear 400: no id, label or text in glamlab holds one, and PostgreSQL cannot
    even compare with such a value."""

    MAX_BODY = 16 * 1024 * 1024
    MARKS = (b"\x00", b"%00", b"\\u0000")
    # file uploads (spreadsheets, ZIPs, images are binary): their body is streamed as it
    # is; the upload page checks names and sizes, and its form fields are checked there
    UPLOAD_PATHS = ("/stages/items",)
    MAX_UPLOAD = 510_000_000  # the largest upload kind (a ZIP of images) and the form

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = scope.get("raw_path") or scope.get("path", "").encode()
        page = not str(scope.get("path", "")).startswith(JSON_PATHS)  # a browser's page
        if any(m in raw or m in scope.get("query_string", b"") for m in self.MARKS[:2]):
            await self._refuse(send, page=page)
            return
        if scope.get("method") == "POST" and scope.get("path") in self.UPLOAD_PATHS and \
                _header(scope, b"content-type").startswith(b"multipart/form-data"):
            length = _header(scope, b"content-length")
            if not length.isdigit():
                await self._refuse(send, 411, "an upload must say its length", page=page)
                return
            if int(length) > self.MAX_UPLOAD:
                await self._refuse(send, 413, "the upload is larger than the limit of "
                                              f"{self.MAX_UPLOAD // 1_000_000} MB", page=page)
                return
            await self.app(scope, receive, send)
            return
        messages = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            size += len(message.get("body", b""))
            if message["type"] != "http.request" or not message.get("more_body"):
                break
            if size > self.MAX_BODY:
                await self._refuse(send, 413, "the request body is too large", page=page)
                return
        body = b"".join(m.get("body", b"") for m in messages)
        if any(m in body for m in self.MARKS):
            await self._refuse(send, page=page)
            return

        async def replay() -> Any:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(send: Any, status: int = 400,
                      error: str = "NUL characters are not allowed in requests", *,
                      page: bool = False) -> None:
        """The refusal: JSON for the API, one page for a browser's form or address."""
        if page:
            body = _problem_page(PAGE_WORDS.get(error, (error[:1].upper() + error[1:] + ".",
                                                        None))).encode()
            kind = b"text/html; charset=utf-8"
        else:
            body = json.dumps({"error": error}).encode()
            kind = b"application/json"
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", kind),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


#: addresses whose answers are JSON (as the app's own errors there), not pages
JSON_PATHS = ("/api/", "/thumb/", "/image/")

#: a refusal said on a page: (what happened, what to do)
PAGE_WORDS: dict[str, tuple[str, str | None]] = {
    "NUL characters are not allowed in requests": (
        "What was sent holds a NUL character (an invisible control character, often pasted "
        "in from another program), which glamlab cannot keep. Nothing was saved.",
        "go back, type the text again instead of pasting it, and send the form again"),
}


def _problem_page(words: tuple[str, str | None]) -> str:
    """A page as the app's error page says a problem (the middleware answers before the
    app's templates can)."""
    error, hint = words
    what = f"<p>What to do: {escape(hint)}</p>" if hint else ""
    return ('<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>Problem - glamlab</title>"
            '<link rel="stylesheet" href="/static/app.css"></head>'
            '<body><main id="main"><h1>Something needs your attention</h1>'
            f'<p role="alert" class="problem">{escape(error)}</p>{what}'
            '<p><a href="/">Back to the overview</a></p></main></body></html>\n')


#: the headers every response carries (a response that sets one itself keeps its own)
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    # Images may come from IIIF image services; scripts and styles only from here.
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' https: http: data:; style-src 'self'; "
     b"script-src 'self'; frame-ancestors 'none'"),
)


#: what pages, API answers and downloads carry unless they say otherwise: none is kept in
#: the browser's cache (a reading room's shared computer keeps no API token shown once,
#: no export, no page of the project after the person signs out); the app's own
#: JavaScript, styles and icon are cached as usual
NO_STORE = (b"cache-control", b"no-store")
CACHED_PATHS = ("/static/", "/favicon.ico")


class SecurityHeaders:
    """Every response carries :data:`SECURITY_HEADERS`, and :data:`NO_STORE` outside
    :data:`CACHED_PATHS`.

    Plain ASGI, as every middleware of the app: Starlette's ``BaseHTTPMiddleware``
    (``app.middleware("http")``) answers a browser that goes away before the page is
    ready with "RuntimeError: No response returned." and a traceback in the server's log
    (a race in ``call_next``; encode/starlette#2516), and it runs each response through an
    extra task and stream."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        extra = SECURITY_HEADERS
        if not str(scope.get("path", "")).startswith(CACHED_PATHS):
            extra = (*extra, NO_STORE)

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or ())
                present = {bytes(name).lower() for name, _value in headers}
                headers += [(n, v) for n, v in extra if n not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
