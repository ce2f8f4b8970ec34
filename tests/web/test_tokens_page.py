"""The API tokens page (issue 18): a person makes a token (the secret shown once, only
its hash kept), uses it, and revokes it; nobody revokes another's token unless admin."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from .conftest import csrf_of


def test_make_use_and_revoke_a_token_in_the_browser(client_for: Any, queued_ws: Any) -> None:
    rey = client_for("rey")
    assert "No tokens yet" in rey.get("/account/tokens").text
    assert 'href="/account/tokens"' in rey.get("/").text  # linked from every page
    r = rey.post("/account/tokens", data={"csrf": csrf_of(rey), "note": "nightly export",
                                          "days": "30"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/account/tokens"
    page = rey.get("/account/tokens").text
    token = re.search(r'id="token-secret" readonly size="70" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    token_id = token.split(".")[1]
    assert "shown only this once" in page and "nightly export" in page
    assert token not in rey.get("/account/tokens").text  # once
    t = queued_ws.store.t.auth_tokens
    with queued_ws.store.read() as conn:
        hashes = [row.secret_hash for row in conn.execute(sa.select(t.c.secret_hash))]
    assert token.split(".")[2] not in " ".join(hashes)
    script = client_for()
    bearer = {"Authorization": f"Bearer {token}"}
    assert script.get("/api/me", headers=bearer).json()["username"] == "rey"
    # another reviewer neither sees nor revokes it; no CSRF, no revoke
    rob = client_for("rob")
    assert token_id not in rob.get("/account/tokens").text
    r = rob.post("/account/tokens/revoke", data={"csrf": csrf_of(rob), "id": token_id},
                 follow_redirects=False)
    assert r.status_code == 400 and "no token" in r.text
    r = rey.post("/account/tokens/revoke", data={"id": token_id}, follow_redirects=False)
    assert r.status_code == 403
    assert script.get("/api/me", headers=bearer).status_code == 200
    r = rey.post("/account/tokens/revoke", data={"csrf": csrf_of(rey), "id": token_id},
                 follow_redirects=False)
    assert r.status_code == 303
    assert script.get("/api/me", headers=bearer).status_code == 401
    assert re.search(rf'data-token="{token_id}">.*?<td>revoked</td>',
                     rey.get("/account/tokens").text, re.S)


def test_a_viewer_may_have_a_token_and_an_admin_sees_all(client_for: Any) -> None:
    val = client_for("val")
    r = val.post("/account/tokens", data={"csrf": csrf_of(val), "days": "7"},
                 follow_redirects=False)
    assert r.status_code == 303
    token = re.search(r'value="(api\.[^"]+)"', val.get("/account/tokens").text).group(1)  # type: ignore[union-attr]
    ada = client_for("ada")
    page = ada.get("/account/tokens").text
    assert token.split(".")[1] in page and "<td>val</td>" in page and token not in page
    r = ada.post("/account/tokens/revoke", data={"csrf": csrf_of(ada),
                                                 "id": token.split(".")[1]},
                 follow_redirects=False)
    assert r.status_code == 303
