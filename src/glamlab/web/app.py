# ruff: noqa: B008  (FastAPI declares dependencies as Depends(...) defaults)
"""The glamlab web app: server-rendered pages (Jinja2, autoescaped) with htmx, and a JSON API.

``create_app(ws)`` builds a FastAPI application for one workspace; ``glamlab serve``
runs it with uvicorn. Pages: overview, labelling, review queue, item, reports, admin.
The JSON API (``/api``, documented at ``/docs`` and ``/openapi.json``) is in :mod:`.api`.
"""

from __future__ import annotations

import json
import random
import threading
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import review
from ..errors import GlamlabError, ItemError, LabelError, ModelNotFound, PermissionDenied
from ..users import ROLES, User, add_user, authenticate, list_users, remove_user, secret, sign
from .auth import LOGIN_CSRF_COOKIE, SESSION_COOKIE, SESSION_TTL_S, Auth, LoginRequired
from .images import DISPLAY_SIDE, THUMB_SIDE, iiif_service, image_file, known_item

if TYPE_CHECKING:
    from ..workspace import Workspace

STAGE_WORDS = {
    "need": "The need, in words",
    "items": "The collection",
    "labels": "Gold labels (test set and training)",
    "models": "Baselines and models",
    "runs": "Runs over the collection",
    "actions": "Actions: metadata, review queue",
    "monitoring": "Monitoring",
}


def _package_dir(name: str) -> str:
    return str(resources.files("glamlab") / "web" / name)


def error_status(exc: GlamlabError) -> int:
    if isinstance(exc, review.StaleDecision):
        return 409
    if isinstance(exc, review.NotFound | ModelNotFound):
        return 404
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, LabelError | ItemError):
        return 422
    return 400


class SkipSets:
    """Items a user skipped while labelling (in memory, per user, bounded)."""

    def __init__(self) -> None:
        self._sets: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def add(self, user: str, item_id: str) -> None:
        with self._lock:
            s = self._sets.setdefault(user, [])
            s.append(item_id)
            del s[:-500]

    def get(self, user: str) -> list[str]:
        with self._lock:
            return list(self._sets.get(user, []))


class RejectNul:
    """Refuse requests that carry NUL characters (in the path, the query or the body)
    with one clear 400: no id, label or text in glamlab holds one, and PostgreSQL cannot
    even compare with such a value."""

    MAX_BODY = 16 * 1024 * 1024
    MARKS = (b"\x00", b"%00", b"\\u0000")

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
        import json

        body = json.dumps({"error": error}).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class QueueCounts:
    """Open-queue counts for the page header, without a full count on every request.

    Counting a million open rows takes longer than the whole page may. The full count runs
    again when new queue rows appear (a cheap ``max(id)`` check) or every ``ttl_s`` seconds;
    between, decisions made through this app adjust it in place. Decisions made by another
    process show within ``ttl_s`` seconds.
    """

    def __init__(self, ws: Workspace, ttl_s: float = 10.0):
        self.ws = ws
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._at = 0.0
        self._key: Any = None
        self._counts: dict[str, Any] = {}
        self._gen = 0  # bumped by every decision, so a count that raced one is not kept

    def get(self) -> dict[str, Any]:
        import time

        import sqlalchemy as sa

        t = self.ws.store.t.review_queue
        with self.ws.store.read() as conn:
            key = conn.execute(sa.select(sa.func.max(t.c.id))).scalar()
        with self._lock:
            if key == self._key and time.monotonic() - self._at < self.ttl_s:
                return {**self._counts, "by_label": dict(self._counts["by_label"])}
            gen = self._gen
        counts = review.queue_counts(self.ws)
        with self._lock:
            if gen == self._gen:
                self._key, self._at, self._counts = key, time.monotonic(), counts
            else:  # a decision landed while counting: this count may predate it
                self._key, self._at, self._counts = None, 0.0, {}
        return {**counts, "by_label": dict(counts["by_label"])}

    def decided(self, results: list[dict[str, Any]]) -> None:
        with self._lock:
            self._gen += 1
            if not self._counts:
                return
            for r in results:
                if not r.get("ok"):
                    continue
                self._counts["open"] -= 1
                self._counts["decisions"] += 1
                lab = str(r.get("predicted"))
                if lab in self._counts["by_label"]:
                    self._counts["by_label"][lab] -= 1


def create_app(ws: Workspace, *, secure_cookies: bool = False) -> FastAPI:
    """The app for one workspace. ``secure_cookies`` marks cookies Secure (behind https)."""
    app = FastAPI(
        docs_url=None,  # FastAPI's Swagger UI loads from a CDN: /docs is our own page
        redoc_url=None,
        title="glamlab",
        version="1",
        description=(
            "Labelling, review and reports for a glamlab workspace. Scripts authenticate with "
            "`Authorization: Bearer TOKEN` (from `glamlab users token NAME`); a browser session "
            "cookie also works, with the `X-CSRF-Token` header on writes."),
    )
    auth = Auth(ws, secret(ws))
    templates = Jinja2Templates(directory=_package_dir("templates"))
    templates.env.autoescape = True  # every value from the store is escaped
    app.state.ws = ws
    app.state.auth = auth
    app.state.templates = templates
    app.state.skips = SkipSets()
    app.state.secure_cookies = secure_cookies
    app.state.predictors = {}
    app.state.queue_counts = QueueCounts(ws)
    app.state.predictor_lock = threading.Lock()
    app.mount("/static", StaticFiles(directory=_package_dir("static")), name="static")

    from .api import router as api_router

    app.include_router(api_router)

    # -- errors ----------------------------------------------------------------
    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse("/login?" + urlencode({"next": _safe_next(request.url.path)}), 303)

    @app.exception_handler(GlamlabError)
    async def _glamlab_error(request: Request, exc: GlamlabError) -> Response:
        status = error_status(exc)
        body: dict[str, Any] = {"error": exc.message, "hint": exc.hint, "item": exc.item}
        if isinstance(exc, review.StaleDecision):
            body["current"] = exc.current
        if request.url.path.startswith("/api/"):
            return JSONResponse(body, status_code=status)
        return _render(request, "error.html", {"error": exc.message, "hint": exc.hint},
                       status=status)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/") or request.url.path.startswith("/thumb/") \
                or request.url.path.startswith("/image/"):
            return JSONResponse({"error": exc.detail}, status_code=exc.status_code,
                                headers=getattr(exc, "headers", None))
        return _render(request, "error.html", {"error": exc.detail, "hint": None},
                       status=exc.status_code, headers=getattr(exc, "headers", None))

    app.add_middleware(RejectNul)

    @app.middleware("http")
    async def _headers(request: Request, call_next: Any) -> Response:
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

    # -- helpers ---------------------------------------------------------------
    def _render(request: Request, name: str, ctx: dict[str, Any], *, status: int = 200,
                headers: dict[str, str] | None = None) -> Response:
        user, _how = auth.user(request)
        base = {"user": user, "csrf": auth.csrf_for(request), "card": ws.card,
                "path": request.url.path}
        return templates.TemplateResponse(request, name, {**base, **ctx}, status_code=status,
                                          headers=headers)

    def page_user(request: Request) -> User:
        user, _how = auth.user(request)
        if user is None:
            raise LoginRequired()
        return user

    async def form_of(request: Request) -> FormData:
        return await request.form()

    def writer(role: str, what: str) -> Any:
        def dep(request: Request, form: FormData = Depends(form_of)) -> User:
            user = page_user(request)
            auth.check_csrf(request, str(form.get("csrf") or ""))
            user.require(role, what)
            return user

        return dep

    # -- log in and out --------------------------------------------------------
    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_page(request: Request, next: str = "/") -> Response:
        token = request.cookies.get(LOGIN_CSRF_COOKIE) or sign(auth.key, "login", "-", 3600)
        resp = _render(request, "login.html", {"next": _safe_next(next), "login_csrf": token})
        resp.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict",
                        secure=secure_cookies, max_age=3600)
        return resp

    @app.post("/login", include_in_schema=False)
    def login(request: Request, form: FormData = Depends(form_of)) -> Response:
        username = str(form.get("username") or "")[:200]
        password = str(form.get("password") or "")
        next_url = _safe_next(str(form.get("next") or "/"))
        cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not cookie or cookie != str(form.get("csrf") or ""):
            raise HTTPException(403, "missing or wrong CSRF token: reload the page and try again")
        client = request.client.host if request.client else "?"
        wait = max(auth.per_user.retry_after(username), auth.per_client.retry_after(client))
        if wait:
            with ws.store.write() as conn:
                ws.store.audit(conn, username or "?", "login.limited", client)
            raise HTTPException(429, f"too many failed logins: try again in {wait} seconds",
                                headers={"Retry-After": str(wait)})
        user = authenticate(ws, username, password)
        if user is None:
            auth.per_user.fail(username)
            auth.per_client.fail(client)
            with ws.store.write() as conn:
                ws.store.audit(conn, username or "?", "login.failed", client)
            return _render(request, "login.html", {
                "next": next_url, "login_csrf": cookie,
                "failed": "Wrong user name or password."}, status=401)
        auth.per_user.reset(username)
        with ws.store.write() as conn:
            ws.store.audit(conn, user.username, "login", client)
        resp = RedirectResponse(next_url, 303)
        resp.set_cookie(SESSION_COOKIE, sign(auth.key, "session", user.username, SESSION_TTL_S),
                        httponly=True, samesite="lax", secure=secure_cookies,
                        max_age=SESSION_TTL_S)
        resp.delete_cookie(LOGIN_CSRF_COOKIE)
        return resp

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request, form: FormData = Depends(form_of)) -> Response:
        user = page_user(request)
        auth.check_csrf(request, str(form.get("csrf") or ""))
        review.release_leases(ws, user.username)
        resp = RedirectResponse("/login", 303)
        resp.delete_cookie(SESSION_COOKIE)
        return resp

    # -- overview ----------------------------------------------------------------
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def overview(request: Request, user: User = Depends(page_user)) -> Response:
        status = ws.status()
        for s in status["stages"]:
            s["words"] = STAGE_WORDS.get(s["stage"], s["stage"])
            s["facts"] = {k: v for k, v in s.items()
                          if k not in ("stage", "done", "words", "detail") and v is not None}
        return _render(request, "overview.html", {
            "status": status, "queue": app.state.queue_counts.get(),
            "labelling": review.labelling_counts(ws)})

    # -- labelling ---------------------------------------------------------------
    @app.get("/label", response_class=HTMLResponse, include_in_schema=False)
    def label_page(request: Request, strategy: str = "random", split: str = "test",
                   user: User = Depends(page_user)) -> Response:
        if strategy not in review.STRATEGIES:
            strategy = "random"
        if split not in ("train", "test"):
            split = "test"
        frozen = review.test_frozen(ws)
        if frozen and split == "test":
            split = "train"
        item = review.next_to_label(ws, strategy=strategy,
                                    exclude=app.state.skips.get(user.username),
                                    rng=random.Random())
        return _render(request, "label.html", {
            "item": item, "strategy": strategy, "split": split, "frozen": frozen,
            "strategies": review.STRATEGIES, "counts": review.labelling_counts(ws),
            "labels": list(enumerate(ws.card.labels, start=1)),
            "done": request.query_params.get("done")})

    def _back_to_label(form: FormData, done: str) -> RedirectResponse:
        q = {"strategy": str(form.get("strategy") or "random"),
             "split": str(form.get("split") or "test"), "done": done}
        return RedirectResponse("/label?" + urlencode(q), 303)

    @app.post("/label", include_in_schema=False)
    def label_post(request: Request, form: FormData = Depends(form_of),
                   user: User = Depends(writer("reviewer", "label items"))) -> Response:
        item_id = str(form.get("item_id") or "")
        labels = [str(v) for v in form.getlist("label")]
        review.save_label(ws, user.username, item_id, labels, str(form.get("split") or "test"))
        return _back_to_label(form, "label")

    @app.post("/label/skip", include_in_schema=False)
    def label_skip(request: Request, form: FormData = Depends(form_of),
                   user: User = Depends(writer("reviewer", "label items"))) -> Response:
        app.state.skips.add(user.username, str(form.get("item_id") or ""))
        return _back_to_label(form, "skip")

    @app.post("/label/undo", include_in_schema=False)
    def label_undo(request: Request, form: FormData = Depends(form_of),
                   user: User = Depends(writer("reviewer", "label items"))) -> Response:
        undone = review.undo_label(ws, user.username)
        return _back_to_label(form, "undo" if undone else "nothing-to-undo")

    # -- review queue ------------------------------------------------------------
    @app.get("/queue", response_class=HTMLResponse, include_in_schema=False)
    def queue_page(request: Request, sort: str = "score", label: str = "", view: str = "list",
                   kind: str = "", user: User = Depends(page_user)) -> Response:
        if sort not in review.SORTS:
            sort = "score"
        label_filter = label if label in ws.card.labels else None
        kind_filter = kind if kind in ("prediction", "recheck") else None
        if user.can("reviewer"):
            rows = review.lease_queue(ws, user.username, sort=sort, label=label_filter,
                                      kind=kind_filter, limit=48 if view == "grid" else 25)
        else:
            rows = []
        return _render(request, "queue.html", {
            "rows": rows, "sort": sort, "label": label_filter or "", "view": view,
            "kind": kind_filter or "",
            "sorts": review.SORTS, "counts": app.state.queue_counts.get(),
            "labels": ws.card.labels, "done": request.query_params.get("done"),
            "conflicts": request.query_params.get("conflicts")})

    def _back_to_queue(form: FormData, **extra: Any) -> RedirectResponse:
        q = {"sort": str(form.get("sort") or "score"), "label": str(form.get("label") or ""),
             "view": str(form.get("view") or "list"), **extra}
        return RedirectResponse("/queue?" + urlencode(q), 303)

    @app.post("/queue/decide", include_in_schema=False)
    def queue_decide(request: Request, form: FormData = Depends(form_of),
                     user: User = Depends(writer("reviewer", "decide review items"))) -> Response:
        try:
            queue_id_s, version_s, action = str(form.get("one") or "").split(":")
            queue_id, version = int(queue_id_s), int(version_s)
        except ValueError as exc:
            raise HTTPException(422, "malformed decision: reload the queue") from exc
        label = str(form.get(f"label_{queue_id}") or "") or None
        result = review.decide(ws, user.username, queue_id, action, version,
                               label=label if action == "correct" else None)
        app.state.queue_counts.decided([result])
        return _back_to_queue(form, done=action)

    @app.post("/queue/bulk", include_in_schema=False)
    def queue_bulk(request: Request, form: FormData = Depends(form_of),
                   user: User = Depends(writer("reviewer", "decide review items"))) -> Response:
        seen: list[tuple[int, int]] = []
        for value in form.getlist("sel"):
            try:
                a, b = str(value).split(":")
                seen.append((int(a), int(b)))
            except ValueError as exc:
                raise HTTPException(422, "malformed selection: reload the queue") from exc
        if not seen:
            return _back_to_queue(form, done="none-selected")
        results = review.decide_many(ws, user.username, seen, "accept")
        app.state.queue_counts.decided(results)
        bad = sum(1 for r in results if not r["ok"])
        return _back_to_queue(form, done=f"accepted-{len(results) - bad}", conflicts=bad or "")

    # -- item page ---------------------------------------------------------------
    @app.get("/items/{item_id:path}", response_class=HTMLResponse, include_in_schema=False)
    def item_page(request: Request, item_id: str, user: User = Depends(page_user)) -> Response:
        item = known_item(ws, item_id)
        service = iiif_service(item)
        return _render(request, "item.html", {
            "item": item, "history": review.item_history(ws, item_id),
            "iiif": service, "meta_json": json.dumps(item.meta, indent=2, ensure_ascii=False,
                                                     default=str),
            "explanation": _explanation(item_id)})

    def _explanation(item_id: str) -> dict[str, Any] | None:
        """Why the latest model said what it did (e.g. the ink found on a page), or the
        reason it cannot say; None when the model does not explain itself."""
        from ..explain import explain_item

        try:
            return explain_item(ws, item_id)
        except GlamlabError as exc:
            return {"error": exc.message, "hint": exc.hint}

    @app.get("/thumb/{item_id:path}", include_in_schema=False)
    def thumb(request: Request, item_id: str, user: User = Depends(page_user)) -> Response:
        return FileResponse(image_file(ws, item_id, THUMB_SIDE), media_type="image/jpeg",
                            headers={"Cache-Control": "private, max-age=3600"})

    @app.get("/image/{item_id:path}", include_in_schema=False)
    def image(request: Request, item_id: str, user: User = Depends(page_user)) -> Response:
        return FileResponse(image_file(ws, item_id, DISPLAY_SIDE), media_type="image/jpeg",
                            headers={"Cache-Control": "private, max-age=3600"})

    # -- reports -----------------------------------------------------------------
    @app.get("/reports", response_class=HTMLResponse, include_in_schema=False)
    def reports_page(request: Request, user: User = Depends(page_user)) -> Response:
        from .reports import gather

        return _render(request, "reports.html", {"reports": gather(ws)})

    # -- API documentation (server-rendered from the OpenAPI description) ----------
    @app.get("/docs", response_class=HTMLResponse, include_in_schema=False)
    def api_docs(request: Request) -> Response:
        spec = app.openapi()
        ops = []
        for path, methods in spec.get("paths", {}).items():
            for method, op in methods.items():
                body = (op.get("requestBody") or {}).get("content", {}).get(
                    "application/json", {}).get("schema", {}).get("$ref", "")
                ops.append({
                    "method": method.upper(), "path": path, "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "params": [f"{p['name']} ({p['in']})" for p in op.get("parameters", [])],
                    "body": body.rsplit("/", 1)[-1], "responses": sorted(op.get("responses", {}))})
        return _render(request, "docs.html", {"ops": ops, "info": spec.get("info", {})})

    # -- admin -------------------------------------------------------------------
    @app.get("/admin", response_class=HTMLResponse, include_in_schema=False)
    def admin_page(request: Request, user: User = Depends(page_user)) -> Response:
        user.require("admin", "manage users and models")
        from ..registry import list_models

        return _render(request, "admin.html", {
            "users": list_users(ws), "roles": ROLES,
            "models": [m.to_dict() for m in list_models(ws)],
            "done": request.query_params.get("done")})

    @app.post("/admin/users", include_in_schema=False)
    def admin_add_user(request: Request, form: FormData = Depends(form_of),
                       user: User = Depends(writer("admin", "manage users"))) -> Response:
        name = str(form.get("username") or "")
        add_user(ws, name, str(form.get("password") or ""),
                 str(form.get("role") or "reviewer"), actor=user.username,
                 replace=bool(form.get("replace")))
        auth.forget(name)
        return RedirectResponse("/admin?done=user-saved", 303)

    @app.post("/admin/users/remove", include_in_schema=False)
    def admin_remove_user(request: Request, form: FormData = Depends(form_of),
                          user: User = Depends(writer("admin", "manage users"))) -> Response:
        name = str(form.get("username") or "")
        if name == user.username:
            raise HTTPException(422, "you cannot remove yourself; ask another admin")
        remove_user(ws, name, actor=user.username)
        auth.forget(name)
        return RedirectResponse("/admin?done=user-removed", 303)

    @app.post("/admin/alias", include_in_schema=False)
    def admin_alias(request: Request, form: FormData = Depends(form_of),
                    user: User = Depends(writer("admin", "change models"))) -> Response:
        from ..registry import set_alias

        alias = str(form.get("alias") or "champion")
        if alias not in ("champion", "challenger"):
            raise HTTPException(422, "alias must be champion or challenger")
        set_alias(ws, str(form.get("model") or ""), alias, actor=user.username)
        app.state.predictors.clear()
        return RedirectResponse("/admin?done=alias-set", 303)

    return app


def _safe_next(url: str) -> str:
    """Only local paths: never redirect to another site after login."""
    if not url.startswith("/") or url.startswith("//") or "\\" in url or url.startswith("/login"):
        return "/"
    return url
