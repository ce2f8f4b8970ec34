"""``glamlab demo trends``: how often a subject occurs in each decade of the Tate sample,
counted by a model and corrected for its errors, with how sure the numbers are.

The subjects demo's project (the same records, labels and test split) with a shorter
lifecycle: ingest, labels, one quick model (TF-IDF), a run over the collection, then the
trend by ``date_text:decade`` for two subjects, written as an HTML chart and a CSV."""

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
                ("trends", stage_trends)])


def stage_trends(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    from ..trends import trends
    from ..trends.words import label_summary, method_words

    result = trends(ws, by=BY, label=list(SUBJECTS))
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
        "and its 95% interval is the range the true share most likely lies in.")
    say(method_words(result))
    for label in SUBJECTS:
        for line in label_summary(result, label):
            say("  " + line)
    say(f"The chart (one per subject, corrected share with its band, raw share dashed) is "
        f"{html}; every number is in {csv} (opens in Excel).")
    say("The same page is in the web app (glamlab serve): Trends over time.")
    return {"by": result.by, "method": result.method, "labels": result.labels,
            "html": str(html), "csv": str(csv), "rows": len(result.rows),
            "choice": result.settings.get("choice")}
