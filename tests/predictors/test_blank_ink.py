"""blank-ink: a monotone model over ink evidence that favours content, explains itself,
and never turns an unreadable page into a silent "blank".

Real pages: the bundled blank-pages sample (content pages are real scans; blank pages
are built from real scan material, see its SOURCE.md). The split below keeps documents
apart, so the test pages come from documents the model never saw."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from glamlab.errors import ItemError, PredictorError
from glamlab.items import Item
from glamlab.predictors.catalogue import create
from glamlab.predictors.image.blank import BlankInk, MonotoneLogit

SAMPLE = Path(__file__).resolve().parents[2] / "src" / "glamlab" / "demo_data" / "blank_pages"


def sample() -> tuple[list[Item], list[str], list[str], list[str]]:
    with open(SAMPLE / "labels.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    items = [Item(r["id"], "image", uri=str(SAMPLE / r["path"]), content_hash=r["id"])
             for r in rows]
    return (items, [r["label"] for r in rows], [r["document"] for r in rows],
            [r["kind"] for r in rows])


@pytest.fixture(scope="module")
def split() -> dict[str, list]:
    items, labels, docs, kinds = sample()
    test_docs = sorted(set(docs))[::3]  # a third of the documents, whole
    out: dict[str, list] = {"tr": [], "ytr": [], "te": [], "yte": [], "kte": []}
    for it, y, d, k in zip(items, labels, docs, kinds, strict=True):
        if d in test_docs:
            out["te"].append(it)
            out["yte"].append(y)
            out["kte"].append(k)
        else:
            out["tr"].append(it)
            out["ytr"].append(y)
    return out


@pytest.fixture(scope="module")
def model(split: dict[str, list]) -> BlankInk:
    p = create("blank-ink")
    assert isinstance(p, BlankInk)
    return p.fit(split["tr"], split["ytr"])  # type: ignore[return-value]


def test_monotone_logit_keeps_the_sign_it_is_given() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = (X[:, 0] - X[:, 1] + 0.3 * rng.normal(size=200) > 0).astype(int)
    free = MonotoneLogit().fit(X, y)
    assert free.coef_[0] > 0 > free.coef_[1]
    bounded = MonotoneLogit(sign=[-1, -1, -1]).fit(X, y)  # feature 0 may not raise the odds
    assert (bounded.coef_ <= 1e-12).all() and bounded.coef_[1] < 0
    assert abs(bounded.coef_[0]) < 1e-9


def test_held_out_documents_no_content_page_is_withheld(model: BlankInk,
                                                        split: dict[str, list]) -> None:
    decided = model.predict(split["te"])
    y = np.array(split["yte"])
    pred = np.array(decided)
    assert not ((pred == "blank") & (y == "content")).any(), [
        (it.item_id, k) for it, k, p, t in zip(split["te"], split["kte"], pred, y, strict=True)
        if p == "blank" and t == "content"]
    assert ((pred == "blank") & (y == "blank")).sum() >= 0.7 * (y == "blank").sum()


def test_threshold_is_chosen_on_training_pages_with_a_margin(model: BlankInk) -> None:
    t = model.training_
    assert 0.5 <= model.threshold_ <= model.max_threshold
    # the margin sits above the most blank-looking content page (2 logits by default)
    worst = t["most_blank_looking_content"]
    if model.threshold_ < model.max_threshold:
        assert np.log(model.threshold_ / (1 - model.threshold_)) >= (
            np.log(worst / (1 - worst)) + model.margin - 1e-3) or model.threshold_ == 0.5
    assert t["content_above_threshold"] == 0
    # decisions: withhold above the threshold, review between 0.5 and it, send below
    p = np.array([0.2, 0.6, 0.999])
    actions = ["send" if v < 0.5 else "review" if v < model.threshold_ else "withhold"
               for v in p]
    assert actions[0] == "send" and actions[2] == "withhold"


def test_decide_policy_and_probabilities_agree(model: BlankInk, split: dict[str, list],
                                               make_ws) -> None:
    from glamlab.actions.policy import parse_policy

    items = split["te"][:10]
    proba = model.predict_proba(items)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    decisions = model.decide(items)
    for d, row in zip(decisions, proba, strict=True):
        p = row[model.classes_.index("blank")]
        assert d["p_blank"] == pytest.approx(p)
        assert d["action"] == ("withhold" if p >= model.threshold_ else
                               "review" if p >= 0.5 else "send")
    ws = make_ws("policy", labels=["blank", "content"])
    policy = parse_policy({"labels": model.policy()}, ws.card)
    assert policy.decide("blank", model.threshold_)[0] == "accept"
    assert policy.decide("blank", 0.5 + (model.threshold_ - 0.5) / 2)[0] == "review"


def test_explanation_names_the_ink_and_where(model: BlankInk) -> None:
    items, labels, _, kinds = sample()
    mark = items[kinds.index("number_or_mark_only")]
    exp = model.explain(mark)
    assert exp["marks"] and exp["marks"][0]["box"][1] < 0.2  # the shelfmark at the top
    assert "Ink found" in exp["text"] and "top" in exp["text"]
    assert exp["action"] in ("send", "review") and exp["decision"] == "content"
    for m in exp["marks"] + exp["edges"]:
        x, y, w, h = m["box"]
        assert 0 <= x <= 1 and 0 <= y <= 1 and 0 < w <= 1 and 0 < h <= 1
    blank = items[[i for i, (lab, k) in enumerate(zip(labels, kinds, strict=True))
                   if lab == "blank" and k == "paper"][0]]
    exp_b = model.explain(blank)
    assert exp_b["decision"] == "blank" and exp_b["text"].startswith("Blank")
    assert exp_b["evidence"]["marks"] <= 5  # at most a few specks of dust


def test_unreadable_page_fails_with_its_reason_never_a_silent_blank(
        model: BlankInk, split: dict[str, list], tmp_path: Path) -> None:
    bad = tmp_path / "truncated.jpg"
    bad.write_bytes(Path(split["te"][0].uri or "").read_bytes()[:500])
    broken = Item("truncated-page", "image", uri=str(bad), content_hash="x")
    for call in (model.predict_proba, model.predict, model.decide):
        with pytest.raises(ItemError) as err:
            call([split["te"][1], broken])
        assert err.value.item == "truncated-page" and "cannot decode" in str(err.value)
    with pytest.raises(ItemError):
        model.explain(broken)
    # in training, an unreadable page is left out and named; the rest train
    p = create("blank-ink").fit(split["tr"] + [broken], split["ytr"] + ["blank"])
    assert p.skipped_ == [{"item": "truncated-page", "reason": p.skipped_[0]["reason"]}]
    assert "truncated-page" in p.fit_notes_[0]


def test_wrong_labels_are_refused_clearly(split: dict[str, list]) -> None:
    with pytest.raises(PredictorError) as err:
        create("blank-ink").fit(split["tr"][:6], ["graphic", "no_graphic"] * 3)
    assert "positive_label" in (err.value.hint or "")
    with pytest.raises(PredictorError):
        create("blank-ink", min_threshold=0.3).fit(split["tr"], split["ytr"])


def test_a_run_records_an_unreadable_page_as_a_failure_with_its_reason(
        model: BlankInk, split: dict[str, list], make_ws, tmp_path: Path) -> None:
    """Through glamlab run: a page whose file went bad after ingest gets no prediction
    (so it is neither withheld nor silently blank) and a failure row naming the cause;
    the other pages are predicted."""
    import shutil

    import sqlalchemy as sa

    from glamlab.inference import run, run_failures
    from glamlab.registry import save_model

    folder = tmp_path / "pages"
    folder.mkdir()
    for it in split["te"][:6]:
        shutil.copy(it.uri or "", folder / f"{it.item_id}.jpg")
    ws = make_ws("run", labels=["blank", "content"], positive_label="blank",
                 price_per_item=0.03)
    ws.ingest([str(folder)])
    ids = sorted(it.item_id for it in ws.items())
    bad = next(it for it in ws.items() if it.item_id == ids[2])
    Path(bad.uri or "").write_bytes(Path(bad.uri or "").read_bytes()[:700])  # damaged later
    save_model(ws, model, name="blank", aliases=["champion"])
    report = run(ws, "blank@champion", workers=1)
    assert (report.done, report.failed) == (5, 1)
    failures = run_failures(ws, report.run_id)
    assert [f["item_id"] for f in failures] == [bad.item_id]
    assert "cannot decode" in failures[0]["reason"]
    t = ws.store.t.predictions
    with ws.store.read() as conn:
        predicted = {r.item_id for r in conn.execute(sa.select(t.c.item_id))}
    assert bad.item_id not in predicted and len(predicted) == 5


def test_a_blank_page_with_only_a_page_number_is_never_withheld(model: BlankInk,
                                                                 tmp_path: Path) -> None:
    """The guard: a row of glyph-shaped marks (here a printed page number on a real
    blank page of the sample) caps the score below the auto-blank threshold; without
    the guard the same page would be withheld."""
    from PIL import Image, ImageDraw, ImageFont

    items, labels, _, kinds = sample()
    blanks = [it for it, lab, k in zip(items, labels, kinds, strict=True)
              if lab == "blank" and k == "paper"][:4]
    numbered = []
    for i, it in enumerate(blanks):
        im = Image.open(it.uri or "").convert("RGB")
        ImageDraw.Draw(im).text((im.width // 2, int(im.height * 0.93)), str(120 + i),
                                fill=(50, 40, 30), font=ImageFont.load_default(size=18))
        path = tmp_path / f"n{i}.jpg"
        im.save(path, quality=90)
        numbered.append(Item(f"numbered-{i}", "image", uri=str(path), content_hash=f"n{i}"))
    assert model.predict(blanks).count("blank") >= 3  # the pages themselves are blank
    assert "blank" not in model.predict(numbered)
    unguarded = create("blank-ink", guard=False)
    unguarded.__dict__.update({k: v for k, v in vars(model).items() if k.endswith("_")})
    assert unguarded.predict(numbered).count("blank") >= 1  # what the guard prevents
    exp = model.explain(numbered[0])
    assert exp["glyph_rows"] and "page number" in exp["text"]


def test_the_explanation_never_shows_a_page_under_the_margin_at_the_margin():
    from glamlab.predictors.image.blank import _sentence

    regions = {"edges": False, "faint_regions": 0, "marks_total": 0, "level": 0.1,
               "glyph_rows": []}
    text = _sentence("review", 0.99496, 0.99504, regions)
    assert "probability 0.99496) but not by the margin of 0.99504" in text
    text = _sentence("withhold", 0.9981, 0.9952, regions)
    assert text.startswith("Blank (probability 0.998, at least 0.995 needed)")
