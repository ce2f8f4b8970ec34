"""glamlab review: the review queue as a file (list), decisions back from it (import)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ._common import emit, json_option, open_ws


@click.group()
def review() -> None:
    """The review queue as a file: take it out, decide in a spreadsheet, OpenRefine or a
    script, bring the decisions back.

    \b
    Examples:
      glamlab review list -o queue.csv
      glamlab review list --limit 200 --sort uncertainty -o queue.xlsx
      glamlab review list --format jsonl -o queue.jsonl
      glamlab review import queue.csv --by maria

    The file has one row per open queue row: queue_id, version, item_id, title, kind,
    predicted, score, reason, gold, and two empty columns to fill in: decision (accept,
    reject or correct; empty keeps the row open) and correct_to (the right label, with
    correct). Decisions are recorded as the web queue records them: a row a web reviewer
    holds, or one decided or changed since the file was written, is refused and named;
    importing a file again records nothing twice. Each decision keeps the file's name
    and the sha256 of its bytes (the API's /api/decisions shows them as source).
    Single-label and multi-label projects (entities: use the web queue).
    """


@review.command("list")
@click.option("--limit", type=int, default=0, show_default=True,
              help="Rows to list (0: the whole open queue).")
@click.option("--sort", type=click.Choice(["score", "uncertainty", "label", "oldest"]),
              default="score", show_default=True,
              help="Order: most sure first, least sure first, by label, oldest first.")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "jsonl"]), default=None,
              help="csv (Excel, OpenRefine), xlsx (an Excel workbook: ids and words as "
                   "text cells, the score a number to sort by; needs -o) or jsonl (scripts); "
                   "default: from -o's name, else csv.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write to this file (default: stdout).")
@click.pass_context
def list_(ctx: click.Context, limit: int, sort: str, fmt: str | None,
          output: str | None) -> None:
    """The open review queue, one row per queue row, with empty decision and correct_to
    columns to fill in. Leases nothing: web reviewers go on as before. CSV cells a
    spreadsheet would evaluate get a leading ' (ids are never altered)."""
    from ..review.sheet import open_rows, write_rows

    if limit < 0:
        raise click.BadParameter("use a number of rows, or 0 for all of them",
                                 param_hint="--limit")
    suffix = Path(output).suffix.lower() if output else ""
    if fmt is None:
        fmt = {".jsonl": "jsonl", ".ndjson": "jsonl", ".xlsx": "xlsx"}.get(suffix, "csv")
    if fmt == "xlsx" and output is None:
        raise click.UsageError("an Excel workbook is written to a file: add -o FILE.xlsx")
    from ..files import open_private

    ws = open_ws(ctx)
    rows = open_rows(ws, limit=limit or None, sort=sort)
    # owner-only, as every export (the items' titles are the collection's data)
    if output is None:
        n, warning = write_rows(rows, sys.stdout, fmt, bom=False)
    elif fmt == "xlsx":
        with open_private(output, "wb") as bfh:
            n, warning = write_rows(rows, bfh, fmt, bom=False)
    else:
        with open_private(output, "w", newline="", encoding="utf-8") as fh:
            n, warning = write_rows(rows, fh, fmt, bom=True)
    if warning:
        click.echo(f"warning: {warning}", err=True)
    if output is not None:
        click.echo(f"{n} open queue row{'s' if n != 1 else ''} written to {output}; fill in "
                   f"decision (accept, reject, correct) and correct_to, then: glamlab review "
                   f"import {output} --by NAME", err=True)


@review.command("import")
@click.argument("file", type=click.Path())
@click.option("--by", "by", required=True, metavar="NAME",
              help="Who decided: recorded as the reviewer, as a web reviewer's name is. "
                   "Where the workspace has users (glamlab users list), one of them with "
                   "the reviewer or admin role.")
@json_option
@click.pass_context
def import_(ctx: click.Context, file: str, by: str, as_json: bool) -> None:
    """Record the decisions of a file glamlab review list wrote (CSV, xlsx or JSONL),
    as the web queue records them. A row that cannot be recorded is named with the fix,
    and the others are recorded; exit status 1 when some were refused."""
    from ..errors import EXIT_ITEMS_FAILED
    from ..review.sheet import import_decisions

    ws = open_ws(ctx)
    report = import_decisions(ws, file, by)
    if not as_json:
        for p in report.refused:
            click.echo(p["reason"], err=True)
            if p.get("hint"):
                click.echo(f"  fix: {p['hint']}", err=True)
    emit(report.to_dict(), as_json, lambda r: report.summary() + ".")
    if report.refused:
        sys.exit(EXIT_ITEMS_FAILED)
