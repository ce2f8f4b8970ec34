"""The web app through a real ASGI client: login, roles, CSRF, images, leases, stale
decisions, escaping, labelling and the JSON API."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from glamlab import review
from glamlab.tasks import sampling

from .conftest import PASSWORD, csrf_of, login


def _count(ws: Any, table: str, *where: Any) -> int:
    t = ws.store.t.metadata.tables[table]
    with ws.store.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(t).where(*where)).scalar())


def _token(ws: Any, user: str) -> dict[str, str]:
    from glamlab.auth import api_token

    return {"Authorization": f"Bearer {api_token(ws, user)}"}


# -- people ---------------------------------------------------------------------
def test_pages_need_login_and_wrong_password_is_refused(client_for: Any) -> None:
    c = client_for()
    r = c.get("/queue", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert c.get("/api/items").status_code == 401
    assert login(c, "rey", "wrong password").status_code == 401
    r = login(c, "rey")
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("samesite", "SameSite")
    assert c.get("/").status_code == 200


def test_a_flood_of_wrong_passwords_is_counted_not_logged_row_by_row(
        client_for: Any, queued_ws: Any) -> None:
    """Failed and refused sign-ins are counted in one audit row per user name and
    address in five minutes (``details.attempts``), and in at most 20 rows an address
    however many user names it tries; a sign-in that works is a row of its own."""
    log = queued_ws.store.t.audit_log

    def rows() -> list[Any]:
        with queued_ws.store.read() as conn:
            return list(conn.execute(sa.select(log).where(log.c.action.like("login%"))
                                     .order_by(log.c.id)).all())

    c = client_for()
    sent = [login(c, "rey", "wrong password").status_code for _ in range(40)]
    assert sent.count(401) == 5 and sent.count(429) == 35  # the limit still holds
    got = rows()
    assert [(r.actor, r.action, r.details["attempts"]) for r in got] == [
        ("rey", "login.failed", 5), ("rey", "login.limited", 35)]
    assert all(r.object == "testclient" for r in got)
    # a new user name each time: at most 20 rows of each event (LOGIN_AUDIT_ROWS)
    for n in range(120):
        login(c, f"nobody{n}", "wrong password")
    got = rows()
    for event in ("login.failed", "login.limited"):
        mine = [r for r in got if r.action == event]
        assert len(mine) <= 20
    assert sum(r.details["attempts"] for r in got) == 160
    assert sum(r.details.get("other_users", 0) for r in got) > 0


def test_cookies_are_secure_when_the_app_is_reached_over_https(queued_ws: Any) -> None:
    """Without --secure-cookies, a request that came over https (directly, or through a
    trusted proxy's X-Forwarded-Proto) gets Secure cookies; plain http does not."""
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.web import create_app

    add_user(queued_ws, "sec", PASSWORD, "viewer")
    app = create_app(queued_ws)
    for base, secure in (("https://testserver", True), ("http://testserver", False)):
        with TestClient(app, base_url=base) as c:
            assert ("Secure" in c.get("/login").headers["set-cookie"]) is secure
            r = login(c, "sec")
            assert r.status_code == 303
            session = next(v for v in r.headers.get_list("set-cookie")
                           if v.startswith("glamlab_session="))
            assert ("Secure" in session) is secure, session
    app.state.refresher.wait(120)


def test_the_icon_is_served_without_login(client_for: Any) -> None:
    c = client_for()
    r = c.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"] == "image/x-icon"
    assert r.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    svg = c.get("/static/favicon.svg")
    assert svg.status_code == 200 and svg.text.startswith("<svg")
    assert '<link rel="icon" href="/static/favicon.svg"' in c.get("/login").text


def test_login_is_rate_limited(client_for: Any) -> None:
    c = client_for()
    for _ in range(5):
        assert login(c, "val", "nope nope").status_code == 401
    r = login(c, "val")  # even the right password waits now
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert login(c, "rey").status_code == 303  # another user is not locked out


def test_logins_sent_at_once_get_no_more_tries_than_one_after_another(
        client_for: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The limit is counted before the password is checked: twelve wrong passwords sent
    at the same moment (a slow check, as argon2 is) used to all pass the check made before
    any of them had failed."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    from glamlab.web.routes import auth as auth_routes

    real = auth_routes.authenticate
    arrived = threading.Barrier(6, timeout=2)

    def slow(ws: Any, username: str, password: str) -> Any:
        try:
            arrived.wait()  # the first six are all past the limit's check at once
        except threading.BrokenBarrierError:
            pass
        time.sleep(0.2)
        return real(ws, username, password)

    monkeypatch.setattr(auth_routes, "authenticate", slow)
    clients = [client_for() for _ in range(12)]
    with ThreadPoolExecutor(12) as pool:
        codes = list(pool.map(lambda c: login(c, "val", "nope nope").status_code, clients))
    assert sorted(codes) == [401] * 5 + [429] * 7, codes
    assert login(clients[0], "val").status_code == 429  # the right password waits too
    assert login(clients[0], "rey").status_code == 303  # another user is not locked out


def test_a_right_password_does_not_count_against_the_address(client_for: Any) -> None:
    """Signing in (here 25 times from one address, over its limit of 20 failures) is not
    a failure of that address."""
    c = client_for()
    for _ in range(25):
        assert login(c, "rey").status_code == 303


def test_login_needs_its_csrf_token(client_for: Any) -> None:
    c = client_for()
    r = c.post("/login", data={"username": "rey", "password": PASSWORD, "csrf": "x"},
               follow_redirects=False)
    assert r.status_code == 403


def test_forms_and_cookie_api_calls_need_the_csrf_token(client_for: Any, queued_ws: Any) -> None:
    c = client_for("rey")
    item_id = next(queued_ws.items()).item_id
    for data in ({"item_id": item_id, "label": "graphic"},
                 {"item_id": item_id, "label": "graphic", "csrf": "forged"}):
        assert c.post("/label", data=data, follow_redirects=False).status_code == 403
    assert _count(queued_ws, "labels") == 0
    row = c.get("/api/queue?limit=1").json()[0]
    body = {"queue_id": row["id"], "action": "accept", "seen_version": row["version"]}
    assert c.post("/api/decisions", json=body).status_code == 403
    assert _count(queued_ws, "decisions") == 0
    ok = c.post("/api/decisions", json=body, headers={"X-CSRF-Token": csrf_of(c)})
    assert ok.status_code == 200, ok.text
    ok = c.post("/label", data={"item_id": item_id, "label": "graphic", "csrf": csrf_of(c)},
                follow_redirects=False)
    assert ok.status_code == 303
    labels = queued_ws.store.t.labels
    assert _count(queued_ws, "labels", labels.c.source == "web") == 1
    assert _count(queued_ws, "labels", labels.c.source == "review") == 1  # the accept


def test_a_token_that_is_not_ascii_is_refused_not_an_error(client_for: Any,
                                                           queued_ws: Any) -> None:
    c = client_for("rey")
    item_id = next(queued_ws.items()).item_id
    r = c.post("/label", data={"item_id": item_id, "label": "graphic", "csrf": "jeton-forgé"},
               follow_redirects=False)
    assert r.status_code == 403, r.text
    assert c.get("/api/queue?limit=1", headers={"X-CSRF-Token": "jeton-é".encode("latin-1")}
                 ).status_code in (200, 403)  # never a 500
    assert _count(queued_ws, "labels") == 0


def test_roles(client_for: Any, queued_ws: Any) -> None:
    viewer, reviewer, admin = client_for("val"), client_for("rey"), client_for("ada")
    item_id = next(queued_ws.items()).item_id
    # A viewer reads, and its queue requests lease nothing.
    rows = viewer.get("/api/queue?limit=3").json()
    assert len(rows) == 3 and all(r["lease_owner"] is None for r in rows)
    body = {"queue_id": rows[0]["id"], "action": "accept", "seen_version": rows[0]["version"]}
    assert viewer.post("/api/decisions", json=body, headers=_token(queued_ws, "val")
                       ).status_code == 403
    assert viewer.post("/label", data={"item_id": item_id, "label": "graphic",
                                       "csrf": csrf_of(viewer)}).status_code == 403
    assert viewer.post("/api/labels", json={"item_id": item_id, "labels": ["graphic"]},
                       headers=_token(queued_ws, "val")).status_code == 403
    # A reviewer cannot manage users or models.
    assert reviewer.get("/admin").status_code == 403
    tok = csrf_of(reviewer)
    assert reviewer.post("/admin/users", data={"username": "eve", "password": "longenough1",
                                               "role": "admin", "csrf": tok}).status_code == 403
    assert reviewer.post("/admin/alias", data={"model": "majority@1", "alias": "champion",
                                               "csrf": tok}).status_code == 403
    assert reviewer.post("/admin/users/remove", data={"username": "ada", "csrf": tok}
                         ).status_code == 403
    from glamlab.auth import get_user

    assert get_user(queued_ws, "eve") is None and get_user(queued_ws, "ada") is not None
    # An admin can.
    r = admin.post("/admin/users", data={"username": "eve", "password": "longenough1",
                                         "role": "viewer", "csrf": csrf_of(admin)},
                   follow_redirects=False)
    assert r.status_code == 303 and get_user(queued_ws, "eve").role == "viewer"
    assert _count(queued_ws, "decisions") == 0


def test_removed_user_is_locked_out(client_for: Any, queued_ws: Any) -> None:
    from glamlab.auth import remove_user

    c = client_for("rob")
    headers = _token(queued_ws, "rob")
    assert c.get("/api/me", headers=headers).json()["role"] == "reviewer"
    remove_user(queued_ws, "rob")
    c.app.state.auth.forget("rob")
    assert c.get("/api/me", headers=headers).status_code == 401
    assert c.get("/", follow_redirects=False).status_code == 303


# -- images ---------------------------------------------------------------------
@pytest.mark.parametrize("path", [
    "/thumb/../../../../etc/passwd",
    "/thumb/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/image/..%2f..%2fglamlab.toml",
    "/image//etc/passwd",
    "/thumb/glamlab.db",
])
def test_images_only_for_known_items(client_for: Any, path: str) -> None:
    c = client_for("val")
    r = c.get(path)
    assert r.status_code == 404
    assert b"root:" not in r.content and b"SQLite" not in r.content


def test_thumbnail_of_a_known_item_is_cached(client_for: Any, queued_ws: Any) -> None:
    c = client_for("val")
    item_id = next(queued_ws.items()).item_id
    r = c.get(f"/thumb/{item_id}")
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert r.content[:2] == b"\xff\xd8"
    cached = list((queued_ws.cache_dir / "thumbs").rglob("*.jpg"))
    assert len(cached) == 1
    from io import BytesIO

    from PIL import Image

    assert max(Image.open(BytesIO(r.content)).size) <= 256
    assert c.get(f"/thumb/{item_id}").content == r.content


# -- the queue: leases, versions, audit -------------------------------------------
def test_two_reviewers_never_get_the_same_item(client_for: Any, queued_ws: Any) -> None:
    import threading

    a, b = client_for("rey"), client_for("rob")
    got: dict[str, list[int]] = {}
    csrf = {"rey": csrf_of(a), "rob": csrf_of(b)}  # as the app's own script leases

    def take(name: str, c: Any) -> None:
        got[name] = [r["id"] for r in c.get("/api/queue?limit=20",
                                            headers={"X-CSRF-Token": csrf[name]}).json()]

    threads = [threading.Thread(target=take, args=(n, c)) for n, c in (("rey", a), ("rob", b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got["rey"]) == 20 and len(got["rob"]) == 20
    assert not set(got["rey"]) & set(got["rob"])
    # The queue page shows the same: rob's page lists none of rey's items.
    html = b.get("/queue").text
    for qid in got["rey"]:
        assert f'data-queue-id="{qid}"' not in html
    # rob cannot decide an item rey holds: 409, nothing written.
    row = review.queue_item(queued_ws, got["rey"][0])
    r = b.post("/api/decisions", json={"queue_id": row["id"], "action": "accept",
                                       "seen_version": row["version"]},
               headers=_token(queued_ws, "rob"))
    assert r.status_code == 409 and "rey" in r.json()["error"]
    assert _count(queued_ws, "decisions") == 0


def test_an_expired_lease_frees_the_item(queued_ws: Any) -> None:
    first = review.lease_queue(queued_ws, "rey", limit=5, lease_s=-1)  # expired at once
    second = review.lease_queue(queued_ws, "rob", limit=5)
    assert [r["id"] for r in first] == [r["id"] for r in second]


def test_a_stale_decision_is_refused_not_lost(client_for: Any, queued_ws: Any) -> None:
    c = client_for("rey")
    h = _token(queued_ws, "rey")
    row = c.get("/api/queue?limit=1", headers=h).json()[0]
    body = {"queue_id": row["id"], "action": "reject", "seen_version": row["version"]}
    first = c.post("/api/decisions", json=body, headers=h)
    assert first.status_code == 200 and first.json()["ok"]
    again = c.post("/api/decisions", json={**body, "action": "accept"}, headers=h)
    assert again.status_code == 409
    assert again.json()["current"]["version"] == row["version"] + 1
    decisions = c.get(f"/api/decisions?item_id={row['item_id']}", headers=h).json()
    assert [d["action"] for d in decisions] == ["reject"]
    assert decisions[0]["seen_version"] == row["version"]
    audit = queued_ws.store.t.audit_log
    assert _count(queued_ws, "audit_log", audit.c.action == "review.reject") == 1
    assert _count(queued_ws, "audit_log", audit.c.action == "review.accept") == 0


def test_corrections_become_training_labels(client_for: Any, queued_ws: Any) -> None:
    c = client_for("rey")
    h = _token(queued_ws, "rey")
    rows = c.get("/api/queue?limit=2&sort=uncertainty", headers=h).json()
    assert rows[0]["score"] <= rows[1]["score"]
    row, test_row = rows
    wrong = [lab for lab in queued_ws.card.labels if lab != row["label"]][0]
    # Put the second item in the frozen test split first.
    review.save_label(queued_ws, "ada", test_row["item_id"], [test_row["label"]], "test")
    r = c.post("/api/decisions", json={"queue_id": row["id"], "action": "correct",
                                       "label": wrong, "seen_version": row["version"]}, headers=h)
    assert r.status_code == 200 and r.json()["gold_label"] == "train"
    t = queued_ws.store.t
    with queued_ws.store.read() as conn:
        lab = conn.execute(sa.select(t.labels).where(t.labels.c.item_id == row["item_id"])).one()
        split = conn.execute(sa.select(t.splits.c.split)
                             .where(t.splits.c.item_id == row["item_id"])).scalar()
        meta = conn.execute(sa.select(t.machine_metadata)
                            .where(t.machine_metadata.c.item_id == row["item_id"])).one()
    assert (lab.label, lab.annotator, lab.source, lab.active) == (wrong, "rey", "review", True)
    assert split == "train"
    assert meta.value == wrong and meta.confirmed_by == "rey" and meta.model == "majority"
    other = [lab for lab in queued_ws.card.labels if lab != test_row["label"]][0]
    r = c.post("/api/decisions", json={"queue_id": test_row["id"], "action": "correct",
                                       "label": other, "seen_version": test_row["version"]},
               headers=h)
    assert r.status_code == 200 and "test" in r.json()["gold_label"]
    with queued_ws.store.read() as conn:
        kept = conn.execute(sa.select(t.labels.c.label).where(
            t.labels.c.item_id == test_row["item_id"], t.labels.c.active.is_(True))).scalars()
        assert list(kept) == [test_row["label"]]


def test_bulk_accept_reports_conflicts_and_saves_the_rest(client_for: Any,
                                                          queued_ws: Any) -> None:
    c = client_for("rey")
    rows = review.lease_queue(queued_ws, "rey", limit=4)
    stale = rows[0]
    review.decide(queued_ws, "rey", stale["id"], "reject", stale["version"])
    sel = [f"{r['id']}:{r['version']}" for r in rows]
    r = c.post("/queue/bulk", data={"sel": sel, "csrf": csrf_of(c)}, follow_redirects=False)
    assert r.status_code == 303 and "accepted-3" in r.headers["location"]
    assert "conflicts=1" in r.headers["location"]
    assert _count(queued_ws, "decisions") == 4
    t = queued_ws.store.t.decisions
    assert _count(queued_ws, "decisions", t.c.action == "accept") == 3


def test_queue_sorts_and_filters(queued_ws: Any) -> None:
    rows = review.lease_queue(queued_ws, "rey", sort="score", limit=10)
    scores = [r["score"] for r in rows]
    assert scores == sorted(scores, reverse=True)
    review.release_leases(queued_ws, "rey")
    only = review.lease_queue(queued_ws, "rey", label="graphic", sort="uncertainty", limit=10)
    assert only and {r["label"] for r in only} == {"graphic"}
    assert [r["score"] for r in only] == sorted(r["score"] for r in only)
    with pytest.raises(Exception, match="unknown sort"):
        review.lease_queue(queued_ws, "rey", sort="nonsense")


# -- escaping ---------------------------------------------------------------------
def test_ingested_text_is_escaped(make_ws: Any, tmp_path: Any) -> None:
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.web import create_app

    ws = make_ws("text", task="lang", modality="text", labels=["en", "fr"])
    csv = tmp_path / "t.csv"
    csv.write_text('id,text\nx1,"<script>alert(1)</script> <img src=x onerror=alert(2)>"\n')
    ws.ingest([str(csv)], id_column="id", text_column="text")
    add_user(ws, "rey", PASSWORD, "reviewer")
    with ws.store.write() as conn:
        from glamlab.store import now

        conn.execute(ws.store.t.review_queue.insert().values(
            item_id="x1", label="en", score=0.6, kind="prediction", status="open", version=1,
            created_at=now(), reason="<b>bold</b>"))
    with TestClient(create_app(ws)) as c:
        login(c, "rey")
        for page in ("/queue", "/items/x1", "/label"):
            html = c.get(page).text
            assert "<script>alert(1)" not in html and "<img src=x" not in html, page
            assert "&lt;script&gt;alert(1)" in html, page
        assert "<b>bold</b>" not in c.get("/queue").text


# -- labelling ----------------------------------------------------------------------
def test_labelling_save_skip_undo_and_frozen_test(queued_ws: Any) -> None:
    import random

    strategies = {s: sampling.next_to_label(queued_ws, strategy=s, rng=random.Random(1))
                  for s in sampling.STRATEGIES}
    assert all(item is not None for item in strategies.values())
    first = strategies["uncertainty"]
    t = queued_ws.store.t.predictions
    with queued_ws.store.read() as conn:
        lowest = conn.execute(sa.select(t.c.item_id).order_by(t.c.score, t.c.item_id)
                              .limit(1)).scalar()
    assert first.item_id == lowest
    review.save_label(queued_ws, "rey", first.item_id, ["graphic"], "test")
    assert sampling.next_to_label(queued_ws, strategy="uncertainty").item_id != first.item_id
    assert review.labelling_counts(queued_ws)["splits"] == {"test": 1}
    assert review.undo_label(queued_ws, "rey")["item_id"] == first.item_id
    assert review.labelling_counts(queued_ws) == {"labelled": 0, "by_label": {}, "splits": {}}
    assert review.undo_label(queued_ws, "rey") is None
    skip = [it.item_id for it in queued_ws.items()][:-1]
    last = sampling.next_to_label(queued_ws, exclude=skip)
    assert last.item_id not in skip
    with pytest.raises(Exception, match="not among"):
        review.save_label(queued_ws, "rey", first.item_id, ["cat"])
    with queued_ws.store.write() as conn:  # what an evaluation does to the test split
        queued_ws.store.audit(conn, "glamlab", "split.freeze", "fingerprint", reader="evaluate")
    with pytest.raises(Exception, match="frozen"):
        review.save_label(queued_ws, "rey", first.item_id, ["graphic"], "test")
    assert review.save_label(queued_ws, "rey", first.item_id, ["graphic"], "train")["split"] == \
        "train"


def test_label_page_by_form(client_for: Any, queued_ws: Any) -> None:
    c = client_for("rey")
    html = c.get("/label?strategy=stratified&split=test").text
    import re

    item_id = re.search(r'name="item_id" value="([^"]+)"', html).group(1)
    assert 'data-key="1"' in html and 'data-key="2"' in html
    r = c.post("/label", data={"item_id": item_id, "label": "no_graphic", "split": "test",
                               "strategy": "stratified", "csrf": csrf_of(c)},
               follow_redirects=False)
    assert r.status_code == 303
    assert review.labelling_counts(queued_ws)["by_label"] == {"no_graphic": 1}
    bad = c.post("/label", data={"item_id": "no-such-item", "label": "graphic",
                                 "csrf": csrf_of(c)})
    assert bad.status_code == 404 and "no-such-item" in bad.text


def test_label_page_offers_only_random_sampling_for_the_test_split(client_for: Any,
                                                                  queued_ws: Any) -> None:
    c = client_for("rey")
    html = c.get("/label?strategy=uncertainty&split=test").text
    assert 'value="uncertainty"' not in html  # not offered for test labels
    assert 'value="random" selected' in html
    # and said on the page, with why, rather than switched to random without a word
    assert ("Sampling “uncertainty” (the items the model is least sure about first) is "
            "for training labels only; choosing random unlabelled items for the test "
            "split. The test split must stay a random sample of the collection") in html, html
    assert 'value="uncertainty"' in c.get("/label?strategy=uncertainty&split=train").text
    import re

    item_id = re.search(r'name="item_id" value="([^"]+)"', html).group(1)
    r = c.post("/label", data={"item_id": item_id, "label": "graphic", "split": "test",
                               "strategy": "uncertainty", "csrf": csrf_of(c)},
               follow_redirects=False)
    assert r.status_code >= 400 and "random sample" in r.text
    assert review.labelling_counts(queued_ws)["labelled"] == 0


# -- API ------------------------------------------------------------------------------
def test_api_items_predictions_and_predict(client_for: Any, queued_ws: Any) -> None:
    c = client_for()
    h = _token(queued_ws, "val")
    items = c.get("/api/items?limit=5", headers=h).json()
    assert len(items) == 5 and items == sorted(items, key=lambda i: i["id"])
    more = c.get(f"/api/items?limit=5&after={items[-1]['id']}", headers=h).json()
    assert more[0]["id"] > items[-1]["id"]
    one = c.get(f"/api/items/{items[0]['id']}", headers=h).json()
    assert one["id"] == items[0]["id"]
    preds = c.get(f"/api/predictions?item_id={items[0]['id']}", headers=h).json()
    assert len(preds) == 1 and preds[0]["item_id"] == items[0]["id"]
    r = c.post("/api/predict", json={"item_id": items[0]["id"]}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["model"] == "majority@1" and abs(sum(body["scores"].values()) - 1) < 1e-6
    assert c.post("/api/predict", json={"item_id": "nope"}, headers=h).status_code == 404
    assert c.get("/api/items/nope", headers=h).status_code == 404
    assert c.get("/api/items", headers={"Authorization": "Bearer forged.x.y"}).status_code == 401


def test_pages_render(client_for: Any, queued_ws: Any) -> None:
    c = client_for("ada")
    item_id = next(queued_ws.items()).item_id
    for page in ("/", "/label", "/queue", "/queue?view=grid&sort=label", f"/items/{item_id}",
                 "/reports", "/admin", "/docs"):
        r = c.get(page)
        assert r.status_code == 200, (page, r.text[:500])
        assert "<label" in r.text or page in ("/", "/reports", "/docs") or \
            page.startswith("/items/")
        # Nothing loads from another site (no CDN): scripts, styles and links are local.
        import re

        assert not re.search(r'<(script|link)[^>]+(src|href)="(https?:)?//', r.text), page
    overview = c.get("/").text
    waiting = _count(queued_ws, "review_queue")
    assert "Next step" in overview and f'id="open-count">{waiting}<' in overview
    reports = c.get("/reports").text
    assert "not run yet" in reports  # no evaluation yet
    assert "POST /api/decisions" in c.get("/docs").text
    assert c.get("/redoc").status_code == 404


def test_cli_users(web_ws: Any) -> None:
    from click.testing import CliRunner

    from glamlab.cli import cli

    runner = CliRunner()
    base = ["-w", str(web_ws.root)]
    r = runner.invoke(cli, [*base, "users", "add", "kim", "--role", "viewer",
                            "--password-stdin"], input="a long password\n")
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, [*base, "users", "list", "--json"])
    import json

    assert {"username": "kim", "role": "viewer"}.items() <= next(
        u for u in json.loads(r.output) if u["username"] == "kim").items()
    r = runner.invoke(cli, [*base, "users", "add", "kim", "--password-stdin"], input="x\n")
    assert r.exit_code != 0
    r = runner.invoke(cli, [*base, "users", "token", "kim"])
    assert r.exit_code == 0 and r.output.startswith("api.")
    r = runner.invoke(cli, [*base, "users", "remove", "kim"])
    assert r.exit_code == 0
    r = runner.invoke(cli, [*base, "users", "remove", "kim"])
    assert r.exit_code != 0


def test_queue_counts_follow_decisions_and_new_rows(client_for: Any, queued_ws: Any) -> None:
    import re

    from glamlab.store import now

    c = client_for("rey")
    h = _token(queued_ws, "rey")

    def shown() -> tuple[int, int]:
        html = c.get("/queue").text
        return (int(re.search(r'id="open-count">(\d+)<', html).group(1)),
                int(re.search(r'id="decision-count">(\d+)<', html).group(1)))

    total = _count(queued_ws, "review_queue")
    assert shown() == (total, 0)
    row = c.get("/api/queue?limit=1", headers=h).json()[0]
    c.post("/api/decisions", json={"queue_id": row["id"], "action": "accept",
                                   "seen_version": row["version"]}, headers=h)
    assert shown() == (total - 1, 1)
    with queued_ws.store.write() as conn:  # e.g. glamlab act queued more
        conn.execute(queued_ws.store.t.review_queue.insert().values(
            item_id=row["item_id"], label="graphic", score=0.5, kind="recheck", status="open",
            version=1, created_at=now()))
    assert shown() == (total, 1)


def test_queue_counts_follow_labels_and_jobs_at_once(client_for: Any, queued_ws: Any
                                                    ) -> None:
    """The queue page's header right after a label that settles queued predictions and
    after "Apply the policy" (a job) that withdraws them, neither adding a queue row:
    the counts of the store, not those of up to 10 seconds earlier (before, only
    decisions adjusted them)."""
    import re

    from glamlab.inference.runner import run
    from glamlab.web.app import stop_background

    ws = queued_ws
    c = client_for("ada")

    def shown() -> int:
        return int(re.search(r'id="open-count">(\d+)<', c.get("/queue").text).group(1))

    total = review.queue_counts(ws)["open"]
    assert shown() == total > 1  # counted now, and kept for 10 seconds
    row = c.get("/api/queue?limit=1").json()[0]
    r = c.post("/label", data={"csrf": csrf_of(c), "item_id": row["item_id"],
                               "label": row["label"], "split": "train"},
               follow_redirects=False)
    assert r.status_code == 303
    assert shown() == review.queue_counts(ws)["open"] == total - 1  # settled by the label
    # new predictions, and a policy that accepts them all: applying it withdraws every
    # queued row (their predictions are not the latest) and queues none
    run(ws, "majority@1", workers=0, force=True, handle_signals=False)
    ws.update_card({"policy": {"labels": {lab: {"accept": 0.0} for lab in ws.card.labels}}})
    try:
        r = c.post("/stages/act", data={"csrf": csrf_of(c)}, follow_redirects=False)
        assert r.status_code == 303, r.text
        assert c.app.state.jobs.wait(300)
        assert review.queue_counts(ws)["open"] == 0
        assert shown() == 0
    finally:
        stop_background(c.app)


def test_queue_counts_follow_an_ingest_job_at_once(client_for: Any, queued_ws: Any) -> None:
    """The queue page's header right after an upload of gold labels, brought in by a
    job, settles queued predictions (no queue row added): the store's counts, not those
    of up to 10 seconds earlier."""
    import re

    from glamlab.web.app import stop_background

    ws = queued_ws
    c = client_for("ada")

    def shown() -> int:
        return int(re.search(r'id="open-count">(\d+)<', c.get("/queue").text).group(1))

    total = review.queue_counts(ws)["open"]
    assert shown() == total  # counted now, and kept for 10 seconds
    rows = c.get("/api/queue?limit=3").json()
    body = "id,label\n" + "".join(f"{r['item_id']},{r['label']}\n" for r in rows)
    try:
        r = c.post("/stages/items", data={"csrf": csrf_of(c)},
                   files={"file": ("gold.csv", body.encode())}, follow_redirects=False)
        assert r.status_code == 303, r.text
        q = dict(re.findall(r"(upload|file)=([^&]+)", r.headers["location"]))
        r = c.post("/stages/items/table", data={"csrf": csrf_of(c), **q, "id_column": "id",
                                                "label_column": "label"},
                   follow_redirects=False)
        assert r.status_code == 303 and "started=ingest" in r.headers["location"], r.text
        assert c.app.state.jobs.wait(300)
        assert review.queue_counts(ws)["open"] == total - 3
        assert shown() == total - 3
    finally:
        stop_background(c.app)


def test_iiif_items_use_their_image_service(client_for: Any, queued_ws: Any) -> None:
    from glamlab.store import now

    with queued_ws.store.write() as conn:
        conn.execute(queued_ws.store.t.items.insert().values(
            item_id="https://example.org/canvas/1", version=1, is_current=True,
            modality="image", source_kind="iiif", source="manifest.json",
            uri="https://iiif.example.org/iiif/abc/full/max/0/default.jpg", content_hash="c1",
            meta={"image_service": "https://iiif.example.org/iiif/abc", "image_api": 3},
            created_at=now()))
    html = client_for("val").get("/items/https://example.org/canvas/1").text
    assert 'src="https://iiif.example.org/iiif/abc/full/!1600,1600/0/default.jpg"' in html


def test_the_item_page_asks_a_level_1_service_for_a_size_it_promises(
        client_for: Any, queued_ws: Any) -> None:
    # !1600,1600 (sizeByConfinedWh) is promised by level 2 only: a level 1 service (the
    # Bodleian's) is asked for the longer side, a level 0 one for the whole image
    from glamlab.store import now

    for n, level in ((3, 1), (4, 0)):
        with queued_ws.store.write() as conn:
            conn.execute(queued_ws.store.t.items.insert().values(
                item_id=f"https://example.org/canvas/{n}", version=1, is_current=True,
                modality="image", source_kind="iiif", source="manifest.json",
                uri=f"https://iiif.example.org/iiif/p{n}", content_hash=f"c{n}",
                width=5776, height=9125,
                meta={"image_service": f"https://iiif.example.org/iiif/p{n}", "image_api": 2,
                      "image_level": level},
                created_at=now()))
    html = client_for("val").get("/items/https://example.org/canvas/3").text
    assert 'src="https://iiif.example.org/iiif/p3/full/,1600/0/default.jpg"' in html
    html = client_for("val").get("/items/https://example.org/canvas/4").text
    assert 'src="https://iiif.example.org/iiif/p4/full/full/0/default.jpg"' in html


def test_an_image_api_1_item_page_asks_for_native_jpg(client_for: Any, queued_ws: Any) -> None:
    # Image API 1.0/1.1 (Gallica, Yale) names the image native.jpg: default.jpg is 2 and 3's
    from glamlab.store import now

    with queued_ws.store.write() as conn:
        conn.execute(queued_ws.store.t.items.insert().values(
            item_id="https://example.org/canvas/2", version=1, is_current=True,
            modality="image", source_kind="iiif", source="manifest.json",
            uri="https://gallica.example.org/iiif/f2/full/full/0/native.jpg", content_hash="c2",
            meta={"image_service": "https://gallica.example.org/iiif/f2", "image_api": 1},
            created_at=now()))
    html = client_for("val").get("/items/https://example.org/canvas/2").text
    assert 'src="https://gallica.example.org/iiif/f2/full/!1600,1600/0/native.jpg"' in html


def test_a_lease_covers_only_the_rows_shown(queued_ws: Any) -> None:
    page = review.lease_queue(queued_ws, "rey", sort="score", limit=5)
    other = review.lease_queue(queued_ws, "rob", sort="score", limit=5)
    everything = [r["id"] for r in review.peek_queue(queued_ws, sort="score", limit=500)]
    # rey holds exactly the 5 shown; rob gets the 5 right after them
    assert [r["id"] for r in page] == everything[:5]
    assert [r["id"] for r in other] == everything[5:10]
    review.decide(queued_ws, "rey", page[0]["id"], "accept", page[0]["version"])
    again = review.lease_queue(queued_ws, "rey", sort="score", limit=5)
    assert [r["id"] for r in again[:4]] == [r["id"] for r in page[1:]]
    assert again[4]["id"] == everything[10]  # one more, past rob's
    # leasing anew (here a minute later, past half the lease) gives back what the old
    # view held and the new one does not show (the page itself releases it at once)
    from datetime import timedelta

    from glamlab.store import now

    label = page[1]["label"]
    narrowed = review.lease_queue(queued_ws, "rey", sort="score", label=label, limit=2,
                                  at=now() + timedelta(seconds=90))
    t = queued_ws.store.t.review_queue
    with queued_ws.store.read() as conn:
        held = {r.id for r in conn.execute(sa.select(t.c.id).where(t.c.lease_owner == "rey"))}
    assert held == {r["id"] for r in narrowed}


def test_leases_are_renewed_by_the_page_and_released_when_it_closes(client_for: Any,
                                                                     queued_ws: Any) -> None:
    from datetime import timedelta

    from glamlab.store import now

    rey, rob = client_for("rey"), client_for("rob")
    html = rey.get("/queue").text
    import re

    shown = [int(x) for x in re.findall(r'data-queue-id="(\d+)"', html)]
    assert len(shown) == 25 and 'data-heartbeat-s="30"' in html
    t = queued_ws.store.t.review_queue
    with queued_ws.store.read() as conn:
        until = dict(conn.execute(sa.select(t.c.id, t.c.lease_until)
                                  .where(t.c.lease_owner == "rey")).all())
    assert set(until) == set(shown)  # nothing beyond the page
    assert all(u < now() + timedelta(seconds=review.DEFAULT_LEASE_S + 5) for u in until.values())
    headers = {"X-CSRF-Token": csrf_of(rey)}
    r = rey.post("/api/leases/renew", json={"ids": shown}, headers=headers)
    assert r.status_code == 200 and r.json()["held"] == sorted(shown)
    # rob (leasing from his page's script: cookie and CSRF header) sees none of them
    # while rey's page is open
    rob_h = {"X-CSRF-Token": csrf_of(rob)}
    assert not set(shown) & {x["id"] for x in rob.get("/api/queue?limit=100",
                                                      headers=rob_h).json()}
    r = rey.post("/api/leases/release", json={"ids": shown}, headers=headers)
    assert r.status_code == 200 and r.json()["released"] == len(shown)
    got = {x["id"] for x in rob.get("/api/queue?limit=100", headers=rob_h).json()}
    assert set(shown) <= got  # free the moment rey's page closed
    # a viewer cannot hold items
    val = client_for("val")
    assert val.post("/api/leases/renew", json={"ids": shown},
                    headers={"X-CSRF-Token": csrf_of(val)}).status_code == 403


def _held_by(ws: Any, user: str) -> set[int]:
    """The review queue rows ``user`` holds (leased) now."""
    t = ws.store.t.review_queue
    with ws.store.read() as conn:
        return set(conn.execute(sa.select(t.c.id).where(t.c.lease_owner == user)).scalars())


def test_a_cross_site_get_of_the_api_queue_leases_nothing(client_for: Any,
                                                         queued_ws: Any) -> None:
    """GET /api/queue with the session cookie alone (what a link or image on another
    site sends) only reads: it neither leases rows nor gives back those rey's open page
    holds. With the page's X-CSRF-Token header, or a bearer token, it leases as before."""
    import re

    def held() -> set[int]:
        return _held_by(queued_ws, "rey")

    rey = client_for("rey")
    shown = {int(x) for x in re.findall(r'data-queue-id="(\d+)"', rey.get("/queue").text)}
    assert shown and held() == shown
    r = rey.get("/api/queue?limit=100")  # as another site's link would send it
    assert r.status_code == 200 and len(r.json()) > len(shown)
    assert all(row["lease_owner"] != "rey" or row["id"] in shown for row in r.json())
    assert held() == shown  # nothing leased, the page's leases kept
    r = rey.get("/api/queue?limit=100", headers={"X-CSRF-Token": "forged"})
    assert r.status_code == 200 and held() == shown
    # the app's own script (cookie and CSRF header) and a bearer token lease
    got = {x["id"] for x in rey.get("/api/queue?limit=100",
                                    headers={"X-CSRF-Token": csrf_of(rey)}).json()}
    assert len(got) == 100 and held() == got
    review.release_leases(queued_ws, "rey")
    got = {x["id"] for x in rey.get("/api/queue?limit=4",
                                    headers=_token(queued_ws, "rey")).json()}
    assert len(got) == 4 and held() == got


def test_a_queue_page_another_site_links_to_leases_nothing(client_for: Any,
                                                            queued_ws: Any) -> None:
    """The /queue page leased the rows it shows on any GET, so a link or image on
    another site (Sec-Fetch-Site: cross-site or same-site) could hold a reviewer's
    items and give back those their open page held; it now only shows them then."""
    import re

    def held() -> set[int]:
        return _held_by(queued_ws, "rey")

    rey = client_for("rey")
    shown = {int(x) for x in re.findall(r'data-queue-id="(\d+)"', rey.get("/queue").text)}
    assert shown and held() == shown
    for site in ("cross-site", "same-site"):
        page = rey.get("/queue?view=grid", headers={"Sec-Fetch-Site": site}).text  # 36 rows
        assert re.findall(r'data-queue-id="(\d+)"', page)  # shown all the same
        assert held() == shown, site
    # from the app's own pages, or typed in: leased as before
    for site in ("same-origin", "none"):
        review.release_leases(queued_ws, "rey")
        page = rey.get("/queue", headers={"Sec-Fetch-Site": site}).text
        assert held() == {int(x) for x in re.findall(r'data-queue-id="(\d+)"', page)} != set()


def test_the_api_shows_server_paths_to_admins_only(client_for: Any, queued_ws: Any) -> None:
    """GET /api/status and /api/items name the workspace's folder and the items' files on
    the server to an admin; a reviewer or viewer gets the file's name and no path."""
    from pathlib import Path

    root = str(queued_ws.root)
    ada = client_for("ada")
    assert ada.get("/api/status").json()["workspace"] == root
    got = ada.get("/api/items?limit=1").json()[0]
    assert got["source"].endswith("labels.csv") and got["source"] != "labels.csv"
    assert got["uri"] and Path(got["uri"]).is_absolute()
    folder = str(Path(got["source"]).parent)  # where the project's files lie
    for user in ("rey", "val"):
        c = client_for(user)
        status = c.get("/api/status")
        assert status.status_code == 200 and status.json()["stages"]
        assert "workspace" not in status.json() and root not in status.text
        items = c.get("/api/items?limit=5")
        one = c.get(f"/api/items/{items.json()[0]['item_id']}")
        for r in (items, one):
            assert r.status_code == 200 and folder not in r.text and root not in r.text
        got = items.json()[0]
        assert got["uri"] is None and got["source"] == "labels.csv", got


def test_reports_show_stored_alerts_and_rechecks(client_for: Any, queued_ws: Any) -> None:
    """Alerts that glamlab monitor stored, and label issues waiting for a re-check,
    are visible on the reports page."""
    from glamlab.store import now

    ws = queued_ws
    client = client_for("rey")
    t = ws.store.t
    with ws.store.write() as conn:
        conn.execute(t.alerts.insert().values(created_at=now(), signal="label_mix",
                                              window="m@1 run 7", value=0.42, threshold=0.1,
                                              details={}))
        conn.execute(t.review_queue.insert().values(
            item_id="x1", label="a", score=0.9, reason="gold label 'b' looks wrong",
            kind="recheck", status="open", version=1, created_at=now()))
    page = client.get("/reports").text
    assert "label_mix" in page and "m@1 run 7" in page
    assert "/queue?kind=recheck" in page


def test_nul_characters_are_refused_cleanly(client_for: Any) -> None:
    c = client_for("rey")
    headers = {"X-CSRF-Token": csrf_of(c)}
    r = c.post("/api/labels", json={"item_id": "\u0000", "labels": ["graphic"]}, headers=headers)
    assert r.status_code == 400 and "NUL" in r.json()["error"]
    assert c.get("/api/items/%00").status_code == 400
    assert c.get("/api/items?q=a%00b").status_code == 400
    assert c.get("/").status_code == 200


def test_api_items_name_the_id_item_id_and_keep_id(client_for: Any, queued_ws: Any) -> None:
    """GET /api/items answers ``item_id`` as /api/predictions does (``id`` kept a release)."""
    c = client_for()
    h = _token(queued_ws, "val")
    items = c.get("/api/items?limit=3", headers=h).json()
    assert items and all(i["item_id"] == i["id"] for i in items)
    one = c.get(f"/api/items/{items[0]['item_id']}", headers=h).json()
    assert one["item_id"] == one["id"] == items[0]["item_id"]


def test_the_item_page_names_the_uploaded_file_and_shows_metadata_as_a_table(
        make_ws: Any) -> None:
    """The item page showed "text from csv /tmp/.../uploads/.../shelf.csv" (a folder on
    the server) and the metadata as raw JSON: now the file's name only, and a table of
    field and value."""
    import re

    from .test_plain_words import _posted, _Signed, _upload

    ws = make_ws("uploaded", task="lang", modality="text", labels=["en", "fr"])
    with _Signed(ws) as s:
        r = _upload(s, "shelf.csv", b"id,text,shelf,year\nx1,hello there,A 12,1888\n")
        assert r.status_code == 303, r.text[:500]
        m = re.search(r'name="upload" value="([^"]+)"', s.client.get(r.headers["location"]).text)
        assert m
        r = _posted(s, "/stages/items/table", {"upload": m.group(1), "file": "shelf.csv",
                                               "id_column": "id", "text_column": "text"})
        assert r.status_code == 303, r.text[:500]
        assert s.app.state.jobs.wait(300)
        source = ws.item("x1").source
        assert "uploads" in source and source.endswith("shelf.csv"), source
        page = s.client.get("/items/x1").text
        folder = source.rsplit("/", 1)[0]
        assert folder not in page and "uploads" not in page, page
        said = re.search(r'<p id="item-source">(.*?)</p>', page, re.S)
        assert said and "the spreadsheet shelf.csv" in said.group(1), page
        table = page.split('<table id="item-meta">', 1)[1].split("</table>", 1)[0]
        assert re.search(r'<th scope="row">shelf</th><td>A 12</td>', table), table
        assert "<pre>" not in page and "&#34;shelf&#34;" not in page
