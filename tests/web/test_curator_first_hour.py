"""A curator's first hour in a project that IT made with ``glamlab init`` (an image
project, its labels given): stating the need keeps the card's kind of items and labels,
and a spreadsheet of labels that names pages by their image files ('f27.jpg') labels the
items a ZIP of those images brought in ('scans/f27')."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

import pytest

from glamlab.demo import demo_data

from .conftest import app_with_users, csrf_of


@pytest.fixture
def init_app(make_ws: Any) -> Any:
    """As `glamlab init proj --task illustrations --modality image --labels
    graphic,no_graphic` leaves it, with users."""
    ws = make_ws("proj", task="illustrations", modality="image",
                 labels=["graphic", "no_graphic"])
    yield from app_with_users(ws)


def test_the_project_form_starts_from_the_card_glamlab_init_wrote(init_app: Any) -> None:
    ws, _app, client = init_app
    ada = client("ada")
    page = ada.get("/stages/project").text
    form = page[page.index('id="project-form"'):]
    assert re.search(r'value="image"\s+checked', form), "the image project shows as texts"
    assert not re.search(r'value="text"\s+checked', form)
    assert "Change the project" in page and "Save the project" in form
    assert re.search(r'<textarea id="p-labels"[^>]*>graphic\nno_graphic</textarea>', form)
    assert 'id="p-name" name="name" required value="illustrations"' in form
    # stating the need alone, the rest as the form shows it, keeps an image project
    fields = dict(re.findall(r'<input id="p-\w+" name="(\w+)"[^>]*value="([^"]*)"', form))
    fields.update(modality="image", kind="single-label", labels="graphic\nno_graphic",
                  need="Find the pages with pictures")
    r = ada.post("/stages/project", data={"csrf": csrf_of(ada), **fields},
                 follow_redirects=False)
    assert r.status_code == 303, r.text
    card = type(ws).open(ws.root).card
    assert card.modality == "image" and card.labels == ["graphic", "no_graphic"]
    assert card.need == "Find the pages with pictures"


def _zip(names: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in names.items():
            z.writestr(name, data)
    return buf.getvalue()


def _upload(c: Any, name: str, data: bytes) -> Any:
    return c.post("/stages/items", data={"csrf": csrf_of(c)},
                  files={"file": (name, data)}, follow_redirects=False)


def test_a_sheet_of_labels_by_file_name_labels_the_zip_s_items(init_app: Any) -> None:
    from glamlab.tasks.labels import gold_labels

    ws, app, client = init_app
    ada = client("ada")
    jpgs = sorted((demo_data("illustrations") / "images").glob("*.jpg"))[:5]
    data = {f"scans/p{i}.jpg": p.read_bytes() for i, p in enumerate(jpgs[:4])}
    data["other/p3.jpg"] = jpgs[4].read_bytes()  # p3.jpg names two items
    assert _upload(ada, "scans.zip", _zip(data)).status_code == 303
    assert app.state.jobs.wait(300)
    assert {it.item_id for it in ws.items()} == {"scans/p0", "scans/p1", "scans/p2",
                                                 "scans/p3", "other/p3"}
    sheet = ("File name,Illustration?\np0.jpg,graphic\np1.JPG,no_graphic\n"
             "scans/p2.jpg,graphic\np3.jpg,graphic\n").encode("utf-8-sig")
    r = _upload(ada, "labels.csv", sheet)
    assert r.status_code == 303, r.text
    q = dict(re.findall(r"(upload|file)=([^&]+)", r.headers["location"]))
    done = ada.post("/stages/items/table", data={
        "csrf": csrf_of(ada), **q, "id_column": "File name",
        "label_column": "Illustration?"}, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert app.state.jobs.wait(300)
    page = ada.get(done.headers["location"]).text
    gold = {i: (g[0] if isinstance(g, (list, tuple)) else g) for i, g in gold_labels(ws).items()}
    assert gold == {
        "scans/p0": "graphic", "scans/p1": "no_graphic", "scans/p2": "graphic"}, gold
    assert 'data-count="labels-here">3<' in page
    assert "by the image's file name" in page and "p0.jpg is the item scans/p0" in page
    assert "&#39;p3.jpg&#39; is the file name of several items" in page
    assert ws.count_items() == 5  # no item made of a label row
    # the labels name the file the curator uploaded, not the server's copy of its column
    # ("labels-labels.csv", which the review queue then showed as "imported from")
    import sqlalchemy as sa

    t = ws.store.t.labels
    with ws.store.read() as conn:
        sources = {r[0] for r in conn.execute(sa.select(t.c.source))}
    assert sources == {"labels.csv"}, sources


def test_the_verdict_names_every_simple_method_on_the_leaderboard(init_app: Any) -> None:
    """A two-label image project's baselines include 'threshold' (the share of dark
    pixels against a cut-off): the evaluation page and its verdict named only 'always the
    most common label, the label mix', then called 'threshold' the best of them."""
    import csv

    ws, app, client = init_app
    ada = client("ada")
    folder = demo_data("illustrations")
    with open(folder / "labels.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    rows = [r for r in rows if r["label"] == "graphic"][:12] + \
        [r for r in rows if r["label"] == "no_graphic"][:12]
    zipped = _zip({f"pages/{r['id']}.jpg": (folder / r["path"]).read_bytes() for r in rows})
    assert _upload(ada, "pages.zip", zipped).status_code == 303
    assert app.state.jobs.wait(300)
    sheet = "id,label\n" + "".join(f"pages/{r['id']},{r['label']}\n" for r in rows)
    r = _upload(ada, "labels.csv", sheet.encode())
    q = dict(re.findall(r"(upload|file)=([^&]+)", r.headers["location"]))
    assert ada.post("/stages/items/table", data={
        "csrf": csrf_of(ada), **q, "id_column": "id", "label_column": "label"},
        follow_redirects=False).status_code == 303
    assert app.state.jobs.wait(300)
    assert ada.post("/stages/evaluate", data={"csrf": csrf_of(ada)},
                    follow_redirects=False).status_code == 303
    assert app.state.jobs.wait(600)
    page = ada.get("/stages/evaluate").text
    assert "<td>threshold</td>" in page or ">threshold<" in page, page
    verdict = page[page.index('class="verdict"'):][:1200]
    intro = page[page.index("Baselines are the simple methods"):][:600]
    for words in (verdict, intro):
        assert "(threshold)" in words and "share of dark pixels" in words, words
        assert "always the most common label (majority)" in words, words
        assert "the label mix, at random (prior)" in words, words


def test_the_verdict_says_why_the_leaderboard_s_first_model_is_not_the_one_chosen(
        init_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The model is chosen on labelled items other than the test set; the leaderboard
    lists the models by their test figure. The verdict said 'The best model,
    page-stats-logreg@1, 0.72' under a leaderboard whose first row was graphic-windows@1
    at 0.83, without a word on why."""
    from types import SimpleNamespace as NS

    from glamlab.evaluation import Comparison
    from glamlab.reports import overview, stored

    ws, _app, _client = init_app

    def cand(name: str, kind: str, value: float) -> Any:
        return NS(name=name, spec=name, kind=kind,
                  metrics={"f1_macro": {"value": value, "low": value - .1,
                                        "high": value + .1}})

    def cmp(a: str, b: str, diff: float, p: float) -> Any:
        return Comparison(a=a, b=b, metric="f1_macro", a_value=0.5, b_value=0.5 + diff,
                          difference=diff, low=diff - .1, high=diff + .1, p_value=p,
                          n_boot=1000)

    result = NS(metric="f1_macro", test_items=42, count_summary=None, count_metric=None,
                candidates=[cand("threshold", "baseline", .60), cand("majority", "baseline", .35),
                            cand("graphic-windows@1", "model", .83),
                            cand("page-stats-logreg@1", "model", .72)],
                comparisons=[cmp("threshold", "page-stats-logreg@1", .11, .26),
                             cmp("majority", "page-stats-logreg@1", .37, .001),
                             cmp("graphic-windows@1", "page-stats-logreg@1", -.11, .2)])
    monkeypatch.setattr(stored, "latest_evaluation", lambda *_a, **_k: result)
    words = overview.plain_verdict(ws) or ""
    assert "The model chosen, page-stats-logreg@1 (chosen on labelled items other than " \
           "the test set" in words, words
    assert "graphic-windows@1 scores higher on these test items" in words, words
    assert "The best model, page-stats-logreg@1" not in words, words


def test_an_imported_label_is_not_said_to_be_a_person_called_import() -> None:
    """The export's reason for a prediction an imported label settles said "settled by
    a gold label: import's label gives it" (the importer's annotator name)."""
    from glamlab.actions.export import GoldVerdict

    imported = GoldVerdict(True, "import", None, spans=False)
    assert imported.reason() == "settled by a gold label: the imported label gives it"
    assert GoldVerdict(True, "mary", None, spans=False).reason() == \
        "settled by a gold label: mary's label gives it"
    other = GoldVerdict(False, "import", None, spans=False, label="graphic")
    assert other.reason().startswith("settled by a gold label: the imported label is 'graphic'")
