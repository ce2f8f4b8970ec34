"""glamlab items"""

from __future__ import annotations

from typing import Any

import click

from ._common import emit, emit_json_rows, json_option, open_ws, table


def _parse_where(where: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for w in where:
        if "=" not in w:
            raise click.BadParameter(f"{w!r}: use FIELD=VALUE", param_hint="--where")
        k, v = w.split("=", 1)
        out[k.strip()] = v.strip()
    return out


@click.command()
@click.argument("action", type=click.Choice(["count", "list", "show"]), default="count")
@click.argument("item_id", required=False)
@click.option("--where", multiple=True, help="Filter on metadata: FIELD=VALUE (repeatable).")
@click.option("--limit", type=int, default=20, show_default=True,
              help="Rows to list (0: all of them).")
@click.option("--errors", is_flag=True, help="List the problems found at ingest instead (those "
              "still current: ingesting a source again resolves its earlier problems). "
              "JSON: the item is named under \"item\", as ingest --json does; "
              "\"item_ref\" (the same) goes in the next release.")
@click.option("--resolved", is_flag=True,
              help="With --errors: list the resolved problems too (history).")
@json_option
@click.pass_context
def items(ctx: click.Context, action: str, item_id: str | None, where: tuple[str, ...],
          limit: int, errors: bool, resolved: bool, as_json: bool) -> None:
    """Count, list or show items (ACTION: count, list, show ITEM_ID).

    \b
    Examples:
      glamlab items count --where collection=maps
      glamlab items list --limit 5
      glamlab items show page-0001
      glamlab items --errors
    """
    ws = open_ws(ctx)
    if limit < 0:
        raise click.BadParameter("use a number of rows, or 0 for all of them",
                                 param_hint="--limit")
    if errors:
        rows = ws.ingest_errors(limit=limit + 1 if limit else None, resolved=resolved)
        more = bool(limit) and len(rows) > limit
        rows = rows[:limit] if limit else rows
        if as_json:  # times as runs --json gives them: ISO 8601 saying UTC
            from ..store import utc_iso

            rows = [{**r, "created_at": utc_iso(r.get("created_at")),
                     "resolved_at": utc_iso(r.get("resolved_at"))} for r in rows]
        emit(rows, as_json, lambda r: _problems(r) + (
            f"\n(the newest {limit} shown; --limit 0 lists them all)" if more else ""))
        return
    filt = _parse_where(where)
    if action == "count":
        n = ws.count_items(where=filt)
        emit({"count": n}, as_json, lambda d: f"{d['count']:,} items")
    elif action == "list":
        if as_json:  # every value whole: a script reads the text it stored; streamed
            emit_json_rows(i.to_dict() for i in ws.items(where=filt, limit=limit or None))
            return
        rows = [i.to_dict() for i in ws.items(where=filt, limit=limit or None)]
        for r in rows:
            if r["text"] and len(r["text"]) > 80:
                r["text"] = r["text"][:77] + "..."
        total = ws.count_items(where=filt) if limit and len(rows) == limit else len(rows)
        emit(rows, False, lambda r: table(r, ["id", "modality", "source_kind", "width",
                                              "height", "text"])
             + (f"\n({len(r):,} of {total:,} items shown; --limit 0 lists them all)"
                if total > len(r) else ""))
    else:
        if not item_id:
            raise click.UsageError("glamlab items show needs an ITEM_ID")
        from ..said import said_on_the_command_line
        from ..store import utc_iso

        with said_on_the_command_line():  # an unknown id: glamlab items list
            item = ws.item(item_id)
        data = item.to_dict()
        data["versions"] = [
            {"version": v["version"], "content_hash": v["content_hash"],
             "created_at": utc_iso(v["created_at"]),
             "current": v["is_current"]}
            for v in ws.item_versions(item_id)
        ]
        emit(data, as_json, None)


def _problems(rows: list[dict[str, Any]]) -> str:
    """Each ingest problem in full: where, why, and the whole fix (never cut off)."""
    if not rows:
        return "No ingest problems."
    from ..ingest.base import reason_after

    lines = []
    for r in rows:
        done = f" [resolved {str(r['resolved_at'])[:16]}]" if r.get("resolved_at") else ""
        warned = "warning (the item came in): " if r.get("warning") else ""
        where = r.get("item") or r.get("source")
        lines.append(f"{where}: {warned}{reason_after(where, r['reason'])}{done}")
        if r.get("hint"):
            lines.append(f"  fix: {r['hint']}")
    return "\n".join(lines)
