"""Schema, migrations, the single writer and shared queries (SQLite and PostgreSQL)."""

from .engine import Store, normalise_url, now, redact
from .migrations import LATEST as SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "Store", "normalise_url", "now", "redact"]
