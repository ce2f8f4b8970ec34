"""A rare concept's trends page when the labelled test items hold no item with the label
(the historian's "emigration" project): every group's share "cannot correct". Before,
the page said "No group is large enough to read on its own ... group by century" while
the 1930s held 762 items, "their intervals are wide" when there were none, and "the
model finds 0.0% of those with it" when none was labelled. The method's words are plain,
its short name in parentheses (no "cpcc" alone, no "pseudo-item of prior", no "to
cross-validate on"), and the method list does not claim a test that was not made."""

from __future__ import annotations

import re
from typing import Any

from glamlab.cli import main
from tests.tasks.helpers import add_items, write_csv
from tests.trends.helpers import add_model_with_predictions

from .conftest import csrf_of
from .test_trends_page import _client


def _rare_ws(make_ws: Any) -> Any:
    from glamlab.auth import add_user
    from glamlab.tasks.labels import import_labels

    ws = make_ws("emig", modality="text", labels=["emigration", "other"])
    decades = [("1920", 40, 2), ("1930", 120, 30), ("1940", 50, 1)]
    items = [{"id": f"{y}-{i}", "text": "x", "meta": {"date": y}}
             for y, n, _k in decades for i in range(n)]
    tests = [{"id": f"t{i}", "text": "x", "meta": {"date": "labelled"}} for i in range(60)]
    add_items(ws, items + tests)
    said = {f"{y}-{i}" for y, _n, k in decades for i in range(k)} | {"t0", "t1"}
    add_model_with_predictions(ws, {it["id"]: ({"emigration": 0.8, "other": 0.2}
                                               if it["id"] in said else
                                               {"emigration": 0.2, "other": 0.8})
                                    for it in items + tests})
    write_csv(ws.root / "test.csv", ["id", "label"], [[f"t{i}", "other"] for i in range(60)])
    import_labels(ws, ws.root / "test.csv", split="test")
    add_user(ws, "val", "correct horse battery", "viewer")
    return ws


def test_no_labelled_positive_is_said_once_and_plainly(make_ws: Any, capsys: Any) -> None:
    from glamlab.trends import trends
    from glamlab.trends.words import label_summary

    ws = _rare_ws(make_ws)
    res = trends(ws, by="date:decade", label="emigration", n_boot=50)
    said = " ".join(label_summary(res, "emigration"))
    assert "hold no item with the label 'emigration'" in said, said
    assert "group more coarsely" not in said and "by century" not in said
    assert "intervals are wide" not in said
    page = res.to_html()
    assert "true-positive rate 0.00" not in page and "finds 0%" not in page
    assert "none is labelled" in page
    assert "pseudo-item" not in page and "pseudo-item" not in res.settings["interval"]
    # the command line: the method in plain words, its short name in parentheses
    assert main(["-w", str(ws.root), "trends", "--by", "date:decade",
                 "--label", "emigration"]) in (None, 0)
    out = capsys.readouterr().out
    head = out.splitlines()[0]
    assert "corrected with re-calibrated scores (cpcc" in head, head
    assert "to cross-validate on" not in out and "default cpcc" not in out
    assert "too few to test the methods" not in head  # the reason in words, on its own line


def test_the_web_page_says_it_without_contradictions(make_ws: Any) -> None:
    ws = _rare_ws(make_ws)
    c = _client(ws, "val")
    page = c.get("/stages/trends").text
    select = re.search(r'<select id="trends-method".*?</select>', page, re.S)
    assert select and "the one that does best on the labelled items" not in select.group(0)
    r = c.post("/stages/trends", data={"csrf": csrf_of(c), "by": "date:decade",
                                       "label": "emigration", "method": ""})
    assert r.status_code == 200, r.text
    html = r.text
    assert "hold no item with the label &#39;emigration&#39;" in html, html
    assert "No group is large enough" not in html and "intervals are wide" not in html
    assert "of those with it and wrongly" not in html  # no "finds 0.0% of those with it"
    assert "how many of those with it it finds cannot be measured" in html
    assert "pseudo-item" not in html and "to cross-validate on" not in html
