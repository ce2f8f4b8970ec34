"""``glamlab monitor --html`` (an image or text project) says what each signal's value
means beside its statistic's name (Kolmogorov–Smirnov, Jensen–Shannon, AUC), and how the
thresholds are set without "sd" alone: a curator reads the page, a data scientist still
finds the terms."""

from __future__ import annotations

from click.testing import CliRunner

from glamlab.cli import cli
from tests.helpers_page_words import read_page
from tests.monitoring.test_monitor import _setup


def test_the_monitor_page_explains_its_statistics(make_ws, tmp_path) -> None:
    ws = make_ws()
    _setup(ws, windows=[(200, 0.3, 0.85), (200, 0.75, 0.62)])
    args = ["-w", str(ws.root)] + ([] if ws.store.is_sqlite else ["--db", ws.store.url])
    out = tmp_path / "monitor.html"
    res = CliRunner().invoke(cli, [*args, "monitor", "--model", "m@1", "--html", str(out)])
    assert res.exit_code == 3, res.output
    text, headers = read_page(out.read_text(encoding="utf-8"))
    # the terms stay, each with what it means beside it
    assert "Jensen–Shannon distance): 0 means the same mix, 1 nothing in common" in text
    assert "(Kolmogorov–Smirnov distance): 0 means the same spread of values" in text
    assert "standard deviations (sd, its usual variation)" in text
    assert "sd of the chunk statistics" not in text
    assert "alert threshold" in headers and "threshold" not in headers
    assert "label mix" in text  # the signal's name in words as its heading


def test_the_monitor_text_explains_its_statistics_once(make_ws) -> None:
    """The text output named 'label_mix' and 'score' with a bare 'drift statistic' and
    'alert above': it says once, after the windows, what each alerting signal's statistic
    measures (Jensen–Shannon, Kolmogorov–Smirnov) and how the threshold is set; --json and
    a report without alerts are unchanged."""
    ws = make_ws()
    _setup(ws, windows=[(200, 0.3, 0.85), (200, 0.75, 0.62)])
    args = ["-w", str(ws.root)] + ([] if ws.store.is_sqlite else ["--db", ws.store.url])
    res = CliRunner().invoke(cli, [*args, "monitor", "--model", "m@1"])
    assert res.exit_code == 3, res.output
    figures, _, note = res.output.partition("What the figures mean:")
    assert "label_mix changed (drift statistic" in figures, res.output
    assert res.output.count("What the figures mean:") == 1
    assert ("label_mix (Mix of predicted labels (Jensen–Shannon distance; chi-square for "
            "context)): its drift statistic says how different this window's mix is from the "
            "reference's (Jensen–Shannon distance): 0 means the same mix") in note, note
    assert "score (Distribution of top-label scores" in note
    assert "0 means the same spread of values, 1 that they do not overlap at all" in note
    assert "alert above: the threshold, set on chunks of the reference itself" in note
    assert "3 standard deviations" in note
    res = CliRunner().invoke(cli, [*args, "monitor", "--model", "m@1", "--json"])
    assert "What the figures mean" not in res.output
