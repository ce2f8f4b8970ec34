"""Splitting the labels again (``labels split``) leaves two kinds of items where they
are, with the other items of their groups, and splits the rest around them:

- items whose label in force came from review (a person deciding on a model's
  prediction): the review queue picked them by the model's scores, and their gold is the
  model's answer as people decided it, so they are no test material;
- items a saved model trained on: they stay in training (a re-split that would have put
  one in the test split used to be refused whole, so after a first model most seeds
  were refused)."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from glamlab.cli import cli
from glamlab.store import now
from glamlab.store.gold import from_review
from glamlab.tasks import gold_labels, import_labels, split_labels
from glamlab.tasks.splits import split_of
from tests.tasks.helpers import add_items, write_csv

LABELS = ["a", "b", "c"]


def _project(make_ws: Any, tmp_path: Any, *, multi: bool = False, n: int = 60) -> Any:
    """``n`` texts labelled a, b, c in turn (multi-label: every fourth one two labels),
    in boxes of three (item metadata ``box``), split 70/30 with seed 0."""
    ws = make_ws(modality="text", labels=LABELS, multi_label=multi)
    _add(ws, tmp_path, range(n), "first.csv")
    split_labels(ws, test_size=0.3, seed=0)
    return ws


def _add(ws: Any, tmp_path: Any, numbers: Any, name: str) -> list[str]:
    numbers = list(numbers)
    multi = ws.card.multi_label
    add_items(ws, [{"id": f"t{i:03d}", "text": f"text {i}", "meta": {"box": f"b{i % 20}"}}
                   for i in numbers])
    rows = [[f"t{i:03d}", LABELS[i % 3] + (f"|{LABELS[(i + 1) % 3]}" if multi and i % 4 == 0
                                           else "")] for i in numbers]
    import_labels(ws, write_csv(tmp_path / name, ["id", "label"], rows))
    return [r[0] for r in rows]


def _queue(ws: Any, item_id: str, label: str, score: float = 0.6) -> int:
    with ws.store.write() as conn:
        res = conn.execute(ws.store.t.review_queue.insert().values(
            item_id=item_id, label=label, score=score, kind="prediction", status="open",
            version=1, created_at=now(), model_id=None))
    return int(res.inserted_primary_key[0])


def _review(ws: Any, ids: list[str]) -> None:
    """A reviewer decides on a prediction for each of ``ids``: single-label, corrects it
    to another label; multi-label, accepts a label the item did not have."""
    from glamlab.review import decide

    gold = gold_labels(ws)
    for item_id in ids:
        other = next(x for x in LABELS if x not in gold[item_id])
        qid = _queue(ws, item_id, other)
        if ws.card.multi_label:
            decide(ws, "rey", qid, "accept", 1)
        else:
            decide(ws, "rey", qid, "correct", 1, label=other)


@pytest.mark.parametrize("multi", [False, True], ids=["single-label", "multi-label"])
def test_items_labelled_in_review_keep_their_split(make_ws: Any, tmp_path: Any,
                                                   multi: bool) -> None:
    """Four training items relabelled in review stay in training whatever the seed, and
    the split says how many (before, seeds put them in the test split). A fifth one,
    labelled again by another annotator after its review, is split like any item: its
    label in force no longer came from review."""
    ws = _project(make_ws, tmp_path, multi=multi)
    train = sorted(i for i, s in split_of(ws).items() if s == "train")
    reviewed, relabelled = train[:4], train[4]
    _review(ws, [*reviewed, relabelled])
    # a second curator labels the fifth one afterwards: theirs is the label in force
    import_labels(ws, write_csv(tmp_path / "second.csv", ["id", "label"],
                                [[relabelled, "a"]]), annotator="second")
    with ws.store.read() as conn:  # the reviewer's label is in force on the four only
        assert from_review(conn, train[:5]) == set(reviewed)
    where_relabelled = set()
    for seed in range(8):
        report = split_labels(ws, test_size=0.3, seed=seed)
        assert split_of(ws, reviewed) == dict.fromkeys(reviewed, "train"), seed
        assert (report.kept, report.kept_with, report.learned) == (4, 0, 0)
        assert 10 <= report.test <= 26, report
        assert ("4 reviewed items (labelled by people deciding on a model's predictions) "
                "keep their split") in report.summary()
        where_relabelled.add(split_of(ws, [relabelled])[relabelled])
    assert where_relabelled == {"train", "test"}

    # grouped: the other items of their boxes stay with them
    report = split_labels(ws, test_size=0.3, seed=3, group_by="box")
    boxes = {i: f"b{int(i[1:]) % 20}" for i in split_of(ws)}
    with_them = {i for i, b in boxes.items() if b in {boxes[r] for r in reviewed}}
    assert split_of(ws, sorted(with_them)) == dict.fromkeys(with_them, "train")
    assert (report.kept, report.kept_with) == (4, len(with_them) - 4) and report.test > 0
    assert f"and {len(with_them) - 4} other items of the same box with them" in report.summary()

    base = ["-w", str(ws.root)] + ([] if ws.store.is_sqlite else ["--db", ws.store.url])
    out = CliRunner().invoke(cli, [*base, "labels", "split", "--seed", "5"])
    assert out.exit_code == 0, out.output
    assert "4 reviewed items" in out.output and "keep their split" in out.output
    assert split_of(ws, reviewed) == dict.fromkeys(reviewed, "train")


def _trained(make_ws: Any, tmp_path: Any) -> tuple[Any, list[str]]:
    """A project split by box, a model trained on its training items and evaluated (the
    test split frozen), then 30 more items labelled, in the same boxes."""
    from glamlab.evaluation import evaluate, model_candidates
    from glamlab.registry.training import train

    ws = make_ws(modality="text", labels=LABELS)
    _add(ws, tmp_path, range(60), "first.csv")
    split_labels(ws, test_size=0.3, seed=0, group_by="box")
    ws.model = train(ws, "majority", name="maj").model
    learned = sorted(i for i, s in split_of(ws).items() if s == "train")
    evaluate(ws, model_candidates(ws, ["maj@1"]), n_boot=50)
    _add(ws, tmp_path, range(60, 90), "more.csv")
    return ws, learned


def test_a_re_split_keeps_what_a_model_learned_from_in_training(make_ws: Any,
                                                                tmp_path: Any) -> None:
    """After a first model, a re-split (more items labelled) succeeds for every seed
    (before, one that would move a training item into the test split was refused whole):
    the items the model trained on stay in training, with the rest of their boxes, the
    other items are split around them to the test share asked for, and the model is
    evaluated on a test split that holds none of its training items."""
    from glamlab.evaluation import evaluate, model_candidates
    from glamlab.registry.overlap import test_overlap

    ws, learned = _trained(make_ws, tmp_path)
    boxes = {f"t{n:03d}": f"b{n % 20}" for n in range(90)}
    trained_boxes = {boxes[i] for i in learned}
    with_them = sorted(i for i, b in boxes.items() if b in trained_boxes and i not in learned)
    assert with_them  # new items in the boxes the model trained on
    for seed in range(6):
        report = split_labels(ws, test_size=0.3, seed=seed, group_by="box", force=True)
        splits = split_of(ws)
        assert all(splits[i] == "train" for i in learned), seed
        assert all(splits[i] == "train" for i in with_them), seed
        for b in set(boxes.values()):  # no box on both sides
            assert len({splits[i] for i in boxes if boxes[i] == b}) == 1
        assert (report.kept, report.learned, report.kept_with) == (0, len(learned),
                                                                   len(with_them))
        # the test share is of all 90 items, the kept ones included
        assert 20 <= report.test <= 34, report
        assert (f"{len(learned)} items a saved model learned from stay in training, and "
                f"{len(with_them)} other items of the same box with them: no model is tested "
                "on items it learned from") in report.summary()
    assert test_overlap(ws, ws.model.id) == []
    result = evaluate(ws, model_candidates(ws, ["maj@1"]), n_boot=50)
    assert result.test_items == report.test

    base = ["-w", str(ws.root)] + ([] if ws.store.is_sqlite else ["--db", ws.store.url])
    out = CliRunner().invoke(cli, [*base, "labels", "split", "--seed", "7", "--group-by",
                                   "box", "--force"])
    assert out.exit_code == 0, out.output
    assert f"{len(learned)} items a saved model learned from stay in training" in out.output
    assert all(s == "train" for s in split_of(ws, learned).values())


def test_nothing_left_to_split_is_one_clear_error(make_ws: Any, tmp_path: Any) -> None:
    """Every labelled item learned from (the test items moved to calibration): the
    re-split says none is left to split, and how to get test items; nothing changes."""
    from glamlab.errors import LabelError
    from glamlab.registry.training import train

    ws = make_ws(modality="text", labels=LABELS)
    _add(ws, tmp_path, range(30), "first.csv")
    split_labels(ws, test_size=0.3, seed=0)
    train(ws, "majority", name="maj")
    test = sorted(i for i, s in split_of(ws).items() if s == "test")
    t = ws.store.t.splits
    with ws.store.write() as conn:
        conn.execute(t.update().where(t.c.item_id.in_(test)).values(split="calibration"))
    before = split_of(ws)
    with pytest.raises(LabelError, match="none is left to split") as exc:
        split_labels(ws, test_size=0.3, seed=1)
    assert "21 learned from by a saved model" in exc.value.message
    assert "labels sample --split test" in (exc.value.hint or "")
    assert split_of(ws) == before
