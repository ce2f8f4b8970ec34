"""glamlab db export / import: every table, every type, both stores, nothing lost."""

from __future__ import annotations

import json
import random
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from glamlab.errors import SchemaTooNew
from glamlab.store import Store, now
from glamlab.store import schema as s
from glamlab.store.transfer import TransferError, data_tables, export_store, import_store


def _value(col: sa.Column, i: int, rng: random.Random):
    """A value for any column, by type, so that tables added later are covered too."""
    typ = col.type
    if col.primary_key and isinstance(typ, sa.Integer):
        return 3 * i + 7  # ids with gaps: they must be kept as they are
    if isinstance(typ, sa.Boolean):
        return i % 2 == 0
    if isinstance(typ, sa.Integer):
        return rng.randint(-(2**31), 2**31 - 1)
    if isinstance(typ, sa.Float):
        return rng.choice([rng.random(), -1e-300, 1.5e300, 0.1, 0.0])
    if isinstance(typ, sa.DateTime):
        return datetime(2024, 2, 29, 23, 59, 59, 999999) - timedelta(seconds=i, microseconds=i)
    if isinstance(typ, sa.LargeBinary):
        return bytes([0, 255, 10, 13]) + rng.randbytes(64 + i)  # NULs, newlines, float32 bytes
    if isinstance(typ, sa.JSON):
        return {"n": i, "list": [1, 2.5, None, True, "ü"], "nested": {"é": "日本語 \"q\" \\ /"},
                "empty": {}, "big": 2**53 + 1}
    if isinstance(typ, sa.String | sa.Text):
        limit = getattr(typ, "length", None) or 1000
        return f"{col.name}-{i}-Ünïcödé ‘quote’ \"dq\" \n tab\t😀"[:limit]
    raise AssertionError(f"no test value for {col.table.name}.{col.name} ({typ})")


def fill_every_table(store: Store, rows: int = 25) -> None:
    rng = random.Random(1)
    with store.write() as conn:
        for table in data_tables():
            recs = []
            for i in range(rows):
                rec = {c.name: _value(c, i, rng) for c in table.columns}
                for c in table.columns:
                    if c.nullable and not c.primary_key and i % 5 == 4:
                        rec[c.name] = None  # NULLs survive too
                recs.append(rec)
            conn.execute(table.insert(), recs)


def snapshot(store: Store) -> dict[str, list[dict]]:
    out = {}
    with store.read() as conn:
        for table in data_tables():
            order = list(table.primary_key.columns)
            out[table.name] = [dict(r._mapping)
                               for r in conn.execute(sa.select(table).order_by(*order))]
    return out


def test_sqlite_round_trip_keeps_every_value(tmp_path: Path):
    a = Store(str(tmp_path / "a.db"))
    fill_every_table(a)
    manifest = export_store(a, tmp_path / "dump.zip", card_toml="[project]\ntask = 'x'\n")
    assert set(manifest["tables"]) == {t.name for t in data_tables()}
    assert all(v["rows"] == 25 for v in manifest["tables"].values())
    b = Store(str(tmp_path / "b.db"))
    result = import_store(b, tmp_path / "dump.zip", batch_size=7)  # several batches per table
    assert result["rows"] == 25 * len(data_tables())
    assert snapshot(b) == snapshot(a)
    # the next id follows the imported ones
    with b.write() as conn:
        new = conn.execute(s.audit_log.insert().values(at=now(), actor="t", action="x",
                                                       details={})).inserted_primary_key[0]
    assert new > 3 * 24 + 7
    a.dispose()
    b.dispose()


@pytest.mark.postgres
def test_sqlite_to_postgresql_and_back(tmp_path: Path, pg_db):
    """SQLite -> file -> PostgreSQL -> file -> SQLite, comparing every table each time."""
    first = Store(str(tmp_path / "first.db"))
    fill_every_table(first)
    original = snapshot(first)
    export_store(first, tmp_path / "one.zip")

    pg = Store(pg_db("middle"))
    import_store(pg, tmp_path / "one.zip", batch_size=10)
    assert snapshot(pg) == original
    # PostgreSQL's id sequences were moved past the imported ids
    with pg.write() as conn:
        new_id = conn.execute(s.predictions.insert().values(
            run_id=1, model_id=1, item_id="new", labels=[], scores={},
            created_at=now())).inserted_primary_key[0]
        conn.execute(s.predictions.delete().where(s.predictions.c.id == new_id))
    assert new_id == 3 * 24 + 7 + 1
    export_store(pg, tmp_path / "two.zip", batch_size=10)
    with zipfile.ZipFile(tmp_path / "two.zip") as zf:
        assert json.loads(zf.read("manifest.json"))["source"] == "postgresql"

    last = Store(str(tmp_path / "last.db"))
    import_store(last, tmp_path / "two.zip")
    assert snapshot(last) == original
    for st in (first, pg, last):
        st.dispose()


@pytest.mark.postgres
def test_value_postgresql_cannot_store_is_named_and_nothing_imported(tmp_path: Path, pg_db):
    src = Store(str(tmp_path / "src.db"))
    with src.write() as conn:
        conn.execute(s.audit_log.insert().values(at=now(), actor="a", action="ok", details={}))
        conn.execute(s.items.insert().values(
            item_id="p1", modality="text", source_kind="text", source="f.txt",
            content_hash="0" * 64, text="OCR with a NUL \x00 byte", meta={}, created_at=now()))
    export_store(src, tmp_path / "d.zip")
    pg = Store(pg_db())
    with pytest.raises(TransferError, match=r"table items, rows 1-1 .*nothing was imported"):
        import_store(pg, tmp_path / "d.zip")
    assert all(v == 0 for v in _counts(pg).values())
    src.dispose()
    pg.dispose()


def _counts(store: Store) -> dict[str, int]:
    from glamlab.store.transfer import row_counts

    return row_counts(store)


def test_import_refuses_a_non_empty_database_unless_replace(tmp_path: Path, make_ws):
    src = Store(str(tmp_path / "src.db"))
    fill_every_table(src, rows=3)
    export_store(src, tmp_path / "d.zip")
    target = make_ws().store  # SQLite or PostgreSQL; init wrote an audit row
    with pytest.raises(TransferError, match="not empty: audit_log") as exc:
        import_store(target, tmp_path / "d.zip")
    assert "replace=True" in (exc.value.hint or "")  # Python's words; the CLI: --replace
    import_store(target, tmp_path / "d.zip", replace=True)
    assert snapshot(target) == snapshot(src)
    src.dispose()


def test_damaged_or_foreign_files_are_refused(tmp_path: Path):
    src = Store(str(tmp_path / "src.db"))
    fill_every_table(src, rows=3)
    export_store(src, tmp_path / "d.zip")
    # change one value inside one table file
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(tmp_path / "d.zip") as zin, zipfile.ZipFile(bad, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "tables/labels.jsonl":
                data = data.replace(b"label-1-", b"label-9-", 1)
            zout.writestr(info, data)
    target = Store(str(tmp_path / "t.db"))
    with pytest.raises(TransferError, match="table labels is damaged"):
        import_store(target, bad)
    assert all(v == 0 for v in _counts(target).values())  # one transaction: nothing stays

    (tmp_path / "not.zip").write_text("hello")
    with pytest.raises(TransferError, match="not a glamlab export"):
        import_store(target, tmp_path / "not.zip")
    with pytest.raises(TransferError, match="no export file"):
        import_store(target, tmp_path / "missing.zip")

    future = tmp_path / "future.zip"
    with zipfile.ZipFile(tmp_path / "d.zip") as zin, zipfile.ZipFile(future, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "manifest.json":
                m = json.loads(data)
                m["schema_version"] += 10
                data = json.dumps(m).encode()
            zout.writestr(info, data)
    with pytest.raises(SchemaTooNew):
        import_store(target, future)
    src.dispose()
    target.dispose()


def _as_before_migration_11(dump: Path, out: Path) -> None:
    """``dump`` as a glamlab before migration 11 wrote it: predictions without item_version,
    schema version 10."""
    import hashlib

    with zipfile.ZipFile(dump) as zin, zipfile.ZipFile(out, "w") as zout:
        manifest = json.loads(zin.read("manifest.json"))
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "tables/predictions.jsonl":
                rows = [json.loads(line) for line in data.decode().splitlines()]
                data = "".join(json.dumps({k: v for k, v in r.items() if k != "item_version"},
                                          separators=(",", ":")) + "\n"
                               for r in rows).encode()
                entry = manifest["tables"]["predictions"]
                entry["columns"].remove("item_version")
                entry["sha256"] = hashlib.sha256(data).hexdigest()
            if info.filename != "manifest.json":
                zout.writestr(info, data)
        manifest["schema_version"] = 10
        manifest["migrations"] = manifest["migrations"][:10]
        zout.writestr("manifest.json", json.dumps(manifest))


def test_a_dump_from_before_migration_11_gets_each_predictions_item_version(tmp_path, make_ws):
    """A dump made before predictions.item_version existed was imported with none: those
    predictions were never treated as changed when their item's text changed later. The
    import fills it as the migration does (the version current when each was made)."""
    from glamlab.actions.export import stale_predictions_warning
    from glamlab.inference import run
    from glamlab.predictors.entities.baselines import EntityRulesPredictor
    from glamlab.registry import save_model
    from glamlab.tasks.kinds import prepare_card
    from tests.actions.test_re_ingested_entities import LABELS, RULES, _ingest

    def project(name):
        return make_ws(name, task="ner", kind="entities", modality="text", labels=LABELS,
                       prepare=prepare_card)

    src = tmp_path / "pages.csv"
    old = project("old")
    _ingest(old, src, "M. Durand est à Paris et à Lyon.")
    save_model(old, EntityRulesPredictor(rules=RULES, preset=None).fit([], [], classes=LABELS),
               name="rules")
    assert run(old, "rules", workers=0).done == 2
    export_store(old.store, tmp_path / "now.zip")
    _as_before_migration_11(tmp_path / "now.zip", tmp_path / "old.zip")
    new = project("new")
    done = import_store(new.store, tmp_path / "old.zip", replace=True)
    assert done["from_schema_version"] == 10 and done["tables"]["predictions"] == 2
    with new.store.read() as conn:
        versions = conn.execute(sa.select(s.predictions.c.item_id, s.predictions.c.item_version)
                                .order_by(s.predictions.c.item_id)).all()
    assert [tuple(v) for v in versions] == [("a", 1), ("b", 1)]
    # the text of a changes: its prediction is about the earlier text
    _ingest(new, src, "M. Durand est arrivé à Paris et à Lyon.")
    stale = stale_predictions_warning(new)
    assert stale is not None and stale.startswith("1 item was brought in again"), stale
