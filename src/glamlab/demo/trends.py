"""``glamlab demo trends``: how often a subject occurs in each decade of the Tate sample,
and how often newspapers mention places and people in each decade, counted by a model and
corrected for its errors, with how sure the numbers are.

The subjects demo's project (the same records, labels and test split) with a shorter
lifecycle: ingest, labels, one quick model (TF-IDF), a run over the collection, then the
trend by ``date_text:decade`` for two subjects, written as an HTML chart and a CSV. Then
the newspapers: the entities demo's NewsEye sample (French newspaper OCR, CC BY 4.0; most
documents dated, a few not) in a project of its own (``newspapers/`` in the workspace folder), a CRF tagger
trained on its training documents and run over every sentence, and the mentions of places
and people per 1,000 words by decade of the document's date (the texts of the documents the
dataset gives no date are counted in the group "(no value)", and the demo says so)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import preparation_stages as prep
from . import production_stages as prod
from .projects import DEMO_MODELS, DemoProject, Say
from .projects import project as named_project

if TYPE_CHECKING:
    from ..workspace import Workspace

BY = "date_text:decade"
SUBJECTS = ("people", "nature")
MODEL = DEMO_MODELS["trends"][0]


def project() -> DemoProject:
    base = named_project("subjects")
    return DemoProject(
        name="trends",
        init={**base.init, "need": "See how often subjects such as people or nature occur "
                                   "in each decade of the collection, with honest error "
                                   "bars, without reading every record."},
        ingest=base.ingest, ingest_options=base.ingest_options,
        stages=[("ingest", prep.stage_ingest), ("labels", prep.stage_labels),
                ("train", prep.stage_train), ("run", lambda ws, p, say: prod.stage_run(ws, say)),
                ("trends", stage_trends), ("newspapers", stage_newspapers)])


def stage_trends(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    from ..trends import trends
    from ..trends.words import label_summary, method_words, no_value_words

    # every record of the sample is labelled: counted as labelled, each share would be
    # exact; the demo shows what the correction does for records nobody labelled
    result = trends(ws, by=BY, label=list(SUBJECTS), known_labels=False)
    folder = ws.root / "trends"
    folder.mkdir(exist_ok=True)
    html = folder / "subjects-by-decade.html"
    csv = folder / "subjects-by-decade.csv"
    result.to_html(html)
    result.to_csv(csv)
    say(f"Counted the subjects {' and '.join(repr(s) for s in SUBJECTS)} in each decade of "
        "date_text, from the model's predictions over the whole collection.")
    say("The raw count is the share of records the model tags with the subject; the "
        "corrected share takes out the errors the model makes on the labelled test records, "
        "and its 95% interval is the range the true share most likely lies in. Every record "
        "of this sample is labelled, so the labels could simply be counted; here they are "
        "not (--no-known-labels), to show what the correction does for records nobody "
        "labelled. On a real collection glamlab counts the labelled records as labelled.")
    say(method_words(result))
    undated = no_value_words(result)
    if undated:  # once, not once per subject
        say(undated)
    for label in SUBJECTS:
        for line in label_summary(result, label):
            say("  " + line)
    say(f"The chart (one per subject, corrected share with its band, raw share dashed) is "
        f"{html}; every number is in {csv} (opens in Excel).")
    # a curator who opens the page needs an account first, and would otherwise find other
    # figures there than here: the page counts the labelled records as labelled
    say("The same page is in the web app: add yourself once (glamlab users add NAME --role "
        "viewer; it asks for a password), start it (glamlab serve), sign in and open Trends "
        "over time. The page counts the records people labelled as labelled, so on this "
        "sample, labelled throughout, its shares are counted exactly, not corrected.")
    return {"by": result.by, "method": result.method, "labels": result.labels,
            "html": str(html), "csv": str(csv), "rows": len(result.rows),
            "choice": result.settings.get("choice")}


def stage_newspapers(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    """Entity mentions per 1,000 words by decade, in a project of their own."""
    from ..inference import run as run_model
    from ..registry.training import train
    from ..tasks import split_labels, split_of
    from ..tasks.spans import import_spans
    from ..trends import trends
    from ..trends.trend import NO_VALUE
    from ..trends.words import label_summary, method_words
    from ..workspace import Workspace as Ws
    from .entities import SAMPLE
    from .entities import project as entities_project
    from .projects import demo_data

    folder = ws.root / "newspapers"
    if (folder / "glamlab.toml").exists():
        news = Ws.open(folder)
    else:
        news = Ws.init(folder, **entities_project().init)
    try:
        if not split_of(news):
            import_spans(news, demo_data("entities") / SAMPLE, format="hipe")
            split_labels(news, test_size=0.3, seed=0, group_by="document_id")
        model = train(news, "crf-ner", name="crf-ner", reuse=True).model.spec
        run_model(news, model, workers=0)
        docs = documents(news)
        dated = sum(1 for d in docs.values() if d["date"])
        undated = [d for d in docs.values() if not d["date"]]
        say(f"Newspapers: {len(docs)} French newspaper documents of the NewsEye set, {dated} "
            f"of them dated (OCR as printed, CC BY 4.0), in their own project ({folder}). A "
            f"CRF tagger ({model}) trained on the training documents tagged the places and "
            "people in every sentence.")
        result = trends(news, by="date:decade", label=["LOC", "PER"])
        html, csv = folder / "entities-by-decade.html", folder / "entities-by-decade.csv"
        result.to_html(html)
        result.to_csv(csv)
        say(method_words(result))
        for label in ("LOC", "PER"):  # the undated texts: said once below, with why
            for line in label_summary(result, label):
                say("  " + line)
        if undated:
            texts = sum(d["texts"] for d in undated)
            say(f"The group '{NO_VALUE}' is the {texts:,} texts of the {len(undated)} "
                "documents the NewsEye set gives no date (its file says NA): their mentions "
                "are counted, but they belong to no decade, so the chart and the CSV show "
                "them as a group of their own, after the decades.")
        say(f"Only {dated} dated documents make small groups: most decades are flagged and "
            "their intervals are wide, which is the honest answer. A real run over a "
            "newspaper archive gives each decade thousands of pages.")
        say(f"The chart is {html}; every number is in {csv}.")
        return {"model": model, "html": str(html), "csv": str(csv),
                "documents": len(docs), "dated": dated,
                "rows": result.to_dict()["rows"], "rates": result.rates}
    finally:
        news.close()


def documents(ws: Workspace) -> dict[str, dict[str, Any]]:
    """The newspaper documents of the workspace (its items are their sentences), each with
    its date (None where the dataset gives none) and how many texts it has."""
    out: dict[str, dict[str, Any]] = {}
    for item in ws.items():
        doc = out.setdefault(str(item.meta.get("document_id") or item.item_id),
                             {"date": None, "texts": 0})
        doc["texts"] += 1
        doc["date"] = doc["date"] or item.meta.get("date") or None
    return out
