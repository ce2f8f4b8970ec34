"""What the web app shows of the policy's errors names its pages, not commands (a step
only the server can take names the command to ask whoever runs glamlab there to run):
``optimise(web=True)`` (the Choose the policy page's job), ``load_policy`` and
``load_safety`` with ``web`` (a card they cannot read), the test budget's warning. The
command line keeps its commands."""

from __future__ import annotations

from typing import Any

import pytest

from glamlab.errors import PolicyError

from .helpers import add_items, add_model, add_predictions
from .test_act import pages as pages  # noqa: F401  (the fixture)


def _hint(fn: Any) -> str:
    with pytest.raises(PolicyError) as caught:
        fn()
    return caught.value.hint or ""


def test_optimise_without_a_test_split_names_the_label_page(make_ws: Any) -> None:
    from glamlab.actions.optimise import optimise

    ws = make_ws("nosplit", task="blank-pages", labels=["blank", "content"])
    add_items(ws, [{"item_id": "a"}, {"item_id": "b"}])
    add_predictions(ws, add_model(ws, "blanks", 1), {"a": {"blank": 0.9, "content": 0.1},
                                                    "b": {"blank": 0.2, "content": 0.8}})
    web = _hint(lambda: optimise(ws, target_precision=0.9, web=True))
    assert "Label page" in web and "glamlab" not in web and "--" not in web
    assert "glamlab labels split" in _hint(lambda: optimise(ws, target_precision=0.9))


def test_optimise_without_calibration_data_names_the_label_page(pages: Any  # noqa: F811
                                                                 ) -> None:
    from glamlab.actions.optimise import optimise

    web = _hint(lambda: optimise(pages, target_precision=0.9, web=True))
    assert "label more items for training on the Label page" in web
    # the curator's own step names the page; the step only the server can take names
    # the command to ask for, for whoever runs glamlab there
    mine, _, asked = web.partition("ask whoever runs glamlab on the server to run ")
    assert "glamlab labels import" not in mine and "--split" not in mine
    assert asked.startswith('"glamlab labels import FILE --split calibration"'), web
    assert "glamlab labels import" in _hint(lambda: optimise(pages, target_precision=0.9))


def test_a_card_the_policy_or_safety_rules_cannot_be_read_from(pages: Any  # noqa: F811
                                                               ) -> None:
    from glamlab.actions.policy import load_policy
    from glamlab.actions.safety import load_safety

    pages.card.raw["policy"] = {"default_action": "maybe"}
    pages.card.raw["safety"] = {"applies_to": "everything"}
    cli = _hint(lambda: load_policy(pages.card))
    assert "glamlab act --help" in cli
    web = _hint(lambda: load_policy(pages.card, web=True))
    assert "whoever runs glamlab on the server" in web and "glamlab act" not in web
    assert "edit [safety]" in _hint(lambda: load_safety(pages.card, pages.root))
    web = _hint(lambda: load_safety(pages.card, pages.root, web=True))
    assert "whoever runs glamlab on the server" in web and "edit" not in web


def test_the_test_budget_warning_in_web_words() -> None:
    from glamlab.tasks.splits import budget_warning

    assert budget_warning(3, 5, web=True) is None
    web = budget_warning(6, 5, web=True) or ""
    mine, _, asked = web.partition("ask whoever runs glamlab on the server to run ")
    assert "past its budget of 5" in mine and "glamlab" not in mine and "--" not in mine
    assert asked.startswith('"glamlab labels sample --split test"'), web
    assert "glamlab labels sample --split test" in (budget_warning(6, 5) or "")
