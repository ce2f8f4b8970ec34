"""Web app latency with a million items: the reports page, the review-queue page, a
decision POST, and two reviewers deciding at once (nothing lost, doubled or shared).

Builds (once, in a temporary folder) a SQLite workspace with N items, N predictions and
N/4 open review-queue rows (bulk inserts with executemany), starts the real server
(``glamlab serve``, uvicorn, in its own process) on 127.0.0.1, and drives it with a local
load generator: ``CLIENTS`` reviewers in threads, each with its own httpx client, each
request timed from send to the last byte. Bounded: ``REQUESTS`` queue pages and
``REQUESTS`` decisions per round, ``ROUNDS`` rounds; the JSON reports medians over rounds.

Beside the HTTP numbers, the same work as direct library calls in this process
(``review.lease_queue``, ``review.decide``) shows what the HTTP layer and templates add.

Pages on every visit (``pages``): the overview (``/``), the Labelling page (``/label``)
and the Export page (``/stages/export``), each timed on its first view (which asks the
web app's refresher to work its sections out) and, once the refresher has stored them,
as the median of ``PAGE_VIEWS`` views; with ``gold_read``, the library's
``gold_labels(ws)`` over every labelled item. For these, ``--labelled`` items carry gold
labels: every tenth also a second curator's (two annotators), every twentieth also a blind
second labeller's row (``labels.source`` "second labeller", the Labelling page's "label a
sample again"; an older glamlab reads it as a second annotator). ``--pages-only`` skips
the review-queue rounds (to compare two versions of glamlab side by side quickly).

    python benchmarks/web.py [--items 1000000] [--dir PATH (reuse a built workspace)]
                             [--per-reviewer 500] [--labelled 100000] [--pages-only]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from glamlab import Workspace, review  # noqa: E402
from glamlab.auth import add_user, api_token  # noqa: E402
from glamlab.store import now  # noqa: E402

CLIENTS = 4
REQUESTS = 200
ROUNDS = 3
CHUNK = 50_000
TEST_ITEMS = 2_000
LABELS = ["blank", "content"]
PASSWORD = "benchmark password"
PAGE_VIEWS = 7
GOLD_READS = 5
#: ``labels.source`` of a blind second label (``glamlab.store.gold.SECOND``)
SECOND_SOURCE = "second labeller"


def build(root: Path, n: int, labelled: int = 0) -> Workspace:
    if (root / "glamlab.toml").exists():
        return Workspace.open(root)
    ws = Workspace.init(root, task="blank-pages", modality="text", labels=LABELS,
                        need="benchmark")
    t = ws.store.t
    stamp = now()
    rng = random.Random(0)
    with ws.store.write() as conn:
        model_id = conn.execute(t.models.insert().values(
            name="bench", version=1, predictor="prior", params={}, artifacts={}, metrics={},
            card={}, created_at=stamp)).inserted_primary_key[0]
        # two runs over the collection, so monitoring has windows to compare
        run_ids = [conn.execute(t.runs.insert().values(
            model_id=model_id, status="done", engine="local", workers=1, query={},
            planned=n // 2, done=n // 2, failed=0, started_at=stamp, finished_at=stamp)
        ).inserted_primary_key[0] for _ in range(2)]
    for start in range(0, n, CHUNK):
        ids = range(start, min(n, start + CHUNK))
        items, preds, gold, splits = [], [], [], []
        for i in ids:
            item_id = f"page-{i:08d}"
            label = LABELS[i % 2]
            score = round(rng.uniform(0.5, 1.0), 4)
            items.append({"item_id": item_id, "version": 1, "is_current": True,
                          "modality": "text", "source_kind": "csv", "source": "bench.csv",
                          "content_hash": hashlib.sha256(item_id.encode()).hexdigest(),
                          "text": f"OCR text of page {i}", "meta": {}, "created_at": stamp})
            if i < TEST_ITEMS:  # a labelled test split: the monitor's reference
                truth = label if rng.random() < 0.85 else LABELS[(i + 1) % 2]
                gold.append({"item_id": item_id, "label": truth, "annotator": "import",
                             "source": "bench.csv", "active": True, "created_at": stamp})
                splits.append({"item_id": item_id, "split": "test", "created_at": stamp})
            preds.append({"id": i + 1, "run_id": run_ids[0 if i < n // 2 else 1],
                          "model_id": model_id,
                          "item_id": item_id, "label": label, "labels": [label],
                          "scores": {label: score}, "score": score, "created_at": stamp})
        queue = [{"item_id": p["item_id"], "prediction_id": p["id"], "model_id": model_id,
                  "label": p["label"], "score": p["score"], "reason": "below threshold",
                  "kind": "prediction", "status": "open", "version": 1, "created_at": stamp}
                 for p in preds if p["score"] < 0.625
                 and int(p["item_id"][5:]) >= TEST_ITEMS]  # about a quarter go to review
        with ws.store.write() as conn:
            conn.execute(t.items.insert(), items)
            conn.execute(t.predictions.insert(), preds)
            if gold:
                conn.execute(t.labels.insert(), gold)
                conn.execute(t.splits.insert(), splits)
            if queue:
                conn.execute(t.review_queue.insert(), queue)
    add_labels(ws, min(n, labelled), stamp)
    for k in range(CLIENTS):
        add_user(ws, f"rev{k}", PASSWORD, "reviewer")
    with ws.store.write() as conn:
        conn.exec_driver_sql("ANALYZE") if ws.store.is_sqlite else None
    return ws


def add_labels(ws: Workspace, labelled: int, stamp: Any) -> None:
    """Gold labels on the items after the test split up to ``labelled``: an import's
    label; every tenth item a second curator's too (given later, so in force), every
    twentieth a blind second labeller's (in force only on an older glamlab)."""
    t = ws.store.t
    rng = random.Random(1)
    for start in range(TEST_ITEMS, labelled, CHUNK):
        rows = []
        for i in range(start, min(labelled, start + CHUNK)):
            item_id = f"page-{i:08d}"
            label = LABELS[i % 2]
            rows.append({"item_id": item_id, "label": label, "annotator": "import",
                         "source": "bench.csv", "active": True, "created_at": stamp})
            if i % 10 == 1:
                other = label if rng.random() < 0.8 else LABELS[(i + 1) % 2]
                rows.append({"item_id": item_id, "label": other, "annotator": "curator2",
                             "source": "web", "active": True, "created_at": stamp})
            if i % 20 == 3:
                other = label if rng.random() < 0.8 else LABELS[(i + 1) % 2]
                rows.append({"item_id": item_id, "label": other, "annotator": "rev1",
                             "source": SECOND_SOURCE, "active": True, "created_at": stamp})
        with ws.store.write() as conn:
            conn.execute(t.labels.insert(), rows)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


def login(base: str, user: str) -> httpx.Client:
    c = httpx.Client(base_url=base, timeout=30)
    c.get("/login")
    r = c.post("/login", data={"username": user, "password": PASSWORD,
                               "csrf": c.cookies.get("glamlab_login_csrf"), "next": "/"})
    if r.status_code != 303:
        raise RuntimeError(f"login failed for {user}: {r.status_code}")
    return c


def round_http(base: str, tokens: list[str], clients: int) -> dict[str, Any]:
    """Each reviewer does what a person does: load the queue page, decide its first row
    (naming the version on the page), load the page again, ... ``REQUESTS`` times in all."""
    per = REQUESTS // clients
    queue_ms: list[float] = []
    decide_ms: list[float] = []
    conflicts = [0]
    lock = threading.Lock()

    def reviewer(k: int) -> None:
        browser = login(base, f"rev{k}")
        api = httpx.Client(base_url=base, timeout=30,
                           headers={"Authorization": f"Bearer {tokens[k]}"})
        local_q, local_d = [], []
        for _ in range(per):
            t0 = time.perf_counter()
            r = browser.get("/queue?sort=uncertainty")  # HTML, leases 25 rows
            local_q.append((time.perf_counter() - t0) * 1000)
            r.raise_for_status()
            m = re.search(r'name="one" value="(\d+):(\d+):accept"', r.text)
            if m is None:
                raise RuntimeError("the queue page showed no item to decide")
            t0 = time.perf_counter()
            r = api.post("/api/decisions", json={"queue_id": int(m.group(1)), "action": "accept",
                                                 "seen_version": int(m.group(2))})
            local_d.append((time.perf_counter() - t0) * 1000)
            if r.status_code == 409:
                with lock:
                    conflicts[0] += 1
            elif r.status_code != 200:
                raise RuntimeError(f"decision failed: {r.status_code} {r.text}")
        with lock:
            queue_ms.extend(local_q)
            decide_ms.extend(local_d)
        browser.close()
        api.close()

    threads = [threading.Thread(target=reviewer, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"queue_p95_ms": p95(queue_ms), "queue_median_ms": statistics.median(queue_ms),
            "decision_p95_ms": p95(decide_ms), "decision_median_ms": statistics.median(decide_ms),
            "conflicts": conflicts[0], "requests": len(queue_ms) + len(decide_ms)}


def reports_latency(base: str, n: int = 30) -> dict[str, Any]:
    """The reports page: the first view asks for monitoring and the policy's dry run to be
    worked out in the background (timed until the page shows them); then ``n`` views,
    each timed from send to the last byte."""
    c = login(base, "rev0")
    t0 = time.perf_counter()
    first = c.get("/reports")
    first_ms = (time.perf_counter() - t0) * 1000
    while "being worked out in the background" in c.get("/reports").text:
        if time.perf_counter() - t0 > 900:
            raise RuntimeError("the reports were not worked out within 15 minutes")
        time.sleep(1)
    ready_s = time.perf_counter() - t0
    ms = []
    for _ in range(n):
        t1 = time.perf_counter()
        r = c.get("/reports")
        ms.append((time.perf_counter() - t1) * 1000)
        r.raise_for_status()
    page = r.text
    c.close()
    return {"reports_p95_ms": round(p95(ms), 1), "reports_median_ms": round(statistics.median(ms), 1),
            "first_view_ms": round(first_ms, 1), "first_view_status": first.status_code,
            "background_ready_s": round(ready_s, 1), "views": n,
            "shows_monitoring_plots": page.count("<svg") > 0,
            "shows_dry_run": "accepted automatically" in page}


def cpu_ms(pid: int | None) -> float | None:
    """The CPU time the server process has used (user + system; Linux's /proc only):
    steadier than wall-clock time on a shared machine."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def page_latency(c: httpx.Client, path: str, n: int = PAGE_VIEWS,
                 pid: int | None = None) -> dict[str, Any]:
    """One page: its first view (which may ask the refresher for its sections), the time
    until the refresher has stored them (the page no longer says so), then, once the server
    is idle, ``n`` views (``server_cpu_ms_per_view``: the server's CPU time over them, per view)."""
    t0 = time.perf_counter()
    first = c.get(path)
    first_ms = (time.perf_counter() - t0) * 1000
    ready_s: float | None = None
    while True:
        text = c.get(path).text
        if ("being worked out in the background" not in text
                and "an update is on its way" not in text):
            ready_s = round(time.perf_counter() - t0, 1)
            break
        if time.perf_counter() - t0 > 600:
            break  # still pending after 10 minutes: ready_s stays None
        time.sleep(0.5)
    # and until the server is idle (a refresher another page asked for may still be busy)
    while pid is not None and time.perf_counter() - t0 < 600:
        before = cpu_ms(pid)
        time.sleep(1)
        after = cpu_ms(pid)
        if before is None or after is None or after - before < 50:
            break
    ms = []
    cpu0 = cpu_ms(pid)
    for _ in range(n):
        t1 = time.perf_counter()
        r = c.get(path)
        ms.append((time.perf_counter() - t1) * 1000)
        r.raise_for_status()
    cpu1 = cpu_ms(pid)
    return {"first_view_ms": round(first_ms, 1), "first_view_status": first.status_code,
            "background_ready_s": ready_s, "median_ms": round(statistics.median(ms), 1),
            "p95_ms": round(p95(ms), 1), "views": n,
            "server_cpu_ms_per_view": (round((cpu1 - cpu0) / n, 1)
                                       if cpu0 is not None and cpu1 is not None else None)}


def pages(base: str, pid: int | None = None) -> dict[str, Any]:
    """The overview, the Labelling page and the Export page (:func:`page_latency`)."""
    c = login(base, "rev0")
    out = {name: page_latency(c, path, pid=pid) for name, path in
           (("overview", "/"), ("label", "/label"), ("export", "/stages/export"))}
    c.close()
    return out


def gold_read(ws: Workspace, n: int = GOLD_READS) -> dict[str, Any]:
    """``gold_labels(ws)`` over every labelled item, ``n`` times in this process."""
    from glamlab.tasks.labels import gold_labels

    ms = []
    for _ in range(n):
        t0 = time.perf_counter()
        gold = gold_labels(ws)
        ms.append((time.perf_counter() - t0) * 1000)
    t = ws.store.t.labels
    with ws.store.read() as conn:
        rows = conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()
        second = conn.execute(sa.select(sa.func.count()).select_from(t)
                              .where(t.c.source == SECOND_SOURCE)).scalar()
    return {"median_ms": round(statistics.median(ms), 1), "reads": n,
            "gold_items": len(gold), "label_rows": rows, "second_labeller_rows": second}


def two_reviewers(base: str, ws: Workspace, tokens: list[str], per: int = 500) -> dict[str, Any]:
    """Two reviewers at once, each deciding ``per`` items through the JSON API the way the
    page does: lease a page (25 rows), decide each row naming the version seen, lease
    again. Afterwards the store is checked: every decision answered 200 is stored once
    (lost, duplicates), and no row was handed to both (overlaps)."""
    got: dict[int, list[int]] = {0: [], 1: []}
    ok: dict[int, list[int]] = {0: [], 1: []}
    conflicts = [0, 0]
    ms: list[float] = []
    lock = threading.Lock()

    def reviewer(k: int) -> None:
        api = httpx.Client(base_url=base, timeout=30,
                           headers={"Authorization": f"Bearer {tokens[k]}"})
        local: list[float] = []
        while len(ok[k]) < per:
            rows = api.get("/api/queue", params={"limit": 25, "sort": "oldest"}).json()
            if not rows:
                break
            got[k].extend(r["id"] for r in rows)
            for r in rows:
                if len(ok[k]) >= per:
                    break
                t0 = time.perf_counter()
                res = api.post("/api/decisions", json={"queue_id": r["id"], "action": "accept",
                                                       "seen_version": r["version"]})
                local.append((time.perf_counter() - t0) * 1000)
                if res.status_code == 200:
                    ok[k].append(r["id"])
                elif res.status_code == 409:
                    conflicts[k] += 1
                else:
                    raise RuntimeError(f"decision failed: {res.status_code} {res.text}")
        with lock:
            ms.extend(local)
        api.close()

    threads = [threading.Thread(target=reviewer, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    answered = ok[0] + ok[1]
    td = ws.store.t.decisions
    with ws.store.read() as conn:
        stored = [int(r[0]) for r in conn.execute(
            sa.select(td.c.queue_id).where(td.c.queue_id.in_(answered)))]
    counts: dict[int, int] = {}
    for q in stored:
        counts[q] = counts.get(q, 0) + 1
    return {"decisions": [len(ok[0]), len(ok[1])],
            "lost": sum(1 for q in set(answered) if q not in counts),
            "duplicates": sum(n - 1 for n in counts.values() if n > 1)
            + (len(answered) - len(set(answered))),
            "overlaps": len(set(got[0]) & set(got[1])), "conflicts_409": sum(conflicts),
            "decision_p95_ms": round(p95(ms), 1)}


def round_direct(ws: Workspace) -> dict[str, Any]:
    lease_ms, decide_ms = [], []
    for _ in range(50):
        t0 = time.perf_counter()
        rows = review.lease_queue(ws, "direct", sort="uncertainty", limit=25)
        lease_ms.append((time.perf_counter() - t0) * 1000)
    rows = review.lease_queue(ws, "direct", sort="score", limit=50)
    for row in rows:
        t0 = time.perf_counter()
        review.decide(ws, "direct", row["id"], "accept", row["version"])
        decide_ms.append((time.perf_counter() - t0) * 1000)
    return {"lease_p95_ms": p95(lease_ms), "decide_p95_ms": p95(decide_ms)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--dir", default=None, help="workspace folder to build or reuse")
    ap.add_argument("--per-reviewer", type=int, default=500,
                    help="decisions each of two simultaneous reviewers makes")
    ap.add_argument("--labelled", type=int, default=100_000,
                    help="items with gold labels (some by two people; built once)")
    ap.add_argument("--pages-only", action="store_true",
                    help="time only the overview, Labelling and Export pages and gold reads")
    args = ap.parse_args()
    tmp = None
    if args.dir:
        root = Path(args.dir)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="glamlab-web-bench-")
        root = Path(tmp.name) / "ws"
    t0 = time.perf_counter()
    ws = build(root, args.items, args.labelled)
    build_s = time.perf_counter() - t0
    t = ws.store.t
    with ws.store.read() as conn:
        n_items = conn.execute(sa.select(sa.func.count()).select_from(t.items)).scalar()
        n_preds = conn.execute(sa.select(sa.func.count()).select_from(t.predictions)).scalar()
        n_open = conn.execute(sa.select(sa.func.count()).select_from(t.review_queue)
                              .where(t.review_queue.c.status == "open")).scalar()
    tokens = [api_token(ws, f"rev{k}") for k in range(CLIENTS)]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "glamlab", "-w", str(root), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")})
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/login", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the server did not start: "
                                   + (server.stderr.read().decode() if server.stderr else ""))
            time.sleep(0.2)
        login(base, "rev0").get("/login")  # warm up: imports
        page_views = pages(base, server.pid)  # first: nothing worked out in the background yet
        if args.pages_only:
            server.terminate()
            server.wait(10)
            out = {"benchmark": "web", "database": "sqlite", "items": n_items,
                   "build_s": round(build_s, 1), "pages": page_views,
                   "gold_read": gold_read(ws),
                   "load_average_1min": round(os.getloadavg()[0], 1),
                   "cpus": os.cpu_count(),
                   "note": ("pages: first view (asks the refresher), seconds until the "
                            "refresher stored its sections, then the median of "
                            f"{PAGE_VIEWS} views; gold_read: gold_labels(ws), median of "
                            f"{GOLD_READS}")}
            ws.close()
            print(json.dumps(out, indent=2))
            if tmp is not None:
                tmp.cleanup()
            return
        login(base, "rev0").get("/queue")  # warm up: templates, first count
        reports = reports_latency(base)
        rounds = {c: [round_http(base, tokens, c) for _ in range(ROUNDS)] for c in (1, CLIENTS)}
        pair = two_reviewers(base, ws, tokens, per=args.per_reviewer)
    finally:
        server.terminate()
        server.wait(10)
    direct = [round_direct(ws) for _ in range(ROUNDS)]

    def med(key: str, rs: list[dict[str, Any]]) -> float:
        return round(statistics.median(r[key] for r in rs), 2)

    def block(rs: list[dict[str, Any]]) -> dict[str, Any]:
        return {k: med(k, rs) for k in ("queue_p95_ms", "queue_median_ms", "decision_p95_ms",
                                        "decision_median_ms")} | {
            "conflicts": sum(r["conflicts"] for r in rs)}

    concurrent, sequential = block(rounds[CLIENTS]), block(rounds[1])
    out = {
        "benchmark": "web",
        "database": "sqlite",
        "items": n_items, "predictions": n_preds, "queue_open_at_start": n_open,
        "build_s": round(build_s, 1),
        "requests_per_round": REQUESTS * 2, "rounds": ROUNDS,
        "clients": CLIENTS,
        "reports_p95_ms": reports["reports_p95_ms"],
        "queue_p95_ms": concurrent["queue_p95_ms"],
        "decision_p95_ms": concurrent["decision_p95_ms"],
        "reports": reports,
        "pages": page_views,
        "gold_read": gold_read(ws),
        "two_reviewers": pair,
        f"concurrent_{CLIENTS}_reviewers": concurrent,
        "sequential_1_reviewer": sequential,
        "direct_library": {"lease_p95_ms": med("lease_p95_ms", direct),
                           "decide_p95_ms": med("decide_p95_ms", direct)},
        "targets_ms": {"reports_p95": 500, "queue_p95": 300, "decision_p95": 100},
        "load_average_1min": round(os.getloadavg()[0], 1),
        "cpus": os.cpu_count(),
        "note": ("p95 over all requests of a round, median of 3 rounds. A reviewer loads the "
                 "HTML queue page (leases 25 rows) then POSTs /api/decisions for its first row "
                 "with the version shown; headline = concurrent reviewers. Timings on a shared "
                 "machine: see load_average_1min."),
    }
    ws.close()
    print(json.dumps(out, indent=2))
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
