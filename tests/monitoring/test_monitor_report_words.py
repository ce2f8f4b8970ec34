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
