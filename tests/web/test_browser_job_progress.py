"""In a real headless Chromium: while the policy is worked out (a job of half a minute
here, minutes on a real project) the page says how far it is, and the words change as
it goes (before: "Choosing the thresholds: choosing thresholds for precision 0.95 on the
calibration data" from start to end, and curators took the job for hung). The page
reloads itself; after a reload whose status line changed, the new words are said again
to a screen reader (#announce: a live region inserted empty and written a moment later,
as a live region that arrives already written is not announced)."""

from __future__ import annotations

import time
from typing import Any

from .conftest import PASSWORD, chromium_page
from .test_browser import pytestmark  # noqa: F401  (browser marks, skip)
from .test_job_progress import lang_project  # noqa: F401  (the fixture)


def test_the_policy_page_shows_a_progress_line_that_changes(lang_project: Any) -> None:  # noqa: F811
    from glamlab.auth import add_user
    from glamlab.inference import run

    ws = lang_project
    add_user(ws, "ada", PASSWORD, "admin")
    run(ws, "text-tfidf@champion", workers=1)
    with chromium_page(ws, "/stages/policy", user="ada") as (sync_api, page, errors):
        page.click("#start-optimise")
        shown: list[str] = []  # the job's line, each time it changed
        announced: list[str] = []  # what #announce said after a reload
        deadline = time.monotonic() + 600  # a bound for a stuck job, not a measure
        while time.monotonic() < deadline:
            try:
                line = page.locator("#job").inner_text(timeout=5_000)
                said = page.evaluate(
                    "() => { const a = document.getElementById('announce');"
                    " return a ? a.textContent : ''; }")
            except sync_api.Error:  # the page was reloading
                continue
            line = " ".join(line.split())
            if said and (not announced or announced[-1] != said):
                announced.append(" ".join(said.split()))
            if "finished" in line or "failed" in line:
                break
            if not shown or shown[-1] != line:
                shown.append(line)
            page.wait_for_timeout(200)
    assert errors == []
    progress = [s for s in shown if s.startswith("Choosing the thresholds: step ")]
    # the line named the step as the job went on (the page reloads itself every few
    # seconds, so how many of the job's lines it catches depends on the machine's speed:
    # that the line changes is tests/web/test_job_progress.py's, from the jobs table)
    assert progress, shown
    assert all(" of 3" in s for s in progress), shown
    # a reload that brought new words had them said again
    assert any(a.startswith("Choosing the thresholds: step ") for a in announced), announced
