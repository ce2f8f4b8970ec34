"""The single writer of a run, and the lease that makes it the only one.

A run row is also a lease: ``owner`` (host:pid) and ``heartbeat_at``. Starting or
resuming a run of a model version takes the lease inside one write transaction that
first locks the model's row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite write
transactions are already exclusive), so two runs started at once cannot both win.
A lease is stale when its heartbeat is older than ``lease_timeout`` or when its owner
is a dead process on this host; a stale lease is taken over.

Every batch is committed in one transaction together with the run's progress
(done, failed, heartbeat), and only while the lease is still ours: a kill -9 loses at
most the batches in flight, never half a batch.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import RunError, RunInProgress
from ..store import QUEUE_SUPERSEDED, now

if TYPE_CHECKING:
    from ..store import Store
    from .worker import Failure, Row

LEASE_TIMEOUT_S = 60.0
UNFINISHED = ("running", "stopped")
_SQLITE_DT = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores DateTime on SQLite
#: (database, run id) of the runs this process gave up without writing their end (the
#: database could not be reached): not live, though their row names a live process (the
#: web app, a notebook), so the next run here takes them over once the server is back
_ABANDONED: set[tuple[str, int]] = set()


def this_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_alive(owner: str | None) -> bool | None:
    """True/False for an owner on this host; None when it is on another host."""
    if not owner or ":" not in owner:
        return False
    host, _, pid_text = owner.rpartition(":")
    if host != socket.gethostname():
        return None
    try:
        pid = int(pid_text)
        os.kill(pid, 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    try:  # a zombie is dead too
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def lease_is_live(row: Any, lease_timeout: float) -> bool:
    """A run on this host is live while its process is (a long batch does not make it
    stale), up to a day without a heartbeat in case the pid was reused; a run on another
    host is live while its heartbeat is younger than ``lease_timeout``."""
    alive = owner_alive(row.owner)
    if alive is False or row.heartbeat_at is None:
        return False
    age = now() - row.heartbeat_at
    if alive:
        return age < timedelta(days=1)
    return age < timedelta(seconds=lease_timeout)


def holds_lease(store: Store, row: Any, lease_timeout: float = LEASE_TIMEOUT_S) -> bool:
    """Whether the run ``row`` is really running: 'running' in the database, its lease
    live, and not given up by this process (see :meth:`RunWriter.abandon`)."""
    if row.status != "running":
        return False
    if row.owner == this_owner() and (store.url, int(row.id)) in _ABANDONED:
        return False
    return lease_is_live(row, lease_timeout)


class RunWriter:
    """Owns one run row; commits batches atomically with the run's progress."""

    def __init__(self, store: Store, run_id: int, model_id: int, owner: str):
        self.store = store
        self.run_id = run_id
        self.model_id = model_id
        self.owner = owner
        self.force = False
        t = store.t
        self._progress = (
            t.runs.update()
            .where(t.runs.c.id == run_id, t.runs.c.owner == owner)
            .values(done=t.runs.c.done + sa.bindparam("n_done"),
                    failed=t.runs.c.failed + sa.bindparam("n_failed"),
                    heartbeat_at=sa.bindparam("hb"))
        )
        # SQLite fast path: the rows from the workers go to the driver's executemany as
        # they are (labels and scores already JSON); the run, the model and the batch's
        # time are the same for every row, so they are written into the statement
        # (integers, and a time this module formats) instead of into each row's tuple.
        cols = ("run_id, model_id, item_id, label, labels, scores, score, item_version, "
                "created_at")
        values = f"{int(run_id)}, {int(model_id)}, ?, ?, ?, ?, ?, ?, '{{stamp}}'"
        self._sqlite_insert = f"INSERT INTO predictions ({cols}) VALUES ({values})"  # noqa: S608
        # PostgreSQL: labels and scores go as the JSON text the workers wrote, cast by the
        # server, rather than parsed here only to be serialised again by the driver
        p = t.predictions
        self._insert = p.insert().values(
            labels=sa.cast(sa.bindparam("labels_json", type_=sa.Text()), p.c.labels.type),
            scores=sa.cast(sa.bindparam("scores_json", type_=sa.Text()), p.c.scores.type))

    # -- taking the lease --------------------------------------------------------
    @classmethod
    def acquire(cls, store: Store, *, model_id: int, spec: str, engine: str, workers: int,
                query: dict[str, Any], resume: bool, lease_timeout: float = LEASE_TIMEOUT_S,
                ) -> tuple[RunWriter, bool]:
        """Start a new run, or take over the latest unfinished one with ``resume``.
        Returns the writer and whether an existing run was resumed. Raises
        :class:`RunInProgress` when a live run of the same model holds the lease."""
        t = store.t
        owner = this_owner()
        with store.write() as conn:
            conn.execute(sa.select(t.models.c.id).where(t.models.c.id == model_id)
                         .with_for_update())
            rows = conn.execute(
                sa.select(t.runs).where(t.runs.c.model_id == model_id,
                                        t.runs.c.status.in_(UNFINISHED))
                .order_by(t.runs.c.id.desc())
            ).fetchall()
            for r in rows:
                if holds_lease(store, r, lease_timeout):
                    age = (now() - r.heartbeat_at).total_seconds() if r.heartbeat_at else 0.0
                    raise RunInProgress(
                        f"run {r.id} of model {spec} is already running (owner {r.owner}, "
                        f"last heartbeat {age:.0f} s ago); this run was not started",
                        hint="wait for it to finish (glamlab runs shows it), or stop it with "
                             "Ctrl-C; a killed run is taken over automatically once its "
                             f"heartbeat is {lease_timeout:.0f} s old")
            resumed = None
            if resume and rows:
                resumed = rows[0]
            # killed or stopped runs that are not resumed stay resumable as 'stopped'
            for r in rows:
                if resumed is not None and r.id == resumed.id:
                    continue
                if r.status == "running":
                    conn.execute(t.runs.update().where(t.runs.c.id == r.id)
                                 .values(status="stopped", owner=None))
            stamp = now()
            if resumed is not None:
                # the time the run stood still (from its last heartbeat to now) is kept
                # with the run, so that its items/s counts working time only
                plan = dict(resumed.query or {})
                last = resumed.heartbeat_at or resumed.finished_at
                if last is not None:
                    paused = max((stamp - last).total_seconds(), 0.0)
                    plan["paused_s"] = round(float(plan.get("paused_s") or 0.0) + paused, 3)
                conn.execute(t.runs.update().where(t.runs.c.id == resumed.id).values(
                    status="running", owner=owner, heartbeat_at=stamp, finished_at=None,
                    engine=engine, workers=workers, query=plan))
                run_id = int(resumed.id)
                store.audit(conn, "glamlab", "run.resume", str(run_id), model=spec,
                            previous_owner=resumed.owner)
            else:
                key = conn.execute(t.runs.insert().values(
                    model_id=model_id, status="running", engine=engine, workers=workers,
                    query=query, planned=0, done=0, failed=0, owner=owner, heartbeat_at=stamp,
                    started_at=stamp)).inserted_primary_key
                assert key is not None
                run_id = int(key[0])
                store.audit(conn, "glamlab", "run.start", str(run_id), model=spec, **query)
        _ABANDONED.discard((store.url, run_id))
        return cls(store, run_id, model_id, owner), resumed is not None

    def abandon(self) -> None:
        """Give the run up without writing its end (the database cannot be reached): the
        next run in this process may take it over (elsewhere its owner is gone anyway)."""
        _ABANDONED.add((self.store.url, self.run_id))

    # -- writing -------------------------------------------------------------------
    def set_planned(self, planned: int) -> None:
        t = self.store.t
        with self.store.write() as conn:
            conn.execute(t.runs.update().where(t.runs.c.id == self.run_id)
                         .values(planned=planned))

    def commit(self, rows: list[Row], failures: list[Failure], *,
               versions: list[int | None] | None = None,
               replace: list[str] | None = None) -> int:
        """Store one batch of predictions and failures, with the run's progress, in one
        transaction, only while this writer still holds the lease. ``versions``: the
        item version each row was predicted from (in the order of ``rows``);
        ``replace``: items whose earlier prediction by this model version the rows
        replace (their content changed since; with ``force``, every row replaces); the
        open review questions about those earlier predictions are withdrawn
        (``superseded``: they ask about text or an image the item no longer has).
        Returns how many questions were withdrawn."""
        t = self.store.t
        stamp = now()
        withdrawn = 0
        with self.store.write() as conn:
            if replace and not self.force:
                withdrawn = self._withdraw_questions(conn, list(replace))
            ids = [r[0] for r in rows] if self.force else list(replace or ())
            for i in range(0, len(ids), 900):
                conn.execute(t.predictions.delete().where(
                    t.predictions.c.model_id == self.model_id,
                    t.predictions.c.item_id.in_(ids[i:i + 900])))
            if rows:
                vs = versions if versions is not None else [None] * len(rows)
                if self.store.is_sqlite:
                    conn.exec_driver_sql(
                        self._sqlite_insert.format(stamp=stamp.strftime(_SQLITE_DT)),
                        [(*r, v) for r, v in zip(rows, vs, strict=True)])
                else:
                    conn.execute(self._insert, [
                        {"run_id": self.run_id, "model_id": self.model_id, "item_id": item_id,
                         "label": label, "labels_json": labels, "scores_json": scores,
                         "score": score, "item_version": v, "created_at": stamp}
                        for (item_id, label, labels, scores, score), v
                        in zip(rows, vs, strict=True)])
            if failures:
                conn.execute(t.run_failures.insert(), [
                    {"run_id": self.run_id, "model_id": self.model_id, "item_id": item_id,
                     "reason": reason, "created_at": stamp} for item_id, reason in failures])
            res = conn.execute(self._progress, {"n_done": len(rows), "n_failed": len(failures),
                                                "hb": stamp})
            if res.rowcount != 1:
                raise RunError(
                    f"run {self.run_id} was taken over by another process; this one stops "
                    "(its last batch was not written)",
                    hint="glamlab runs shows who holds the run now")
        return withdrawn

    def _withdraw_questions(self, conn: sa.Connection, item_ids: list[str]) -> int:
        """Withdraw the open review rows about this model version's predictions of
        ``item_ids`` (status superseded, version + 1, so a decision on one is refused
        with the reason, as when act applies a new model). Decisions stay as they are."""
        t = self.store.t
        p, rq = t.predictions, t.review_queue
        n = 0
        for i in range(0, len(item_ids), 900):
            old = sa.select(p.c.id).where(p.c.model_id == self.model_id,
                                          p.c.item_id.in_(item_ids[i:i + 900]))
            res = conn.execute(rq.update().where(
                rq.c.prediction_id.in_(old), rq.c.kind == "prediction", rq.c.status == "open")
                .values(status=QUEUE_SUPERSEDED, version=rq.c.version + 1, lease_owner=None,
                        lease_until=None))
            n += max(res.rowcount or 0, 0)
        return n

    def heartbeat(self) -> None:
        self.commit([], [])

    def finish(self, status: str) -> None:
        t = self.store.t
        with self.store.write() as conn:
            conn.execute(t.runs.update().where(t.runs.c.id == self.run_id,
                                               t.runs.c.owner == self.owner)
                         .values(status=status, finished_at=now(), heartbeat_at=now(),
                                 owner=None))
            self.store.audit(conn, "glamlab", f"run.{status}", str(self.run_id))
