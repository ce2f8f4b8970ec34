"""The tables of a glamlab workspace, as SQLAlchemy Core metadata.

The same definitions run on SQLite and PostgreSQL: only portable types are used
(:data:`JSON` maps to TEXT on SQLite and ``jsonb`` on PostgreSQL). Migrations in
:mod:`glamlab.store.migrations` create and change these tables; nothing else does.

Times are stored as naive UTC datetimes (see :func:`glamlab.store.now`).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

metadata = sa.MetaData()

# JSON columns: TEXT on SQLite, ``jsonb`` on PostgreSQL (``json`` there has no equality
# operator, so DISTINCT, GROUP BY, UNION or ``=`` on such a column would fail).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

schema_migrations = sa.Table(
    "schema_migrations",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("applied_at", sa.DateTime, nullable=False),
)

# One row per item version. ``is_current`` marks the version in use; older
# versions stay so that nothing is silently overwritten.
items = sa.Table(
    "items",
    metadata,
    sa.Column("pk", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("item_id", sa.String(500), nullable=False),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.Column("is_current", sa.Boolean, nullable=False, default=True),
    sa.Column("modality", sa.String(20), nullable=False),  # image | text | record
    sa.Column("source_kind", sa.String(40), nullable=False),  # folder | iiif | alto | page | text | csv ...
    sa.Column("source", sa.Text, nullable=False),  # the source the item was ingested from
    sa.Column("uri", sa.Text),  # path or URL of the content (image file, image service)
    sa.Column("page", sa.Integer),  # page/frame number within a multi-page file
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("text", sa.Text),
    sa.Column("width", sa.Integer),
    sa.Column("height", sa.Integer),
    sa.Column("meta", JSON, nullable=False, default=dict),
    sa.Column("ingest_id", sa.Integer),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("item_id", "version", name="uq_items_item_version"),
)
sa.Index("ix_items_current", items.c.is_current, items.c.item_id)
sa.Index("ix_items_hash", items.c.content_hash)

ingests = sa.Table(
    "ingests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sources", JSON, nullable=False),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime),
    sa.Column("added", sa.Integer, nullable=False, default=0),
    sa.Column("updated", sa.Integer, nullable=False, default=0),
    sa.Column("unchanged", sa.Integer, nullable=False, default=0),
    sa.Column("failed", sa.Integer, nullable=False, default=0),
)

# Bad input found at ingest: one row per problem, with the fix.
ingest_errors = sa.Table(
    "ingest_errors",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ingest_id", sa.Integer),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("item_ref", sa.Text),  # file, row number, canvas id ...
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("hint", sa.Text),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# Gold labels: one row per (item, label). Multi-label items have several rows.
labels = sa.Table(
    "labels",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("item_id", sa.String(500), nullable=False),
    sa.Column("label", sa.String(200), nullable=False),
    sa.Column("annotator", sa.String(200), nullable=False, default="import"),
    sa.Column("source", sa.Text),  # file name, "web", "review"
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
)
sa.Index("ix_labels_item", labels.c.item_id, labels.c.annotator)

# The split of each labelled item; the test split is frozen once evaluated.
splits = sa.Table(
    "splits",
    metadata,
    sa.Column("item_id", sa.String(500), primary_key=True),
    sa.Column("split", sa.String(10), nullable=False),  # train | test
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# Cached item features (image statistics, thumbnails, embeddings).
features = sa.Table(
    "features",
    metadata,
    sa.Column("item_id", sa.String(500), primary_key=True),
    sa.Column("extractor", sa.String(100), primary_key=True),  # name@version
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("value", sa.LargeBinary, nullable=False),  # float32 array bytes or PNG bytes
    sa.Column("created_at", sa.DateTime, nullable=False),
)

models = sa.Table(
    "models",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("predictor", sa.String(200), nullable=False),
    sa.Column("params", JSON, nullable=False, default=dict),
    sa.Column("path", sa.Text),  # artifact folder, relative to the workspace
    sa.Column("artifacts", JSON, nullable=False, default=dict),  # file -> sha256
    sa.Column("training_fingerprint", sa.String(64)),
    sa.Column("metrics", JSON, nullable=False, default=dict),
    sa.Column("card", JSON, nullable=False, default=dict),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("name", "version", name="uq_models_name_version"),
)

model_aliases = sa.Table(
    "model_aliases",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("alias", sa.String(50), primary_key=True),  # champion | challenger | ...
    sa.Column("model_id", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

evaluations = sa.Table(
    "evaluations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model_id", sa.Integer),  # null for an unsaved baseline
    sa.Column("candidate", sa.String(200), nullable=False),
    sa.Column("test_fingerprint", sa.String(64), nullable=False),
    sa.Column("metric", sa.String(50), nullable=False),
    sa.Column("results", JSON, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model_id", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),  # running | done | stopped | failed
    sa.Column("engine", sa.String(20), nullable=False, default="local"),
    sa.Column("workers", sa.Integer, nullable=False, default=1),
    sa.Column("query", JSON, nullable=False, default=dict),
    sa.Column("planned", sa.Integer, nullable=False, default=0),
    sa.Column("done", sa.Integer, nullable=False, default=0),
    sa.Column("failed", sa.Integer, nullable=False, default=0),
    sa.Column("owner", sa.String(200)),  # host:pid holding the run
    sa.Column("heartbeat_at", sa.DateTime),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime),
)

# One prediction per (model version, item): a resumed run never duplicates.
predictions = sa.Table(
    "predictions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.Integer, nullable=False),
    sa.Column("model_id", sa.Integer, nullable=False),
    sa.Column("item_id", sa.String(500), nullable=False),
    sa.Column("label", sa.String(200)),  # top label (single-label) or null
    sa.Column("labels", JSON, nullable=False),  # predicted labels (list)
    sa.Column("scores", JSON, nullable=False),  # label -> score
    sa.Column("score", sa.Float),  # score of the top label
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("model_id", "item_id", name="uq_predictions_model_item"),
)
sa.Index("ix_predictions_run", predictions.c.run_id)
sa.Index("ix_predictions_item", predictions.c.item_id)  # item pages (migration 2)

run_failures = sa.Table(
    "run_failures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.Integer, nullable=False),
    sa.Column("model_id", sa.Integer, nullable=False),
    sa.Column("item_id", sa.String(500), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# Machine-made metadata written by ``glamlab act``, always with provenance.
machine_metadata = sa.Table(
    "machine_metadata",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("item_id", sa.String(500), nullable=False),
    sa.Column("field", sa.String(200), nullable=False),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("model", sa.String(200), nullable=False),
    sa.Column("model_version", sa.Integer, nullable=False),
    sa.Column("score", sa.Float),
    sa.Column("run_id", sa.Integer),
    sa.Column("prediction_id", sa.Integer),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("confirmed_by", sa.String(200)),
    sa.Column("confirmed_at", sa.DateTime),
)
sa.Index("ix_machine_metadata_item", machine_metadata.c.item_id)

# The human review queue. ``version`` increases on every change so that a
# decision made on a stale view is refused, never lost.
review_queue = sa.Table(
    "review_queue",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("item_id", sa.String(500), nullable=False),
    sa.Column("prediction_id", sa.Integer),
    sa.Column("model_id", sa.Integer),
    sa.Column("label", sa.String(200)),
    sa.Column("score", sa.Float),
    sa.Column("reason", sa.Text),  # why it is in review: threshold, safety rule, label issue
    sa.Column("kind", sa.String(20), nullable=False, default="prediction"),  # prediction | recheck
    sa.Column("status", sa.String(20), nullable=False, default="open"),  # open | decided
    sa.Column("lease_owner", sa.String(200)),
    sa.Column("lease_until", sa.DateTime),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.Column("created_at", sa.DateTime, nullable=False),
)
sa.Index("ix_review_queue_status", review_queue.c.status, review_queue.c.score)
# The web app's queue: filter by predicted label, sorted by score (migration 2).
sa.Index("ix_review_queue_label", review_queue.c.status, review_queue.c.label, review_queue.c.score)

decisions = sa.Table(
    "decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("queue_id", sa.Integer),
    sa.Column("item_id", sa.String(500), nullable=False),
    sa.Column("prediction_id", sa.Integer),
    sa.Column("user", sa.String(200), nullable=False),
    sa.Column("action", sa.String(20), nullable=False),  # accept | reject | correct
    sa.Column("label", sa.String(200)),  # the label the person settled on
    sa.Column("seen_version", sa.Integer),
    sa.Column("created_at", sa.DateTime, nullable=False),
)
sa.Index("ix_decisions_item", decisions.c.item_id)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(100), nullable=False),
    sa.Column("object", sa.Text),
    sa.Column("details", JSON, nullable=False, default=dict),
)
sa.Index("ix_audit_log_actor", audit_log.c.actor, audit_log.c.action)  # undo (migration 2)

users = sa.Table(
    "users",
    metadata,
    sa.Column("username", sa.String(200), primary_key=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("role", sa.String(20), nullable=False),  # admin | reviewer | viewer
    sa.Column("created_at", sa.DateTime, nullable=False),
)

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("signal", sa.String(100), nullable=False),
    sa.Column("window", sa.String(200), nullable=False),
    sa.Column("value", sa.Float),
    sa.Column("threshold", sa.Float),
    sa.Column("details", JSON, nullable=False, default=dict),
)

# Answers of external services by content hash, so a re-run never pays twice.
service_cache = sa.Table(
    "service_cache",
    metadata,
    sa.Column("service", sa.String(200), primary_key=True),
    sa.Column("content_hash", sa.String(64), primary_key=True),
    sa.Column("response", JSON, nullable=False),
    sa.Column("cost", sa.Float, nullable=False, default=0.0),
    sa.Column("created_at", sa.DateTime, nullable=False),
)
