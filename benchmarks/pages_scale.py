"""The web app's newer pages at collection scale, on PostgreSQL or SQLite: the SQL
statements each page sends and its time, per request.

    scripts/pg-test-server .venv/bin/python benchmarks/pages_scale.py --items 100000
    .venv/bin/python benchmarks/pages_scale.py --sqlite --items 100000

Builds two workspaces in a temporary folder with bulk SQL (generate_series on PostgreSQL,
a recursive CTE on SQLite), as ``benchmarks/pg_act_export.py`` does: a single-label text
project (labels blank/content) and a multi-label one (five terms), each with ``--items``
items (metadata ``box`` and ``year``), one done run's predictions of every item, a review
queue of about a quarter of them (the multi-label project: one row a suggested term, two
terms an item) and ``--labelled`` items with a gold label in the test split (the
monitor's and the trends' reference). Then, in this process, through the app itself
(FastAPI's TestClient, signed in as a reviewer; the background refresher's sections
worked out before timing), each page ``--repeats`` times:

* ``queue``: the review queue (``/queue``, leasing 25 rows);
* ``item``: one item's page (``/items/ID``);
* ``export``: the Export page (``/stages/export``);
* ``monitoring``: the Monitoring page (``/stages/monitoring``);
* ``trends``: the Trends page (``/stages/trends``) and one trend (POST, by ``box``);
* ``unpredicted``: the count of items the model has no prediction for, alone (part of the
  Export page; not a request).

Each page reports ``background`` (how many of its timed requests found the app's
background refresher at work, plus the sections they asked it for: 0, or its time is
not the page's own), ``statements`` (the SQL statements the request sent to the store,
not those of the app's background threads: the median over the repeats) and ``ms`` (the median wall time). Counting
statements is what tells an N+1 (one query per row shown) from a slow query; the
time is what a person waits. Prints one JSON document.

Before and after a change, side by side: ``--src`` measures another copy of glamlab's
``src`` folder (the workspaces are built by it too), e.g. main's::

    git archive main src | tar -x -C /tmp/main
    .venv/bin/python benchmarks/pages_scale.py --sqlite --src /tmp/main/src > before.json
    .venv/bin/python benchmarks/pages_scale.py --sqlite > after.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

PASSWORD = "benchmark password"
TERMS = ["maps", "portraits", "ships", "churches", "animals"]

PG_ITEMS = """
INSERT INTO items (item_id, version, is_current, modality, source_kind, source,
                   content_hash, text, meta, created_at)
SELECT 'p' || lpad(i::text, 8, '0'), 1, true, 'text', 'csv', 'bench.csv',
       lpad(i::text, 64, '0'), 'OCR text of page ' || i,
       jsonb_build_object('box', (i % 50)::text, 'year', (1800 + i % 150)::text), '2026-01-01'
FROM generate_series(0, :n - 1) AS i
"""
SQLITE_ITEMS = """
WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < :n - 1)
INSERT INTO items (item_id, version, is_current, modality, source_kind, source,
                   content_hash, text, meta, created_at)
SELECT printf('p%08d', i), 1, 1, 'text', 'csv', 'bench.csv', printf('%064d', i),
       'OCR text of page ' || i,
       json_object('box', CAST(i % 50 AS TEXT), 'year', CAST(1800 + i % 150 AS TEXT)),
       '2026-01-01 00:00:00' FROM c
"""
# the item's number, its label (or first term) and score; 7919 is prime: no pattern
NUM = {"pg": "substr(item_id, 2)::int", "sqlite": "CAST(substr(item_id, 2) AS INTEGER)"}
PREDS = """
INSERT INTO predictions (run_id, model_id, item_id, label, labels, scores, score, created_at)
SELECT 1, 1, item_id, lab, {array}, {obj}, s, :stamp
FROM (SELECT item_id, {lab} AS lab, {lab2} AS lab2, 0.5 + (i * 7919 % 1000) / 2000.0 AS s
      FROM (SELECT item_id, {num} AS i FROM items) a) b
"""
QUEUE = """
INSERT INTO review_queue (item_id, prediction_id, model_id, label, score, reason, kind, status,
                          version, created_at)
SELECT p.item_id, p.id, 1, {label}, p.score, 'score below the accept threshold', 'prediction',
       'open', 1, :stamp
FROM predictions p {join} WHERE p.score < 0.625
"""
GOLD = """
INSERT INTO labels (item_id, label, annotator, source, active, created_at)
SELECT item_id, label, 'import', 'bench.csv', {true}, :stamp FROM predictions
WHERE {num} % :every = 1
"""
SPLITS = """
INSERT INTO splits (item_id, split, created_at)
SELECT DISTINCT item_id, 'test', :stamp FROM labels
"""


def build(folder: Path, url: str | None, n: int, labelled: int, multi: bool) -> float:
    import sqlalchemy as sa

    from glamlab import Workspace
    from glamlab.auth import add_user
    from glamlab.store import now

    t0 = time.perf_counter()
    labels = TERMS if multi else ["blank", "content"]
    ws = Workspace.init(folder, task="bench", modality="text", labels=labels,
                        multi_label=multi, need="a benchmark", db=url)
    t = ws.store.t
    stamp = now()
    kind = "sqlite" if ws.store.is_sqlite else "pg"
    num = NUM[kind]
    k = len(labels)

    def term(i: str, shift: int = 0) -> str:  # the label (or term) of item number i
        return (f"CASE {' '.join(f'WHEN ({i} + {shift}) % {k} = {j} THEN {labels[j]!r}' for j in range(k))} END")

    lab, lab2 = term("i"), term("i", 1)
    if kind == "pg":
        array = "jsonb_build_array(lab, lab2)" if multi else "jsonb_build_array(lab)"
        obj = ("jsonb_build_object(lab, s, lab2, s - 0.1)" if multi
               else "jsonb_build_object(lab, s)")
    else:
        array = "json_array(lab, lab2)" if multi else "json_array(lab)"
        obj = "json_object(lab, s, lab2, s - 0.1)" if multi else "json_object(lab, s)"
    with ws.store.write() as conn:
        conn.execute(t.models.insert().values(id=1, name="bench", version=1, predictor="prior",
                                              params={}, artifacts={}, metrics={}, card={},
                                              created_at=stamp))
        conn.execute(t.runs.insert().values(id=1, model_id=1, status="done", engine="local",
                                            workers=1, query={}, planned=n, done=n, failed=0,
                                            started_at=stamp, finished_at=stamp))
        conn.execute(sa.text(SQLITE_ITEMS if kind == "sqlite" else PG_ITEMS), {"n": n})
        conn.execute(sa.text(PREDS.format(array=array, obj=obj, lab=lab, lab2=lab2, num=num)),
                     {"stamp": stamp})
        if multi:  # one queue row a suggested term: the prediction's two
            terms = "(SELECT 0 AS j UNION ALL SELECT 1) t"
            second = term(num.replace("item_id", "p.item_id"), 1)
            conn.execute(sa.text(QUEUE.format(
                label=f"CASE WHEN t.j = 0 THEN p.label ELSE {second} END",
                join=f"CROSS JOIN {terms}")), {"stamp": stamp})
        else:
            conn.execute(sa.text(QUEUE.format(label="p.label", join="")), {"stamp": stamp})
        every = max(2, n // max(1, labelled))
        conn.execute(sa.text(GOLD.format(true="1" if kind == "sqlite" else "true", num=num)),
                     {"stamp": stamp, "every": every})
        conn.execute(sa.text(SPLITS), {"stamp": stamp})
        if kind == "pg":  # ids given explicitly above: move the sequences on
            for table in ("models", "runs"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 1)")
    add_user(ws, "rev", PASSWORD, "reviewer")
    with ws.store.engine.connect() as c:
        if kind == "sqlite":
            c.exec_driver_sql("ANALYZE")
        else:
            c.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    ws.close()
    return time.perf_counter() - t0


def measure(folder: Path, url: str | None, repeats: int, show: bool = False) -> dict[str, Any]:
    import sqlalchemy as sa
    from fastapi.testclient import TestClient

    from glamlab import Workspace
    from glamlab.web import create_app
    from glamlab.web.app import stop_background

    ws = Workspace.open(folder, db=url)
    app = create_app(ws)
    client = TestClient(app)
    count = [0]
    seen: dict[str, int] = {}

    def record(conn: Any, cursor: Any, statement: str, *_a: Any) -> None:
        if threading.current_thread().name.startswith("glamlab-"):
            return  # the app's background work (refresher, jobs), not the request's
        count[0] += 1
        if show:
            key = " ".join(statement.split())[:160]
            seen[key] = seen.get(key, 0) + 1

    out: dict[str, Any] = {}
    try:
        client.get("/login")
        client.post("/login", data={"username": "rev", "password": PASSWORD,
                                    "csrf": client.cookies.get("glamlab_login_csrf"),
                                    "next": "/"})
        csrf = re.search(r'data-csrf="([^"]+)"', client.get("/").text)
        assert csrf, "not signed in"
        item = "p00000001"
        pages: dict[str, Any] = {
            "queue": lambda: client.get("/queue"),
            "item": lambda: client.get(f"/items/{item}"),
            "export": lambda: client.get("/stages/export"),
            "monitoring": lambda: client.get("/stages/monitoring"),
            "trends": lambda: client.get("/stages/trends"),
            "trend_box": lambda: client.post("/stages/trends", data={
                "csrf": csrf.group(1), "by": "box"}),
            "unpredicted": lambda: _unpredicted(ws),
        }
        # the refresher's sections: worked out before timing. Twice: a page's warm-up can
        # put another's section out of date (the trend's POST freezes the test split, an
        # audited change: the export's own check, a whole export in the background, is
        # asked for again by the next Export page, and ran beside the timed requests: at
        # 100,000 items on PostgreSQL about 300 ms more a request, none of it the page's)
        for _ in range(2):
            for fn in pages.values():
                fn()
            app.state.refresher.wait()
        refresher = app.state.refresher
        refresher.__class__ = _counted()  # counts the sections asked for from here on
        sa.event.listen(ws.store.engine, "before_cursor_execute", record)
        for name, fn in pages.items():
            counts, times, status = [], [], 0
            asked, busy = refresher.asked, 0
            for _ in range(repeats):
                busy += refresher.busy()
                count[0] = 0
                seen.clear()
                t0 = time.perf_counter()
                r = fn()
                times.append((time.perf_counter() - t0) * 1000)
                counts.append(count[0])
                status = r.status_code
            out[name] = {"statements": statistics.median(counts),
                         "ms": round(statistics.median(times), 1), "status": status,
                         "background": refresher.asked - asked + busy}
            if show:  # the last request's statements sent more than once
                out[name]["repeated"] = {k: v for k, v in sorted(
                    seen.items(), key=lambda kv: -kv[1]) if v > 1}
        sa.event.remove(ws.store.engine, "before_cursor_execute", record)
    finally:
        client.close()
        stop_background(app)
        ws.close()
    return out


def _counted() -> type:
    from glamlab.web.state import Refresher

    class Counted(Refresher):
        """The app's refresher, counting the sections asked for that were not waiting or
        running already (``asked``)."""

        asked = 0

        def __call__(self, name: str, fn: Any) -> None:
            with self._lock:
                new = name != self._running and name not in self._pending
            self.asked += new
            super().__call__(name, fn)

    return Counted


class _Done:
    status_code = 200


def _unpredicted(ws: Any) -> _Done:
    """The count of current items the model has no prediction for, alone (the Export
    page's warning, ``glamlab status``): every item is predicted here, the common case."""
    from glamlab.workspace.status import count_unpredicted

    with ws.store.read() as conn:
        count_unpredicted(conn, ws.store.t, 1)
    return _Done()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--labelled", type=int, default=2_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--pg", default=os.environ.get("GLAMLAB_TEST_PG"),
                    help="PostgreSQL URL (default: $GLAMLAB_TEST_PG, set by "
                         "scripts/pg-test-server)")
    ap.add_argument("--sqlite", action="store_true", help="the workspace's SQLite file instead")
    ap.add_argument("--show", action="store_true",
                    help="with each page, its statements sent more than once (N+1s)")
    ap.add_argument("--src", type=Path,
                    help="measure the glamlab in this src folder (before a change)")
    ap.add_argument("--only", choices=["single", "multi"], help="one of the two projects")
    args = ap.parse_args()
    if args.src:
        sys.path.insert(0, str(args.src.resolve()))
    import glamlab

    url = None if args.sqlite else args.pg
    if not args.sqlite and not url:
        raise SystemExit("no PostgreSQL URL: run under scripts/pg-test-server, or give --pg "
                         "(or --sqlite)")
    report: dict[str, Any] = {"glamlab": str(Path(glamlab.__file__).parent),
                              "store": "sqlite" if args.sqlite else "postgresql",
                              "items": args.items, "labelled": args.labelled,
                              "repeats": args.repeats}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("single", "multi"):
            if args.only and kind != args.only:
                continue
            folder = Path(tmp) / kind
            if url:  # one schema a project: a fresh database each
                import sqlalchemy as sa

                db = f"bench_{kind}_{os.getpid()}"
                admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
                with admin.connect() as c:
                    c.exec_driver_sql(f"DROP DATABASE IF EXISTS {db}")
                    c.exec_driver_sql(f"CREATE DATABASE {db}")
                admin.dispose()
                where = url.rsplit("/", 1)[0] + "/" + db
            else:
                where = None
            try:
                built = build(folder, where, args.items, args.labelled, kind == "multi")
                report[kind] = {"build_s": round(built, 1),
                                "pages": measure(folder, where, args.repeats, args.show)}
            finally:
                if url:  # the database goes with the temporary folder
                    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
                    with admin.connect() as c:
                        c.exec_driver_sql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
                    admin.dispose()
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
