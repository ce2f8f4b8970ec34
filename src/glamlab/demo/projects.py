"""The bundled demo projects: what each one needs, its sample collection, its models."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

DEMOS = ("blank-pages", "bookings", "entities", "illustrations", "language", "subjects",
         "trends")
Say = Callable[[str], None]


def demo_data(name: str) -> Path:
    return Path(str(resources.files("glamlab") / "demo_data" / name))


@dataclass
class DemoProject:
    name: str
    init: dict[str, Any]
    ingest: list[str]
    ingest_options: dict[str, Any]
    #: the demo's own lifecycle (default: :data:`glamlab.demo.STAGES`)
    stages: list[tuple[str, Any]] | None = None
    #: what its items are, in the narration's words: "pages", "records"
    noun: str = "items"


def project(name: str) -> DemoProject:
    if name == "blank-pages":
        from .blank_pages import project as blank_pages

        return blank_pages()
    if name == "entities":
        from .entities import project as entities

        return entities()
    if name == "trends":
        from .trends import project as trends_demo

        return trends_demo()
    if name == "bookings":
        from .bookings import project as bookings

        return bookings()
    if name == "illustrations":
        d = demo_data("illustrations")
        return DemoProject(
            name=name,
            init={"task": "illustrations", "modality": "image", "labels": ["graphic", "no_graphic"],
                  "need": "Find the pages with pictures (woodcuts, miniatures, ornaments) among "
                          "our digitised early printed books and manuscripts, and send only "
                          "those to the paid picture-description service (0.04 EUR a page).",
                  # the filter withholds pages the model is sure have no picture
                  "positive_label": "no_graphic", "price_per_item": 0.04},
            ingest=[str(d / "labels.csv")],
            ingest_options={"id_column": "id", "image_column": "path"},
            noun="pages",
        )
    if name == "language":
        d = demo_data("language")
        return DemoProject(
            name=name,
            init={"task": "language", "modality": "text",
                  "labels": ["ca", "cs", "cy", "da", "de", "el", "en", "es", "et", "eu", "fi", "fr",
                             "ga", "hu", "is", "it", "la", "nb", "nl", "pl", "pt", "ro", "ru", "sv"],
                  "need": "Fill the language field of our catalogue from OCR text: automatically "
                          "where sure, through a reviewer where not."},
            ingest=[str(d / "texts.csv")],
            ingest_options={"id_column": "id", "text_column": "text"},
            noun="texts",
        )
    if name == "subjects":
        d = demo_data("subjects")
        return DemoProject(
            name=name,
            init={"task": "subjects", "modality": "text", "multi_label": True,
                  "labels": ["abstraction", "architecture", "emotions, concepts and ideas",
                             "history", "interiors", "leisure and pastimes",
                             "literature and fiction", "nature", "objects", "people", "places",
                             "religion and belief", "society", "symbols & personifications",
                             "work and occupations"],
                  "need": "Suggest subject headings for catalogue records with little metadata."},
            ingest=[str(d / "records.csv")],
            ingest_options={"id_column": "id", "text_column": "title"},
            noun="records",
        )
    raise ValueError(f"unknown demo {name!r}; choose one of {', '.join(DEMOS)}")


# The model each demo trains after its baselines: (predictor, model name), best first;
# the first one installed is used.
DEMO_MODELS = {
    "illustrations": [("local-stats-gbm", "pictures"), ("page-stats-gbm", "pictures"),
                      ("page-stats-logreg", "pictures")],
    "language": [("language", "language"), ("text-tfidf", "language")],
    "subjects": [("text-ensemble", "subjects"), ("text-minilm", "subjects"),
                 ("text-tfidf", "subjects")],
    # the quick model: TF-IDF trains in seconds (the trend, not the model, is the point)
    "trends": [("text-tfidf", "subjects")],
}


# demo -> (labels file, label column, group-by field)
LABELS = {
    "illustrations": ("illustrations/labels.csv", "label", "document"),
    "language": ("language/texts.csv", "label", None),
    "subjects": ("subjects/records.csv", "subjects", None),
    "trends": ("subjects/records.csv", "subjects", None),
}

# Items that "arrive later": not labelled, so production (and the monitor) meets them new.
UNLABELLED = {"illustrations": ("collection", "manuscripts")}


# "Could this be a regular expression?": a few function words per language.
LANGUAGE_RULES = {
    "en": r"\b(the|and|of|with|which)\b", "fr": r"\b(le|les|des|est|une|avec)\b",
    "de": r"\b(und|der|die|das|nicht|ist)\b", "es": r"\b(el|los|las|del|que|por)\b",
    "it": r"\b(il|della|che|gli|sono|per)\b", "nl": r"\b(het|een|van|niet|zijn)\b",
    "pt": r"\b(não|uma|dos|das|com|em)\b", "la": r"\b(est|et|in|ad|quod|sunt)\b",
    "sv": r"\b(och|att|det|som|inte|är)\b", "da": r"\b(og|det|af|ikke|er|til)\b",
    "pl": r"\b(się|nie|jest|że|na)\b", "fi": r"\b(ja|on|että|ei|ovat)\b",
}
