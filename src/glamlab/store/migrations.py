"""Named, versioned migrations.

Each migration is a function ``up(conn)`` registered with :func:`migration`. They
run in version order inside one transaction each, and ``schema_migrations`` records
what ran. A database whose newest applied version is above :data:`LATEST` was
written by a newer glamlab: we refuse to touch it (:class:`SchemaTooNew`).

Rules for writing one:
- never edit a migration that has shipped; add a new one;
- use only portable operations (they run on SQLite and PostgreSQL);
- declare columns with :data:`schema.JSON`, :data:`schema.Int` and :func:`schema.Str`
  rather than ``sa.JSON`` / ``sa.Integer`` / ``sa.String(n)``: they map to ``jsonb``,
  ``bigint`` and ``text`` on PostgreSQL, so a value behaves the same on both stores;
- a migration that adds a column or table must also change :mod:`.schema`, and
  must be idempotent (use :func:`add_column_if_missing` / :func:`create_table_if_missing`),
  because a new database gets the current schema from the initial migration's tables;
- what a migration does to stored rows (filling a new column) must be safe to do again:
  importing an export made by an older schema (:func:`.transfer.import_store`) runs the
  newer migrations again on the imported rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from . import schema


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    up: Callable[[sa.Connection], None]


MIGRATIONS: list[Migration] = []


def migration(version: int, name: str) -> Callable[[Callable[[sa.Connection], None]], Callable]:
    def register(fn: Callable[[sa.Connection], None]) -> Callable[[sa.Connection], None]:
        if any(m.version == version for m in MIGRATIONS):
            raise RuntimeError(f"two migrations share version {version}")
        MIGRATIONS.append(Migration(version, name, fn))
        MIGRATIONS.sort(key=lambda m: m.version)
        return fn

    return register


def create_table_if_missing(conn: sa.Connection, table: sa.Table) -> None:
    table.create(conn, checkfirst=True)
    for index in table.indexes:
        index.create(conn, checkfirst=True)


def add_column_if_missing(conn: sa.Connection, table: str, column: sa.Column) -> None:
    existing = {c["name"] for c in sa.inspect(conn).get_columns(table)}
    if column.name in existing:
        return
    ddl = sa.schema.CreateColumn(column).compile(dialect=conn.dialect)
    conn.exec_driver_sql(f'ALTER TABLE "{table}" ADD COLUMN {ddl}')


INITIAL_TABLES = [
    "items",
    "ingests",
    "ingest_errors",
    "labels",
    "splits",
    "features",
    "models",
    "model_aliases",
    "evaluations",
    "runs",
    "predictions",
    "run_failures",
    "machine_metadata",
    "review_queue",
    "decisions",
    "audit_log",
    "users",
    "alerts",
    "service_cache",
]


@migration(1, "initial")
def _initial(conn: sa.Connection) -> None:
    for name in INITIAL_TABLES:
        create_table_if_missing(conn, schema.metadata.tables[name])


@migration(2, "web_queue_indexes")
def _web_queue_indexes(conn: sa.Connection) -> None:
    """Indexes for the web app: the queue by label and score, predictions and audit by item/actor."""
    for table, name in (("review_queue", "ix_review_queue_label"),
                        ("predictions", "ix_predictions_item"),
                        ("audit_log", "ix_audit_log_actor")):
        index = next(ix for ix in schema.metadata.tables[table].indexes if ix.name == name)
        index.create(conn, checkfirst=True)


@migration(3, "task_kind_values")
def _task_kind_values(conn: sa.Connection) -> None:
    """A JSON ``value`` beside the label of gold labels, queue items and decisions: what a
    task kind needs beyond a label name (an entity span's offsets, a count)."""
    for table in ("labels", "review_queue", "decisions"):
        add_column_if_missing(conn, table, sa.Column("value", schema.JSON_OR_NULL))


@migration(4, "entity_spans_and_authorities")
def _entity_spans_and_authorities(conn: sa.Connection) -> None:
    """Span sets and spans (gold and predicted entities), and authority records."""
    for name in ("span_sets", "spans", "authorities"):
        create_table_if_missing(conn, schema.metadata.tables[name])


@migration(5, "model_items")
def _model_items(conn: sa.Connection) -> None:
    """The ids of the items each model version trained or was calibrated on (so that no
    model is ever scored on an item it learned from)."""
    create_table_if_missing(conn, schema.metadata.tables["model_items"])


@migration(6, "auth_tokens")
def _auth_tokens(conn: sa.Connection) -> None:
    """Sessions and API tokens stored (hashed) with an id, so that each can be listed,
    revoked, expire, and die with its user."""
    create_table_if_missing(conn, schema.metadata.tables["auth_tokens"])


@migration(7, "report_cache")
def _report_cache(conn: sa.Connection) -> None:
    """Stored stage results (monitoring) keyed by what they depend on, so the web app's
    reports render at once instead of recomputing on every request; an index to count the
    gold labels waiting for a re-check among many open predictions."""
    create_table_if_missing(conn, schema.metadata.tables["report_cache"])
    index = next(ix for ix in schema.review_queue.indexes if ix.name == "ix_review_queue_kind")
    index.create(conn, checkfirst=True)


@migration(8, "jobs")
def _jobs(conn: sa.Connection) -> None:
    """Long work started from the web app (evaluate, runs, monitoring), resumable."""
    create_table_if_missing(conn, schema.metadata.tables["jobs"])


@migration(9, "act_indexes")
def _act_indexes(conn: sa.Connection) -> None:
    """Indexes act and the exports read per batch of predictions: the queue and the
    machine metadata by prediction, the queue by item (a candidate still open from an
    earlier prediction). Without them each batch scans the whole queue."""
    for table, name in (("review_queue", "ix_review_queue_prediction"),
                        ("review_queue", "ix_review_queue_item"),
                        ("machine_metadata", "ix_machine_metadata_prediction")):
        index = next(ix for ix in schema.metadata.tables[table].indexes if ix.name == name)
        index.create(conn, checkfirst=True)


@migration(10, "ingest_errors_resolved")
def _ingest_errors_resolved(conn: sa.Connection) -> None:
    """When an ingest problem was resolved: a later ingest of the same source read it
    again (and recorded again whatever is still wrong), so the old row is history."""
    add_column_if_missing(conn, "ingest_errors", sa.Column("resolved_at", sa.DateTime))


@migration(11, "prediction_item_version")
def _prediction_item_version(conn: sa.Connection) -> None:
    """The item version each prediction was made from, so that a run predicts again an
    item whose text or image was re-ingested since. A stored prediction gets the version
    that was current when it was made (the newest one ingested before it)."""
    add_column_if_missing(conn, "predictions", sa.Column("item_version", schema.Int))
    p, i = schema.predictions, schema.items
    conn.execute(p.update().where(p.c.item_version.is_(None)).values(
        item_version=sa.select(sa.func.max(i.c.version))
        .where(i.c.item_id == p.c.item_id, i.c.created_at <= p.c.created_at)
        .scalar_subquery()))


def withdrawn_text_marks(conn: sa.Connection) -> None:
    """Give each "whole text checked" span set its reviewer took back (the audit log's
    ``spans.text_done.undo``) the source that says so, :data:`.queue.SPAN_WITHDRAWN_SOURCE`:
    kept as it was, it still counted as the complete gold a later decision on the text
    builds on."""
    from .queue import SPAN_WHOLE_TEXT_SOURCE, SPAN_WITHDRAWN_SOURCE

    audit, sets = schema.audit_log, schema.span_sets
    ids = sorted({int(d["set_id"]) for d in conn.execute(
        sa.select(audit.c.details).where(audit.c.action == "spans.text_done.undo")).scalars()
        if isinstance(d, dict) and isinstance(d.get("set_id"), int)})
    for i in range(0, len(ids), 900):
        conn.execute(sets.update().where(
            sets.c.id.in_(ids[i:i + 900]), sets.c.active.is_(False),
            sets.c.source == SPAN_WHOLE_TEXT_SOURCE).values(source=SPAN_WITHDRAWN_SOURCE))


@migration(12, "withdrawn_text_marks")
def _withdrawn_text_marks(conn: sa.Connection) -> None:
    """A "whole text checked" mark taken back says so (:func:`withdrawn_text_marks`)."""
    withdrawn_text_marks(conn)



def span_set_versions(conn: sa.Connection) -> None:
    """Give each span set without one the item version whose text its offsets index: the
    newest version of the item whose text has the set's ``text_hash`` (none: the text it
    was made on is not in the store, and the set fits no text of the item)."""
    import hashlib

    sets, items = schema.span_sets, schema.items
    ids = sorted(set(conn.execute(sa.select(sets.c.item_id).where(
        sets.c.item_id.is_not(None), sets.c.item_version.is_(None))).scalars()))
    for i in range(0, len(ids), 500):
        chunk = ids[i:i + 500]
        version: dict[tuple[str, str], int] = {}
        for r in conn.execute(sa.select(items.c.item_id, items.c.version, items.c.text)
                              .where(items.c.item_id.in_(chunk), items.c.text.is_not(None))
                              .order_by(items.c.version)):
            digest = hashlib.sha256(r.text.encode("utf-8")).hexdigest()
            version[(r.item_id, digest)] = int(r.version)  # the newest one wins
        for r in conn.execute(sa.select(sets.c.id, sets.c.item_id, sets.c.text_hash).where(
                sets.c.item_id.in_(chunk), sets.c.item_version.is_(None))).all():
            found = version.get((r.item_id, r.text_hash))
            if found is not None:
                conn.execute(sets.update().where(sets.c.id == r.id).values(item_version=found))


@migration(13, "span_set_item_version")
def _span_set_item_version(conn: sa.Connection) -> None:
    """The item version each span set was made on, so that gold spans made before a text
    was re-ingested with other words neither train nor settle the new text's spans."""
    add_column_if_missing(conn, "span_sets", sa.Column("item_version", schema.Int))
    span_set_versions(conn)


@migration(14, "label_source_and_audit_action_indexes")
def _label_source_and_audit_action_indexes(conn: sa.Connection) -> None:
    """Indexes for the web pages a large collection made slow: the labels of one source
    (the second labeller's, which the Labelling page's "Labels to settle" reads after
    every label) and the audit log by action (whether the policy was ever applied, which
    the empty review queue's page asks). Without them each view scans the whole table."""
    for table, name in (("labels", "ix_labels_source"),
                        ("audit_log", "ix_audit_log_action")):
        index = next(ix for ix in schema.metadata.tables[table].indexes if ix.name == name)
        index.create(conn, checkfirst=True)


@migration(15, "model_in_use_marker")
def _model_in_use_marker(conn: sa.Connection) -> None:
    """Mark the model in use in a project that has champions but no ``in-use`` marker
    (none chosen by the evaluate verdict or a person yet): the champion marked most
    recently, the one glamlab run, act and export used. From now on a later name's first
    champion no longer takes over (:func:`glamlab.registry.models.champion`). Safe to
    run again: a marker that exists is left as it is."""
    a = schema.model_aliases
    if conn.execute(sa.select(a.c.name).where(a.c.alias == "in-use").limit(1)).first():
        return
    latest = conn.execute(sa.select(a.c.name, a.c.model_id).where(a.c.alias == "champion")
                          .order_by(a.c.updated_at.desc(), a.c.name).limit(1)).first()
    if latest is not None:
        from .engine import now

        conn.execute(a.insert().values(name=latest.name, alias="in-use",
                                       model_id=latest.model_id, updated_at=now()))


@migration(16, "spans_layer_index")
def _spans_layer_index(conn: sa.Connection) -> None:
    """An index on the spans' layer: adding an entity of a layer other than the main and
    HIPE's ones (one an imported file brought) checks that the project's spans have it
    (:func:`glamlab.tasks.spans.complete.layer_known`); without the index that reads the
    whole spans table, millions of rows in a large collection, for each entity added."""
    index = next(ix for ix in schema.spans.indexes if ix.name == "ix_spans_layer")
    index.create(conn, checkfirst=True)


@migration(17, "machine_metadata_overruled")
def _machine_metadata_overruled(conn: sa.Connection) -> None:
    """``machine_metadata.overruled_by`` and ``overruled_at``: a value act wrote that a
    person's gold label given since overrules is marked, not deleted (the next
    ``glamlab act`` marks it). Empty in the rows already there: the next act marks
    those a person's label overrules."""
    for name in ("overruled_by", "overruled_at"):
        column = schema.machine_metadata.c[name]
        add_column_if_missing(conn, "machine_metadata",
                              sa.Column(name, column.type, nullable=True))


@migration(18, "ingest_errors_warning")
def _ingest_errors_warning(conn: sa.Connection) -> None:
    """``ingest_errors.warning``: a warning (the item came in all the same: an OCR page
    whose named image is not there, stored as text only) is told apart from a failure,
    so ``glamlab status`` does not count it as an ingest problem. The warnings stored
    before are found by the words the ingest gave them (safe to run again)."""
    add_column_if_missing(conn, "ingest_errors", sa.Column("warning", sa.Boolean))
    e = schema.ingest_errors
    conn.execute(e.update().where(
        e.c.reason.like("%: the page image it names, % is not there (looked for beside %"),
        e.c.reason.like("%; the page was stored as text only")).values(warning=True))


def items_meta_without_nan(conn: sa.Connection, *, batch: int = 500) -> int:
    """Rewrite the items' metadata that holds a NaN or infinity, written by a glamlab
    that stored pandas' empty cell as Python's ``NaN`` (not JSON: SQLite's JSON
    functions fail with "malformed JSON" on every trend and every filter over the
    items' fields), with null in its place, as ingest now stores it. Every version of an
    item is rewritten; nothing else changes (not the item's content hash, so a later
    ingest of the same file finds it unchanged). Returns how many items (ids) changed,
    and says so in a warning and an audit entry. Safe to run again (it then finds none).

    PostgreSQL's ``jsonb`` never held such a value (it refused the row), so only SQLite
    rows can hold one; the query is the same on both."""
    import json

    from .jsontext import made_finite

    items = schema.items
    text = sa.cast(items.c.meta, sa.Text)
    # the candidates: JSON text with NaN or Infinity in it (case-sensitive on both
    # stores, unlike SQLite's LIKE), each parsed to tell a number from a word in a string
    found = ((sa.func.instr(text, "NaN") > 0) | (sa.func.instr(text, "Infinity") > 0)
             if conn.dialect.name == "sqlite"
             else text.like("%NaN%") | text.like("%Infinity%"))
    last, changed, ids = 0, 0, set()
    while True:
        rows = conn.execute(sa.select(items.c.pk, items.c.item_id, text.label("meta"))
                            .where(items.c.pk > last, found).order_by(items.c.pk)
                            .limit(batch)).all()
        if not rows:
            break
        last = rows[-1].pk
        for r in rows:
            meta, nan = made_finite(json.loads(r.meta))
            if nan:
                conn.execute(items.update().where(items.c.pk == r.pk).values(meta=meta))
                changed += 1
                ids.add(r.item_id)
    if ids:
        import logging

        from .engine import now

        shown = sorted(ids)
        logging.getLogger(__name__).warning(
            "upgrading the workspace database: the metadata of %d item%s held NaN or "
            "Infinity (an empty cell, as an older glamlab stored it), which is not JSON and "
            "stopped trends and filters on the items' fields; now stored as no value "
            "(null), as ingest stores it today: %s%s",
            len(ids), "" if len(ids) == 1 else "s",
            ", ".join(shown[:10]), f" and {len(ids) - 10} more" if len(ids) > 10 else "")
        conn.execute(schema.audit_log.insert().values(
            at=now(), actor="glamlab", action="items.meta_nan_to_null", object=None,
            details={"items": len(ids), "versions": changed, "item_ids": shown[:100]}))
    return len(ids)


@migration(19, "items_meta_without_nan")
def _items_meta_without_nan(conn: sa.Connection) -> None:
    """A NaN or infinity in the items' metadata becomes null
    (:func:`items_meta_without_nan`)."""
    items_meta_without_nan(conn)


@migration(20, "items_version_index")
def _items_version_index(conn: sa.Connection) -> None:
    """An index of the items by version: the Export page counts the items brought in
    again since the model predicted them from the versions above 1 alone, not by looking
    at every item of the collection on every view."""
    index = next(ix for ix in schema.items.indexes if ix.name == "ix_items_version")
    index.create(conn, checkfirst=True)


@migration(21, "decisions_source")
def _decisions_source(conn: sa.Connection) -> None:
    """``decisions.source``: the file a decision was brought in from (``glamlab review
    import``: its name and the sha256 of its bytes), so each decision says which file
    gave it. Empty in the rows already there (their file was not kept: the audit log's
    ``review.import`` entry names it, with counts only)."""
    add_column_if_missing(conn, "decisions", sa.Column("source", schema.JSON_OR_NULL))


# Import-time registration of later migrations goes here, e.g.
# @migration(2, "add_runs_note")
# def _add_runs_note(conn): add_column_if_missing(conn, "runs", sa.Column("note", sa.Text))


def latest() -> int:
    return MIGRATIONS[-1].version if MIGRATIONS else 0


LATEST = latest()
