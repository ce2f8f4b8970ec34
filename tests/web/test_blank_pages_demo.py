"""The blank-pages demo lifecycle on the bundled sample (every stage, on SQLite or
PostgreSQL), and what a reviewer then sees on an item page: the ink the model found."""

from __future__ import annotations

import re
from typing import Any

import pytest

from glamlab.demo import DEMOS, project
from tests.web.conftest import login


def _run(ws: Any, said: list[str]) -> dict[str, Any]:
    p = project("blank-pages")
    assert p.stages, "the blank-pages demo has its own lifecycle"
    return {name: stage(ws, p, said.append) for name, stage in p.stages}


def test_blank_pages_demo_and_the_reviewers_explanation(make_ws) -> None:
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.web import create_app

    assert "blank-pages" in DEMOS
    p = project("blank-pages")
    ws = make_ws("blank", **p.init)
    assert ws.card.positive_label == "blank" and ws.card.price_per_item > 0 and ws.card.need
    said: list[str] = []
    out = _run(ws, said)
    text = "\n".join(said)

    assert ws.count_items() == 80
    assert out["labels"]["split"]["test"] > 0
    names = {s.split("@")[0] for s in out["baseline"]["baselines"]}
    assert {"prior", "majority", "threshold"} <= names
    assert out["train"]["blank-ink"].startswith("blank-pages@")
    board = out["evaluate"]["leaderboard"]
    assert board[0]["candidate"].startswith(("blank-pages", "page-stats"))
    assert "verdict" in out["evaluate"]
    assert out["run"]["failed"] == 0 and out["run"]["done"] == 80

    act = out["act"]
    policy = act["policy"]["labels"]["blank"]
    assert 0.5 <= policy["review"] < policy["accept"] < 1  # review band below the margin
    f = act["dry_run"]["filter"]
    assert f["accepted_as_positive"] + f["sent_on"] == 80 and f["accepted_as_positive"] > 10
    # the workload line says what a person is asked, never "0 pages, about 1 minute"
    workload = next(line for line in said if "Review workload:" in line)
    assert ("0 pages" not in workload
            and (("none" in workload) == (act["dry_run"]["review_workload"] == 0)))
    assert act["money_saved"] == pytest.approx(f["accepted_as_positive"] * p.init[
        "price_per_item"])
    lo, hi = act["money_saved_per_100000"]["ci95"]
    assert lo < act["money_saved_per_100000"]["estimate"] < hi
    assert "95% interval" in text and "EUR saved" in text
    send_on = (ws.root / "exports" / "send-on.txt").read_text().split()
    assert len(send_on) == f["sent_on"]
    assert out["explain"] and all(v["text"] for v in out["explain"].values())
    # "put in the review queue" counts the pages a person is asked about, not those a
    # curator's gold label settles (written, but nobody is asked): said apart
    import sqlalchemy as sa

    from glamlab.store.queue import settled, shown

    rq = ws.store.t.review_queue
    with ws.store.read() as conn:
        asked = conn.execute(sa.select(sa.func.count()).select_from(rq).where(
            rq.c.status == "open", *shown(rq))).scalar()
        by_gold = conn.execute(sa.select(sa.func.count()).select_from(rq).where(
            *settled(rq))).scalar()
    acted = next(line for line in said if line.startswith("Then acted:"))
    assert f" {asked} {'page' if asked == 1 else 'pages'} put in the review queue" in acted
    assert (f"{by_gold} more {'is' if by_gold == 1 else 'are'} settled by a curator's "
            "label" in acted) == bool(by_gold), acted

    # a reviewer opens a page: the sentence and the boxes of the ink found
    add_user(ws, "rey", "correct horse battery", "reviewer")
    mark = next(it for it in ws.items() if it.meta.get("kind") == "number_or_mark_only")
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        html = c.get(f"/items/{mark.item_id}").text
    assert "Why the model says so" in html and "Ink found" in html
    assert re.search(r'<rect class="ink" x="[\d.]+" y="[\d.]+"', html)
