from __future__ import annotations

import pytest
import sqlalchemy as sa

from glamlab.errors import SchemaTooNew, WorkspaceError
from glamlab.store import SCHEMA_VERSION, Store, now
from glamlab.store import schema as s
from glamlab.workspace import Workspace


def test_init_creates_card_and_migrated_db(make_ws):
    ws = make_ws(labels=["blank", "content"])
    assert (ws.root / "glamlab.toml").exists()
    assert ws.store.schema_version() == SCHEMA_VERSION
    with ws.store.read() as conn:
        names = set(sa.inspect(conn).get_table_names())
    assert {"items", "labels", "predictions", "decisions", "audit_log"} <= names


def test_sqlite_is_wal(tmp_path):
    store = Store(str(tmp_path / "x.db"))
    assert store.is_sqlite  # a file path is always SQLite, also in the PostgreSQL pass
    with store.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    store.dispose()


def test_schema_newer_than_code_is_refused(make_ws):
    ws = make_ws()
    with ws.store.write() as conn:
        conn.execute(s.schema_migrations.insert().values(
            version=SCHEMA_VERSION + 5, name="from_the_future", applied_at=now()))
    with pytest.raises(SchemaTooNew) as exc:
        Workspace.open(ws.root, db=ws.store.url if not ws.store.is_sqlite else None)
    assert exc.value.hint and "upgrade" in exc.value.hint


def test_open_missing_workspace(tmp_path):
    with pytest.raises(WorkspaceError):
        Workspace.open(tmp_path / "nowhere")


def test_init_twice_refused(make_ws):
    ws = make_ws()
    with pytest.raises(WorkspaceError):
        Workspace.init(ws.root, task="x", modality="image", labels=["a", "b"])


def test_readers_not_blocked_by_writer(make_ws):
    ws = make_ws()
    with ws.store.write() as w:
        w.execute(s.audit_log.insert().values(at=now(), actor="t", action="x", details={}))
        # a reader in the same process sees the committed state, without waiting
        with ws.store.read() as r:
            assert r.execute(sa.select(sa.func.count()).select_from(s.audit_log)).scalar() >= 1


def test_same_limits_on_both_stores(make_ws):
    """Values SQLite takes must fit PostgreSQL too: 64-bit integers, long text, JSON that
    is compared, grouped and filtered."""
    ws = make_ws()
    big = 2**40
    with ws.store.write() as conn:
        for i in range(3):
            conn.execute(s.items.insert().values(
                item_id="x" * 600 + str(i), modality="text", source_kind="text", source="s",
                content_hash="0" * 64, width=big, meta={"shelf": "A" if i else "B", "n": [i]},
                created_at=now()))
        conn.execute(s.labels.insert().values(item_id="x", label="l" * 300, created_at=now()))
        conn.execute(s.review_queue.insert().values(id=big, item_id="x", created_at=now()))
    with ws.store.read() as conn:
        assert conn.execute(sa.select(s.review_queue.c.id).where(
            s.review_queue.c.id == big)).scalar_one() == big
        # DISTINCT / GROUP BY on a JSON column (json has no equality operator on PostgreSQL)
        metas = conn.execute(sa.select(s.items.c.meta).distinct()).scalars().all()
        assert len(metas) == 3
        # one expression object in SELECT and GROUP BY: two separate meta["shelf"] would be
        # two bind parameters, which PostgreSQL cannot tell are the same expression
        shelf = s.items.c.meta["shelf"].as_string().label("shelf")
        groups = conn.execute(sa.select(shelf, sa.func.count()).group_by(shelf)).all()
        assert sorted(groups) == [("A", 2), ("B", 1)]
        # a key lookup larger than a 32-bit integer is just "not found"
        assert conn.execute(sa.select(s.runs).where(s.runs.c.id == 2**33)).first() is None
    assert ws.count_items(where={"shelf": "A"}) == 2


def test_a_filter_on_a_number_in_the_metadata_matches_on_both_stores(make_ws):
    """``--where year=1877`` (the web Trends filter too) finds items whose metadata holds
    the number 1877 and those holding the text "1877", on SQLite as on PostgreSQL."""
    ws = make_ws()
    with ws.store.write() as conn:
        for i, year in enumerate([1877, "1877", 1878, None]):
            conn.execute(s.items.insert().values(
                item_id=f"i{i}", modality="text", source_kind="text", source="s",
                content_hash="0" * 64, meta={"year": year, "title": "Le Temps"},
                created_at=now()))
    assert ws.count_items(where={"year": "1877"}) == 2
    assert ws.count_items(where={"year": 1877}) == 2
    assert ws.count_items(where={"year": "1878"}) == 1
    assert ws.count_items(where={"title": "Le Temps"}) == 4


@pytest.mark.postgres
def test_a_deadlocked_transaction_is_run_again(pg_db):
    """Two writers lock two rows in opposite orders: PostgreSQL aborts one of them
    (deadlock_detected) and Store.transaction runs it again; both changes land."""
    import threading

    store = Store(pg_db())
    with store.write() as conn:
        conn.execute(s.review_queue.insert(), [
            {"id": i, "item_id": f"i{i}", "created_at": now()} for i in (1, 2)])
    barrier = threading.Barrier(2, timeout=30)
    tries = {"a": 0, "b": 0}
    errors: list[BaseException] = []

    def bump(name: str, first: int, second: int) -> None:
        def work(conn: sa.Connection) -> None:
            tries[name] += 1
            q = s.review_queue
            conn.execute(q.update().where(q.c.id == first).values(version=q.c.version + 1))
            if tries[name] == 1:
                barrier.wait()  # both hold their first row now
            conn.execute(q.update().where(q.c.id == second).values(version=q.c.version + 1))

        try:
            store.transaction(work)
        except BaseException as exc:  # noqa: BLE001 - checked below
            errors.append(exc)

    threads = [threading.Thread(target=bump, args=("a", 1, 2)),
               threading.Thread(target=bump, args=("b", 2, 1))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, errors
    assert sorted(tries.values()) == [1, 2]  # one of them was aborted and ran again
    with store.read() as conn:
        assert conn.execute(sa.select(s.review_queue.c.version)).scalars().all() == [3, 3]
    store.dispose()


def test_labels_may_hold_commas_but_not_bars(make_ws):
    from glamlab.errors import ConfigError

    ws = make_ws(labels=["people", "emotions, concepts and ideas"], multi_label=True)
    assert Workspace.open(ws.root, db=None if ws.store.is_sqlite else ws.store.url
                          ).card.labels[1] == "emotions, concepts and ideas"
    with pytest.raises(ConfigError):
        make_ws("bad", labels=["a|b", "c"])


def test_cli_labels_split_on_bar_when_present(tmp_path):
    from click.testing import CliRunner

    from glamlab.cli import cli

    r = CliRunner().invoke(cli, ["-w", str(tmp_path / "w"), "init", "--task", "s", "--modality",
                                 "text", "--multi-label", "--labels",
                                 "people|emotions, concepts and ideas"])
    assert r.exit_code == 0, r.output
    ws = Workspace.open(tmp_path / "w")
    assert ws.card.labels == ["people", "emotions, concepts and ideas"]
    ws.close()


def test_a_workspace_from_before_task_kind_values_gets_them(make_ws):
    """Migration 3 adds the JSON ``value`` beside the label of gold labels, queue items and
    decisions to a database made before it; the card gains ``[task] kind``."""
    ws = make_ws(labels=["blank", "content"])
    tables = ("labels", "review_queue", "decisions")
    with ws.store.write() as conn:
        for table in tables:
            conn.exec_driver_sql(f'ALTER TABLE "{table}" DROP COLUMN value')
        # as a database written before migration 3 (and any later one) ran
        conn.execute(s.schema_migrations.delete().where(s.schema_migrations.c.version >= 3))
    root, url = ws.root, (ws.store.url if not ws.store.is_sqlite else None)
    ws.close()
    card = (root / "glamlab.toml").read_text()
    assert '[task]\nkind = "single-label"\n' in card
    (root / "glamlab.toml").write_text(card.replace('[task]\nkind = "single-label"\n', ""))
    again = Workspace.open(root, db=url)
    try:
        assert again.store.schema_version() == SCHEMA_VERSION
        with again.store.read() as conn:
            for table in tables:
                assert "value" in {c["name"] for c in sa.inspect(conn).get_columns(table)}
        assert again.card.kind == "single-label"  # derived from multi_label = false
    finally:
        again.close()
