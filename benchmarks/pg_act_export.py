"""act --dry-run, act and export at scale on PostgreSQL (or SQLite): the command line's wall
time on a workspace of ``--items`` items (default 200,000), each with one prediction.

    scripts/pg-test-server .venv/bin/python benchmarks/pg_act_export.py --items 200000
    .venv/bin/python benchmarks/pg_act_export.py --sqlite --items 20000

The workspace is a blank-pages project (image, labels blank/content, positive label
"blank") with a [policy] of fixed thresholds, built in a temporary folder: items and one
done run's predictions are written with bulk SQL (generate_series on PostgreSQL, a recursive
CTE on SQLite) into the tables ``glamlab run`` fills, with the scores spread so that all
three actions occur (``--no-thresholds``: none, act proposes them); ``--labels`` items (default 300) get a person's gold label through
:func:`glamlab.review.labelling.save_label`, as the review page saves them, a third of them
against the model, so the code paths for people's labels run too. Then, each as
``python -m glamlab --db URL -w FOLDER ...`` in a child process (the command's import time
is in the figures):

* ``dry_run_first_s``: the first ``act --dry-run`` (nothing cached yet) and
  ``dry_run_first_output_s``: the seconds until its first (non-blank) line on stderr;
* ``dry_run_s``: the median of ``--repeats`` more dry runs (with ``--json``, for the
  counts);
* ``act_s``: ``act`` (writes the metadata and the review queue), then ``act_again_s``
  (acting twice writes nothing new);
* ``export_csv_s``: the median of ``--repeats`` ``export --format csv``.

``cpu_s_per_command_summed``: the commands' own CPU time (the database server's is not
in it), summed over the runs of each. Each command's row counts (the report's counts, the CSV's rows) are printed too, to check
that a change to the code leaves what is written the same. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

PG_ITEMS = """
INSERT INTO items (item_id, version, is_current, modality, source_kind, source, uri,
                   content_hash, meta, created_at)
SELECT 'p' || lpad(i::text, 8, '0'), 1, true, 'image', 'folder', 'bench',
       '/scans/p' || lpad(i::text, 8, '0') || '.jpg', lpad(i::text, 64, '0'),
       jsonb_build_object('collection', 'bench', 'box', (i % 50)::text), '2026-01-01'
FROM generate_series(0, :n - 1) AS i
"""
SQLITE_ITEMS = """
WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < :n - 1)
INSERT INTO items (item_id, version, is_current, modality, source_kind, source, uri,
                   content_hash, meta, created_at)
SELECT printf('p%08d', i), 1, 1, 'image', 'folder', 'bench', printf('/scans/p%08d.jpg', i),
       printf('%064d', i), json_object('collection', 'bench', 'box', CAST(i % 50 AS TEXT)),
       '2026-01-01 00:00:00' FROM c
"""
# s spreads over 0.5..1.0 (7919 is prime: no pattern with the item order); a third blank
PG_PREDS = """
INSERT INTO predictions (run_id, model_id, item_id, label, labels, scores, score, created_at)
SELECT 1, 1, item_id, lab, jsonb_build_array(lab),
       jsonb_build_object(lab, s, CASE WHEN lab = 'blank' THEN 'content' ELSE 'blank' END,
                          1.0 - s), s, '2026-01-01'
FROM (SELECT item_id, CASE WHEN i % 3 = 0 THEN 'blank' ELSE 'content' END AS lab,
             0.5 + (i * 7919 % 1000) / 2000.0 AS s
      FROM (SELECT item_id, substr(item_id, 2)::int AS i FROM items) a) b
"""
SQLITE_PREDS = """
INSERT INTO predictions (run_id, model_id, item_id, label, labels, scores, score, created_at)
SELECT 1, 1, item_id, lab, json_array(lab),
       json_object(lab, s, CASE WHEN lab = 'blank' THEN 'content' ELSE 'blank' END, 1.0 - s),
       s, '2026-01-01 00:00:00'
FROM (SELECT item_id, CASE WHEN i % 3 = 0 THEN 'blank' ELSE 'content' END AS lab,
             0.5 + (i * 7919 % 1000) / 2000.0 AS s
      FROM (SELECT item_id, CAST(substr(item_id, 2) AS INTEGER) AS i FROM items))
"""


def build(folder: Path, url: str | None, n: int, labels: int, thresholds: bool = True) -> float:
    import sqlalchemy as sa

    from glamlab import Workspace
    from glamlab.review.labelling import save_label
    from glamlab.store import now

    t0 = time.perf_counter()
    ws = Workspace.init(folder, task="blank-pages", modality="image",
                        labels=["blank", "content"], positive_label="blank",
                        price_per_item=0.02, db=url)
    ws.card.raw["policy"] = {"field": "page_type"}
    if thresholds:
        ws.card.raw["policy"]["labels"] = {"blank": {"accept": 0.9, "review": 0.6},
                                           "content": {"accept": 0.8, "review": 0.6}}
    ws.save_card()
    t = ws.store.t
    stamp = now()
    sqlite = ws.store.is_sqlite
    with ws.store.write() as conn:
        conn.execute(t.models.insert().values(id=1, name="bench", version=1, predictor="bench",
                                              params={}, artifacts={}, metrics={}, card={},
                                              created_at=stamp))
        conn.execute(t.runs.insert().values(id=1, model_id=1, status="done", engine="local",
                                            workers=1, query={}, planned=n, done=n, failed=0,
                                            started_at=stamp, finished_at=stamp))
        conn.execute(sa.text(SQLITE_ITEMS if sqlite else PG_ITEMS), {"n": n})
        conn.execute(sa.text(SQLITE_PREDS if sqlite else PG_PREDS))
        if not sqlite:  # ids given explicitly above: move the sequences on
            for table in ("models", "runs"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), 1)")
    step = max(1, n // max(1, labels))
    for k, i in enumerate(range(0, n, step)):
        if k >= labels:
            break
        said = "blank" if i % 3 == 0 else "content"
        other = "content" if said == "blank" else "blank"
        save_label(ws, "bench", f"p{i:08d}", [other if k % 3 == 0 else said])
    with ws.store.engine.connect() as c:
        if sqlite:
            c.exec_driver_sql("ANALYZE")
        else:
            c.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    ws.close()
    return time.perf_counter() - t0


FIRST_LINE: list[str] = []  # the last command's first line on stderr
CPU: dict[str, float] = {}  # command -> the child's CPU seconds (user + system), summed


def glamlab(folder: Path, url: str | None, *args: str) -> tuple[float, float | None, str]:
    """Run ``glamlab ARGS``: (wall seconds, seconds to the first stderr line, stdout); its
    CPU time is added to :data:`CPU` (steadier than the wall time on a shared machine)."""
    cmd = [sys.executable, "-m", "glamlab", "-w", str(folder)]
    if url:
        cmd += ["--db", url]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    c0 = os.times()
    t0 = time.perf_counter()
    proc = subprocess.Popen([*cmd, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    first: list[float] = []
    err: list[str] = []

    def read_err() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            if not first and line.strip():
                first.append(time.perf_counter() - t0)
                FIRST_LINE[:] = [line.strip()[:120]]
            err.append(line)

    reader = threading.Thread(target=read_err)
    reader.start()
    out, _ = proc.communicate()
    reader.join()
    wall = time.perf_counter() - t0
    c1 = os.times()
    key = args[0] + (" --dry-run" if "--dry-run" in args else "")
    CPU[key] = CPU.get(key, 0.0) + (c1.children_user - c0.children_user
                                    + c1.children_system - c0.children_system)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"glamlab {' '.join(args)} exited {proc.returncode}:\n{''.join(err)}")
    return wall, (first[0] if first else None), out


def counts(report: str) -> dict[str, object]:
    d = json.loads(report)
    keep = ("counts", "by_label", "written", "items_with_predictions", "review_decided",
            "review_settled_by_gold", "superseded", "withdrawn_by_policy", "gold_unpredicted",
            "held_by_gold", "overruled")
    return {k: d[k] for k in keep if k in d}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", type=int, default=200_000)
    ap.add_argument("--labels", type=int, default=300)
    ap.add_argument("--no-thresholds", action="store_true",
                    help="no thresholds in [policy]: act proposes them from the labels, as "
                         "a project's first act does")
    ap.add_argument("--repeats", type=int, default=1,
                    help="more dry runs and exports after the first, for a median")
    ap.add_argument("--pg", default=os.environ.get("GLAMLAB_TEST_PG"),
                    help="PostgreSQL URL (default: $GLAMLAB_TEST_PG, set by "
                         "scripts/pg-test-server)")
    ap.add_argument("--sqlite", action="store_true", help="the workspace's SQLite file instead")
    args = ap.parse_args()
    url = None if args.sqlite else args.pg
    if not args.sqlite and not url:
        raise SystemExit("no PostgreSQL URL: run under scripts/pg-test-server, or give --pg "
                         "(or --sqlite)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "ws"
        build_s = build(folder, url, args.items, args.labels, not args.no_thresholds)
        # the first without --json: its progress on stderr
        first, first_out, _ = glamlab(folder, url, "act", "--dry-run")
        first_line = FIRST_LINE[0] if FIRST_LINE else None
        again, dry_counts = [], {}
        for _ in range(max(1, args.repeats)):
            wall, _, out = glamlab(folder, url, "act", "--dry-run", "--json")
            again.append(wall)
            dry_counts = counts(out)
        act_s, _, out = glamlab(folder, url, "act", "--json")
        act_counts = counts(out)
        act2_s, _, out = glamlab(folder, url, "act", "--json")
        act2_counts = counts(out)
        csv_path = Path(tmp) / "out.csv"
        exports = [glamlab(folder, url, "export", "--format", "csv", "--out", str(csv_path))[0]
                   for _ in range(max(1, args.repeats))]
        with csv_path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
        by_action: dict[str, int] = {}
        for r in rows:
            by_action[r.get("action", "")] = by_action.get(r.get("action", ""), 0) + 1
    print(json.dumps({
        "benchmark": "act --dry-run, act, export csv (command line, child processes)",
        "store": "sqlite" if url is None else "postgresql", "items": args.items,
        "labels": args.labels, "thresholds": not args.no_thresholds, "repeats": args.repeats, "build_s": round(build_s, 1),
        "dry_run_first_s": round(first, 2),
        "dry_run_first_output_s": None if first_out is None else round(first_out, 2),
        "dry_run_first_output_line": first_line,
        "dry_run_s": round(statistics.median(again), 2),
        "act_s": round(act_s, 2), "act_again_s": round(act2_s, 2),
        "export_csv_s": round(statistics.median(exports), 2),
        "cpu_s_per_command_summed": {k: round(v, 1) for k, v in CPU.items()},
        "dry_run_counts": dry_counts, "act_counts": act_counts, "act_again_counts": act2_counts,
        "export_rows": len(rows), "export_rows_by_action": by_action,
        "load_average": os.getloadavg(),
    }, indent=2, default=str))


if __name__ == "__main__":
    main()
