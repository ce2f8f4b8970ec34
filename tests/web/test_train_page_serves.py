"""The Train page of an illustrations project offers the approaches made for finding
pictures; the blank-page finders (blank-ink, tesseract-blank, rapidocr-blank) come only
under "Other approaches", never among those to try."""

from __future__ import annotations

import re
from typing import Any

from .conftest import app_with_users


def test_an_illustrations_project_is_not_offered_blank_page_finders(make_ws: Any) -> None:
    ws = make_ws("pics", task="illustrations", modality="image",
                 labels=["graphic", "no_graphic"])
    gen = app_with_users(ws)
    try:
        ws, _app, client = next(gen)
        page = client("ada").get("/stages/train").text
        main, _, other = page.partition('id="other-predictors"')
        offered = re.findall(r'name="predictor" value="([^"]+)"', main)
        assert "graphic-windows" in offered and "effnet-logreg" in offered, offered
        for blank in ("blank-ink", "tesseract-blank", "rapidocr-blank"):
            assert blank not in offered, offered
            assert f'value="{blank}"' in other
        assert "finding blank pages" in other
    finally:
        gen.close()
