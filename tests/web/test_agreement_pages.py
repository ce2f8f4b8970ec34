"""Agreement between labellers on the web app's pages and in the HTML report: two people
label the same items in the browser (the labelling form's POST), and the Reports page,
the Labelling page and ``glamlab baseline --html`` say what ``glamlab labels agreement``
says, in its words; an entities project says plainly that it is not measured."""

from __future__ import annotations

import json
import re
from html import unescape
from typing import Any

from click.testing import CliRunner
from fastapi.testclient import TestClient

from glamlab.cli import cli
from glamlab.tasks import agreement
from glamlab.web import create_app
from glamlab.web.app import stop_background
from glamlab.web.words import AGREEMENT_EXPLAINED

from .conftest import csrf_of, login

#: where the Labelling page loads its line on the agreement from
LABEL_AGREEMENT = "/label/agreement"


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _label_as(client: Any, labels: dict[str, str]) -> None:
    # the token from the queue page: the overview (csrf_of's page) works the agreement
    # out too, and the first test below sees it worked out on the Reports page first
    m = re.search(r'data-csrf="([^"]+)"', client.get("/queue").text)
    assert m
    csrf = m.group(1)
    for item_id, label in labels.items():
        r = client.post("/label", data={"csrf": csrf, "item_id": item_id, "label": label,
                                        "split": "train", "strategy": "random"},
                        follow_redirects=False)
        assert r.status_code == 303, r.text


def test_two_people_labelling_the_same_items_see_their_agreement(web_ws: Any) -> None:
    ids = [i.item_id for i in web_ws.items(limit=12)]
    rey = {i: ("graphic" if k % 2 else "no_graphic") for k, i in enumerate(ids)}
    rob = dict(rey)
    rob[ids[0]] = "graphic"  # they disagree on two items
    rob[ids[1]] = "no_graphic"
    app = create_app(web_ws)
    clients = []
    try:
        for user, labels in (("rey", rey), ("rob", rob)):
            c = TestClient(app)
            clients.append(c)
            assert login(c, user).status_code == 303
            _label_as(c, labels)
        expected = agreement(web_ws)
        assert expected["shared_items"] == 12
        sentence = f"Agreement between labellers: {expected['summary']}."
        # worked out in the background (a second with thousands of shared items)
        first = _text(clients[0].get("/reports").text)
        assert "The agreement between labellers is being worked out" in first
        assert app.state.refresher.wait(120)
        reports = clients[0].get("/reports")
        assert reports.status_code == 200
        text = _text(reports.text)
        assert sentence in text
        (pair,) = expected["pairs"]
        assert f"{pair['cohen_kappa']:.3f}" in text and "Cohen's kappa" in text
        # the Labelling page loads its line from /label/agreement (LABEL_AGREEMENT)
        label = _text(clients[1].get(LABEL_AGREEMENT).text)
        assert sentence in label
        # the names of the measures are kept, and said in plain words where they show
        explained = ("say how often people give an item the same label, beyond what "
                     "chance alone would give: 1 is full agreement, 0 no more than chance")
        assert explained in text and explained in label, label
        # one more label: the stored figure is shown, said to be out of date, until the
        # background work catches up
        # (the first page asked for asks for the update: one change per page checked)
        for k, page in ((2, "/reports"), (3, LABEL_AGREEMENT)):
            _label_as(clients[1], {ids[k]: "graphic" if rey[ids[k]] == "no_graphic"
                                   else "no_graphic"})
            stale = _text(clients[1].get(page).text)
            assert sentence in stale and "an update is on its way" in stale
            assert app.state.refresher.wait(120)
            now = f"Agreement between labellers: {agreement(web_ws)['summary']}."
            assert now != sentence
            assert now in _text(clients[1].get(page).text)
            sentence = now
    finally:
        for c in clients:
            c.close()
        stop_background(app)


def test_the_labelling_page_does_not_wait_for_the_agreement(web_ws: Any) -> None:
    """The agreement's bootstrap over the items labelled twice takes seconds on a large
    collection, and even asking for it in the background slowed the Labelling page's
    first view down: the page neither works it out nor asks for it, but holds a line
    that loads itself from /label/agreement, which asks for it (in the background),
    asks again every few seconds meanwhile, and then shows the sentence the page showed."""
    from glamlab.reports.agreement import NAME
    from glamlab.store.results import get_result

    ids = [i.item_id for i in web_ws.items(limit=6)]
    app = create_app(web_ws)
    clients = []
    try:
        for user, label in (("rey", "graphic"), ("rob", "no_graphic")):
            c = TestClient(app)
            clients.append(c)
            assert login(c, user).status_code == 303
            _label_as(c, {i: label if k % 3 else "graphic" for k, i in enumerate(ids)})
        page = clients[0].get("/label")
        assert page.status_code == 200
        assert app.state.refresher.wait(120)
        assert get_result(web_ws.store, NAME) is None  # the page did not ask for it
        assert "Agreement between labellers" not in _text(page.text)
        assert re.search(r'<p id="agreement" hx-get="/label/agreement" hx-trigger="load"',
                         page.text), page.text
        # labelling again, as a second labeller: the same
        assert 'hx-get="/label/agreement"' in clients[0].get("/label?mode=second").text
        assert get_result(web_ws.store, NAME) is None
        first = clients[0].get(LABEL_AGREEMENT)
        assert first.status_code == 200
        assert 'hx-trigger="load delay:3s"' in first.text  # asked for: it asks again
        assert app.state.refresher.wait(120)
        assert get_result(web_ws.store, NAME) is not None
        shown = clients[0].get(LABEL_AGREEMENT)
        assert _text(shown.text) == (f"Agreement between labellers: "
                                     f"{agreement(web_ws)['summary']}. "
                                     f"({AGREEMENT_EXPLAINED}) Details")
        assert "hx-trigger" not in shown.text  # shown: nothing more to ask
    finally:
        for c in clients:
            c.close()
        stop_background(app)


def test_one_labeller_is_told_how_to_measure_agreement(web_ws: Any) -> None:
    app = create_app(web_ws)
    c = TestClient(app)
    try:
        assert login(c, "rey").status_code == 303
        _label_as(c, {i.item_id: "graphic" for i in web_ws.items(limit=3)})
        c.get("/reports")
        assert app.state.refresher.wait(120)
        text = _text(c.get("/reports").text)
        assert "Agreement between labellers: no item was labelled by two or more of: rey" in text
        assert "glamlab labels import" not in text  # the web app's words, not a command
        assert "Agreement between labellers" not in _text(c.get("/label").text)
        assert "Agreement between labellers" not in _text(c.get(LABEL_AGREEMENT).text)
    finally:
        c.close()
        stop_background(app)


def test_entities_project_says_agreement_is_not_measured(kind_template: Any) -> None:
    ws = kind_template("entities")
    app = create_app(ws)
    c = TestClient(app)
    try:
        from glamlab.auth import add_user

        from .conftest import PASSWORD
        add_user(ws, "ada", PASSWORD, "admin")
        assert login(c, "ada").status_code == 303
        c.get("/reports")
        assert app.state.refresher.wait(120)
        text = _text(c.get("/reports").text)
        assert ("Agreement between labellers: agreement between labellers is not measured "
                "for an entities project") in text
    finally:
        c.close()
        stop_background(app)
        ws.close()


def test_html_report_shows_the_agreement(make_ws: Any, tmp_path: Any) -> None:
    from glamlab.tasks import import_labels, split_labels
    from tests.tasks.helpers import add_items, write_csv

    ws = make_ws("agree", modality="text", labels=["yes", "no"])
    add_items(ws, [{"id": f"i{k}", "text": ("the " if k % 2 else "le ") * (k + 1)}
                   for k in range(40)])
    a = [[f"i{k}", "yes" if k % 2 else "no"] for k in range(40)]
    b = [[f"i{k}", ("yes" if k % 2 else "no") if k % 7 else "yes"] for k in range(20)]
    import_labels(ws, write_csv(tmp_path / "a.csv", ["id", "label"], a), annotator="ann")
    import_labels(ws, write_csv(tmp_path / "b.csv", ["id", "label"], b), annotator="bob")
    split_labels(ws, test_size=0.3, seed=0)
    expected = agreement(ws)
    out = tmp_path / "b.html"
    res = CliRunner().invoke(cli, ["-w", str(ws.root), "baseline", "--json", "--html",
                                   str(out)])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["html"]
    text = _text(out.read_text())
    assert f"Agreement between labellers: {expected['summary']}." in text
    assert "too few shared items to judge" in text  # 20 of the 103 needed
    (pair,) = expected["pairs"]
    assert f"{pair['percent_agreement']:.3f}" in text


def test_second_labeller_is_gold_and_undo_gives_the_first_back(web_ws: Any) -> None:
    """The newest person's label is the gold label in force; the first person's stays
    (for agreement) and is in force again when the second takes theirs back."""
    from glamlab.tasks import gold_labels

    (item,) = [i.item_id for i in web_ws.items(limit=1)]
    app = create_app(web_ws)
    clients = []
    try:
        for user, label in (("rey", "graphic"), ("rob", "no_graphic")):
            c = TestClient(app)
            clients.append(c)
            assert login(c, user).status_code == 303
            _label_as(c, {item: label})
        first = gold_labels(web_ws)[item]
        assert "no_graphic" in str(first)
        assert agreement(web_ws)["shared_items"] == 1
        r = clients[1].post("/label/undo", data={"csrf": csrf_of(clients[1]),
                                                  "strategy": "random", "split": "train"},
                            follow_redirects=False)
        assert r.status_code == 303
        assert "no_graphic" not in str(gold_labels(web_ws)[item])
        assert "graphic" in str(gold_labels(web_ws)[item])
    finally:
        for c in clients:
            c.close()
        stop_background(app)
