"""The Admin page's models part in a curator's words: "model in use" and a name's
"chosen version", never "champion" (the alias's stored name, which stays only in the
form's values), on the page, the question before a change, and the Status column (once "Aliases")."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

from glamlab.predictors.catalogue import get
from glamlab.registry import save_model

from .conftest import csrf_of


class _Text(HTMLParser):
    """The words a person reads on a page (not its tags' attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []

    def handle_data(self, data: str) -> None:
        self.words.append(data)


def _read(html: str) -> str:
    p = _Text()
    p.feed(html)
    return " ".join(" ".join(p.words).split())


def test_the_admin_page_and_its_question_say_model_in_use(queued_ws: Any,
                                                          client_for: Any) -> None:
    ws = queued_ws
    items = list(ws.items(limit=6))
    labels = ws.card.labels
    later = get("prior")().fit(items, [[labels[i % 2]] for i in range(len(items))],
                               classes=labels, multi_label=False)
    save_model(ws, later, name="prior", aliases=["champion"])  # its name's, not in use
    ada = client_for("ada")
    page = _read(ada.get("/admin").text)
    assert "chosen version of prior (not in use)" in page
    assert "Each model name keeps one chosen version; only the model in use is put to work" \
        in page
    assert "becomes the model in use" in page
    assert "champion" not in page.lower(), page
    r = ada.post("/admin/alias", data={"model": "prior@1", "alias": "champion",
                                       "csrf": csrf_of(ada)}, follow_redirects=False)
    question = _read(ada.get(r.headers["location"]).text)
    assert "Make prior@1 the model in use?" in question
    assert "Yes, prior@1 becomes the model in use" in question
    assert "champion" not in question.lower(), question


def test_a_version_being_compared_is_said_in_plain_words(queued_ws: Any,
                                                         client_for: Any) -> None:
    """A retrained version under comparison (its stored alias "challenger") and the
    choice of that role in the form were shown as "challenger", and a form with another
    role was refused with "alias must be 'champion' ... or 'challenger'"."""
    from glamlab.registry import get_model

    ws = queued_ws
    items = list(ws.items(limit=6))
    labels = ws.card.labels
    newer = get("prior")().fit(items, [[labels[i % 2]] for i in range(len(items))],
                               classes=labels, multi_label=False)
    save_model(ws, newer, name="prior", aliases=["challenger"])
    ada = client_for("ada")
    page = _read(ada.get("/admin").text)
    assert "new version being compared (not in use)" in page, page
    assert "the model in use a new version being compared (not in use) Set" in page  # the form
    assert "challenger" not in page.lower() and "champion" not in page.lower(), page
    bad = ada.post("/admin/alias", data={"model": "prior@1", "alias": "previous",
                                         "csrf": csrf_of(ada)}, follow_redirects=False)
    assert bad.status_code == 422
    said = _read(bad.text)
    assert "model in use or a new version being compared" in said, said
    assert "challenger" not in said.lower() and "champion" not in said.lower(), said
    # the stored alias is kept: the form still sets it
    ok = ada.post("/admin/alias", data={"model": "majority@1", "alias": "challenger",
                                        "csrf": csrf_of(ada)}, follow_redirects=False)
    assert ok.status_code == 303
    assert "challenger" in get_model(ws, "majority@1").aliases
