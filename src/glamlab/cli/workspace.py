"""glamlab init | status | migrate"""

from __future__ import annotations

from typing import Any

import click
from click.core import ParameterSource

from ..config import check_label_names, parse_label_list
from ..errors import ConfigError
from ..progress import label_list
from ._common import emit, json_option, open_ws


@click.command()
@click.argument("directory", default=None, required=False, type=click.Path(file_okay=False))
@click.option("--task", required=True, help="A short name for what is predicted, e.g. blank-pages.")
@click.option("--modality", type=click.Choice(["image", "text", "tabular"]), required=True)
@click.option("--labels", multiple=True,
              help="Labels separated by commas (blank,content). A label that holds a comma: "
                   "give --labels once for each label (--labels people --labels 'emotions, "
                   "concepts and ideas'), or quote it as in a CSV file ('\"emotions, concepts "
                   "and ideas\",people'), or separate the labels by '|' "
                   "('people|emotions, concepts and ideas').")
@click.option("--labels-file", default=None, type=click.Path(exists=True, dir_okay=False),
              help="A text file with the labels, one a line, a label keeping its commas "
                   "(instead of --labels). A file of a single line is read as --labels "
                   "reads it, as the web app's project form reads one line: blank,content "
                   "is two labels.")
@click.option("--multi-label", is_flag=True, help="An item may carry several labels.")
@click.option("--kind", default=None, help="The task kind: single-label (the default), "
              "multi-label (or --multi-label), entities, or a kind an installed plugin adds.")
@click.option("--metric", default=None, help="Headline metric (default: the kind's, f1_macro "
              "for single-label, f1_samples for multi-label).")
@click.option("--need", default="", help="The need in words, e.g. 'stop paying OCR for blank pages'.")
@click.option("--positive-label", default=None, help="The label a filter acts on (e.g. blank).")
@click.option("--price-per-item", type=float, default=0.0,
              help="What an external service charges per item (e.g. paid OCR per page).")
@click.option("--task-type", type=click.Choice(["yes-no", "count"]), default=None,
              help="Tabular projects: a yes/no outcome per row (default), or the number of "
                   "'yes' per slot (a period and the group columns), judged by --metric mae "
                   "(default) or rmse.")
@click.option("--slot", default=None,
              help="A count task's slot: h (hour), D (day, the default), W (week), M (month).")
@click.option("--db", "card_db", default=None, metavar="URL",
              help="Database URL (postgresql://...) to create the workspace in and write into "
                   "glamlab.toml ([database] url), so later commands need no --db. Keep a "
                   "password out of the card: set GLAMLAB_DB instead (never written there).")
@json_option
@click.pass_context
def init(ctx: click.Context, directory: str | None, task: str, modality: str,
         labels: tuple[str, ...], labels_file: str | None,
         multi_label: bool, kind: str | None, metric: str | None, need: str,
         positive_label: str | None, price_per_item: float, task_type: str | None,
         slot: str | None, card_db: str | None, as_json: bool) -> None:
    """Create a workspace in DIRECTORY (default: the --workspace folder).

    Writes glamlab.toml (the project card) and creates the database: glamlab.db, or
    the PostgreSQL database given by `glamlab init --db URL` or `glamlab --db URL init`
    (written into the card), or by GLAMLAB_DB (used, never written into the card).
    """
    from ..tasks.count import COUNT_METRICS, CountTask, set_count_task
    from ..tasks.kinds import available, prepare_card
    from ..workspace import Workspace

    root = ctx.find_root()
    obj = root.obj
    # the URL the card keeps: a --db given on the command line. GLAMLAB_DB is used, as
    # by every command, and never written: the environment is where the docs tell a
    # team to keep the database password, out of the card
    db = card_db or (obj.get("db") if root.get_parameter_source("db")
                     == ParameterSource.COMMANDLINE else None)
    names = labels_given(labels, labels_file)
    if kind is None and task == "entities" and "entities" in available():
        kind = "entities"  # `--task entities` names the kind too (issue 21)
    if kind is not None and kind not in available():
        raise click.BadParameter(f"no task kind called {kind!r}; give one of: "
                                 f"{', '.join(sorted(available()))}", param_hint="--kind")
    count = None
    if task_type == "count" or slot:
        if modality != "tabular":
            raise click.UsageError("--task-type count and --slot are for tabular projects "
                                   "(--modality tabular)")
        if task_type == "yes-no":
            raise click.UsageError("--slot is for --task-type count")
        if len([n for n in names if n.strip()]) != 2 and not positive_label:
            raise click.UsageError("a count task counts the rows whose outcome is 'yes': give "
                                   "two labels (--labels 0,1) or name the counted one with "
                                   "--positive-label")
        if metric and metric not in COUNT_METRICS:
            raise click.UsageError(f"a count task is judged by --metric mae or --metric rmse, "
                                   f"not {metric!r}")
        # --metric names the count's metric; the rows keep their kind's (f1_macro)
        count = CountTask(slot=slot or "D", metric=metric or "mae")
        if metric in COUNT_METRICS:
            metric = None
    from ..said import said_on_the_command_line

    try:
        with said_on_the_command_line():  # a refused card names --labels, --metric, ...
            ws = Workspace.init(directory or obj["workspace"], task=task,
                                modality=modality,
                                labels=names,
                                multi_label=multi_label or kind == "multi-label", kind=kind,
                                metric=metric, need=need, positive_label=positive_label,
                                price_per_item=price_per_item, db=db, prepare=prepare_card)
    except ConfigError as exc:
        if labels_file and "at least two labels" in exc.message:
            # the fix where the labels came from, not --labels (which was not given)
            raise ConfigError(
                f"{exc.message}; {labels_file} (--labels-file) gives "
                f"{len(names)}: {label_list(names)}",
                hint=f"write at least two labels in {labels_file}, one a line (a label "
                     "keeps its commas there)") from None
        raise
    if count is not None:
        set_count_task(ws, slot=count.slot, metric=count.metric)
    data = {"workspace": str(ws.root), "task": task, "kind": ws.card.kind,
            "labels": ws.card.labels,
            "count": count.to_card() if count else None,
            "database": "postgresql" if not ws.store.is_sqlite else "sqlite",
            "notes": ws.init_notes}
    emit(data, as_json, lambda d: (
        f"Created workspace {d['workspace']} for {task!r} with {len(d['labels'])} "
        f"label{'s' if len(d['labels']) != 1 else ''}: {label_list(d['labels'])}"
        + (f"; it predicts {count.describe()}" if count else "") + ".\n"
        + "".join(f"Note: {n}.\n" for n in d["notes"])
        + ("Next: glamlab labels import FILE (texts with their entities marked: HIPE/CoNLL "
           "TSV, JSONL or an INCEpTION export), then glamlab ingest FOLDER_OR_CSV for the "
           "texts to find entities in" if d["kind"] == "entities" else
           "Next: glamlab ingest TABLE.csv --time-column COL --label-column COL"
           if modality == "tabular" else
           "Next: glamlab ingest FOLDER_OR_MANIFEST_OR_CSV")))


#: the fix for labels that read two ways, in the command line's words
LABELS_FIX = ("give --labels once for each label (--labels people --labels 'emotions, "
              "concepts and ideas'), or write them one a line in a file (--labels-file FILE)")


def labels_arg(labels: list[str]) -> str:
    """The labels as one ``--labels`` value a shell takes back whole: ``a,b``; between
    '|' and quoted where a label holds a comma (``'people|emotions, concepts and ideas'``)."""
    import shlex

    return (shlex.quote("|".join(labels)) if any("," in x for x in labels)
            else shlex.quote(",".join(labels)))


def labels_given(labels: tuple[str, ...], labels_file: str | None) -> list[str]:
    """The labels ``glamlab init`` was given: one ``--labels`` read as a list
    (:func:`glamlab.config.parse_label_list`: commas, ``|``, or a CSV row with quotes); a
    repeated ``--labels`` one label each, commas and all; ``--labels-file`` one a line."""
    if labels and labels_file:
        raise click.UsageError("give the labels with --labels or with --labels-file, not both")
    if labels_file:
        try:
            with open(labels_file, encoding="utf-8-sig") as f:
                lines = [line.strip() for line in f]
        except UnicodeDecodeError:
            raise click.UsageError(f"{labels_file} is not UTF-8 text: save it as UTF-8 (in "
                                   "Notepad: Save as, Encoding UTF-8), then run init "
                                   "again") from None
        names = [x for x in lines if x]
        if not names:
            raise click.UsageError(f"{labels_file} holds no labels: write them one a line")
        if len(names) == 1:
            # a single line, read as --labels and the web app's form read one line
            # (blank,content: two labels), so a file and the form never disagree
            fix = (f"write the labels one a line in {labels_file} (--labels-file): a label "
                   "then keeps its commas")
            names = parse_label_list(names[0], hint=fix)
            check_label_names(names, rename=fix,
                              unique=f"write each label once in {labels_file} (--labels-file)")
            return names
        bar = next((n for n, x in enumerate(lines, 1) if "|" in x), None)
        if bar is not None:
            raise click.UsageError(f"{labels_file} line {bar} ({lines[bar - 1]!r}) holds "
                                   f"'|', which no label may hold: rename it in {labels_file} "
                                   "(--labels-file): one label a line, without '|' (e.g. "
                                   "'a / b' for 'a|b')")
        # the fix in the words of where they came from, not the card's (not written yet)
        check_label_names(names, rename=f"rename it in {labels_file} (--labels-file): one "
                          "label a line, without '|' (e.g. 'a / b' for 'a|b')",
                          unique=f"write each label once in {labels_file} (--labels-file)")
        return names
    if not labels:
        raise click.UsageError("give the labels: --labels blank,content (or --labels-file "
                               "FILE, one a line)")
    once = "give each label once in --labels"
    if len(labels) == 1:
        names = parse_label_list(labels[0], hint=LABELS_FIX)
        check_label_names(names, rename=LABELS_FIX, unique=once)
        return names
    names = [x.strip() for x in labels if x.strip()]
    for name in names:
        if "|" in name or name.startswith('"') or name.endswith('"'):
            raise click.UsageError(
                f"--labels given more than once takes each whole as one label, and {name!r} "
                + ("holds '|', which no label may hold" if "|" in name else
                   "is in double quotes") + ": give one label, without quotes, in each "
                "--labels (--labels people --labels 'emotions, concepts and ideas')")
    check_label_names(names, rename=LABELS_FIX, unique=once)
    return names


@click.command()
@json_option
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Say in plain words where the workspace stands and what to do next."""
    from ..tasks.splits import suggested_keep_together

    ws = open_ws(ctx)
    s = ws.status(keep_together=lambda: suggested_keep_together(ws))
    if ws.card.kind == "entities":  # reviewed texts train only once fully reviewed
        from ..tasks.spans.complete import changed_gold_texts, review_gold_counts

        s["reviewed_texts"] = review_gold_counts(ws)
        s["changed_gold_texts"] = changed_gold_texts(ws)
    elif ws.card.kind == "multi-label":  # so do records reviewed one suggestion at a time
        from ..tasks.partial_labels import review_label_counts

        s["reviewed_items"] = review_label_counts(ws)
    emit(s, as_json, _status_text)


#: the stage figures of ``glamlab status`` as a curator reads them (the JSON keeps its
#: keys: ``champions`` is the model names with a chosen version, as the web overview says
#: it; ``in_use`` the one model in use; ``machine_metadata`` the values written)
STAGE_WORDS = {"champions": "with a version chosen", "in_use": "in use",
               "machine_metadata": "values written by the model",
               "errors": "problems", "warnings": "warnings (the items came in)",
               "review_open": "waiting for a person", "settled_by_gold":
               "settled by a person's label", "acted": "times acted", "checks": "checks run"}


def _status_text(s: dict[str, Any]) -> str:
    metric = (f"judged by {s.get('measure') or s['metric']}, the count per slot"
              if s.get("count_task") else f"metric {s['metric']}")
    lines = [f"Project {s['task']!r} ({s['modality']}, labels: {label_list(s['labels'])}; "
             f"{metric}; {s['database']})", s["summary"] + "."]
    if s.get("count_task"):
        lines.insert(1, f"It predicts {s['count_task']}.")
    for stage in s["stages"]:
        mark = "x" if stage["done"] else " "
        detail = ", ".join(f"{STAGE_WORDS.get(k, k)} {v}" for k, v in stage.items()
                           if k not in ("stage", "done"))
        lines.append(f"  [{mark}] {stage['stage']:<11} {detail}")
    reviewed = s.get("reviewed_texts")
    if reviewed and (reviewed["fully_reviewed"] or reviewed["partly_reviewed"]):
        from ..tasks.spans.complete import waiting_sentence

        lines.append("Reviewed texts: " + waiting_sentence(reviewed["fully_reviewed"],
                                                           reviewed["partly_reviewed"]) + ".")
    reviewed = s.get("reviewed_items")
    if reviewed and reviewed["partly_reviewed"]:
        from ..tasks.partial_labels import waiting_sentence as items_waiting

        lines.append("Reviewed items: " + items_waiting(reviewed["fully_reviewed"],
                                                        reviewed["partly_reviewed"]) + ".")
    if s.get("changed_gold_texts"):
        from ..tasks.splits import CHANGED_GOLD_FIX, changed_gold_sentence

        lines.append(f"{changed_gold_sentence(s['changed_gold_texts'])}. To use them: "
                     f"{CHANGED_GOLD_FIX}.")
    if s.get("stale_predictions"):
        from ..workspace.status import stale_predictions_sentence

        lines.append(stale_predictions_sentence(s["stale_predictions"]))
    lines.append(f"Next: {s['next_step']}")
    return "\n".join(lines)


@click.command()
@json_option
@click.pass_context
def migrate(ctx: click.Context, as_json: bool) -> None:
    """Apply pending schema migrations to the workspace database."""
    from ..workspace import Workspace

    obj = ctx.find_root().obj
    ws = Workspace.open(obj["workspace"], db=obj.get("db"), migrate=False)
    before = ws.store.schema_version()
    applied = ws.store.migrate()
    data = {"from": before, "to": ws.store.schema_version(), "applied": applied}
    emit(data, as_json, lambda d: (f"Applied {', '.join(d['applied'])}; schema now version {d['to']}."
                                   if d["applied"] else f"Schema is up to date (version {d['to']})."))
