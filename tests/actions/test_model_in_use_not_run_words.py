"""A model made the one in use (``glamlab models promote``, a retrain) but not run over
the collection yet: act, trends, link and the predictions frame refuse (they use the
model in use's predictions, and it has none), export gives the latest run's with a note.
The refusal said "the policy is applied with the predictions of the model in use" for a
trend too, and its fix "run it first: glamlab run; or choose ... yourself: --model";
now it says what the command needs them for, that the model has not been run over the
collection, and the fix (glamlab run) first; the trends page says it in a curator's
words, with no command or flag."""

from __future__ import annotations

import html
from typing import Any

import pytest

from glamlab.errors import PolicyError
from glamlab.registry.models import set_alias

from .helpers import add_items, add_model, add_predictions, run_cli

RUN_FIX = "run it over the collection first: glamlab run; "


@pytest.fixture
def promoted_not_run(make_ws: Any) -> Any:
    """blanks@1 ran over 40 pages (4 years); blanks@2 was promoted after it, not run."""
    ws = make_ws("pages", task="blank-pages", labels=["blank", "content"],
                 positive_label="blank")
    ids = [f"c{k:02d}" for k in range(40)]
    add_items(ws, [{"item_id": i, "meta": {"year": str(1900 + k % 4)}}
                   for k, i in enumerate(ids)])
    first = add_model(ws, "blanks", 1)
    add_predictions(ws, first, {i: {"blank": 0.9, "content": 0.1} for i in ids})
    set_alias(ws, "blanks@1", "champion")
    add_model(ws, "blanks", 2)
    set_alias(ws, "blanks@2", "champion")
    return ws


def test_trends_and_act_name_the_run_as_the_fix(promoted_not_run: Any, capsys: Any) -> None:
    ws = promoted_not_run
    for args, needs in ((("trends", "--by", "year"), "a trend counts the predictions"),
                        (("act", "--dry-run"), "the policy is applied with the predictions")):
        code, _out, err = run_cli(capsys, ws, *args)
        text = " ".join(err.split())
        assert code == 2, err
        assert ("error: the model in use, blanks@2, has no predictions yet: it has not been "
                "run over the collection (the latest predictions are blanks@1's), and "
                f"{needs} of the model in use, not another model's") in text, text
        assert f"fix: {RUN_FIX}or, to use blanks@1's predictions meanwhile, give --model " \
               "blanks@1" in text, text
        assert "policy" not in text or args[0] == "act"


def test_the_frame_says_what_it_needs_the_predictions_for(promoted_not_run: Any) -> None:
    from glamlab.actions.frame import predictions_frame

    with pytest.raises(PolicyError) as err:
        predictions_frame(promoted_not_run)
    assert "the frame holds the predictions of the model in use" in err.value.message
    assert err.value.hint.startswith(RUN_FIX)


def test_link_says_what_it_needs_the_predictions_for(make_ws: Any) -> None:
    from glamlab.actions.link import link_predictions

    ws = make_ws("ner", task="entities", modality="text", labels=["PER", "LOC"])
    add_items(ws, [{"item_id": "n1", "text": "Victor Hugo"}])
    first = add_model(ws, "crf", 1)
    add_predictions(ws, first, {"n1": {"PER": 0.9}})
    set_alias(ws, "crf@1", "champion")
    add_model(ws, "crf", 2)
    set_alias(ws, "crf@2", "champion")
    with pytest.raises(PolicyError) as err:
        link_predictions(ws)
    assert ("the model in use, crf@2, has no predictions yet: it has not been run over the "
            "collection (the latest predictions are crf@1's), and link links the entities "
            "the model in use predicted") in err.value.message, err.value.message
    assert err.value.hint.startswith(RUN_FIX)


def test_the_trends_page_says_it_in_words(promoted_not_run: Any) -> None:
    from glamlab.web.routes.trends import field_choices

    from ..web.conftest import app_with_users, csrf_of

    by = field_choices(promoted_not_run)[0]["value"]  # the year, as the page offers it
    made = app_with_users(promoted_not_run)
    _ws, _app, client = next(made)
    try:
        c = client("rey")
        r = c.post("/stages/trends", data={"csrf": csrf_of(c), "by": by, "label": "",
                                           "method": ""})
        assert r.status_code == 400, r.text
        page = " ".join(html.unescape(r.text).split())
        said = page[page.index('id="trends-error"'):]
        said = said[:said.index("</div>")]
        assert ("the model in use, blanks@2, has no predictions yet: it has not been run "
                "over the collection") in said, said
        assert "a trend counts the predictions of the model in use" in said
        assert "What to do: an admin runs the model in use over the collection first, on " \
               "the Run page" in said, said
        assert "glamlab" not in said and "--" not in said and "policy" not in said
    finally:
        next(made, None)
