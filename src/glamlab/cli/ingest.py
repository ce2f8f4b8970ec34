"""glamlab ingest"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from ..errors import EXIT_ITEMS_FAILED, EXIT_USAGE
from ._common import emit, json_option, open_ws, show_progress

if TYPE_CHECKING:
    from ..ingest import IngestReport


@click.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--id-column", default=None, help="CSV/JSONL/Parquet: the column holding item ids.")
@click.option("--text-column", default=None, help="CSV/JSONL/Parquet: the column holding the text.")
@click.option("--image-column", default=None,
              help="CSV/JSONL/Parquet: a column with image paths (relative to the file) "
                   "or web addresses (an image project finds such a column itself when "
                   "only one column holds them).")
@click.option("--collection-depth", type=click.IntRange(0, 20), default=3, show_default=True,
              help="IIIF: how many levels of nested Collections to follow.")
@click.option("--no-remote-ocr", is_flag=True,
              help="METS: do not fetch OCR files given as http(s) URLs (keep the URL only).")
@click.option("--allow-source-change", is_flag=True,
              help="An id that already belongs to an item from another source becomes a new "
                   "version of that item (default: refused, the other item is kept).")
@click.option("--time-column", default=None,
              help="Tabular: the column with the date each row happened.")
@click.option("--label-column", default=None, help="Tabular: the outcome column (yes/no).")
@click.option("--positive", default=None,
              help="Tabular: the outcome value that counts as yes, e.g. yes or True (a "
                   "project's first table; default 1).")
@click.option("--never-feature", "never_features", multiple=True,
              help="Tabular: a column no model may read (written after the outcome).")
@click.option("--group-column", "group_columns", multiple=True,
              help="Tabular: a column that splits slots (e.g. hotel, gallery).")
@json_option
@click.pass_context
def ingest(ctx: click.Context, sources: tuple[str, ...], id_column: str | None,
           text_column: str | None, image_column: str | None, collection_depth: int,
           no_remote_ocr: bool, allow_source_change: bool, time_column: str | None,
           label_column: str | None, positive: str | None, never_features: tuple[str, ...],
           group_columns: tuple[str, ...], as_json: bool) -> None:
    """Read SOURCES into the workspace as items.

    \b
    SOURCES may be:
      folders of images (JPEG, PNG, TIFF incl. multi-page, JPEG 2000), OCR files and
        IIIF manifest files; OCR-D workspaces (with or without mets.xml)
      IIIF Presentation manifests and collections v2/v3 (file or http(s) URL)
      ALTO (v1-v4), PAGE XML or hOCR files, linked to their page images; METS (local
        or remote images and OCR)
      plain text files; Annif corpora (documents.tsv, or folders of .txt + .key/.tsv)
      CSV, TSV, JSONL or Parquet with --id-column/--text-column
      (and --image-column for a column of image paths)
      in a tabular project: a CSV (also .csv.gz) or Parquet table, one item per row,
      with --time-column/--label-column (the card's [tabular] section)

    Idempotent: re-ingesting adds nothing, changed content becomes a new version.
    Bad input is recorded and skipped; see it with `glamlab items --errors`.
    Sources that hold nothing (a table with a header only, a folder with no file
    glamlab reads) are named; when nothing at all was brought in, the exit status is 2.
    A path that does not exist is a usage error (exit 2), found before any source is
    read: nothing is ingested until every path is right.
    The supported layouts are described in docs/formats.md.
    """
    from ..ingest import missing_path

    missing = [why for why in map(missing_path, sources) if why is not None]
    if missing:  # a typing mistake: said before anything is read, so nothing half done
        reason = "; ".join(why for why, _fix in missing)
        click.echo(f"error: {reason}. Nothing was ingested"
                   + (", not even the other sources" if len(missing) < len(sources) else ""),
                   err=True)
        click.echo(f"fix: {missing[0][1]}", err=True)
        sys.exit(EXIT_USAGE)
    ws = open_ws(ctx)
    if ws.card.modality == "tabular":  # rows of a table: typed, then the leakage check
        from .tabular import ingest as ingest_rows

        return ingest_rows(ws, sources, as_json=as_json, time_column=time_column,
                           label_column=label_column, id_column=id_column,
                           positive=positive, never_features=list(never_features) or None,
                           group_columns=list(group_columns) or None,
                           allow_source_change=allow_source_change)
    report = ws.ingest(list(sources), id_column=id_column, text_column=text_column,
                       image_column=image_column, progress=show_progress(as_json),
                       collection_depth=collection_depth, remote_ocr=not no_remote_ocr,
                       allow_source_change=allow_source_change,
                       notify=lambda message: click.echo(message, err=True))
    if report.nothing:  # a script must be able to tell: the error and exit status 2
        if as_json:
            emit(report.to_dict(), as_json)
        first = report.empty_sources[0] if report.empty_sources else None
        reason = "; ".join(e["reason"] for e in report.empty_sources) or "no source gave an item"
        click.echo(f"error: nothing was brought in: {reason}", err=True)
        if first:
            click.echo(f"fix: {first['hint']}", err=True)
        sys.exit(EXIT_USAGE)
    if as_json:
        emit(report.to_dict(), as_json)
    else:
        say(report.summary(), report)
    exit_for(report, as_json)


def say(text: str, report: IngestReport) -> None:
    """An ingest's summary ``text`` (its report's summary first): the counts and warnings
    on stdout, as before, and so the notes (texts here already from another source); the
    problems (the lines under the counts) are errors: stderr, except the one problem of
    an ingest that brought nothing in (:func:`exit_for` says it as the error)."""
    lines = text.split("\n")
    first = report.summary().split("\n")
    problems = [line for line in first[1:] if not line.startswith(("warning: ", "note: "))]
    click.echo("\n".join(line for line in lines if line not in problems))
    if problems and not (not report.seen and len(report.problems) == 1):
        click.echo("\n".join(problems), err=True)


def exit_for(report: IngestReport, as_json: bool) -> None:
    """The exit status of an ingest with problems: 2 with the error on stderr when
    nothing came in, else 1 (the problems recorded, the rest stored); none without."""
    if report.failed:
        if not report.seen:  # nothing came in: the error on stderr, and status 2
            first = report.problems[0] if report.problems else None
            if len(report.problems) > 1 and not as_json:  # each said above, with its fix
                click.echo(f"error: nothing was brought in: the {len(report.problems):,} "
                           "problems above (glamlab items --errors lists them again)",
                           err=True)
            elif first:  # one problem (or --json, where the list is in the JSON)
                from ..ingest.base import problem_line

                where = first.get("item") or first.get("source")
                more = len(report.problems) - 1
                click.echo(f"error: nothing was brought in: {problem_line(where, first['reason'])}"
                           + (f" (and {more:,} more problems: glamlab items --errors)"
                              if more > 0 else ""), err=True)
                if first.get("hint"):
                    click.echo(f"fix: {first['hint']}", err=True)
            sys.exit(EXIT_USAGE)
        sys.exit(EXIT_ITEMS_FAILED)
