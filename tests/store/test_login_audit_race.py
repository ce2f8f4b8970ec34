"""Failed sign-ins counted in one audit row (record_login) from several requests at once:
on PostgreSQL, transactions run side by side, so a read-modify-write of the row lost
counts and split one user name and address into several rows."""

from __future__ import annotations

import threading
from typing import Any

import sqlalchemy as sa


def test_failed_logins_at_once_are_all_counted_in_one_row(make_ws: Any) -> None:
    from glamlab.auth import record_login

    ws = make_ws()
    threads, per_thread = 8, 15
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def attempt() -> None:
        try:
            start.wait()
            for _ in range(per_thread):
                record_login(ws, "rey", "login.failed", "10.0.0.1")
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    pool = [threading.Thread(target=attempt) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not errors, errors
    log = ws.store.t.audit_log
    with ws.store.read() as conn:
        rows = conn.execute(sa.select(log).where(log.c.action == "login.failed")).all()
    assert [(r.actor, r.object) for r in rows] == [("rey", "10.0.0.1")]
    assert rows[0].details["attempts"] == threads * per_thread
