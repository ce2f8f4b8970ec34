"""Open or create a workspace: a folder with ``glamlab.toml`` and, by default, ``glamlab.db``.

>>> ws = Workspace.init("pages", task="blank-pages", modality="image", labels=["blank", "content"])
>>> ws.ingest(["scans/"])
>>> for item in ws.items(limit=3): ...
"""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import plugins
from ..config import CONFIG_NAME, DB_NAME, FetchPolicy, ProjectCard, card_stamp, fetch_policy
from ..errors import GlamlabError, WorkspaceError
from ..items import Item
from ..said import a_new_card, in_words

if TYPE_CHECKING:
    import sqlalchemy as sa

    from ..ingest import IngestReport
    from ..store import Store

ENV_DB = "GLAMLAB_DB"
ENV_WORKSPACE = "GLAMLAB_WORKSPACE"


class Workspace:
    def __init__(self, root: Path, card: ProjectCard, store: Store):
        self.root = root
        self.card = card
        self.store = store
        self._card_lock = threading.RLock()
        #: what :meth:`init` tells the person who made the workspace (``glamlab init``
        #: prints each): e.g. that the database password was kept out of the card
        self.init_notes: list[str] = []
        #: :meth:`any_current`'s answers: ``("yes", pk of the item that gave it)`` or
        #: ``("no", the items' newest row when it was given)``
        self._any_current: dict[str, tuple[str, Any]] = {}

    # -- creating and opening -------------------------------------------------
    @classmethod
    def init(
        cls,
        path: str | os.PathLike[str] = ".",
        *,
        task: str,
        modality: str,
        labels: Sequence[str],
        multi_label: bool = False,
        metric: str | None = None,
        need: str = "",
        name: str | None = None,
        positive_label: str | None = None,
        price_per_item: float = 0.0,
        db: str | None = None,
        exist_ok: bool = False,
        kind: str | None = None,
        prepare: Callable[[ProjectCard], None] | None = None,
    ) -> Workspace:
        """Create a workspace. ``kind`` is the task kind (default: ``entities`` for
        ``task="entities"``, as ``glamlab init --task entities``; else single- or
        multi-label as ``multi_label`` says). ``prepare`` completes and checks the new card before
        anything is written; by default the task kinds'
        :func:`glamlab.tasks.kinds.prepare_card` (what ``glamlab init`` does, registered
        as the ``prepare_card`` hook in :data:`glamlab.plugins.HOOKS`), which fills the
        kind's default metric and lets the kind refuse the card at once, e.g. a metric
        that does not fit the kind (``ConfigError`` naming the metrics that do).

        ``db``: a database URL (``postgresql://...``) to create the workspace in; it is
        written into the card without its password (see :attr:`init_notes`), which later
        opens take from GLAMLAB_DB, PGPASSWORD or ~/.pgpass."""
        root = Path(path).resolve()
        card_path = root / CONFIG_NAME
        if card_path.exists() and not exist_ok:
            raise WorkspaceError(
                f"{root} is already a glamlab workspace",
                hint="use it as it is, or choose another folder",
            )
        # the card keeps the URL without its password (glamlab.toml is read by anyone who
        # can read the folder, and is copied, shared, committed); this process uses it whole
        kept, password_left_out = _without_password(db or "")
        card = _new_card(task=task, modality=modality, labels=labels, multi_label=multi_label,
                         metric=metric, need=need, name=name, positive_label=positive_label,
                         price_per_item=price_per_item, db=kept, kind=kind,
                         prepare=prepare)
        root.mkdir(parents=True, exist_ok=True)
        store = _open_store(root, card, explicit=db, migrate=True)
        card.save(card_path)
        ws = cls(root, card, store)
        if password_left_out:
            ws.init_notes.append(
                "the database password was not written into glamlab.toml (its [database] "
                "url has none): give it to later commands in GLAMLAB_DB (the whole URL), "
                "PGPASSWORD or ~/.pgpass")
        with store.write() as conn:
            store.audit(conn, current_user(), "init", str(root), task=task, labels=card.labels)
        return ws

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None, *, db: str | None = None,
             migrate: bool = True) -> Workspace:
        root = Path(path or os.environ.get(ENV_WORKSPACE) or ".").resolve()
        card_path = root / CONFIG_NAME
        if not card_path.exists():
            raise WorkspaceError(
                f"{root} is not a glamlab workspace (no {CONFIG_NAME})",
                hint=in_words("make it with Workspace.init(path, task=..., modality=..., "
                              "labels=[...]), or open the folder that holds "
                              f"{CONFIG_NAME}",
                              "run glamlab init there, or pass --workspace / set "
                              "GLAMLAB_WORKSPACE", "start glamlab serve in the project's "
                              "folder"),
            )
        card = ProjectCard.load(card_path)
        store = _open_store(root, card, explicit=db, migrate=migrate)
        return cls(root, card, store)

    def close(self) -> None:
        self.store.dispose()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Workspace {self.root} task={self.card.task!r}>"

    # -- places ---------------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        """``.glamlab/``: caches, secrets and logs, the owner's only (0700)."""
        from ..files import private_dir

        return private_dir(self.root / ".glamlab")

    @property
    def cache_dir(self) -> Path:
        d = self.data_dir / "cache"
        d.mkdir(exist_ok=True)
        return d

    @property
    def models_dir(self) -> Path:
        d = self.root / "models"
        d.mkdir(exist_ok=True)
        return d

    @property
    def card_path(self) -> Path:
        return self.root / CONFIG_NAME

    def save_card(self) -> None:
        """Write :attr:`card` to glamlab.toml, changing only the values that changed: what a
        person wrote there (comments, order, layout) stays (:meth:`ProjectCard.save`). A
        card that cannot be written is one :class:`~glamlab.errors.CardNotWritable`."""
        self.card.validate()
        with self._card_lock:
            self.card.save(self.card_path)

    def update_card(self, sections: Mapping[str, Any]) -> None:
        """Set these sections of glamlab.toml (``{"policy": {...}}``) and save the card, as
        one step on one card: a reload of a changed glamlab.toml in between (the web app
        reads it again per request, while a background job saves thresholds) cannot
        swap the card and drop the change unsaved. A save that fails
        (:class:`~glamlab.errors.CardNotWritable`, an invalid value) leaves the card in
        memory as it was, so nothing shows as set that glamlab.toml does not say."""
        with self._card_lock:
            card = self.card
            before = {key: copy.deepcopy(card.raw[key]) for key in sections if key in card.raw}
            card.raw.update(sections)
            try:
                card.validate()
                card.save(self.card_path)
            except BaseException:
                for key in sections:
                    if key in before:
                        card.raw[key] = before[key]
                    else:
                        card.raw.pop(key, None)
                raise

    def reload_card(self) -> ProjectCard:
        self.card = ProjectCard.load(self.card_path)
        return self.card

    def changed_card(self) -> ProjectCard | None:
        """glamlab.toml read again when the file changed since :attr:`card` was read or
        saved (a cheap ``stat``), else None. A changed card that is not valid raises its
        :class:`~glamlab.errors.ConfigError`; :attr:`card` stays as it was."""
        path = self.card_path
        if card_stamp(path) == self.card.stamp:
            return None
        with self._card_lock:  # not while this process writes it
            if card_stamp(path) == self.card.stamp:
                return None
            return ProjectCard.load(path)

    def refresh_card(self) -> bool:
        """Read glamlab.toml again if it changed on disk (another command, such as
        ``glamlab act``, or a hand edit); True when it did. See :meth:`changed_card`."""
        card = self.changed_card()
        if card is None:
            return False
        self.card = card
        return True

    def define(self, *, task: str, modality: str, labels: Sequence[str],
               multi_label: bool = False, metric: str | None = None, need: str = "",
               name: str | None = None, positive_label: str | None = None,
               price_per_item: float = 0.0, kind: str | None = None,
               prepare: Callable[[ProjectCard], None] | None = None,
               actor: str | None = None) -> ProjectCard:
        """Set up the project of a workspace that holds nothing yet (no items, labels or
        models): the same card :meth:`init` writes, with the same checks (``prepare``: the
        task kind's, as ``glamlab init`` passes). The web app's "new project" page calls
        it on the workspace ``glamlab serve`` opened. Once items are in, the modality and
        labels are fixed: the card is refused with the fix."""
        card = _new_card(task=task, modality=modality, labels=labels, multi_label=multi_label,
                         metric=metric, need=need, name=name, positive_label=positive_label,
                         price_per_item=price_per_item, db=self.card.db_url, kind=kind,
                         prepare=prepare)
        held = self.holdings()
        if held:
            raise WorkspaceError(
                f"this project already holds {held}, so it cannot be set up again",
                hint="start a new project in another folder (glamlab init FOLDER), or keep "
                     "this one as it is")
        with a_new_card():
            card.validate()
        card.save(self.root / CONFIG_NAME)
        self.card = card
        with self.store.write() as conn:
            self.store.audit(conn, actor or current_user(), "init", str(self.root), task=task,
                             labels=card.labels, kind=card.kind, modality=modality)
        return card

    def holdings(self) -> str:
        """What the workspace holds that a new card would orphan ("" when nothing)."""
        s = self.status()
        by = {st["stage"]: st for st in s["stages"]}
        parts = [f"{n:,} {what}" for n, what in (
            (by["items"].get("count", 0), "items"), (by["labels"].get("count", 0),
                                                     "labelled items"),
            (by["models"].get("count", 0), "saved models")) if n]
        return ", ".join(parts)

    # -- ingest ---------------------------------------------------------------
    def ingest(self, sources: Sequence[str | os.PathLike[str]], *, id_column: str | None = None,
               text_column: str | None = None, image_column: str | None = None,
               image_root: str | os.PathLike[str] | None = None, progress: bool = False,
               collection_depth: int = 3, remote_ocr: bool = True,
               allow_source_change: bool = False,
               notify: Callable[[str], None] | None = None,
               check_addresses: bool = False) -> IngestReport:
        """Read sources into items; idempotent and incremental. Bad input is recorded.
        See :func:`glamlab.ingest.ingest` for the options; ``image_root``: a table's local
        image paths must lie in this folder (the web app's upload of the table);
        ``check_addresses``: manifests, collections and OCR files by address are fetched
        only where the card's ``[fetch]`` allows, as images are (the web app, a server;
        ``glamlab ingest URL`` is not checked: its address is the person's own)."""
        from ..config import ingest_limit
        from ..ingest import IngestOptions, ingest
        from ..ingest.base import DEFAULT_MAX_TEXT_CHARS, DEFAULT_MAX_XML_BYTES

        options = IngestOptions(id_column=id_column, text_column=text_column,
                                image_column=image_column,
                                image_root=None if image_root is None else str(image_root),
                                needs_text=self.card.modality == "text",
                                needs_image=self.card.modality == "image",
                                max_image_pixels=self.card.max_image_pixels,
                                max_xml_bytes=ingest_limit(self.card, "max_xml_bytes",
                                                           DEFAULT_MAX_XML_BYTES),
                                max_text_chars=ingest_limit(self.card, "max_text_chars",
                                                            DEFAULT_MAX_TEXT_CHARS),
                                cache_dir=str(self.cache_dir),
                                collection_depth=collection_depth, remote_ocr=remote_ocr,
                                allow_source_change=allow_source_change, notify=notify,
                                fetch_policy=self.fetch_policy if check_addresses else None)
        report = ingest(self.store, [str(s) for s in sources], options, progress=progress)
        from .leakage import warn_on_ingest

        report.warnings.extend(warn_on_ingest(self, report.ingest_id))
        return report

    # -- items ----------------------------------------------------------------
    def item_clauses(self, where: dict[str, Any] | None, ids: Sequence[str] | None) -> list[Any]:
        """SQL conditions on ``store.t.items`` for the current items matching ``where``
        (metadata field -> value, or modality / source_kind / source) and ``ids``."""
        t = self.store.t.items
        clauses: list[Any] = [t.c.is_current.is_(True)]
        for key, value in (where or {}).items():
            if key in ("modality", "source_kind", "source"):
                clauses.append(t.c[key] == value)
            else:
                clauses.append(t.c.meta[key].as_string() == str(value))
        if ids is not None:
            clauses.append(t.c.item_id.in_(list(ids)))
        return clauses

    #: item columns a ``where`` may name besides the metadata fields
    ITEM_COLUMNS = ("modality", "source_kind", "source")

    def check_fields(self, names: Sequence[str], *, role: str = "to filter on") -> None:
        """Raise one :class:`~glamlab.errors.ItemError` naming the first of ``names`` that
        is a metadata field no current item has (a misspelling would otherwise match no
        item, or give a column of nothing), with the closest field and the fields the
        newest items have. One look-up per name that stops at the first item with it."""
        from ..errors import ItemError
        from ..ingest.columns import closest_name

        for name in names:
            if name in self.ITEM_COLUMNS:
                continue
            fields = self.missing_field(name)
            if fields is None:
                continue
            close = closest_name(name, fields)
            raise ItemError(
                f"no item has the metadata field {name!r} {role}",
                hint=(f"did you mean {close!r}? " if close else "")
                + ("the items' fields: " + ", ".join(fields) if fields
                   else "the items have no metadata fields")
                + (f"; also {', '.join(self.ITEM_COLUMNS)}" if role == "to filter on" else ""))

    def any_current(self, key: str, *where: Any) -> bool:
        """Whether any current item meets ``where`` (SQLAlchemy clauses on the items
        table), remembered under ``key``. A question a page asks on every view (has any
        item an image?) that, answered no, reads every item: in a project of a million
        texts, once per change of the items, not once per view.

        A yes is kept with the item that gave it, and each view asks that one row (one
        look-up by its key) whether it is still current and still meets ``where``; when
        it is not (deleted, replaced by a new version, another database imported in its
        place), the question is asked again. A no is kept with the items' newest row (its
        key, id, version and content): an item brought in is another newest row, even one
        that took the key of a deleted one (SQLite gives a new row the key after the
        highest), and then the question is asked again. Deleting items cannot turn a no
        into a yes."""
        import sqlalchemy as sa

        t = self.store.t.items
        known = self._any_current.get(key)
        with self.store.read() as conn:
            if known is not None and known[0] == "yes" and conn.execute(sa.select(t.c.pk).where(
                    t.c.pk == known[1], t.c.is_current.is_(True), *where)).first():
                return True
            row = conn.execute(sa.select(t.c.pk, t.c.item_id, t.c.version, t.c.content_hash)
                               .order_by(t.c.pk.desc()).limit(1)).first()
            newest = tuple(row) if row is not None else None
            if known is not None and known == ("no", newest):
                return False
            found = conn.execute(sa.select(t.c.pk).where(t.c.is_current.is_(True), *where)
                                 .limit(1)).scalar()
        self._any_current[key] = ("yes", found) if found is not None else ("no", newest)
        return found is not None

    def missing_field(self, name: str, *, sample: int = 1000) -> list[str] | None:
        """None when a current item has the metadata field ``name``; else the fields the
        ``sample`` newest items have, sorted (to name them, and the closest, in the
        error). One look-up that stops at the first item with the field."""
        import sqlalchemy as sa

        from ..store.schema import current_newest_first

        t = self.store.t.items
        q = sa.select(t.c.pk).where(t.c.is_current.is_(True),
                                    t.c.meta[name].as_string().is_not(None)).limit(1)
        with self.store.read() as conn:
            if conn.execute(q).first() is not None:
                return None
            newest = conn.execute(sa.select(t.c.meta).where(current_newest_first(t))
                                  .order_by(t.c.pk.desc()).limit(sample))
            return sorted({str(k) for (meta,) in newest for k in (meta or {})})

    def items(self, *, where: dict[str, Any] | None = None, ids: Sequence[str] | None = None,
              limit: int | None = None, offset: int = 0, batch_size: int = 2000,
              after: str | None = None) -> Iterator[Item]:
        """Current items in id order, streamed in batches (constant memory); ``after``:
        only ids that sort after it (paging)."""
        import sqlalchemy as sa

        t = self.store.t.items
        if ids is not None:
            wanted = list(dict.fromkeys(ids))
            seen = False
            for i in range(0, len(wanted), 900):
                chunk = wanted[i : i + 900]
                q = sa.select(t).where(*self.item_clauses(where, chunk))
                with self.store.read() as conn:
                    found = {r.item_id: self._row_to_item(r) for r in conn.execute(q)}
                for item_id in chunk:
                    if item_id in found:
                        yield found[item_id]
                        seen = True
            if where and not seen:
                self.check_fields(list(where))
            return
        last: str | None = after or None
        skipped = 0
        yielded = 0
        while True:
            q = sa.select(t).where(*self.item_clauses(where, None)).order_by(t.c.item_id)
            if last is not None:
                q = q.where(t.c.item_id > last)
            q = q.limit(batch_size if limit is None else min(batch_size, offset + limit))
            with self.store.read() as conn:
                rows = conn.execute(q).fetchall()
            if not rows:
                if where and last is None:  # nothing at all: a misspelt field?
                    self.check_fields(list(where))
                return
            for r in rows:
                last = r.item_id
                if skipped < offset:
                    skipped += 1
                    continue
                yield self._row_to_item(r)
                yielded += 1
                if limit is not None and yielded >= limit:
                    return

    def item(self, item_id: str) -> Item:
        for item in self.items(ids=[item_id]):
            return item
        raise GlamlabError(f"no item with id {item_id!r}", hint=in_words(
            "list ids with ws.items() (ws.items(ids=[...]) for some)",
            "list ids with glamlab items list", "find the item in the list of items"))

    def item_versions(self, item_id: str) -> list[dict[str, Any]]:
        import sqlalchemy as sa

        t = self.store.t.items
        with self.store.read() as conn:
            rows = conn.execute(
                sa.select(t).where(t.c.item_id == item_id).order_by(t.c.version)
            ).fetchall()
        return [dict(r._mapping) for r in rows]

    def count_items(self, *, where: dict[str, Any] | None = None) -> int:
        import sqlalchemy as sa

        t = self.store.t.items
        with self.store.read() as conn:
            n = int(conn.execute(
                sa.select(sa.func.count()).select_from(t).where(*self.item_clauses(where, None))
            ).scalar() or 0)
        if where and not n:
            self.check_fields(list(where))
        return n

    def ingest_errors(self, limit: int | None = None, *,
                      resolved: bool = False) -> list[dict[str, Any]]:
        """The problems found at ingest, newest first: those still current (a later
        ingest of the same source resolves a source's earlier problems); ``resolved``:
        the resolved ones too (``resolved_at`` says when).

        Each row names the item (file, row, canvas) under ``item``, as the problems of
        :meth:`ingest` do; ``item_ref``, the same value, is deprecated and goes in the
        next release."""
        import sqlalchemy as sa

        t = self.store.t.ingest_errors
        q = sa.select(t).order_by(t.c.id.desc())
        if not resolved:
            q = q.where(t.c.resolved_at.is_(None))
        if limit:
            q = q.limit(limit)
        with self.store.read() as conn:
            return [{**r._mapping, "item": r.item_ref} for r in conn.execute(q)]

    def _row_to_item(self, r: sa.Row[Any]) -> Item:
        return Item(
            item_id=r.item_id,
            version=r.version,
            modality=r.modality,
            source_kind=r.source_kind,
            source=r.source,
            uri=r.uri,
            page=r.page,
            content_hash=r.content_hash,
            text=r.text,
            width=r.width,
            height=r.height,
            meta=r.meta or {},
            cache_dir=self.cache_dir_text,
            fetch_policy=self.fetch_policy,
        )

    @property
    def cache_dir_text(self) -> str:
        """:attr:`cache_dir` as text, without creating it (what items carry to workers)."""
        cached = self.__dict__.get("_cache_dir_cached")
        if cached is None:
            cached = self.__dict__["_cache_dir_cached"] = str(self.root / ".glamlab" / "cache")
        return cached

    @property
    def fetch_policy(self) -> FetchPolicy:
        """Which image addresses may be fetched: the card's ``[fetch]``
        (:class:`glamlab.config.FetchPolicy`), read again when the card changes."""
        card = self.card
        section = card.raw.get("fetch")  # update_card changes it in place
        cached = self.__dict__.get("_fetch_policy_cached")
        if cached is None or cached[0] is not card or cached[1] != section:
            cached = self.__dict__["_fetch_policy_cached"] = (
                card, copy.deepcopy(section), fetch_policy(card))
        return cached[2]

    # -- status -----------------------------------------------------------------
    def status(self, *, keep_together: Callable[[], str | None] | None = None) -> dict[str, Any]:
        """Where the workspace stands, stage by stage, and the next step in plain words
        (``keep_together``: the field a test set set aside should keep whole, asked only
        when that is the next step)."""
        from .status import workspace_status

        return workspace_status(self, keep_together=keep_together)


_CLASSIFICATION_KINDS = ("", "single-label", "multi-label")


def _new_card(*, task: str, modality: str, labels: Sequence[str], multi_label: bool,
              metric: str | None, need: str, name: str | None, positive_label: str | None,
              price_per_item: float, db: str, kind: str | None,
              prepare: Callable[[ProjectCard], None] | None) -> ProjectCard:
    """The card of a new project (:meth:`Workspace.init`, :meth:`Workspace.define`)."""
    card = ProjectCard(
        name=name or task,
        task=task,
        modality=modality,
        labels=[s.strip() for s in labels if s.strip()],
        need=need,
        multi_label=multi_label,
        # `task="entities"` names the kind too, as `glamlab init --task entities` does
        kind=kind or ("entities" if task == "entities" and not multi_label else ""),
        metric=metric or "",
        positive_label=positive_label,
        price_per_item=price_per_item,
        db_url=db,
    )
    if modality == "tabular" and (card.labels != ["0", "1"]
                                  or positive_label not in (None, "1")):
        # the rows' models and their gold labels read an outcome as 1 (yes) or 0 (no);
        # the outcome column's own words are mapped at ingest ([tabular] positive)
        raise WorkspaceError(
            f"a table's rows take the labels 0 and 1 (no and yes of their outcome), not "
            f"{', '.join(card.labels) or 'none'}"
            + (f" with the positive label {positive_label!r}"
               if positive_label not in (None, "1") else ""),
            hint=in_words("give labels=['0', '1'] (and positive_label='1', or None)",
                          "use --labels 0,1 (and --positive-label 1, or none)",
                          "write 0 and 1, one a line")
            + "; an outcome column that says yes/no or True/False is read at ingest: set "
              'positive = "yes" in [tabular] of glamlab.toml for the value that counts as 1')
    if prepare is None:  # the task kinds' own, registered by glamlab/__init__.py
        prepare = plugins.hook("prepare_card")
    with a_new_card():  # not written yet: a fix names the caller's arguments, not the card
        _prepare_new_card(card, prepare)
    return card


def _prepare_new_card(card: ProjectCard, prepare: Callable[[ProjectCard], None] | None) -> None:
    if prepare is not None:
        prepare(card)
    elif not card.metric:
        if card.kind not in _CLASSIFICATION_KINDS:
            # the kind knows its metric, but lives above this layer: never guess f1_macro
            # for spans or counts
            raise WorkspaceError(
                f"a new {card.kind!r} project needs its metric",
                hint="pass prepare=glamlab.tasks.kinds.prepare_card (what glamlab init does: "
                     "the kind's own metric and checks), or metric=...")
        card.metric = "f1_samples" if card.kind == "multi-label" else "f1_macro"
    card.validate()


def current_user() -> str:
    """The operating-system user, recorded as the actor of CLI and library changes."""
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name on some containers
        return "unknown"


def _without_password(url: str) -> tuple[str, bool]:
    """``url`` without its password, and whether it had one (a SQLite path has none)."""
    if "://" not in url:
        return url, False
    import sqlalchemy as sa

    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        return url, False  # the store says what is wrong with it
    query = {k: v for k, v in parsed.query.items() if k.lower() != "password"}
    if not parsed.password and len(query) == len(parsed.query):
        return url, False
    return sa.engine.URL.create(parsed.drivername, username=parsed.username,
                                host=parsed.host, port=parsed.port, database=parsed.database,
                                query=query).render_as_string(hide_password=False), True


def _open_store(root: Path, card: ProjectCard, *, explicit: str | None, migrate: bool) -> Store:
    from ..store import Store

    url = explicit or os.environ.get(ENV_DB) or card.db_url or str(root / DB_NAME)
    return Store(url, migrate=migrate)
