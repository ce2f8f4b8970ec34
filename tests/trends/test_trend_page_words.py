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
