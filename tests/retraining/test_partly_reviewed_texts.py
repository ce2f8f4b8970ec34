"""Reviewing one span of a text does not make the whole text gold: a text whose spans
reviewers decided only in part waits, out of the training set (its other words would
teach the model "not an entity"), with its decisions kept, until every span the model
predicted in it is decided or a reviewer marks the whole text checked. Gold imported
from a file stays complete. Retrain and status say how many texts go in and how many
wait."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.ner_project import gold_and_new_texts, queued_by_new_text


@pytest.fixture
def new_texts(make_ws: Any, tmp_path: Path) -> tuple[Any, dict[str, list[dict[str, Any]]]]:
    """The NewsEye sample imported as gold and split, a gazetteer trained on it, then
    four new texts (no gold: only the model has read them) ingested, run and acted on,
    every span sent to review. Returns the workspace and the new texts' queued spans."""
    from glamlab.actions import act

    ws, _gold = gold_and_new_texts(make_ws, tmp_path, 4)
    act(ws, model="gazetteer@1")
    several = queued_by_new_text(ws, 2)
    try:
        yield ws, several
    finally:
        ws.close()


def test_one_reviewed_span_of_several_keeps_the_text_out_of_training(new_texts: Any) -> None:
    from glamlab.review import decide
    from glamlab.tasks.spans import gold_spans
    from glamlab.tasks.splits import split_of, training_data

    ws, by_item = new_texts
    item, rows = next(iter(by_item.items()))
    before = training_data(ws)
    decide(ws, "ana", rows[0]["id"], "accept", rows[0]["version"])
    # the decision is kept: the span is the text's gold, in the train split
    v = rows[0]["value"]
    assert [(s.start, s.end, s.label) for s in gold_spans(ws, [item])[item]] == [
        (v["start"], v["end"], rows[0]["label"])]
    assert split_of(ws, [item]) == {item: "train"}
    # but the text, whose other predicted spans nobody decided, is not trained on
    data = training_data(ws)
    assert item not in data.ids
    assert data.waiting == [item]
    assert data.ids == before.ids and data.fingerprint == before.fingerprint


def test_a_text_with_every_span_decided_goes_into_training(new_texts: Any) -> None:
    from glamlab.review import decide
    from glamlab.tasks.spans import gold_spans
    from glamlab.tasks.splits import training_data

    ws, by_item = new_texts
    item, rows = next(iter(by_item.items()))
    first, second, *rest = rows
    decide(ws, "ana", first["id"], "accept", first["version"])
    other = "ORG" if second["label"] != "ORG" else "LOC"
    decide(ws, "ana", second["id"], "correct", second["version"], label=other,
           value=second["value"])
    for r in rest[:-1]:
        decide(ws, "ana", r["id"], "reject", r["version"])
    if rest:  # one span still undecided: the text waits
        assert training_data(ws).waiting == [item]
        decide(ws, "ana", rest[-1]["id"], "reject", rest[-1]["version"])
    data = training_data(ws)
    assert item in data.ids and data.waiting == []
    trained = data.labels[data.ids.index(item)]
    assert sorted((s.start, s.end, s.label) for s in trained) == sorted(
        [(first["value"]["start"], first["value"]["end"], first["label"]),
         (second["value"]["start"], second["value"]["end"], other)])
    assert trained == gold_spans(ws, [item])[item]


def test_a_text_marked_done_goes_into_training(new_texts: Any) -> None:
    from glamlab.errors import LabelError
    from glamlab.review import decide, mark_text_done
    from glamlab.tasks.spans import gold_spans
    from glamlab.tasks.splits import split_of, training_data

    ws, by_item = new_texts
    (item, rows), (untouched, _) = list(by_item.items())[:2]
    decide(ws, "ana", rows[0]["id"], "accept", rows[0]["version"])
    assert training_data(ws).waiting == [item]
    done = mark_text_done(ws, "ana", item)
    assert done["spans"] == 1 and done["split"] == "train"
    data = training_data(ws)
    assert item in data.ids and data.waiting == []
    assert len(data.labels[data.ids.index(item)]) == 1
    # a later decision on the text adds to its gold, and the text stays in training
    decide(ws, "ana", rows[1]["id"], "accept", rows[1]["version"])
    data = training_data(ws)
    assert item in data.ids and len(gold_spans(ws, [item])[item]) == 2
    # a text nobody decided anything on, marked checked: it names no entity
    mark_text_done(ws, "ana", untouched)
    assert gold_spans(ws, [untouched])[untouched] == []
    assert untouched in training_data(ws).ids
    # a test item's gold is not the reviewer's to mark
    test_item = next(i for i, s in split_of(ws).items() if s == "test")
    with pytest.raises(LabelError, match="test split"):
        mark_text_done(ws, "ana", test_item)


def test_retrain_and_status_say_how_many_texts_go_in_and_how_many_wait(
        new_texts: Any) -> None:
    from click.testing import CliRunner

    from glamlab.cli import cli
    from glamlab.retraining import retrain
    from glamlab.review import decide

    ws, by_item = new_texts
    (whole, rows), (part, part_rows) = list(by_item.items())[:2]
    for r in rows:
        decide(ws, "ana", r["id"], "accept", r["version"])
    decide(ws, "ana", part_rows[0]["id"], "accept", part_rows[0]["version"])
    report = retrain(ws, n_boot=50)
    assert report.corrections == 1 and report.waiting == 1
    assert report.to_dict()["waiting"] == 1
    text = report.summary()
    assert ("1 text fully reviewed goes into training; 1 partly reviewed text waits until "
            "every span in them is decided") in text

    base = ["-w", str(ws.root)] + ([] if ws.store.is_sqlite else ["--db", ws.store.url])
    out = CliRunner().invoke(cli, [*base, "status"])
    assert out.exit_code == 0, out.output
    assert ("Reviewed texts: 1 text fully reviewed goes into training; 1 partly reviewed "
            "text waits") in out.output
    out = CliRunner().invoke(cli, [*base, "status", "--json"])
    import json

    assert json.loads(out.stdout)["reviewed_texts"] == {"fully_reviewed": 1,
                                                        "partly_reviewed": 1}


def test_marking_a_text_done_keeps_the_spans_the_policy_accepted(new_texts: Any) -> None:
    """A span the policy accepted (act wrote it as metadata, no person decided on it) is
    one of the text's entities: marking the text done must not turn it into "not an
    entity" for training, as saving the reviewed spans alone did."""
    from glamlab.actions import act
    from glamlab.review import decide, mark_text_done
    from glamlab.tasks.splits import training_data

    ws, by_item = new_texts
    item, rows = next((i, r) for i, r in by_item.items() if len({x["label"] for x in r}) >= 2)
    sure = rows[-1]["label"]  # the policy now accepts this type
    reviewed = next(r for r in rows if r["label"] != sure)
    ws.card.raw["policy"]["labels"][sure] = {"accept": 0.0}
    ws.save_card()
    act(ws, model="gazetteer@1")
    decide(ws, "ana", reviewed["id"], "accept", reviewed["version"])
    mark_text_done(ws, "ana", item)
    data = training_data(ws)
    trained = {(s.start, s.end, s.label) for s in data.labels[data.ids.index(item)]}
    accepted = {(r["value"]["start"], r["value"]["end"], r["label"]) for r in rows
                if r["label"] == sure}
    assert accepted and accepted <= trained
    assert (reviewed["value"]["start"], reviewed["value"]["end"], reviewed["label"]) in trained


def test_a_text_with_nothing_left_in_the_queue_goes_in_with_the_policy_s_spans(
        new_texts: Any) -> None:
    """The policy accepted some of a text's spans (never queued) and sent the others to
    review. Before, once the reviewer had decided every queued span the text still
    waited, for decisions on spans nobody is asked about, and out of the queue it could
    not be marked done either. Now the last decision leaves it done: the reviewed spans
    and the ones the policy accepted are its entities."""
    from glamlab.actions import act
    from glamlab.review import decide
    from glamlab.tasks.splits import training_data

    ws, by_item = new_texts
    item, rows = next((i, r) for i, r in by_item.items() if len({x["label"] for x in r}) >= 2)
    sure = rows[-1]["label"]
    ws.card.raw["policy"]["labels"][sure] = {"accept": 0.0}
    ws.save_card()
    act(ws, model="gazetteer@1")  # writes the sure spans as machine metadata
    q = ws.store.t.review_queue
    with ws.store.write() as conn:  # as if the policy had accepted them from the start
        conn.execute(q.update().where(q.c.item_id == item, q.c.label == sure)
                     .values(status="superseded"))
    asked = [r for r in rows if r["label"] != sure]
    for r in asked[:-1]:
        decide(ws, "ana", r["id"], "accept", r["version"])
        assert item in training_data(ws).waiting  # something is still in the queue
    decide(ws, "ana", asked[-1]["id"], "reject", asked[-1]["version"])
    data = training_data(ws)
    assert item in data.ids and item not in data.waiting
    trained = {(s.start, s.end, s.label) for s in data.labels[data.ids.index(item)]}
    want = {(r["value"]["start"], r["value"]["end"], r["label"]) for r in rows
            if r["label"] == sure} | {(r["value"]["start"], r["value"]["end"], r["label"])
                                      for r in asked[:-1]}
    assert trained == want


def test_a_text_marked_checked_by_mistake_can_be_taken_back(new_texts: Any) -> None:
    """"Whole text checked" is one key (d): pressed by mistake, every undecided word of the
    text trained as "not an entity" and nothing took it back."""
    from glamlab.errors import LabelError
    from glamlab.review import decide, mark_text_done, unmark_text_done
    from glamlab.tasks.spans import gold_spans
    from glamlab.tasks.splits import training_data

    ws, by_item = new_texts
    (item, rows), (other, other_rows) = list(by_item.items())[:2]
    decide(ws, "ana", rows[0]["id"], "accept", rows[0]["version"])
    before = gold_spans(ws, [item])[item]
    mark_text_done(ws, "ana", item)
    assert item in training_data(ws).ids
    with pytest.raises(LabelError, match="marked checked by ana"):
        unmark_text_done(ws, "bea", item)  # not another reviewer's to take back
    undone = unmark_text_done(ws, "ana", item)
    assert undone["waits"] is True and undone["gold_spans"] == 1
    data = training_data(ws)
    assert item not in data.ids and data.waiting == [item]  # waits again
    assert gold_spans(ws, [item])[item] == before  # the decision made before is kept
    with pytest.raises(LabelError, match="not marked as checked"):
        unmark_text_done(ws, "ana", item)
    # its other spans decided afterwards: in training as before
    for r in rows[1:]:
        decide(ws, "ana", r["id"], "reject", r["version"])
    assert item in training_data(ws).ids

    # a decision made on top of the mark is not lost to an undo: refused
    decide(ws, "ana", other_rows[0]["id"], "accept", other_rows[0]["version"])
    mark_text_done(ws, "ana", other)
    decide(ws, "ana", other_rows[1]["id"], "accept", other_rows[1]["version"])
    with pytest.raises(LabelError, match="after it was marked checked"):
        unmark_text_done(ws, "ana", other)
    assert len(gold_spans(ws, [other])[other]) == 2


def test_splitting_again_keeps_reviewed_texts_out_of_the_test_split(new_texts: Any) -> None:
    """Reviewed texts (one partly, one fully: no model has trained on them yet) and a
    re-split: they stay in the train split, and the split says how many stayed (before,
    this split put both in the test split: gold made from the model's own spans, picked
    by the model for review, the partly reviewed one never to be completed there). The
    CLI says it too; the Python split of span gold (split_spans) keeps them as well."""
    from click.testing import CliRunner

    from glamlab.cli import cli
    from glamlab.errors import LabelError
    from glamlab.review import decide
    from glamlab.tasks import split_labels
    from glamlab.tasks.spans import split_spans
    from glamlab.tasks.splits import split_of, training_data

    ws, by_item = new_texts
    (part, part_rows), (whole, rows) = list(by_item.items())[:2]
    decide(ws, "ana", part_rows[0]["id"], "accept", part_rows[0]["version"])
    for r in rows:
        decide(ws, "ana", r["id"], "accept", r["version"])
    assert split_of(ws, [part, whole]) == {part: "train", whole: "train"}
    # a split that would move a text the gazetteer trained on is refused as before; of
    # the others (seed 1 put both reviewed texts in the test split), none moves them
    done = []
    for seed in range(4):
        try:
            report = split_labels(ws, test_size=0.3, seed=seed, group_by="document_id")
        except LabelError as exc:
            assert "a saved model trained" in str(exc)
            continue
        assert split_of(ws, [part, whole]) == {part: "train", whole: "train"}, seed
        assert (report.kept, report.kept_with) == (2, 0) and report.test > 0
        assert ("2 reviewed items (labelled by people deciding on a model's predictions) "
                "keep their split") in report.summary()
        done.append(seed)
    assert done
    assert training_data(ws).waiting == [part]  # still waiting for its other spans
    spans = split_spans(ws, test_size=0.3, seed=done[0])
    assert spans["kept"] == 2 and spans["test"] > 0
    assert split_of(ws, [part, whole]) == {part: "train", whole: "train"}

    base = ["-w", str(ws.root)] + ([] if ws.store.is_sqlite else ["--db", ws.store.url])
    out = CliRunner().invoke(cli, [*base, "labels", "split", "--seed", str(done[0]),
                                   "--group-by", "document_id"])
    assert out.exit_code == 0, out.output
    assert "2 reviewed items" in out.output and "keep their split" in out.output
    assert split_of(ws, [part, whole]) == {part: "train", whole: "train"}
