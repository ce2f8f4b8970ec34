"""The Admin page names the one model in use. Each model name keeps a champion of its
own, so before, a project with two names showed "champion" on two rows and a curator
could not tell which one runs, acting and the exports use (and, with no choice made,
the later name's champion, trained and never evaluated, had silently become it)."""

from __future__ import annotations

import re
from typing import Any

from glamlab.actions.act import default_model_spec
from glamlab.actions.policy import load_policy
from glamlab.predictors.catalogue import get
from glamlab.registry import champion, get_model, save_model

from .conftest import csrf_of


def _roles(html: str) -> dict[str, str]:
    rows = re.findall(r"<tr><td>([^<]+@\d+)</td><td>[^<]*</td><td>([^<]*)</td></tr>", html)
    return dict(rows)


def _in_use(html: str) -> str:
    m = re.search(r'<p id="model-in-use">In use: <strong>([^<]+)</strong>', html)
    assert m, "the Admin page does not say which model is in use"
    return m.group(1)


def test_the_admin_page_names_one_model_in_use_as_run_and_act_find_it(
        queued_ws: Any, client_for: Any) -> None:
    ws = queued_ws
    items = list(ws.items(limit=6))
    labels = ws.card.labels
    later = get("prior")().fit(items, [[labels[i % 2]] for i in range(len(items))],
                               classes=labels, multi_label=False)
    # a second predictor's first version: the champion of its own name, as train makes it
    save_model(ws, later, name="prior", aliases=["champion"])
    ada = client_for("ada")
    html = ada.get("/admin").text
    assert _in_use(html) == champion(ws).spec == default_model_spec(ws) == "majority@1"
    roles = _roles(html)
    assert roles == {"majority@1": "in use",
                     "prior@1": "chosen version of prior (not in use)"}
    # [policy] model names another model: the page says acting and the exports use it
    ws.card.raw.setdefault("policy", {})["model"] = "prior@1"
    ws.save_card()
    html = ada.get("/admin").text
    assert _in_use(html) == "majority@1"
    assert default_model_spec(ws, load_policy(ws.card)) == "prior@1"
    assert "acting and the exports use <strong>prior@1</strong> instead" in html
    del ws.card.raw["policy"]["model"]
    ws.save_card()
    # made champion on the page: it is the one in use, for every reader
    r = ada.post("/admin/alias", data={"model": "prior@1", "alias": "champion",
                                       "confirmed": "yes", "csrf": csrf_of(ada)},
                 follow_redirects=False)
    assert r.status_code == 303
    html = ada.get("/admin").text
    assert _in_use(html) == champion(ws).spec == default_model_spec(ws) == "prior@1"
    assert _roles(html) == {"majority@1": "chosen version of majority (not in use)",
                            "prior@1": "in use"}


def test_the_run_page_names_the_model_in_use_in_the_admin_pages_words(
        queued_ws: Any, client_for: Any) -> None:
    """The Run page said "Champion: majority@1" while the Admin page said "In use:
    majority@1", with another name's champion listed beside it: a curator could not tell
    the two pages meant the same model. Both now say the model in use, and name it."""
    ws = queued_ws
    items = list(ws.items(limit=6))
    labels = ws.card.labels
    later = get("prior")().fit(items, [[labels[i % 2]] for i in range(len(items))],
                               classes=labels, multi_label=False)
    save_model(ws, later, name="prior", aliases=["champion"])  # champion of prior only
    ada = client_for("ada")
    for expected in ("majority@1", "prior@1"):
        run_page = ada.get("/stages/run").text
        m = re.search(r'<p id="model-in-use">Model in use: <b>([^<]+)</b>', run_page)
        assert m, "the Run page does not say which model is in use"
        assert m.group(1) == _in_use(ada.get("/admin").text) == champion(ws).spec == expected
        assert f"Run {expected} over the" in run_page
        assert "Champion:" not in run_page and "champion model" not in run_page
        # made champion on the Admin page: the model in use on both pages
        ada.post("/admin/alias", data={"model": "prior@1", "alias": "champion",
                                       "confirmed": "yes", "csrf": csrf_of(ada)})


def test_a_champion_made_on_the_admin_page_can_be_rolled_back(
        queued_ws: Any, client_for: Any) -> None:
    """The Admin page made a champion by setting the alias alone: the old champion was not
    kept as the name's ``previous`` (nor a challenger cleared), so ``glamlab models
    rollback`` after a change made there had nothing to go back to. It now promotes as
    ``glamlab models promote`` does."""
    from glamlab.retraining import rollback

    ws = queued_ws
    items = list(ws.items(limit=6))
    labels = ws.card.labels
    before = champion(ws)
    newer = get(before.name)().fit(items, [[labels[i % 2]] for i in range(len(items))],
                                   classes=labels, multi_label=False)
    second = save_model(ws, newer, name=before.name, aliases=["challenger"])
    ada = client_for("ada")
    r = ada.post("/admin/alias", data={"model": second.spec, "alias": "champion",
                                       "confirmed": "yes", "csrf": csrf_of(ada)},
                 follow_redirects=False)
    assert r.status_code == 303
    assert champion(ws).spec == second.spec == default_model_spec(ws)
    assert "challenger" not in get_model(ws, second.spec).aliases
    back = rollback(ws, before.name, actor="ada")
    assert back.spec == before.spec == champion(ws).spec
