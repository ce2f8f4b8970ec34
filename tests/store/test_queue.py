"""Review-queue leases and decisions: correct alone, and with many reviewers at once.

Runs on SQLite by default and on PostgreSQL when GLAMLAB_TEST_PG is set (make test-pg)."""

from __future__ import annotations

import random
import threading
from collections import Counter, defaultdict
from datetime import timedelta

import pytest
import sqlalchemy as sa

from glamlab.errors import StoreError
from glamlab.store import now
from glamlab.store import schema as s
from glamlab.store.queue import QueueRowNotFound, StaleDecision, decide, lease, release

LABELS = ["fr", "de", "nl", "en"]


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


def test_lease_hands_rows_to_one_reviewer_only(make_ws):
    store = make_ws().store
    fill_queue(store, 10)
    a = lease(store, "ana", n=4, ttl=600)
    b = lease(store, "ben", n=10, ttl=600)
    assert len(a) == 4 and len(b) == 6
    assert not {r["id"] for r in a} & {r["id"] for r in b}
    assert all(r["lease_owner"] == "ana" and r["version"] == 1 for r in a)
    # lowest score first
    assert [r["score"] for r in a] == sorted(r["score"] for r in a)
    assert max(r["score"] for r in a) <= min(r["score"] for r in b)
    # asking again renews what ana holds, hands nothing of ben's
    again = lease(store, "ana", n=10, ttl=600)
    assert {r["id"] for r in again} == {r["id"] for r in a}
    assert lease(store, "cleo", n=5) == []


def test_expired_and_released_leases_go_back_to_the_queue(make_ws):
    store = make_ws().store
    fill_queue(store, 3)
    t0 = now()
    a = lease(store, "ana", n=3, ttl=60, at=t0)
    assert lease(store, "ben", n=3, at=t0 + timedelta(seconds=30)) == []
    later = lease(store, "ben", n=3, at=t0 + timedelta(seconds=61))
    assert {r["id"] for r in later} == {r["id"] for r in a}
    assert release(store, "ben", [later[0]["id"]]) == 1
    assert [r["id"] for r in lease(store, "cleo", n=3, at=t0 + timedelta(seconds=62))] == [
        later[0]["id"]]


def test_leases_are_narrowed_by_a_filter(make_ws):
    store = make_ws().store
    fill_queue(store, 20)
    rows = lease(store, "ana", n=20, where=s.review_queue.c.label == "de")
    assert len(rows) == 5 and {r["label"] for r in rows} == {"de"}


def test_decide_writes_decision_queue_and_audit_together(make_ws):
    store = make_ws().store
    fill_queue(store, 3)
    rows = lease(store, "ana", n=3)
    d = decide(store, rows[0]["id"], "ana", "accept", seen_version=rows[0]["version"])
    assert d["label"] == rows[0]["label"]
    c = decide(store, rows[1]["id"], "ana", "correct", "en", seen_version=1)
    assert c["label"] == "en"
    r = decide(store, rows[2]["id"], "ana", "reject", seen_version=1)
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


def test_stale_decisions_are_refused_and_nothing_is_written(make_ws):
    store = make_ws().store
    fill_queue(store, 2)
    rows = lease(store, "ana", n=1)
    qid = rows[0]["id"]
    with pytest.raises(StaleDecision, match="being reviewed by ana"):
        decide(store, qid, "ben", "reject", seen_version=1)
    with pytest.raises(StaleDecision, match="changed since you loaded it"):
        decide(store, qid, "ana", "accept", seen_version=0)
    decide(store, qid, "ana", "accept", seen_version=1)
    with pytest.raises(StaleDecision, match="already decided") as exc:
        decide(store, qid, "ana", "reject", seen_version=1)
    assert exc.value.item == rows[0]["item_id"] and exc.value.hint
    with pytest.raises(QueueRowNotFound):
        decide(store, 10**6, "ana", "accept", seen_version=1)
    with pytest.raises(StoreError, match="needs the right label"):
        decide(store, qid, "ana", "correct", seen_version=2)
    with pytest.raises(StoreError, match="unknown review action"):
        decide(store, qid, "ana", "maybe", seen_version=2)
    assert count(store, s.decisions) == 1
    assert count(store, s.audit_log, s.audit_log.c.action == "review.accept") == 1


def test_racing_decisions_on_one_row_exactly_one_wins(make_ws):
    store = make_ws().store
    fill_queue(store, 1)
    barrier = threading.Barrier(8)
    outcome: list[str] = []

    def reviewer(k: int) -> None:
        barrier.wait()
        try:
            decide(store, 1, f"r{k}", "correct", LABELS[k % 4], seen_version=1)
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
def test_eight_reviewers_a_thousand_decisions_each(make_ws):
    """8 reviewers on overlapping queues (each sees two of four labels, every label is in
    four queues) make 1,000 decisions each. Some decisions are made on a stale view of a
    row the reviewer did not lease: those must be refused, never lost or doubled."""
    reviewers, per_reviewer = 8, 1000
    store = make_ws().store
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
        mine = q.c.label.in_([LABELS[k % 4], LABELS[(k + 1) % 4]])
        try:
            while made[user] < per_reviewer:
                batch = lease(store, user, n=min(20, per_reviewer - made[user]), ttl=3600,
                              where=mine)
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
                            decide(store, other.id, user, "reject", seen_version=other.version)
                            made[user] += 1
                            if made[user] >= per_reviewer:
                                break
                        except StaleDecision:
                            refused[user] += 1
                    action = rng.choice(["accept", "reject", "correct"])
                    try:
                        decide(store, r["id"], user, action,
                               "en" if action == "correct" else None, seen_version=r["version"])
                        made[user] += 1
                    except StaleDecision:  # only possible if a stale decision took it
                        refused[user] += 1
                    if made[user] >= per_reviewer:
                        break
            release(store, user)
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
