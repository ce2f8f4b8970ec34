"""Train and test splits: stratified by label, grouped by a metadata field, frozen
once evaluated, and a guard so that nothing ever trains on the test split.

Splitting is a greedy stratification over *units*: an item, or every item sharing
a value of ``group_by`` (e.g. the source book). Units are visited in a seeded random
order (units with rare labels first) and each goes to the side that keeps every
label's test share, and the overall test share, closest to ``test_size``. The same
procedure serves every task kind: a unit counts towards each stratum its gold labels
have (:meth:`TaskKind.strata`: the labels for classification; a multi-label unit counts
towards each of its labels, as in iterative stratification).

Freezing: :func:`test_data` (what an evaluation reads) writes ``split.freeze`` to the
audit log. A frozen split can only be changed with ``force=True``, which is logged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import LabelError
from ..said import in_words
from .kinds import TaskKind, task_kind
from .labels import _chunks, _set_splits, gold_labels, trained_on

if TYPE_CHECKING:
    from ..items import Item
    from ..workspace import Workspace

ACTOR = "glamlab"
#: the web pages' fix for no labels in a split: label there, or bring a spreadsheet in
_LABEL_ON_THE_PAGES = ("label items on the Labelling page, where an admin also sets a test set "
                       "aside, or bring a spreadsheet of labels in on the Bring items in page")


def split_of(ws: Workspace, ids: Sequence[str] | None = None, *,
             conn: sa.Connection | None = None) -> dict[str, str]:
    """item id -> "train" | "test" for split items."""
    if conn is None:
        with ws.store.read() as c:
            return split_of(ws, ids, conn=c)
    t = ws.store.t.splits
    if ids is None:
        return {r[0]: r[1] for r in conn.execute(sa.select(t.c.item_id, t.c.split))}
    out: dict[str, str] = {}
    for chunk in _chunks(list(ids)):
        out.update({r[0]: r[1] for r in conn.execute(
            sa.select(t.c.item_id, t.c.split).where(t.c.item_id.in_(chunk)))})
    return out


def _last_audit(conn: sa.Connection, ws: Workspace, action: str) -> Any:
    t = ws.store.t.audit_log
    return conn.execute(sa.select(t).where(t.c.action == action).order_by(t.c.id.desc())
                        .limit(1)).first()


def freeze_info(ws: Workspace, *, conn: sa.Connection | None = None) -> dict[str, Any] | None:
    """When and by whom the current test split was frozen, or None."""
    if conn is None:
        with ws.store.read() as c:
            return freeze_info(ws, conn=c)
    frozen = _last_audit(conn, ws, "split.freeze")
    if frozen is None:
        return None
    created = _last_audit(conn, ws, "split.create")
    if created is not None and created.id > frozen.id:
        return None
    return {"at": frozen.at, "by": (frozen.details or {}).get("reader", frozen.actor),
            "fingerprint": frozen.object}


def is_frozen(ws: Workspace, *, conn: sa.Connection | None = None) -> bool:
    return freeze_info(ws, conn=conn) is not None


@dataclass
class SplitReport:
    train: int
    test: int
    test_size: float
    seed: int
    group_by: str | None
    groups: int
    forced: bool
    labels: list[dict[str, Any]] = field(default_factory=list)
    ungrouped: int = 0  # items without a value for group_by (each its own group)
    #: items whose gold came from review, left in their split (:meth:`TaskKind.kept_in_split`)
    kept: int = 0
    kept_with: int = 0  # other items of their groups, kept on the same side with them
    #: items a saved model trained or was calibrated on (not counted in ``kept``), kept in
    #: the train split: a model is never scored on items it learned from
    learned: int = 0

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))

    def summary(self) -> str:
        text = f"{self.train:,} items for training, {self.test:,} for testing"
        if self.group_by:
            text += f", {self.groups:,} groups by {self.group_by} kept whole"
        if self.kept or self.learned:
            text += "; " + kept_sentence(self.kept, self.kept_with, self.group_by,
                                         learned=self.learned)
        return text


def kept_sentence(kept: int, kept_with: int = 0, group_by: str | None = None, *,
                  learned: int = 0) -> str:
    """The plain words for the items a re-split left in their split because their
    labels came from review, the items a saved model learned from (``learned``, left in
    training), and the other items of their groups (``kept_with``)."""
    parts = []
    if kept:
        one = kept == 1
        parts.append(f"{kept:,} reviewed item{'' if one else 's'} (labelled by people deciding "
                     f"on a model's predictions) {'keeps its' if one else 'keep their'} split")
    if learned:
        one = learned == 1
        parts.append(f"{learned:,} item{'' if one else 's'} a saved model learned from "
                     f"{'stays' if one else 'stay'} in training")
    text = " and ".join(parts)
    if kept_with:
        text += (f", and {kept_with:,} other item{'' if kept_with == 1 else 's'} of the same "
                 f"{group_by or 'group'} with {'it' if kept + learned == 1 else 'them'}")
    if kept and learned:
        return text + (": the test split holds only items chosen at random and labelled in "
                       "full, never ones a model picked for review or learned from")
    if learned:
        return text + ": no model is tested on items it learned from"
    return text + (": the test split holds only items chosen at random and labelled in "
                   "full, never ones a model picked for review")


def keep_in_place(conn: sa.Connection, ws: Workspace, ids: Sequence[str],
                  groups: Sequence[Any], reviewed: set[str]
                  ) -> tuple[dict[str, str], set[str]]:
    """(item -> split, learned) for a re-split of ``ids``: the items it leaves where they
    are (:func:`pin_kept`): ``reviewed`` (:meth:`TaskKind.kept_in_split`) in the split they
    are in, the items a saved model trained or was calibrated on (``learned``,
    :func:`glamlab.tasks.labels.trained_on`) in the train split, each with the other items
    of its group. So a re-split never puts a model's training items in the test split
    (it used to be refused whole), and splits the rest around them."""
    learned = set(trained_on(conn, ws, ids))
    current = split_of(ws, sorted(reviewed - learned), conn=conn)
    kept = {i: current.get(i, "train") for i in reviewed - learned}
    kept.update(dict.fromkeys(learned, "train"))
    return pin_kept(kept, ids, groups), learned


def pin_kept(kept: dict[str, str], ids: Sequence[str], groups: Sequence[Any]
             ) -> dict[str, str]:
    """Item -> split for the items a re-split leaves where they are: ``kept`` (item ->
    its current split) and the other items of their groups, which go with them (to
    train, when a group's kept items are on both sides), so no group is cut."""
    side: dict[Any, str] = {}
    for item_id, group in zip(ids, groups, strict=True):
        if item_id in kept:
            side[group] = "train" if "train" in (kept[item_id], side.get(group)) \
                else kept[item_id]
    return {item_id: kept.get(item_id) or side[group]
            for item_id, group in zip(ids, groups, strict=True)
            if item_id in kept or group in side}


def split_around(Y: Any, ids: Sequence[str], groups: Sequence[Any], pinned: dict[str, str],
                 test_size: float, seed: int, *, learned: int = 0) -> Any:
    """The test mask of :func:`stratified_group_split` with the ``pinned`` items
    (:func:`pin_kept`) on their side: the others are split so that the whole, pinned
    items included, comes closest to ``test_size`` (overall and per label). ``learned``:
    how many of the pinned items are there because a saved model learned from them (for
    the error when none is left to split)."""
    if not any(i not in pinned for i in ids):
        if learned:
            raise LabelError(
                f"all {len(ids):,} labelled items stay where they are ({learned:,} learned "
                "from by a saved model, the others labelled by reviewing a model's "
                "predictions or in their groups): none is left to split",
                hint="label items chosen at random for the test split (glamlab labels "
                     "sample --split test --strategy random), then split again")
        raise LabelError(
            f"all {len(ids):,} labelled items were labelled by reviewing a model's "
            "predictions: they stay in training, and none is left to test on",
            hint="label items chosen at random for the test split (glamlab labels sample "
                 "--split test --strategy random), then split again")
    return stratified_group_split(Y, groups, test_size, seed,
                                  fixed=[None if i not in pinned else pinned[i] == "test"
                                         for i in ids])


def stratified_group_split(Y: Any, groups: Sequence[Any], test_size: float,
                           seed: int = 0, *, fixed: Sequence[bool | None] | None = None) -> Any:
    """Boolean mask of test items. ``Y`` is an (n, k) label indicator matrix; items
    sharing a group value land on the same side. ``fixed``: per item, True (test) or
    False (train) for an item whose side is settled (every item of its group), None
    for one to split; the settled ones count towards the shares the others are split
    to reach."""
    import numpy as np

    Y = np.asarray(Y, dtype=np.float64)
    n = len(Y)
    if not 0 < test_size < 1:
        raise LabelError(f"test size must be between 0 and 1, not {test_size}",
                         hint=in_words("e.g. test_size=0.3", "e.g. --test-size 0.3",
                                       "e.g. 30%"))
    keys: dict[Any, int] = {}
    unit = np.array([keys.setdefault(g, len(keys)) for g in groups], dtype=np.int64)
    m = len(keys)
    if m < 2:
        raise LabelError(f"only {m} group{'s' if m != 1 else ''}: cannot put some in train "
                         "and some in test", hint="label more items (or more groups)")
    U = np.zeros((m, Y.shape[1]))
    np.add.at(U, unit, Y)
    sizes = np.bincount(unit, minlength=m).astype(np.float64)
    totals = np.maximum(U.sum(axis=0), 1.0)
    rng = np.random.default_rng(seed)
    # rare labels first, then larger units, random among equals
    rarity = np.where(U > 0, 1.0 / totals, 0.0).max(axis=1)
    order = np.lexsort((rng.random(m), -sizes, -rarity))
    test_l = np.zeros(Y.shape[1])
    seen_l = np.zeros(Y.shape[1])
    test_n = seen_n = 0.0
    in_test = np.zeros(m, dtype=bool)
    settled = np.zeros(m, dtype=bool)
    for r, f in enumerate(fixed or ()):
        if f is not None:
            settled[unit[r]] = True
            in_test[unit[r]] = bool(f)
    for u in np.flatnonzero(settled):
        seen_l += U[u]
        seen_n += sizes[u]
        if in_test[u]:
            test_l += U[u]
            test_n += sizes[u]
    order = order[~settled[order]]
    for u in order:
        v, s = U[u], sizes[u]
        seen_l += v
        seen_n += s
        target_l = test_size * seen_l
        target_n = test_size * seen_n
        cost_test = (((test_l + v - target_l) ** 2) / totals).sum() + (test_n + s - target_n) ** 2 / n
        cost_train = (((test_l - target_l) ** 2) / totals).sum() + (test_n - target_n) ** 2 / n
        if cost_test < cost_train or (cost_test == cost_train and rng.random() < test_size):
            in_test[u] = True
            test_l += v
            test_n += s
    if (in_test.all() or not in_test.any()) and len(order):
        # tiny data: force one unit across
        flip = order[-1]
        in_test[flip] = not in_test[flip]
    mask = in_test[unit]
    for r, f in enumerate(fixed or ()):
        if f is not None:
            mask[r] = bool(f)
    return mask


def field_fix() -> str:
    """The fix for a metadata field no item has, in the caller's words."""
    return in_words("check the field name in an item's meta: ws.item(ITEM_ID).meta",
                    "check the field name with glamlab items show ITEM_ID",
                    "check the field name on an item's page")


def split_labels(ws: Workspace, *, test_size: float = 0.3, seed: int = 0,
                 group_by: str | None = None, force: bool = False,
                 actor: str = ACTOR) -> SplitReport:
    """Split the labelled items into train and test (stratified, optionally grouped).

    A frozen test split (one an evaluation has read) is changed only with ``force``;
    the change is logged in the audit log. Items the task kind keeps in their split
    (:meth:`TaskKind.kept_in_split`: items labelled in review) stay there, and items a
    saved model learned from stay in the train split, with the other items of their
    groups (:func:`keep_in_place`); the rest is split around them."""
    import numpy as np

    frozen = freeze_info(ws)
    if frozen and not force:
        raise LabelError(
            f"the test split is frozen: an evaluation ({frozen['by']}) read it on "
            f"{frozen['at']:%Y-%m-%d %H:%M} UTC, and changing it would make later results "
            "incomparable",
            hint=in_words("add new training labels with import_labels(ws, FILE, "
                          "split='train'); re-split only if you must, with force=True (it "
                          "is logged)",
                          "add new training labels with `glamlab labels import FILE --split "
                          "train`; re-split only if you must, with --force (it is logged)",
                          "new labels go to training on the Labelling page; the test set "
                          "stays as it is"))
    kind = task_kind(ws.card)
    gold = gold_labels(ws, kind=kind)
    if not gold:
        raise LabelError("no labelled items to split", hint=in_words(
            "import labels first: import_labels(ws, 'FILE.csv')",
            "import labels first: glamlab labels import FILE.csv",
            "label items on the Labelling page, or bring a spreadsheet of labels in on "
            "the Bring items in page"))
    # the calibration split (labelled on purpose, for tuning) keeps its items
    calibration = {i for i, s in split_of(ws, list(gold)).items() if s == "calibration"}
    ids = [i for i in gold if i not in calibration]
    if not ids:
        raise LabelError("no labelled items to split outside the calibration split",
                         hint="import labels first: glamlab labels import FILE.csv")
    strata = {i: kind.strata(gold[i]) for i in ids}
    labels = kind.breakdown_labels()
    labels += sorted({s for ss in strata.values() for s in ss} - set(labels))
    index = {c: i for i, c in enumerate(labels)}
    Y = np.zeros((len(ids), len(labels)))
    for r, item_id in enumerate(ids):
        for label in strata[item_id]:
            Y[r, index[label]] = 1
    groups: list[Any] = list(ids)
    ungrouped = 0
    if group_by:
        meta: dict[str, Any] = {}
        for item in ws.items(ids=ids):
            meta[item.item_id] = _group_value(item, group_by)
        if not any(v is not None for v in meta.values()):
            raise LabelError(f"no labelled item has the metadata field {group_by!r}",
                             hint=field_fix())
        groups = []
        for item_id in ids:
            v = meta.get(item_id)
            if v is None:
                ungrouped += 1
                groups.append(("item", item_id))
            else:
                groups.append(("group", str(v)))
        if len(ids) > 1 and len(set(groups)) == 1:
            raise _one_group(ws, ids, group_by, str(next(iter(meta.values()))))
    # items labelled in review stay where they are, items a saved model learned from stay
    # in training (with their groups)
    with ws.store.read() as conn:
        reviewed = kind.kept_in_split(ws, ids, conn)
        pinned, learned = keep_in_place(conn, ws, ids, groups, reviewed)
    mask = split_around(Y, ids, groups, pinned, test_size, seed, learned=len(learned))
    kept_with = len(pinned) - len(reviewed | learned)
    assignment = {item_id: ("test" if t else "train") for item_id, t in zip(ids, mask, strict=True)}
    with ws.store.write() as conn:
        conn.execute(ws.store.t.splits.delete().where(
            ws.store.t.splits.c.split != "calibration"))
        _set_splits(conn, ws, assignment)
        ws.store.audit(conn, actor, "split.create", None, test_size=test_size, seed=seed,
                       group_by=group_by, forced=bool(frozen), train=int((~mask).sum()),
                       test=int(mask.sum()), kept=len(reviewed), kept_with=kept_with,
                       learned=len(learned - reviewed))
    per_label = []
    for j, label in enumerate(labels):
        col = Y[:, j] > 0
        per_label.append({"label": label, "train": int((col & ~mask).sum()),
                          "test": int((col & mask).sum())})
    return SplitReport(train=int((~mask).sum()), test=int(mask.sum()), test_size=test_size,
                       seed=seed, group_by=group_by, groups=len(set(groups)),
                       forced=bool(frozen), labels=per_label, ungrouped=ungrouped,
                       kept=len(reviewed), kept_with=kept_with,
                       learned=len(learned - reviewed))


def _one_group(ws: Workspace, ids: Sequence[str], group_by: str, value: str) -> LabelError:
    """The error when every labelled item has the same value of ``group_by``: kept
    whole, that one group cannot be split. Says where the value came from and the fix
    (more labels would not help)."""
    first = next(iter(ws.items(ids=ids[:1])))
    if group_by == "document" and "document" not in first.meta:
        origin = ("glamlab took each item's document from the folder its file is in, "
                  "as the items have no document field")
    elif group_by == "document" and first.source_kind == "folder":
        origin = ("ingesting a folder of images sets each image's document to the "
                  "folder it is in")
    else:
        origin = f"it is the items' metadata field {group_by!r} as ingested"
    return LabelError(
        f"every labelled item ({len(ids):,}) has the same {group_by}, {value!r} "
        f"({origin}): kept whole, that one group cannot be split into train and test",
        hint=(f"give each item its real {group_by}: ingest a table (CSV) with the same "
              f"ids and a {group_by} column (such as the labels CSV that names each "
              f"page's document) as a new version of each item (ws.ingest([...], "
              f"allow_source_change=True); glamlab ingest --allow-source-change)"
              + (", or put each document's images in a folder of its own and ingest "
                 "again" if group_by == "document" else "")
              + f", then split again; or split without group_by (--group-by on the command line) if the items "
                f"are not parts of a few {group_by}s"))


def keep_together_fields(ws: Workspace, *, limit: int = 5000) -> list[str]:
    """The metadata fields a split could keep whole (``group_by``): those whose values
    several labelled items share (the pages of one document) and that still have two
    values or more, the task kind's suggestions (:attr:`TaskKind.keep_together`) first,
    the others in name order. Read from the first ``limit`` labelled items outside the
    calibration split."""
    kind = task_kind(ws.card)
    ids = list(gold_labels(ws, kind=kind))
    calibration = {i for i, s in split_of(ws, ids).items() if s == "calibration"}
    ids = [i for i in ids if i not in calibration][:limit]
    values: dict[str, list[str]] = {}
    for item in ws.items(ids=ids):
        for name in dict.fromkeys((*kind.keep_together, *map(str, item.meta))):
            v = _group_value(item, name)
            if isinstance(v, (str, int, float)) and not isinstance(v, bool):
                values.setdefault(name, []).append(str(v))
    shared = [name for name, vs in values.items() if 2 <= len(set(vs)) < len(vs)]
    suggested = [name for name in kind.keep_together if name in shared]
    return suggested + sorted(set(shared) - set(suggested))


def suggested_keep_together(ws: Workspace) -> str | None:
    """The field a test set should keep whole unless told otherwise: the first of
    :func:`keep_together_fields` when the task kind suggests it (a ``document``), else
    None (a field the labelled items merely share is offered, not suggested)."""
    fields = keep_together_fields(ws)
    return fields[0] if fields and fields[0] in task_kind(ws.card).keep_together else None


#: words in a field's name that say it names the work an item is part of (a book's pages
#: share it): such a field groups a test split better than nothing
GROUP_WORDS = ("book", "document", "volume", "work", "manuscript", "shelfmark", "title",
               "livre", "band", "issue", "ark")


def grouping_field(ws: Workspace) -> str | None:
    """The field a test split should keep whole: :func:`suggested_keep_together` (a
    ``document`` with two values or more), else a field the labelled items share whose
    name says it is their book or document (a labels sheet's ``Book`` column); None when
    there is none."""
    fields = keep_together_fields(ws)
    kind = task_kind(ws.card)
    if fields and fields[0] in kind.keep_together:
        return fields[0]
    return next((f for f in fields if any(w in f.lower() for w in GROUP_WORDS)), None)


def ungrouped_split(ws: Workspace) -> dict[str, Any] | None:
    """The field the current test split should have kept whole but did not (its items'
    pages of one book are on both sides: an optimistic test figure), as ``field`` with
    ``frozen`` (whether an evaluation has read the split), or None."""
    name = grouping_field(ws)
    if name is None:
        return None
    with ws.store.read() as conn:
        created = _last_audit(conn, ws, "split.create")
        if created is None or (created.details or {}).get("group_by") == name:
            return None  # no split yet, or one that kept it whole
        return {"field": name, "frozen": is_frozen(ws, conn=conn)}


def _group_value(item: Item, field_name: str) -> Any:
    if field_name == "document":
        # pages ingested before items carried a document key: their manifest or folder
        from ..ingest.base import document_of

        return document_of(item.meta, item.uri)
    if field_name in item.meta:
        v = item.meta[field_name]
        return None if v in (None, "") else v
    v = getattr(item, field_name, None) if field_name in ("source", "source_kind", "uri") else None
    return v or None


@dataclass
class LabelledSet:
    """Items of one split with their gold labels (as the task kind has them), in item id
    order."""

    split: str
    items: list[Item]
    labels: list[Any]  # one gold label per item
    classes: list[str]
    multi_label: bool
    fingerprint: str
    kind: TaskKind[Any, Any]
    # items of the split whose gold is only partly given (a text some of whose spans a
    # reviewer decided, not all), left out of a training set until the rest is decided
    waiting: list[str] = field(default_factory=list)
    # items of the split whose gold was given for content they no longer have (a text
    # re-ingested with other words after its gold spans were made), left out of a
    # training set until a person labels them again
    changed: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Any]:
        """Unpacks as ``items, labels = training_data(ws)`` (labels as ``fit`` takes them)."""
        return iter((self.items, self.targets()))

    @property
    def ids(self) -> list[str]:
        return [i.item_id for i in self.items]

    def targets(self) -> list[Any]:
        """Labels as a predictor's ``fit`` takes them (classification: a label per item,
        or lists for multi-label)."""
        return self.kind.targets(self.labels)


# Item metadata that is training signal too (graphic boxes for graphic-windows): a model
# trained before boxes arrived is not the same training data.
SIGNAL_META = ("boxes", "boxes_size")


def fingerprint_row(item: Item, labels: Any) -> tuple[Any, ...]:
    """What identifies one training example: id, content, labels, and any signal
    metadata (left out when absent, so fingerprints of plain labels never change)."""
    signal = {k: item.meta[k] for k in SIGNAL_META if (item.meta or {}).get(k)}
    if signal:
        return (item.item_id, item.content_hash, labels, signal)
    return (item.item_id, item.content_hash, labels)


def fingerprint(rows: Iterable[tuple[Any, ...]]) -> str:
    """A stable sha256 over rows such as (item_id, content_hash, labels)."""
    h = hashlib.sha256()
    for row in sorted(json.dumps(list(r), default=str, sort_keys=True) for r in rows):
        h.update(row.encode())
        h.update(b"\n")
    return h.hexdigest()


def _labelled_set(ws: Workspace, split: str, ids: Sequence[str] | None = None, *,
                  complete_only: bool = False, fitting_only: bool = False) -> LabelledSet:
    """The labelled items of ``split``; ``complete_only`` (training) leaves out, in
    ``changed``, those whose gold was given for content they no longer have
    (:meth:`TaskKind.changed_gold`), and in ``waiting``, those whose gold is only partly
    given (:meth:`TaskKind.partial_gold`); ``fitting_only`` (scoring) leaves out the
    ``changed`` ones only."""
    kind = task_kind(ws.card)
    waiting: list[str] = []
    changed: list[str] = []
    with ws.store.read() as conn:
        splits = split_of(ws, ids, conn=conn)
        wanted = sorted(i for i, s in splits.items() if s == split)
        gold = gold_labels(ws, wanted, conn=conn, kind=kind)
        if (complete_only or fitting_only) and gold:
            changed = sorted(kind.changed_gold(ws, sorted(gold), conn))
            for item_id in changed:
                del gold[item_id]
        if complete_only and gold:
            waiting = sorted(kind.partial_gold(ws, sorted(gold), conn))
            for item_id in waiting:
                del gold[item_id]
    items = []
    labels = []
    for item in ws.items(ids=[i for i in wanted if i in gold]):
        items.append(item)
        labels.append(gold[item.item_id])
    fp = fingerprint(fingerprint_row(i, kind.gold_key(g)) for i, g in zip(items, labels, strict=True))
    return LabelledSet(split=split, items=items, labels=labels, classes=list(kind.labels),
                       multi_label=ws.card.multi_label, fingerprint=fp, kind=kind,
                       waiting=waiting, changed=changed)


def labelled_split(ws: Workspace, split: str) -> LabelledSet:
    """The labelled items of one split (possibly none). Training goes through
    :func:`training_data`, scoring through :func:`test_data`; this serves the others
    (the calibration split)."""
    if split == "test":
        raise LabelError("read the test split through test_data (it freezes it)")
    return _labelled_set(ws, split)


#: what to do about a text whose gold spans were made on its earlier text
CHANGED_GOLD_FIX = ("label the text again for its new words (on the labelling page, or "
                    "import its spans again for the new text with glamlab labels import FILE --replace), or "
                    "run the model on it (glamlab run, then glamlab act), review its spans "
                    "in the review queue and mark the whole text checked (its spans saved before that still cover "
                    "the same words are kept, the others left out)")


def changed_gold_sentence(ids: Sequence[str]) -> str:
    """The plain words for texts whose gold spans were made on their earlier text
    (:meth:`TaskKind.changed_gold`): what happened, to which, and what it means."""
    n = len(ids)
    shown = ", ".join(repr(i) for i in ids[:5]) + (f" and {n - 5:,} more" if n > 5 else "")
    return (f"{n:,} text{'s were' if n != 1 else ' was'} re-ingested with other words after "
            f"{'their' if n != 1 else 'its'} gold spans were made ({shown}): those spans "
            "point into the earlier text, so they are left out of training and settle none "
            "of the model's spans (they are kept)")


#: what to do about a test text whose gold spans were made on its earlier text (a test
#: text is not marked checked, nor are entities added to it in the review queue)
CHANGED_TEST_FIX = ("label the text again for its new words on the labelling page, or "
                    "import its spans again for the new text with glamlab labels import "
                    "FILE --replace")


def changed_test_sentence(ids: Sequence[str]) -> str:
    """The plain words for test texts left out of scoring because their gold spans were
    made on their earlier text (:func:`test_data`)."""
    n = len(ids)
    shown = ", ".join(repr(i) for i in ids[:5]) + (f" and {n - 5:,} more" if n > 5 else "")
    return (f"{n:,} test text{'s were' if n != 1 else ' was'} re-ingested with other words "
            f"after {'their' if n != 1 else 'its'} gold spans were made ({shown}): those "
            "spans point into the earlier text, so scoring the model on the new words "
            f"against them would be wrong; {'they are' if n != 1 else 'it is'} left out of "
            "the evaluation (the gold is kept)")


def training_data(ws: Workspace, *, ids: Sequence[str] | None = None,
                  splits: Sequence[str] = ("train",)) -> LabelledSet:
    """The labelled items a predictor may learn from: the train split only.

    Every fit path goes through here. Asking for the test split, or for items that
    sit in it, raises :class:`LabelError` (nothing may ever train on the test split).
    Items whose gold is only partly given (a text some of whose predicted spans a
    reviewer decided, not all: its other words would read as "not an entity"; a
    multi-label record one of whose suggested labels a reviewer accepted while others
    are still open: they would read as "does not apply") are left out and named in
    ``waiting``."""
    if any(s != "train" for s in splits):
        raise LabelError(f"refusing to train on the {', '.join(s for s in splits if s != 'train')}"
                         " split: nothing may ever train on test items",
                         hint="train on the train split only")
    if ids is not None:
        leaked = [i for i, s in split_of(ws, ids).items() if s == "test"]
        if leaked:
            raise LabelError(f"{len(leaked)} of the requested training items are in the test "
                             f"split (e.g. {leaked[0]}): nothing may ever train on test items",
                             item=leaked[0], hint="leave test items out of the training set")
    data = _labelled_set(ws, "train", ids, complete_only=True)
    if not data.items and data.waiting and data.kind.name != "entities":
        from .partial_labels import WAITING_FIX, waiting_refusal

        raise LabelError(waiting_refusal(data.waiting, data.kind.noun_one, data.kind.noun),
                         item=data.waiting[0], hint=WAITING_FIX)
    if not data.items and data.waiting:
        n = len(data.waiting)
        raise LabelError(f"no fully labelled items in the train split: {n:,} partly reviewed "
                         f"text{'s' if n != 1 else ''} (e.g. {data.waiting[0]}) wait until "
                         "every span in them is decided", item=data.waiting[0],
                         hint="decide their other spans in the review queue, or mark a text "
                              "done there once you have checked all of it")
    if not data.items and data.changed:
        raise LabelError(changed_gold_sentence(data.changed), item=data.changed[0],
                         hint=CHANGED_GOLD_FIX)
    if not data.items:
        raise LabelError("no labelled items in the train split",
                         hint=in_words("import labels and split them with split_labels(ws), "
                                       "or import with import_labels(ws, FILE, split='train')",
                                       "import labels and run `glamlab labels split`, or "
                                       "import with --split train",
                                       _LABEL_ON_THE_PAGES))
    return data


def test_data(ws: Workspace, *, reader: str = "evaluate", freeze: bool = True) -> LabelledSet:
    """The frozen test split. Reading it for an evaluation freezes it.

    A test item whose gold was given for content it no longer has (a text re-ingested
    with other words after its gold spans were made: :meth:`TaskKind.changed_gold`) is
    left out and named in ``changed``, as training leaves it out: its gold spans are
    offsets into the earlier text, and scoring a prediction on the new text against them
    would count right spans wrong and wrong ones right (:func:`changed_test_sentence`)."""
    data = _labelled_set(ws, "test", fitting_only=True)
    if not data.items and data.changed:
        raise LabelError(changed_test_sentence(data.changed), item=data.changed[0],
                         hint=CHANGED_TEST_FIX)
    if not data.items and ws.card.modality == "tabular":
        # a table splits by time: the random split's --test-size is refused there
        cutoff = ws.card.section("split").get("train_until")
        raise LabelError("the test split is empty: no row with an outcome is dated on or after "
                         f"the time split's cutoff{f' ({cutoff})' if cutoff else ''}",
                         hint=in_words(
                             "move the cutoff inside the rows' time range: "
                             "set_time_split(ws, 'YYYY-MM-DD') (the rows from that date on "
                             "are the test split), or ingest the later rows with their "
                             "outcomes",
                             "move the cutoff inside the rows' time range: `glamlab labels "
                             "split --by-time --cutoff YYYY-MM-DD` (the rows from that date "
                             "on are the test split), or ingest the later rows with their "
                             "outcomes",
                             "choose a first date of the test rows inside the rows' time "
                             "range on the Labelling page, or bring the later rows in with "
                             "their outcomes on the Bring rows in page"))
    if not data.items:
        raise LabelError("the test split is empty",
                         hint=in_words("split the labels with split_labels(ws, test_size=0.3) "
                                       "or import labels with import_labels(ws, FILE, "
                                       "split='test')",
                                       "run `glamlab labels split --test-size 0.3` or import "
                                       "labels with --split test",
                                       _LABEL_ON_THE_PAGES))
    if freeze:
        with ws.store.write() as conn:
            if not is_frozen(ws, conn=conn):
                ws.store.audit(conn, ACTOR, "split.freeze", data.fingerprint, reader=reader,
                               items=len(data.items))
    return data


#: how many times the test split may choose or judge something (an evaluation, a gate
#: decision, thresholds reported on it) before its figures are flagged: every look that
#: informs a decision makes the next figure a little more flattering ([gate] test_budget)
DEFAULT_TEST_BUDGET = 20


def record_test_use(ws: Workspace, fingerprint: str, purpose: str,
                    actor: str = ACTOR) -> int:
    """Log one use of the test split (``test.use`` in the audit log) and return how many
    times this test split (by fingerprint) has been used."""
    with ws.store.write() as conn:
        ws.store.audit(conn, actor, "test.use", fingerprint, purpose=purpose)
    return test_uses(ws, fingerprint)


def test_uses(ws: Workspace, fingerprint: str) -> int:
    """How many times the test split with this fingerprint has been used."""
    t = ws.store.t.audit_log
    with ws.store.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(t).where(
            t.c.action == "test.use", t.c.object == fingerprint)).scalar() or 0)


def test_budget(ws: Workspace) -> int:
    """``[gate] test_budget`` (default :data:`DEFAULT_TEST_BUDGET`)."""
    value = ws.card.section("gate").get("test_budget", DEFAULT_TEST_BUDGET)
    return int(value)


def budget_warning(uses: int, budget: int, *, web: bool = False) -> str | None:
    """The warning once the test split has been used more than ``budget`` times.
    ``web``: in the web app's words (no command, no card setting)."""
    if uses <= budget:
        return None
    if web:
        return (f"the test set has been used {uses} times, past its budget of {budget}: "
                "each look that chose or judged something makes its figures flatter those "
                "choices. Before trusting small differences, ask whoever runs glamlab on "
                "the server to run \"glamlab labels sample --split test\", which sets "
                "aside a fresh test set to label.")
    return (f"the test split has been used {uses} times, past its budget of {budget} "
            "([gate] test_budget): each look that chose or judged something makes its "
            "figures flatter those choices. Label a fresh test split (glamlab labels "
            "sample --split test) before trusting small differences.")


test_data.__test__ = False  # type: ignore[attr-defined]  # not a pytest test when imported
test_uses.__test__ = False  # type: ignore[attr-defined]
test_budget.__test__ = False  # type: ignore[attr-defined]
