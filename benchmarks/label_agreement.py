"""The Labelling page's first view and the agreement between labellers at collection
scale: a SQLite workspace built by :func:`benchmarks.web.build` (``--items`` items,
``--labelled`` of them with gold labels, every tenth also a second curator's, every
twentieth a blind second labeller's), driven in this process through the real web app
(FastAPI's TestClient, the refresher's background thread included).

``label_first_view``: per round, a fresh app (nothing remembered), the stored agreement
deleted (as after a new label), a reviewer signed in, then ``GET /label`` timed from send
to the last byte; then the background work is waited for. Median over ``--rounds``.
``label_agreement_first``: the same for ``GET /label/agreement`` where it exists (the
line the page loads on its own).
``agreement``: :func:`glamlab.tasks.agreement.agreement` over the whole workspace, median
of ``--repeats``, with the share its bootstrap interval (``alpha_interval``) took, and
the interval's figures (the same seed gives the same figures before and after).
``--interval-only``: ``alpha_interval`` alone, ``--repeats`` times (steadier than the
whole agreement on a shared machine).

Run it against another checkout's source with ``PYTHONPATH=/path/to/src`` (it only falls
back on this checkout's ``src``), e.g. to compare with main:

    PYTHONPATH=src python benchmarks/label_agreement.py --dir /tmp/ws200k
    PYTHONPATH=/work/main/src python benchmarks/label_agreement.py --dir /tmp/ws200k
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.append(str(Path(__file__).resolve().parents[1] / "src"))
sys.path.append(str(Path(__file__).resolve().parent))

import sqlalchemy as sa  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

import glamlab  # noqa: E402
from glamlab.web import create_app  # noqa: E402
from glamlab.web.app import stop_background  # noqa: E402
from web import PASSWORD, build  # noqa: E402

#: the module, not the function ``glamlab.tasks`` exports under the same name
agreement_module = importlib.import_module("glamlab.tasks.agreement")


def _forget_agreement(ws: Any) -> None:
    t = ws.store.t.report_cache
    with ws.store.write() as conn:
        conn.execute(t.delete().where(t.c.name == "agreement"))


def first_view(ws: Any, path: str) -> tuple[float, int]:
    """``path`` on a fresh app with no stored agreement: ms, status."""
    _forget_agreement(ws)
    app = create_app(ws)
    c = TestClient(app)
    try:
        c.get("/login")
        r = c.post("/login", data={"username": "rev0", "password": PASSWORD,
                                   "csrf": c.cookies.get("glamlab_login_csrf"), "next": "/"},
                   follow_redirects=False)
        assert r.status_code == 303, r.status_code
        t0 = time.perf_counter()
        r = c.get(path)
        ms = (time.perf_counter() - t0) * 1000
    finally:
        c.close()
        stop_background(app, 900)
    return ms, r.status_code


def agreement_timing(ws: Any, repeats: int) -> dict[str, Any]:
    inner = agreement_module.alpha_interval
    spent: list[float] = []

    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        out = inner(*args, **kwargs)
        spent.append(time.perf_counter() - t0)
        return out

    agreement_module.alpha_interval = timed  # type: ignore[assignment]
    totals = []
    try:
        for _ in range(repeats):
            t0 = time.perf_counter()
            r = agreement_module.agreement(ws)
            totals.append(time.perf_counter() - t0)
    finally:
        agreement_module.alpha_interval = inner  # type: ignore[assignment]
    return {"median_s": round(statistics.median(totals), 2),
            "alpha_interval_median_s": round(statistics.median(spent), 2) if spent else None,
            "repeats": repeats, "shared_items": r["shared_items"],
            "krippendorff_alpha": r["krippendorff_alpha"],
            "alpha_interval": r["alpha_interval"]}


def interval_timing(ws: Any, repeats: int) -> dict[str, Any]:
    """``alpha_interval`` alone over the workspace's shared items (one variable, as
    :func:`agreement` builds it for a single-label task), median of ``repeats``."""
    from glamlab.tasks.labels import annotator_labels

    ann = annotator_labels(ws)
    everyone = sorted({a for per in ann.values() for a in per})
    units = [[per[a][0] if a in per else None for a in everyone]
             for per in ann.values() if len(per) >= 2]
    seconds = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        got = agreement_module.alpha_interval([units])
        seconds.append(time.perf_counter() - t0)
    return {"median_s": round(statistics.median(seconds), 2),
            "each_s": [round(x, 2) for x in seconds], "shared_items": len(units),
            "interval": list(got)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--items", type=int, default=200_000)
    ap.add_argument("--labelled", type=int, default=200_000)
    ap.add_argument("--dir", required=True, help="workspace folder to build or reuse")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--interval-only", action="store_true",
                    help="time only the bootstrap interval (alpha_interval), --repeats times")
    args = ap.parse_args()
    ws = build(Path(args.dir), args.items, args.labelled)
    if args.interval_only:
        out = {"benchmark": "label_agreement", "alpha_interval": interval_timing(
            ws, args.repeats), "glamlab_src": str(Path(glamlab.__file__).resolve().parent),
            "load_average_1min": round(os.getloadavg()[0], 1)}
        ws.close()
        print(json.dumps(out, indent=2))
        return
    with ws.store.read() as conn:
        n_items = conn.execute(sa.select(sa.func.count()).select_from(ws.store.t.items)).scalar()
    page = [first_view(ws, "/label") for _ in range(args.rounds)]
    # an older glamlab has no /label/agreement (404): None
    line = [first_view(ws, "/label/agreement") for _ in range(args.rounds)]
    line = [x for x in line if x[1] == 200]
    out = {
        "benchmark": "label_agreement", "database": "sqlite", "items": n_items,
        "glamlab_src": str(Path(glamlab.__file__).resolve().parent),
        "label_first_view_ms": round(statistics.median(ms for ms, _ in page), 1),
        "label_first_view_each_ms": [round(ms, 1) for ms, _ in page],
        "label_first_view_status": sorted({s for _, s in page}),
        "label_agreement_first_ms": (round(statistics.median(ms for ms, _ in line), 1)
                                     if line else None),
        "agreement": agreement_timing(ws, args.repeats),
        "rounds": args.rounds,
        "load_average_1min": round(os.getloadavg()[0], 1), "cpus": os.cpu_count(),
        "note": ("first views on a fresh app with no stored agreement, median of rounds; "
                 "agreement(ws) median of repeats; a shared machine: see load_average_1min"),
    }
    ws.close()
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
