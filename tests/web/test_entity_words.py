"""An entities project's pages speak a curator's words: the evaluation verdict says how
many entities the models find and what the simple methods (the baselines) are, not
"strict_micro_f1 0.21" nor "the most common label"; the act and policy pages count
texts and entities apart, so their sentences add up; a label the policy never accepts
says why; a review card says how sure the model is once, in words, with the offsets
in a tooltip only. A classification project's verdict says the same in its words."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest

from glamlab.web.app import stop_background
from tests import ner_project

from .conftest import PASSWORD, login
from .test_stages import _post
from .test_verdict_follow_through import _beaten


def _text(page: str) -> str:
    """The page's words, tags dropped and entities read, on one line."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.fixture
def ner_app(make_ws: Any, tmp_path: Path) -> Any:
    """The shared entities project with a CRF trained on its few texts, evaluated
    against its baselines (it does no better than them), with an admin signed in."""
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.evaluation import candidates_for, evaluate, fit_baselines
    from glamlab.registry.training import train
    from glamlab.web import create_app

    ws, _ = ner_project.gold_and_new_texts(make_ws, tmp_path, 4)
    train(ws, "crf-ner", name="crf-ner")  # (the gazetteer model is the baseline itself)
    fit_baselines(ws)
    evaluate(ws, candidates_for(ws), n_boot=200)
    # act and the policy use the champion's predictions (never another model's), so the
    # champion the evaluation chose is run over the texts, as the Run page does
    from glamlab.inference import run

    run(ws, workers=0, handle_signals=False)
    add_user(ws, "ada", PASSWORD, "admin")
    app = create_app(ws)
    with TestClient(app) as c:
        assert login(c, "ada").status_code == 303
        yield ws, app, c
    stop_background(app)


def test_the_evaluation_verdict_counts_entities_and_names_the_simple_methods(
        ner_app: Any) -> None:
    ws, _app, c = ner_app
    page = c.get("/stages/evaluate").text
    verdict = _text(re.search(r'<p class="verdict">(.*?)</p>', page, re.S).group(1))  # type: ignore[union-attr]
    assert re.search(r"the best of them, [\w-]+, finds \d+ of every 100 entities exactly "
                     r"right \(same words, same type\), and \d+ of every 100 it marks are "
                     r"right \(strict F1 \d\.\d\d, 95% interval \d\.\d\d to \d\.\d\d\)",
                     verdict), verdict
    assert re.search(r"The best model, [\w-]+@\d+, finds \d+ of every 100 entities", verdict)
    assert "lookup list of the entity names marked in the training texts" in verdict
    assert "Do not automate with machine learning yet" in verdict, verdict
    for jargon in ("strict_micro_f1", "p = ", "baseline"):
        assert jargon not in verdict, (jargon, verdict)
    words = _text(page)
    assert "most common label" not in words and "label mix" not in words
    assert "simple patterns for dates and titles (entity rules)" in words
    assert "spurious" not in words
    # the overview names the chosen models in words
    overview = c.get("/").text
    assert re.search(r'models with a version chosen: <b data-count="models-champions">',
                     overview)
    assert re.search(r'model in use: <b data-count="models-in_use">[\w-]+@\d+</b>', overview)
    assert "champions:" not in overview


def test_the_act_page_counts_texts_and_entities_apart(ner_app: Any) -> None:
    from glamlab.reports.overview import compute_act

    ws, _app, c = ner_app
    report = compute_act(ws)["result"]["act"]
    assert report["unit"] == "spans" and report["review_settled_by_gold"] > 0
    words = _text(c.get("/stages/act").text)
    n = report["items_with_predictions"]
    m = re.search(rf"the model suggests (\d+) spans, found in {n} texts \(one text may hold "
                  r"several; the others hold none\): (\d+) accepted automatically, (\d+) to a "
                  r"person \((\d+) more settled by a gold label", words)
    assert m, words
    total, accepted, to_person, settled = map(int, m.groups())
    rejected = int(re.search(r"not asked\), (\d+) rejected", words).group(1))  # type: ignore[union-attr]
    assert total == accepted + to_person + settled + rejected
    assert total > n  # spans outnumber texts: they are not counted as texts
    assert "Label more texts" in words and "Label more items" not in words
    assert "2. Bring texts in 3. Label texts" in words and "6. Run over the texts" in words
    assert "Spans sent to a person wait in the review queue" in words
    assert "Items sent to a person" not in words


def test_texts_the_model_found_no_entity_in_are_not_called_unpredicted(ner_app: Any) -> None:
    """Run, overview and act agree: every text was predicted; the act page and glamlab
    act count the texts the model found spans in, and say so (before: "of 3 texts with
    predictions" and "3 of 6 items have predictions" right after a run that predicted
    all 6, as the overview says)."""
    import sqlalchemy as sa

    from glamlab.actions.act import plan, render
    from glamlab.reports.overview import compute_act

    ws, _app, c = ner_app
    t = ws.store.t.predictions
    with ws.store.read() as conn:
        predicted = conn.execute(sa.select(sa.func.count(sa.distinct(t.c.item_id)))).scalar()
    report = compute_act(ws)["result"]["act"]
    n = report["items_with_predictions"]
    assert predicted == ws.count_items() > n > 0  # some predicted texts hold no span
    for page in (_text(c.get("/stages/act").text), _text(c.get("/reports").text)):
        assert f"found in {n} texts (one text may hold several; the others hold none)" in page
        assert "with predictions" not in page
    cli = render(plan(ws, dry_run=True).to_dict())
    assert f"found spans in {n} of {report['items_total']} items." in cli
    assert "have predictions" not in cli


def test_the_policy_page_says_why_a_label_is_never_accepted(ner_app: Any) -> None:
    ws, app, c = ner_app
    _post(c, "/stages/policy", target_precision="0.95")
    assert app.state.jobs.wait(300)
    from glamlab.web import jobs

    result = jobs.latest(ws, "optimise")["result"]  # type: ignore[index]
    untested = [r for r in result["labels"] if r.get("why")]
    assert untested, result["labels"]  # LOC: sure on calibration data, unmeasured on test
    words = _text(c.get("/stages/policy").text)
    for r in untested:
        assert f"{r['label']} never: {r['why']}" in words, words
    assert re.search(r"Checked once on the test set \(\d+ texts?\)", words), words
    assert "worked out on labelled texts set aside" in words
    col = result["collection"]
    shown = col["counts"]["accept"] + col["counts"]["review"] + col["counts"]["reject"]
    assert (f"On the whole collection ({shown} spans suggested, found in "
            f"{col['items_with_predictions']} texts; the others hold none): ") in words, words


def test_a_review_card_says_how_sure_the_model_is_once_in_words(ner_app: Any) -> None:
    from glamlab.actions import act
    from glamlab.web.routes.review import plain_reason

    ws, _app, c = ner_app
    act(ws, model="gazetteer@1")
    page = c.get("/queue").text
    cards = re.findall(r'<p class="span-why"[^>]*>.*?</p>', page, re.S)
    assert cards, page
    for card in cards:
        start, end = re.search(r'title="characters (\d+) to (\d+) of the text"', card).groups()  # type: ignore[union-attr]
        words = _text(card)
        assert re.search(r"The model is \d+(\.\d)?% sure", words), words
        assert words.count("% sure") == 1, words
        assert "score" not in words and f"{start}-{end}" not in words, words
    # a score just under 1 reads as it is, never rounded up to "100%"
    row = {"kind": "prediction", "score": 0.999371, "label": "PER",
           "reason": "score 0.999371; no accept threshold for this label, so every "
                     "prediction of it goes to review"}
    assert plain_reason(None, row).startswith("The model is 99.9% sure;")


def test_a_classification_verdict_says_the_model_is_better_in_words(make_ws: Any) -> None:
    from fastapi.testclient import TestClient

    from glamlab.auth import add_user
    from glamlab.web import create_app

    ws = _beaten(make_ws)
    add_user(ws, "val", PASSWORD, "viewer")
    app = create_app(ws)
    with TestClient(app) as c:
        assert login(c, "val").status_code == 303
        page = c.get("/stages/evaluate").text
    stop_background(app)
    verdict = _text(re.search(r'<p class="verdict">(.*?)</p>', page, re.S).group(1))  # type: ignore[union-attr]
    assert "The simple methods any model must beat are always the most common label" in verdict
    assert re.search(r"The best model, len@1, .*: better than every simple method, and the "
                     r"difference is unlikely to be chance \((under )?\d+(\.\d)?%; p-value "
                     r"(under )?0\.\d+\)\.", verdict), verdict
    assert "F1 (macro average) 0." in verdict and "f1 macro" not in verdict, verdict


def test_an_entities_walk_reads_plainly(ner_app: Any, tmp_path: Path) -> None:
    """What a new curator of an entities project met: the item page dumped an ALTO
    page's word boxes as thousands of numbers (now: how many there are); the Export
    page offered ingest's own fields (boxes_size, ocr_schema, image_missing) to add to
    the downloads; an ALTO file uploaded whose image is missing said no problem and
    "Next: label items" where the texts are labelled and a model is trained (now: the
    missing image named in a warning, and the project's own next step)."""
    import html

    from tests.ingest.samples import alto

    from .conftest import csrf_of

    ws, app, c = ner_app
    item = next(iter(ws.items()))
    boxes = [0, 4, 10, 10, 40, 12, 5, 9, 60, 10, 44, 12]
    with ws.store.write() as conn:
        t = ws.store.t.items
        conn.execute(t.update().where(t.c.item_id == item.item_id, t.c.is_current.is_(True))
                     .values(meta={**(item.meta or {}), "word_boxes": boxes,
                                   "boxes_size": [800, 1200], "ocr_schema": "x",
                                   "image_missing": "./0002.tif"}))
    page = html.unescape(c.get(f"/items/{item.item_id}").text)
    assert "2 word boxes from the ALTO file" in page
    assert "0, 4, 10, 10, 40, 12" not in page
    form = c.get("/stages/export").text.split('id="export-meta"', 1)[1].split("</form>")[0]
    for internal in ("word_boxes", "boxes_size", "ocr_schema", "image_missing"):
        assert f'value="{internal}"' not in form, (internal, form)
    # an ALTO page whose image is not there, uploaded
    r = c.post("/stages/items", data={"csrf": csrf_of(c)},
               files={"file": ("page2.xml", alto(4, image="./0002.tif").encode(),
                               "application/xml")}, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert app.state.jobs.wait(300)
    page = c.get("/stages/items").text
    report = page[page.index('id="items-report"'):]
    report = html.unescape(report[:report.index("</section>")])
    assert "'./0002.tif'" in report and "stored as text only" in report, report
    # a warning (the text may be all that is wanted), not a problem
    assert "1 OCR page names a page image that is not there" in report, report
    assert "came in with a problem" not in report and 'id="items-problems"' not in report
    assert "left out" not in report
    # the page's count says it so too: a warning, not a problem recorded at ingest
    assert 'id="items-problems-total"' not in page
    assert 'warnings (the items came in all the same): <b id="items-warnings-total">1</b>' in page
    assert "label items</a>" not in report, report
    assert 'id="items-next"' in report


def test_status_gives_an_entities_need_example_and_the_model_in_use(make_ws: Any,
                                                                    capsys: Any) -> None:
    """glamlab status in an entities project with no need stated gave the blank-pages
    example; its models stage counted 2 "chosen" models (a champion per model name)
    where one model is in use: it names that one."""
    from tests.actions.helpers import run_cli

    ws = ner_project.gold_and_gazetteer(make_ws)
    ws.card.need = ""
    ws.save_card()
    code, out, _ = run_cli(capsys, ws, "status")
    assert code == 0
    assert "blank pages" not in out, out
    assert "people, places and organisations" in out, out
    assert "in use gazetteer@1" in out, out
