"""What a trend says about the items it knows and the groups it cannot read: labelled items
counted as the facts they are, small groups flagged as small whatever else is wrong with
them, a run not finished said, intervals that leave out the method's error between groups
said loudly, and the n-gram line with an interval and the same flag (a historian's walk
over the Tate records)."""

from __future__ import annotations

import csv

import numpy as np

from glamlab.cli import main
from glamlab.trends import ErrorRates, GroupStats, trends
from glamlab.trends.quantify import estimate
from glamlab.trends.words import label_summary
from tests.tasks.helpers import add_items, write_csv
from tests.trends.helpers import add_model_with_predictions


def _known_ws(make_ws):
    """1850: 40 items, all predicted 'a', 20 of them labelled 'b' by a person; 1851: one
    item, labelled 'a' (the model says 'b'); 1852: 5 items predicted 'a'."""
    from glamlab.tasks.labels import import_labels

    ws = make_ws("known", modality="text", labels=["a", "b"])
    items = ([{"id": f"x{i}", "text": "x", "meta": {"year": "1850"}} for i in range(40)]
             + [{"id": "y0", "text": "y", "meta": {"year": "1851"}}]
             + [{"id": f"z{i}", "text": "z", "meta": {"year": "1852"}} for i in range(5)])
    add_items(ws, items)
    add_model_with_predictions(ws, {it["id"]: ({"a": 0.2, "b": 0.8} if it["id"] == "y0"
                                               else {"a": 0.9, "b": 0.1}) for it in items})
    write_csv(ws.root / "train.csv", ["id", "label"],
              [[f"x{i}", "b"] for i in range(20)] + [["y0", "a"]])
    import_labels(ws, ws.root / "train.csv", split="train")
    return ws


def test_labelled_items_count_as_what_people_said_not_as_predicted(make_ws):
    ws = _known_ws(make_ws)
    res = trends(ws, by="year", label="a", method="cc", n_boot=200)
    by = {r.group: r for r in res.rows}
    # 20 labelled 'b' are 'b'; only the other 20 are estimated (all predicted 'a')
    assert by["1850"].n == 40 and by["1850"].labelled == 20
    assert by["1850"].estimate == 0.5 and by["1850"].high <= 0.5 + 1e-9
    assert by["1850"].low >= 0.25  # at most the unlabelled half is in doubt
    assert by["1850"].raw == 1.0  # the raw share is still the model's own count
    assert by["1850"].status == "ok"  # 40 items: not too few (though only 20 unlabelled)
    # a one-item group whose item is labelled: its share is exact, flagged as tiny
    assert by["1851"].estimate == by["1851"].low == by["1851"].high == 1.0
    assert by["1851"].status.startswith("too few items: n=1")
    assert "every item labelled: the share is exact (1 of 1)" in by["1851"].status
    assert by["1852"].labelled == 0 and by["1852"].estimate == 1.0


def test_a_small_group_stays_flagged_when_it_cannot_be_corrected():
    from glamlab.trends.quantify import too_few

    rates = ErrorRates.from_predictions("a", [0] * 50, [0.1] * 50, [0] * 50)  # no positives
    e = estimate(GroupStats.from_scores([0.9] * 8, [1] * 8), rates, method="acc",
                 n_boot=50, min_items=30)
    assert e.status.startswith("too few items: n=8 (fewer than 30)")
    assert "cannot correct" in e.status
    assert too_few(30, 30) == ""


def test_the_table_keeps_the_small_group_flag_and_prints_the_reason_whole(make_ws, capsys):
    ws = make_ws("cc", modality="text", labels=["a", "emigration and exile"])
    add_items(ws, [{"id": f"i{i}", "text": "x", "meta": {"year": "1970"}} for i in range(8)])
    add_model_with_predictions(ws, {f"i{i}": {"a": 0.9, "emigration and exile": 0.1}
                                    for i in range(8)})
    write_csv(ws.root / "test.csv", ["id", "label"], [[f"i{i}", "a"] for i in range(3)])
    from glamlab.tasks.labels import import_labels

    import_labels(ws, ws.root / "test.csv", split="test")
    rc = main(["-w", str(ws.root), "trends", "--by", "year", "--label",
               "emigration and exile", "--method", "acc"])
    out = capsys.readouterr().out
    assert rc in (0, None)
    line = next(x for x in out.splitlines() if x.startswith("1970"))
    assert "too few items: n=8" in line and "..." not in line
    assert "no labelled items with the label 'emigration and exile'" in out  # whole, below


def test_one_item_groups_are_grey_and_off_the_line_in_the_chart_and_said_in_the_csv(
        make_ws, tmp_path):
    ws = _known_ws(make_ws)
    res = trends(ws, by="year", label="a", method="cc", n_boot=100)
    page = res.to_html()
    assert page.count('class="point flagged faint"') >= 2  # 1851 (n=1), 1852 (n=5): both lines
    res.to_csv(tmp_path / "t.csv")
    with open(tmp_path / "t.csv", newline="", encoding="utf-8-sig") as fh:
        rows = {r["group"]: r for r in csv.DictReader(fh)}
    assert rows["1851"]["status"].startswith("too few items: n=1")
    assert rows["1850"]["labelled_items"] == "20"


def test_a_trend_before_the_run_has_finished_says_how_many_items_it_counts(make_ws, capsys):
    ws = make_ws("part", modality="text", labels=["a", "b"])
    add_items(ws, [{"id": f"i{i}", "text": "x", "meta": {"year": "1790"}} for i in range(163)])
    add_model_with_predictions(ws, {f"i{i}": {"a": 0.9, "b": 0.1} for i in range(55)})
    res = trends(ws, by="year", label="a", method="cc", n_boot=50)
    assert any("55 of 163 items predicted so far" in w for w in res.warnings)
    assert res.settings["items_predicted"] == 55 and res.settings["items_matched"] == 163
    assert "55 of 163 items predicted so far" in res.to_html()
    assert "(glamlab run)" in res.warnings[-1]
    # the web page names its own page, not the command (a curator has no terminal)
    web = trends(ws, by="year", label="a", method="cc", n_boot=50, web=True).warnings[-1]
    assert "55 of 163 items predicted so far" in web and "glamlab run" not in web
    assert "the page 'Run over the collection'" in web
    main(["-w", str(ws.root), "trends", "--by", "year", "--label", "a", "--method", "cc"])
    assert "WARNING: 55 of 163 items predicted so far" in capsys.readouterr().out
    full = make_ws("full", modality="text", labels=["a", "b"])
    add_items(full, [{"id": f"i{i}", "text": "x", "meta": {"year": "1790"}} for i in range(9)])
    add_model_with_predictions(full, {f"i{i}": {"a": 0.9, "b": 0.1} for i in range(9)})
    assert not any("predicted so far" in w for w in trends(
        full, by="year", label="a", method="cc", n_boot=50).warnings)


def test_intervals_without_the_between_group_error_are_said_loudly_and_prove_no_stability(
        make_ws):
    ws = make_ws("flat", modality="text", labels=["a", "b"])
    items = [{"id": f"{y}-{i}", "text": "x", "meta": {"year": y}}
             for y in ("1850", "1860") for i in range(40)]
    add_items(ws, items)
    add_model_with_predictions(ws, {it["id"]: ({"a": 0.9, "b": 0.1} if int(
        it["id"].split("-")[1]) % 2 else {"a": 0.1, "b": 0.9}) for it in items})
    rates = {lab: ErrorRates.from_predictions(lab, [1] * 50 + [0] * 50,
                                              [0.9] * 45 + [0.1] * 5 + [0.1] * 45 + [0.9] * 5,
                                              [1] * 45 + [0] * 5 + [0] * 45 + [1] * 5)
             for lab in ("a", "b")}
    res = trends(ws, by="year", label="a", rates=rates, n_boot=200)
    assert res.settings["between_group_error"] is False
    assert any("NOT how much the method errs" in w for w in res.warnings)
    said = " ".join(label_summary(res, "a"))
    assert "From 1850 to 1860" in said and "no clear change" not in said
    assert "cannot tell whether the share changed" in said
    assert "Read this first" in res.to_html()


def test_the_word_count_line_has_an_interval_and_flags_tiny_groups(make_ws, tmp_path):
    ws = make_ws("words", modality="text", labels=["a", "b"])
    add_items(ws, [{"id": "old", "text": "one two three four five six seven eight nine emigrant",
                    "meta": {"year": "1680"}}]
              + [{"id": f"n{i}", "text": "emigrant ship " * 50, "meta": {"year": "1850"}}
                 for i in range(40)])
    add_model_with_predictions(ws, {i: {"a": 0.9, "b": 0.1}
                                    for i in ["old"] + [f"n{i}" for i in range(40)]})
    res = trends(ws, by="year", label="a", method="cc", n_boot=50, terms=["emigrant"])
    by = {t.group: t for t in res.terms}
    old = by["1680"]
    assert old.per_1000_words == 100.0 and old.items == 1
    assert old.low < 20 and old.high > 300  # one hit in ten words says little
    assert old.status.startswith("too few items: n=1")
    assert by["1850"].status == "ok" and by["1850"].low < 500 < by["1850"].high
    res.to_csv(tmp_path / "t.csv")
    with open(tmp_path / "t.csv", newline="", encoding="utf-8-sig") as fh:
        rows = [r for r in csv.DictReader(fh) if r["series"] == "term"]
    assert {r["group"]: r["status"] for r in rows}["1680"].startswith("too few items: n=1")
    assert all(r["per_1000_low"] and r["per_1000_high"] for r in rows)
    assert 'class="point flagged faint"' in res.to_html()


def test_the_word_count_interval_is_jeffreys():
    from scipy.stats import beta

    from glamlab.trends.ngrams import per_1000_interval

    low, high = per_1000_interval(1, 10)
    assert np.isclose(low, 1000 * beta.ppf(0.025, 1.5, 9.5), atol=1e-3)
    assert np.isclose(high, 1000 * beta.ppf(0.975, 1.5, 9.5), atol=1e-3)
    assert per_1000_interval(0, 10)[0] == 0.0 and per_1000_interval(0, 0) == (None, None)


def test_a_reviewers_decision_on_one_label_says_nothing_of_the_others(make_ws):
    """Multi-label: a reviewer who accepts 'a' on an item decides 'a', not the item's
    other labels. 'b' stays estimated on those items (all predicted 'b'), not a known no."""
    from glamlab.tasks.labels import import_labels

    ws = make_ws("review", modality="text", labels=["a", "b"], multi_label=True)
    add_items(ws, [{"id": f"x{i}", "text": "x", "meta": {"year": "1850"}} for i in range(40)])
    add_model_with_predictions(ws, {f"x{i}": {"a": 0.9, "b": 0.9} for i in range(40)})
    write_csv(ws.root / "train.csv", ["id", "label"], [[f"x{i}", "a"] for i in range(20)])
    import_labels(ws, ws.root / "train.csv", split="train")
    t = ws.store.t
    with ws.store.write() as conn:  # the reviewer's decisions on the suggestion 'a'
        conn.execute(t.labels.update().values(source="review"))
    res = trends(ws, by="year", label=["a", "b"], method="cc", n_boot=200)
    by = {(r.group, r.label): r for r in res.rows}
    assert by[("1850", "a")].labelled == 20 and by[("1850", "a")].estimate == 1.0
    assert by[("1850", "b")].labelled == 0  # nobody said anything about 'b'
    assert by[("1850", "b")].estimate == 1.0  # was 0.50: 20 reviewed items read as 'no'
    # a person's whole set still says 'b' does not apply on their items
    with ws.store.write() as conn:
        conn.execute(t.labels.update().values(source="import"))
    res = trends(ws, by="year", label=["a", "b"], method="cc", n_boot=200)
    by = {(r.group, r.label): r for r in res.rows}
    assert by[("1850", "b")].labelled == 20 and by[("1850", "b")].estimate == 0.5


def test_pooling_leaves_a_fully_labelled_group_exact_and_the_known_part_as_it_is(make_ws):
    """--pool with a fully labelled group: its exact share has as many draws as the others
    (it used to have one, and pooling crashed), keeps its value and no spread; a partly
    labelled group's labelled items stay what people said (only the rest is pooled)."""
    from glamlab.tasks.labels import import_labels

    ws = make_ws("pool", modality="text", labels=["a", "b"])
    items, preds, test = [], {}, []
    for y in range(1900, 1904):
        for i in range(40):
            iid = f"{y}-{i}"
            items.append({"id": iid, "text": "x", "meta": {"year": str(y)}})
            a = 0.9 if i % 3 else 0.2
            preds[iid] = {"a": a, "b": 1.0 - a}
            if y == 1903:  # every item labelled: 10 of 40 'a'
                test.append([iid, "a" if i < 10 else "b"])
            elif i < 12:  # a few labelled, mostly as predicted
                test.append([iid, ("a" if a > 0.5 else "b") if i % 5 else "b"])
    add_items(ws, items)
    add_model_with_predictions(ws, preds)
    write_csv(ws.root / "test.csv", ["id", "label"], test)
    import_labels(ws, ws.root / "test.csv", split="test")
    res = trends(ws, by="year", label="a", method="acc", pooled=True, n_boot=200,
                 strata=False)
    by = {r.group: r for r in res.rows}
    assert by["1903"].labelled == 40
    assert by["1903"].estimate == by["1903"].low == by["1903"].high == 0.25
    for y in ("1900", "1901", "1902"):
        r = by[y]
        assert r.labelled == 12 and r.method.endswith("+pool")
        pos = sum(1 for iid, lab in test if iid.startswith(y) and lab == "a")
        # the labelled items are facts: the share is between all-no and all-yes of the rest
        assert pos / 40 - 1e-9 <= r.low <= r.estimate <= r.high <= (pos + 28) / 40 + 1e-9


def test_pool_does_not_move_an_exact_group_nor_the_known_part():
    from glamlab.trends.quantify import EXACT, Estimate, pool

    rng = np.random.default_rng(0)
    ests = [Estimate(100, 0.5, 0.4, 0.6, th, th - 0.1, th + 0.1, "acc",
                     draws=np.clip(th + rng.normal(0, 0.05, 300), 0, 1))
            for th in (0.5, 0.52, 0.48)]
    # a partly labelled group: 50 labelled (all 'no'), 50 estimated at 0.5 -> 0.25
    ests.append(Estimate(100, 0.5, 0.4, 0.6, 0.25, 0.2, 0.3, "acc",
                         draws=(0 + np.clip(0.5 + rng.normal(0, 0.05, 300), 0, 1) * 50) / 100))
    exact = Estimate(40, 0.9, 0.8, 1.0, 0.1, 0.1, 0.1, "acc",
                     status=f"{EXACT}: the share is exact (4 of 40)", draws=np.full(300, 0.1))
    ests.append(exact)
    out = pool(ests, known=[(0, 0)] * 3 + [(50, 0), (40, 4)])
    assert out[4] is exact and not out[4].pooled
    # the unlabelled half sits with the others (about 0.5): the share stays about 0.25,
    # not pulled toward 0.5 as if the labelled 'no's were in doubt
    assert out[3].pooled and abs(out[3].estimate - 0.25) < 0.02
    assert out[3].high <= 0.5 + 1e-9


def test_the_table_says_how_many_items_of_each_group_a_person_labelled(make_ws, capsys):
    """A group of 40 items, 20 of them labelled, has a much narrower interval than its size
    suggests (only the other 20 are estimated). The command line's table showed no sign of
    it: a historian saw an n and an interval that did not go together. It now has a
    column 'labelled' and says in a line what it means; a trend with no labelled item in
    any group keeps the table as it was."""
    ws = _known_ws(make_ws)
    assert main(["-w", str(ws.root), "trends", "--by", "year", "--label", "a",
                 "--method", "cc"]) in (0, None)
    out = capsys.readouterr().out
    header = next(x for x in out.splitlines() if x.startswith("group"))
    assert header.split()[:5] == ["group", "label", "n", "labelled", "raw"]
    cells = {x.split()[0]: x.split()[2:4] for x in out.splitlines()
             if x[:4] in ("1850", "1851", "1852")}
    assert cells == {"1850": ["40", "20"], "1851": ["1", "1"], "1852": ["5", "0"]}
    assert "labelled: how many of the n items a person labelled" in out
    assert main(["-w", str(ws.root), "trends", "--by", "year", "--label", "a",
                 "--method", "cc", "--no-known-labels"]) in (0, None)
    out = capsys.readouterr().out
    assert "labelled" not in next(x for x in out.splitlines() if x.startswith("group"))


def test_the_command_line_says_in_words_what_the_figures_say(make_ws, capsys):
    """The web page and the demo say what a label's figures say (the largest group, the
    first and last, whether they differ by more than the uncertainty); `glamlab trends`
    printed the table alone, so a historian in a terminal had to read 40 rows to answer
    "did it change?". It now ends with the same words, per label."""
    ws = _known_ws(make_ws)
    assert main(["-w", str(ws.root), "trends", "--by", "year", "--label", "a", "--label",
                 "b", "--method", "cc"]) in (0, None)
    out = capsys.readouterr().out
    words = out.split("In words:\n", 1)[1].splitlines()
    res = trends(ws, by="year", label=["a", "b"], method="cc")
    assert words == [f"  {line}" for label in ("a", "b") for line in label_summary(res, label)]
    assert any(line.startswith("  The largest group, 1850 (40 items)") for line in words)


def test_a_trend_whose_items_people_all_labelled_has_no_warning_of_too_narrow_intervals(
        make_ws):
    """The demo's project is labelled throughout: its web page said "Read this first: The
    intervals are too narrow ..." above shares that are each counted exactly."""
    ws = _known_ws(make_ws)
    write_csv(ws.root / "rest.csv", ["id", "label"],
              [[f"x{i}", "a"] for i in range(20, 40)] + [[f"z{i}", "b"] for i in range(5)])
    from glamlab.tasks.labels import import_labels

    import_labels(ws, ws.root / "rest.csv", split="train")
    res = trends(ws, by="year", label="a", method="cc", n_boot=50)
    assert all(r.labelled == r.n for r in res.rows)
    assert not res.warnings, res.warnings
    # counted as the model predicted them, the shares are estimates again: the warning is back
    est = trends(ws, by="year", label="a", method="cc", n_boot=50, known_labels=False)
    assert any("too narrow" in w for w in est.warnings)


def test_a_filter_given_as_a_string_is_one_clear_error_naming_the_dict(make_ws):
    """``where="medium=Oil paint"`` (as --where writes it) was read letter by letter: "no
    item has the metadata field 'm' to filter on"."""
    import pytest

    from glamlab.errors import TrendsError

    ws = _known_ws(make_ws)
    with pytest.raises(TrendsError) as exc:
        trends(ws, by="year", label="a", method="cc", n_boot=20, where="year=1850")
    assert "it must be a mapping of field to value" in exc.value.message
    assert exc.value.hint == "give it as a dict, e.g. where={'year': '1850'}"
    res = trends(ws, by="year", label="a", method="cc", n_boot=20, where={"year": "1850"})
    assert [r.group for r in res.rows] == ["1850"]
