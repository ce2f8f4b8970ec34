"""The Labelling page shows a number key only where pressing it chooses that label.
static/app.js reads one key (1 to 9), never two: a project of more than nine labels (the
language demo has 24) showed ``10`` ... ``24`` on the buttons, and a curator pressing 1
then 0 for the tenth label had the first one saved."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from glamlab.web import create_app
from glamlab.web.app import stop_background

from .conftest import PASSWORD, login

LABELS = [f"l{k:02d}" for k in range(1, 13)]  # twelve labels


@pytest.mark.parametrize("multi", [False, True])
def test_only_the_keys_that_work_are_shown(make_ws: Any, multi: bool) -> None:
    from glamlab.auth import add_user
    from tests.tasks.helpers import add_items

    ws = make_ws("many", modality="text", labels=LABELS, multi_label=multi)
    add_items(ws, [{"id": f"i{k}", "text": f"text {k}"} for k in range(3)])
    add_user(ws, "rey", PASSWORD, "reviewer")
    app = create_app(ws)
    try:
        with TestClient(app) as c:
            assert login(c, "rey").status_code == 303
            page = c.get("/label").text
    finally:
        stop_background(app)
    form = page[page.index('id="label-form"'):page.index("</form>", page.index('id="label-form"'))]
    # every label is offered, the tenth to the twelfth too
    for lab in LABELS:
        assert f'value="{lab}"' in form
    keys = re.findall(r'data-key="([^"]+)"', form)
    shown = re.findall(r"<kbd>([^<]+)</kbd>", form)
    numbers = [k for k in keys if k.isdigit()]
    assert numbers == [str(n) for n in range(1, 10)]
    assert [k for k in shown if k.isdigit()] == numbers
    assert "1 to 9 for the first nine" in form
