"""The web app says which texts' entities no longer fit their text (re-ingested with other
words after they were marked), as ``glamlab status`` does, and what to do about it in the
web app: the overview names them (training and test apart) with a link that opens each on
the labelling page, and the review card of such a text says so."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from typing import Any

from tests.web.conftest import login
from tests.web.test_entities_review import entities_ws as entities_ws  # the fixture


def _plain(html: str) -> str:
    words = " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
    return re.sub(r" ([.,])", r"\1", words)


def test_the_overview_and_the_review_card_name_texts_whose_entities_no_longer_fit(
        entities_ws: Any, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from glamlab.actions import act
    from glamlab.inference.runner import run
    from glamlab.review import save_label
    from glamlab.web import create_app

    ws = entities_ws
    with ws.store.write() as conn:
        s = ws.store.t.splits
        conn.execute(s.update().where(s.c.item_id == "unread1").values(split="test"))
    for item in ("unread0", "unread1"):
        save_label(ws, "rey", item, [json.dumps([{"start": 0, "end": 8, "label": "PROD"}])],
                   split="train")
        path = tmp_path / "unread" / f"{item}.txt"
        path.write_text(path.read_text(encoding="utf-8").replace("Nouvelle", "Nouvele", 1),
                        encoding="utf-8")
    assert ws.ingest([tmp_path / "unread"]).updated == 2
    run(ws, "gazetteer@1", workers=0, handle_signals=False)
    act(ws, model="gazetteer@1")
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        page = c.get("/").text
        train = re.search(r'<p[^>]*id="changed-gold-train"[^>]*>(.*?)</p>', page, re.S)
        test = re.search(r'<p[^>]*id="changed-gold-test"[^>]*>(.*?)</p>', page, re.S)
        assert train and test, page
        words = _plain(train.group(1))
        assert ("1 text of the training set was ingested again with other words (new OCR) "
                "after its entities were marked: unread0.") in words, words
        assert "left out of training, and the model's suggestions for it are asked again" \
            in words and "labelling page" in words
        assert 'href="/label?item=unread0"' in train.group(1)
        words = _plain(test.group(1))
        assert "1 text of the test set" in words and "unread1" in words, words
        assert "left out of the evaluation" in words and "Whole text checked" not in words
        assert 'href="/label?item=unread1"' in test.group(1)
        # the link opens that very text on the labelling page
        label = c.get("/label?item=unread0").text
        assert 'name="item_id" value="unread0"' in label
        assert ws.item("unread0").text.split()[0] == "Nouvele"
        # the review card of the text says so too
        queue = c.get("/queue?limit=300").text
        cards = [m for m in re.finditer(r'<p class="problem gold-changed">(.*?)</p>', queue,
                                        re.S)]
        assert cards, "no review card says the text's entities no longer fit"
        assert all("/label?item=unread0" in m.group(1) or "/label?item=unread1" in m.group(1)
                   for m in cards)
        assert "ingested again with other words" in _plain(cards[0].group(1))
    # what the overview says works: the text's entities marked again on the labelling page
    with TestClient(create_app(ws)) as c:
        assert login(c, "rey").status_code == 303
        label = c.get("/label?item=unread0").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', label)
        form = {"item_id": "unread0", "split": "train", "label": "[]",
                **({"csrf": csrf.group(1)} if csrf else {})}
        assert c.post("/label", data=form, follow_redirects=False).status_code == 303
        assert 'id="changed-gold-train"' not in c.get("/").text
        assert 'id="changed-gold-test"' in c.get("/").text
