"""``glamlab trends --html`` says its correction method in words beside its short name
(acc, cpcc, emq...), and its table's headers as a person reads them, the CSV's column
names kept in each header's tooltip."""

from __future__ import annotations

from glamlab.trends import trends
from glamlab.trends.words import METHOD_WORDS
from tests.helpers_page_words import read_page
from tests.trends.test_trends import _walkthrough_ws


def test_the_trend_page_says_the_method_in_words(make_ws, tmp_path) -> None:
    ws = _walkthrough_ws(make_ws)
    res = trends(ws, by="year", label="a", method="acc", n_boot=100)
    text, headers = read_page(res.to_html(tmp_path / "t.html"))
    assert METHOD_WORDS["acc"] in text  # "the share the model predicts, corrected with ..."
    assert "corrected with the model's error rates (acc)" in text
    assert "95% interval from" in headers and "items" in headers
    assert not {"n", "low", "high", "per_1000_words"} & set(headers)


def test_the_offline_chart_page_says_in_words_what_each_label_s_figures_say(make_ws):
    """The page `--html` writes (and the demo's) drew each label's chart with no words on
    what it shows: the web page and the demo say the largest group, the first and last
    groups and how many records have no year; a historian who keeps only the exported
    page had the chart alone. Each label's section now starts with the same words."""
    import html as html_lib

    from glamlab.trends import ErrorRates, trends
    from glamlab.trends.words import label_summary, no_value_words
    from tests.tasks.helpers import add_items
    from tests.trends.helpers import add_model_with_predictions

    ws = make_ws("page", modality="text", labels=["a", "b"])
    years = ["1850", "1860", "date not known"]
    add_items(ws, [{"id": f"i{i}", "text": "x", "meta": {"date_text": years[i % 3]}}
                   for i in range(120)])
    add_model_with_predictions(ws, {f"i{i}": {"a": 0.9 if i % 2 else 0.2,
                                              "b": 0.1 if i % 2 else 0.8} for i in range(120)})
    rates = {"a": ErrorRates.from_predictions("a", [1] * 50 + [0] * 50,
                                              [0.9] * 40 + [0.1] * 60, [1] * 40 + [0] * 60)}
    res = trends(ws, by="date_text:decade", label="a", method="acc", rates=rates, n_boot=50)
    page = html_lib.unescape(res.to_html())
    said = label_summary(res, "a")
    assert any(s.startswith("The largest group") for s in said)
    undated = no_value_words(res)  # said once for every label, before the labels' words
    assert undated and "40 of the 120 items (33%) have no year in date_text" in undated
    assert page.count(undated) == 1 and page.index(undated) < page.index(said[0])
    for sentence in said:
        assert sentence in page, sentence
    assert page.index(said[0]) < page.index("<svg")  # read before the chart
