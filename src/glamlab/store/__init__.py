"""Schema, migrations, the single writer and shared queries (SQLite and PostgreSQL)."""

from .engine import Store, normalise_url, now, redact, utc_iso, utc_minutes
from .migrations import LATEST as SCHEMA_VERSION
from .schema import QUEUE_SUPERSEDED

__all__ = ["QUEUE_SUPERSEDED", "SCHEMA_VERSION", "Store", "normalise_url", "now", "redact",
           "utc_iso", "utc_minutes"]
