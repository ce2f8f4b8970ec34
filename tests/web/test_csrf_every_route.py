"""Every route of the web app that changes something (POST, PUT, DELETE: the forms and
the JSON API) refuses a browser's request that lacks the session's CSRF token, even an
admin's, and refuses a viewer who sends it unless the route is one a viewer may use;
nobody signed in is refused too. The routes are read from the app itself, so a route
added without its check fails here."""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute

from .conftest import csrf_of

#: the writes a viewer may make: their own API tokens, trends (a form that reads),
#: a prediction that saves nothing, signing out
VIEWER_MAY = {"/account/tokens", "/account/tokens/revoke", "/stages/trends",
              "/stages/trends/csv", "/api/predict", "/logout"}
#: signing in has its own token (the login form's cookie), checked in test_app
NOT_HERE = {"/login"}


def _routes(routes: Any) -> list[APIRoute]:
    out: list[APIRoute] = []
    for r in routes:
        if isinstance(r, APIRoute):
            out.append(r)
        elif hasattr(r, "original_router"):  # a router included in the app
            out += _routes(r.original_router.routes)
        elif hasattr(r, "routes") and not hasattr(r, "app"):
            out += _routes(r.routes)
    return out


def _address(path: str) -> str:
    return (path.replace("{item_id:path}", "p1").replace("{decision_id}", "1")
            .replace("{change_id}", "1").replace("{name}", "nothing"))


def test_every_write_needs_the_csrf_token_and_its_role(client_for: Any) -> None:
    app = client_for().app
    writes = sorted({(m, r.path) for r in _routes(app.routes) for m in r.methods
                     if m not in ("GET", "HEAD") and r.path not in NOT_HERE})
    assert len(writes) > 40 and ("PUT", "/api/records/{item_id:path}/checked") in writes
    ada, val, nobody = client_for("ada"), client_for("val"), client_for()
    token = csrf_of(val)
    wrong = []
    for method, path in writes:
        address = _address(path)
        api = path.startswith("/api/")
        sent: dict[str, Any] = {"json": {}} if api else {"data": {"x": "1"}}
        r = ada.request(method, address, follow_redirects=False, **sent)
        if r.status_code != 403 or "CSRF" not in r.text:
            wrong.append(f"{method} {path}: an admin without the token got {r.status_code}")
        r = nobody.request(method, address, follow_redirects=False, **sent)
        if r.status_code not in (401, 303) or (
                r.status_code == 303 and not r.headers["location"].startswith("/login")):
            wrong.append(f"{method} {path}: nobody signed in got {r.status_code}")
        if path in VIEWER_MAY:
            continue
        sent = {"json": {}} if api else {"data": {"csrf": token}}
        r = val.request(method, address, follow_redirects=False,
                        headers={"X-CSRF-Token": token}, **sent)
        if r.status_code != 403 or "viewer" not in r.text:
            wrong.append(f"{method} {path}: a viewer with the token got {r.status_code}")
    assert not wrong, "\n".join(wrong)
