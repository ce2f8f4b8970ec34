"""The glamlab web app: server-rendered pages (Jinja2, autoescaped) with htmx, and a JSON API.

``create_app(ws)`` builds a FastAPI application for one workspace; ``glamlab serve``
runs it with uvicorn. The routes are in one router per area (:mod:`.routes`: auth,
labelling, review, reports, admin) and :mod:`.api` (the JSON API, documented at
``/docs`` and ``/openapi.json``); every handler calls the library and renders.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..auth import secret
from ..errors import DatabaseUnavailable, GlamlabError
from ..progress import plural, review_time
from ..registry import ModelCache
from ..review import StaleDecision
from ..store import utc_minutes
from ..tasks.kinds import task_kind
from .middleware import RejectNul, SaidOnTheWeb, SecurityHeaders
from .pages import error_status, exact_text, render, safe_next
from .sessions import Auth, LoginRequired
from .state import QueueCounts, Refresher, SkipSets
from .words import web_hint, without_server_folders

if TYPE_CHECKING:
    from ..workspace import Workspace

log = logging.getLogger(__name__)

#: what a page or API call says while the database server cannot be reached: plain words
#: for whoever has the page open; the address and the driver's reason go to the log
DATABASE_DOWN = ("The database is not answering just now, so nothing could be read or "
                 "saved; what was saved before is safe.")
DATABASE_DOWN_HINT = ("Try again in a minute. If it goes on, tell whoever looks after "
                      "glamlab: the server's log says what is wrong.")


def _package_dir(name: str) -> str:
    return str(resources.files("glamlab") / "web" / name)


def create_app(ws: Workspace, *, secure_cookies: bool = False) -> FastAPI:
    """The app for one workspace. ``secure_cookies`` marks cookies Secure (behind https)."""
    from . import api
    from .jobs import JobWorker
    from .routes import account, admin, auth, labelling, reports, review, setup, stages, trends

    app = FastAPI(
        lifespan=_lifespan,
        docs_url=None,  # FastAPI's Swagger UI loads from a CDN: /docs is our own page
        redoc_url=None,
        title="glamlab",
        version="1",
        description=(
            "Labelling, review and reports for a glamlab workspace. Scripts authenticate with "
            "`Authorization: Bearer TOKEN` (from `glamlab users token NAME`); a browser session "
            "cookie also works, with the `X-CSRF-Token` header on writes (and on "
            "`GET /api/queue` to lease the rows it returns)."),
    )
    templates = Jinja2Templates(directory=_package_dir("templates"))
    templates.env.autoescape = True  # every value from the store is escaped
    # a score threshold reads the same on every page (and in the act report): 98.7%
    from ..actions.policy import threshold_pct

    templates.env.filters["threshold_pct"] = threshold_pct
    # a problem's reason without the place its item already names (labels.csv:line 6)
    from ..ingest.base import reason_after

    templates.env.filters["reason_after"] = lambda reason, where: reason_after(where, reason)
    # "1 value", "2 values": {{ n }} {{ n|plural('value') }}; {{ n|plural('was', 'were') }}
    templates.env.filters["plural"] = plural
    # the labels as one list, between '|' where one holds a comma (so none reads as two)
    from ..progress import label_list

    templates.env.filters["label_list"] = label_list
    templates.env.filters["utc_minutes"] = utc_minutes  # stored times: 2026-12-05 08:53 UTC
    templates.env.filters["exact_text"] = exact_text  # a text a script reads back exactly
    # an error or a job's failure as {{ user }} reads it: the server's folders to an admin
    # only ({{ job.error|for_reader(user) }})
    templates.env.filters["for_reader"] = lambda text, user: (
        text if user is not None and user.can("admin")
        else without_server_folders(text, ws.root))
    # an item id in /items/, /thumb/, /image/ addresses: "a/../b" stays one part of it
    from .images import item_path

    templates.env.filters["item_path"] = item_path
    # where an item came from, by the file's name only: "the spreadsheet texts.csv"
    from .routes.review import source_words

    templates.env.filters["source_words"] = lambda source, kind=None: source_words(kind, source)
    # a report's measures and p-values in words: "F1 (macro average)", "how often luck alone gives a gap this big: 1%"
    from .words import metric_name, money, plain_html, plain_stats

    templates.env.filters["plain_stats"] = plain_stats
    templates.env.filters["plain_html"] = plain_html  # a report's tables: names in tooltips
    templates.env.filters["metric_name"] = metric_name
    templates.env.filters["review_time"] = review_time  # "under a minute", not "0.0 hours"
    templates.env.filters["money"] = money  # 1,234.50, as glamlab act prints money saved
    # an expected count of items as act says it: "about 1", "under 1" (never "1.05263")
    from ..actions.act import about_count, projected_words

    templates.env.filters["about_count"] = about_count
    # a filter's saving on 100,000 items like these, with its interval, as act says it
    templates.env.filters["projected"] = projected_words
    from .words import (
        AGREEMENT_EXPLAINED,
        BOARD_F1_EXPLAINED,
        BOARD_INTERVAL_EXPLAINED,
        GLOSSARY,
        metric_title,
    )

    templates.env.globals["agreement_explained"] = AGREEMENT_EXPLAINED
    templates.env.globals["glossary"] = GLOSSARY  # a term's plain words, in its tooltip
    templates.env.filters["metric_title"] = metric_title  # "f1_macro: a macro average ..."
    templates.env.globals["board_f1_explained"] = BOARD_F1_EXPLAINED
    templates.env.globals["board_interval_explained"] = BOARD_INTERVAL_EXPLAINED
    app.state.ws = ws
    app.state.kind = task_kind(ws.card)  # its widgets draw labelling and review controls
    app.state.auth = Auth(ws, secret(ws))
    app.state.templates = templates
    app.state.skips = SkipSets()
    app.state.secure_cookies = secure_cookies
    app.state.models = ModelCache()
    app.state.queue_counts = QueueCounts(ws)
    app.state.refresher = Refresher()
    # long work (evaluate, runs, monitoring) runs in one worker thread, started with the
    # app's first page that needs it (and at startup by glamlab serve)
    app.state.jobs = JobWorker(ws, after=lambda _kind: _after_job(app))
    app.mount("/static", StaticFiles(directory=_package_dir("static")), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:  # browsers and bookmarks ask for it at the root
        return FileResponse(f"{_package_dir('static')}/favicon.ico", media_type="image/x-icon")

    for module in (api, auth, labelling, review, reports, admin, stages, setup, account,
                   trends):
        app.include_router(module.router)
    app.add_exception_handler(LoginRequired, _login_required)  # type: ignore[arg-type]
    app.add_exception_handler(GlamlabError, _glamlab_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    # plain ASGI middleware (no app.middleware("http"): see SecurityHeaders); the last
    # added runs first: headers on every answer, then the card, then NUL refusals, then
    # the pages' words
    app.add_middleware(SaidOnTheWeb)  # a refusal's fix in the pages' words
    app.add_middleware(RejectNul)
    app.add_middleware(FreshCard)
    app.add_middleware(SecurityHeaders)
    return app


def _after_job(app: FastAPI) -> None:
    """After each job: drop the loaded models (a job may save new ones) and the queue
    counts (applying the policy, an ingest, a run change the queue)."""
    app.state.models.clear()
    app.state.queue_counts.invalidate()


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """At shutdown (a server stopping, a test client closed) the background work ends
    before the workspace can be closed under it."""
    yield
    await anyio.to_thread.run_sync(stop_background, app, 30.0)


def stop_background(app: FastAPI, timeout: float = 120.0) -> bool:
    """Stop the app's job thread and wait for the refresher's background work (the
    policy's dry run, monitoring) to end, so that none of it holds a database connection
    when the workspace is closed. Call it before ``ws.close()``: a server stopping, a
    test's teardown. False when the work did not end within ``timeout`` seconds."""
    app.state.jobs.stop(timeout)
    return bool(app.state.refresher.wait(timeout))


class FreshCard:
    """Every request sees glamlab.toml as it is now: a card another command (``glamlab
    act`` saving thresholds) or a person changed since is read again (a ``stat`` per
    request tells). A changed card that cannot be read is one clear page with the fix
    (the card in memory stays, and nothing is done until it is fixed), not an error 500."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not str(scope.get("path", "")).startswith("/static/"):
            refusal = self._refusal(Request(scope, receive))
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _refusal(request: Request) -> Response | None:
        state = request.app.state
        try:
            card = state.ws.changed_card()
            if card is not None:
                kind = task_kind(card)  # a card its task kind refuses is not taken either
                state.ws.card, state.kind = card, kind
        except GlamlabError as exc:
            message = ("The project card glamlab.toml was changed and cannot be used as it "
                       "is now. Nothing can be done here until it is fixed.")
            hint = "ask the person who runs glamlab to fix glamlab.toml"
            user = state.auth.user(request)[0]
            if user is not None:  # the details: signed-in people
                said = exc.message  # the card's place on the server: to an admin only
                if not user.can("admin"):
                    said = without_server_folders(said, state.ws.root) or said
                message = message.replace("as it is now.", f"as it is now: {said}.")
                hint = exc.hint or "fix glamlab.toml"
            if request.url.path.startswith("/api/"):
                return JSONResponse({"error": message, "hint": hint, "item": "glamlab.toml"},
                                    status_code=503)
            return render(request, "error.html", {"error": message, "hint": hint},
                          status=503)
        return None


async def _login_required(request: Request, exc: LoginRequired) -> Response:
    return RedirectResponse("/login?" + urlencode({"next": safe_next(request.url.path)}), 303)


async def _glamlab_error(request: Request, exc: GlamlabError) -> Response:
    if isinstance(exc, DatabaseUnavailable):
        return _database_down(request, exc)
    status = error_status(exc)
    message, hint, item = exc.message, exc.hint, exc.item
    if not _admin(request):  # where the server keeps a file is for its admins
        root = request.app.state.ws.root
        message, hint = (without_server_folders(message, root) or message,
                         without_server_folders(hint, root))
        item = without_server_folders(item, root) if isinstance(item, str) else item
    body: dict[str, Any] = {"error": message, "hint": hint, "item": item}
    if isinstance(exc, StaleDecision):
        body["current"] = exc.current
    if request.url.path.startswith("/api/"):
        return JSONResponse(body, status_code=status)
    hint = web_hint(hint)  # a page: what to do there, not a command
    return render(request, "error.html", {"error": message, "hint": hint}, status=status)


def _admin(request: Request) -> bool:
    """Whether the request is an admin's (not when who it is cannot be looked up)."""
    try:
        user = request.app.state.auth.user(request)[0]
    except GlamlabError:
        return False
    return user is not None and bool(user.can("admin"))


def _database_down(request: Request, exc: DatabaseUnavailable) -> Response:
    """503 with Retry-After: the server or the network is down, not the request wrong."""
    log.warning("%s %s: %s", request.method, request.url.path, exc.message)
    request.state.glamlab_user = (None, "")  # the error page asks the database nothing
    headers = {"Retry-After": "30"}
    status = error_status(exc)
    if request.url.path.startswith(("/api/", "/thumb/", "/image/")):
        return JSONResponse({"error": DATABASE_DOWN, "hint": DATABASE_DOWN_HINT, "item": None},
                            status_code=status, headers=headers)
    return render(request, "error.html", {"error": DATABASE_DOWN, "hint": DATABASE_DOWN_HINT},
                  status=status, headers=headers)


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    if request.url.path.startswith(("/api/", "/thumb/", "/image/")):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))
    try:
        return render(request, "error.html", {"error": exc.detail, "hint": None},
                      status=exc.status_code, headers=getattr(exc, "headers", None))
    except DatabaseUnavailable as down:  # who is signed in cannot be looked up just now
        return _database_down(request, down)
