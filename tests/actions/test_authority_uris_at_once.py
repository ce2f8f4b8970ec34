"""The W3C and IIIF exports of an entity project ask the URI of each linked record: the
project's authority file is read in one query, not once per distinct record (a large
export on PostgreSQL made a round trip per record)."""

from __future__ import annotations

import sqlalchemy as sa


def _authority(make_ws, tmp_path):  # type: ignore[no-untyped-def]
    from glamlab.linking import import_authority

    ws = make_ws(task="entities", modality="text", labels=["PER", "LOC"])
    names = tmp_path / "names.csv"
    rows = ["id,label,type,uri"]
    for i in range(60):
        uri = f"https://archives.example.org/p/{i}" if i % 3 == 0 else ""
        rows.append(f"{'Q' if i % 2 else 'local-'}{i},Name {i},PER,{uri}")
    names.write_text("\n".join(rows) + "\n", encoding="utf-8")
    import_authority(ws, names)
    return ws


def _expected(i: int) -> str:
    rid = f"{'Q' if i % 2 else 'local-'}{i}"
    return (f"https://archives.example.org/p/{i}" if i % 3 == 0
            else f"urn:glamlab:authority:{rid}")


def test_the_authority_s_uris_are_read_in_one_query(make_ws, tmp_path):
    from glamlab.actions.entity_export import project_authority_uris

    ws = _authority(make_ws, tmp_path)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        if "authorities" in statement:
            statements.append(statement)

    sa.event.listen(ws.store.engine, "before_cursor_execute", count)
    try:
        uri = project_authority_uris(ws)
        got = {i: uri(f"{'Q' if i % 2 else 'local-'}{i}") for i in range(60)}
        unknown = [uri("Q999999"), uri("elsewhere-7")]
    finally:
        sa.event.remove(ws.store.engine, "before_cursor_execute", count)
    assert got == {i: _expected(i) for i in range(60)}
    # an id no record has: Wikidata's for a QID, else a URN (authority_uri)
    assert unknown == ["http://www.wikidata.org/entity/Q999999",
                       "urn:glamlab:authority:elsewhere-7"]
    assert len(statements) <= 2, statements  # the count, then the records: not 60 lookups


def test_a_file_too_large_to_read_at_once_gives_the_same_uris(make_ws, tmp_path, monkeypatch):
    from glamlab.actions import entity_export
    from glamlab.actions.entity_export import project_authority_uris

    ws = _authority(make_ws, tmp_path)
    monkeypatch.setattr(entity_export, "AUTHORITY_URIS_AT_ONCE", 10)
    uri = project_authority_uris(ws)
    assert {i: uri(f"{'Q' if i % 2 else 'local-'}{i}") for i in range(60)} == {
        i: _expected(i) for i in range(60)}
    assert uri("Q999999") == "http://www.wikidata.org/entity/Q999999"
