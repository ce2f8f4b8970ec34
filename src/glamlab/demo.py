"""``glamlab demo``: a whole project on a bundled sample, narrated in plain words.

Each stage is a small function; later stages are added as the lifecycle grows. The
demo uses only the library (the same calls a notebook would make) and the bundled
samples under ``glamlab/demo_data`` (real data, with their SOURCE.md and licences).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from .workspace import Workspace

DEMOS = ("blank-pages", "illustrations", "language", "subjects")


def demo_data(name: str) -> Path:
    return Path(str(resources.files("glamlab") / "demo_data" / name))


@dataclass
class DemoProject:
    name: str
    init: dict[str, Any]
    ingest: list[str]
    ingest_options: dict[str, Any]
    #: the demo's own lifecycle (default: :data:`STAGES`)
    stages: list[tuple[str, Any]] | None = None


def project(name: str) -> DemoProject:
    if name == "blank-pages":
        from .demo_blank import project as blank_pages

        return blank_pages()
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
        )
    raise ValueError(f"unknown demo {name!r}; choose one of {', '.join(DEMOS)}")


Say = Callable[[str], None]
Stage = Callable[[Workspace, DemoProject, Say], dict[str, Any]]


def _stage_ingest(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    report = ws.ingest(p.ingest, **p.ingest_options)
    say(f"Ingested the sample collection: {report.summary()}.")
    return report.to_dict()


def _stage_status(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    status = ws.status()
    say(f"Where the project stands: {status['summary']}.")
    say(f"Next step: {status['next_step']}")
    return status


def _stage_labels(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    from .evaluation.demo import stage_labels

    return stage_labels(ws, p, say)


def _stage_baseline(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    from .evaluation.demo import stage_baseline

    return stage_baseline(ws, p, say)


def _stage_evaluate(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    from .evaluation.demo import stage_evaluate

    return stage_evaluate(ws, p, say)


def _stage_run(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    from .inference.demo import stage_run

    return stage_run(ws, say)


def _stage_act(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    from .actions.demo import stage_act

    return stage_act(ws, say)


def _stage_export(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    from .actions.demo import stage_export

    return stage_export(ws, say)


# The model each demo trains after its baselines: (predictor, model name), best first;
# the first one installed is used.
DEMO_MODELS = {
    "illustrations": [("local-stats-gbm", "pictures"), ("page-stats-gbm", "pictures"),
                      ("page-stats-logreg", "pictures")],
    "language": [("language", "language"), ("text-tfidf", "language")],
    "subjects": [("text-ensemble", "subjects"), ("text-minilm", "subjects"),
                 ("text-tfidf", "subjects")],
}


def _stage_train(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    from .errors import MissingDependency
    from .predictors.registry import available
    from .tasks.training import train

    names = available()
    for predictor, name in DEMO_MODELS.get(p.name, []):
        if predictor not in names:
            continue
        try:
            result = train(ws, predictor, name=name, reuse=True)
        except MissingDependency as exc:
            say(f"Skipping {predictor}: {exc.message} ({exc.hint}).")
            continue
        mv = result.model
        say(f"Trained {predictor} on the {result.train_items:,} training items and saved it as "
            f"{mv.spec}" + (" (the champion: the model runs will use)." if result.champion
                             else "."))
        for note in result.notes:
            say(f"  Note: {note}")
        return {"model": mv.spec, "predictor": predictor, "champion": result.champion}
    say("No trainable model is installed for this demo; continuing with the baselines.")
    return {"model": None}


def _stage_monitor(ws: Workspace, p: DemoProject, say: Say) -> dict[str, Any]:
    from .errors import GlamlabError
    from .monitoring.html import render
    from .monitoring.monitor import monitor

    if "monitor" not in ws.card.raw:
        # a sample of about a hundred items: judge windows from 15 items on
        ws.card.raw["monitor"] = {"min_window": 15}
        ws.save_card()
    try:
        report = monitor(ws, reference="test", window="run")
    except GlamlabError as exc:
        say(f"Monitoring skipped: {exc.message}.")
        return {"skipped": exc.message}
    path = ws.root / "monitor.html"
    path.write_text(render(report), encoding="utf-8")
    for line in report.summary().splitlines():
        say(line)
    say(f"The monitoring report, a plot per signal with its alert threshold, is {path}.")
    return {**report.to_dict(), "report": str(path)}


# Stages run in this order; later issues insert theirs before "status".
STAGES: list[tuple[str, Stage]] = [
    ("ingest", _stage_ingest),
    ("labels", _stage_labels),
    ("baseline", _stage_baseline),
    ("train", _stage_train),
    ("evaluate", _stage_evaluate),
    ("run", _stage_run),
    ("act", _stage_act),
    ("export", _stage_export),
    ("monitor", _stage_monitor),
    ("status", _stage_status),
]


def run_demo(name: str, directory: str | Path, *, fresh: bool = False,
             say: Say = print) -> dict[str, Any]:
    p = project(name)
    root = Path(directory)
    if fresh and root.exists():
        shutil.rmtree(root)
    say(f"glamlab demo: {name}")
    say(f"The need: {p.init['need']}")
    if (root / "glamlab.toml").exists():
        ws = Workspace.open(root)
        say(f"Using the existing workspace {ws.root}.")
    else:
        ws = Workspace.init(root, **p.init)
        say(f"Created the workspace {ws.root} (project card glamlab.toml, database glamlab.db).")
    results: dict[str, Any] = {"demo": name, "workspace": str(ws.root)}
    try:
        for stage_name, stage in p.stages or STAGES:
            say("")
            say(f"== {stage_name}")
            results[stage_name] = stage(ws, p, say)
    finally:
        ws.close()
    return results
