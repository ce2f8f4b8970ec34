"""glamlab db export | import | status"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ._common import emit, json_option

if TYPE_CHECKING:
    from ..workspace import Workspace


@click.group()
def db() -> None:
    """Move a workspace database between SQLite and PostgreSQL, and check its schema.

    \b
    Move a laptop workspace (SQLite) to a team's PostgreSQL server:
      glamlab -w ws db export ws-export.zip
      glamlab -w ws --db postgresql://user@host/glamlab db import ws-export.zip
    """


def _root(ctx: click.Context) -> tuple[Path, str | None]:
    obj = ctx.find_root().obj or {}
    return Path(obj.get("workspace", ".")).resolve(), obj.get("db")


@db.command("export")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--batch-size", type=click.IntRange(1), default=2000, show_default=True,
              help="Rows read at a time.")
@click.option("--users/--no-users", default=True, show_default=True,
              help="Include the web app's users and their password hashes.")
@json_option
@click.pass_context
def export(ctx: click.Context, file: str, batch_size: int, users: bool, as_json: bool) -> None:
    """Write the workspace database to FILE (a zip of JSON Lines, one file per table).

    Every table goes in, with the project card and the schema version; the database
    is only read. Import it with glamlab db import, into SQLite or PostgreSQL. The file
    is readable by you only (mode 0600): it holds the users' password hashes, unless
    --no-users leaves them out.
    """
    from ..config import CONFIG_NAME, card_text_without_db_url
    from ..progress import Progress
    from ..store.transfer import export_store
    from ..workspace import Workspace

    root, url = _root(ctx)
    ws = Workspace.open(root, db=url, migrate=False)
    try:
        with Progress("exporting", unit="rows", enabled=not as_json) as bar:
            manifest = export_store(ws.store, file, card_toml=card_text_without_db_url(
                                         (root / CONFIG_NAME).read_text(encoding="utf-8")),
                                    batch_size=batch_size, users=users,
                                    progress=lambda _t, n: bar.update(n))
    finally:
        ws.close()
    data = {"file": str(Path(file).resolve()), "database": ws.store.describe(),
            "schema_version": manifest["schema_version"],
            "rows": sum(t["rows"] for t in manifest["tables"].values()),
            "tables": {k: v["rows"] for k, v in manifest["tables"].items()}}
    emit(data, as_json, lambda d: (
        f"Exported {d['rows']:,} rows in {len(d['tables'])} tables from {d['database']} "
        f"to {d['file']} (schema version {d['schema_version']})."))


@db.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--replace", is_flag=True,
              help="Delete the rows already in the target database first (same transaction).")
@click.option("--batch-size", type=click.IntRange(1), default=2000, show_default=True,
              help="Rows written at a time.")
@json_option
@click.pass_context
def import_(ctx: click.Context, file: str, replace: bool, batch_size: int, as_json: bool) -> None:
    """Load FILE (from glamlab db export) into the workspace database.

    The target is the workspace's database, or the one given by --db / GLAMLAB_DB.
    It must be empty unless --replace is given. When the workspace folder has no
    glamlab.toml yet, the project card from FILE is written there (with --db as
    its database). The import is one transaction: all of it lands, or nothing.
    """
    from ..config import CONFIG_NAME, card_text_with_db_url, check_card_writable
    from ..files import replace_text
    from ..progress import Progress
    from ..store.transfer import import_store, read_card, read_manifest
    from ..workspace import Workspace, _without_password

    root, url = _root(ctx)
    read_manifest(file)  # a bad file is refused before anything is created
    card_path = root / CONFIG_NAME
    created = False
    if not card_path.exists():
        card = read_card(file)
        if card is None:
            from ..errors import WorkspaceError

            raise WorkspaceError(f"{root} is not a glamlab workspace and {file} has no project card",
                                 hint="run glamlab init there first, then import")
        root.mkdir(parents=True, exist_ok=True)
        check_card_writable(card_path)
        try:
            # without its password, as glamlab init writes it (the card is read by anyone
            # who can read the folder); this command and later ones take it from --db,
            # GLAMLAB_DB, PGPASSWORD or ~/.pgpass
            replace_text(card_path, card_text_with_db_url(card, _without_password(url or "")[0]))
        except OSError as exc:
            from ..errors import CardNotWritable

            raise CardNotWritable(f"cannot write {card_path}: {exc.strerror or exc}",
                                  hint="make the folder writable, then import again") from exc
        created = True
    ws = Workspace.open(root, db=url, migrate=True)
    try:
        with Progress("importing", unit="rows", enabled=not as_json) as bar:
            result = import_store(ws.store, file, replace=replace, batch_size=batch_size,
                                  progress=lambda _t, n: bar.update(n))
        missing = _models_without_files(ws)
    finally:
        ws.close()
    data = {"file": str(Path(file).resolve()), "workspace": str(root),
            "database": ws.store.describe(), "created_workspace": created, **result,
            "models_without_files": missing}
    emit(data, as_json, lambda d: (
        f"Imported {d['rows']:,} rows in {len(d['tables'])} tables into {d['database']}"
        + (f" (new workspace {d['workspace']})" if d["created_workspace"] else "") + "."
        + (f"\nThe file holds no model files: {len(missing)} saved model version"
           f"{'' if len(missing) == 1 else 's'} ({', '.join(missing[:3])}"
           f"{', ...' if len(missing) > 3 else ''}) need theirs to predict (glamlab run,"
           f" evaluate): copy the models/ folder of the workspace it came from into"
           f" {d['workspace']}."
           if missing else "")))


def _models_without_files(ws: Workspace) -> list[str]:
    """The saved model versions (``name@version``) whose artifact files are not under the
    workspace folder: ``db export`` carries the database only, not ``models/``."""
    import sqlalchemy as sa

    from ..store import schema as s

    root = Path(ws.root)
    with ws.store.read() as conn:
        rows = conn.execute(sa.select(s.models.c.name, s.models.c.version, s.models.c.path,
                                      s.models.c.artifacts).order_by(s.models.c.id)).all()
    return [f"{name}@{version}" for name, version, path, artifacts in rows
            if path and any(not (root / path / f).is_file() for f in (artifacts or {}))]


@db.command("status")
@json_option
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Which database the workspace uses, its schema version and pending migrations.

    Exit status 0 when the schema is current, 2 when migrations are pending (run
    glamlab migrate). An unreachable server or a schema newer than this glamlab is
    an error (exit status 1).
    """
    from ..store import SCHEMA_VERSION
    from ..workspace import Workspace

    root, url = _root(ctx)
    ws = Workspace.open(root, db=url, migrate=False)
    try:
        pending = ws.store.pending_migrations()
        data: dict[str, Any] = {
            "database": ws.store.describe(), "backend": ws.store.backend,
            "schema_version": ws.store.schema_version(), "code_schema_version": SCHEMA_VERSION,
            "pending": [f"{m.version}_{m.name}" for m in pending],
        }
    finally:
        ws.close()
    emit(data, as_json, lambda d: (
        f"{d['backend']} database {d['database']}: schema version {d['schema_version']}"
        + (f"; pending migrations: {', '.join(d['pending'])} (run glamlab migrate)"
           if d["pending"] else " (current)")))
    if pending:
        ctx.exit(2)
