"""The card names its task kind; glamlab init lets the kind fill its defaults and refuse a
card before anything is written."""

from __future__ import annotations

import tomllib

from click.testing import CliRunner

from glamlab.cli import cli
from glamlab.workspace import Workspace


def _init(tmp_path, *args):
    return CliRunner().invoke(cli, ["init", str(tmp_path / "ws"), "--task", "t", "--modality",
                                    "text", *args])


def test_init_records_the_kind_and_its_default_metric(tmp_path) -> None:
    res = _init(tmp_path, "--labels", "nature,people", "--kind", "multi-label")
    assert res.exit_code == 0, res.output
    card = tomllib.loads((tmp_path / "ws" / "glamlab.toml").read_text(encoding="utf-8"))
    assert card["task"]["kind"] == "multi-label"
    assert card["project"]["multi_label"] is True and card["project"]["metric"] == "f1_samples"
    ws = Workspace.open(tmp_path / "ws")
    try:
        assert ws.card.kind == "multi-label" and ws.card.multi_label
    finally:
        ws.close()


def test_init_refuses_what_the_kind_cannot_serve_and_writes_nothing(tmp_path) -> None:
    res = _init(tmp_path, "--labels", "a,b", "--kind", "no-such-kind")
    # a usage error (exit 2) naming the kinds there are, before anything is written
    assert res.exit_code == 2 and "no task kind called 'no-such-kind'" in res.output
    assert "entities, multi-label, single-label" in res.output
    assert not (tmp_path / "ws").exists()
    res = _init(tmp_path, "--labels", "a,b", "--metric", "f1_samples")
    assert res.exit_code != 0 and "does not fit a single-label task" in str(res.exception)
    assert not (tmp_path / "ws").exists()



def test_python_init_of_another_kind_never_guesses_a_classification_metric(
        tmp_path, monkeypatch) -> None:
    """Workspace.init(kind="entities") without a metric used to write f1_macro to the
    card; now the kind fills its own (the task kinds' prepare_card is the default), and
    without that hook it is refused in words (nothing written)."""
    import pytest

    from glamlab import plugins
    from glamlab.errors import WorkspaceError

    labels = ["PER", "LOC"]
    ws = Workspace.init(tmp_path / "b", task="ner", kind="entities", modality="text",
                        labels=labels)
    try:
        assert ws.card.metric == "strict_micro_f1"
    finally:
        ws.close()
    plain = Workspace.init(tmp_path / "c", task="t", modality="text", labels=["a", "b"])
    try:
        assert plain.card.metric == "f1_macro"
    finally:
        plain.close()
    monkeypatch.setattr(plugins, "HOOKS", {})  # a workspace layer on its own
    with pytest.raises(WorkspaceError, match="needs its metric") as err:
        Workspace.init(tmp_path / "a", task="ner", kind="entities", modality="text",
                       labels=labels)
    assert "prepare_card" in (err.value.hint or "")
    assert not (tmp_path / "a" / "glamlab.toml").exists()


def test_python_init_refuses_a_metric_the_kind_cannot_judge_at_once(tmp_path) -> None:
    """glamlab init --metric f1 refused at once; Workspace.init wrote the card and only
    evaluate (or fit_baselines) failed later. Now both refuse before anything is written."""
    import pytest

    import glamlab
    from glamlab.errors import ConfigError

    with pytest.raises(ConfigError, match="the metric 'f1' does not fit a single-label "
                                          "task") as err:
        glamlab.Workspace.init(tmp_path / "tab", task="late", modality="tabular",
                               labels=["0", "1"], metric="f1")
    assert "f1_macro" in (err.value.hint or "")
    assert not (tmp_path / "tab").exists()
    with pytest.raises(ConfigError, match="the metric 'f1_strict_micro' does not fit an "
                                          "entities task") as err:
        glamlab.Workspace.init(tmp_path / "ner", task="ner", kind="entities",
                               modality="text", labels=["PER"], metric="f1_strict_micro")
    assert "strict_micro_f1" in (err.value.hint or "")
    assert not (tmp_path / "ner").exists()
    made = glamlab.Workspace.init(tmp_path / "ok", task="x", modality="text",
                                  labels=["a", "b"], multi_label=True)
    try:  # define (the web's new project) refuses alike
        with pytest.raises(ConfigError, match="does not fit a single-label task"):
            made.define(task="x", modality="text", labels=["a", "b"], metric="f1_samples")
    finally:
        made.close()


def test_an_entities_project_calls_its_items_texts_and_its_stages_say_so(tmp_path) -> None:
    """An entities project's items are texts: its pages said "Label items" and "12 items
    with predictions" (only a table had its own word, rows)."""
    from glamlab.tasks.kinds import task_kind
    from glamlab.web.routes.stages import stage_names

    ws = Workspace.init(tmp_path / "ner", task="ner", kind="entities", modality="text",
                        labels=["PER", "LOC"])
    lang = Workspace.init(tmp_path / "lang", task="lang", modality="text", labels=["a", "b"])
    try:
        kind = task_kind(ws.card)
        assert (kind.noun_one, kind.noun) == ("text", "texts")
        names = stage_names(kind)
        assert (names["items"], names["label"], names["run"]) == (
            "Bring texts in", "Label texts", "Run over the texts")
        assert task_kind(lang.card).noun == "items"  # classifying texts: still items
    finally:
        ws.close()
        lang.close()


def test_python_init_task_entities_names_the_kind_as_glamlab_init_does(tmp_path) -> None:
    """`glamlab init --task entities` makes an entities project; Workspace.init(task=
    "entities") made a single-label one (labels PER, LOC, ... as classes, metric
    f1_macro), which then took span imports and evaluated them as classification."""
    ws = Workspace.init(tmp_path / "ner", task="entities", modality="text",
                        labels=["PER", "LOC", "ORG"])
    try:
        assert ws.card.kind == "entities" and ws.card.metric == "strict_micro_f1"
        defined = ws.define(task="entities", modality="text", labels=["PER", "LOC"])
        assert defined.kind == "entities"
    finally:
        ws.close()
    res = _init(tmp_path, "--labels", "PER,LOC")  # the CLI's --task t: the default kind
    assert res.exit_code == 0, res.output
    cli_ws = tmp_path / "cli"
    res = CliRunner().invoke(cli, ["init", str(cli_ws), "--task", "entities", "--modality",
                                   "text", "--labels", "PER,LOC"])
    assert res.exit_code == 0, res.output
    assert tomllib.loads((cli_ws / "glamlab.toml").read_text(encoding="utf-8"))[
        "task"]["kind"] == "entities"
    plain = Workspace.init(tmp_path / "plain", task="subjects", modality="text",
                           labels=["a", "b"])
    try:
        assert plain.card.kind == "single-label"
    finally:
        plain.close()
