"""Which vector index should concept search use? sqlite-vec, hnswlib, usearch and DuckDB's
vss side by side, in one process, on the same vectors.

    python benchmarks/vector_index.py [--n 200000] [--queries 100] [--k 50]

Vectors: ``--n`` synthetic unit vectors of the text encoders' dimension (384), drawn as
clusters around random centres (passages on a few thousand themes) so that an approximate
index meets structure like real embeddings have; queries are perturbed copies of stored
vectors. Each library builds its index (build rate, passages/s), answers ``--queries``
top-``--k`` queries (median latency, ms) and is scored by recall@k against exact search
(numpy). The peers install into ``.bench/vector-peers`` (``pip install --target``), not into
glamlab; DuckDB's vss extension needs a download from DuckDB's site the first time, which
this machine cannot reach: it is reported as unavailable when that fails.

Prints one JSON document, with the machine's load average (timings are noisy on a shared
machine).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PEERS = ROOT / ".bench" / "vector-peers"
DIM = 384


def ensure_peers() -> None:
    if not (PEERS / "hnswlib-0.8.0.dist-info").exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                        str(PEERS), "usearch", "numkong", "hnswlib", "duckdb", "sqlite-vec"],
                       check=True)
    sys.path.insert(0, str(PEERS))


def vectors(n: int, seed: int, themes: int = 2000) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((themes, DIM)).astype(np.float32)
    out = np.empty((n, DIM), dtype=np.float32)
    for lo in range(0, n, 100_000):
        m = min(100_000, n - lo)
        c = centres[rng.integers(0, themes, m)]
        out[lo:lo + m] = c + 0.8 * rng.standard_normal((m, DIM)).astype(np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def queries(X: np.ndarray, q: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    Q = X[rng.integers(0, len(X), q)] + 0.3 * rng.standard_normal((q, DIM)).astype(np.float32) / np.sqrt(DIM)
    return (Q / np.linalg.norm(Q, axis=1, keepdims=True)).astype(np.float32)


def exact(X: np.ndarray, Q: np.ndarray, k: int) -> list[set[int]]:
    out = []
    for q in Q:
        s = X @ q
        out.append(set(np.argpartition(-s, k)[:k].tolist()))
    return out


def timed_queries(search, Q: np.ndarray, k: int) -> tuple[float, list[set[int]]]:  # noqa: ANN001
    lat, found = [], []
    search(Q[0], k)  # warm
    for q in Q:
        t0 = time.perf_counter()
        ids = search(q, k)
        lat.append((time.perf_counter() - t0) * 1000)
        found.append(set(int(i) for i in ids))
    return statistics.median(lat), found


def recall(found: list[set[int]], truth: list[set[int]]) -> float:
    return round(float(np.mean([len(f & t) / len(t) for f, t in zip(found, truth, strict=True)])), 4)


def run_usearch(X, Q, k, tmp):  # noqa: ANN001, ANN201
    from usearch.index import Index

    t0 = time.perf_counter()
    index = Index(ndim=DIM, metric="cos", dtype="f32", connectivity=16, expansion_add=128,
                  expansion_search=128)
    index.add(np.arange(len(X)), X, threads=os.cpu_count() or 1)
    build = time.perf_counter() - t0
    path = os.path.join(tmp, "u.usearch")
    index.save(path)
    lat, found = timed_queries(lambda q, kk: index.search(q, kk).keys, Q, k)
    return {"build_s": build, "ms": lat, "found": found, "disk_mb": os.path.getsize(path) / 2**20,
            "version": __import__("usearch").__version__,
            "params": "M=16, ef_construction=128, ef_search=128, f32"}


def run_hnswlib(X, Q, k, tmp):  # noqa: ANN001, ANN201
    import hnswlib

    t0 = time.perf_counter()
    index = hnswlib.Index(space="cosine", dim=DIM)
    index.init_index(max_elements=len(X), ef_construction=128, M=16)
    index.add_items(X, np.arange(len(X)), num_threads=os.cpu_count() or 1)
    build = time.perf_counter() - t0
    index.set_ef(128)
    path = os.path.join(tmp, "h.bin")
    index.save_index(path)
    lat, found = timed_queries(lambda q, kk: index.knn_query(q, kk)[0][0], Q, k)
    return {"build_s": build, "ms": lat, "found": found, "disk_mb": os.path.getsize(path) / 2**20,
            "version": "0.8.0", "params": "M=16, ef_construction=128, ef=128"}


def run_sqlite_vec(X, Q, k, tmp):  # noqa: ANN001, ANN201
    import sqlite3

    import sqlite_vec

    path = os.path.join(tmp, "v.db")
    con = sqlite3.connect(path)
    if not hasattr(con, "enable_load_extension"):
        return {"status": "unavailable: this Python's sqlite3 cannot load extensions"}
    con.enable_load_extension(True)
    sqlite_vec.load(con)
    t0 = time.perf_counter()
    con.execute(f"CREATE VIRTUAL TABLE v USING vec0(embedding float[{DIM}] distance_metric=cosine)")
    for lo in range(0, len(X), 10000):
        con.executemany("INSERT INTO v(rowid, embedding) VALUES (?, ?)",
                        [(lo + i, x.tobytes()) for i, x in enumerate(X[lo:lo + 10000])])
    con.commit()
    build = time.perf_counter() - t0

    def search(q, kk):  # noqa: ANN001, ANN202
        return [r[0] for r in con.execute(
            "SELECT rowid FROM v WHERE embedding MATCH ? AND k = ?", (q.tobytes(), kk))]

    lat, found = timed_queries(search, Q, k)
    return {"build_s": build, "ms": lat, "found": found, "disk_mb": os.path.getsize(path) / 2**20,
            "version": sqlite_vec.__version__, "params": "vec0, exact (brute-force) scan"}


def run_duckdb(X, Q, k, tmp):  # noqa: ANN001, ANN201
    import duckdb

    con = duckdb.connect(os.path.join(tmp, "d.duckdb"))
    try:
        con.execute("INSTALL vss")
        con.execute("LOAD vss")
    except Exception as exc:  # noqa: BLE001 - reported, the others go on
        return {"status": f"unavailable: {str(exc).splitlines()[0][:200]}",
                "version": duckdb.__version__}
    con.execute("SET hnsw_enable_experimental_persistence = true")
    t0 = time.perf_counter()
    con.execute(f"CREATE TABLE v (id BIGINT, e FLOAT[{DIM}])")
    con.execute("INSERT INTO v SELECT * FROM (SELECT unnest(?) AS id, unnest(?) AS e)",
                [list(range(len(X))), X.tolist()])
    con.execute("CREATE INDEX ix ON v USING HNSW (e) WITH (metric = 'cosine')")
    build = time.perf_counter() - t0
    sql = "SELECT id FROM v ORDER BY array_cosine_distance(e, ?::FLOAT[384]) LIMIT ?"
    lat, found = timed_queries(lambda q, kk: [r[0] for r in con.execute(
        sql, [q.tolist(), kk]).fetchall()], Q, k)
    return {"build_s": build, "ms": lat, "found": found, "version": duckdb.__version__,
            "params": "HNSW defaults"}


PEERS_FN = {"usearch": run_usearch, "hnswlib": run_hnswlib, "sqlite-vec": run_sqlite_vec,
            "duckdb-vss": run_duckdb}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--k", type=int, default=50)
    ap.add_argument("--only", default=",".join(PEERS_FN))
    args = ap.parse_args()
    ensure_peers()
    X = vectors(args.n, 0)
    Q = queries(X, args.queries, 1)
    truth = exact(X, Q, args.k)
    out: dict[str, object] = {"setup": {"n": args.n, "dim": DIM, "queries": args.queries,
                                        "k": args.k, "vectors": "synthetic clustered unit vectors",
                                        "threads": os.cpu_count(),
                                        "load_avg_1m_before": round(os.getloadavg()[0], 2)}}
    for name in args.only.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            try:
                r = PEERS_FN[name](X, Q, args.k, tmp)
            except Exception as exc:  # noqa: BLE001 - one peer failing does not stop the others
                r = {"status": f"failed: {type(exc).__name__}: {str(exc)[:200]}"}
        if "found" in r:
            r["recall_at_k"] = recall(r.pop("found"), truth)
            r["build_passages_per_s"] = round(args.n / r.pop("build_s"), 1)
            r["query_ms_median"] = round(r.pop("ms"), 3)
            if "disk_mb" in r:
                r["disk_mb"] = round(r["disk_mb"], 1)
        out[name] = r
        print(json.dumps({name: r}), file=sys.stderr, flush=True)
    out["load_avg_1m_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
