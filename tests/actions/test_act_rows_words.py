"""A tabular project's act report is about rows and their outcomes: a curator of timed
tickets read "written to field 'no-shows' as machine metadata", "auto-accepts" and
"machine metadata values" (a catalogue's words) about bookings. ``glamlab status`` said
"champions 1" and "machine_metadata 0"."""

from __future__ import annotations

from glamlab.actions.act import ActReport, render


def _report(noun: str, dry_run: bool) -> ActReport:
    r = ActReport("tabular-gbm@1", "no-shows", dry_run, noun=noun,
                  counts={"accept": 40, "review": 7, "reject": 3},
                  items_with_predictions=50, items_total=50,
                  expected_wrong_accepts=2.0, expected_wrong_range=[0.0, 5.0])
    r.written = {"machine_metadata": 40, "review_queue": 7}
    return r


def test_act_speaks_of_rows_and_outcomes_in_a_tabular_project(make_ws):
    from glamlab.tasks.kinds import task_kind

    ws = make_ws("rows", modality="tabular", labels=["0", "1"])
    assert task_kind(ws.card).noun == "rows"  # what act takes its words from
    for dry_run in (True, False):
        text = render(_report("rows", dry_run).to_dict())
        assert "metadata" not in text and "catalogue" not in text, text
        assert "auto-accepts" not in text and " items" not in text, text
        assert "50 of 50 rows have predictions" in text
        assert ("accept 40 (the predicted outcome written to the row's 'no-shows' field, "
                "marked as the model's), send 7 to a person to check") in text
        assert "Expected wrong automatic outcomes: about 2" in text
    assert "Written: 40 predicted outcomes (marked as the model's)" in render(
        _report("rows", False).to_dict())
    # a collection's items keep their words
    items = render(_report("items", False).to_dict())
    assert "as machine metadata" in items and "Written: 40 of the 40 accepted items as machine metadata values" in items


def test_status_names_its_figures_in_words():
    from glamlab.cli.workspace import _status_text

    s = {"task": "no-shows", "modality": "tabular", "labels": ["0", "1"], "metric": "f1",
         "database": "sqlite", "summary": "10 items", "next_step": "train",
         "stages": [{"stage": "models", "done": True, "count": 3, "champions": 2,
                     "in_use": "m@1"},
                    {"stage": "actions", "done": False, "acted": 0, "machine_metadata": 0,
                     "review_open": 0}]}
    text = _status_text(s)
    assert "champions" not in text and "machine_metadata" not in text, text
    assert "values written by the model 0" in text
    # two models with a chosen version, one of them in use: "in use 2" said two were
    assert "count 3, with a version chosen 2, in use m@1" in text, text
    assert "times acted 0," in text and "acted on" not in text, text  # act runs, not items


def test_an_expected_count_is_said_as_a_whole_number():
    from glamlab.actions.act import about_count

    assert [about_count(n) for n in (0.0, 0.2, 0.5, 1.05, 96.51)] == [
        "about 0", "under 1", "about 1", "about 1", "about 97"]
