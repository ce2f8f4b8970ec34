"""``act --optimise --model X --write`` (and ``optimise(..., model=X, write=True)``) with X
not the model in use: ``[policy]`` is applied to the model in use, so thresholds tuned on X
are shown but not saved, and the person is told which model was tuned, which is in use,
and how to choose X first. Before, they were saved, and act then applied them to the model
in use. Tuning the model in use saves as before. On the command line, --write that saved
nothing exits with status 2 (it exited 0: a script could not tell)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from glamlab.actions import optimise, render_optimise
from glamlab.actions.optimise import write_thresholds
from glamlab.actions.policy import load_policy
from glamlab.errors import PolicyError
from glamlab.registry import use_model
from glamlab.registry.models import set_alias

from .helpers import add_model, add_predictions, run_cli
from .test_act import TEST_BLANK, TEST_CONTENT, _add_calibration, _scores
from .test_act import pages as pages  # noqa: F401  (the fixture)


@pytest.fixture
def two_models(pages: Any) -> Any:  # noqa: F811
    """blanks@1 is the model in use (its champion); other@1, run over the same items
    with other scores, is not."""
    _add_calibration(pages, TEST_BLANK, TEST_CONTENT)
    set_alias(pages, "blanks@1", "champion")
    use_model(pages, "blanks")
    other = add_model(pages, "other", 1)
    with pages.store.read() as conn:
        t = pages.store.t.predictions
        ids = sorted({r[0] for r in conn.execute(t.select().with_only_columns(t.c.item_id))})
    add_predictions(pages, other, {i: _scores("blank" if k % 3 else "content", 0.9)
                                   for k, i in enumerate(ids)})
    return pages


_cli = run_cli


def _saved(ws: Any) -> dict[str, Any]:
    return dict(ws.reload_card().raw.get("policy", {}))


def test_python_thresholds_of_a_model_not_in_use_are_shown_not_saved(two_models: Any) -> None:
    ws = two_models
    res = optimise(ws, target_precision=0.8, model="other@1", write=True)
    assert res["model"] == "other@1" and not res["written"]
    assert "labels" not in _saved(ws)  # nothing in [policy]
    note = res["not_saved"]
    assert note is not None and note in res["notes"] and note in render_optimise(res)
    assert "tuned on other@1" in note and "the model in use is blanks@1" in note
    assert "glamlab models promote other@1" in note  # other@1 is not its name's chosen one
    assert res["labels"]  # the thresholds are still shown
    # saving such a result later is refused too, with the same words
    with pytest.raises(PolicyError, match="tuned on other@1") as exc:
        write_thresholds(ws, res)
    assert exc.value.hint is not None and "glamlab models promote other@1" in exc.value.hint
    assert "labels" not in _saved(ws)
    # the model in use saves as before
    mine = optimise(ws, target_precision=0.8, model="blanks@1", write=True)
    assert mine["written"] and mine["not_saved"] is None
    assert load_policy(ws.reload_card()).labels["blank"].accept == 0.85
    assert optimise(ws, target_precision=0.8, write=True)["written"]


def test_a_result_saved_after_the_model_in_use_changed_is_refused(two_models: Any) -> None:
    """The web app's Save: the thresholds were worked out on the model then in use; when
    another model is chosen before they are saved, they are not saved."""
    ws = two_models
    res = optimise(ws, target_precision=0.8, web=True)
    assert res["model"] == "blanks@1" and res.get("not_saved") is None
    set_alias(ws, "other@1", "champion")
    use_model(ws, "other")
    with pytest.raises(PolicyError, match="tuned on blanks@1") as exc:
        write_thresholds(ws, res, web=True)
    assert exc.value.hint is not None and "Admin page" in exc.value.hint
    assert "glamlab" not in exc.value.hint
    assert "labels" not in _saved(ws)
    # with [policy] model naming the model in use, the Admin page's choice would change
    # nothing: the fix names the card's line
    ws.card.raw["policy"] = {"model": "other@1"}
    ws.save_card()
    with pytest.raises(PolicyError, match="tuned on blanks@1") as exc:
        write_thresholds(ws, res, web=True)
    assert exc.value.hint is not None and 'model = "blanks@1"' in exc.value.hint


def test_cli_optimise_write_with_another_model_says_so_saves_nothing_and_exits_2(
        two_models: Any, capsys: Any) -> None:
    ws = two_models
    ws.close()
    code, out, err = _cli(capsys, ws, "act", "--optimise", "--target-precision", "0.8",
                          "--model", "other@1", "--write")
    # --write asked, nothing written: a script can tell (exit status 2, the reason and
    # the fix on stderr); the thresholds are still shown
    assert code == 2, err
    assert "Not saved in [policy]" in out and "tuned on other@1" in out
    assert "the model in use is blanks@1" in out and "glamlab models promote other@1" in out
    note = out[out.index("Not saved in [policy]"):].splitlines()[0]
    assert err == f"error: {note}\n"
    assert "labels" not in _saved(ws)
    code, out, err = _cli(capsys, ws, "act", "--optimise", "--target-precision", "0.8",
                          "--model", "other@1", "--write", "--json")
    assert code == 2, err
    res = json.loads(out)
    assert not res["written"] and "tuned on other@1" in res["not_saved"]
    assert err == f"error: {res['not_saved']}\n"
    assert "labels" not in _saved(ws)
    # without --write, shown and not saved is what was asked
    code, out, err = _cli(capsys, ws, "act", "--optimise", "--target-precision", "0.8",
                          "--model", "other@1", "--json")
    assert code == 0, err
    assert not json.loads(out)["written"] and "labels" not in _saved(ws)
    # with [policy] model naming the model in use, the fix is to name X there
    ws.card.raw["policy"] = {"model": "blanks@1"}
    ws.save_card()
    code, out, err = _cli(capsys, ws, "act", "--optimise", "--target-precision", "0.8",
                          "--model", "other@1", "--write")
    assert code == 2, err
    assert 'model = "other@1"' in out and 'model = "other@1"' in err
    assert "labels" not in _saved(ws)
    # the model in use: saved, as before
    code, out, err = _cli(capsys, ws, "act", "--optimise", "--target-precision", "0.8",
                          "--write")
    assert code == 0, err
    assert "Not saved" not in out and not err
    assert load_policy(ws.reload_card()).labels["blank"].accept == 0.85


def test_with_no_model_in_use_yet_the_latest_run_s_model_is_named(pages: Any) -> None:  # noqa: F811
    """No champion, no [policy] model: act follows the latest run's model, and the note
    says so rather than calling it the model in use."""
    _add_calibration(pages, TEST_BLANK, TEST_CONTENT)
    other = add_model(pages, "other", 1)
    add_predictions(pages, other, {"c00": _scores("blank", 0.9)})  # the latest run
    res = optimise(pages, target_precision=0.8, model="blanks@1", write=True)
    assert not res["written"] and "labels" not in _saved(pages)
    assert "act and export use other@1 (no model is in use yet" in res["not_saved"]
    assert "glamlab models promote blanks@1" in res["not_saved"]


def test_the_web_app_refuses_to_save_thresholds_of_a_model_no_longer_in_use(
        two_models: Any) -> None:
    """The Choose the policy page: thresholds worked out while blanks@1 was in use, then
    other@1 chosen on the Admin page; Save is refused, naming both, and nothing is saved."""
    import re

    from glamlab.web import jobs
    from tests.web.conftest import app_with_users, csrf_of

    made = app_with_users(two_models)
    ws, app, client = next(made)
    try:
        ada = client("ada")
        r = ada.post("/stages/policy", data={"csrf": csrf_of(ada), "target_precision": "0.8"},
                     follow_redirects=False)
        assert r.status_code == 303, r.text
        app.state.jobs.start()
        assert app.state.jobs.wait(300)
        job = jobs.latest(ws, "optimise")
        assert job["status"] == "done" and job["result"]["model"] == "blanks@1", job
        page = ada.get("/stages/policy").text
        assert 'id="save-policy"' in page  # the model in use's: it can be saved
        set_alias(ws, "other@1", "champion")
        use_model(ws, "other")
        r = ada.post("/stages/policy/save", data={"csrf": csrf_of(ada), "job": str(job["id"])},
                     follow_redirects=False)
        assert r.status_code >= 400
        text = re.sub(r"\s+", " ", r.text.replace("&#39;", "'"))
        assert "tuned on blanks@1" in text and "the model in use is other@1" in text, text
        assert "Admin page" in text
        assert "labels" not in _saved(ws)
    finally:
        next(made, None)
