"""In a real headless Chromium, a whole project with the browser only, from "new project"
to "export downloaded" (issue 18): set up the project, upload a spreadsheet and map its
columns, train a recommended model, evaluate it against the baselines, run it over the
collection, choose the policy by a precision target and save it, see what it would do,
download the export. Every page is reached through the stage navigation; nothing is
typed in a terminal. The data: a slice of the bundled language demo (three languages)."""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

import pytest

from glamlab.demo import demo_data
from glamlab.web.app import stop_background

from .conftest import PASSWORD, LiveServer
from .test_browser import ARGS, CHROMIUM, pytestmark  # noqa: F401  (browser marks, skip)

LANGUAGES = ("de", "nl", "sv")


@pytest.fixture
def fresh_ws(make_ws: Any) -> Any:
    """What `glamlab init` and `glamlab users add ada --role admin` leave, before the
    browser: nothing in the project yet."""
    from glamlab.auth import add_user

    ws = make_ws("fresh", task="new-project", modality="image", labels=["yes", "no"], need="")
    add_user(ws, "ada", PASSWORD, "admin")
    return ws


def _sheet(tmp_path: Path) -> tuple[Path, int]:
    with open(demo_data("language") / "texts.csv", newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["label"] in LANGUAGES]
    path = tmp_path / "letters.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["shelfmark", "transcription", "language", "source"])
        w.writerows([r["id"], r["text"], r["label"], r["source"]] for r in rows)
    return path, len(rows)


@pytest.mark.timeout(1200)  # five background jobs on a shared 2-core machine
def test_a_whole_project_from_new_project_to_a_downloaded_export(fresh_ws: Any,
                                                                  tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    from glamlab.web import create_app

    ws = fresh_ws
    sheet, n = _sheet(tmp_path)
    app = create_app(ws)
    started = time.monotonic()
    try:
        with LiveServer(app) as server, sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1280, "height": 900},
                                    accept_downloads=True)
            expect = sync_api.expect
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))

            def stage(key: str, title: str) -> None:
                page.click(f"nav.stages-nav a[href='/stages/{key}']")
                expect(page.locator("h1")).to_have_text(title)

            page.goto(server.url + "/login")
            page.fill("input[name=username]", "ada")
            page.fill("input[name=password]", PASSWORD)
            page.keyboard.press("Enter")
            page.wait_for_url(server.url + "/")
            # 1. the new project, from the overview's next step
            expect(page.locator("#next-link")).to_have_text("Set up the project")
            page.click("#next-link")
            expect(page.locator("h1")).to_have_text("The project")
            page.fill("#p-name", "Language of each letter")
            page.fill("#p-need", "Send each letter to a cataloguer who reads its language")
            page.check("input[name=modality][value=text]")
            page.check("input[name=kind][value=single-label]")
            page.fill("#p-labels", "\n".join(LANGUAGES))
            page.click("#create-project")
            # 2. the spreadsheet, its columns found and confirmed
            expect(page.locator("h1")).to_have_text("Bring items in")
            page.set_input_files("#upload-file", str(sheet))
            page.click("#upload")
            expect(page.locator("#mapping")).to_contain_text("semicolon")
            expect(page.locator("#map-id")).to_have_value("shelfmark")
            expect(page.locator("#map-text")).to_have_value("transcription")
            expect(page.locator("#map-label")).to_have_value("language")
            page.click("#bring-in-table")  # a background job: the page follows it
            expect(page.locator("#items-report")).to_contain_text(f"{n} new items",
                                                                  timeout=120_000)
            expect(page.locator("#labels-imported")).to_contain_text("set aside as the test")
            # 3. train a recommended model (a quick one)
            stage("train", "Train models")
            for box in page.locator("input[name=predictor]").all():
                box.uncheck()
            page.check("#p-text-tfidf")
            page.click("#start-train")
            expect(page.locator("#job")).to_contain_text("Training finished", timeout=300_000)
            expect(page.locator("#trained")).to_contain_text("text-tfidf@1")
            # 4. evaluate it against the baselines on the test set
            stage("evaluate", "Baselines and evaluation")
            page.click("#start-evaluate")
            expect(page.locator("#job")).to_contain_text("Evaluation finished", timeout=300_000)
            expect(page.locator("main")).to_contain_text("text-tfidf")
            # 5. run the champion over the collection
            stage("run", "Run over the collection")
            page.click("#start-run")
            expect(page.locator("#job")).to_contain_text("The run finished", timeout=300_000)
            expect(page.locator("#run-progress")).to_have_attribute("value", str(n))
            # 6. the policy: a precision target, the honest test figure, saved
            stage("policy", "Choose the policy")
            page.select_option("#target", "0.9")
            page.click("#start-optimise")
            expect(page.locator("#job")).to_contain_text("Choosing the thresholds finished",
                                                         timeout=300_000)
            expect(page.locator("#policy-honest")).to_be_visible()
            page.click("#save-policy")
            expect(page.locator("#policy-saved")).to_be_visible()
            # 7. what it would do, then 8. the export, downloaded
            stage("act", "What the policy would do")
            expect(page.locator("main")).to_contain_text("accepted automatically",
                                                         timeout=120_000)
            stage("export", "Export")
            with page.expect_download() as info:
                page.click("a[data-format=csv]")
            saved = tmp_path / "export.csv"
            info.value.save_as(saved)
            with open(saved, newline="", encoding="utf-8-sig") as fh:
                rows = list(csv.DictReader(fh))
            assert len(rows) == n and rows[0]["model"].startswith("text-tfidf")
            assert {r["item_id"] for r in rows} == {it.item_id for it in ws.items()}
            assert not errors, errors
            browser.close()
    finally:
        stop_background(app)
    print(f"whole project in the browser: {time.monotonic() - started:.0f} s")
