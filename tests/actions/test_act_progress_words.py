"""The words of act's progress line and summary."""

from __future__ import annotations

from typing import Any

from .test_export_gold_wins import _blank_pages
from .test_status_values_once import SCORES


def test_act_progress_line_of_a_single_label_project(make_ws: Any, capsys: Any) -> None:
    """The progress line read "act (blanks@1): 2 items with items" in a single-label
    project (the kind's word for a candidate is "items")."""
    from glamlab.actions import act

    ws = _blank_pages(make_ws, "pages", SCORES)
    capsys.readouterr()
    act(ws, progress=True)
    err = capsys.readouterr().err
    assert "act (blanks@1): 2 items" in err and "items with items" not in err, err


def test_a_small_review_workload_is_said_in_minutes(make_ws: Any) -> None:
    """Seven pages at 20 seconds each read "about 0.0 reviewer hours"."""
    from glamlab.actions import plan, render

    unsure = {f"p{i}": {"blank": 0.7, "content": 0.3} for i in range(7)}
    words = render(plan(_blank_pages(make_ws, "pages", unsure), dry_run=True).to_dict())
    assert "Review workload: 7 items, about 2 minutes of review" in words, words
    assert "0.0 reviewer hours" not in words


def test_a_dry_run_says_what_it_does_from_the_start(make_ws: Any, capsys: Any,
                                                    monkeypatch: Any) -> None:
    """At 200,000 items on PostgreSQL the first dry run was silent for about 94 s before
    its first progress line (choosing the thresholds, counting, before any item is gone
    through): now a line says what it is doing while nothing else is shown."""
    import sys
    import time

    from glamlab.actions import plan
    from glamlab.tasks import tabular

    act_mod = sys.modules["glamlab.actions.act"]

    ws = _blank_pages(make_ws, "pages", SCORES)
    monkeypatch.setattr(act_mod, "HEARTBEAT_S", 0.2)
    real = tabular.count_known_outcomes

    def slow(*a: Any, **kw: Any) -> int:  # a slow step before the first item
        time.sleep(1.5)
        return real(*a, **kw)

    monkeypatch.setattr(tabular, "count_known_outcomes", slow)
    capsys.readouterr()
    plan(ws, dry_run=True, progress=True)
    err = capsys.readouterr().err
    assert "act (blanks@1, dry run): counting the items: still working" in err, err


def test_the_act_report_has_a_summary_like_a_run_report(make_ws: Any) -> None:
    """From Python, ``run(...)`` gives a report with ``.summary()``, but ``plan(ws)`` and
    ``act(ws)`` gave one without: a notebook had to find ``render(report.to_dict())``,
    whose next step was a command ("Run glamlab act to write it"). Now ``.summary()`` is
    the words ``glamlab act`` prints, its next steps as Python calls, as the report's
    notes are (commands with ``cli=True``, as the command line calls it)."""
    from glamlab.actions import act, plan, render

    ws = _blank_pages(make_ws, "pages", SCORES)
    dry = plan(ws)
    words = dry.summary()
    assert words == render(dry.to_dict(), cli=False)
    assert "Nothing was written (dry run). act(ws) writes it." in words, words
    assert "glamlab act" not in words and "glamlab export" not in words, words
    cli = plan(ws, cli=True).summary()
    assert cli == render(plan(ws, cli=True).to_dict())  # the command line's text
    assert "Run glamlab act to write it." in cli, cli
    done = act(ws)
    assert done.summary() == render(done.to_dict(), cli=False)
    assert "cli" not in done.to_dict()  # the --json document is as it was
