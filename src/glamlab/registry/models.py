"""Saving, finding and loading model versions.

A model spec is ``NAME`` (latest version), ``NAME@ALIAS`` (e.g. ``blank@champion``)
or ``NAME@N`` (version N).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import ModelNotFound, PredictorError
from ..store import now, utc_iso

if TYPE_CHECKING:
    from ..predictors.base import Predictor
    from ..workspace import Workspace


@dataclass
class ModelVersion:
    id: int
    name: str
    version: int
    predictor: str
    params: dict[str, Any]
    path: str | None
    artifacts: dict[str, str]
    training_fingerprint: str | None
    metrics: dict[str, Any]
    card: dict[str, Any]
    created_at: Any
    aliases: list[str] = field(default_factory=list)

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "version": self.version,
            "predictor": self.predictor, "params": self.params, "path": self.path,
            "artifacts": self.artifacts, "training_fingerprint": self.training_fingerprint,
            "metrics": self.metrics, "card": self.card,
            # ISO 8601 saying UTC (2026-12-05T08:53:07Z), as runs --json gives times
            "created_at": utc_iso(self.created_at),
            "aliases": self.aliases,
        }


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def save_model(ws: Workspace, predictor: Predictor, *, name: str,
               training_fingerprint: str | None = None, metrics: dict[str, Any] | None = None,
               card: dict[str, Any] | None = None, aliases: Iterable[str] = (),
               items: dict[str, Iterable[str]] | None = None) -> ModelVersion:
    """Save a fitted predictor as the next version of ``name``. ``items``: the ids of
    the items it learned from, by role (``{"train": [...], "calibration": [...]}``), kept
    so that it is never scored on them (:mod:`glamlab.registry.overlap`)."""
    from .overlap import record_items

    t = ws.store.t
    with ws.store.write() as conn:
        latest = conn.execute(
            sa.select(sa.func.max(t.models.c.version)).where(t.models.c.name == name)
        ).scalar()
        version = int(latest or 0) + 1
        rel = Path("models") / name / str(version)
        target = ws.root / rel
        if target.exists():
            shutil.rmtree(target)
        files = predictor.save(target)
        artifacts = {str(f.relative_to(target)): _sha256(f) for f in files}
        full_card = {**predictor.card(), **(card or {}), "name": name, "version": version,
                     "task": ws.card.task, "labels": list(getattr(predictor, "classes_", []))}
        (target / "model.json").write_text(json.dumps(
            {**full_card, "artifacts": artifacts, "training_fingerprint": training_fingerprint,
             "metrics": metrics or {}}, indent=2, default=str))
        model_key = conn.execute(t.models.insert().values(
            name=name, version=version, predictor=predictor.name,
            params=json.loads(json.dumps(predictor.get_params(), default=str)),
            path=rel.as_posix(), artifacts=artifacts, training_fingerprint=training_fingerprint,
            metrics=metrics or {}, card=full_card, created_at=now(),
        )).inserted_primary_key
        assert model_key is not None
        model_id = int(model_key[0])
        if items:
            record_items(conn, model_id, items)
        for alias in aliases:
            _set_alias(conn, name, alias, model_id)
        ws.store.audit(conn, "glamlab", "model.save", f"{name}@{version}",
                       predictor=predictor.name)
    return get_model(ws, f"{name}@{version}")


def _set_alias(conn: sa.Connection, name: str, alias: str, model_id: int) -> None:
    from ..store import schema as s

    if alias in ("champion", IN_USE):  # before any row of the marker is touched
        _lock_in_use(conn)
    conn.execute(s.model_aliases.delete().where(s.model_aliases.c.name == name,
                                                 s.model_aliases.c.alias == alias))
    conn.execute(s.model_aliases.insert().values(name=name, alias=alias, model_id=model_id,
                                                 updated_at=now()))
    if alias == "champion":  # the model in use is a name: its marker follows the champion
        conn.execute(s.model_aliases.update().where(
            s.model_aliases.c.name == name, s.model_aliases.c.alias == IN_USE
        ).values(model_id=model_id))
        # the project's first champion is its model in use; the champion of another name
        # (its first version, trained later) is not put to work until a person or the
        # evaluate verdict chooses it (use_model)
        if conn.execute(sa.select(s.model_aliases.c.name).where(
                s.model_aliases.c.alias == IN_USE).limit(1)).first() is None:
            conn.execute(s.model_aliases.insert().values(name=name, alias=IN_USE,
                                                         model_id=model_id, updated_at=now()))


#: pg_advisory_xact_lock key of the ``in-use`` marker ("inuse" in ASCII)
_IN_USE_LOCK_KEY = 0x696E757365


def _lock_in_use(conn: sa.Connection) -> None:
    """Writers of the ``in-use`` marker take turns until their transaction ends. On
    PostgreSQL transactions run side by side: two that each saw no marker (two names
    getting their first champion at once) would each mark their own, or two choices at
    once would each delete the marker and insert theirs, leaving two. (SQLite's writers
    take turns already.)"""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_IN_USE_LOCK_KEY)))


def set_alias(ws: Workspace, spec: str, alias: str, *, actor: str = "glamlab") -> ModelVersion:
    mv = get_model(ws, spec)
    with ws.store.write() as conn:
        _set_alias(conn, mv.name, alias, mv.id)
        ws.store.audit(conn, actor, "model.alias", mv.spec, alias=alias)
    return get_model(ws, mv.spec)


def _aliases(conn: sa.Connection, model_id: int) -> list[str]:
    """The version's aliases; ``in-use`` on the champion of the model in use, which is what
    ``glamlab run`` resolves (wherever a marker written before a promotion still points)."""
    from ..store import schema as s

    t = s.model_aliases
    rows = conn.execute(sa.select(t.c.alias, t.c.name).where(t.c.model_id == model_id)).all()
    out = {r.alias for r in rows if r.alias != IN_USE}
    if "champion" in out and conn.execute(sa.select(t.c.model_id).where(
            t.c.alias == IN_USE, t.c.name == rows[0].name)).first() is not None:
        out.add(IN_USE)
    return sorted(out)


def _row(conn: sa.Connection, row: Any) -> ModelVersion:
    return ModelVersion(
        id=row.id, name=row.name, version=row.version, predictor=row.predictor,
        params=row.params or {}, path=row.path, artifacts=row.artifacts or {},
        training_fingerprint=row.training_fingerprint, metrics=row.metrics or {},
        card=row.card or {}, created_at=row.created_at, aliases=_aliases(conn, row.id))


def get_model(ws: Workspace, spec: str) -> ModelVersion:
    """Find a model version by ``NAME``, ``NAME@ALIAS`` or ``NAME@N``, or by numeric id."""
    from ..store.models import select_model

    t = ws.store.t
    with ws.store.read() as conn:
        row = conn.execute(select_model(t, spec)).first()
        if row is None:
            name = spec.split("@")[0]
            versions = [f"{name}@{v}" for (v,) in conn.execute(
                sa.select(t.models.c.version).where(t.models.c.name == name)
                .order_by(t.models.c.version.desc()))]
            if versions:
                raise ModelNotFound(f"no model {spec!r}",
                                    hint=f"the versions of {name}: " + few(versions))
            known = [r[0] for r in conn.execute(
                sa.select(t.models.c.name).distinct().order_by(t.models.c.name))]
            raise ModelNotFound(
                f"no model {spec!r}",
                hint=("the models there are: " + few(known)) if known
                else "train one first with glamlab train PREDICTOR")
        return _row(conn, row)


def few(names: Sequence[str], shown: int = 5) -> str:
    """``names`` for a message: the first ``shown``, then "and N more"."""
    head = ", ".join(names[:shown])
    rest = len(names) - shown
    return f"{head} and {rest} more" if rest > 0 else head


# the alias that marks the project's model in use (on one model name at a time): the
# champion of that name is what `glamlab run`, `act` and `export` use without --model.
# Set with the project's first champion, moved only by use_model.
IN_USE = "in-use"


def use_model(ws: Workspace, spec: str, *, actor: str = "glamlab",
              reason: str = "") -> ModelVersion:
    """Make the model NAME of ``spec`` the project's model in use: its champion is what
    :func:`champion` gives without a name (``glamlab run`` without ``--model``), now and
    after a later promotion. ``spec`` is NAME, or names its champion (``NAME@champion``,
    ``NAME@N``); another version is refused with the fix (promote it first), never
    quietly swapped for the champion. Returns the champion. The evaluate verdict calls
    this for the model it finds best; ``glamlab models promote`` and ``glamlab models
    use`` for the person's choice."""
    given = get_model(ws, spec)
    mv = champion(ws, given.name)
    if "@" in spec and given.id != mv.id:
        raise ModelNotFound(
            f"{given.spec} is not the chosen version of {given.name} ({mv.spec} is): "
            f"glamlab run, act and export use the chosen version of the model in use, so "
            f"{given.spec} cannot be made the model in use as it is",
            hint=f"choose that version first: glamlab models promote {given.spec} (it is "
                 f"then the model in use too); or run it once as it is: glamlab run "
                 f"--model {given.spec}")
    with ws.store.write() as conn:
        from ..store import schema as s

        _lock_in_use(conn)
        conn.execute(s.model_aliases.delete().where(s.model_aliases.c.alias == IN_USE))
        _set_alias(conn, mv.name, IN_USE, mv.id)
        ws.store.audit(conn, actor, "model.use", mv.name, reason=reason)
    return get_model(ws, mv.spec)  # with its in-use alias


def in_use(ws: Workspace) -> str | None:
    """The model name chosen for the project (by the verdict or a person), if any."""
    t = ws.store.t.model_aliases
    with ws.store.read() as conn:
        return conn.execute(sa.select(t.c.name).where(t.c.alias == IN_USE).limit(1)).scalar()


def measured(ws: Workspace, spec: str) -> bool:
    """Whether an evaluation scored the model version ``spec`` (NAME@N) on the test set
    (``glamlab evaluate``, the Evaluate page, or a retrain's comparison): the first
    version of a name becomes its champion when trained, so the model in use may be one
    nobody has measured yet, which the pages that name it say. A tabular version a
    retrain compared on outcomes none of the models learned from (its card's
    ``promoted_over``: ``glamlab retrain``, or a switch on the retraining page) is
    measured: evaluate leaves it out for good (it learned from test rows), so "not
    measured yet, evaluate it" would send people to a page that cannot score it."""
    mv = get_model(ws, spec)
    compared = (mv.card or {}).get("promoted_over") or {}
    if compared.get("metric") and compared.get("chosen") is not None:
        return True
    t = ws.store.t.evaluations
    with ws.store.read() as conn:
        return conn.execute(sa.select(t.c.id).where(t.c.model_id == mv.id).limit(1)
                            ).first() is not None


def champion(ws: Workspace, name: str | None = None) -> ModelVersion:
    """The champion of ``name`` (a model name; ``NAME@...`` is read as NAME): the version
    of that name chosen for use (its ``champion`` alias). Without a name, the champion of
    the project's model in use, the model ``glamlab run``, act and export use: one per project, the name :func:`use_model`
    chose (the evaluate verdict's best model, or the person's choice: ``glamlab models
    promote``/``use``, the Admin page), else the first name that got a champion. Each
    name keeps its own champion (retrain and rollback work on one name); a later name's
    champion is not the model in use until it is chosen. (Without an ``in-use`` marker,
    which only a store not migrated yet lacks: the champion marked most recently.)"""
    t = ws.store.t
    q = sa.select(t.model_aliases.c.name).where(t.model_aliases.c.alias == "champion")
    if name:
        q = q.where(t.model_aliases.c.name == name.split("@")[0])
    else:
        chosen = in_use(ws)
        if chosen is not None:
            q = q.where(t.model_aliases.c.name == chosen)
    with ws.store.read() as conn:
        found = conn.execute(q.order_by(t.model_aliases.c.updated_at.desc()).limit(1)).scalar()
    if found is None and not name and in_use(ws) is not None:
        raise ModelNotFound(
            f"the model in use, {in_use(ws)!r}, has no chosen version",
            hint=f"promote one: glamlab models promote {in_use(ws)}@N")
    if found is None:
        raise ModelNotFound(
            f"no version of {name!r} is chosen for use yet" if name else
            "no model is in use yet",
            hint="train one (glamlab train PREDICTOR: the first version of a name is the one "
                 "chosen for use), or promote one: glamlab models promote NAME@N")
    return get_model(ws, f"{found}@champion")


def get_model_by_id(ws: Workspace, model_id: int) -> ModelVersion:
    t = ws.store.t
    with ws.store.read() as conn:
        row = conn.execute(sa.select(t.models).where(t.models.c.id == model_id)).first()
        if row is None:
            raise ModelNotFound(f"no model with id {model_id}")
        return _row(conn, row)


def list_models(ws: Workspace) -> list[ModelVersion]:
    t = ws.store.t
    with ws.store.read() as conn:
        rows = conn.execute(sa.select(t.models).order_by(t.models.c.name, t.models.c.version)).all()
        return [_row(conn, r) for r in rows]


def describe_models(ws: Workspace) -> list[dict[str, Any]]:
    """One row per saved model version: spec, predictor, aliases, training items, the
    test score it last got, and a ``note`` (None, or what to do about it, e.g. a span
    model trained with an older word splitter) (what ``glamlab models`` lists).

    ``aliases`` is a list (["champion", "in-use"]), as in :meth:`ModelVersion.to_dict`
    (``glamlab train --json``, ``glamlab models use --json``); before this release it was
    one comma-separated string ("champion,in-use")."""
    rows = []
    for mv in list_models(ws):
        test = (mv.metrics or {}).get("test") or {}
        note = model_note(mv)
        rows.append({"model": mv.spec, "predictor": mv.predictor,
                     "aliases": list(mv.aliases), "train_items": _train_items(mv.card or {}),
                     "metric": test.get("metric"), "score": test.get("value"),
                     "created_at": utc_iso(mv.created_at), "id": mv.id,
                     "training_fingerprint": mv.training_fingerprint, "note": note})
    return rows


def _train_items(card: dict[str, Any]) -> Any:
    """How many items a model learned from: ``train_items``, or a table model's
    ``train_rows`` (the rows before its cutoff, as its card keeps them)."""
    items = card.get("train_items")
    return items if items is not None else card.get("train_rows")


def model_note(mv: ModelVersion, *, web: bool = False) -> str | None:
    """What to do about a saved model, in words, or None: a span model trained with an
    older word splitter (that loading does not bring up to date) may score differently
    now. The one text ``glamlab models`` lists and the web app's Train and Admin pages
    show; ``web``: the fix names the web app's pages instead of commands."""
    from ..predictors.entities.base import older_splitter

    if not older_splitter(mv.card or {}):
        return None
    measure, retrain = (("the Baselines and evaluation page",
                         "retrain it on the Train models page") if web else
                        (f"glamlab evaluate {mv.spec}", "retrain it"))
    return (f"trained with an older word splitter (words glued by OCR were not cut): its "
            f"score may have changed ({measure} measures it now); {retrain} to train it "
            "with today's" + ("" if web else " (glamlab retrain, or glamlab train)"))


def load_model(ws: Workspace, spec: str) -> tuple[ModelVersion, Predictor]:
    """Find a model version, check its artifacts' sha256, and load the predictor."""
    from ..predictors.base import Predictor
    from ..predictors.services import attach

    mv = get_model(ws, spec)
    if not mv.path:
        raise ModelNotFound(f"model {mv.spec} has no saved artifacts")
    folder = ws.root / mv.path
    for rel, digest in mv.artifacts.items():
        f = folder / rel
        if not f.exists():
            raise PredictorError(f"model {mv.spec}: artifact {rel} is missing from {folder}",
                                 hint="restore the models/ folder from a backup, or retrain")
        if _sha256(f) != digest:
            raise PredictorError(f"model {mv.spec}: artifact {rel} has changed since it was saved"
                                 " (sha256 mismatch)",
                                 hint="restore the original file, or retrain the model")
    # a service predictor is bound to this workspace: its cache, budget and current price
    return mv, attach(Predictor.load(folder, spec=mv.spec), ws)


class ModelCache:
    """Loaded predictors by model version, each loaded once (sha256 checked), for a
    long-lived process such as the web app; safe to share between threads."""

    def __init__(self) -> None:
        import threading

        self._lock = threading.Lock()
        self._loaded: dict[int, Predictor] = {}

    def get(self, ws: Workspace, mv: ModelVersion) -> Predictor:
        with self._lock:
            found = self._loaded.get(mv.id)
            if found is None:
                _mv, found = load_model(ws, mv.spec)
                self._loaded[mv.id] = found
            return found

    def clear(self) -> None:
        """Forget every loaded model (after the champion changed)."""
        with self._lock:
            self._loaded.clear()
