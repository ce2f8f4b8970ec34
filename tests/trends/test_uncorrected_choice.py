"""When the cross-validation picks a method that corrects nothing (cc or pcc), the
"corrected" share is the raw one in every group: the result, the command line and the page
say so instead of calling it corrected (a multi-label Tate project read corrected == raw in
every decade with no word why)."""

from __future__ import annotations

import json

import numpy as np

from glamlab.cli import main
from glamlab.trends import trends
from glamlab.trends.quantify import ErrorRates, choose
from tests.tasks.helpers import add_items, write_csv
from tests.trends.helpers import add_model_with_predictions


def _exact_group(n: int, share: float) -> ErrorRates:
    """Labelled items a classifier gets all right: the raw count is already the truth."""
    y = np.arange(n) < round(n * share)
    s = np.where(y, 0.95, 0.05)
    return ErrorRates.from_predictions("x", y, s, s >= 0.5, source="synthetic")


def test_choose_says_when_the_method_it_picks_is_no_correction():
    groups = {str(1900 + 10 * k): _exact_group(100, share)
              for k, share in enumerate([0.1, 0.3, 0.5, 0.7])}
    c = choose({"x": groups}, n_boot=50)
    assert c.method == "cc", c.table
    assert "cc is not a correction" in c.reason
    assert "the corrected share is the model's own share in every group" in c.reason
    assert "pass a method to correct anyway" in c.reason


def test_trends_cli_and_page_do_not_call_an_uncorrected_share_corrected(make_ws, tmp_path,
                                                                        capsys):
    ws = make_ws("exact", modality="text", labels=["a", "b"], multi_label=True)
    years = ["1900", "1910", "1920", "1930"]
    tests = [{"id": f"t{y}-{i}", "text": "x", "meta": {"year": y}}
             for k, y in enumerate(years) for i in range(40)]
    truth = {it["id"]: int(it["id"].split("-")[1]) < 8 + 8 * k
             for k, y in enumerate(years) for it in tests if it["id"].startswith(f"t{y}-")}
    add_items(ws, tests)
    add_model_with_predictions(ws, {i: ({"a": 0.9, "b": 0.1} if yes else {"a": 0.1, "b": 0.9})
                                    for i, yes in truth.items()})
    write_csv(ws.root / "test.csv", ["id", "label"],
              [[i, "a" if yes else "b"] for i, yes in truth.items()])
    from glamlab.tasks.labels import import_labels

    import_labels(ws, ws.root / "test.csv", split="test")

    res = trends(ws, by="year", label="a", n_boot=100)
    assert res.method.split("+")[0] == "cc", res.settings["choice"]
    assert all(r.estimate == r.raw for r in res.rows)  # what the data scientist saw ...
    assert "cc is not a correction" in res.settings["choice"]["reason"]  # ... now said

    args = ["-w", str(ws.root), "trends", "--by", "year", "--label", "a"]
    assert main([*args, "--html", str(tmp_path / "t.html")]) in (None, 0)
    head = capsys.readouterr().out.splitlines()[0]
    assert "not corrected (cc" in head and "corrected by" not in head, head
    page = (tmp_path / "t.html").read_text(encoding="utf-8")
    assert "removes the model&#39;s measured errors" not in page
    assert "not corrected here" in page
    assert main([*args, "--json"]) in (None, 0)
    doc = json.loads(capsys.readouterr().out)
    assert "not a correction" in doc["settings"]["choice"]["reason"]
