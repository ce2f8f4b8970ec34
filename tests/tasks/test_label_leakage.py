"""Label columns never become features: recorded at import and ingest, refused by predictors, rules and features (issue 17)."""

from __future__ import annotations

import csv

import pytest

from glamlab.demo import demo_data
from glamlab.errors import PredictorError
from glamlab.registry.training import train
from glamlab.tasks import import_labels, split_labels
from glamlab.workspace.leakage import forbidden_fields


@pytest.fixture
def leaky(make_ws):
    """The labels file ingested as the items table: its label column becomes metadata."""
    path = demo_data("language") / "texts.csv"
    with open(path, newline="", encoding="utf-8") as fh:
        labels = sorted({r["label"] for r in csv.DictReader(fh)})
    ws = make_ws("leaky", modality="text", labels=labels)
    ws.report = ws.ingest([path], id_column="id", text_column="text")
    return ws


def test_ingest_of_a_labels_file_warns_and_the_card_records_the_column(leaky):
    assert any("'label' carries the label" in w for w in leaky.report.warnings)
    assert "warning: column 'label'" in leaky.report.summary()
    assert leaky.report.to_dict()["warnings"] == leaky.report.warnings
    assert forbidden_fields(leaky.reload_card()) == {"label"}
    assert "kind" not in forbidden_fields(leaky.card)  # other columns stay features


def test_predictors_and_rules_refuse_the_label_column(leaky):
    import_labels(leaky, demo_data("language") / "texts.csv")
    split_labels(leaky, test_size=0.3, seed=0)
    with pytest.raises(PredictorError, match="'label'") as exc:
        train(leaky, "text-tfidf", params={"fields": "kind,label"})
    assert "leakage" in exc.value.message and "[leakage]" in exc.value.hint
    rule = {"name": "copy", "label": leaky.card.labels[0],
            "meta": {"label": leaky.card.labels[0]}}
    with pytest.raises(PredictorError, match="'label'"):
        train(leaky, "rules", params={"rules": [rule]})
    assert train(leaky, "text-tfidf", params={"fields": "kind"}).model.version == 1


def test_labels_import_records_its_label_column(make_ws, tmp_path):
    from tests.tasks.helpers import add_csv_items, write_csv

    ws = make_ws("plain", modality="text", labels=["a", "b"])
    add_csv_items(ws, demo_data("language") / "texts.csv", text_column="text", limit=4)
    with open(demo_data("language") / "texts.csv", newline="", encoding="utf-8") as fh:
        ids = [r["id"] for r in csv.DictReader(fh)][:4]
    f = write_csv(tmp_path / "gold.csv", ["id", "answer"], [[i, "a"] for i in ids])
    import_labels(ws, f, label_column="answer")
    assert forbidden_fields(ws.reload_card()) == {"answer"}


def test_a_column_of_subject_paths_under_the_labels_is_a_label_column(make_ws, tmp_path):
    """A catalogue export carries the subjects at several levels; the level-2 column
    (`people > adults|nature > trees`) gives the level-1 labels away: trained with it as
    a field, text-tfidf scored 0.93 against 0.56 without it, and nothing warned."""
    from tests.tasks.helpers import write_csv

    ws = make_ws("tate", modality="text", labels=["nature", "people", "emotions, ideas"],
                 multi_label=True)
    rows = [[f"r{i}", f"A title number {i}", "people|nature",
             "people > adults|nature > trees|emotions, ideas > love",
             "man|tree", "oil on canvas"] for i in range(12)]
    f = write_csv(tmp_path / "records.csv",
                  ["id", "text", "label", "subjects_level2", "subjects_level3", "medium"], rows)
    report = ws.ingest([f], id_column="id", text_column="text")
    assert any("'subjects_level2' carries the label" in w for w in report.warnings)
    assert forbidden_fields(ws.reload_card()) == {"label", "subjects_level2"}
