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
# Optional JSON values: None is SQL NULL (not the JSON value null).
JSON_OR_NULL = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True),
                                                       "postgresql")
# Integers: SQLite's INTEGER is 64-bit, PostgreSQL's ``integer`` 32-bit; ``bigint`` there
# keeps the same range on both (a primary key stays SQLite's rowid, ``bigserial`` on PG).
Int = sa.Integer().with_variant(sa.BigInteger(), "postgresql")


def Str(length: int) -> sa.types.TypeEngine[str]:  # noqa: N802 - reads like a type
    """Text of a documented size. SQLite never enforces a VARCHAR length, so PostgreSQL
    stores ``text`` too: a long label or item id behaves the same on both stores."""
    return sa.String(length).with_variant(sa.Text(), "postgresql")

schema_migrations = sa.Table(
    "schema_migrations",
    metadata,
    sa.Column("version", Int, primary_key=True, autoincrement=False),
    sa.Column("name", Str(200), nullable=False),
    sa.Column("applied_at", sa.DateTime, nullable=False),
)

# One row per item version. ``is_current`` marks the version in use; older
# versions stay so that nothing is silently overwritten.
items = sa.Table(
    "items",
    metadata,
    sa.Column("pk", Int, primary_key=True, autoincrement=True),
    sa.Column("item_id", Str(500), nullable=False),
    sa.Column("version", Int, nullable=False, default=1),
    sa.Column("is_current", sa.Boolean, nullable=False, default=True),
    sa.Column("modality", Str(20), nullable=False),  # image | text | record
    sa.Column("source_kind", Str(40), nullable=False),  # folder | iiif | alto | page | text | csv ...
    sa.Column("source", sa.Text, nullable=False),  # the source the item was ingested from
    sa.Column("uri", sa.Text),  # path or URL of the content (image file, image service)
    sa.Column("page", Int),  # page/frame number within a multi-page file
    sa.Column("content_hash", Str(64), nullable=False),
    sa.Column("text", sa.Text),
    sa.Column("width", Int),
    sa.Column("height", Int),
    sa.Column("meta", JSON, nullable=False, default=dict),
    sa.Column("ingest_id", Int),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("item_id", "version", name="uq_items_item_version"),
)
sa.Index("ix_items_current", items.c.is_current, items.c.item_id)
sa.Index("ix_items_hash", items.c.content_hash)
# the items re-ingested at least once (a version above 1), which the Export page's count of
# items changed since the model predicted them starts from (migration 20)
sa.Index("ix_items_version", items.c.version, items.c.item_id)


def current_newest_first(t: sa.Table | None = None) -> sa.ColumnElement[bool]:
    """``is_current``, for a query of the newest current items (ordered by ``pk``, with a
    LIMIT): written so that the database reads the primary key from its end and stops
    at the limit. Plain ``is_current IS 1`` made SQLite read every current item through
    ``ix_items_current`` and sort them all (a fifth of a second for 100,000 items on every
    Export page); the column in an expression keeps that index out of it."""
    t = items if t is None else t
    return sa.func.coalesce(t.c.is_current, sa.false()).is_(True)

ingests = sa.Table(
    "ingests",
    metadata,
    sa.Column("id", Int, primary_key=True, autoincrement=True),
    sa.Column("sources", JSON, nullable=False),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime),
    sa.Column("added", Int, nullable=False, default=0),
    sa.Column("updated", Int, nullable=False, default=0),
    sa.Column("unchanged", Int, nullable=False, default=0),
    sa.Column("failed", Int, nullable=False, default=0),
)

# Bad input found at ingest: one row per problem, with the fix.
ingest_errors = sa.Table(
    "ingest_errors",
    metadata,
    sa.Column("id", Int, primary_key=True, autoincrement=True),
    sa.Column("ingest_id", Int),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("item_ref", sa.Text),  # file, row number, canvas id ...
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("hint", sa.Text),
    sa.Column("created_at", sa.DateTime, nullable=False),
    # set when a later ingest read the same source again (and found again whatever is
    # still wrong): the problem is history, no longer counted or listed (migration 10)
    sa.Column("resolved_at", sa.DateTime),
    # a warning, not a failure: the item came in all the same (an OCR page whose named
    # image is not there, stored as text only); counted apart by glamlab status
    # (migration 18; NULL in rows from before it that were not warnings)
    sa.Column("warning", sa.Boolean, default=False),
)

# Gold labels: one row per (item, label). Multi-label items have several rows.
labels = sa.Table(
    "labels",
    metadata,
    sa.Column("id", Int, primary_key=True, autoincrement=True),
    sa.Column("item_id", Str(500), nullable=False),
    sa.Column("label", Str(200), nullable=False),
    sa.Column("value", JSON_OR_NULL),  # beyond a label name (a span), by the task kind (m. 3)
    sa.Column("annotator", Str(200), nullable=False, default="import"),
    sa.Column("source", sa.Text),  # file name, "web", "review"
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
)
sa.Index("ix_labels_item", labels.c.item_id, labels.c.annotator)
# the labels of one source: a second labeller's (the Labelling page's "Labels to settle"),
# those from review (migration 14)
sa.Index("ix_labels_source", labels.c.source, labels.c.item_id)

# The split of each labelled item; the test split is frozen once evaluated.
splits = sa.Table(
    "splits",
    metadata,
    sa.Column("item_id", Str(500), primary_key=True),
    sa.Column("split", Str(20), nullable=False),  # train | calibration | test
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# Cached item features (image statistics, thumbnails, embeddings).
features = sa.Table(
    "features",
    metadata,
    sa.Column("item_id", Str(500), primary_key=True),
    sa.Column("extractor", Str(100), primary_key=True),  # name@version
    sa.Column("content_hash", Str(64), nullable=False),
    sa.Column("value", sa.LargeBinary, nullable=False),  # float32 array bytes or PNG bytes
    sa.Column("created_at", sa.DateTime, nullable=False),
)

models = sa.Table(
    "models",
    metadata,
    sa.Column("id", Int, primary_key=True, autoincrement=True),
    sa.Column("name", Str(200), nullable=False),
    sa.Column("version", Int, nullable=False),
    sa.Column("predictor", Str(200), nullable=False),
    sa.Column("params", JSON, nullable=False, default=dict),
    sa.Column("path", sa.Text),  # artifact folder, relative to the workspace
    sa.Column("artifacts", JSON, nullable=False, default=dict),  # file -> sha256
    sa.Column("training_fingerprint", Str(64)),
    sa.Column("metrics", JSON, nullable=False, default=dict),
    sa.Column("card", JSON, nullable=False, default=dict),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("name", "version", name="uq_models_name_version"),
)

# The items a model version learned from (role "train") or was tuned on ("calibration"):
# what the no-overlap checks compare with the test split.
model_items = sa.Table(
    "model_items",
    metadata,
    sa.Column("model_id", Int, primary_key=True, autoincrement=False),
    sa.Column("item_id", Str(500), primary_key=True),
    sa.Column("role", Str(20), primary_key=True),  # train | calibration
    sa.Index("ix_model_items_item", "item_id"),
)

model_aliases = sa.Table(
    "model_aliases",
    metadata,
    sa.Column("name", Str(200), primary_key=True),
    sa.Column("alias", Str(50), primary_key=True),  # champion | challenger | ...
    sa.Column("model_id", Int, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

evaluations = sa.Table(
    "evaluations",
    metadata,
    sa.Column("id", Int, primary_key=True, autoincrement=True),
    sa.Column("model_id", Int),  # null for an unsaved baseline
    sa.Column("candidate", Str(200), nullable=False),
    sa.Column("test_fingerprint", Str(64), nullable=False),
    sa.Column("metric", Str(50), nullable=False),
    sa.Column("results", JSON, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", Int, primary_key=True, autoincrement=True),
    sa.Column("model_id", Int, nullable=False),
    sa.Column("status", Str(20), nullable=False),  # running | done | stopped | failed
    sa.Column("engine", Str(20), nullable=False, default="local"),
    sa.Column("workers", Int, nullable=False, default=1),
    sa.Column("query", JSON, nullable=False, default=dict),
    sa.Column("planned", Int, nullable=False, default=0),
    sa.Column("done", Int, nullable=False, default=0),
    sa.Column("failed", Int, nullable=False, default=0),
    sa.Column("owner", Str(200)),  # host:pid holding the run
    sa.Column("heartbeat_at", sa.DateTime),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("finished_at", sa.DateTime),
)

# One prediction per (model version, item): a resumed run never duplicates.
predictions = sa.Table(
    "predictions",
    metadata,
    sa.Column("id", Int, primary_key=True, autoincrement=True),
    sa.Column("run_id", Int, nullable=False),
    sa.Column("model_id", Int, nullable=False),
    sa.Column("item_id", Str(500), nullable=False),
    sa.Column("label", Str(200)),  # top label (single-label) or null
    sa.Column("labels", JSON, nullable=False),  # predicted labels (list)
    sa.Column("scores", JSON, nullable=False),  # label -> score
    sa.Column("score", sa.Float),  # score of the top label
    sa.Column("created_at", sa.DateTime, nullable=False),
    # the item version (``items.version``) the model saw (migration 11): a run predicts
    # an item again when the text or image of its current version differs from it
    sa.Column("item_version", Int),
    sa.UniqueConstraint("model_id", "item_id", name="uq_predictions_model_item"),
)
sa.Index("ix_predictions_run", predictions.c.run_id)
sa.Index("ix_predictions_item", predictions.c.item_id)  # item pages (migration 2)

run_failures = sa.Table(
    "run_failures",
    metadata,
    sa.Column("id", Int, primary_key=True, autoincrement=True),
    sa.Column("run_id", Int, nullable=False),
    sa.Column("model_id", Int, nullable=False),
    sa.Column("item_id", Str(500), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# Machine-made metadata written by ``glamlab act``, always with provenance.
machine_metadata = sa.Table(
    "machine_metadata",
    metadata,
    sa.Column("id", Int, primary_key=True, autoincrement=True),
    sa.Column("item_id", Str(500), nullable=False),
    sa.Column("field", Str(200), nullable=False),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("model", Str(200), nullable=False),
    sa.Column("model_version", Int, nullable=False),
    sa.Column("score", sa.Float),
    sa.Column("run_id", Int),
    sa.Column("prediction_id", Int),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("confirmed_by", Str(200)),
    sa.Column("confirmed_at", sa.DateTime),
    # a value act wrote that a person's gold label given since overrules: kept (people's
    # and the machine's history is never deleted), marked by the next act with who gave
    # the gold and when it marked it; no longer the item's value (migration 17)
    sa.Column("overruled_by", Str(200)),
    sa.Column("overruled_at", sa.DateTime),
)
sa.Index("ix_machine_metadata_item", machine_metadata.c.item_id)
# What act already wrote for a batch of predictions (migration 9).
sa.Index("ix_machine_metadata_prediction", machine_metadata.c.prediction_id)

QUEUE_SUPERSEDED = "superseded"

# The human review queue. ``version`` increases on every change so that a
# decision made on a stale view is refused, never lost.
review_queue = sa.Table(
    "review_queue",
    metadata,
    sa.Column("id", Int, primary_key=True, autoincrement=True),
    sa.Column("item_id", Str(500), nullable=False),
    sa.Column("prediction_id", Int),
    sa.Column("model_id", Int),
    sa.Column("label", Str(200)),
    sa.Column("value", JSON_OR_NULL),  # the candidate's value, by the task kind (migration 3)
    sa.Column("score", sa.Float),
    sa.Column("reason", sa.Text),  # why it is in review: threshold, safety rule, label issue
    sa.Column("kind", Str(20), nullable=False, default="prediction"),  # prediction | recheck
    # open | decided | superseded (QUEUE_SUPERSEDED: asked about an earlier prediction
    # of the item, withdrawn when act applied the model that runs now, or when a run
    # predicted the item again because its text or image changed)
    sa.Column("status", Str(20), nullable=False, default="open"),
    sa.Column("lease_owner", Str(200)),
    sa.Column("lease_until", sa.DateTime),
    sa.Column("version", Int, nullable=False, default=1),
    sa.Column("created_at", sa.DateTime, nullable=False),
)
sa.Index("ix_review_queue_status", review_queue.c.status, review_queue.c.score)
# The web app's queue: filter by predicted label, sorted by score (migration 2).
sa.Index("ix_review_queue_label", review_queue.c.status, review_queue.c.label, review_queue.c.score)
# Rechecks among many open predictions, counted for the reports page (migration 5).
sa.Index("ix_review_queue_kind", review_queue.c.kind, review_queue.c.status)
# What act already queued for a batch of predictions or items, and the people's decisions
# on an item's earlier predictions (migration 9): without them, a scan of the queue per batch.
sa.Index("ix_review_queue_prediction", review_queue.c.prediction_id)
sa.Index("ix_review_queue_item", review_queue.c.item_id, review_queue.c.kind, review_queue.c.status)

decisions = sa.Table(
    "decisions",
    metadata,
    sa.Column("id", Int, primary_key=True, autoincrement=True),
    sa.Column("queue_id", Int),
    sa.Column("item_id", Str(500), nullable=False),
    sa.Column("prediction_id", Int),
    sa.Column("user", Str(200), nullable=False),
    sa.Column("action", Str(20), nullable=False),  # accept | reject | correct
    sa.Column("label", Str(200)),  # the label the person settled on
    sa.Column("value", JSON_OR_NULL),  # and its value, by the task kind (migration 3)
    sa.Column("seen_version", Int),
    sa.Column("created_at", sa.DateTime, nullable=False),
    # where the decision came from, beyond its person: a file brought in with
    # ``glamlab review import`` ({"file": its name, "sha256": of its bytes}, migration
    # 21), the web app's pages ({"via": "web queue"}) or its JSON API ({"via": "api"});
    # empty for a decision recorded before glamlab kept it
    sa.Column("source", JSON_OR_NULL),
)
sa.Index("ix_decisions_item", decisions.c.item_id)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", Int, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("actor", Str(200), nullable=False),
    sa.Column("action", Str(100), nullable=False),
    sa.Column("object", sa.Text),
    sa.Column("details", JSON, nullable=False, default=dict),
)
sa.Index("ix_audit_log_actor", audit_log.c.actor, audit_log.c.action)  # undo (migration 2)
# the newest entry of one action (has the policy been applied? the test split's freeze),
# without reading the whole log (migration 14)
sa.Index("ix_audit_log_action", audit_log.c.action, audit_log.c.id)

users = sa.Table(
    "users",
    metadata,
    sa.Column("username", Str(200), primary_key=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("role", Str(20), nullable=False),  # admin | reviewer | viewer
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# Sessions and API tokens (migration 4): the token's secret is stored only as a SHA-256
# hash; a row is revoked (logout, password change, ``glamlab users revoke``), expires, or
# goes with its user.
auth_tokens = sa.Table(
    "auth_tokens",
    metadata,
    sa.Column("id", Str(32), primary_key=True),
    sa.Column("kind", Str(20), nullable=False),  # api | session
    sa.Column("username", Str(200), nullable=False),
    sa.Column("secret_hash", Str(64), nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
    sa.Column("last_used_at", sa.DateTime),
    sa.Column("revoked_at", sa.DateTime),
)
sa.Index("ix_auth_tokens_user", auth_tokens.c.username, auth_tokens.c.kind)

# Stage results kept for pages to show at once (migration 5): one row per name (e.g.
# ``monitor:NAME@VERSION``), with the key of what it was computed from; a page shows the
# stored result and recomputes in the background when the key no longer matches.
report_cache = sa.Table(
    "report_cache",
    metadata,
    sa.Column("name", Str(200), primary_key=True),
    sa.Column("key", Str(64), nullable=False),
    sa.Column("result", JSON, nullable=False),
    sa.Column("seconds", sa.Float),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# Long work started from the web app (migration 6): evaluate, a run over the collection,
# monitoring. A worker thread started with the server takes queued jobs one at a time; a
# job left "running" by a stopped server is taken again (a run resumes where it stopped).
jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", Int, primary_key=True, autoincrement=True),
    sa.Column("kind", Str(50), nullable=False),  # evaluate | run | monitor
    sa.Column("params", JSON, nullable=False, default=dict),
    sa.Column("status", Str(20), nullable=False, default="queued"),  # queued|running|done|failed
    sa.Column("message", sa.Text),
    sa.Column("result", JSON_OR_NULL),
    sa.Column("error", sa.Text),
    sa.Column("created_by", Str(200), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("started_at", sa.DateTime),
    sa.Column("finished_at", sa.DateTime),
)
sa.Index("ix_jobs_status", jobs.c.status, jobs.c.id)

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", Int, primary_key=True, autoincrement=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("signal", Str(100), nullable=False),
    sa.Column("window", Str(200), nullable=False),
    sa.Column("value", sa.Float),
    sa.Column("threshold", sa.Float),
    sa.Column("details", JSON, nullable=False, default=dict),
)

# Answers of external services by content hash, so a re-run never pays twice.
service_cache = sa.Table(
    "service_cache",
    metadata,
    sa.Column("service", Str(200), primary_key=True),
    sa.Column("content_hash", Str(64), primary_key=True),
    sa.Column("response", JSON, nullable=False),
    sa.Column("cost", sa.Float, nullable=False, default=0.0),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# Entity spans (the ``entities`` task kind). One ``span_sets`` row per annotation of one
# item's text: an import, a reviewer's correction, or (kind ``prediction``) a model's
# output for the item. The gold spans of an item are its latest active ``gold`` set (a
# reviewer's correction overrides an import, like ``labels``); an item whose gold set
# holds no span is a labelled example with no entity. ``text_hash`` (sha256 of the
# text's UTF-8) names the text the offsets index, so a changed item text shows.
span_sets = sa.Table(
    "span_sets",
    metadata,
    sa.Column("id", Int, primary_key=True, autoincrement=True),
    sa.Column("item_id", Str(500), nullable=False),
    sa.Column("kind", Str(20), nullable=False, default="gold"),  # gold | prediction
    sa.Column("annotator", Str(200), nullable=False),  # a person, "import", or a model
    sa.Column("source", sa.Text),  # file name, "review", "web"
    sa.Column("text_hash", Str(64), nullable=False),
    sa.Column("spans", Int, nullable=False, default=0),  # how many spans it holds
    sa.Column("model_id", Int),
    sa.Column("run_id", Int),
    sa.Column("prediction_id", Int),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    # the item version (``items.version``) whose text the offsets index (migration 13): a
    # text re-ingested with other words since makes its gold spans point into the old one
    sa.Column("item_version", Int),
)
sa.Index("ix_span_sets_item", span_sets.c.item_id, span_sets.c.kind, span_sets.c.active)

# One row per span of a set: character offsets into the item's text (end exclusive), the
# label, the covered text, ``norm`` (the text normalised for matching and the entity
# index), the authority record it is linked to ("NIL": none), and a model's score.
spans = sa.Table(
    "spans",
    metadata,
    sa.Column("id", Int, primary_key=True, autoincrement=True),
    sa.Column("set_id", Int, nullable=False),
    sa.Column("item_id", Str(500), nullable=False),
    sa.Column("layer", Str(50), nullable=False, default="entity"),
    sa.Column("char_start", Int, nullable=False),
    sa.Column("char_end", Int, nullable=False),
    sa.Column("label", Str(200), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("norm", sa.Text, nullable=False),
    sa.Column("authority_id", Str(500)),
    sa.Column("score", sa.Float),
    sa.Column("attrs", JSON, nullable=False, default=dict),
)
sa.Index("ix_spans_set", spans.c.set_id)
sa.Index("ix_spans_authority", spans.c.authority_id)
sa.Index("ix_spans_norm", spans.c.norm)
# a span layer's spans (migration 16): whether the project knows a layer, asked each time
# an entity is added, is answered by one index lookup instead of reading every span
sa.Index("ix_spans_layer", spans.c.layer)

# Authority records entities are linked to: an institution's name authority, or an
# extract of Wikidata or GeoNames. ``record_id`` is unique in the workspace.
authorities = sa.Table(
    "authorities",
    metadata,
    sa.Column("id", Int, primary_key=True, autoincrement=True),
    sa.Column("record_id", Str(500), nullable=False),
    sa.Column("label", sa.Text, nullable=False),  # the preferred label
    sa.Column("alt_labels", JSON, nullable=False, default=list),
    sa.Column("type", Str(200)),  # the entity type (a project label, e.g. PER)
    sa.Column("start_date", Str(32)),  # birth, foundation, first mention ... (ISO text)
    sa.Column("end_date", Str(32)),
    sa.Column("lat", sa.Float),
    sa.Column("lon", sa.Float),
    sa.Column("uri", sa.Text),
    sa.Column("description", sa.Text),
    sa.Column("source", sa.Text),  # the file it was imported from
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("record_id", name="uq_authorities_record"),
)
