"""Helpers shared by the command modules (kept light: no heavy imports here)."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from ..workspace import Workspace

json_option = click.option("--json", "as_json", is_flag=True,
                           help="Print one JSON document on stdout and nothing else there.")


def open_ws(ctx: click.Context) -> Workspace:
    from ..said import said_on_the_command_line
    from ..workspace import Workspace

    obj = ctx.find_root().obj or {}
    with said_on_the_command_line():  # no workspace there: glamlab init, --workspace
        return Workspace.open(obj.get("workspace", "."), db=obj.get("db"))


def _json_text(data: Any) -> str:
    """``data`` as the JSON document ``--json`` prints: strict JSON, a NaN or infinity (a
    backtest's AUC over a month with one outcome, say) written as null; Python's
    ``json.dumps`` wrote ``NaN``, which jq and every other JSON reader refuse."""
    from ..store.jsontext import encoder  # here: the store package imports SQLAlchemy

    return encoder(indent=2, default=str, ensure_ascii=False)(data)


def emit(data: Any, as_json: bool, text: Callable[[Any], str] | None = None) -> None:
    """Print ``data`` as JSON (for scripts) or as plain words (for people)."""
    if as_json:
        sys.stdout.write(_json_text(data) + "\n")
    elif text is not None:
        click.echo(text(data))
    else:
        click.echo(_json_text(data))


def emit_json_rows(rows: Iterable[Any]) -> None:
    """Print ``rows`` as one JSON array, as :func:`emit` does (the same text), one row at a
    time: a listing of a whole collection never holds all of it in memory."""
    from ..store.jsontext import encoder

    dumps = encoder(indent=2, default=str, ensure_ascii=False)
    first = True
    for row in rows:
        body = dumps(row)
        sys.stdout.write(("[\n" if first else ",\n") + textwrap.indent(body, "  "))
        first = False
    sys.stdout.write("[]\n" if first else "\n]\n")


def show_progress(as_json: bool) -> bool:
    """Progress goes to stderr, never with --json in a pipeline's way."""
    return not as_json or not sys.stdout.isatty()


def table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    if not rows:
        return "(none)"
    widths = {c: max(len(c), *(len(_cell(r.get(c))) for r in rows)) for c in columns}
    head = "  ".join(c.ljust(widths[c]) for c in columns)
    lines = [head, "  ".join("-" * widths[c] for c in columns)]
    for r in rows:
        lines.append("  ".join(_cell(r.get(c)).ljust(widths[c]) for c in columns))
    return "\n".join(lines)


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.3f}"
    s = str(v)
    return s if len(s) <= 60 else s[:57] + "..."
