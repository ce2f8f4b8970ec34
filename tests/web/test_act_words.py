"""What the policy would do, in words: "About 1 automatic value may be wrong", not
"About 1 automatic values" (the Act page gave the plural whatever the count)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.parametrize(("wrong", "said"), [(0.2, "About 0 automatic values may be wrong"),
                                             (1.3, "About 1 automatic value may be wrong"),
                                             (2.0, "About 2 automatic values may be wrong")])
def test_the_expected_wrong_values_agree_with_their_count(make_ws: Any, wrong: float,
                                                          said: str) -> None:
    from glamlab.web import create_app
    from glamlab.web.app import stop_background

    app = create_app(make_ws("words", modality="text", labels=["a", "b"]))
    try:
        act = {"model": "m@1", "field": "f", "unit": "items", "items_with_predictions": 10,
               "counts": {"accept": 8, "review": 2, "reject": 0}, "review_workload": 2,
               "expected_wrong_accepts": wrong, "accept_unsettled": 8, "by_label": []}
        html = app.state.templates.get_template("report_section.html").render(r={"act": act})
    finally:
        stop_background(app)
    assert said in " ".join(html.split()), html
