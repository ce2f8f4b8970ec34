"""Texts brought in twice in the web app, once as a table and once as a zip of text
files: the second upload's texts are here already from the first file. The page counted
them "already there" with no word of the other file (the command line says it in a
note); now it says how many, names one and the file it is kept from (by its name, not
the server's folder), and that nothing is to do if they are the same documents."""

from __future__ import annotations

import html
import io
import re
import zipfile
from typing import Any

import pytest

from .conftest import app_with_users
from .test_setup_pages import _map, _upload


@pytest.fixture
def text_app(make_ws: Any) -> Any:
    ws = make_ws("texts", task="language", modality="text", labels=["fr", "de"])
    yield from app_with_users(ws)


def _report(page: str) -> str:
    start = page.index('id="items-report"')
    return page[start:page.index("</section>", start)]


def test_texts_here_already_from_another_file_are_said_on_the_items_page(text_app: Any
                                                                         ) -> None:
    ws, app, client = text_app
    ada = client("ada")
    r = _upload(ada, "texts.csv", b"id,text\nd1,Le journal du jour.\nd2,Un autre texte.\n")
    done = _map(ada, r, id_column="id", text_column="text", label_column="")
    assert done.status_code == 303, done.text
    assert app.state.jobs.wait(300)
    assert ws.count_items() == 2
    first = _report(ada.get("/stages/items").text)
    assert 'id="same-text"' not in first
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("d1.txt", "Le journal du jour.")
        z.writestr("d2.txt", "Un autre texte.")
    r = _upload(ada, "again.zip", buf.getvalue())
    assert r.status_code == 303, r.text
    assert app.state.jobs.wait(300)
    report = _report(ada.get("/stages/items").text)
    said = re.search(r'<p class="hint" id="same-text">(.*?)</p>', report, re.S)
    assert said, report
    words = html.unescape(re.sub(r"<[^>]+>", "", said.group(1)))
    assert words.startswith("2 of the items already there are here from another file with "
                            "the same text (for example d1, from the file texts.csv). They were not "
                            "stored again: the ones already here are kept as they were, with "
                            "their labels and information."), words
    assert "Nothing to do if they are the same documents." in words
    assert str(ws.root) not in words and "--" not in words
    assert ws.count_items() == 2 and ws.item("d1").version == 1
