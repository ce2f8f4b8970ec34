"""The Choose the policy page says, in words, from what score predictions go to a person
(below it: rejected, nobody sees them) and how many; an admin may choose that score
(validated, with the form's CSRF token); the project's own is the default, and what
saving would reject that now reaches a person is shown before it is saved."""

from __future__ import annotations

import re
from typing import Any

import pytest

from glamlab.web.app import stop_background
from tests.actions.helpers import add_items, add_predictions
from tests.actions.test_act import TEST_BLANK, TEST_CONTENT, _add_calibration
from tests.actions.test_act import pages as pages  # noqa: F401  (the fixture)

from .conftest import PASSWORD, csrf_of, login


@pytest.fixture
def policy_app(pages: Any) -> Any:  # noqa: F811
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.web import create_app

    _add_calibration(pages, TEST_BLANK, TEST_CONTENT)
    add_items(pages, [{"item_id": "c99"}])  # the model is 45% sure of it
    add_predictions(pages, 1, {"c99": {"blank": 0.45, "content": 0.4}})
    add_user(pages, "ada", PASSWORD, "admin")
    app = create_app(pages)
    with TestClient(app) as c:
        assert login(c, "ada").status_code == 303
        yield pages, app, c
    stop_background(app)


def _work_out(app: Any, c: Any, **data: str) -> str:
    r = c.post("/stages/policy", data={"csrf": csrf_of(c), "target_precision": "0.9",
                                       **data}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert app.state.jobs.wait(300)
    page: str = c.get("/stages/policy").text
    assert "Choosing the thresholds finished" in page, page
    return page


def _review_words(page: str) -> str:
    m = re.search(r'<p id="policy-review"[^>]*>(.*?)</p>', page, re.S)
    assert m, page
    return m.group(1)


def test_the_policy_page_reviews_from_the_projects_own_score_by_default(policy_app: Any
                                                                         ) -> None:
    from glamlab.actions.policy import load_policy

    ws, app, c = policy_app
    page = c.get("/stages/policy").text
    assert 'name="review_percent"' in page
    assert "every prediction below the accept threshold goes to a person" in page
    words = _review_words(_work_out(app, c))
    # before: from 50%, the item the model is 45% sure of was rejected on saving
    assert "Every prediction below its accept threshold goes to a person" in words, words
    assert "Saving rejects nothing that now goes to a person." in words
    page = c.get("/stages/policy").text
    assert re.search(r"<td>0% sure</td>", page)  # the Sent to a person from column
    job = re.search(r'name="job" value="(\d+)"', page).group(1)  # type: ignore[union-attr]
    r = c.post("/stages/policy/save", data={"csrf": csrf_of(c), "job": job},
               follow_redirects=False)
    assert r.status_code == 303
    assert {lp.review for lp in load_policy(ws.card).labels.values()} == {0.0}


def test_an_admin_chooses_the_review_score_and_sees_what_it_drops(policy_app: Any) -> None:
    ws, app, c = policy_app
    words = _review_words(_work_out(app, c, review_percent="50"))
    assert "Predictions scoring under 50% sure are rejected without review: 1 of" in words
    assert "Saving would reject 1 prediction sent to a person now" in words
    assert 'id="policy-review" class="problem"' in c.get("/stages/policy").text
    # validated: a clear error naming the field, and no job
    for bad, says in (("150", "between 0 and 100"), ("lots", "must be a number")):
        r = c.post("/stages/policy", data={"csrf": csrf_of(c), "target_precision": "0.9",
                                           "review_percent": bad}, follow_redirects=False)
        assert r.status_code == 400 and says in r.text, r.text
        assert "the score from which predictions go to a person" in r.text
    # the form's CSRF protection, as the other forms
    r = c.post("/stages/policy", data={"csrf": "forged", "target_precision": "0.9",
                                       "review_percent": "10"}, follow_redirects=False)
    assert r.status_code in (400, 403)


def test_the_policy_page_says_when_no_model_is_marked_champion(policy_app: Any) -> None:
    """Before, the worked-out thresholds were shown for the latest run's model with no
    word that no model is marked champion (the dry run on the act page said it)."""
    import html

    from glamlab.registry.models import set_alias

    ws, app, c = policy_app
    page = _work_out(app, c)
    notes = [html.unescape(n) for n in re.findall(
        r'<p class="hint policy-note" role="note">(.*?)</p>', page, re.S)]
    assert len(notes) == 1 and "No model is in use yet" in notes[0], notes
    assert "blanks@1" in notes[0] and "Evaluate page" in notes[0]
    set_alias(ws, "blanks@1", "champion")
    assert "policy-note" not in _work_out(app, c)


def test_a_test_figure_below_the_target_is_not_called_somewhat_fewer(
        pages: Any) -> None:  # noqa: F811
    """Thresholds chosen on calibration items the model never got wrong, checked on test
    items it often did: the page said "the low end of the range is below the target:
    expect somewhat fewer right" for a test figure itself far below the 99% asked for."""
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.web import create_app

    right = [(0.6, True), (0.7, True), (0.8, True), (0.9, True), (0.95, True)]
    _add_calibration(pages, right, right)
    add_user(pages, "ada", PASSWORD, "admin")
    app = create_app(pages)
    with TestClient(app) as c:
        assert login(c, "ada").status_code == 303
        page = _work_out(app, c, target_precision="0.99")
    stop_background(app)
    honest = re.search(r'<p id="policy-honest">(.*?)</p>', page, re.S)
    assert honest, page
    m = re.search(r"(\d+) of (\d+) right, ([\d.]+)%", honest.group(1))
    assert m and float(m.group(3)) < 99, honest.group(1)  # the test figure: below target
    assert "somewhat fewer" not in honest.group(1)
    assert "below the 99.0% asked for" in honest.group(1)
