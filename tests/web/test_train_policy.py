"""The train page (the recommended predictors for the task, ticked ones trained as a job,
one failure reported while the others carry on) and the policy page (thresholds for a
precision target chosen on calibration data, the honest test figure with its interval,
saved only when a person says so) (issue 18)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from glamlab.errors import GlamlabError

from .conftest import PASSWORD, login
from .test_stages import _post, lang_app  # noqa: F401  (the fixture)


def test_train_page_lists_the_recommended_and_trains_as_a_job(
        lang_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    from fastapi.testclient import TestClient

    from glamlab.registry import list_models, training

    ws, app, c = lang_app
    page = c.get("/stages/train").text
    names = re.findall(r'name="predictor" value="([^"]+)"', page)
    assert names[:2] == ["language", "lang-lingua"]  # glamlab predictors' order
    assert "text-tfidf" in names and "majority" not in names  # baselines: evaluate
    assert re.search(r'value="language" id="p-language" checked', page)
    real = training.train

    def train(ws: Any, name: str, **kw: Any) -> Any:
        if name == "text-zero-shot":
            raise GlamlabError("the zero-shot model is not installed", hint="pip install it")
        return real(ws, name, **kw)

    monkeypatch.setattr(training, "train", train)
    with TestClient(app) as viewer:
        assert login(viewer, "val").status_code == 303
        r = viewer.post("/stages/train", data={"csrf": "x", "predictor": "text-tfidf"},
                        follow_redirects=False)
        assert r.status_code == 403
    _post(c, "/stages/train", predictor=["text-tfidf", "text-zero-shot"])  # type: ignore[arg-type]
    assert app.state.jobs.wait(300)
    page = c.get("/stages/train").text
    assert "Training finished" in page
    assert re.search(r'id="trained">.*text-tfidf: saved as <b>text-tfidf@1</b>', page, re.S)
    assert "text-zero-shot could not be trained: the zero-shot model is not installed" in page
    assert [m.spec for m in list_models(ws)] == ["text-tfidf@1"]
    bad = c.post("/stages/train", data={"csrf": re.search(
        r'data-csrf="([^"]+)"', page).group(1), "predictor": "no-such"},  # type: ignore[union-attr]
        follow_redirects=False)
    assert bad.status_code == 400 and "no predictor called" in bad.text


def test_policy_page_chooses_thresholds_and_saves_them_when_asked(lang_app: Any) -> None:  # noqa: F811
    from glamlab.actions.policy import load_policy

    ws, app, c = lang_app
    assert "every prediction goes to a person" in c.get("/stages/policy").text
    _post(c, "/stages/train", predictor="text-tfidf")
    assert app.state.jobs.wait(300)
    assert 'href="/stages/run">run the model' in c.get("/stages/policy").text
    _post(c, "/stages/run")  # the champion: the first version of text-tfidf
    assert app.state.jobs.wait(300)
    r = c.post("/stages/policy", data={"csrf": re.search(r'data-csrf="([^"]+)"', c.get(
        "/stages/policy").text).group(1), "target_precision": "2"},  # type: ignore[union-attr]
        follow_redirects=False)
    assert r.status_code == 400 and "between 0.5 and 1" in r.text
    _post(c, "/stages/policy", target_precision="0.9")
    assert app.state.jobs.wait(300)
    page = c.get("/stages/policy").text
    assert "Choosing the thresholds finished" in page, page
    assert 'id="policy-thresholds"' in page and "95% range" in page
    assert re.search(r'id="policy-honest">(All items accepted on the test set: <b>\d+ of \d+ '
                     r'right, [\d.]+%</b> \(95% range [\d.]+% to [\d.]+%\)|No test item)', page)
    assert load_policy(ws.card).target_precision is None  # not saved until asked
    job = re.search(r'name="job" value="(\d+)"', page).group(1)  # type: ignore[union-attr]
    _post(c, "/stages/policy/save", job=job)
    ws.reload_card()
    policy = load_policy(ws.card)
    assert policy.target_precision == 0.9 and policy.extra["tuned_on"] != "test"
    page = c.get("/stages/policy?saved=1").text
    assert 'id="policy-saved"' in page and "Saved as the policy" in page
    assert 'id="policy-now"' in page
    from glamlab.actions.policy import threshold_pct

    # the thresholds read as on the queue's cards and in the act report: never rounded up
    for lp in policy.labels.values():
        if lp.accept is not None:
            assert f"<td>{threshold_pct(lp.accept)} sure</td>" in page
    # a job that is not a finished optimise cannot be saved
    r = c.post("/stages/policy/save", data={"csrf": re.search(r'data-csrf="([^"]+)"', page)
                                            .group(1), "job": "1"},  # type: ignore[union-attr]
               follow_redirects=False)
    assert r.status_code == 400 and "no chosen thresholds" in r.text
    _ = PASSWORD
