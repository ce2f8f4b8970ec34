"""``act --optimise`` says, as ``act`` does, when no model is marked champion and the
thresholds were worked out on the latest run's model (which one): in its result's
``notes`` (the Python API, ``--json``), in its text, and on the web app's Choose the
policy page. Before, only plain ``act`` said so."""

from __future__ import annotations

import json
from typing import Any

from glamlab.actions import optimise, render_optimise
from glamlab.registry.models import set_alias

from .helpers import run_cli
from .test_act import TEST_BLANK, TEST_CONTENT, _add_calibration
from .test_act import pages as pages  # noqa: F401  (the fixture)

NOTE = "No model is in use yet"


_cli = run_cli


def test_optimise_says_when_it_used_the_latest_run_s_model(pages: Any,  # noqa: F811
                                                           capsys: Any) -> None:
    _add_calibration(pages, TEST_BLANK, TEST_CONTENT)
    res = optimise(pages, target_precision=0.85)
    assert res["model"] == "blanks@1"
    said = [n for n in res["notes"] if NOTE in n]
    assert len(said) == 1 and "blanks@1" in said[0] and "glamlab evaluate" in said[0]
    assert said[0] in render_optimise(res)
    # the web app's words: its pages, not commands
    web = optimise(pages, target_precision=0.85, web=True)
    assert [n for n in web["notes"] if NOTE in n] and "Evaluate page" in web["notes"][0]
    assert "glamlab" not in web["notes"][0]
    # the command line: in its text, and under "notes" with --json
    pages.close()
    code, out, err = _cli(capsys, pages, "act", "--optimise", "--target-precision", "0.85")
    assert code == 0, err
    assert said[0] in out
    code, out, err = _cli(capsys, pages, "act", "--optimise", "--target-precision", "0.85",
                          "--json")
    assert code == 0, err
    assert json.loads(out)["notes"] == [said[0]]


def test_no_note_when_the_champion_or_a_named_model_is_used(pages: Any) -> None:  # noqa: F811
    _add_calibration(pages, TEST_BLANK, TEST_CONTENT)
    assert optimise(pages, target_precision=0.85, model="blanks@1")["notes"] == []
    set_alias(pages, "blanks@1", "champion")
    res = optimise(pages, target_precision=0.85)
    assert res["model"] == "blanks@1" and res["notes"] == []
    assert NOTE not in render_optimise(res)
