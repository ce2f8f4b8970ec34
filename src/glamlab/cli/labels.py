"""glamlab labels: import, split, sample, agreement, show."""

from __future__ import annotations

from typing import Any

import click

from ..said import said_on_the_command_line
from ._common import emit, json_option, open_ws, table


@click.group()
def labels() -> None:
    """Gold labels: import them, split train/test, choose what to label next, agreement.

    \b
    Examples:
      glamlab labels import labels.csv
      glamlab labels import more.csv --split train --annotator maria
      glamlab labels split --test-size 0.3 --seed 0 --group-by document
      glamlab labels sample --n 50 --strategy uncertainty --model text-tfidf
      glamlab labels agreement
      glamlab labels show
    """


@labels.command("import")
@click.argument("file", type=click.Path())
@click.option("--split", type=click.Choice(["train", "calibration", "test"]), default=None,
              help="Put the imported items in this split (calibration: what thresholds and "
                   "model choice are tuned on; default for that: out-of-fold on train).")
@click.option("--id-column", default="id", show_default=True, help="Column with the item id.")
@click.option("--label-column", default="label", show_default=True,
              help="Column with the label(s).")
@click.option("--separator", default=None,
              help="Separates several labels in one cell (multi-label; default '|').")
@click.option("--annotator", default="import", show_default=True,
              help="Who gave these labels (for agreement statistics).")
@click.option("--replace", is_flag=True,
              help="Let the file replace labels this annotator gave before.")
@click.option("--format", "fmt", type=click.Choice(["hipe", "jsonl", "webanno"]), default=None,
              help="Entity spans (an entities project): HIPE/CoNLL IOB TSV, JSON Lines or "
                   "WebAnno TSV 3.3 from INCEpTION (default: from the file).")
@click.option("--segment", type=click.Choice(["sentence", "document"]), default="sentence",
              show_default=True, help="HIPE files: one item per sentence or per document.")
@click.option("--type-map", "type_map", multiple=True, metavar="TYPE=LABEL",
              help="Entity spans: give the file's type TYPE (as an unknown-label problem "
                   "names it: PROD) the project's label LABEL; TYPE= (nothing after =) "
                   "leaves its spans out. Repeatable.")
@click.option("--drop-unknown-types", is_flag=True,
              help="Entity spans: leave out the spans whose type is no label of the project "
                   "(HIPE's PROD and TIME in a PER, LOC, ORG project), counted in the "
                   "report, instead of refusing the file.")
@json_option
@click.pass_context
def import_(ctx: click.Context, file: str, split: str | None, id_column: str, label_column: str,
            separator: str | None, annotator: str, replace: bool, fmt: str | None,
            segment: str, type_map: tuple[str, ...], drop_unknown_types: bool,
            as_json: bool) -> None:
    """Import gold labels from a CSV file, or from an Annif corpus (a documents.tsv, or a
    folder of .txt files with .key/.tsv subject files; subject URIs map to labels through
    [labels] uris in glamlab.toml). All or nothing: any bad row (unknown item, unknown
    label, conflicting duplicate, more cells than the header) is reported with its line
    number and nothing is imported. A sheet's other columns (a book, a date) are kept as
    the items' information where an item has no value for them yet (not in a tabular
    project, whose columns are features): `labels split --group-by` can use them.
    Multi-label: several labels in one cell go between
    '|', or one label per row (long format; an item's rows are merged, and counted). An entities project imports gold spans (HIPE, JSONL, WebAnno; items are
    created from the texts the file carries)."""
    from ..tasks import import_labels

    ws = open_ws(ctx)
    if not fmt and ws.card.kind != "entities":
        fmt = _span_file(file)  # a HIPE or WebAnno file: read as a table, "no column 'id'"
    if fmt and ws.card.kind != "entities":
        # the spans used to be stored in a project that reads none (`glamlab init --task
        # ner` makes a single-label one): "408 items with gold spans", then `labels split`
        # said "no labelled items to split"
        from ..errors import LabelError
        from .workspace import labels_arg

        what = {"hipe": "HIPE TSV", "webanno": "WebAnno TSV", "jsonl": "JSON Lines"}.get(
            fmt, fmt)
        raise LabelError(
            f"{file} is read as gold entity spans ({what}), and this project is a "
            f"{ws.card.kind} project (kind = \"{ws.card.kind}\" in glamlab.toml's [task]), "
            "which has no entity spans; nothing was imported",
            hint="create an entities project and import the file there: glamlab init DIR "
                 f"--task {ws.card.task} --kind entities --modality text --labels "
                 f"{labels_arg(ws.card.labels)} (`--task entities` sets the kind too)")
    if ws.card.kind == "entities":
        from ..tasks.spans import import_spans

        spans = import_spans(ws, file, format=fmt, split=split, segment=segment,
                             annotator=None if annotator == "import" else annotator,
                             replace=replace, type_map=_type_map(type_map, ws.card.labels),
                             drop_unknown_types=drop_unknown_types)
        emit(spans.to_dict(), as_json, lambda r: spans.summary() + ".")
        return
    if type_map or drop_unknown_types:
        raise click.UsageError("--type-map and --drop-unknown-types are for entity spans "
                               "(an entities project's HIPE, JSONL or WebAnno files)")
    with said_on_the_command_line():  # a column not found: --id-column, --label-column
        report = import_labels(ws, file, split=split, id_column=id_column,
                               label_column=label_column, separator=separator,
                               annotator=annotator, replace=replace)
    emit(report.to_dict(), as_json, lambda r: report.summary() + ".")


def _type_map(pairs: tuple[str, ...], labels: list[str]) -> dict[str, str | None]:
    """``--type-map TYPE=LABEL`` options as a mapping (``TYPE=``: None, left out); a pair
    without ``=`` or naming no label of the project is refused with the labels."""
    out: dict[str, str | None] = {}
    for pair in pairs:
        kind, eq, label = pair.partition("=")
        kind, label = kind.strip(), label.strip()
        if not eq or not kind:
            raise click.UsageError(f"--type-map {pair!r}: give TYPE=LABEL (PROD=ORG), or "
                                   "TYPE= to leave that type's spans out")
        if label and label not in labels:
            raise click.UsageError(f"--type-map {pair!r}: {label!r} is no label of this "
                                   f"project (its labels: {', '.join(labels)})")
        out[kind] = label or None
    return out


def _span_file(file: str) -> str | None:
    """``hipe`` or ``webanno`` when ``file`` is one (whatever the project), else None."""
    from pathlib import Path

    from ..tasks.spans.gold import tsv_span_format

    return tsv_span_format(Path(file), (".tsv", ".txt", ".conll", ".iob"))


@labels.command("split")
@click.option("--test-size", type=float, default=0.3, show_default=True,
              help="Share of labelled items set aside for testing.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option("--group-by", default=None,
              help="Metadata field whose values stay whole (e.g. document, book).")
@click.option("--force", is_flag=True,
              help="Re-split even though an evaluation has read the test split (logged).")
@click.option("--by-time", is_flag=True, help="Tabular: rows before --cutoff train, later "
              "rows test (the default for a tabular project).")
@click.option("--cutoff", default=None, help="With --by-time: the first test date "
              "(default: after the earliest 80% of the time range).")
@json_option
@click.pass_context
def split(ctx: click.Context, test_size: float, seed: int, group_by: str | None, force: bool,
          by_time: bool, cutoff: str | None, as_json: bool) -> None:
    """Split the labelled items into train and test, stratified by label. The test
    split is frozen once an evaluation reads it."""
    from ..tasks import split_labels

    ws = open_ws(ctx)
    if by_time or ws.card.modality == "tabular":
        from .tabular import split_by_time

        return split_by_time(ws, cutoff, as_json, force=force)
    with said_on_the_command_line():  # --test-size, a --group-by field no item has
        report = split_labels(ws, test_size=test_size, seed=seed, group_by=group_by,
                              force=force)

    def text(_: Any) -> str:
        lines = [report.summary() + "."]
        if report.forced:
            lines.append("The frozen test split was replaced (--force); this is in the audit log.")
        lines.append(table(report.labels, ["label", "train", "test"]))
        return "\n".join(lines)

    emit(report.to_dict(), as_json, text)


@labels.command("sample")
@click.option("--n", "n", type=int, default=20, show_default=True, help="How many items.")
@click.option("--strategy", type=click.Choice(["random", "stratified", "uncertainty"]),
              default="random", show_default=True)
@click.option("--model", default=None, help="Model for uncertainty sampling (NAME[@alias]).")
@click.option("--by", default="source", show_default=True,
              help="Metadata field for stratified sampling.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--split", type=click.Choice(["train", "calibration", "test"]), default=None,
              help="Where the labels will go; test (and calibration) items are chosen "
                   "random or stratified only.")
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Also write a sheet to label in Excel: FILE.csv or FILE.xlsx with id, "
                   "label (to fill in), title, text and link columns.")
@json_option
@click.pass_context
def sample(ctx: click.Context, n: int, strategy: str, model: str | None, by: str, seed: int,
           split: str | None, out: str | None, as_json: bool) -> None:
    """Pick unlabelled items for people to label next.

    The test split must stay a random sample of the collection: for --split test only
    random and stratified sampling are allowed; uncertainty sampling is for training
    labels (import its file with --split train)."""
    from ..tasks import sample_items

    ws = open_ws(ctx)
    scorer = spec = None
    if strategy == "uncertainty" and model:
        from ..inference import model_scorer

        mv, scorer = model_scorer(ws, model)
        spec = mv.spec
    s = sample_items(ws, n, strategy=strategy, seed=seed, by=by, scorer=scorer, model=spec,
                     split="test" if split == "calibration" else split)
    written: str | None = None
    rows = 0
    if out:
        from pathlib import Path

        from ..tasks.labels import write_label_sheet

        rows = write_label_sheet(ws, [row["id"] for row in s.items], out)
        written = str(Path(out).resolve())

    def text(_: Any) -> str:
        cols = list(s.items[0]) if s.items else ["id"]
        lines = [table(s.items, cols), f"{len(s.items)} of {s.pool:,} unlabelled items "
                 f"({strategy})."]
        if s.failed:
            lines.append(f"{len(s.failed)} items could not be scored by the model "
                         f"(e.g. {s.failed[0]['item']}: {s.failed[0]['reason']}).")
        if out:
            into = split or ("train" if strategy == "uncertainty" else None)
            lines.append(f"Wrote {out}: fill in the label column (rows left blank are "
                         f"skipped), then `glamlab labels import {out}" +
                         (f" --split {into}`." if into else "`."))
        return "\n".join(lines)

    data = s.to_dict()
    data["out"] = written  # the sheet written (--out), as a full path; None without --out
    data["out_rows"] = rows
    emit(data, as_json, text)


@labels.command("agreement")
@click.option("--annotator", "annotators", multiple=True,
              help="Only these annotators (repeatable; default: everyone).")
@json_option
@click.pass_context
def agreement_(ctx: click.Context, annotators: tuple[str, ...], as_json: bool) -> None:
    """Agreement between annotators on shared items (Cohen's kappa, Krippendorff's alpha)."""
    from ..tasks import agreement

    ws = open_ws(ctx)
    r = agreement(ws, annotators=list(annotators) or None)

    def text(_: Any) -> str:
        lines = [r["summary"] + "."]
        if r.get("pairs"):
            lines.append(table(r["pairs"], ["a", "b", "items", "percent_agreement",
                                            "cohen_kappa"]))
        if r.get("per_label"):
            lines.append(table(r["per_label"], ["label", "krippendorff_alpha"]))
        return "\n".join(lines)

    emit(r, as_json, text)


@labels.command("show")
@json_option
@click.pass_context
def show(ctx: click.Context, as_json: bool) -> None:
    """How many items carry each label, by split, and whether the test split is frozen."""
    from ..tasks import freeze_info, label_counts

    ws = open_ws(ctx)
    counts = label_counts(ws)
    counts["frozen"] = freeze_info(ws)

    def text(_: Any) -> str:
        s = counts["splits"]
        head = (f"{counts['items']:,} labelled items: {s['train']:,} train, {s['test']:,} test, "
                f"{s['unsplit']:,} not split yet.")
        if counts["frozen"]:
            head += f" The test split is frozen since {counts['frozen']['at']:%Y-%m-%d %H:%M} UTC."
        return head + "\n" + table(counts["labels"], ["label", "train", "test", "unsplit",
                                                      "total"])

    emit(counts, as_json, text)


@labels.command("issues")
@click.option("--predictor", default=None,
              help="Predictor to cross-validate (default: the predictor of the model in use).")
@click.option("--param", "param_pairs", multiple=True, help="Predictor parameter KEY=VALUE.")
@click.option("--folds", type=int, default=5, show_default=True)
@click.option("--queue/--no-queue", default=True, show_default=True,
              help="Send the suspects to the re-check queue of the web app.")
@json_option
@click.pass_context
def issues(ctx: click.Context, predictor: str | None, param_pairs: tuple[str, ...], folds: int,
           queue: bool, as_json: bool) -> None:
    """Find training labels that are probably wrong (confident learning on out-of-fold
    predictions) and send them to a person to re-check. Nothing is changed or dropped;
    the test split is never examined."""
    from ..monitoring.label_issues import find_label_issues, queue_label_issues
    from ..registry import champion
    from ..registry.training import parse_params

    ws = open_ws(ctx)
    params = parse_params(param_pairs) or None
    if predictor is None:
        mv = champion(ws)
        predictor, params = mv.predictor, mv.params
    found = find_label_issues(ws, predictor, params=params, folds=folds)
    queued = queue_label_issues(ws, found) if queue else 0
    rows = [{"item": i.item_id, "given": i.given, "suggested": i.suggested,
             "self_confidence": round(i.self_confidence, 3),
             "suggested_score": round(i.suggested_score, 3)} for i in found]
    data = {"predictor": predictor, "issues": rows, "queued": queued}
    emit(data, as_json, lambda d: (
        table(d["issues"], ["item", "given", "suggested", "self_confidence", "suggested_score"])
        + f"\n{len(rows)} suspected label issues"
        + (f"; {queued} sent to the re-check queue (glamlab serve)." if queue else ".")))
