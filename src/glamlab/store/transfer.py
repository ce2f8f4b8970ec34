"""Move a workspace database between stores (SQLite <-> PostgreSQL) without loss.

The export file is a zip archive, readable with ordinary tools::

    manifest.json          format, glamlab and schema versions, per-table columns,
                           row counts and sha256 of each table file
    tables/<table>.jsonl   one JSON object per row, in primary-key order
    glamlab.toml           the project card, when given (without the database URL)

Values are written by column type, so they come back as the same Python values on
either store: JSON columns as JSON, binary columns (features) as base64, datetimes
as ISO 8601 (naive UTC), booleans as true/false, ids as they were. Rows are streamed
in batches both ways, so memory stays flat on a large collection. An import runs in
one transaction: it lands whole or not at all, and ids, JSON, bytes and times are
checked against the manifest's counts and checksums.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..errors import SchemaTooNew, StoreError
from ..files import OutputError, open_private, output_error
from ..said import in_words
from . import migrations, schema
from .engine import Store, now

FORMAT = "glamlab-db-export"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CARD = "glamlab.toml"
SKIP_TABLES = {"schema_migrations"}  # the target migrates itself


class TransferError(StoreError):
    pass


def data_tables() -> list[sa.Table]:
    return [t for t in schema.metadata.sorted_tables if t.name not in SKIP_TABLES]


# -- value codecs ---------------------------------------------------------------
Codec = tuple[Callable[[Any], Any], Callable[[Any], Any]]


def _ident(v: Any) -> Any:
    return v


def _codec(col: sa.Column[Any]) -> Codec:
    typ = col.type
    if isinstance(typ, sa.LargeBinary):
        return (lambda v: None if v is None else base64.b64encode(bytes(v)).decode("ascii"),
                lambda v: None if v is None else base64.b64decode(v))
    if isinstance(typ, sa.DateTime):
        return (lambda v: None if v is None else v.isoformat(),
                lambda v: None if v is None else datetime.fromisoformat(v))
    if isinstance(typ, sa.Boolean):
        return (lambda v: None if v is None else bool(v),
                lambda v: None if v is None else bool(v))
    return _ident, _ident


def _pk_order(table: sa.Table) -> list[sa.Column[Any]]:
    return list(table.primary_key.columns) or list(table.columns)


# -- export -------------------------------------------------------------------------
PEOPLE_TABLES = {"users", "auth_tokens"}  # password and token hashes: left out with users=False


def export_store(store: Store, path: str | Path, *, card_toml: str | None = None,
                 batch_size: int = 2000, users: bool = True,
                 progress: Callable[[str, int], None] | None = None) -> dict[str, Any]:
    """Write every table of ``store`` to the zip file ``path``; returns the manifest.

    The file is created readable by its owner only (0600): it holds the users' argon2
    password hashes, unless ``users=False`` leaves them out (the web app's users must
    then be added again where it is imported)."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path} is a folder, not a file",
                          hint=f"give a file name, e.g. {path / 'workspace.zip'}")
    version = store.check_schema()
    tables: dict[str, Any] = {}
    tmp = path.with_name(path.name + ".partial")
    try:
        # a backup holds everything, password hashes included: owner-only (0600)
        with open_private(tmp, "wb") as fh, zipfile.ZipFile(
                fh, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            with store.read() as conn:
                present = set(sa.inspect(conn).get_table_names())
                for table in data_tables():
                    if table.name not in present or (not users and table.name in PEOPLE_TABLES):
                        continue
                    cols = [c for c in table.columns]
                    enc = [(c.name, _codec(c)[0]) for c in cols]
                    digest = hashlib.sha256()
                    n = 0
                    q = sa.select(*cols).order_by(*_pk_order(table))
                    with zf.open(f"tables/{table.name}.jsonl", "w", force_zip64=True) as raw:
                        result = conn.execution_options(yield_per=batch_size).execute(q)
                        for part in result.partitions():
                            buf = io.StringIO()
                            for row in part:
                                rec = {name: f(v) for (name, f), v in zip(enc, row, strict=True)}
                                buf.write(json.dumps(rec, ensure_ascii=False,
                                                     separators=(",", ":")))
                                buf.write("\n")
                            data = buf.getvalue().encode("utf-8")
                            digest.update(data)
                            raw.write(data)
                            n += len(part)
                            if progress:
                                progress(table.name, len(part))
                    tables[table.name] = {"rows": n, "columns": [c.name for c in cols],
                                          "sha256": digest.hexdigest()}
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "glamlab_version": _glamlab_version(),
                "schema_version": version,
                "migrations": [m.name for m in migrations.MIGRATIONS if m.version <= version],
                "source": "sqlite" if store.is_sqlite else "postgresql",
                "created_at": now().isoformat(),
                "tables": tables,
            }
            if card_toml is not None:
                zf.writestr(CARD, card_toml)
            zf.writestr(MANIFEST, json.dumps(manifest, indent=2))
        try:
            tmp.replace(path)
        except OSError as exc:
            raise output_error(path, exc) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return manifest


# -- import -------------------------------------------------------------------------
def read_manifest(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as zf:
            manifest = json.loads(zf.read(MANIFEST))
    except FileNotFoundError as exc:
        raise TransferError(f"no export file at {path}",
                            hint="give the path of a file written by glamlab db export") from exc
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError) as exc:
        raise TransferError(f"{path} is not a glamlab export ({exc})",
                            hint="give the path of a file written by glamlab db export") from exc
    if manifest.get("format") != FORMAT:
        raise TransferError(f"{path} is not a glamlab export (format {manifest.get('format')!r})",
                            hint="give the path of a file written by glamlab db export")
    if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
        raise TransferError(f"{path} uses export format {manifest['format_version']}, newer "
                            f"than this glamlab reads ({FORMAT_VERSION})",
                            hint="upgrade glamlab (pip install -U glamlab) and import again")
    return manifest


def read_card(path: str | Path) -> str | None:
    with zipfile.ZipFile(path) as zf:
        return zf.read(CARD).decode("utf-8") if CARD in zf.namelist() else None


def row_counts(store: Store) -> dict[str, int]:
    with store.read() as conn:
        present = set(sa.inspect(conn).get_table_names())
        return {t.name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
                for t in data_tables() if t.name in present}


def import_store(store: Store, path: str | Path, *, replace: bool = False,
                 batch_size: int = 2000,
                 progress: Callable[[str, int], None] | None = None) -> dict[str, Any]:
    """Load an export into ``store`` (migrated to this glamlab's schema).

    The store must be empty unless ``replace`` is set, which deletes its rows first (in
    the same transaction). The migrations newer than the export's schema version run
    again on the imported rows, as they ran on the rows of a database upgraded in place.
    Returns ``{"tables": {name: rows}, "schema_version": ...}``.
    """
    path = Path(path)
    manifest = read_manifest(path)
    if int(manifest["schema_version"]) > migrations.LATEST:
        raise SchemaTooNew(
            f"{path} was exported from schema version {manifest['schema_version']}, newer "
            f"than this glamlab understands ({migrations.LATEST})",
            hint="upgrade glamlab (pip install -U glamlab) before importing it")
    store.check_schema()
    known = {t.name: t for t in data_tables()}
    unknown = sorted(set(manifest["tables"]) - set(known))
    if unknown:
        raise TransferError(f"{path} has tables this glamlab does not know: {', '.join(unknown)}",
                            hint="upgrade glamlab before importing it")
    if not replace:
        busy = {k: v for k, v in row_counts(store).items() if v}
        if busy:
            listing = ", ".join(f"{k} ({v})" for k, v in sorted(busy.items()))
            raise TransferError(
                f"the target database {store.describe()} is not empty: {listing}",
                hint=in_words("import into a new, empty database, or pass replace=True to "
                              "delete its rows first",
                              "import into a new, empty database, or pass --replace to "
                              "delete its rows first",
                              "import into a new, empty database, or ask whoever runs "
                              "glamlab on the server to delete its rows first"))
    loaded: dict[str, int] = {}
    with zipfile.ZipFile(path) as zf, store.write() as conn:
        if replace:
            for table in reversed(data_tables()):
                conn.execute(table.delete())
        for name, info in manifest["tables"].items():
            table = known[name]
            target_cols = {c.name for c in table.columns}
            extra = sorted(set(info["columns"]) - target_cols)
            if extra:
                raise TransferError(
                    f"{path}: table {name} has columns this glamlab does not know: "
                    f"{', '.join(extra)}", hint="upgrade glamlab before importing it")
            dec = {c.name: _codec(c)[1] for c in table.columns if c.name in info["columns"]}
            digest = hashlib.sha256()
            n = 0
            for batch in _batches(zf, f"tables/{name}.jsonl", batch_size, digest):
                rows = [{k: dec[k](v) for k, v in rec.items()} for rec in batch]
                try:
                    conn.execute(table.insert(), rows)
                except sa.exc.DBAPIError as exc:
                    first = str(exc.orig or exc).strip().splitlines()[0]
                    raise TransferError(
                        f"{path}: table {name}, rows {n + 1}-{n + len(rows)} could not be "
                        f"stored in {store.describe()}: {first}; nothing was imported",
                        hint="fix the value named above in the source workspace, export "
                             "again and import into an empty database") from exc
                n += len(rows)
                if progress:
                    progress(name, len(rows))
            if n != info["rows"] or digest.hexdigest() != info["sha256"]:
                raise TransferError(
                    f"{path}: table {name} is damaged ({n} rows read, {info['rows']} "
                    "expected, or its checksum differs); nothing was imported",
                    hint="export the workspace again")
            loaded[name] = n
        # a dump older than this schema holds rows the newer migrations never saw: what
        # they do to stored rows (11: each prediction's item version, so that a text
        # re-ingested later makes it stale; 12: "checked" marks taken back; 13: each span
        # set's item version) is done to these too, in the same transaction
        # (every migration is idempotent)
        for m in migrations.MIGRATIONS:
            if m.version > int(manifest["schema_version"]):
                m.up(conn)
        reset_sequences(conn)
    return {"schema_version": migrations.LATEST, "from_schema_version": manifest["schema_version"],
            "source": manifest.get("source"), "tables": loaded, "rows": sum(loaded.values())}


def _batches(zf: zipfile.ZipFile, member: str, size: int,
             digest: Any) -> Iterator[list[dict[str, Any]]]:
    try:
        raw = zf.open(member)
    except KeyError as exc:
        raise TransferError(f"the export lacks {member}", hint="export the workspace again") from exc
    batch: list[dict[str, Any]] = []
    with raw:
        for line in raw:
            digest.update(line)
            batch.append(json.loads(line))
            if len(batch) >= size:
                yield batch
                batch = []
    if batch:
        yield batch


def reset_sequences(conn: sa.Connection) -> None:
    """After inserting explicit ids on PostgreSQL, move each id sequence past the largest
    id, so that the next insert does not collide. (SQLite needs nothing: a rowid table
    takes max(id) + 1.)"""
    if conn.dialect.name != "postgresql":
        return
    for table in data_tables():
        pk = list(table.primary_key.columns)
        if len(pk) != 1 or not isinstance(pk[0].type, sa.Integer) or pk[0].autoincrement is False:
            continue
        col = pk[0]
        seq = conn.execute(sa.select(sa.func.pg_get_serial_sequence(table.name, col.name))).scalar()
        if not seq:
            continue
        top = conn.execute(sa.select(sa.func.max(col))).scalar()
        conn.execute(sa.select(sa.func.setval(seq, top or 1, top is not None)))


def _glamlab_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("glamlab")
    except PackageNotFoundError:
        return "unknown"
