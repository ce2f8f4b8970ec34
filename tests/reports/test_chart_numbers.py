"""Every chart glamlab draws in a report is followed by the numbers behind it, as a real
table (a caption, headers with their scope, the values rounded as the chart's labels):
for a screen reader's user, and for a curator who wants to copy a number. The values
looked for come from the data given to the report."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any

from glamlab.evaluation import Candidate, evaluate, fit_baselines
from glamlab.reports import plots
from glamlab.reports.evaluation import write_report
from glamlab.reports.monitoring import signal_sections
from glamlab.reports.tabular import monitor_sections_html
from glamlab.trends.chart import trend_page
from tests.evaluation.test_evaluate import Oracle, _fitted, lang_ws  # noqa: F401
from tests.trends.test_chart_access import _result


class Charts(HTMLParser):
    """Each chart of a page (an ``<svg>`` not inside another) with its accessible name
    and the first table after it: its caption, its header cells' scopes and its rows
    (each the texts of its cells); ``between``: the tags met from the chart to the table."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.charts: list[dict[str, Any]] = []
        self._depth = 0
        self._title = False
        self._table: dict[str, Any] | None = None
        self._cell: list[str] | None = None
        self._caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "svg":
            if not self._depth:
                self.charts.append({"attrs": a, "title": "", "table": None, "between": []})
            self._depth += 1
        elif self._depth:
            self._title = tag == "title" and not self.charts[-1]["title"]
        elif self.charts and self.charts[-1]["table"] is None and tag != "table":
            self.charts[-1]["between"].append(tag)
        elif tag == "table" and self.charts and self.charts[-1]["table"] is None:
            self._table = self.charts[-1]["table"] = {"caption": "", "scopes": [], "rows": []}
        elif self._table is not None:
            if tag == "caption":
                self._caption = True
            elif tag == "tr":
                self._table["rows"].append([])
            elif tag in ("th", "td"):
                self._cell = []
                if tag == "th":
                    self._table["scopes"].append(a.get("scope"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._depth -= 1
        elif tag == "title":
            self._title = False
        elif tag == "table":
            self._table = None
        elif tag == "caption":
            self._caption = False
        elif tag in ("th", "td") and self._cell is not None and self._table is not None:
            self._table["rows"][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._depth and self._title:
            self.charts[-1]["title"] += data
        elif self._cell is not None:
            self._cell.append(data)
        elif self._caption and self._table is not None:
            self._table["caption"] += data


def _charts(html: str) -> dict[str, dict[str, Any]]:
    """The charts of ``html`` by their title, each checked to be followed at once by a
    table of its numbers (under "Show the numbers" at most), with a caption and every
    header cell's scope, and to be an image with an accessible name."""
    p = Charts()
    p.feed(html)
    assert p.charts, "no chart"
    out = {}
    for c in p.charts:
        title, table = c["title"], c["table"]
        assert c["attrs"].get("role") == "img" and c["attrs"].get("aria-labelledby"), title
        assert table is not None, f"no table after the chart {title!r}"
        assert set(c["between"]) <= {"details", "summary"}, (title, c["between"])
        assert table["caption"].strip(), f"the table of {title!r} has no caption"
        assert table["scopes"] and all(s in ("col", "row") for s in table["scopes"]), title
        out[title] = table
    return out


def _two(v: float) -> str:
    """A value as the charts write it (below 10: two decimals)."""
    return f"{v:.2f}"


def test_the_evaluation_report_gives_every_chart_its_numbers(lang_ws, tmp_path) -> None:  # noqa: F811
    ws = lang_ws
    cands, _ = fit_baselines(ws, save=False)
    result = evaluate(ws, [*cands, Candidate("oracle", _fitted(ws, Oracle()), "model")],
                      n_boot=200, store=False, min_slice=10)
    html = write_report(result, tmp_path / "r.html").read_text(encoding="utf-8")
    charts = _charts(html)
    metric = result.metric
    (board,) = [t for name, t in charts.items() if "on the test split" in name]
    for r in result.leaderboard:
        assert [_two(r[metric]), f"{_two(r['low'])} to {_two(r['high'])}"] in [
            row[1:] for row in board["rows"] if row[0].startswith(r["candidate"])], r
    slices = 0
    for c in result.candidates:
        per_label = charts[f"F1 per label ({c.name})"]["rows"]
        for p in c.per_label:
            assert [p["label"], _two(p["f1"]), f"{_two(p['f1_low'])} to {_two(p['f1_high'])}"
                    ] in per_label, (c.name, p)
        confusion = charts[f"Confusion matrix ({c.name})"]["rows"]
        assert confusion[0][1:] == list(result.classes)
        for label, counts in zip(result.classes, c.confusion, strict=True):
            assert [label, *(str(int(n)) for n in counts)] in confusion, (c.name, label)
        for field_name, rows_ in c.slices.items():
            (chart,) = [t for name, t in charts.items()
                        if name.endswith(f" by {field_name} ({c.name})")]
            for r in rows_:
                assert [f"{r['value']} ({r['items']})", _two(r[metric]),
                        f"{_two(r['low'])} to {_two(r['high'])}"] in chart["rows"], r
            assert chart["rows"][-1][:2] == ["whole test set (the dashed line)",
                                             _two(c.metrics[metric]["value"])]
            slices += 1
    assert slices  # the case of a slice chart is met
    # still offline: nothing fetched, no script
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:|url\(\s*["']?https?:|@import""",
                         html, re.I)
    assert "<script" not in html


def test_each_monitoring_signal_has_its_values_and_thresholds_in_a_table() -> None:
    windows = [("2024-01", 0.0123456, 0.3, "ok"), ("2024-02", 0.5, 0.31, "alert"),
               ("2024-03", None, None, "not enough data")]
    data = {"signals": [{"name": "label_shift", "description": "Jensen-Shannon (JS) of the "
                         "predicted labels"}],
            "windows": [{"window": w, "results": [{"signal": "label_shift", "value": v,
                                                   "threshold": t, "status": s}]}
                        for w, v, t, s in windows]}
    (table,) = _charts(signal_sections(data)).values()
    for w, v, t, s in windows:
        assert [w, "" if v is None else f"{v:.4f}", "" if t is None else f"{t:.4f}", s] \
            in table["rows"]
    assert "threshold" in table["caption"]


def test_the_tabular_monitor_and_backtest_charts_have_their_numbers() -> None:
    wins = [{"start": "2017-05-01", "end": "2017-05-31", "flagged": False,
             "estimate": {"estimate": 0.61, "realised": 0.58, "metric": "f1"}},
            {"start": "2017-06-01", "end": "2017-06-30", "flagged": True, "threshold": 3.5,
             "root_cause": "lead_time",
             "columns": [{"column": "lead_time", "z": 12.34, "flagged": True, "words": "w"},
                         {"column": "adr", "z": -0.4, "flagged": False, "words": "w"}],
             "estimate": {"estimate": 0.423, "realised": None, "metric": "f1"}}]
    charts = _charts(monitor_sections_html({"windows": wins}, "is_canceled = 1"))
    (line,) = [t for name, t in charts.items() if name.endswith("by window")]
    assert ["2017-05-01", "0.61", "0.58"] in line["rows"]
    assert ["2017-06-01", "0.42", ""] in line["rows"]
    (bar,) = [t for name, t in charts.items() if "unusual" in name]
    assert ["lead_time", "12.3"] in bar["rows"] and ["adr", "0.00"] in bar["rows"]
    assert ["flag above (the dashed line)", "3.50"] in bar["rows"]

    folds = [SimpleNamespace(origin="2017-05-01", scores={"gbm": {"f1": 0.612},
                                                          "share": {"f1": None}}),
             SimpleNamespace(origin="2017-06-01", scores={"gbm": {"f1": 0.55},
                                                          "share": {"f1": 0.0}})]
    report = SimpleNamespace(folds=folds, models=["gbm", "share"], metric="f1",
                             positive="is_canceled = 1")
    (months,) = _charts(plots.backtest_chart(report)).values()  # type: ignore[arg-type]
    assert months["rows"][0] == ["month", "gbm", "share"]
    assert ["2017-05", "0.61", ""] in months["rows"] and ["2017-06", "0.55", "0.00"] in \
        months["rows"]

    drift = SimpleNamespace(columns=[SimpleNamespace(column="lead_time", z=4.25)],
                            threshold=3.0)
    (z,) = _charts(plots.drift_chart(drift)).values()  # type: ignore[arg-type]
    assert ["lead_time", "4.25"] in z["rows"] and ["flag above (the dashed line)", "3.00"] \
        in z["rows"]


def test_a_histogram_gives_each_bins_count() -> None:
    values = [0.05, 0.1, 0.12, 0.55, 0.9]
    (table,) = _charts(plots.histogram(values, bins=2, range_=(0.0, 1.0), title="scores",
                                       numbers=True)).values()
    assert table["caption"] == "scores"
    assert ["0.00 to 0.50", "3"] in table["rows"] and ["0.50 to 1.00", "2"] in table["rows"]


def test_the_trends_page_is_read_as_the_others() -> None:
    charts = _charts(trend_page(_result(terms=True)))
    assert len(charts) == 2
