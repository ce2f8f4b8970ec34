"""A rare concept's dead end: a random test split held no item of the rare label and was
frozen by the first ``glamlab evaluate``. Before, evaluate scored the majority baseline
F1 1.00 (1.00-1.00) without a word, and importing the positives for the test split was
refused without naming the way out. Now evaluate warns that the label cannot be measured,
and the refusal names ``glamlab labels split --force``, which works."""

from __future__ import annotations

from glamlab.tasks import import_labels, is_frozen
from tests.actions.helpers import run_cli
from tests.tasks.helpers import add_items, write_csv

_cli = run_cli


def test_a_label_missing_from_the_test_split_is_warned_about_and_fixable(
        make_ws, tmp_path, capsys):
    ws = make_ws("emig", modality="text", labels=["emigration", "other"],
                 positive_label="emigration")
    add_items(ws, [{"id": f"o{i:02d}", "text": f"the council met about the road {i}"}
                   for i in range(40)]
              + [{"id": f"e{i:02d}", "text": f"emigrants left for America, ship {i}"}
                 for i in range(10)])
    # training holds both labels, the test split only "other"
    import_labels(ws, write_csv(tmp_path / "train.csv", ["id", "label"],
                                [[f"o{i:02d}", "other"] for i in range(20)]
                                + [[f"e{i:02d}", "emigration"] for i in range(5)]),
                  split="train")
    import_labels(ws, write_csv(tmp_path / "test.csv", ["id", "label"],
                                [[f"o{i:02d}", "other"] for i in range(20, 40)]),
                  split="test")
    code, out, err = _cli(capsys, ws, "evaluate")
    assert code == 0, err
    assert is_frozen(ws)
    said = " ".join((out + err).split())
    assert "the test split holds no item labelled 'emigration'" in said, said
    assert "cannot be measured (its F1 is undefined, not 1.00)" in said
    assert "glamlab labels split --force" in said
    # the web's Evaluate page says it too
    from tests.web.conftest import app_with_users

    made = app_with_users(ws)
    _ws, _app, client = next(made)
    page = " ".join(client("ada").get("/stages/evaluate").text.split())
    next(made, None)
    assert "the test split holds no item labelled &#39;emigration&#39;" in page, page
    assert "its F1 is undefined, not 1.00" in page
    # the positives cannot join the frozen test split: the refusal names the way out
    positives = write_csv(tmp_path / "pos.csv", ["id", "label"],
                          [[f"e{i:02d}", "emigration"] for i in range(5, 10)])
    code, out, err = _cli(capsys, ws, "labels", "import", str(positives), "--split", "test")
    assert code == 2
    assert "would join the frozen test split" in err
    fix = " ".join(err.split("fix:", 1)[1].split())
    assert "--split train" in fix and "glamlab labels split --force" in fix, err
    assert "import them without --split" in fix
    # ... and the way out works
    code, out, err = _cli(capsys, ws, "labels", "import", str(positives))
    assert code == 0, err
    code, out, err = _cli(capsys, ws, "labels", "split", "--force", "--test-size", "0.4")
    assert code == 0, err
    from glamlab.tasks.splits import split_of

    test = [i for i, s in split_of(ws).items() if s == "test"]
    assert any(i.startswith("e") for i in test), test
    code, out, err = _cli(capsys, ws, "evaluate")
    assert code == 0, err
    assert "holds no item labelled" not in out + err
