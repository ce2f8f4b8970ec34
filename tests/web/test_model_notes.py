"""A span model trained with an older word splitter: ``glamlab models`` says its score
may have changed and how to retrain it; the web app's Train and Admin pages, which list
the saved models too, say the same (one text, :func:`glamlab.registry.models.model_note`,
naming the web app's pages instead of commands)."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import sqlalchemy as sa

from glamlab.registry import describe_models, get_model
from glamlab.registry.models import model_note
from glamlab.registry.training import train

from .conftest import app_with_users


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _as_saved_before(ws: Any, spec: str) -> None:
    """Model ``spec``'s card as the code before the word splitter's version saved it (no
    ``tokeniser``): what the listings read."""
    mv = get_model(ws, spec)
    assert mv.card["tokeniser"] == 2
    t = ws.store.t
    with ws.store.write() as conn:
        conn.execute(sa.update(t.models).where(t.models.c.id == mv.id).values(
            card={k: v for k, v in mv.card.items() if k != "tokeniser"}))


def test_train_and_admin_pages_say_what_glamlab_models_says(kind_template: Any) -> None:
    ws = kind_template("entities")
    try:
        # a gazetteer that ignores case cannot re-key its table to today's splitter
        old = train(ws, "gazetteer", name="any-case", params={"case_sensitive": False},
                    set_champion=False).model
        gen = app_with_users(ws)
        _, _, client = next(gen)
        ada = client("ada")
        for page in ("/stages/train", "/admin"):
            assert "older word splitter" not in ada.get(page).text

        _as_saved_before(ws, old.spec)
        mv = get_model(ws, old.spec)
        listed = {r["model"]: r["note"] for r in describe_models(ws)}
        assert listed[old.spec] == model_note(mv) and "glamlab evaluate" in listed[old.spec]
        said = model_note(mv, web=True)
        assert said and "older word splitter" in said and "glamlab" not in said
        assert "the Baselines and evaluation page" in said and "the Train models page" in said
        assert [m for m, note in listed.items() if note] == [old.spec]
        for page in ("/stages/train", "/admin"):
            text = _text(ada.get(page).text)
            assert f"{old.spec}: {said}." in text, page
            assert text.count("older word splitter") == 1, page
        next(gen, None)
    finally:
        ws.close()
