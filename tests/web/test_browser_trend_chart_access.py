"""In a real headless Chromium: the trends page's chart is an image with a name and a
description that says how each line is drawn (a screen reader says which line is which),
and its numbers are one Tab away from the controls above it, in a table a keyboard can
reach and scroll. Before, the chart had its title only, and the table's box could not take
the focus: its numbers were out of reach of a keyboard when it scrolled sideways."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import chromium_page
from .test_trends_page import subjects_ws

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_trend_chart_is_named_described_and_its_numbers_reached_by_keyboard(
        make_ws: Any) -> None:
    ws = subjects_ws(make_ws)
    with chromium_page(ws, "/stages/trends", user="val",
                       viewport={"width": 900, "height": 900}) as (sync_api, page, errors):
        expect = sync_api.expect
        page.select_option("#trends-by", "date_text:decade")
        page.select_option("#trends-label", "people")
        page.click("#trends-show")
        trend = page.locator("#trend")
        # (the trend is computed on the click: intervals, cross-validation; slow on a
        # loaded machine)
        expect(trend.locator("h3")).to_have_text(["Label: people"], timeout=60_000)
        chart = page.get_by_role("img", name="share of items labelled 'people'")
        expect(chart).to_have_count(1)
        expect(chart).to_have_accessible_description(re.compile(
            r"corrected share: solid line, round points, with its 95% band.*"
            r"raw \(classify and count\): dashed line, square points.*table after it"))
        # keys only: from the last checkbox above the chart, one Tab reaches its numbers
        trend.locator("#trends-toggles input[data-toggle]").last.focus()
        page.keyboard.press("Tab")
        numbers = page.get_by_role("region", name="The chart's numbers: people by decade of "
                                                  "date_text")
        expect(numbers).to_be_focused()
        expect(numbers.locator("table")).to_contain_text("1970s")
        expect(numbers.get_by_role("columnheader", name="Corrected share",
                                          exact=True)).to_have_count(1)
        assert not errors, errors
