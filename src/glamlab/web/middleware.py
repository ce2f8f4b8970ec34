"""ASGI middleware of the web app: requests with NUL characters are refused, and every
response carries the security headers."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import Response


def _header(scope: Any, wanted: bytes) -> bytes:
    for name, value in scope.get("headers") or ():
        if name.lower() == wanted:
            return bytes(value).lower()
    return b""


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
        if any(m in raw or m in scope.get("query_string", b"") for m in self.MARKS[:2]):
            await self._refuse(send)
            return
        if scope.get("method") == "POST" and scope.get("path") in self.UPLOAD_PATHS and \
                _header(scope, b"content-type").startswith(b"multipart/form-data"):
            length = _header(scope, b"content-length")
            if not length.isdigit():
                await self._refuse(send, 411, "an upload must say its length")
                return
            if int(length) > self.MAX_UPLOAD:
                await self._refuse(send, 413, "the upload is larger than the limit of "
                                              f"{self.MAX_UPLOAD // 1_000_000} MB")
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
                await self._refuse(send, 413, "the request body is too large")
                return
        body = b"".join(m.get("body", b"") for m in messages)
        if any(m in body for m in self.MARKS):
            await self._refuse(send)
            return

        async def replay() -> Any:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(send: Any, status: int = 400,
                      error: str = "NUL characters are not allowed in requests") -> None:
        body = json.dumps({"error": error}).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


async def security_headers(request: Request, call_next: Any) -> Response:
    response: Response = await call_next(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    # Images may come from IIIF image services; scripts and styles only from here.
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' https: http: data:; style-src 'self'; "
        "script-src 'self'; frame-ancestors 'none'")
    return response
