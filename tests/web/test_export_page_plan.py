"""The Export page counted the items changed since the model predicted them and looked
for ids a spreadsheet would change by reading every current item of the collection, on
every view (half a second for 100,000 items on SQLite, the count alone). Now the count
starts from the items with a version above 1 (``ix_items_version``: an item changed since
it was predicted has had two versions) and the ids are read by how they start (ranges of
``ix_items_current`` on SQLite). Checked on the database's own plan for the statements
the page sends, with the page's words the same (on PostgreSQL, whose planner read the
old count through an index all the same, the count's plan only)."""

from __future__ import annotations

import re
from typing import Any

from .test_export_page import export_client  # noqa: F401  (the fixture)
from .test_index_plans import _plan, _sent


def _every_current_item(ws: Any, plan: str) -> list[str]:
    """The plan's steps that read every current item (or every item): on SQLite a SCAN of
    items, or a SEARCH on ``is_current`` alone; on PostgreSQL a sequential scan of items,
    or an index read of items whose only condition is on ``is_current``."""
    lines = [line.strip().removeprefix("->").strip() for line in plan.splitlines()]
    if ws.store.is_sqlite:
        return [line for line in lines if re.match(r"SCAN items\b", line)
                or re.match(r"SEARCH items .*\(is_current=\?\)$", line)]
    out = []
    for k, line in enumerate(lines):
        if re.match(r"Seq Scan on items\b", line):
            out.append(line)
        elif re.match(r"(Index Scan|Index Only Scan|Bitmap Index Scan) (using|on) ix_items_current",
                      line):
            conds = [d for d in lines[k + 1:k + 3] if d.startswith("Index Cond:")]
            if not conds or "item_id" not in conds[0]:
                out.append(line)
    return out


def test_the_export_page_does_not_read_every_item_for_its_warnings(
        export_client: Any) -> None:  # noqa: F811
    ws, c = export_client
    t = ws.store.t.items
    with ws.store.write() as conn:  # "plain" re-ingested with another image
        conn.execute(ws.store.t.predictions.update().values(item_version=1))  # as a run does
        old = conn.execute(t.select().where(t.c.item_id == "plain")).one()._asdict()
        del old["pk"]
        conn.execute(t.update().where(t.c.item_id == "plain").values(is_current=False))
        conn.execute(t.insert().values({**old, "version": old["version"] + 1,
                                        "uri": "/s/new.jpg", "content_hash": "x" * 64}))

    def wanted(statement: str, params: Any) -> bool:
        return ("predicted_version" in statement and "count(" in statement) or bool(
            re.search(r"SELECT DISTINCT items\.item_id\s+FROM items", statement))

    with _sent(ws, wanted) as seen:
        page = c.get("/stages/export").text
    # what the page says is the same: one item changed, the ids a spreadsheet would change
    stale = page.split('id="export-stale-warning">', 1)[1].split("</p>", 1)[0]
    assert stale.startswith("1 item was brought in again with new text or a new image")
    ids = page.split('id="export-id-warning">', 1)[1].split("</p>", 1)[0]
    assert "1 ids start with = + - or @" in ids and "2 ids look like numbers" in ids
    assert len(seen) == 2, seen  # the count and the ids
    for statement, params in seen:
        if not ws.store.is_sqlite and "DISTINCT" in statement:
            continue  # PostgreSQL's LIKE reads the ids by how they start only in a C collation
        plan = _plan(ws, statement, params)
        assert not _every_current_item(ws, plan), (statement, plan)


def test_a_workspace_from_before_the_version_index_gets_it(make_ws: Any) -> None:
    """Migration 20 adds ``ix_items_version`` to a database made before it."""
    import sqlalchemy as sa

    from glamlab import Workspace
    from glamlab.store import SCHEMA_VERSION
    from glamlab.store import schema as s
    from tests.tasks.helpers import add_items

    ws = make_ws("older", modality="text", labels=["yes", "no"])
    add_items(ws, [{"id": f"t{i}", "text": f"text {i}"} for i in range(5)])
    with ws.store.write() as conn:
        conn.exec_driver_sql('DROP INDEX "ix_items_version"')
        conn.execute(s.schema_migrations.delete().where(s.schema_migrations.c.version >= 20))
    root, url = ws.root, (ws.store.url if not ws.store.is_sqlite else None)
    ws.close()
    again = Workspace.open(root, db=url)
    try:
        assert again.store.schema_version() == SCHEMA_VERSION
        with again.store.read() as conn:
            assert "ix_items_version" in {ix["name"] for ix in sa.inspect(conn).get_indexes("items")}
            assert conn.execute(sa.select(sa.func.count()).select_from(s.items)).scalar() == 5
    finally:
        again.close()
