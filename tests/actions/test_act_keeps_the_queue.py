"""``act --model X`` with a model that is not the one in use is refused while reviewers
have open review items from another model. Before, it took the queue over: the rows of
the model in use whose candidate X also sends to review were moved to X's predictions,
and the rest were withdrawn (a reviewer's open item refused as stale), though X was only
being tried and act, export and the web app go on using the model in use."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from glamlab.actions import act, plan
from glamlab.errors import PolicyError
from glamlab.registry import set_alias, use_model

from .helpers import add_model, add_predictions
from .test_act import KNOWN_POLICY, _scores, _set_policy, pages  # noqa: F401


def _open(ws) -> dict[int, tuple[str, int, int, int]]:
    rq = ws.store.t.review_queue
    with ws.store.read() as conn:
        return {r.id: (r.item_id, r.model_id, r.prediction_id, r.version)
                for r in conn.execute(sa.select(rq).where(rq.c.status == "open"))}


@pytest.fixture
def tried(pages):  # noqa: F811
    """blanks@1 in use, its queue written; next@1 run too (a model being tried)."""
    _set_policy(pages, KNOWN_POLICY)
    set_alias(pages, "blanks@1", "champion")  # the project's first champion: in use
    act(pages)
    nxt = add_model(pages, "next", 1)
    add_predictions(pages, nxt, {"c02": _scores("blank", 0.62),
                                 "t06": _scores("blank", 0.95),
                                 "t07": _scores("content", 0.8)})
    return pages


def test_act_with_a_model_not_in_use_leaves_the_open_queue_as_it_was(tried, capsys):
    before = _open(tried)
    assert len(before) == 4 and {m for _i, m, _p, _v in before.values()} == {1}
    with pytest.raises(PolicyError, match="next@1 is not the model in use") as exc:
        act(tried, model="next@1")
    assert "blanks@1" in exc.value.message and "4 open review items" in exc.value.message
    assert "nothing was written" in exc.value.message
    assert "glamlab models promote next@1" in (exc.value.hint or "")
    assert _open(tried) == before
    # the dry run still says what it would do, and touches nothing
    assert plan(tried, model="next@1").dry_run
    assert _open(tried) == before
    # the command line: one error line, the fix, nothing written
    from glamlab.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["-w", str(tried.root), "act", "--model", "next@1"])
    assert stop.value.code != 0
    err = capsys.readouterr().err
    assert err.startswith("error: next@1 is not the model in use") and "fix:" in err
    assert _open(tried) == before
    # acting with the model in use named is what act does anyway
    assert act(tried, model="blanks@1").superseded == 0 and _open(tried) == before


def test_once_chosen_the_model_takes_the_queue_over(tried):
    before = _open(tried)
    set_alias(tried, "next@1", "champion")
    use_model(tried, "next")  # what glamlab models promote next@1 does
    report = act(tried, model="next@1")
    assert report.superseded == 2  # t06 now accepted, t07 the other label; t10 kept
    after = _open(tried)
    assert {after[k][0] for k in after} == {"c02", "t07", "t10"}
    c02 = next(k for k, v in before.items() if v[0] == "c02")
    assert after[c02][1] != before[c02][1]  # the same row, now asking about next@1


def test_a_policy_model_that_names_no_model_does_not_stop_act_with_model(tried):
    """``[policy] model`` naming a version that is not there (an alias that moved on, a
    typing mistake) stops ``glamlab act`` without ``--model``, as before; but naming the
    model with ``--model`` works around it, as it did before the queue check: the check
    judges by the model in use (the champion) then, and still keeps its queue."""
    from glamlab.errors import ModelNotFound

    _set_policy(tried, {**KNOWN_POLICY, "model": "blanks@challenger"})
    before = _open(tried)
    with pytest.raises(ModelNotFound, match="blanks@challenger"):
        act(tried)  # the card's own model: said, as it always was
    assert act(tried, model="blanks@1").superseded == 0 and _open(tried) == before
    with pytest.raises(PolicyError, match="next@1 is not the model in use"):
        act(tried, model="next@1")  # the queue of the model in use is still kept
    assert _open(tried) == before


def _written(ws) -> tuple[int, int]:
    t = ws.store.t
    with ws.store.read() as conn:
        return tuple(conn.execute(sa.select(sa.func.count()).select_from(tab)).scalar()
                     for tab in (t.machine_metadata, t.review_queue))


def test_act_with_a_model_not_in_use_writes_nothing_with_an_empty_queue(pages, capsys):  # noqa: F811
    """With no open review item, ``act --model X`` (X not in use) used to write X's
    accepted values as machine metadata, which the exports of the model in use never
    read (nor the web app): refused the same way, nothing written."""
    _set_policy(pages, KNOWN_POLICY)
    set_alias(pages, "blanks@1", "champion")  # in use; act not run yet: the queue is empty
    nxt = add_model(pages, "next", 1)
    add_predictions(pages, nxt, {"c00": _scores("blank", 0.99),
                                 "c03": _scores("content", 0.97)})
    assert _written(pages) == (0, 0)
    with pytest.raises(PolicyError, match=r"next@1 is not the model in use \(blanks@1 is\)") \
            as exc:
        act(pages, model="next@1")
    assert "nothing was written" in exc.value.message
    assert "glamlab models promote next@1" in (exc.value.hint or "")
    assert "--dry-run" in (exc.value.hint or "")
    assert _written(pages) == (0, 0)
    assert plan(pages, model="next@1").counts["accept"] == 2  # the dry run still works
    from glamlab.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["-w", str(pages.root), "act", "--model", "next@1"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: next@1 is not the model in use (blanks@1 is)")
    assert "fix: make it the model in use first" in err
    assert _written(pages) == (0, 0)
    report = act(pages)  # the model in use acts
    assert report.model == "blanks@1" and report.written["machine_metadata"] > 0
    # once chosen, next@1 acts
    set_alias(pages, "next@1", "champion")
    use_model(pages, "next")
    assert act(pages, model="next@1").written["machine_metadata"] == 2


def test_the_fix_for_an_unrun_model_in_use_is_not_refused_in_turn(pages):  # noqa: F811
    """The model in use has no predictions yet while another model has: act is refused,
    and its fix must not be one act refuses in turn. It offered ``--model OTHER``, which
    the check on the model in use then refused (OTHER is not the model in use); the fix
    now is to promote OTHER (or a dry run with it), and export still takes --model."""
    _set_policy(pages, KNOWN_POLICY)
    add_model(pages, "later", 1)  # not run
    nxt = add_model(pages, "next", 1)
    add_predictions(pages, nxt, {"c02": _scores("blank", 0.62)})
    set_alias(pages, "later@1", "champion")
    use_model(pages, "later")
    with pytest.raises(PolicyError, match="has no predictions yet") as first:
        act(pages)
    hint = first.value.hint or ""
    assert "glamlab models promote next@1" in hint
    # --model next@1 only for a dry run: acting with it is refused (not the model in use)
    assert not re.search(r"--model next@1(?! --dry-run)", hint), hint
    assert plan(pages, model="next@1").dry_run  # the dry run it offers works
    # the export is not refused: with nothing acted on yet, it gives the latest run's
    # predictions, and says so
    from glamlab.actions import export

    res = export(pages, "csv", pages.root / "out.csv")
    assert res["model"] == "next@1", res
    assert "later@1, has not been run yet" in res["notes"][0]
    assert "the model that was run last, next@1" in res["notes"][0]
    set_alias(pages, "next@1", "champion")
    use_model(pages, "next")  # what glamlab models promote next@1 does
    assert act(pages).model == "next@1"


def test_with_no_model_in_use_the_refusal_does_not_call_the_latest_one_in_use(pages):  # noqa: F811
    """No model is in use yet (no chosen version, no [policy] model): act and the exports
    follow the latest run's model, and acting with an older one is refused; the refusal
    said the latest one "is" the model in use, which it is not."""
    _set_policy(pages, KNOWN_POLICY)
    old = add_model(pages, "old", 1)
    add_predictions(pages, old, {"c00": _scores("blank", 0.99)})
    new = add_model(pages, "new", 1)
    add_predictions(pages, new, {"c00": _scores("blank", 0.98)})
    with pytest.raises(PolicyError) as exc:
        act(pages, model="old@1")
    assert "(new@1 is)" not in exc.value.message
    assert ("old@1 is not the model in use (none is yet, so act and the exports follow "
            "the latest run's model, new@1)") in exc.value.message
    assert _written(pages) == (0, 0)


def test_a_policy_that_now_accepts_withdraws_the_open_rows_it_settles(pages, capsys):  # noqa: F811
    """Thresholds lowered after act queued candidates: the next act accepts them
    (writes them as machine metadata) and withdraws their open review rows, saying so;
    before, the rows stayed open, and reviewers were asked about values already
    written. Rows whose candidate the policy still sends to review stay open, as they
    were; a decision on a withdrawn row is refused."""
    from glamlab.actions.act import render
    from glamlab.review import StaleDecision, decide

    _set_policy(pages, KNOWN_POLICY)
    set_alias(pages, "blanks@1", "champion")
    act(pages)
    before = _open(pages)
    assert len(before) == 4
    rq = pages.store.t.review_queue
    with pages.store.read() as conn:
        scores = {r.id: r.score for r in conn.execute(sa.select(rq.c.id, rq.c.score))}
    # blank accepted from 0.65 on: the blank rows scored 0.7 and 0.8 are now accepted
    _set_policy(pages, {"field": "page_type",
                        "labels": {"blank": {"accept": 0.65, "review": 0.5},
                                   "content": {"accept": 0.9, "review": 0.75}}})
    preview = plan(pages)  # the dry run says it, and withdraws nothing
    assert _open(pages) == before
    report = act(pages)
    settled = {i for i, s in scores.items() if s >= 0.65 and before[i][0] != "t10"}
    assert preview.withdrawn_by_policy == len(settled)
    assert "open review items would be withdrawn from the queue" in render(
        preview.to_dict())
    assert settled and report.withdrawn_by_policy == len(settled)
    assert report.superseded == 0
    after = _open(pages)
    assert after == {i: v for i, v in before.items() if i not in settled}
    # accepted now: written as metadata, or (a person's label says otherwise) the
    # person's label exported; neither is asked about
    from glamlab.actions.export import iter_rows

    actions = {e.row["item_id"]: e.row["action"] for e in iter_rows(pages)}
    assert {actions[before[i][0]] for i in settled} == {"accept"}
    assert report.written["machine_metadata"] + report.not_written_overruled >= len(settled)
    gone = min(settled)
    with pytest.raises(StaleDecision):
        decide(pages, "rey", gone, "accept", before[gone][3])
    text = render(report.to_dict())
    assert f"{len(settled)} open review items were withdrawn from the queue" in text


def test_a_candidate_the_policy_sends_back_to_review_is_queued_again(pages):  # noqa: F811
    """Thresholds raised so that act rejects what the queue asked about (its rows
    withdrawn), then set back: the candidates go back to review and are queued again.
    Before, the withdrawn rows counted as "already in the queue": nothing was written,
    the export said ``review``, and nobody was ever asked."""
    _set_policy(pages, KNOWN_POLICY)
    set_alias(pages, "blanks@1", "champion")
    act(pages)
    first = _open(pages)
    assert len(first) == 4
    _set_policy(pages, {"field": "page_type",
                        "labels": {"blank": {"accept": 0.99, "review": 0.98},
                                   "content": {"accept": 0.99, "review": 0.98}}})
    assert act(pages).withdrawn_by_policy == 4 and _open(pages) == {}
    _set_policy(pages, KNOWN_POLICY)
    again = act(pages)
    assert again.written["review_queue"] == 4
    assert sorted((i, m, p) for i, m, p, _v in _open(pages).values()) == sorted(
        (i, m, p) for i, m, p, _v in first.values())
