"""The review queue's one lease (glamlab.review.lease_queue, what the web app and the API
use) and decisions: correct alone, and with many reviewers at once.

Runs on SQLite by default and on PostgreSQL when GLAMLAB_TEST_PG is set (make test-pg)."""

from __future__ import annotations

import random
import threading
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
import sqlalchemy as sa

from glamlab.errors import GlamlabError
from glamlab.review import NotFound, StaleDecision, decide, lease_queue, release_leases
from glamlab.store import now
from glamlab.store import schema as s

LABELS = ["fr", "de", "nl", "en"]


@pytest.fixture
def ws(make_ws):
    return make_ws(modality="text", labels=LABELS)


def lease(ws, user, n=20, ttl=600.0, *, label=None, at=None, sort="uncertainty"):
    """The production lease, lowest score first (the queue's "least sure first")."""
    return lease_queue(ws, user, sort=sort, label=label, limit=n, lease_s=ttl, at=at)


def fill_queue(store, n: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    t = now()
    rows = [dict(item_id=f"item{i:06d}", label=LABELS[i % len(LABELS)], score=rng.random(),
                 kind="prediction", status="open", version=1, created_at=t)
            for i in range(n)]
    with store.write() as conn:
        for i in range(0, n, 1000):
            conn.execute(s.review_queue.insert(), rows[i:i + 1000])


def count(store, table, *where) -> int:
    with store.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table).where(*where))
                   .scalar_one())


def held(ws, user) -> set[int]:
    with ws.store.read() as conn:
        return {r[0] for r in conn.execute(sa.select(s.review_queue.c.id).where(
            s.review_queue.c.lease_owner == user))}


def test_lease_hands_rows_to_one_reviewer_only(ws):
    fill_queue(ws.store, 10)
    a = lease(ws, "ana", n=4)
    # exactly the page shown is held, nothing more
    assert len(a) == 4 and held(ws, "ana") == {r["id"] for r in a}
    b = lease(ws, "ben", n=10)
    assert len(b) == 6 and not {r["id"] for r in b} & held(ws, "ana")
    assert all(r["lease_owner"] == "ana" and r["version"] == 1 for r in a)
    # lowest score first
    assert [r["score"] for r in a] == sorted(r["score"] for r in a)
    assert max(r["score"] for r in a) <= min(r["score"] for r in b)
    # asking again gives ana what she holds, and hands nothing of ben's
    again = lease(ws, "ana", n=10)
    assert {r["id"] for r in again} == held(ws, "ana") == {r["id"] for r in a}
    assert lease(ws, "cleo", n=5) == []


def test_expired_and_released_leases_go_back_to_the_queue(ws):
    fill_queue(ws.store, 3)
    t0 = now()
    a = lease(ws, "ana", n=3, ttl=60, at=t0)
    assert lease(ws, "ben", n=3, at=t0 + timedelta(seconds=30)) == []
    later = lease(ws, "ben", n=3, at=t0 + timedelta(seconds=61))
    assert {r["id"] for r in later} == {r["id"] for r in a}
    assert release_leases(ws, "ben", [later[0]["id"]]) == 1
    assert [r["id"] for r in lease(ws, "cleo", n=3, at=t0 + timedelta(seconds=62))] == [
        later[0]["id"]]


def test_leases_are_narrowed_by_a_filter(ws):
    fill_queue(ws.store, 20)
    rows = lease(ws, "ana", n=20, label="de")
    assert len(rows) == 5 and {r["label"] for r in rows} == {"de"}
    both = lease(ws, "ben", n=20, label=["nl", "en"])
    assert len(both) == 10 and {r["label"] for r in both} == {"nl", "en"}


def test_decide_writes_decision_queue_and_audit_together(ws):
    store = ws.store
    fill_queue(store, 3)
    rows = lease(ws, "ana", n=3)
    d = decide(ws, "ana", rows[0]["id"], "accept", rows[0]["version"])
    assert d["label"] == rows[0]["label"]
    c = decide(ws, "ana", rows[1]["id"], "correct", 1, label="en")
    assert c["label"] == "en"
    r = decide(ws, "ana", rows[2]["id"], "reject", 1)
    assert r["label"] is None
    with store.read() as conn:
        q = {x.id: x for x in conn.execute(sa.select(s.review_queue))}
        decisions = conn.execute(sa.select(s.decisions).order_by(s.decisions.c.id)).fetchall()
        audit = conn.execute(sa.select(s.audit_log).where(
            s.audit_log.c.action.like("review.%"), s.audit_log.c.action != "review.lease")
            .order_by(s.audit_log.c.id)).fetchall()
    assert all(x.status == "decided" and x.version == 2 and x.lease_owner is None
               for x in q.values())
    assert [(x.queue_id, x.user, x.action, x.label) for x in decisions] == [
        (rows[0]["id"], "ana", "accept", rows[0]["label"]),
        (rows[1]["id"], "ana", "correct", "en"),
        (rows[2]["id"], "ana", "reject", None)]
    assert [a.details["decision_id"] for a in audit] == [x.id for x in decisions]
    assert [a.action for a in audit] == ["review.accept", "review.correct", "review.reject"]


def test_stale_decisions_are_refused_and_nothing_is_written(ws):
    store = ws.store
    fill_queue(store, 2)
    rows = lease(ws, "ana", n=1)
    qid = rows[0]["id"]
    with pytest.raises(StaleDecision, match="being reviewed by ana"):
        decide(ws, "ben", qid, "reject", 1)
    with pytest.raises(StaleDecision, match="changed since you loaded it"):
        decide(ws, "ana", qid, "accept", 0)
    decide(ws, "ana", qid, "accept", 1)
    with pytest.raises(StaleDecision, match="already decided") as exc:
        decide(ws, "ana", qid, "reject", 1)
    assert exc.value.item == rows[0]["item_id"] and exc.value.hint
    assert exc.value.current == {"queue_id": qid, "version": 2, "status": "decided",
                                 "lease_owner": None}
    with pytest.raises(NotFound):
        decide(ws, "ana", 10**6, "accept", 1)
    with pytest.raises(GlamlabError, match="needs the right label"):
        decide(ws, "ana", qid, "correct", 2)
    with pytest.raises(GlamlabError, match="unknown review action"):
        decide(ws, "ana", qid, "maybe", 2)
    assert count(store, s.decisions) == 1
    assert count(store, s.audit_log, s.audit_log.c.action == "review.accept") == 1


def test_racing_decisions_on_one_row_exactly_one_wins(ws):
    store = ws.store
    fill_queue(store, 1)
    barrier = threading.Barrier(8)
    outcome: list[str] = []

    def reviewer(k: int) -> None:
        barrier.wait()
        try:
            decide(ws, f"r{k}", 1, "correct", 1, label=LABELS[k % 4])
            outcome.append("won")
        except StaleDecision:
            outcome.append("stale")

    threads = [threading.Thread(target=reviewer, args=(k,)) for k in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert Counter(outcome) == {"won": 1, "stale": 7}
    assert count(store, s.decisions) == 1
    with store.read() as conn:
        assert conn.execute(sa.select(s.review_queue.c.version)).scalar_one() == 2


@pytest.mark.slow
def test_eight_reviewers_a_thousand_decisions_each(ws):
    """8 reviewers on overlapping queues (each sees two of four labels, every label is in
    four queues) make 1,000 decisions each. Some decisions are made on a stale view of a
    row the reviewer did not lease: those must be refused, never lost or doubled."""
    reviewers, per_reviewer = 8, 1000
    store = ws.store
    fill_queue(store, 10_000)
    q = s.review_queue
    leased: dict[int, set[str]] = defaultdict(set)
    grants_lock = threading.Lock()
    made: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    errors: list[BaseException] = []

    def work(k: int) -> None:
        user = f"reviewer{k}"
        rng = random.Random(k)
        mine = [LABELS[k % 4], LABELS[(k + 1) % 4]]
        try:
            while made[user] < per_reviewer:
                batch = lease(ws, user, n=min(20, per_reviewer - made[user]), ttl=3600,
                              label=mine)
                assert batch, f"{user} ran out of work after {made[user]} decisions"
                with grants_lock:
                    for r in batch:
                        leased[r["id"]].add(user)
                for r in batch:
                    if rng.random() < 0.1:  # a decision from a stale page, on any row
                        with store.read() as conn:
                            other = conn.execute(
                                sa.select(q.c.id, q.c.version).where(q.c.id == rng.randint(1, 10_000))
                            ).one()
                        try:
                            decide(ws, user, other.id, "reject", other.version)
                            made[user] += 1
                            if made[user] >= per_reviewer:
                                break
                        except StaleDecision:
                            refused[user] += 1
                    action = rng.choice(["accept", "reject", "correct"])
                    try:
                        decide(ws, user, r["id"], action, r["version"],
                               label="en" if action == "correct" else None)
                        made[user] += 1
                    except StaleDecision:  # only possible if a stale decision took it
                        refused[user] += 1
                    if made[user] >= per_reviewer:
                        break
            release_leases(ws, user)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(reviewers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    assert all(made[f"reviewer{k}"] == per_reviewer for k in range(reviewers)), made
    total = reviewers * per_reviewer

    with store.read() as conn:
        decisions = conn.execute(sa.select(s.decisions)).fetchall()
        rows = {r.id: r for r in conn.execute(sa.select(q))}
        audit = conn.execute(sa.select(s.audit_log.c.actor, s.audit_log.c.details).where(
            s.audit_log.c.action.in_(["review.accept", "review.reject", "review.correct"])
        )).fetchall()
    # no lost update: every success is stored, once, and no row is decided twice
    assert len(decisions) == total
    by_row = Counter(d.queue_id for d in decisions)
    assert max(by_row.values()) == 1
    decided = {i for i, r in rows.items() if r.status == "decided"}
    assert decided == set(by_row)
    assert all(rows[i].version == 2 for i in decided)
    assert all(r.version == 1 and r.lease_owner is None for i, r in rows.items()
               if i not in decided)
    assert Counter(d.user for d in decisions) == {f"reviewer{k}": per_reviewer
                                                  for k in range(reviewers)}
    # no double lease (leases last an hour, so a row can only ever have had one holder),
    # and a leased row is decided by its holder or by nobody
    assert all(len(holders) == 1 for holders in leased.values())
    for d in decisions:
        if d.queue_id in leased:
            assert leased[d.queue_id] == {d.user}
    # a complete audit log: one entry per decision, naming it and its reviewer
    assert len(audit) == total
    assert {(a.details["decision_id"], a.actor) for a in audit} == {
        (d.id, d.user) for d in decisions}
    assert sum(refused.values()) > 0  # the stale path really ran
