"""Tokens stored hashed with an id, listed, revoked one by one, expiring, dying with their
user; sessions that logout and a password change end (issue 19 point 4, issue 18)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from .conftest import PASSWORD, csrf_of, login


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_tokens_are_stored_hashed_listed_and_revoked_one_by_one(client_for: Any,
                                                                 queued_ws: Any) -> None:
    from glamlab.auth import api_token, list_tokens, revoke_token

    c = client_for()
    first = api_token(queued_ws, "rey", note="nightly export")
    second = api_token(queued_ws, "rey")
    t = queued_ws.store.t.auth_tokens
    with queued_ws.store.read() as conn:
        stored = conn.execute(sa.select(t.c.secret_hash, t.c.id)).all()
    assert len(stored) == 2
    secret_part = first.split(".")[2]
    assert all(secret_part not in r.secret_hash for r in stored)  # only a hash is kept
    listed = list_tokens(queued_ws, "rey")
    assert {r["id"] for r in listed} == {first.split(".")[1], second.split(".")[1]}
    assert all("secret" not in json.dumps(r, default=str) for r in listed)
    assert c.get("/api/me", headers=_bearer(first)).json()["username"] == "rey"
    revoke_token(queued_ws, first.split(".")[1])
    assert c.get("/api/me", headers=_bearer(first)).status_code == 401
    assert c.get("/api/me", headers=_bearer(second)).status_code == 200  # the other lives
    assert [r["id"] for r in list_tokens(queued_ws, "rey")] == [second.split(".")[1]]


def test_a_tampered_token_is_refused(client_for: Any, queued_ws: Any) -> None:
    from glamlab.auth import api_token

    c = client_for()
    token = api_token(queued_ws, "rey")
    kind, tid, secret_part, sig = token.split(".")

    def other(ch: str) -> str:  # a different character, so the token really changes
        return "y" if ch == "x" else "x"

    tampered_secret = secret_part[:-1] + other(secret_part[-1])
    # the signature's first character carries six bits of the digest (its last may carry only
    # padding bits, which a base64 decoder ignores)
    tampered_sig = other(sig[0]) + sig[1:]
    assert tampered_secret != secret_part and tampered_sig != sig
    for bad in (f"{kind}.{tid}.{tampered_secret}.{sig}", f"session.{tid}.{secret_part}.{sig}",
                f"{kind}.{tid}.{secret_part}.{tampered_sig}", "api.x.y", ""):
        assert c.get("/api/me", headers=_bearer(bad)).status_code == 401, bad


def test_tokens_expire(client_for: Any, queued_ws: Any) -> None:
    from glamlab.auth import api_token

    c = client_for()
    token = api_token(queued_ws, "rey", days=1)
    from glamlab.store import now

    assert c.get("/api/me", headers=_bearer(token)).status_code == 200
    t = queued_ws.store.t.auth_tokens
    with queued_ws.store.write() as conn:  # a day later
        conn.execute(t.update().values(expires_at=now() - timedelta(seconds=1)))
    assert c.get("/api/me", headers=_bearer(token)).status_code == 401


def test_tokens_die_with_their_user(client_for: Any, queued_ws: Any) -> None:
    from glamlab.auth import add_user, api_token, list_tokens, remove_user

    c = client_for()
    session = client_for("rob")
    token = api_token(queued_ws, "rob")
    assert c.get("/api/me", headers=_bearer(token)).status_code == 200
    remove_user(queued_ws, "rob")
    add_user(queued_ws, "rob", PASSWORD, "viewer")  # the same name, a new person
    assert c.get("/api/me", headers=_bearer(token)).status_code == 401
    assert session.get("/api/me").status_code == 401
    assert list_tokens(queued_ws, "rob", include_inactive=True) == []


def test_logout_ends_the_session_server_side(client_for: Any) -> None:
    c = client_for("rey")
    cookie = c.cookies.get("glamlab_session")
    assert c.get("/api/me").status_code == 200
    r = c.post("/logout", data={"csrf": csrf_of(c)}, follow_redirects=False)
    assert r.status_code == 303
    c.cookies.set("glamlab_session", cookie)  # an attacker kept the old cookie
    assert c.get("/api/me").status_code == 401
    assert c.get("/", follow_redirects=False).status_code == 303


def test_a_password_change_ends_every_session(client_for: Any, queued_ws: Any) -> None:
    from glamlab.auth import add_user

    one, two = client_for("rey"), client_for("rey")
    assert one.get("/api/me").status_code == 200 and two.get("/api/me").status_code == 200
    add_user(queued_ws, "rey", "a brand new password", "reviewer", replace=True)
    assert one.get("/api/me").status_code == 401 and two.get("/api/me").status_code == 401
    fresh = client_for()
    assert login(fresh, "rey", "a brand new password").status_code == 303
    assert fresh.get("/api/me").status_code == 200


def test_cli_tokens_and_revoke(web_ws: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from click.testing import CliRunner

    from glamlab.cli import cli, main

    runner = CliRunner()
    base = ["-w", str(web_ws.root)]
    r = runner.invoke(cli, [*base, "users", "token", "rey", "--expires-days", "7", "--note",
                            "sync", "--json"])
    assert r.exit_code == 0, r.output
    made = json.loads(r.output)
    r = runner.invoke(cli, [*base, "users", "tokens", "rey", "--json"])
    rows = json.loads(r.output)
    assert [(x["id"], x["note"], x["state"]) for x in rows] == [(made["id"], "sync", "active")]
    r = runner.invoke(cli, [*base, "users", "revoke", made["id"]])
    assert r.exit_code == 0 and made["id"] in r.output
    r = runner.invoke(cli, [*base, "users", "tokens", "--json"])
    assert json.loads(r.output) == []
    r = runner.invoke(cli, [*base, "users", "tokens", "--all", "--json"])
    assert json.loads(r.output)[0]["state"] == "revoked"
    for args, fix in ((["revoke", "nosuchtoken"], "glamlab users tokens"),
                      (["token", "rey", "--expires-days", "0"], "--expires-days")):
        with pytest.raises(SystemExit) as stop:
            main([*base, "users", *args])
        assert stop.value.code == 2 and fix in capsys.readouterr().err
