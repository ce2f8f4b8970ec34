"""Trends at scale: one corrected trends query over 10 million stored predictions, on SQLite
and PostgreSQL; and concept search over a million passages.

    python benchmarks/trends_scale.py                       # SQLite, 10M, + concept search
    scripts/pg-test-server python benchmarks/trends_scale.py --pg-only   # PostgreSQL too
    python benchmarks/trends_scale.py --rows 1000000 --skip-concepts

The workspaces are generated with bulk SQL (a recursive CTE on SQLite, generate_series on
PostgreSQL) and kept under ``.bench/scale`` (git-ignored; reused when the row count
matches): ``--rows`` items, each with metadata ``{"year": "1800".."1899"}`` (100 groups)
and one prediction of a single-label yes/no model whose share of "yes" drifts with the year.
The query is ``trends(ws, by="year", label="yes", rates=...)`` with glamlab's default
method, error rates given explicitly (from 2,000 synthetic labelled items). The database's
GROUP BY answer is stored with the key of what it depends on (``report_cache``, see
:func:`glamlab.trends.aggregate.group_stats`): ``cold_trends_s`` is the first query (stored
aggregates of earlier runs deleted first: the GROUP BY over every prediction, then stored);
``trends_s`` (``trends_10m_s``) the median of ``--repeats`` queries after it (the key
checked, the aggregate read back, the per-group correction and bootstrap);
``aggregation_only_s`` one GROUP BY without the store.
Peak RSS is this process's maximum resident set while querying (generation runs in the
database, in a child process). ``trends_cpu_s_this_process`` is the CPU time of the query
process (on SQLite it includes the database's work; on PostgreSQL the server's is not in
it): on a shared, overloaded machine it says more than the wall time.
``aggregation_only_s``: the database GROUP BY alone, without the per-group bootstrap.

Concept search: ``--passages`` synthetic unit vectors of the encoders' dimension (384)
in the index glamlab uses (hnswlib HNSW), for the index-only figures: build rate
(passages/s) and the median latency of a top-50 query (``concept_search_1m_ms``). Real
text is embedded separately (``embedding_texts_per_s``: MiniLM and e5 on Tate titles and
on longer real sentences), because a million real passages would take hours to embed on
this machine. Prints one JSON document with the machine's load average.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
BENCH = ROOT / ".bench" / "scale"
SHARED = Path(os.environ.get("GLAMLAB_SHARED_DATA", ROOT.parent / "shared" / "data"))

SQLITE_ITEMS = """
WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < :n - 1)
INSERT INTO items (item_id, version, is_current, modality, source_kind, source, content_hash,
                   meta, created_at)
SELECT printf('it%010d', i), 1, 1, 'text', 'bench', 'bench', printf('%064d', i),
       json_object('year', CAST(1800 + (i % 100) AS TEXT)), '2026-01-01 00:00:00' FROM c
"""
SQLITE_PREDS = """
INSERT INTO predictions (run_id, model_id, item_id, label, labels, scores, score, created_at)
SELECT 1, 1, item_id, CASE WHEN p >= 0.5 THEN 'yes' ELSE 'no' END,
       CASE WHEN p >= 0.5 THEN '["yes"]' ELSE '["no"]' END,
       json_object('yes', p, 'no', 1.0 - p), max(p, 1.0 - p), '2026-01-01 00:00:00'
FROM (SELECT item_id,
             min(1.0, max(0.0, (abs(random()) % 1000000) / 1000000.0 * 0.8
                               + (CAST(json_extract(meta, '$.year') AS INTEGER) - 1800) / 500.0)) AS p
      FROM items)
"""
PG_ITEMS = """
INSERT INTO items (item_id, version, is_current, modality, source_kind, source, content_hash,
                   meta, created_at)
SELECT 'it' || lpad(i::text, 10, '0'), 1, true, 'text', 'bench', 'bench', lpad(i::text, 64, '0'),
       jsonb_build_object('year', (1800 + i % 100)::text), '2026-01-01'
FROM generate_series(0, :n - 1) AS i
"""
PG_PREDS = """
INSERT INTO predictions (run_id, model_id, item_id, label, labels, scores, score, created_at)
SELECT 1, 1, item_id, CASE WHEN p >= 0.5 THEN 'yes' ELSE 'no' END,
       CASE WHEN p >= 0.5 THEN '["yes"]'::jsonb ELSE '["no"]'::jsonb END,
       jsonb_build_object('yes', p, 'no', 1.0 - p), greatest(p, 1.0 - p), '2026-01-01'
FROM (SELECT item_id, least(1.0, greatest(0.0, random() * 0.8
                                  + ((meta->>'year')::int - 1800) / 500.0)) AS p FROM items) s
"""


def generate(url: str | None, folder: Path, n: int) -> dict[str, object]:
    """Create (or reuse) the workspace with ``n`` items and predictions."""
    import sqlalchemy as sa

    from glamlab.store import now
    from glamlab.workspace import Workspace

    if (folder / "glamlab.toml").exists():
        ws = Workspace.open(folder, db=url)
        if ws.count_items() == n:
            ws.close()
            return {"generated": False}
        ws.close()
        if url is None:
            for f in folder.iterdir():
                f.unlink()
        else:
            _reset_pg(url)
    t0 = time.perf_counter()
    ws = Workspace.init(folder, task="scale", modality="text", labels=["yes", "no"], db=url,
                        exist_ok=True)
    t = ws.store.t
    stamp = now()
    sqlite = ws.store.is_sqlite
    with ws.store.write() as conn:
        if sqlite:
            conn.exec_driver_sql("PRAGMA cache_size=-400000")
        conn.execute(t.models.insert().values(id=1, name="scale", version=1, predictor="bench",
                                              params={}, artifacts={}, metrics={}, card={},
                                              created_at=stamp))
        conn.execute(t.runs.insert().values(id=1, model_id=1, status="done", engine="local",
                                            workers=1, query={}, planned=n, done=n, failed=0,
                                            started_at=stamp, finished_at=stamp))
        conn.execute(sa.text(SQLITE_ITEMS if sqlite else PG_ITEMS), {"n": n})
        conn.execute(sa.text(SQLITE_PREDS if sqlite else PG_PREDS))
    if not sqlite:
        with ws.store.engine.connect() as c:
            c.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    else:
        with ws.store.engine.connect() as c:
            c.exec_driver_sql("ANALYZE")
    ws.close()
    return {"generated": True, "generate_s": round(time.perf_counter() - t0, 1)}


def _reset_pg(url: str) -> None:
    import sqlalchemy as sa

    from glamlab.store import normalise_url

    eng = sa.create_engine(normalise_url(url))
    with eng.begin() as c:
        c.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    eng.dispose()


def synthetic_rates() -> dict[str, object]:
    from glamlab.trends import ErrorRates

    rng = np.random.default_rng(0)
    y = rng.random(2000) < 0.4
    s = np.clip(rng.normal(np.where(y, 0.7, 0.3), 0.15), 0, 1)
    return {"yes": ErrorRates.from_predictions("yes", y, s, s >= 0.5, source="synthetic")}


def time_query(folder: Path, url: str | None, repeats: int) -> dict[str, object]:
    from glamlab.trends import trends
    from glamlab.trends.aggregate import group_stats
    from glamlab.trends.buckets import GroupBy
    from glamlab.workspace import Workspace

    ws = Workspace.open(folder, db=url)
    t = ws.store.t
    with ws.store.write() as conn:  # start cold: no stored aggregate of an earlier run
        conn.execute(t.report_cache.delete().where(t.report_cache.c.name.like("trends:%")))
    rates = synthetic_rates()

    def one() -> tuple[float, float, object]:
        t0, c0 = time.perf_counter(), time.process_time()
        res = trends(ws, by="year", label="yes", rates=rates)  # type: ignore[arg-type]
        return time.perf_counter() - t0, time.process_time() - c0, res

    cold, cold_cpu, _ = one()  # the GROUP BY runs and its answer is stored
    times, cpu, result = [], [], None
    for _ in range(repeats):  # the stored aggregate is current: read back, then corrected
        wall, c, result = one()
        times.append(wall)
        cpu.append(c)
    t1 = time.perf_counter()
    group_stats(ws, model_id=1, label="yes", by=GroupBy("year"), cache=False)
    agg = time.perf_counter() - t1
    ws.close()
    assert result is not None
    return {"trends_s": round(statistics.median(times), 3), "runs_s": [round(x, 3) for x in times],
            "trends_cpu_s_this_process": round(statistics.median(cpu), 3),
            "cold_trends_s": round(cold, 2), "cold_trends_cpu_s_this_process": round(cold_cpu, 2),
            "aggregation_only_s": round(agg, 2),
            "groups": len(result.rows), "items": sum(r.n for r in result.rows),  # type: ignore[attr-defined]
            "method": result.method,  # type: ignore[attr-defined]
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def concept_search(n: int, queries: int) -> dict[str, object]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from vector_index import DIM, exact, vectors
    from vector_index import queries as make_queries

    from glamlab.trends.concepts import VectorIndex

    X = vectors(n, 0)
    Q = make_queries(X, queries, 1)
    t0 = time.perf_counter()
    index = VectorIndex(DIM)
    for lo in range(0, n, 100_000):
        index.add([str(i) for i in range(lo, min(n, lo + 100_000))], X[lo:lo + 100_000])
    build = time.perf_counter() - t0
    lat, found = [], []
    index.search(Q[0], 50)
    for q in Q:
        t1 = time.perf_counter()
        hits = index.search(q, 50)
        lat.append((time.perf_counter() - t1) * 1000)
        found.append({int(h[0]) for h in hits})
    truth = exact(X, Q[:20], 50)
    rec = float(np.mean([len(f & t) / 50 for f, t in zip(found[:20], truth, strict=True)]))
    return {"passages": n, "vectors": "synthetic clustered unit vectors, dim 384 (index-only)",
            "index_build_passages_per_s": round(n / build, 1),
            "concept_search_1m_ms" if n == 1_000_000 else "concept_search_ms":
                round(statistics.median(lat), 3),
            "recall_at_50_vs_exact": round(rec, 4), "queries": queries,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def embedding_rate(repeats: int = 3) -> dict[str, object]:
    import csv

    from glamlab.predictors.text.embed import E5Encoder, MiniLMEncoder

    out: dict[str, object] = {}
    sets = {}
    with open(SHARED / "subject_indexing" / "dev" / "labels.csv", newline="", encoding="utf-8") as fh:
        sets["tate_titles"] = [r["path_or_text"] for r in csv.DictReader(fh)][:500]
    with open(SHARED / "language_id" / "dev" / "labels.csv", newline="", encoding="utf-8") as fh:
        sets["sentences"] = [r["path_or_text"] for r in csv.DictReader(fh)
                             if len(r["path_or_text"]) > 80][:500]
    for name, cls in (("minilm", MiniLMEncoder), ("e5", E5Encoder)):
        enc = cls()
        for set_name, texts in sets.items():
            enc.encode(texts[:16])
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                enc.encode(texts)
                times.append(time.perf_counter() - t0)
            out[f"{name}_{set_name}"] = {
                "texts_per_s": round(len(texts) / statistics.median(times), 1),
                "texts": len(texts), "mean_chars": round(float(np.mean([len(t) for t in texts])), 1)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--passages", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--pg", default=os.environ.get("GLAMLAB_TEST_PG"),
                    help="PostgreSQL URL (default: $GLAMLAB_TEST_PG, set by scripts/pg-test-server)")
    ap.add_argument("--pg-only", action="store_true")
    ap.add_argument("--skip-concepts", action="store_true")
    ap.add_argument("--part", choices=["generate", "query", "concepts"], help=argparse.SUPPRESS)
    ap.add_argument("--url", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.part:  # a child process: one part, one JSON line
        if args.part == "generate":
            res = generate(args.url, args.folder, args.rows)
        elif args.part == "query":
            res = time_query(args.folder, args.url, args.repeats)
        else:
            res = concept_search(args.passages, args.queries)
        print(json.dumps(res))
        return

    def child(part: str, **kw: object) -> dict[str, object]:
        cmd = [sys.executable, __file__, "--part", part, "--rows", str(args.rows),
               "--repeats", str(args.repeats), "--passages", str(args.passages),
               "--queries", str(args.queries)]
        for k, v in kw.items():
            if v is not None:
                cmd += [f"--{k}", str(v)]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode:
            return {"status": "failed: " + p.stderr.strip()[-600:]}
        return json.loads(p.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]

    out: dict[str, object] = {"setup": {"rows": args.rows, "groups": 100, "repeats": args.repeats,
                                        "cores": os.cpu_count(),
                                        "load_avg_1m_before": round(os.getloadavg()[0], 2)}}
    stores = [] if args.pg_only else [("sqlite", None, BENCH / f"sqlite-{args.rows}")]
    if args.pg:
        stores.append(("postgresql", args.pg, BENCH / f"pg-{args.rows}"))
    for name, url, folder in stores:
        folder.mkdir(parents=True, exist_ok=True)
        gen = child("generate", url=url, folder=folder)
        q = child("query", url=url, folder=folder)
        out[name] = {**gen, **q}
        key = "trends_10m_s" if args.rows == 10_000_000 else "trends_s_at_rows"
        if "trends_s" in q:
            out[name][key] = q["trends_s"]  # type: ignore[index]
        print(json.dumps({name: out[name]}), file=sys.stderr, flush=True)
    if not args.skip_concepts:
        out["concepts"] = child("concepts")
        out["embedding"] = embedding_rate()
    out["load_avg_1m_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
