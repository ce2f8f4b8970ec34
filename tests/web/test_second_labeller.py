"""Blind double labelling in the web app, and the agreement between labellers on the
overview. A second person, signed in as themselves, opens "Label a sample again as a
second labeller" on the Labelling page: they are given the items someone else labelled
and they did not, without the first label, as many as Krippendorff's sample-size rule
asks for; their labels are saved as their own (the first person's stay), the items stay
in their split, and the overview says whether the labels can be trusted."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from glamlab.tasks import agreement
from glamlab.tasks.agreement import items_needed
from glamlab.web import create_app
from glamlab.web.app import stop_background

from .conftest import csrf_of, login


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _shown(html: str) -> str | None:
    m = re.search(r'name="item_id" value="([^"]+)"', html)
    return m.group(1) if m else None


def _label(client: Any, item_id: str, label: str, **extra: str) -> Any:
    return client.post("/label", data={"csrf": csrf_of(client), "item_id": item_id,
                                       "label": label, **extra}, follow_redirects=False)


def _rows(ws: Any, table: Any) -> list[tuple[Any, ...]]:
    with ws.store.read() as conn:
        return sorted(tuple(r) for r in conn.execute(sa.select(table)).all())


@contextmanager
def _rey_and_rob(ws: Any) -> Iterator[tuple[Any, TestClient, TestClient]]:
    """The web app with rey (the first labeller) and rob (the second) signed in, each in
    a client of their own; closed, and the app's background work stopped, after."""
    app = create_app(ws)
    rey, rob = TestClient(app), TestClient(app)
    try:
        for c, user in ((rey, "rey"), (rob, "rob")):
            assert login(c, user).status_code == 303
        yield app, rey, rob
    finally:
        rey.close()
        rob.close()
        stop_background(app)


def test_second_labeller_labels_the_first_persons_items_blind(web_ws: Any) -> None:
    ws = web_ws
    ids = [i.item_id for i in ws.items(limit=6)]
    first = {i: ("graphic" if k % 2 else "no_graphic") for k, i in enumerate(ids)}
    with _rey_and_rob(ws) as (app, rey, rob):
        for i, label in first.items():
            assert _label(rey, i, label, split="test", strategy="random").status_code == 303
        splits = _rows(ws, ws.store.t.splits)
        page = rob.get("/label")
        assert 'href="/label?mode=second"' in page.text
        assert "Label a sample again as a second labeller" in _text(page.text)
        seen: list[str] = []
        for n in range(len(ids)):
            page = rob.get("/label?mode=second")
            assert page.status_code == 200
            text = _text(page.text)
            needed = items_needed(2)
            # (only the 6 items labelled: fewer than needed, so label more too)
            assert (f"Items labelled by two or more people: {n} of the {needed} needed to "
                    f"judge the agreement: {needed - n} to go (more than the 6 labelled so "
                    f"far: label more items too). You labelled {n} of them.") in text
            shown = _shown(page.text)
            assert shown in first and shown not in seen
            # blind: no link to the item's page (it shows the label in force)
            assert f'href="/items/{shown}"' not in page.text
            assert 'name="mode" value="second"' in page.text
            # rob disagrees on the first item
            label = first[shown] if n else ("graphic" if first[shown] == "no_graphic"
                                             else "no_graphic")
            r = _label(rob, shown, label, mode="second")
            assert r.status_code == 303
            assert r.headers["location"] == "/label?mode=second&done=label"
            seen.append(shown)
        text = _text(rob.get("/label?mode=second").text)
        assert "No item is left that someone else labelled and you did not" in text
        assert _shown(rob.get("/label?mode=second").text) is None
        t = ws.store.t.labels
        with ws.store.read() as conn:
            kept = {(r.item_id, r.annotator): r.label for r in conn.execute(
                sa.select(t).where(t.c.active.is_(True)))}
        for i in ids:  # each person's own label, side by side
            assert kept[(i, "rey")] == first[i] and (i, "rob") in kept
        assert _rows(ws, ws.store.t.splits) == splits  # the items stay in their split
        r = agreement(ws)
        assert r["shared_items"] == len(ids) and r["annotators"] == ["rey", "rob"]
        (pair,) = r["pairs"]
        assert pair["percent_agreement"] == (len(ids) - 1) / len(ids)
        # rey has nothing to label again: rob labelled only rey's items
        assert _shown(rey.get("/label?mode=second").text) is None


def test_skip_and_undo_stay_in_second_labelling(web_ws: Any) -> None:
    ws = web_ws
    ids = [i.item_id for i in ws.items(limit=3)]
    with _rey_and_rob(ws) as (app, rey, rob):
        for i in ids:
            _label(rey, i, "graphic", split="train", strategy="random")
        shown = _shown(rob.get("/label?mode=second").text)
        assert shown is not None
        r = rob.post("/label/skip", data={"csrf": csrf_of(rob), "item_id": shown,
                                          "mode": "second"}, follow_redirects=False)
        assert r.headers["location"] == "/label?mode=second&done=skip"
        after = _shown(rob.get("/label?mode=second").text)
        assert after not in (None, shown)
        assert _label(rob, after, "no_graphic", mode="second").status_code == 303
        r = rob.post("/label/undo", data={"csrf": csrf_of(rob), "mode": "second"},
                     follow_redirects=False)
        assert r.headers["location"] == "/label?mode=second&done=undo"
        t = ws.store.t.labels
        with ws.store.read() as conn:
            assert not conn.execute(sa.select(t.c.id).where(
                t.c.annotator == "rob", t.c.active.is_(True))).all()
            assert len(conn.execute(sa.select(t.c.id).where(
                t.c.annotator == "rey", t.c.active.is_(True))).all()) == 3


def test_a_second_label_on_an_item_in_no_split_leaves_it_in_none(make_ws: Any,
                                                                   tmp_path: Any) -> None:
    """Labels brought in from a spreadsheet have no split until one is set aside: a
    second person's label adds theirs and puts the item in no split (the labelling page
    would otherwise have put it in the test set, outside the random sample)."""
    from glamlab.auth import add_user
    from glamlab.tasks import import_labels
    from tests.tasks.helpers import add_items, write_csv

    from .conftest import PASSWORD

    ws = make_ws("imported", modality="text", labels=["yes", "no"])
    add_items(ws, [{"id": f"i{k}", "text": f"text {k}"} for k in range(4)])
    import_labels(ws, write_csv(tmp_path / "a.csv", ["id", "label"],
                                [[f"i{k}", "yes"] for k in range(4)]), annotator="ann")
    add_user(ws, "rob", PASSWORD, "reviewer")
    assert _rows(ws, ws.store.t.splits) == []
    app = create_app(ws)
    c = TestClient(app)
    try:
        assert login(c, "rob").status_code == 303
        shown = _shown(c.get("/label?mode=second").text)
        assert shown in {f"i{k}" for k in range(4)}
        assert _label(c, shown, "no", mode="second").status_code == 303
        assert _rows(ws, ws.store.t.splits) == []
        assert agreement(ws)["shared_items"] == 1
    finally:
        c.close()
        stop_background(app)
        ws.close()


def test_a_bad_second_label_is_refused_in_words(web_ws: Any) -> None:
    ws = web_ws
    app = create_app(ws)
    c = TestClient(app, raise_server_exceptions=False)
    first = next(iter(ws.items(limit=1))).item_id
    try:
        assert login(c, "rob").status_code == 303
        before = _rows(ws, ws.store.t.labels)
        for item_id, label, words in (
                ("no-such-item", "graphic", "no item with id 'no-such-item'"),
                (first, "maps", "not among this project's labels")):
            r = _label(c, item_id, label, mode="second")
            assert 400 <= r.status_code < 500 and words in _text(r.text), r.text[:500]
        assert _rows(ws, ws.store.t.labels) == before
    finally:
        c.close()
        stop_background(app)


#: the overview's "Can the labels be trusted?", which the overview loads on its own
OVERVIEW_AGREEMENT = "/overview/agreement"


def test_the_overview_does_not_wait_for_the_agreement(web_ws: Any) -> None:
    """The agreement between labellers takes seconds to work out on a large collection
    (a bootstrap over the items labelled twice): the overview neither shows it as being
    worked out nor asks for it; its "Can the labels be trusted?" section loads itself
    from its own address, which asks for it (in the background) and shows it once
    stored, as the overview showed it before."""
    from glamlab.reports.agreement import NAME
    from glamlab.store.results import get_result

    ws = web_ws
    ids = [i.item_id for i in ws.items(limit=4)]
    with _rey_and_rob(ws) as (app, rey, rob):
        for k, i in enumerate(ids):
            _label(rey, i, "graphic" if k % 2 else "no_graphic", split="test",
                   strategy="random")
            _label(rob, i, "graphic", mode="second")
        page = rey.get("/")
        assert page.status_code == 200
        assert app.state.refresher.wait(120)
        # the overview (viewed for each label too: csrf_of's page) did not ask for it
        assert get_result(ws.store, NAME) is None
        assert "being worked out in the background" not in page.text
        # the section is there, and loads itself once the page is shown
        assert re.search(r'<section id="agreement"[^>]* hx-get="/overview/agreement" '
                         r'hx-trigger="load"', page.text), page.text
        first = rey.get(OVERVIEW_AGREEMENT)
        assert first.status_code == 200
        assert "being worked out in the background" in first.text
        assert 'hx-trigger="load delay:3s"' in first.text  # it asks again meanwhile
        assert app.state.refresher.wait(120)
        assert get_result(ws.store, NAME) is not None
        shown = rey.get(OVERVIEW_AGREEMENT)
        r = agreement(ws)
        text = _text(shown.text)
        assert text.startswith("Can the labels be trusted? Agreement between labellers: "
                               "too early to say: 4 of the"), text
        assert f"Krippendorff's alpha: {r['krippendorff_alpha']:.2f}" in text
        assert "hx-trigger" not in shown.text  # shown: nothing more to ask


def test_overview_says_whether_the_labels_can_be_trusted(web_ws: Any) -> None:
    ws = web_ws
    ids = [i.item_id for i in ws.items(limit=12)]
    with _rey_and_rob(ws) as (app, rey, rob):
        needed = items_needed(2)
        for k, i in enumerate(ids):
            _label(rey, i, "graphic" if k % 2 else "no_graphic", split="test",
                   strategy="random")
        rey.get(OVERVIEW_AGREEMENT)
        assert app.state.refresher.wait(120)
        text = _text(rey.get(OVERVIEW_AGREEMENT).text)
        # never more than the 12 labelled (it said "label 103 items again"), and why
        assert ("Can the labels be trusted? Agreement between labellers: not measured yet: "
                "ask a second person to label all 12 items labelled so far again, without "
                f"seeing the first label; Krippendorff's rule asks for {needed} items "
                "labelled by two people before the agreement can be judged, and only 12 are "
                "labelled: label more items too. Label a sample again as a second "
                "labeller") in text
        for k, i in enumerate(ids):
            _label(rob, i, ("graphic" if k % 2 else "no_graphic") if k else "graphic",
                   mode="second")
        rob.get(OVERVIEW_AGREEMENT)
        assert app.state.refresher.wait(120)
        page = rob.get(OVERVIEW_AGREEMENT)
        text = _text(page.text)
        r = agreement(ws)
        low, high = r["alpha_interval"]
        # every labelled item is labelled twice: more items to label first
        assert (f"Agreement between labellers: too early to say: 12 of the {needed} items "
                "needed are labelled by two people, every item labelled so far; label "
                f"{needed - 12} more items, then ask a second person to label them again, "
                "without seeing the first label.") in text
        assert f"Krippendorff's alpha: {r['krippendorff_alpha']:.2f}" in text
        assert f"95% interval {low:.2f} to {high:.2f}" in text
        assert f"Items labelled by two or more people: 12 of the {needed} needed" in text
        assert 'id="agreement-second"' not in page.text  # nothing to label again


def test_overview_gives_a_verdict_once_enough_items_are_labelled_twice(
        make_ws: Any, tmp_path: Any) -> None:
    from glamlab.auth import add_user
    from tests.tasks.helpers import label_twice

    from .conftest import PASSWORD

    n = 110
    ws = make_ws("agreed", modality="text", labels=["yes", "no"])
    label_twice(ws, tmp_path, n)
    add_user(ws, "rob", PASSWORD, "reviewer")
    app = create_app(ws)
    c = TestClient(app)
    try:
        assert login(c, "rob").status_code == 303
        c.get(OVERVIEW_AGREEMENT)
        assert app.state.refresher.wait(120)
        text = _text(c.get(OVERVIEW_AGREEMENT).text)
        r = agreement(ws)
        assert r["enough_items"] and r["krippendorff_alpha"] >= 0.8
        assert ("Agreement between labellers: yes: people who label the same items agree, "
                "so the labels can be trusted.") in text
        assert f"Items labelled by two or more people: {n} of the 103 needed" in text
        # enough items labelled twice: the second labeller's page says so
        text = _text(c.get("/label?mode=second").text)
        assert "Enough items are labelled by two people to judge the agreement" in text
    finally:
        c.close()
        stop_background(app)
        ws.close()


def test_multi_label_second_labelling_is_sized_by_the_rarest_label(make_ws: Any,
                                                                   tmp_path: Any) -> None:
    """A multi-label project's sample: as many items as its most uneven label asks for
    (here one label on 10% of the items: more than the 103 of a label on half of them),
    on the second labeller's page and on the overview."""
    from glamlab.auth import add_user
    from glamlab.tasks import import_labels
    from glamlab.tasks.agreement import sample_size
    from tests.tasks.helpers import add_items, write_csv

    from .conftest import PASSWORD

    ws = make_ws("multi", modality="text", labels=["maps", "ships", "text"],
                 multi_label=True)
    add_items(ws, [{"id": f"i{k}", "text": f"text {k}"} for k in range(20)])
    import_labels(ws, write_csv(tmp_path / "a.csv", ["id", "label"], [
        [f"i{k}", ("maps" if k % 2 else "text") + ("|ships" if k % 10 == 0 else "")]
        for k in range(20)]), annotator="ann")
    add_user(ws, "rob", PASSWORD, "reviewer")
    needed = items_needed(2, smallest_share=0.1)
    assert sample_size(ws)["items_needed"] == needed > items_needed(2)
    app = create_app(ws)
    c = TestClient(app)
    try:
        assert login(c, "rob").status_code == 303
        text = _text(c.get("/label?mode=second").text)
        assert (f"Items labelled by two or more people: 0 of the {needed} needed to judge "
                "the agreement (as many as the most uneven label, ships, asks for): "
                f"{needed} to go (more than the 20 labelled so far: label more items "
                "too).") in text
        c.get(OVERVIEW_AGREEMENT)
        assert app.state.refresher.wait(120)
        text = _text(c.get(OVERVIEW_AGREEMENT).text)
        assert ("not measured yet: ask a second person to label all 20 items labelled so "
                f"far again, without seeing the first label; Krippendorff's rule asks for "
                f"{needed} items") in text
    finally:
        c.close()
        stop_background(app)
        ws.close()


def test_a_project_with_no_labels_says_to_label_items_first(web_ws: Any) -> None:
    """Items brought in, none labelled: the overview said "ask a second person to label
    103 items again", with a link to label a sample again, though there was nothing to
    label again. It says to label items first (no such link), as the Reports page and
    ``glamlab labels agreement`` do."""
    from glamlab.errors import LabelError

    ws = web_ws
    assert ws.status()["stages"][2]["count"] == 0 and ws.status()["stages"][1]["count"] > 0
    with _rey_and_rob(ws) as (app, rey, _rob):
        rey.get(OVERVIEW_AGREEMENT)
        rey.get("/reports")
        assert app.state.refresher.wait(120)
        overview = rey.get(OVERVIEW_AGREEMENT).text
        text = _text(overview)
        assert ("Can the labels be trusted? Agreement between labellers: not measured yet: "
                "nothing is labelled yet; label items first (the Labelling page)") in text
        assert "again, without seeing" not in text and "label 0" not in text
        assert 'id="agreement-second"' not in overview
        reports = _text(rey.get("/reports").text)
        assert ("Agreement between labellers: nothing is labelled yet: label items first "
                "(the Labelling page)") in reports
        assert "two or more of: nobody" not in reports
    with pytest.raises(LabelError) as exc:  # what `glamlab labels agreement` says
        agreement(ws)
    assert exc.value.message == "nothing is labelled yet", exc.value.message
    assert "label items first (`glamlab serve`" in str(exc.value.hint)


def test_a_second_label_leaves_the_gold_label_of_a_frozen_test_item(web_ws: Any) -> None:
    """A second labeller's blind label is kept for the agreement, but does not replace
    the first person's gold label: models were measured against the frozen test set.
    Where the two disagree, the Labelling page lists the item to settle; a label given
    on the item's ordinary labelling page settles it and becomes the gold label."""
    from glamlab.tasks import gold_labels
    from glamlab.tasks.splits import is_frozen, test_data

    ws = web_ws
    ids = [i.item_id for i in ws.items(limit=4)]
    first = {i: ("graphic" if k % 2 else "no_graphic") for k, i in enumerate(ids)}
    other = {"graphic": "no_graphic", "no_graphic": "graphic"}
    with _rey_and_rob(ws) as (app, rey, rob):
        for i, label in first.items():
            assert _label(rey, i, label, split="test", strategy="random").status_code == 303
        test_data(ws, reader="evaluate")  # a model was measured on the test set
        assert is_frozen(ws)
        gold = gold_labels(ws)
        assert gold == {i: [v] for i, v in first.items()}
        # rob disagrees on the first item, agrees on the second
        disputed, agreed = ids[0], ids[1]
        assert _label(rob, disputed, other[first[disputed]], mode="second").status_code == 303
        assert _label(rob, agreed, first[agreed], mode="second").status_code == 303
        assert gold_labels(ws) == gold
        r = agreement(ws)  # both of rob's labels count, as his own
        assert r["shared_items"] == 2 and r["annotators"] == ["rey", "rob"]
        (pair,) = r["pairs"]
        assert pair["percent_agreement"] == 0.5
        # the disagreement is listed to settle, on the ordinary Labelling page
        page = rey.get("/label")
        part = page.text.split('id="to-settle"', 1)[1].split("</section>", 1)[0]
        text = _text(part)
        assert (f"{disputed} rey: {first[disputed]} (the label in force); rob: "
                f"{other[first[disputed]]} (second labeller)") in text
        assert "in the frozen test set" in text
        # what to do about it, not only that a new label changes the test set
        assert ("Open it and look again: if the first label was right, give it again; if "
                "not, give the right label, then evaluate the models again on the Evaluate "
                "page") in text, text
        assert 'href="/stages/evaluate"' in part
        assert f'href="/label?item={disputed}"' in part and agreed not in part
        # not on the blind page: another second labeller would see both labels
        assert 'id="to-settle"' not in rey.get("/label?mode=second").text
        # settled on purpose: rey takes rob's label on the item's labelling page
        assert _shown(rey.get(f"/label?item={disputed}").text) == disputed
        assert _label(rey, disputed, other[first[disputed]], split="train",
                      strategy="random").status_code == 303
        assert gold_labels(ws)[disputed] == [other[first[disputed]]]
        assert 'id="to-settle"' not in rey.get("/label").text


def test_labels_to_settle_are_looked_up_again_only_when_a_label_changes(
        web_ws: Any, monkeypatch: Any) -> None:
    """The Labelling page's "Labels to settle" list is the same on every view, but its
    search (every second label and the label in force of its item) runs again only after
    a label of an item a second labeller labelled was given, replaced or taken back, by
    the web app or not (not after a label on another item: the page's next item); the
    split of an item listed is read on each view (the frozen test set's hint)."""
    from glamlab import review
    from glamlab.review import save_label
    from glamlab.tasks.splits import test_data

    ws = web_ws
    ids = [i.item_id for i in ws.items(limit=4)]
    later = ids.pop()
    first = {i: ("graphic" if k % 2 else "no_graphic") for k, i in enumerate(ids)}
    other = {"graphic": "no_graphic", "no_graphic": "graphic"}
    searches: list[str] = []

    search = review.second_disagreements

    def counted(*args: Any, **kw: Any) -> Any:
        searches.append("search")
        return search(*args, **kw)

    monkeypatch.setattr(review, "second_disagreements", counted)
    with _rey_and_rob(ws) as (app, rey, rob):
        for i, label in first.items():
            assert _label(rey, i, label, split="test", strategy="random").status_code == 303
        assert _label(rob, ids[0], other[first[ids[0]]], mode="second").status_code == 303

        def listed() -> str:
            page = rey.get("/label")
            assert page.status_code == 200
            if 'id="to-settle"' not in page.text:
                return ""
            return _text(page.text.split('id="to-settle"', 1)[1].split("</section>", 1)[0])

        before = len(searches)
        shown = listed()
        assert f"{ids[0]} rey: {first[ids[0]]} (the label in force)" in shown
        assert ids[1] not in shown and "in the frozen test set" not in shown
        looked_up = len(searches)
        assert looked_up > before
        assert listed() == shown  # nothing changed: the same list, not searched again
        assert len(searches) == looked_up
        # a label on an item no second labeller labelled changes nothing listed
        assert _label(rey, later, "graphic", split="test", strategy="random"
                      ).status_code == 303
        assert listed() == shown
        assert len(searches) == looked_up
        # a label given outside the web app (the command line, the API) is seen
        save_label(ws, "rob", ids[1], [other[first[ids[1]]]], None, second=True)
        shown = listed()
        assert ids[0] in shown and f"{ids[1]} rey: {first[ids[1]]}" in shown
        assert len(searches) > looked_up
        # the splits are read on each view: once the test set is frozen, its hint shows;
        # an item moved out of the test set loses it
        test_data(ws, reader="evaluate")
        assert "in the frozen test set" in listed()
        t = ws.store.t.splits
        with ws.store.write() as conn:
            conn.execute(t.update().where(t.c.item_id.in_(ids[:2])).values(split="train"))
        assert "in the frozen test set" not in listed()
        # settled on purpose: gone from the list
        assert _label(rey, ids[0], other[first[ids[0]]], split="train",
                      strategy="random").status_code == 303
        assert _label(rey, ids[1], other[first[ids[1]]], split="train",
                      strategy="random").status_code == 303
        assert listed() == ""


def test_a_second_label_is_refused_on_an_item_no_one_else_labelled_or_the_user_did(
        make_ws: Any) -> None:
    """The second-labeller page offers only items someone else labelled, but a crafted
    post named any item: a "second" label on the user's own item replaced their label,
    and on an unlabelled item it was the only label, so the label in force (a frozen
    test item's too). Both are refused now, and nothing is written."""
    import pytest

    from glamlab.errors import LabelError
    from glamlab.review import save_label
    from glamlab.tasks import gold_labels
    from tests.actions.helpers import add_items

    ws = make_ws(labels=["a", "b"], modality="text")
    add_items(ws, [{"item_id": i, "modality": "text"} for i in ("mine", "none")])
    save_label(ws, "ana", "mine", ["a"], "train")
    before = gold_labels(ws)
    with pytest.raises(LabelError, match="you labelled this item already"):
        save_label(ws, "ana", "mine", ["b"], None, second=True)
    with pytest.raises(LabelError, match="nobody else has labelled this item"):
        save_label(ws, "ana", "none", ["b"], None, second=True)
    assert gold_labels(ws) == before
    save_label(ws, "bea", "mine", ["b"], None, second=True)  # the flow it is for
    assert gold_labels(ws) == before
