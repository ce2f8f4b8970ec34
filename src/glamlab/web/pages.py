# ruff: noqa: B008  (FastAPI declares dependencies as Depends(...) defaults)
"""What every page route shares: rendering a template with the user, the CSRF token,
the card and the task kind; the signed-in user; form writes by role; errors by status."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import Response
from markupsafe import Markup, escape
from starlette.datastructures import FormData

from ..auth import User
from ..errors import (
    DatabaseUnavailable,
    GlamlabError,
    ItemError,
    LabelError,
    ModelNotFound,
    PermissionDenied,
)
from ..review import NotFound, StaleDecision
from .sessions import LoginRequired


def exact_text(value: Any) -> Markup:
    """Text for an HTML attribute that a script reads back character for character (the
    entity review card's ``data-text``, whose offsets are saved): escaped, with each
    carriage return written ``&#13;``. A browser reads a raw CR LF (or a lone CR) in the
    page as one LF, which would shift every offset after it; a character reference is
    kept as it is."""
    return Markup(str(escape("" if value is None else str(value))).replace("\r", "&#13;"))


def render(request: Request, name: str, ctx: dict[str, Any], *, status: int = 200,
           headers: dict[str, str] | None = None) -> Response:
    state = request.app.state
    user, _how = state.auth.user(request)
    base = {"user": user, "csrf": state.auth.csrf_for(request), "card": state.ws.card,
            "kind": state.kind, "path": request.url.path}
    return state.templates.TemplateResponse(request, name, {**base, **ctx},  # type: ignore[no-any-return]
                                            status_code=status, headers=headers)


def not_in_project(what: str, value: str, instead: str,
                   known: Iterable[str] | None = None) -> str:
    """What a page says for a query value it does not know (``?label=`` a label the
    project does not have, ``?item=`` an id it does not hold), instead of ignoring it:
    "No label “x” in this project; showing all labels." (escaped where it is shown).
    ``known``: the values there are, for a query value from a fixed list rather than
    the project's data (``?sort=``, ``?strategy=``): "No sort “x” (there are: score,
    uncertainty, label); showing most sure first."
    """
    where = "in this project" if known is None else f"(there are: {', '.join(known)})"
    return f"No {what} “{value}” {where}; {instead}."


def page_user(request: Request) -> User:
    """The signed-in user of a page (not signed in: to the login page)."""
    user, _how = request.app.state.auth.user(request)
    if user is None:
        raise LoginRequired()
    return user  # type: ignore[no-any-return]


async def form_of(request: Request) -> AsyncIterator[FormData]:
    """The posted form; uploaded files in it are closed when the request ends (also when
    a check refuses it before the handler runs)."""
    form = await request.form()
    try:
        yield form
    finally:
        await form.close()


def writer(role: str, what: str) -> Any:
    """A dependency for form posts: signed in, the form's CSRF token, at least ``role``."""

    def dep(request: Request, form: FormData = Depends(form_of)) -> User:
        user = page_user(request)
        request.app.state.auth.check_csrf(request, str(form.get("csrf") or ""))
        user.require(role, what)
        return user

    return dep


def error_status(exc: GlamlabError) -> int:
    if isinstance(exc, DatabaseUnavailable):
        return 503  # the server or the network, not the request: try again later
    if isinstance(exc, StaleDecision):
        return 409
    if isinstance(exc, NotFound | ModelNotFound):
        return 404
    if isinstance(exc, PermissionDenied):
        return 403
    if isinstance(exc, LabelError | ItemError):
        return 422
    return 400


def safe_next(url: str) -> str:
    """Only local paths: never redirect to another site after login."""
    if not url.startswith("/") or url.startswith("//") or "\\" in url or url.startswith("/login"):
        return "/"
    return url
