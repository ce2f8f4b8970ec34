"""``glamlab demo trends`` end to end on the bundled Tate sample: the subjects project
trained and run, then the share of two subjects per decade of ``date_text``, in words,
as an HTML chart and a CSV (issue 22)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from glamlab.cli import cli
from glamlab.demo import run_demo
from glamlab.demo.trends import BY, SUBJECTS


def test_demo_trends_trains_runs_and_says_what_the_trend_shows(tmp_path: Path) -> None:
    said: list[str] = []
    r = run_demo("trends", tmp_path / "demo", say=said.append)
    text = "\n".join(said)
    assert r["labels"]["import"]["items"] == 400 and r["run"]["done"] == 400
    t = r["trends"]
    assert t["by"] == BY and t["labels"] == list(SUBJECTS)
    # the CSV holds the numbers the words quote
    with open(t["csv"], newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert {row["name"] for row in rows} == set(SUBJECTS) and len(rows) == t["rows"]
    people = {row["group"]: row for row in rows if row["name"] == "people"}
    largest = max((g for g in people if g and people[g]["status"] == "ok"),
                  key=lambda g: int(people[g]["n"]))
    row = people[largest]
    assert (f"The largest group, {largest} ({int(row['n'])} items): the model puts the label "
            f"on {float(row['raw_share']):.0%} of them (the raw count); corrected for the "
            f"model's measured errors the share is {float(row['share']):.0%}, 95% interval "
            f"{float(row['low']):.0%} to {float(row['high']):.0%}.") in text
    flagged = sum(1 for g in people.values() if g["status"] != "ok")
    assert f"{flagged} groups are flagged" in text and flagged > 0
    # intervals without the method's error between groups (the default, on too few
    # labelled groups) cannot say whether the share changed: the words do not pretend to
    measured = (t["choice"] or {}).get("model_sd") and any(t["choice"]["model_sd"].values())
    assert re.search(r"From \d{4}s to \d{4}s the corrected share goes from \d+% \(95% interval \d+% to "
                     r"\d+%\) to \d+% \(95% interval \d+% to \d+%\): the "
                     + (r"intervals (do not )?overlap" if measured else
                        r"intervals leave out how much the method errs from group to group"),
                     text)
    assert f"(method {t['method']})" in text
    # how to see the same page in the web app (an account first), and why its figures differ
    assert ("The same page is in the web app: add yourself once (glamlab users add NAME "
            "--role viewer; it asks for a password), start it (glamlab serve)") in text
    assert "its shares are counted exactly, not corrected" in text
    page = Path(t["html"]).read_text(encoding="utf-8")
    assert page.count("<svg") == len(SUBJECTS) and "Label: people" in page

    # the newspapers: places and people per 1,000 words by decade, in a project of their own
    news = r["newspapers"]
    with open(news["csv"], newline="", encoding="utf-8-sig") as fh:
        mentions = [row for row in csv.DictReader(fh) if row["name"] == "LOC"]
    ok = [row for row in mentions if row["group"] and row["status"] == "ok"]
    assert ok, "no decade large enough: the demo would show nothing readable"
    big = max(ok, key=lambda row: int(row["n"]))
    assert (f"The largest group, {big['group']} ({int(big['n'])} texts): the model finds "
            f"{float(big['raw_per_1000_words']):.1f} mentions per 1,000 words (the raw count); "
            f"corrected for its measured errors, {float(big['corrected_per_1000_words']):.1f} "
            "per 1,000 words "
            f"(95% interval {float(big['low']):.1f} to {float(big['high']):.1f}).") in text
    ratio = news["rates"]["LOC"]["ratio"]
    assert float(big["corrected_per_1000_words"]) == pytest.approx(
        float(big["raw_per_1000_words"]) * ratio, rel=1e-3)
    assert "mentions of places (LOC) per 1,000 words" in Path(news["html"]).read_text(
        encoding="utf-8")


def test_demo_trends_is_a_choice_of_glamlab_demo() -> None:
    res = CliRunner().invoke(cli, ["demo", "--help"])
    assert res.exit_code == 0 and "trends" in res.output
    bad = CliRunner().invoke(cli, ["demo", "trend"])
    assert bad.exit_code != 0 and "trends" in bad.output
    from glamlab.demo import project

    assert set(SUBJECTS) <= set(project("trends").init["labels"])


def test_demo_newspapers_counts_the_dated_documents_and_explains_the_undated(
        tmp_path: Path) -> None:
    """The newspapers stage said "16 dated documents" while 5 of them have no date (their
    50 texts came out under "(no value)" without a word): the count says what it counts,
    and the undated group is explained."""
    from glamlab.demo import demo_data, project
    from glamlab.demo.entities import SAMPLE
    from glamlab.demo.trends import stage_newspapers
    from glamlab.workspace import Workspace

    # the documents and their dates as the bundled file has them, read apart from the store
    dates = re.findall(r"^# hipe2022:date = (.*)$",
                       (demo_data("entities") / SAMPLE).read_text(encoding="utf-8"), re.M)
    documents, dated = len(dates), sum(1 for d in dates if d.strip() != "NA")
    assert 0 < dated < documents

    p = project("trends")
    ws = Workspace.init(tmp_path / "demo", **p.init)
    said: list[str] = []
    try:
        news = stage_newspapers(ws, p, said.append)
    finally:
        ws.close()
    text = "\n".join(said)
    assert (f"{documents} French newspaper documents of the NewsEye set, {dated} of them "
            "dated") in text
    assert f"{documents} dated" not in text
    assert news["documents"] == documents and news["dated"] == dated
    with open(news["csv"], newline="", encoding="utf-8-sig") as fh:
        undated = [row for row in csv.DictReader(fh)
                   if row["name"] == "LOC" and row["group"] == "(no value)"]
    assert len(undated) == 1
    assert (f"The group '(no value)' is the {int(undated[0]['n'])} texts of the "
            f"{documents - dated} documents the NewsEye set gives no date") in text
    assert f"Only {dated} dated documents make small groups" in text


def test_demo_trends_says_once_how_many_records_have_no_year(tmp_path: Path) -> None:
    """52 of the 400 Tate records have no year in date_text ('date not known', and 7 dated
    only by an exhibition: 'exhibited 1910' is not the year of making); the demo
    counted them in '(no value)' without a word. It now says how many, once (not once per
    subject); the newspapers part keeps its own sentence on why (NA), said once too."""
    said: list[str] = []
    run_demo("trends", tmp_path / "demo", say=said.append)
    subjects, newspapers = "\n".join(said).split("== newspapers", 1)
    assert subjects.count("have no year in date_text") == 1
    assert re.search(r"\b52 of the 400 items \(13%\) have no year in date_text", subjects)
    assert "7 of them have a year only of what happened to the work after it was made" in subjects
    assert "have no year" not in newspapers
    assert newspapers.count("gives no date (its file says NA)") == 1
