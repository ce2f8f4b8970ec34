"""A pretrained entity recogniser used as shipped (spacy-pretrained: "no training")
said "Trained ner@1 (spacy-pretrained) on 3,472 training items" of German texts, for
a French pipeline: it says it was saved as shipped, not trained on the project, and
warns when the project's texts are in another language than the pipeline reads."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from glamlab.predictors.entities.spacy_ner import language_notes
from tests import ner_project
from tests.actions.helpers import run_cli


def test_a_pipeline_of_another_language_than_the_texts_is_warned_about() -> None:
    [note] = language_notes("fr_core_news_sm", ["de"] * 9 + ["fr"])
    assert note.startswith("fr_core_news_sm reads French (fr), but 9 of the 10 training "
                           "texts with a known language are in another (most of them "
                           "German, de: 9)"), note
    assert language_notes("fr_core_news_sm", ["fr"] * 3 + ["de"]) == []
    assert language_notes("xx_ent_wiki_sm", ["de"] * 3) == []  # multilingual
    assert language_notes("fr_core_news_sm", [None, None]) == []  # language unknown


def test_training_a_pretrained_recogniser_says_it_was_not_trained(make_ws: Any,
                                                                   capsys: Any) -> None:
    ws = ner_project.gold_and_gazetteer(make_ws)
    items = ws.store.t.items
    with ws.store.write() as conn:
        for r in conn.execute(sa.select(items.c.pk, items.c.meta)).all():
            conn.execute(items.update().where(items.c.pk == r.pk)
                         .values(meta={**(r.meta or {}), "lang": "de"}))
    code, out, err = run_cli(capsys, ws, "train", "spacy-pretrained", "--name", "zero")
    assert code == 0, err
    assert "Trained zero@1" not in out, out
    assert "Saved zero@1 (spacy-pretrained) as shipped: a pretrained model, not trained " \
           "on this project's" in out, out
    assert "fr_core_news_sm reads French (fr), but" in out and "German, de" in out, out
