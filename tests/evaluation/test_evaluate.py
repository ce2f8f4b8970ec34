"""glamlab evaluate end to end: leaderboard, stored results, verdict, failures, report."""

from __future__ import annotations

import csv
import json
import re
from html.parser import HTMLParser
from typing import ClassVar

import numpy as np
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from glamlab.cli import cli
from glamlab.demo import demo_data
from glamlab.errors import ItemError
from glamlab.evaluation import Candidate, evaluate, fit_baselines
from glamlab.predictors.base import Predictor
from glamlab.reports.evaluation import write_report
from glamlab.tasks import import_labels, is_frozen, split_labels
from tests.tasks.helpers import add_csv_items, write_csv


class Oracle(Predictor):
    """Knows the answer (from metadata): the model every baseline should lose to."""

    name: ClassVar[str] = "oracle"
    needs_fit: ClassVar[bool] = False

    def __init__(self) -> None:
        pass

    def _predict_batch(self, items):
        out = np.zeros((len(items), len(self.classes_)))
        for r, it in enumerate(items):
            out[r, self.classes_.index(it.meta["truth"])] = 1.0
        return out


class Flaky(Oracle):
    """Right where it answers, but cannot read items whose id ends in 3."""

    name: ClassVar[str] = "flaky"

    def _predict_batch(self, items):
        for it in items:
            if it.item_id.endswith("3"):
                raise ItemError(f"{it.item_id}: unreadable", item=it.item_id)
        return super()._predict_batch(items)


class Buggy(Oracle):
    """Right where it answers, but a decoder bug (not an ItemError) on ids ending in 7."""

    name: ClassVar[str] = "buggy"

    def _predict_batch(self, items):
        for it in items:
            if it.item_id.endswith("7"):
                raise ZeroDivisionError("division by zero in a decoder")
        return super()._predict_batch(items)


@pytest.fixture
def lang_ws(make_ws):
    with open(demo_data("language") / "texts.csv", newline="", encoding="utf-8") as fh:
        labels = sorted({r["label"] for r in csv.DictReader(fh)})
    ws = make_ws("lang", modality="text", labels=labels)
    rows = add_csv_items(ws, demo_data("language") / "texts.csv", text_column="text",
                         meta_columns=["kind", "label"])
    with ws.store.write() as conn:  # the oracle's answer key
        for r in rows:
            conn.execute(ws.store.t.items.update().where(ws.store.t.items.c.item_id == r["id"])
                         .values(meta={"kind": r["kind"], "truth": r["label"]}))
    import_labels(ws, demo_data("language") / "texts.csv")
    split_labels(ws, test_size=0.3, seed=0)
    return ws


def _fitted(ws, p):
    from glamlab.registry.training import fit_on_train

    fit_on_train(ws, p)
    return p


def test_evaluate_stores_results_and_freezes_the_split(lang_ws) -> None:
    ws = lang_ws
    cands, _ = fit_baselines(ws)
    assert not is_frozen(ws)
    result = evaluate(ws, cands, n_boot=200)
    assert is_frozen(ws)
    board = result.leaderboard()
    values = [r["f1_macro"] for r in board]
    assert values == sorted(values, reverse=True)
    assert all(r["low"] <= r["f1_macro"] <= r["high"] for r in board)
    t = ws.store.t.evaluations
    with ws.store.read() as conn:
        rows = conn.execute(sa.select(t)).all()
    assert {r.candidate for r in rows} == {"prior", "majority"}
    assert {r.test_fingerprint for r in rows} == {result.test_fingerprint}
    assert all(r.model_id is not None for r in rows)
    assert "baselines only" in result.verdict


def test_the_leaderboard_reads_as_a_field_and_still_as_a_call(lang_ws) -> None:
    """Everything else on an EvaluationResult is a field, so pd.DataFrame(res.leaderboard)
    raised (a bound method); now it is the rows, and res.leaderboard() still works."""
    import pandas as pd

    result = evaluate(lang_ws, fit_baselines(lang_ws, save=False)[0], n_boot=50, store=False)
    frame = pd.DataFrame(result.leaderboard)
    assert list(frame["candidate"]) == [r["candidate"] for r in result.leaderboard()]
    assert len(frame) == 2 and {"f1_macro", "low", "high"} <= set(frame.columns)
    assert result.leaderboard == result.leaderboard() == result.to_dict()["leaderboard"]
    assert type(result.to_dict()["leaderboard"]) is list


def test_a_model_that_beats_every_baseline(lang_ws) -> None:
    ws = lang_ws
    cands, _ = fit_baselines(ws, save=False)
    oracle = Candidate("oracle", _fitted(ws, Oracle()), "model")
    result = evaluate(ws, [*cands, oracle], n_boot=500)
    assert result.leaderboard()[0]["candidate"] == "oracle"
    assert result.candidates[-1].metrics["f1_macro"]["value"] == 1.0
    # the p-value at the resolution of 500 resamples, as every report writes it
    assert "better than every baseline (p < 0.002)" in result.verdict
    # a sentence of its own: what evaluate adds next ("glamlab run ... will now use") does
    # not run into it
    assert result.verdict.endswith("(p < 0.002).")
    assert result.verdict.startswith("prior: F1") or result.verdict.startswith("majority: F1")
    assert all(c.significant for c in result.comparisons)


def test_no_model_beats_the_baseline(lang_ws) -> None:
    from glamlab.predictors.baselines import MajorityPredictor

    ws = lang_ws
    cands, _ = fit_baselines(ws, save=False)
    copycat = MajorityPredictor()
    result = evaluate(ws, [*cands, Candidate("copycat", _fitted(ws, copycat), "model")],
                      n_boot=300)
    assert "No model beats the prior baseline" in result.verdict
    assert result.verdict.endswith("do not automate with machine learning yet.")


def test_item_failures_are_counted_never_dropped(lang_ws) -> None:
    ws = lang_ws
    cands, _ = fit_baselines(ws, save=False)
    result = evaluate(ws, [*cands, Candidate("flaky", _fitted(ws, Flaky()), "model")],
                      n_boot=200, store=False)
    flaky = next(c for c in result.candidates if c.name == "flaky")
    failed_ids = {f["item"] for f in flaky.failures}
    assert failed_ids and all(i.endswith("3") for i in failed_ids)
    assert flaky.items == result.test_items  # failures stay in the denominator
    acc = flaky.metrics["accuracy"]["value"]
    assert acc == pytest.approx(1 - len(failed_ids) / result.test_items)
    assert any("could not be predicted" in w for w in result.warnings)


def test_any_exception_from_one_item_is_recorded_not_a_crash(lang_ws) -> None:
    """One error policy for evaluate and run: an item that raises anything fails alone,
    with its reason; evaluate goes on (it used to stop on anything but an ItemError)."""
    ws = lang_ws
    cands, _ = fit_baselines(ws, save=False)
    result = evaluate(ws, [*cands, Candidate("buggy", _fitted(ws, Buggy()), "model")],
                      n_boot=200, store=False)
    buggy = next(c for c in result.candidates if c.name == "buggy")
    assert buggy.failures and all(f["item"].endswith("7") for f in buggy.failures)
    assert {f["reason"] for f in buggy.failures} == {
        "ZeroDivisionError: division by zero in a decoder"}
    assert buggy.metrics["accuracy"]["value"] == pytest.approx(
        1 - len(buggy.failures) / result.test_items)


def test_accuracy_on_imbalanced_labels_warns(make_ws, tmp_path) -> None:
    ws = make_ws(modality="text", labels=["rare", "common"], metric="accuracy")
    add_csv_items(ws, write_csv(tmp_path / "i.csv", ["id", "text"],
                                [[f"i{k:03d}", "x" * (k % 7 + 1)] for k in range(100)]),
                  text_column="text")
    import_labels(ws, write_csv(tmp_path / "l.csv", ["id", "label"],
                                [[f"i{k:03d}", "rare" if k % 10 == 0 else "common"]
                                 for k in range(100)]))
    split_labels(ws, test_size=0.4, seed=0)
    cands, _ = fit_baselines(ws, save=False)
    result = evaluate(ws, cands, n_boot=100, store=False)
    assert any("imbalanced" in w and "F1" in w for w in result.warnings)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._stack.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def test_html_report_holds_the_leaderboard_and_plots_and_works_offline(lang_ws, tmp_path) -> None:
    ws = lang_ws
    cands, _ = fit_baselines(ws, save=False)
    result = evaluate(ws, [*cands, Candidate("oracle", _fitted(ws, Oracle()), "model")],
                      n_boot=200, store=False, min_slice=10)
    path = write_report(result, tmp_path / "r.html")
    html = path.read_text()
    parser = _Collector()
    parser.feed(html)
    tables = [a for t, a in parser.tags if t == "table"]
    assert any(a.get("class") == "leaderboard" for a in tables)
    plots = [a.get("data-plot") for t, a in parser.tags if t == "svg"]
    assert "bar" in plots and "heatmap" in plots
    assert plots.count("heatmap") == 3  # a confusion matrix per candidate
    whiskers = [a for t, a in parser.tags if t == "g" and a.get("class") == "whisker"]
    assert whiskers
    text = " ".join(parser.text)
    for name in ("oracle", "prior", "majority"):
        assert name in text
    assert "better than every baseline" in text
    assert "Slices by kind" in text
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:|url\(\s*["']?https?:|@import""",
                         html, re.I)
    assert "<script" not in html


def test_cli_evaluate_json_and_html(lang_ws, tmp_path) -> None:
    runner = CliRunner()
    w = ["-w", str(lang_ws.root)]
    res = runner.invoke(cli, [*w, "baseline", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert {r["candidate"] for r in data["leaderboard"]} == {"prior", "majority"}
    res = runner.invoke(cli, [*w, "evaluate", "--json", "--html", str(tmp_path / "e.html"),
                              "--n-boot", "200"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["verdict"] and data["html"]
    assert (tmp_path / "e.html").exists()
    res = runner.invoke(cli, [*w, "models", "--json"])
    scored = json.loads(res.stdout)
    assert all(m["score"] is not None for m in scored)
    res = runner.invoke(cli, [*w, "evaluate", "--history", "--json"])
    stored = json.loads(res.stdout)
    assert len(stored) == 4  # prior and majority, by baseline and by evaluate
    assert len({r["test_fingerprint"] for r in stored}) == 1


def test_cli_baseline_with_rules_reports_each_rule(lang_ws, tmp_path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("[[rule]]\nname = \"en-words\"\nlabel = \"en\"\n"
                     "text = '(?i)\\b(the|and|of)\\b'\n")
    runner = CliRunner()
    res = runner.invoke(cli, ["-w", str(lang_ws.root), "baseline", "--rules", str(rules),
                              "--html", str(tmp_path / "b.html"), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    (row,) = data["rules_report"]["rules"]
    assert row["rule"] == "en-words" and row["correct"] > 0
    assert {r["candidate"] for r in data["leaderboard"]} == {"prior", "majority", "rules"}
    html = (tmp_path / "b.html").read_text()
    assert "<h2>Rules</h2>" in html and "en-words" in html


class Peeker(Oracle):
    """Right on the items it was told (the test items), wrong on every other: what
    the test split would pick if it chose among models."""

    name: ClassVar[str] = "peeker"

    def __init__(self, right: tuple[str, ...] = ()) -> None:
        self.right = right

    def _predict_batch(self, items):
        out = super()._predict_batch(items)
        for r, it in enumerate(items):
            if it.item_id not in self.right:
                out[r] = np.roll(out[r], 1)
        return out


class Decent(Oracle):
    """Right everywhere except on items whose id ends in 1."""

    name: ClassVar[str] = "decent"

    def _predict_batch(self, items):
        out = super()._predict_batch(items)
        for r, it in enumerate(items):
            if it.item_id.endswith("1"):
                out[r] = np.roll(out[r], 1)
        return out


def test_the_verdict_chooses_the_model_on_calibration_and_reports_it_on_test(lang_ws) -> None:
    from glamlab.tasks.splits import test_data

    ws = lang_ws
    test_ids = tuple(test_data(ws, freeze=False).ids)
    cands, _ = fit_baselines(ws, save=False)
    peeker = Candidate("peeker", _fitted(ws, Peeker(test_ids)), "model")
    decent = Candidate("decent", _fitted(ws, Decent()), "model")
    result = evaluate(ws, [*cands, peeker, decent], n_boot=200, store=False)
    by = {c.name: c for c in result.candidates}
    assert by["peeker"].metrics["f1_macro"]["value"] == 1.0  # best on test ...
    assert by["decent"].metrics["f1_macro"]["value"] < 1.0
    assert result.selection["chosen"] == "decent"  # ... but calibration chooses decent
    assert result.selection["chosen_on"] == "calibration"
    assert "best model decent (chosen on calibration data" in result.verdict
    assert not any(c.in_sample for c in result.candidates)
    # choosing on the test split says that its figure is in-sample
    on_test = evaluate(ws, [*cands, peeker, decent], n_boot=200, store=False,
                       choose_on="test")
    assert on_test.selection == {"chosen": "peeker", "chosen_on": "test", "in_sample": True}
    assert [r["in_sample"] for r in on_test.leaderboard() if r["candidate"] == "peeker"] == [True]
    assert "in-sample" in on_test.verdict


def test_no_bootstrap_resamples_is_refused_before_the_split_is_frozen(lang_ws, capsys) -> None:
    """``evaluate --n-boot 0`` crashed with an IndexError (an empty percentile) after
    freezing the test split: one clear error now, and nothing done."""
    cands, _ = fit_baselines(lang_ws)
    from glamlab.errors import EvaluationError

    assert not is_frozen(lang_ws)
    with pytest.raises(EvaluationError, match="must be 1 or more"):
        evaluate(lang_ws, cands, n_boot=0)
    assert not is_frozen(lang_ws)
    from glamlab.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["-w", str(lang_ws.root), "evaluate", "--n-boot", "0"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: n_boot") and "must be 1 or more" in err and "fix:" in err
    assert not is_frozen(lang_ws)


def test_the_text_and_report_say_f1_macro_is_the_average_over_the_labels(lang_ws,
                                                                        tmp_path) -> None:
    """f1_macro is the F1 of each label averaged; the text and the HTML report say so
    (a tabular project's backtest and monitor report the F1 of one outcome, and the same
    baseline read 0.000 there and 0.38 here, with nothing saying why)."""
    from glamlab.reports.evaluation import leaderboard_text

    result = evaluate(lang_ws, fit_baselines(lang_ws, save=False)[0], n_boot=50, store=False)
    shown = ", ".join(f"'{c}'" for c in result.classes[:6])
    said = (f"f1_macro: the F1 of each label ({shown}"
            + (", ..." if len(result.classes) > 6 else "")
            + "), averaged over the labels; not the F1 of one label alone.")
    assert said in leaderboard_text(result).splitlines()
    # a table's outcomes: and where the F1 of one outcome is reported
    assert ("averaged over the outcomes; not the F1 of one outcome alone, which backtest "
            "and monitor report as 'F1 for ...'.") in leaderboard_text(result, noun="outcome")
    html = write_report(result, tmp_path / "r.html").read_text()
    assert "the F1 of each label" in html and "averaged over the labels" in html


def test_evaluating_one_model_does_not_replace_a_model_in_use_it_did_not_score(lang_ws) -> None:
    """`glamlab train text-tfidf` says "Compare it with the baselines: glamlab evaluate
    text-tfidf@1"; doing so made text-tfidf@1 the model in use, replacing a better model
    an earlier evaluation on the same test split had chosen and this one never scored."""
    from glamlab.evaluation import candidates_for
    from glamlab.registry import champion
    from glamlab.registry.training import train

    ws = lang_ws
    train(ws, "oracle", predictor=Oracle())
    train(ws, "decent", predictor=Decent())
    first = evaluate(ws, candidates_for(ws), n_boot=200)
    assert first.chosen == "oracle@1" and champion(ws).spec == "oracle@1"
    again = evaluate(ws, candidates_for(ws, ["decent@1"]), n_boot=200)
    assert champion(ws).spec == "oracle@1"  # still the one run, act and export use
    assert again.chosen is None
    assert "oracle@1 stays the model in use" in again.verdict
    assert "glamlab models use decent" in again.verdict
    # the same names evaluated together: the verdict chooses among them as before
    both = evaluate(ws, candidates_for(ws, ["decent@1", "oracle@1"]), n_boot=200)
    assert both.chosen == "oracle@1"


def test_evaluating_a_new_model_replaces_one_in_use_never_scored_on_the_test_split(
        lang_ws) -> None:
    """The first model trained is in use before any evaluation; evaluating a better one
    alone still makes that one the model in use."""
    from glamlab.evaluation import candidates_for
    from glamlab.registry import champion
    from glamlab.registry.training import train

    ws = lang_ws
    train(ws, "decent", predictor=Decent())
    assert champion(ws).spec == "decent@1"
    train(ws, "oracle", predictor=Oracle())
    result = evaluate(ws, candidates_for(ws, ["oracle@1"]), n_boot=200)
    assert result.chosen == "oracle@1" and champion(ws).spec == "oracle@1"


def test_evaluating_alone_a_model_better_than_the_one_in_use_s_earlier_score_replaces_it(
        lang_ws) -> None:
    """The model in use stays only when its earlier score on the same test split is at
    least as good: one that scores higher than that, evaluated alone, takes over as
    before (the verdict chose it over the baselines, and it beats the stored figure)."""
    from glamlab.evaluation import candidates_for
    from glamlab.registry import champion, use_model
    from glamlab.registry.training import train

    ws = lang_ws
    train(ws, "decent", predictor=Decent())
    train(ws, "oracle", predictor=Oracle())
    evaluate(ws, candidates_for(ws), n_boot=200)  # both scored on the test split
    use_model(ws, "decent@1")  # a person chose the weaker one
    result = evaluate(ws, candidates_for(ws, ["oracle@1"]), n_boot=200)
    assert result.chosen == "oracle@1" and champion(ws).spec == "oracle@1", result.verdict
