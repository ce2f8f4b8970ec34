# ruff: noqa: B008  (FastAPI declares dependencies as Depends(...) defaults)
"""Admin pages: users and roles, and which model version is in use (its name's champion) or
being compared (a challenger)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from ...auth import ROLES, User, UserError, add_user, list_users, remove_user
from ...errors import ModelNotFound
from ...registry import champion, get_model, list_models, set_alias
from ..pages import form_of, page_user, render, writer
from ..words import model_notes

if TYPE_CHECKING:
    from ...workspace import Workspace

router = APIRouter(include_in_schema=False)


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request, user: User = Depends(page_user)) -> Response:
    user.require("admin", "manage users and models")
    ws = request.app.state.ws
    in_use, acted = model_in_use(ws)
    saved = list_models(ws)
    models = [{**m.to_dict(), "role": _role(m.name, m.spec, m.aliases, in_use)}
              for m in saved]
    from ...registry.models import measured

    return render(request, "admin.html", {
        "users": list_users(ws), "roles": ROLES, "models": models, "in_use": in_use,
        "unmeasured": in_use is not None and not measured(ws, in_use),
        "model_notes": model_notes(saved),
        "acted": acted, "done": request.query_params.get("done")})


def model_in_use(ws: Workspace) -> tuple[str | None, str | None]:
    """(the model in use, the model acting and the exports use when it is another one):
    the first is the champion runs use (one per project, however many model names have a
    champion of their own), as :func:`glamlab.registry.champion` finds it; the second,
    as :func:`glamlab.actions.act.default_model_spec` finds it, is None unless it differs
    (``[policy] model`` names another model, or no model is champion yet and it is the
    latest run's)."""
    from ...actions.act import default_model_spec
    from ...actions.policy import load_policy
    from ...errors import GlamlabError

    try:
        in_use: str | None = champion(ws).spec
    except ModelNotFound:
        in_use = None
    try:
        acted = default_model_spec(ws, load_policy(ws.card, web=True))
    except GlamlabError:  # a [policy] the Policy page reports: not this page's to say
        acted = None
    return in_use, (acted if acted and acted != in_use else None)


def _role(name: str, spec: str, aliases: list[str], in_use: str | None) -> str:
    """The Aliases cell: "in use" on the one model in use, and a champion (a name's
    chosen version) that is not in use said to be only its name's."""
    words = ["in use"] if spec == in_use else []
    for alias in aliases:
        if alias == "champion":
            if spec != in_use:
                words.append(f"chosen version of {name} (not in use)")
        elif alias in ALIAS_WORDS:
            words.append(ALIAS_WORDS[alias].format(name=name))
        elif alias != "in-use":
            words.append(alias)
    return ", ".join(words)


#: the other aliases glamlab sets, in a curator's words (the stored names stay)
ALIAS_WORDS = {"challenger": "new version being compared (not in use)",
               "previous": "previous chosen version of {name} (kept to go back to)"}


@router.post("/admin/users")
def admin_add_user(request: Request, form: FormData = Depends(form_of),
                   user: User = Depends(writer("admin", "manage users"))) -> Response:
    name = str(form.get("username") or "")
    add_user(request.app.state.ws, name, str(form.get("password") or ""),
             str(form.get("role") or "reviewer"), actor=user.username,
             replace=bool(form.get("replace")))
    request.app.state.auth.forget(name)
    return RedirectResponse("/admin?done=user-saved", 303)


CONFIRM = {
    "remove": ("/admin/users/remove", "Remove {username}?",
               "They can no longer sign in, and their sessions and API tokens stop working at "
               "once. Their past labels and decisions stay.", "Yes, remove {username}"),
    "champion": ("/admin/alias", "Make {model} the model in use?",
                 "Runs, acting and the web app's predictions will use {model} from now on, "
                 "instead of the model in use now.", "Yes, {model} becomes the model in use"),
}


def _short(text: str, most: int = 60) -> str:
    """``text`` quoted for an error, cut after ``most`` characters."""
    return repr(text if len(text) <= most else text[:most] + "...")


def _confirm_redirect(what: str, **fields: str) -> RedirectResponse:
    return RedirectResponse("/admin/confirm?" + urlencode({"what": what, **fields}), 303)


@router.get("/admin/confirm", response_class=HTMLResponse)
def admin_confirm(request: Request, what: str, username: str = "", model: str = "",
                  alias: str = "", user: User = Depends(page_user)) -> Response:
    """The confirmation step of a destructive admin action (works without JavaScript)."""
    user.require("admin", "manage users and models")
    if what not in CONFIRM:
        raise HTTPException(404, "nothing to confirm")
    action, question, consequence, yes = CONFIRM[what]
    values = {"username": username, "model": model, "alias": alias}
    return render(request, "confirm.html", {
        "action": action, "question": question.format(**values),
        "consequence": consequence.format(**values), "yes": yes.format(**values),
        "fields": {k: v for k, v in values.items() if v}})


@router.post("/admin/users/remove")
def admin_remove_user(request: Request, form: FormData = Depends(form_of),
                      user: User = Depends(writer("admin", "manage users"))) -> Response:
    name = str(form.get("username") or "")
    if name == user.username:
        raise HTTPException(422, "you cannot remove yourself; ask another admin")
    if name not in {u["username"] for u in list_users(request.app.state.ws)}:
        # said now, before asking to confirm removing nobody
        raise UserError(f"there is no user {_short(name)}",
                        hint="choose one from the list of people on the Admin page")
    if form.get("confirmed") != "yes":
        return _confirm_redirect("remove", username=name)
    remove_user(request.app.state.ws, name, actor=user.username)
    request.app.state.auth.forget(name)
    return RedirectResponse("/admin?done=user-removed", 303)


@router.post("/admin/alias")
def admin_alias(request: Request, form: FormData = Depends(form_of),
                user: User = Depends(writer("admin", "change models"))) -> Response:
    alias = str(form.get("alias") or "champion")
    if alias not in ("champion", "challenger"):
        raise HTTPException(422, "choose whether the model becomes the model in use or a "
                                 "new version being compared")
    if alias == "champion" and form.get("confirmed") != "yes":
        # a model that does not exist is said now, before asking to confirm it
        model = str(form.get("model") or "")
        get_model(request.app.state.ws, model)
        return _confirm_redirect("champion", model=model, alias=alias)
    ws, model = request.app.state.ws, str(form.get("model") or "")
    if alias == "champion":  # what the question promised: runs, acting and the web app
        # use it from now on: glamlab models promote's own function (the old champion
        # becomes the name's previous, for a rollback; the model in use is this one)
        from ...retraining import promote

        promote(ws, model, actor=user.username, reason="made the model in use on the Admin page")
    else:
        set_alias(ws, model, alias, actor=user.username)
    request.app.state.models.clear()
    return RedirectResponse("/admin?done=alias-set", 303)
