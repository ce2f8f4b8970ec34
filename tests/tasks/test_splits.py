"""Splits: stratified, grouped, frozen once evaluated, and never trained on."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from glamlab.cli import cli
from glamlab.errors import LabelError
from glamlab.tasks import (
    freeze_info,
    import_labels,
    is_frozen,
    split_labels,
    split_of,
    stratified_group_split,
    training_data,
)
from glamlab.tasks import test_data as read_test_split
from tests.tasks.helpers import add_items, write_csv


def _labelled_ws(make_ws, tmp_path, n=120, books=12):
    ws = make_ws(labels=["blank", "content", "cover"], modality="text")
    rng = np.random.default_rng(0)
    labels = rng.choice(["blank", "content", "cover"], size=n, p=[0.2, 0.7, 0.1])
    add_items(ws, [{"id": f"p{i:03d}", "text": "t" * i, "meta": {"book": f"b{i % books}"}}
                   for i in range(n)])
    import_labels(ws, write_csv(tmp_path / "l.csv", ["id", "label"],
                                [[f"p{i:03d}", lab] for i, lab in enumerate(labels)]))
    return ws, dict(zip([f"p{i:03d}" for i in range(n)], labels, strict=True))


def test_split_is_stratified_by_label(make_ws, tmp_path) -> None:
    ws, gold = _labelled_ws(make_ws, tmp_path, n=300)
    report = split_labels(ws, test_size=0.3, seed=1)
    assert report.test == pytest.approx(90, abs=2)
    splits = split_of(ws)
    per = Counter((gold[i], s) for i, s in splits.items())
    for label in ("blank", "content", "cover"):
        total = per[(label, "train")] + per[(label, "test")]
        assert per[(label, "test")] / total == pytest.approx(0.3, abs=0.03), label


def test_split_is_reproducible_with_the_seed(make_ws, tmp_path) -> None:
    ws, _ = _labelled_ws(make_ws, tmp_path)
    split_labels(ws, seed=5)
    first = split_of(ws)
    split_labels(ws, seed=5)
    assert split_of(ws) == first
    split_labels(ws, seed=6)
    assert split_of(ws) != first


def test_group_by_keeps_each_book_on_one_side(make_ws, tmp_path) -> None:
    ws, _ = _labelled_ws(make_ws, tmp_path, n=120, books=12)
    report = split_labels(ws, test_size=0.25, seed=0, group_by="book")
    assert report.groups == 12
    splits = split_of(ws)
    sides: dict[str, set[str]] = {}
    for item in ws.items():
        sides.setdefault(item.meta["book"], set()).add(splits[item.item_id])
    assert all(len(s) == 1 for s in sides.values())
    assert {"train", "test"} == set().union(*sides.values())


def test_unknown_group_field_is_a_clear_error(make_ws, tmp_path) -> None:
    ws, _ = _labelled_ws(make_ws, tmp_path)
    with pytest.raises(LabelError, match="shelfmark"):
        split_labels(ws, group_by="shelfmark")


def test_multi_label_stratification() -> None:
    rng = np.random.default_rng(0)
    Y = (rng.random((400, 6)) < [0.5, 0.3, 0.2, 0.1, 0.05, 0.02]).astype(int)
    mask = stratified_group_split(Y, list(range(400)), 0.3, seed=0)
    share = Y[mask].sum(axis=0) / np.maximum(Y.sum(axis=0), 1)
    assert mask.mean() == pytest.approx(0.3, abs=0.02)
    np.testing.assert_allclose(share, 0.3, atol=0.1)


def test_evaluation_freezes_the_test_split_and_force_is_logged(make_ws, tmp_path) -> None:
    ws, _ = _labelled_ws(make_ws, tmp_path)
    split_labels(ws, seed=0)
    assert not is_frozen(ws)
    split_labels(ws, seed=1)  # not frozen yet: re-splitting is fine
    before = split_of(ws)
    read_test_split(ws, reader="evaluate")
    assert is_frozen(ws)
    with pytest.raises(LabelError, match="frozen"):
        split_labels(ws, seed=2)
    assert split_of(ws) == before
    report = split_labels(ws, seed=2, force=True)
    assert report.forced
    assert not is_frozen(ws)  # the new split is frozen again by the next evaluation
    t = ws.store.t.audit_log
    with ws.store.read() as conn:
        rows = conn.execute(sa.select(t.c.action, t.c.details).order_by(t.c.id)).all()
    forced = [d for a, d in rows if a == "split.create" and d.get("forced")]
    assert len(forced) == 1 and forced[0]["seed"] == 2


def test_frozen_test_split_cannot_gain_or_lose_items_by_import(make_ws, tmp_path) -> None:
    ws, gold = _labelled_ws(make_ws, tmp_path)
    split_labels(ws, seed=0)
    read_test_split(ws)
    test_id = next(i for i, s in split_of(ws).items() if s == "test")
    f = write_csv(tmp_path / "m.csv", ["id", "label"], [[test_id, gold[test_id]]])
    with pytest.raises(LabelError, match="frozen test split"):
        import_labels(ws, f, split="train")
    assert freeze_info(ws) is not None


def test_training_data_never_includes_test_items(make_ws, tmp_path) -> None:
    ws, _ = _labelled_ws(make_ws, tmp_path)
    split_labels(ws, seed=0)
    splits = split_of(ws)
    data = training_data(ws)
    assert data.ids and all(splits[i] == "train" for i in data.ids)
    assert len(data) == sum(1 for s in splits.values() if s == "train")
    with pytest.raises(LabelError, match="nothing may ever train on test"):
        training_data(ws, splits=("train", "test"))
    test_id = next(i for i, s in splits.items() if s == "test")
    with pytest.raises(LabelError, match="in the test split") as info:
        training_data(ws, ids=[data.ids[0], test_id])
    assert info.value.item == test_id


def test_train_command_fits_on_the_train_split_only(make_ws, tmp_path) -> None:
    ws, _ = _labelled_ws(make_ws, tmp_path)
    split_labels(ws, seed=0)
    runner = CliRunner()
    res = runner.invoke(cli, ["-w", str(ws.root), "train", "majority", "--name", "maj", "--json"])
    assert res.exit_code == 0, res.output
    from glamlab.registry import get_model

    mv = get_model(ws, "maj@champion")
    data = training_data(ws)
    assert mv.training_fingerprint == data.fingerprint
    assert mv.card["train_items"] == len(data)
    res = runner.invoke(cli, ["-w", str(ws.root), "train", "majority", "--name", "maj"])
    assert res.exit_code == 0
    assert get_model(ws, "maj@champion").version == 1  # the champion stays


def test_cli_split_frozen_message(make_ws, tmp_path) -> None:
    ws, _ = _labelled_ws(make_ws, tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["-w", str(ws.root), "labels", "split", "--seed", "0"]).exit_code == 0
    read_test_split(ws)
    res = runner.invoke(cli, ["-w", str(ws.root), "labels", "split", "--seed", "1"])
    assert res.exit_code != 0 and "frozen" in str(res.exception)
    res = runner.invoke(cli, ["-w", str(ws.root), "labels", "split", "--seed", "1", "--force"])
    assert res.exit_code == 0 and "--force" in res.output


def test_training_data_unpacks_as_items_and_labels(make_ws, tmp_path) -> None:
    ws, gold = _labelled_ws(make_ws, tmp_path)
    split_labels(ws, seed=0)
    items, labels = training_data(ws)
    assert len(items) == len(labels)
    assert all(gold[i.item_id] == y for i, y in zip(items, labels, strict=True))


def test_baseline_reuse_notices_changed_rules(make_ws, tmp_path) -> None:
    from glamlab.evaluation import fit_baselines

    ws, _ = _labelled_ws(make_ws, tmp_path)
    split_labels(ws, seed=0)
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rule]]\nlabel = "blank"\nmax_length = 3\n')
    first, _ = fit_baselines(ws, rules_file=str(rules))
    again, _ = fit_baselines(ws, rules_file=str(rules))
    assert [c.spec for c in again] == [c.spec for c in first]  # nothing changed: reused
    rules.write_text('[[rule]]\nlabel = "blank"\nmax_length = 9\n')
    changed, _ = fit_baselines(ws, rules_file=str(rules))
    specs = {c.name: c.spec for c in changed}
    assert specs["rules"] == "rules@2" and specs["majority"] == "majority@1"


def test_fingerprint_counts_graphic_boxes_but_not_other_metadata() -> None:
    from glamlab.items import Item
    from glamlab.registry import fingerprint
    from glamlab.tasks.splits import fingerprint_row

    def fp(meta: dict) -> str:
        item = Item("p1", "image", content_hash="abc", meta=meta)
        return fingerprint([fingerprint_row(item, ["graphic"])])

    plain = fingerprint([("p1", "abc", ["graphic"])])
    assert fp({}) == plain == fp({"boxes": []}) == fp({"shelfmark": "MS 12"})
    with_boxes = fp({"boxes": [[1, 2, 3, 4]]})
    assert with_boxes != plain
    assert fp({"boxes": [[1, 2, 3, 4]], "boxes_size": [800, 1200]}) != with_boxes


def test_items_kept_in_their_split_take_their_group_with_them() -> None:
    """A re-split leaves the kept items (labelled in review) where they are, and the
    other items of their groups with them, so no group is cut; the rest is split as
    usual. When every item is kept, nothing is left to test on: one clear error."""
    from glamlab.tasks.splits import pin_kept, split_around

    ids = [f"i{n}" for n in range(12)]
    groups = ["a", "a", "b", "b", "c", "c", "d", "d", "e", "e", "f", "f"]
    pinned = pin_kept({"i0": "train", "i3": "test"}, ids, groups)
    assert pinned == {"i0": "train", "i1": "train", "i2": "test", "i3": "test"}
    Y = np.eye(2)[[n % 2 for n in range(12)]]
    for seed in range(5):
        mask = split_around(Y, ids, groups, pinned, 0.3, seed)
        assert list(mask[:4]) == [False, False, True, True]
        assert mask[4:].any() and not mask[4:].all()
        for g in "cdef":  # the free groups stay whole
            assert len({bool(m) for m, x in zip(mask, groups, strict=True) if x == g}) == 1
    with pytest.raises(LabelError, match="reviewing a model's predictions") as exc:
        split_around(Y, ids, groups, {i: "train" for i in ids}, 0.3, 0)
    assert "labels sample --split test" in (exc.value.hint or "")


def test_keep_together_fields_offer_what_labelled_items_share(make_ws, tmp_path):
    """The fields a test set could keep whole: those several labelled items share (not
    one value per item, nor one value for all), the kind's suggestion first (an entities
    project's sentences: the document_id HIPE gives them)."""
    import json

    from glamlab.tasks.spans import import_spans
    from glamlab.tasks.splits import keep_together_fields

    ws = make_ws("ner-groups", task="entities", kind="entities", modality="text",
                 labels=["PER", "LOC"], metric="strict_micro_f1")
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps({
        "id": f"d{d}-s{s}", "text": f"Anna went to Paris {d} {s}.",
        "entities": [{"start": 0, "end": 4, "label": "PER"}],
        "document_id": f"doc{d}", "archive": "one", "line": f"{d}.{s}", "batch": 1900 + s,
    }) + "\n" for d in range(4) for s in range(3)), encoding="utf-8")
    import_spans(ws, gold)
    fields = keep_together_fields(ws)
    assert fields[0] == "document_id"  # the kind's suggestion, first
    assert "batch" in fields  # shared by several sentences: offered too, after it
    assert "archive" not in fields and "line" not in fields  # one value; unique values
