"""Which model's predictions act and export use without ``--model``: ``[policy] model``,
else the champion (the model ``glamlab run`` runs, ``glamlab status`` names), not the
latest run's model. A baseline run only to look at it (``glamlab run --model prior``)
must not become the collection's metadata. A champion not run yet is refused, naming it;
only with no champion at all is the latest run's model used, and the report says so."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from glamlab.actions import act, export, plan
from glamlab.errors import PolicyError
from glamlab.registry.models import set_alias

from .helpers import add_gold, add_items, add_model, add_predictions, run_cli

POLICY = {"field": "page_type", "labels": {"blank": {"accept": 0.85, "review": 0.5},
                                           "content": {"accept": 0.9, "review": 0.5}}}


def _scores(label: str, score: float) -> dict[str, float]:
    other = "content" if label == "blank" else "blank"
    return {label: score, other: round(1 - score, 6)}


@pytest.fixture
def champion_then_prior(make_ws: Any) -> Any:
    """blanks@1, the champion, ran over the collection (confident); then prior@1, a
    baseline, ran after it (every item "content" at 0.95: it would accept all of them)."""
    ws = make_ws("pages", task="blank-pages", labels=["blank", "content"],
                 positive_label="blank")
    ids = [f"c{k:02d}" for k in range(6)]
    add_items(ws, [{"item_id": i} for i in ids])
    add_gold(ws, {"c00": "blank", "c01": "content"})
    blanks = add_model(ws, "blanks", 1)
    add_predictions(ws, blanks, {i: _scores("blank" if k % 2 == 0 else "content", 0.97)
                                 for k, i in enumerate(ids)})
    set_alias(ws, "blanks@1", "champion")
    prior = add_model(ws, "prior", 1, predictor="prior")
    add_predictions(ws, prior, {i: _scores("content", 0.95) for i in ids})
    ws.card.raw["policy"] = POLICY
    ws.save_card()
    return ws


def _written_models(ws: Any) -> set[str]:
    t = ws.store.t.machine_metadata
    with ws.store.read() as conn:
        return {f"{r.model}@{r.model_version}"
                for r in conn.execute(sa.select(t.c.model, t.c.model_version))}


def test_act_and_export_use_the_champion_not_the_latest_run(champion_then_prior: Any,
                                                            tmp_path: Path) -> None:
    ws = champion_then_prior
    report = plan(ws)
    assert report.model == "blanks@1"
    assert report.counts["accept"] == 6  # the champion's 0.97s, three of each label
    assert not any("champion" in n for n in report.notes)
    res = export(ws, "csv", tmp_path / "out.csv")
    assert res["model"] == "blanks@1" and res["notes"] == []
    with open(tmp_path / "out.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["model"] for r in rows} == {"blanks"}
    assert sorted(r["value"] for r in rows) == ["blank"] * 3 + ["content"] * 3
    done = act(ws)
    assert done.model == "blanks@1" and _written_models(ws) == {"blanks@1"}
    # asked for by name, the baseline's predictions are still there to look at
    assert plan(ws, model="prior@1").model == "prior@1"
    # [policy] model names the model: it stands over the champion
    ws.card.raw["policy"] = {**POLICY, "model": "prior@1"}
    ws.save_card()
    assert plan(ws).model == "prior@1"
    assert export(ws, "csv", tmp_path / "p.csv")["model"] == "prior@1"


def test_a_champion_with_no_predictions_is_refused_naming_it(champion_then_prior: Any,
                                                             tmp_path: Path) -> None:
    ws = champion_then_prior
    add_model(ws, "blanks", 2)
    set_alias(ws, "blanks@2", "champion")  # promoted, not run yet
    for do in (lambda: plan(ws), lambda: act(ws)):
        with pytest.raises(PolicyError) as exc:
            do()
        err = exc.value
        assert "the model in use, blanks@2, has no predictions yet" in err.message
        assert "prior@1" in err.message  # whose they are
        assert "glamlab run" in (err.hint or "") and "--model prior@1" in (err.hint or "")
    assert _written_models(ws) == set()
    # an export gives the latest run's predictions (nothing was acted on yet), and says so
    res = export(ws, "csv", tmp_path / "latest.csv")
    assert res["model"] == "prior@1" and len(res["notes"]) == 1
    note = res["notes"][0]
    assert "The model in use, blanks@2, has not been run yet" in note
    assert "the model that was run last, prior@1 (not the model in use)" in note
    assert "glamlab run" in note
    with pytest.raises(PolicyError) as exc:  # the web app: its pages, no command
        plan(ws, web=True)
    assert "Run page" in (exc.value.hint or "") and "glamlab" not in (exc.value.hint or "")
    # naming a model is the way round it
    assert plan(ws, model="blanks@1").model == "blanks@1"


def test_with_no_champion_the_latest_run_is_used_and_said(make_ws: Any,
                                                          tmp_path: Path) -> None:
    ws = make_ws("nochamp", task="blank-pages", labels=["blank", "content"],
                 positive_label="blank")
    add_items(ws, [{"item_id": "a"}, {"item_id": "b"}])
    add_predictions(ws, add_model(ws, "one", 1), {"a": _scores("blank", 0.9),
                                                  "b": _scores("blank", 0.9)})
    add_predictions(ws, add_model(ws, "two", 1), {"a": _scores("content", 0.9),
                                                  "b": _scores("content", 0.9)})
    ws.card.raw["policy"] = POLICY
    ws.save_card()
    report = plan(ws)
    assert report.model == "two@1"
    said = [n for n in report.notes if "No model is in use yet" in n]
    assert len(said) == 1 and "two@1" in said[0]
    res = export(ws, "csv", tmp_path / "out.csv")
    assert res["model"] == "two@1" and len(res["notes"]) == 1 and "two@1" in res["notes"][0]


_cli = run_cli


def test_cli_act_and_export_default_to_the_champion(champion_then_prior: Any, tmp_path: Path,
                                                    capsys: Any) -> None:
    ws = champion_then_prior
    ws.close()
    code, out, err = _cli(capsys, ws, "act", "--dry-run", "--json")
    assert code == 0, err
    assert json.loads(out)["model"] == "blanks@1"
    code, out, err = _cli(capsys, ws, "export", "--format", "csv", "--out",
                          str(tmp_path / "cli.csv"))
    assert code == 0, err
    with open(tmp_path / "cli.csv", encoding="utf-8-sig", newline="") as fh:
        assert {r["model"] for r in csv.DictReader(fh)} == {"blanks"}
    code, out, err = _cli(capsys, ws, "act")
    assert code == 0, err
    assert "blanks@1" in out
    # the help says the same as the README: the champion
    for command in ("act", "export"):
        code, out, _ = _cli(capsys, ws, command, "--help")
        assert "else the model in use" in " ".join(out.split())
        assert "latest run's model" in " ".join(out.split())  # only with no champion


def test_cli_refuses_a_champion_not_run_yet(champion_then_prior: Any, tmp_path: Path,
                                           capsys: Any) -> None:
    ws = champion_then_prior
    add_model(ws, "blanks", 2)
    set_alias(ws, "blanks@2", "champion")
    ws.close()
    for args in (("act",), ("act", "--dry-run")):
        code, out, err = _cli(capsys, ws, *args)
        assert code != 0, out
        text = " ".join(err.split())
        assert "the model in use, blanks@2, has no predictions yet" in text, err
        assert "glamlab run" in text and "--model prior@1" in text
    # export gives the latest run's predictions, saying which model and why
    code, out, err = _cli(capsys, ws, "export", "--format", "csv", "--out",
                          str(tmp_path / "x.csv"))
    assert code == 0, err
    text = " ".join(err.split())
    assert "blanks@2, has not been run yet" in text and "prior@1" in text, err
    with open(tmp_path / "x.csv", encoding="utf-8-sig", newline="") as fh:
        assert {r["model"] for r in csv.DictReader(fh)} == {"prior"}
    code, out, err = _cli(capsys, ws, "act", "--dry-run", "--model", "prior@1", "--json")
    assert code == 0, err
    assert json.loads(out)["model"] == "prior@1"
