"""When the cross-validation picks a method that corrects nothing (cc or pcc), the
"corrected" share is the raw one in every group: the result, the command line and the page
say so instead of calling it corrected (a multi-label Tate project read corrected == raw in
every decade with no word why).

And it picks one only where it earns it: a method that corrects nothing is used only where
its cross-validated MAE is lower than the best correction's by more than the standard
error of the paired difference over the held-out cells; a tie goes to the correction
(before: to cc, listed first). ``settings["corrected"]`` says which it was."""

from __future__ import annotations

import json

import numpy as np
import pyarrow.parquet as pq

import glamlab.trends.quantify as quantify
from glamlab.cli import main
from glamlab.trends import trends
from glamlab.trends.quantify import PREFERRED, UNCORRECTED, ErrorRates, choose
from tests.tasks.helpers import add_items, write_csv
from tests.trends.helpers import add_model_with_predictions


def _exact_group(n: int, share: float) -> ErrorRates:
    """Labelled items a classifier gets all right: the raw count is already the truth."""
    y = np.arange(n) < round(n * share)
    s = np.where(y, 0.95, 0.05)
    return ErrorRates.from_predictions("x", y, s, s >= 0.5, source="synthetic")


def _balanced_errors_group(n: int, share: float, wrong: int) -> ErrorRates:
    """Labelled items where the classifier misses ``wrong`` positives and wrongly flags
    ``wrong`` negatives, with the same scores as the ones it gets right: the raw count is
    exactly the truth in every group, but the error rates differ from group to group, so
    every correction (which reads the other groups' rates) is pulled toward their share."""
    k = round(n * share)
    y = np.arange(n) < k
    predicted = y.copy()
    predicted[:wrong] = False  # missed positives
    predicted[k:k + wrong] = True  # false positives
    s = np.where(predicted, 0.9, 0.1)
    return ErrorRates.from_predictions("x", y, s, predicted, source="synthetic")


def test_a_tie_with_a_perfect_classifier_goes_to_a_correction():
    """A classifier that gets every labelled item right: cc and the corrections that divide
    by tpr - fpr are all exact, their MAEs tie at 0; before, cc won because it is listed
    first."""
    groups = {str(1900 + 10 * k): _exact_group(100, share)
              for k, share in enumerate([0.1, 0.3, 0.5, 0.7])}
    c = choose({"x": groups}, n_boot=50)
    assert c.table["cc"]["mae"] == c.table[c.method]["mae"] == 0.0, c.table
    assert c.method not in UNCORRECTED and c.corrected, c.table
    assert c.margin is not None and c.margin["uncorrected"] == "cc"
    assert c.margin["difference"] == 0.0 and c.margin["cells"] == 4
    assert "not better by more than the cross-validation's noise" in c.reason
    assert c.to_dict()["corrected"] is True


def test_choose_keeps_cc_where_it_is_clearly_better_and_says_it_is_no_correction():
    groups = {str(1900 + 10 * k): _balanced_errors_group(100, share, 5)
              for k, share in enumerate([0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9])}
    c = choose({"x": groups}, n_boot=50)
    assert c.method == "cc" and not c.corrected, c.table
    assert c.table["cc"]["mae"] == 0.0
    m = c.margin
    assert m is not None and m["correction"] not in UNCORRECTED and m["cells"] == 8
    assert round(m["difference"], 4) == c.table[m["correction"]]["mae"]  # cc: no errors
    assert m["difference"] > m["standard_error"] > 0, m
    assert "cc is not a correction" in c.reason
    assert "the corrected share is the model's own share in every group" in c.reason
    assert "by more than the cross-validation's noise" in c.reason
    assert "pass a method to correct anyway" in c.reason
    assert c.to_dict()["corrected"] is False
    assert c.to_dict()["uncorrected_margin"]["correction"] == m["correction"]


def _rows(errors: dict[str, list[float]]) -> list[dict]:
    return [{"group": str(i), "method": m, "n": 100, "truth": 0.5, "estimate": 0.5 + e,
             "sd": 0.01} for m, es in errors.items() for i, e in enumerate(es)]


def test_cc_lower_by_less_than_the_noise_gives_way_to_the_correction(monkeypatch):
    """cc's MAE is a little lower than cpcc's but the held-out cells disagree on which is
    better (paired differences +0.02, -0.03, +0.04, -0.02): within the standard error, so
    the correction is used. Where every cell agrees, cc keeps its place."""
    def fake(errors):
        def cv(groups, **_):
            return _rows(errors)
        return cv

    groups = {"x": {"a": _exact_group(100, 0.5)}}
    methods = ("cc", "cpcc")
    monkeypatch.setattr(quantify, "cross_validate",
                        fake({"cc": [0.01, 0.05, 0.00, 0.08], "cpcc": [0.03, 0.02, 0.04, 0.06]}))
    c = choose(groups, methods=methods)
    assert c.table["cc"]["mae"] < c.table["cpcc"]["mae"]
    assert c.method == "cpcc", c.margin
    assert 0 < c.margin["difference"] < c.margin["standard_error"]
    monkeypatch.setattr(quantify, "cross_validate",
                        fake({"cc": [0.01, 0.02, 0.00, 0.03], "cpcc": [0.03, 0.04, 0.03, 0.05]}))
    c = choose(groups, methods=methods)
    assert c.method == "cc" and c.margin["difference"] > c.margin["standard_error"], c.margin


def _workspace(make_ws, name: str, errors: bool):
    """Four decades of 40 labelled test items, 20-80% of them 'a'; a model that gets them
    all right (``errors`` false) or misses 4 and wrongly flags 4 per decade."""
    ws = make_ws(name, modality="text", labels=["a", "b"], multi_label=True)
    years = ["1900", "1910", "1920", "1930"]
    tests = [{"id": f"t{y}-{i}", "text": "x", "meta": {"year": y}}
             for y in years for i in range(40)]
    truth = {it["id"]: int(it["id"].split("-")[1]) < 8 + 8 * k
             for k, y in enumerate(years) for it in tests if it["id"].startswith(f"t{y}-")}
    said = dict(truth)
    if errors:
        for k, y in enumerate(years):
            for i in range(4):
                said[f"t{y}-{i}"] = False  # missed
                said[f"t{y}-{8 + 8 * k + i}"] = True  # wrongly flagged
    add_items(ws, tests)
    add_model_with_predictions(ws, {i: ({"a": 0.9, "b": 0.1} if yes else {"a": 0.1, "b": 0.9})
                                    for i, yes in said.items()})
    write_csv(ws.root / "test.csv", ["id", "label"],
              [[i, "a" if yes else "b"] for i, yes in truth.items()])
    from glamlab.tasks.labels import import_labels

    import_labels(ws, ws.root / "test.csv", split="test")
    return ws


def test_trends_cli_and_page_do_not_call_an_uncorrected_share_corrected(make_ws, tmp_path,
                                                                        capsys):
    ws = _workspace(make_ws, "balanced", errors=True)
    res = trends(ws, by="year", label="a", n_boot=100)
    assert res.method.split("+")[0] == "cc", res.settings["choice"]
    assert res.settings["corrected"] is False
    assert all(r.estimate == r.raw for r in res.rows)  # what the data scientist saw ...
    assert "cc is not a correction" in res.settings["choice"]["reason"]  # ... now said

    args = ["-w", str(ws.root), "trends", "--by", "year", "--label", "a"]
    assert main([*args, "--html", str(tmp_path / "t.html"),
                 "--parquet", str(tmp_path / "t.parquet")]) in (None, 0)
    head = capsys.readouterr().out.splitlines()[0]
    assert "not corrected (cc" in head and "corrected with" not in head, head
    page = (tmp_path / "t.html").read_text(encoding="utf-8")
    assert "removes the model&#39;s measured errors" not in page
    assert "not corrected here" in page
    meta = json.loads(pq.read_schema(tmp_path / "t.parquet").metadata[b"glamlab.trends"])
    assert meta["settings"]["corrected"] is False
    assert main([*args, "--json"]) in (None, 0)
    doc = json.loads(capsys.readouterr().out)
    assert "not a correction" in doc["settings"]["choice"]["reason"]
    assert doc["settings"]["corrected"] is False


def test_a_perfect_model_is_corrected_and_the_result_says_so(make_ws, tmp_path, capsys):
    ws = _workspace(make_ws, "exact", errors=False)
    res = trends(ws, by="year", label="a", n_boot=100)
    assert res.method not in UNCORRECTED and res.settings["corrected"] is True, \
        res.settings["choice"]
    assert res.settings["choice"]["corrected"] is True
    assert res.settings["choice"]["reason"].startswith(PREFERRED)
    # the page's plain words: as close as counting, and a correction
    from glamlab.trends.words import method_words

    words = method_words(res)
    assert "about as close" in words and "corrects the model's errors" in words, words
    assert "MAE" not in words
    args = ["-w", str(ws.root), "trends", "--by", "year", "--label", "a"]
    assert main(args) in (None, 0)
    head = capsys.readouterr().out.splitlines()[0]
    assert f"({res.method})" in head and "corrected with" in head, head
    assert "not corrected" not in head
    assert main([*args, "--json"]) in (None, 0)
    assert json.loads(capsys.readouterr().out)["settings"]["corrected"] is True
    # a method given: corrected says what that method does
    assert trends(ws, by="year", label="a", method="pcc", n_boot=50).settings[
        "corrected"] is False
    assert trends(ws, by="year", label="a", method="acc", n_boot=50).settings[
        "corrected"] is True
    assert main([*args, "--method", "cc", "--parquet", str(tmp_path / "t.parquet")]) in (None, 0)
    meta = json.loads(pq.read_schema(tmp_path / "t.parquet").metadata[b"glamlab.trends"])
    assert meta["settings"]["corrected"] is False
