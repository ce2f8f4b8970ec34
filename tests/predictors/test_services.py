"""External services as predictors, end to end from the command line, against a real
local HTTP server that mimics a vision API (tests/predictors/fake_vision.py): named in
the card, listed with their price, trained, evaluated (spend in the leaderboard), run
over the collection, a budget that stops calls, a cache that makes re-runs free, per-item
errors that never stop the others, and ``glamlab try-service``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from glamlab.cli import cli
from glamlab.errors import EXIT_ITEMS_FAILED, EXIT_USAGE, BudgetExceeded, GlamlabError

from .fake_vision import PRICE, SECRET, FakeVision, pages_workspace, serve, service_block


@pytest.fixture
def vision_url() -> Any:
    yield from serve()


@pytest.fixture
def pages(make_ws: Any, tmp_path: Path, vision_url: str, monkeypatch: Any) -> Any:
    monkeypatch.setenv("VISION_KEY", SECRET)
    return pages_workspace(make_ws, tmp_path, vision_url)


def glamlab(ws: Any, *args: str, code: int = 0) -> str:
    """The CLI as `glamlab -w WS ARGS`: its output, or "error: ...\\nfix: ..." for a
    GlamlabError (what main() prints), checking the exit status."""
    res = CliRunner().invoke(cli, ["-w", str(ws.root), *args])
    if isinstance(res.exception, GlamlabError):
        assert res.exception.exit_code == code, f"{args}: {res.exception}"
        return f"error: {res.exception.message}\nfix: {res.exception.hint}"
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        raise res.exception
    assert res.exit_code == code, f"glamlab {' '.join(args)}:\n{res.output}"
    return res.stdout if "--json" in args else res.output  # progress lines go to stderr


def calls() -> int:
    return sum(FakeVision.requests.values())


def n_split(ws: Any, split: str) -> int:
    from glamlab.tasks.splits import split_of

    return sum(1 for s in split_of(ws).values() if s == split)


def test_train_evaluate_run_with_spend_and_a_free_rerun(pages: Any) -> None:
    ws = pages
    # listed with its price, and offered by train without a name
    out = glamlab(ws, "predictors")
    assert "service:vision" in out and f"{PRICE:g} EUR per call" in out
    rows = json.loads(glamlab(ws, "predictors", "--json"))["predictors"]
    entry = next(r for r in rows if r["name"] == "service:vision")
    assert entry["price_per_call"] == PRICE and entry["budget"] == 1.0 and entry["spent"] == 0
    assert "glamlab train service:vision" in glamlab(ws, "train")  # the list: exit 0
    # train: saved under the block's name, nothing sent
    out = glamlab(ws, "train", "service:vision")
    assert "vision@1" in out and "nothing was sent" in out and calls() == 0
    # evaluate: the test items are sent once; the spend is in the leaderboard and verdict
    n_test = n_split(ws, "test")
    data = json.loads(glamlab(ws, "evaluate", "service:vision", "--n-boot", "100", "--json"))
    row = next(r for r in data["leaderboard"] if r["candidate"] == "vision@1")
    assert row["service"] == "vision" and row["calls"] == n_test and row["cached"] == 0, (row, data["warnings"])
    assert row["spent"] == pytest.approx(n_test * PRICE)
    assert row["cost_per_1000"] == pytest.approx(PRICE * 1000)
    assert calls() == n_test
    assert f"asked the service vision {n_test} times" in data["verdict"]
    assert {r["candidate"] for r in data["leaderboard"]} >= {"majority", "prior", "vision@1"}
    # the same evaluation again costs nothing: every answer comes from the store
    out = glamlab(ws, "evaluate", "vision", "--n-boot", "100")
    assert calls() == n_test
    assert "calls" in out and "spent (EUR)" in out
    assert f"asked the service vision 0 times for 0.00 EUR ({n_test} answers came from the cache" in out
    # run over the collection: only the items not asked yet are paid for
    out = glamlab(ws, "run", "--model", "service:vision")
    assert "vision@1" in out
    assert calls() == ws.count_items()
    assert all(v == 1 for v in FakeVision.requests.values())  # no item asked twice
    glamlab(ws, "run", "--model", "vision@1", "--force")
    assert calls() == ws.count_items()
    from glamlab.inference import list_predictions

    assert len(list_predictions(ws, model_id=None)) >= ws.count_items()
    # what it has cost so far, in the catalogue
    rows = json.loads(glamlab(ws, "predictors", "--json"))["predictors"]
    entry = next(r for r in rows if r["name"] == "service:vision")
    assert entry["spent"] == pytest.approx(ws.count_items() * PRICE)


def test_budget_stops_the_calls_and_raising_it_resumes(pages: Any) -> None:
    ws = pages
    ws.card.raw["services"]["vision"]["budget"] = PRICE * 5
    ws.save_card()
    out = glamlab(ws, "run", "--model", "service:vision", "--workers", "4", code=EXIT_USAGE)
    assert "service vision" in out and "budget" in out
    assert "fix: raise budget in [services.vision]" in out
    assert calls() == 5  # the sixth call was never made
    # raising the budget in the card applies to the saved model; nothing is paid twice
    ws.card.raw["services"]["vision"]["budget"] = 10.0
    ws.save_card()
    glamlab(ws, "run", "--model", "vision@1", "--resume")
    assert calls() == ws.count_items()
    assert all(v == 1 for v in FakeVision.requests.values())


def test_bad_answers_are_one_error_each_and_the_others_succeed(pages: Any) -> None:
    ws = pages
    ids = [i.item_id for i in ws.items()]
    FakeVision.script = {ids[0]: ["500"], ids[1]: ["429", "ok"], ids[2]: ["garbled"],
                         ids[3]: ["nolabels"], ids[4]: ["404"], ids[5]: ["slow"]}
    out = glamlab(ws, "run", "--model", "service:vision", "--json", code=EXIT_ITEMS_FAILED)
    report = json.loads(out)
    assert report["done"] == len(ids) - 5 and report["failed"] == 5
    failures = {f["item_id"]: f["reason"] for f in json.loads(
        glamlab(ws, "runs", "--failures", str(report["run_id"]), "--json"))}
    assert set(failures) == {ids[0], ids[2], ids[3], ids[4], ids[5]}
    assert "HTTP 500 (after 2 attempts)" in failures[ids[0]] and "re-run later" in failures[ids[0]]
    assert "malformed JSON" in failures[ids[2]]
    assert "has no 'responses.0.labelAnnotations'" in failures[ids[3]]
    assert "fix labels_path" in failures[ids[3]]
    assert "HTTP 404" in failures[ids[4]] and "check url" in failures[ids[4]]
    assert "timed out" in failures[ids[5]]
    for item in (ids[0], ids[2], ids[4], ids[5]):
        assert item in failures[item]  # each error names its item
    # 429 honoured Retry-After and succeeded on the retry; a failed item is not asked
    # again when the batch is retried item by item
    assert FakeVision.requests[ids[1]] == 2
    assert FakeVision.requests[ids[0]] == 2 and FakeVision.requests[ids[4]] == 1
    assert FakeVision.requests[ids[2]] == 1
    # the answer without labels was paid and is kept; the good items are not re-asked
    before = calls()
    FakeVision.script = {}
    glamlab(ws, "run", "--model", "vision@1", "--resume", "--json", code=EXIT_ITEMS_FAILED)
    asked_again = calls() - before
    assert asked_again == 4  # 500, garbled, 404 and slow once more; nolabels is cached


def test_missing_key_is_one_clear_error(pages: Any, monkeypatch: Any) -> None:
    monkeypatch.delenv("VISION_KEY")
    out = glamlab(pages, "try-service", "vision", code=EXIT_USAGE)
    assert "VISION_KEY is not set" in out and "export VISION_KEY=" in out
    assert calls() == 0


def test_try_service_shows_labels_mapping_and_cost(pages: Any) -> None:
    ws = pages
    out = glamlab(ws, "try-service", "vision")
    assert calls() == 5
    assert "Illustration" in out and "-> graphic" in out and "-> no_graphic" in out
    assert "Paper" in out and "UNMAPPED" in out
    assert "Unmapped service labels" in out and "Paper (5)" in out
    assert f"Cost: 5 paid calls, {5 * PRICE:.4g} EUR" in out
    assert "(yours: " in out  # labelled training items, set beside its answer
    # trying again is free
    data = json.loads(glamlab(ws, "try-service", "vision", "--json"))
    assert calls() == 5 and data["calls"] == 0 and data["cached"] == 5
    assert all(i["cached"] for i in data["items"])
    assert data["unmapped"]["Paper"] == 5
    first = data["items"][0]
    assert {"label", "score", "maps_to"} <= set(first["labels"][0])
    assert {lab["maps_to"] for lab in first["labels"]} >= {"graphic", "no_graphic", None}
    # more than the free sample is confirmed first: refused without --yes in a script
    out = glamlab(ws, "try-service", "vision", "--sample", "12", code=EXIT_USAGE)
    assert "may cost up to" in out and "--yes" in out and calls() == 5
    data = json.loads(glamlab(ws, "try-service", "vision", "--sample", "12", "--yes",
                              "--json"))
    assert len(data["items"]) == 12 and data["calls"] == 7 and calls() == 12
    # never a test item
    from glamlab.tasks.splits import split_of

    splits = split_of(ws)
    assert all(splits.get(i["item_id"]) != "test" for i in data["items"])


def test_unknown_service_and_secret_in_card_are_refused(pages: Any) -> None:
    out = glamlab(pages, "train", "service:nope", code=EXIT_USAGE)
    assert "no service called 'nope'" in out and "service:vision" in out
    pages.card.raw["services"]["bad"] = {"url": "http://127.0.0.1:9/x", "api_key": "x"}
    pages.save_card()
    out = glamlab(pages, "train", "service:bad", code=EXIT_USAGE)
    assert "must not hold a secret" in out and "secret_env" in out


def test_python_api_budget_error_names_service_and_fix(pages: Any) -> None:
    from glamlab.evaluation import evaluate, model_candidates

    pages.card.raw["services"]["vision"]["budget"] = PRICE * 2
    pages.save_card()
    with pytest.raises(BudgetExceeded) as exc:
        evaluate(pages, model_candidates(pages, ["service:vision"]), n_boot=50)
    assert "service vision" in exc.value.message
    assert exc.value.hint is not None and "raise budget in [services.vision]" in exc.value.hint
    assert calls() == 2
    assert service_block("u")["mapping"]  # the card block the docs show
