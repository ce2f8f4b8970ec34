"""Switching to a retrain's new version is refused when the model in use is no longer
the one it was compared with. Each retrain now keeps its new version in its own folder
until someone switches, so an older retrain's version stays switchable (an old tab, the
job's number in a form): before, switching to it replaced a newer model in use (another
retrain switched to since) on the word of a comparison with an older one, and the
confirmation said it would replace the older one."""

from __future__ import annotations

from typing import Any

import pytest

from glamlab.errors import GlamlabError
from glamlab.registry.models import champion, set_alias
from glamlab.web import jobs
from tests.actions.helpers import add_model


def _job(ws: Any, result: dict[str, Any]) -> int:
    job_id = jobs.submit(ws, "retrain", "ada")
    jobs._set(ws, job_id, status="done", result=result)
    return job_id


def test_an_older_comparison_cannot_replace_a_newer_model(make_ws: Any) -> None:
    ws = make_ws("stale")
    add_model(ws, "m", 1)
    set_alias(ws, "m@1", "champion")
    kept = {"name": "m", "folder": "retrained/job-1", "files": {}, "card": {}}
    old = _job(ws, {"champion": "m@1", "saved": None, "kept": kept})
    add_model(ws, "m", 2)  # switched to since, from a later retrain
    set_alias(ws, "m@2", "champion")
    with pytest.raises(GlamlabError, match="compared with m@1, but m@2 is the model in use"):
        jobs.switch_to_retrained(ws, old, "ada")
    assert champion(ws).spec == "m@2"
    assert jobs.get(ws, old)["result"]["kept"] == kept  # nothing saved, still kept
