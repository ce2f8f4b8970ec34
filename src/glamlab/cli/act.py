"""``glamlab act`` and ``glamlab export``: predictions into actions, and out of glamlab."""

from __future__ import annotations

from typing import Any

import click

from ._common import emit, json_option, open_ws


@click.command()
@click.option("--dry-run", is_flag=True, help="Show what the policy would do; write nothing.")
@click.option("--optimise", "--optimize", "optimise_", is_flag=True,
              help="Choose accept thresholds for --target-precision on calibration data, "
                   "then report the precision they reach on the frozen test split.")
@click.option("--calibration", type=click.Choice(["auto", "split", "out-of-fold"]),
              default="auto", show_default=True,
              help="With --optimise: what thresholds are tuned on: the calibration split "
                   "(labels import --split calibration), out-of-fold predictions on the "
                   "train split, or auto (the split when it has labels).")
@click.option("--folds", type=int, default=5, show_default=True,
              help="With --optimise and out-of-fold calibration: the number of folds.")
@click.option("--target-precision", type=float, default=None,
              help="Precision the auto-accepted set must reach (with --optimise; default 0.99).")
@click.option("--criterion", type=click.Choice(["point", "expected", "lower_bound"]),
              default="point", show_default=True,
              help="point: the calibration precision >= target; expected: the precision to "
                   "expect from that evidence (few items, or items of few groups, count for "
                   "little); lower_bound: its 95% lower bound.")
@click.option("--review-threshold", type=float, default=None,
              help="With --optimise: send predictions below accept to a person from this "
                   "score, for every label (below it: rejected, nobody sees them). Default: "
                   "the review thresholds saved in [policy], else the project's own: the "
                   "[task] threshold of a multi-label task, 0 otherwise (every prediction "
                   "below accept goes to a person).")
@click.option("--write", is_flag=True, help="With --optimise: save the thresholds in [policy] "
              "(in a terminal, without --write, you are asked). When they cannot be saved "
              "(the model is not the model in use) they are shown, the reason goes to "
              "stderr and the exit status is 2.")
@click.option("--model", default=None, help="Model spec NAME, NAME@ALIAS or NAME@N "
              "(default: [policy] model, else the model in use, the one glamlab run runs; "
              "refused while it has no predictions: run it first. Only when no model is "
              "in use yet: the latest run's model, and the report says so). Another "
              "model than that is for --dry-run and --optimise: acting with it is refused, "
              "since the exports show what act writes with the model in use.")
@json_option
@click.pass_context
def act(ctx: click.Context, dry_run: bool, optimise_: bool, calibration: str, folds: int,
        target_precision: float | None, criterion: str, review_threshold: float | None,
        write: bool, model: str | None,
        as_json: bool) -> None:
    """Apply the policy in glamlab.toml to a model's predictions.

    \b
    accept -> machine metadata with provenance (model, version, score, run, time;
              confirmed_by empty until a person confirms)
    review -> the human review queue, with the reason
    reject -> counted, nothing written
    Safety rules ([[safety.rules]]) and the sensitive-terms lexicon can force review or
    suppress a label; every hit is listed. Acting twice writes nothing new.

    \b
    glamlab act --optimise --target-precision 0.99 --write
    glamlab act --dry-run
    glamlab act
    """
    import sys

    from ..actions import optimise, plan, render, render_optimise
    from ..actions.optimise import write_thresholds

    ws = open_ws(ctx)
    try:
        if optimise_:
            res = optimise(ws, target_precision=target_precision or 0.99, model=model,
                           criterion=criterion, review_threshold=review_threshold, write=write,
                           calibration=calibration, folds=folds, progress=not as_json)
            if (not write and not as_json and not res["not_saved"] and sys.stdin.isatty()
                    and sys.stdout.isatty()):
                click.echo(render_optimise(res))
                if click.confirm("Write these thresholds to [policy] in glamlab.toml?"):
                    write_thresholds(ws, res)
                    click.echo("Written to [policy] in glamlab.toml.")
                return
            emit(res, as_json, render_optimise)
            if write and not res["written"]:
                # shown, not saved (the model is not the one in use): a script must tell
                from ..errors import PolicyError

                raise PolicyError(res["not_saved"] or "the thresholds were not saved in "
                                  "[policy]")
            return
        if target_precision is not None or write or review_threshold is not None:
            raise click.UsageError("--target-precision, --review-threshold and --write go "
                                   "with --optimise")
        report = plan(ws, model=model, dry_run=dry_run, cli=True,
                      progress=not as_json).to_dict()
        emit(report, as_json, render)
    finally:
        ws.close()


def _from_gold(res: dict[str, Any], noun: str) -> str:
    """The export summary's words on the rows that came from people's labels alone
    (a gold label the model gave no value for: no prediction of the item, or, multi-label,
    not among its suggestions), or nothing where there are none."""
    n = res.get("from_gold") or 0
    if not n:
        return ""
    return (f"; {n} {noun}{'' if n == 1 else 's'} from people's labels alone (the model "
            "gave no value for them: the person's label, confirmed by who gave it)")


def _entity_export_line(fmt: str, out: str, res: dict[str, Any]) -> str:
    """What an entities project's export wrote, in words: the mentions (or texts), the
    files, and the mentions left out with why (IIIF: no word positions on a page, or a
    page with no IIIF canvas nor web address)."""
    if fmt == "jsonl":
        return f"wrote {res['items']} texts with their entities to {out}"
    if fmt in ("csv", "xlsx", "parquet"):
        return f"wrote {res['rows']} mentions (one row each) to {out}"
    if fmt == "inception":
        return (f"wrote {res['entities']} mentions in {res['files']} WebAnno TSV files "
                f"(one per text, listed in index.tsv) to {out}")
    line = f"wrote {res['annotations']} mentions as {'IIIF' if fmt == 'iiif' else 'W3C'} " \
           f"annotations to {out}"
    if res.get("empty"):  # no mention placed: the warning above said why and what works
        return line + " (no mention could be placed on a page image: see the warning above)"
    skipped = res.get("skipped_without_word_boxes") or 0
    if skipped:
        line += (f"; {skipped} mentions left out: their texts have no word positions on a "
                 "page image (ALTO, PAGE or hOCR word boxes). Ingest the pages with their ALTO or "
                 "PAGE XML to place them, or export --format w3c (the text and offsets) "
                 "instead")
    no_canvas = res.get("skipped_without_canvas") or 0
    if no_canvas:
        line += (f"; {no_canvas} mentions left out: their pages have no IIIF canvas nor a "
                 "web address (a IIIF viewer cannot open a file on this computer). Give "
                 "--base-url https://YOUR.SITE/PATH/ (or set [export] base_url) to give "
                 "them canvases there, or export --format w3c instead")
    no_image = res.get("skipped_without_image") or 0
    if no_image:
        line += (f"; {no_image} mentions left out: they are in ALTO files ingested without "
                 "their page image. Ingest each page image with its ALTO file beside it")
    no_size = res.get("skipped_without_image_size") or 0
    if no_size:
        line += (f"; {no_size} mentions left out: their ALTO measures in mm10 or inch1200 "
                 "and the size of their page image (on the web) is not known, so their "
                 "place in pixels cannot be worked out. Ingest the page images as files "
                 "(beside the METS or the ALTO), or OCR with word boxes in pixels")
    off = res.get("skipped_off_page") or 0
    if off:
        from ..actions.entity_export import OFF_PAGE_WHY

        line += (f"; {off} mentions left out: {OFF_PAGE_WHY}. Ingest each page image with "
                 "the ALTO or PAGE file made from that image, or export --format w3c instead")
    if res.get("manifest"):
        line += (f"; {res['minted_canvases']} pages on this computer got canvases under the "
                 f"base URL, in {res['manifest']} (publish each page image at "
                 "BASE/images/ITEM_ID.EXT, as that manifest names it: its path in the "
                 "folder ingested; a page of a multi-page file alone, as ITEM_ID#pN.EXT; "
                 "see docs/formats.md)")
    return line


@click.command()
@click.option("--format", "fmt", required=True,
              type=click.Choice(["csv", "xlsx", "jsonl", "parquet", "w3c", "iiif", "annif",
                                 "filter", "webanno", "inception"]),
              help="csv (UTF-8 with a BOM, formula-safe, ids never altered; "
                   "OpenRefine-ready), xlsx (Excel, every cell text), jsonl, parquet, w3c (W3C Web "
                   "Annotation JSON-LD), iiif (a folder: one IIIF AnnotationPage per v3 "
                   "manifest, one AnnotationList per v2 manifest), annif (a folder of Annif "
                   "subject files), filter (one URI per line). webanno: deprecated name of "
                   "w3c. Entities projects: csv, xlsx and parquet (one row per mention, "
                   "with the item's title and the words around it, the same columns), jsonl, w3c, iiif (regions from ALTO, PAGE or hOCR word boxes), "
                   "inception (a folder of WebAnno TSV 3.3).")
@click.option("--out", default="-", show_default=True,
              help="File to write (a folder for iiif and annif); - for stdout.")
@click.option("--action", "actions", multiple=True,
              type=click.Choice(["accept", "review", "reject"]),
              help="Keep only these actions (repeatable).")
@click.option("--label", default=None, help="Keep only this label.")
@click.option("--min-score", type=float, default=None, help="Keep only scores at least this.")
@click.option("--confirmed", type=click.Choice(["yes", "no"]), default=None,
              help="Keep only values a person confirmed (yes) or not (no).")
@click.option("--model", default=None, help="Model spec (default as for glamlab act: "
              "[policy] model, else the model in use; while it has no predictions "
              "yet, or no model is in use yet: the latest run's model, said in a "
              "note).")
@click.option("--base-url", default=None,
              help="Base for annotation ids (default: [export] base_url in glamlab.toml).")
@click.option("--meta", "meta", multiple=True,
              help="Add this item metadata field (repeatable; default: [export] meta in "
                   "glamlab.toml). csv/xlsx/parquet: a column (the title and text snippet "
                   "always come); jsonl: a key (entities: in a \"meta\" object); w3c: the "
                   "target's metadata label/value pairs; iiif: the target canvas's "
                   "metadata; annif and inception: a column of the folder's index.tsv. "
                   "A field named like one of the file's own columns, ignoring case, "
                   "comes as the column meta_FIELD (Title: meta_Title). "
                   "Refused with filter (one URI a line).")
@click.option("--layer", "layers", multiple=True, metavar="NAME",
              help="Entities projects: export the spans of this span layer (repeatable; "
                   "default: the main layer, entity), e.g. nested or metonymic; an "
                   "unknown name is refused with the project's layers. csv, xlsx, parquet: "
                   "the layer column; jsonl, w3c, iiif: each span of another layer says so. "
                   "inception: the main layer only (WebAnno's Named Entity layer has no "
                   "place for the layer).")
@click.option("--all-layers", is_flag=True,
              help="Entities projects: export the spans of every span layer (as --layer "
                   "for each); not with inception.")
@json_option
@click.pass_context
def export(ctx: click.Context, fmt: str, out: str, actions: tuple[str, ...], label: str | None,
           min_score: float | None, confirmed: str | None, model: str | None,
           base_url: str | None, meta: tuple[str, ...], layers: tuple[str, ...],
           all_layers: bool, as_json: bool) -> None:
    """Export predictions with their policy action and provenance.

    Every row says it is machine-made (model, version, score, run, time, confirmed_by).
    The filter format with no --action/--label lists the items NOT accepted as the
    project's positive_label (e.g. the pages to send to OCR when it is "blank").
    A person's label wins over the model's: a value accepted on an item a person
    labelled is confirmed by them where their label gives it, rejected where it is
    another (a page labelled "content" is sent to OCR even if the model said "blank"),
    and a value the policy rejected that the person's label gives is accepted (a page
    labelled "blank" is held back whatever the model said, or with no prediction).
    In a single-label project an item labelled otherwise than the model said exports
    the person's label in place of the model's (origin person, decision gold).
    An item a person labelled that the model has no prediction of (not run yet, or its
    image failed) still exports their label, in a row of its own with no score or model
    value (multi-label: so does a label of theirs the model did not suggest); the
    summary says how many rows came from people's labels alone.

    \b
    [export] base_url = "https://your.site/annotations/"   ids of w3c/iiif annotations
    [export] target_template = "https://your.site/record/{item_id}"   w3c targets of
             items with no IIIF canvas and no record url
    [labels] uris = "vocabulary.csv" (or a SKOS .ttl)   label URIs for annif
    """
    import sys

    from ..actions import ExportFilter
    from ..actions import export as do_export
    from ..actions.export import left_out_words, unpredicted_words
    from ..errors import EXIT_ITEMS_FAILED

    if as_json and out == "-":
        raise click.UsageError("--json prints a summary on stdout; give the export a file "
                               "with --out")
    if layers and all_layers:
        raise click.UsageError("give --layer NAME (repeatable) or --all-layers, not both")
    ws = open_ws(ctx)
    try:
        where = ExportFilter(actions=actions, label=label, min_score=min_score,
                             confirmed=None if confirmed is None else confirmed == "yes")
        from ..actions.entity_export import exports_spans

        if (layers or all_layers) and not exports_spans(ws, fmt):
            raise click.UsageError(
                f"--layer and --all-layers choose the span layers of an entities project's "
                f"csv, xlsx, parquet, jsonl, w3c, iiif or inception export; this export ({fmt}"
                f"{'' if ws.card.kind == 'entities' else f', a {ws.card.kind} project'}) "
                "has no span layers: leave them out")
        things = "items"  # what the project's items are, in the summary's words
        if exports_spans(ws, fmt):
            from ..actions.entity_export import export_entities

            things = "texts"
            res = export_entities(ws, fmt, out, model=model, where=where, base=base_url,
                                  meta=list(meta) or None, layers=list(layers) or None,
                                  all_layers=all_layers)
            if not as_json and out != "-":
                for note in res.get("notes", []):
                    click.echo(f"note: {note}", err=True)
                for warning in res.get("warnings", []):
                    click.echo(f"warning: {warning}", err=True)
                click.echo(_entity_export_line(fmt, out, res)
                           + (f"; {unpredicted_words(res['unpredicted'], res['model'], things)}"
                              if res.get("unpredicted") else ""))
                if res.get("empty"):  # a IIIF page with no mention on it: said above
                    sys.exit(EXIT_ITEMS_FAILED)
                return
        else:
            res = do_export(ws, fmt, out, model=model, where=where, base_url=base_url,
                            meta=list(meta) or None)
    finally:
        ws.close()
    for note in res.get("notes", []):
        click.echo(f"note: {note}", err=True)
    for warning in res.get("warnings", []):
        click.echo(f"warning: {warning}", err=True)
    if as_json:
        emit(res, True)
    elif fmt == "annif":
        click.echo(f"wrote subject files for {res['items']} items ({res['subjects']} subjects, "
                   f"{res['subjects_with_uri']} with a URI) to {out}" + _from_gold(res, "subject")
                   + (f"; {unpredicted_words(res['unpredicted'], res['model'], things)}"
                      if res.get("unpredicted") else ""))
    elif out != "-":
        n = res.get("rows", res.get("annotations", res.get("uris", 0)))
        click.echo(f"wrote {n} {'URIs' if fmt == 'filter' else 'rows' if 'rows' in res else 'annotations'}"
                   f" to {out}" + (f" ({res['list']})" if "list" in res else "")
                   + (f" in {len(res['pages'])} files" if "pages" in res else "")
                   + (f"; {res['skipped_not_iiif']} non-IIIF items left out"
                      if res.get("skipped_not_iiif") else "")
                   + f" (model {res['model']})"
                   + _from_gold(res, "row" if "rows" in res else "annotation")
                   + (f"; {unpredicted_words(res['unpredicted'], res['model'], things)}"
                      if res.get("unpredicted") else "")
                   + (f"; {left_out_words(res['refused'])}" if res.get("refused") else ""))
    else:
        sys.stdout.flush()
        if res.get("unpredicted"):  # (the summary line says it when there is one)
            click.echo(f"note: {unpredicted_words(res['unpredicted'], res['model'], things)}",
                       err=True)
    if res.get("refused") and (as_json or out == "-"):  # (the summary line counts them)
        click.echo(f"warning: {left_out_words(res['refused'])}", err=True)
    for r in res.get("refused", []):
        click.echo(f"warning: left out {r['item_id']!r}: {r['reason']}. What to do: "
                   f"{r['fix']}", err=True)
    if res.get("refused"):
        sys.exit(EXIT_ITEMS_FAILED)
