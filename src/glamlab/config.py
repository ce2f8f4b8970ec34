"""``glamlab.toml``: the project card.

The card states the need in words, the task, its labels and metric, what an external
service costs per item, how long a review takes, and the policy. Sections that later
stages own (``policy``, ``safety``, ``services``, ``gate``, ``monitor``) are kept as
plain dictionaries in :attr:`ProjectCard.raw` and read by those stages.

``[task] kind`` names the task kind (:mod:`glamlab.tasks.kinds`: "single-label",
"multi-label", ...), which checks the labels and the metric and owns what differs between
kinds; ``[task]`` also holds that kind's options. A card without it (made before kinds
were named) is single- or multi-label as ``[project] multi_label`` says.
"""

from __future__ import annotations

import copy
import csv
import os
import re
import tomllib
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import CardNotWritable, ConfigError
from .said import card_words

CONFIG_NAME = "glamlab.toml"
DB_NAME = "glamlab.db"
MODALITIES = ("image", "text", "tabular")  # tabular: rows of a table over time
DEFAULT_MAX_IMAGE_PIXELS = 178_956_970  # Pillow's own default bomb limit
_LABEL_RE = re.compile(r"^[^\s|][^|\n]*$")


def parse_label_list(text: str, *, hint: str) -> list[str]:
    """A list of labels written as one piece of text, read one way everywhere a person
    types them (``glamlab init --labels``, the web app's project form):

    - one label a line, where the text has a line break (a label keeps its commas);
    - separated by ``|`` (no label holds one): ``people|emotions, concepts and ideas``;
    - comma-separated, a label that holds a comma in double quotes, read as a CSV row:
      ``"emotions, concepts and ideas",nature``;
    - else separated by commas: ``blank,content``.

    Spaces around a label and empty entries are dropped. Text that could be read two ways
    (quotes and ``|`` together, a quote left open) is refused with ``hint``, the fix in
    the words of where it was typed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\n" in text.strip():
        parts = text.split("\n")
    elif '"' in text:
        if "|" in text:
            raise ConfigError(f"the labels {text!r} mix double quotes and '|', so they read "
                              "two ways", hint=hint)
        try:
            rows = list(csv.reader([text], skipinitialspace=True, strict=True))
        except csv.Error:
            rows = []
        if len(rows) != 1 or any('"' in p for p in rows[0]):
            raise ConfigError(f"the labels {text!r} have a double quote that does not "
                              "enclose a whole label", hint=hint)
        parts = rows[0]
    else:
        parts = text.split("|" if "|" in text else ",")
    return [p.strip() for p in parts if p.strip()]


def check_label_names(labels: Sequence[str], *, rename: str, unique: str) -> None:
    """Refuse a label no project may have (one holding ``|``, which separates labels in
    CSV files, a line break or surrounding spaces) or a label given twice, with the fix in
    the words of where the labels came from: ``rename`` (a label to rename: the card's
    ``[project] labels``, ``glamlab init``'s ``--labels-file``, the web app's form) and
    ``unique`` (a label given twice)."""
    for label in labels:
        if "|" in label and label.strip() and "\n" not in label:
            raise ConfigError(f"label {label!r} holds '|', which no label may hold (it "
                              "separates labels in CSV files)", hint=rename)
        if not _LABEL_RE.match(label) or label != label.strip():
            raise ConfigError(
                f"label {label!r} is not usable: no '|' (it separates labels in CSV files), "
                "line breaks or surrounding spaces", hint=rename)
    if len(set(labels)) != len(labels):
        twice = sorted({x for x in labels if list(labels).count(x) > 1})
        raise ConfigError(f"the labels are not unique ({', '.join(map(repr, twice))} given "
                          "more than once)", hint=unique)


def two_labels_fix() -> str:
    """The fix for a single-label card with fewer than two labels, in the words of whoever
    gave them (:func:`glamlab.said.card_words`)."""
    return card_words(f"give at least two in [project] labels in {CONFIG_NAME}",
                      "give at least two labels, e.g. labels=['blank', 'content']",
                      "give them with --labels a,b (e.g. --labels blank,content)",
                      "write each label on its own line in the labels")


@dataclass
class ProjectCard:
    name: str
    task: str
    modality: str
    labels: list[str]
    need: str = ""
    multi_label: bool = False
    metric: str = "f1_macro"
    kind: str = ""  # the task kind; "" = derived from multi_label (cards made before kinds)
    positive_label: str | None = None  # the label a filter acts on, e.g. "blank"
    price_per_item: float = 0.0  # what an external service (e.g. paid OCR) charges per item
    currency: str = "EUR"
    review_seconds_per_item: float = 20.0
    max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS
    db_url: str = ""
    raw: dict[str, Any] = field(default_factory=dict)
    #: what the card said when it was read or last saved (:meth:`to_dict`): :meth:`save`
    #: changes in the file only what differs from it, so the rest stays as a person wrote it
    saved: dict[str, Any] | None = field(default=None, init=False, repr=False, compare=False)
    #: the file as it was then (:func:`card_stamp`): a changed file is read again
    #: (:meth:`glamlab.workspace.Workspace.refresh_card`)
    stamp: tuple[int, ...] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.kind:
            self.kind = "multi-label" if self.multi_label else "single-label"

    def validate(self) -> None:
        """What every card needs; the task kind checks the rest (its labels, its metrics:
        :func:`glamlab.tasks.kinds.task_kind`)."""
        if self.modality not in MODALITIES:
            raise ConfigError(
                f"modality must be one of {', '.join(MODALITIES)}, not {self.modality!r}",
                hint=card_words(f"edit [project] modality in {CONFIG_NAME}",
                                f"give modality= one of {', '.join(map(repr, MODALITIES))}",
                                f"give --modality one of {', '.join(MODALITIES)}",
                                "choose what the items are: texts, images or rows of a "
                                "table"),
            )
        if len(self.labels) < 1:
            raise ConfigError("the task has no labels", hint=two_labels_fix())
        if self.kind == "single-label" and len(self.labels) < 2:
            raise ConfigError("a single-label task needs at least two labels",
                              hint=two_labels_fix())
        # a new card's fix is the caller's (labels=[...], --labels, the form), not the file's
        check_label_names(self.labels, rename=card_words(
            f"rename it in [project] labels in {CONFIG_NAME}",
            "rename it in labels=[...]: no '|' (e.g. 'a / b' for 'a|b'), line breaks or "
            "surrounding spaces", "give --labels once for each label, without '|' (e.g. "
            "'a / b' for 'a|b')", "write that label without '|' in the labels, one a line "
            "(for example 'a / b' instead of 'a|b')"),
            unique=card_words(f"edit [project] labels in {CONFIG_NAME}",
                              "give each label once in labels=[...]",
                              "give each label once in --labels",
                              "write each label once in the labels"))
        if not self.metric or not isinstance(self.metric, str):
            raise ConfigError("the card names no metric", hint=f"edit [project] metric in "
                                                                f"{CONFIG_NAME}")
        if not self.kind or not isinstance(self.kind, str):
            raise ConfigError("the card names no task kind",
                              hint=f"set [task] kind in {CONFIG_NAME}")
        if self.positive_label is not None and self.positive_label not in self.labels:
            raise ConfigError(
                f"positive_label {self.positive_label!r} is not one of the labels",
                hint=card_words(f"edit [project] positive_label in {CONFIG_NAME}",
                                "give positive_label= one of labels=[...], or None",
                                "give --positive-label one of --labels, or leave it out",
                                "choose one of the labels"),
            )
        if self.max_image_pixels <= 0:
            raise ConfigError("max_image_pixels must be positive", hint=f"edit [ingest] in {CONFIG_NAME}")
        fetch_policy(self)  # [fetch]: refused here, not at the first image

    # -- (de)serialisation ----------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {k: v for k, v in self.raw.items()}
        project: dict[str, Any] = {
            "name": self.name,
            "need": self.need,
            "task": self.task,
            "modality": self.modality,
            "labels": list(self.labels),
            "multi_label": self.multi_label,
            "metric": self.metric,
        }
        if self.positive_label:
            project["positive_label"] = self.positive_label
        data["project"] = {**data.get("project", {}), **project}
        data["task"] = {**data.get("task", {}), "kind": self.kind}
        data["costs"] = {
            **data.get("costs", {}),
            "price_per_item": self.price_per_item,
            "currency": self.currency,
            "review_seconds_per_item": self.review_seconds_per_item,
        }
        data["ingest"] = {**data.get("ingest", {}), "max_image_pixels": self.max_image_pixels}
        if self.db_url:
            data["database"] = {**data.get("database", {}), "url": self.db_url}
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = CONFIG_NAME) -> ProjectCard:
        project = data.get("project")
        if not isinstance(project, dict):
            raise ConfigError(f"{source} has no [project] section", hint="run glamlab init to create one")
        try:
            card = cls(
                name=str(project.get("name", project.get("task", "project"))),
                task=str(project["task"]),
                modality=str(project["modality"]),
                labels=[str(x) for x in project["labels"]],
                need=str(project.get("need", "")),
                multi_label=bool(project.get("multi_label",
                                             _section(data, "task").get("kind") == "multi-label")),
                kind=str(_section(data, "task").get("kind") or ""),
                metric=str(project.get("metric", "f1_macro")),
                positive_label=project.get("positive_label"),
                price_per_item=float(data.get("costs", {}).get("price_per_item", 0.0)),
                currency=str(data.get("costs", {}).get("currency", "EUR")),
                review_seconds_per_item=float(
                    data.get("costs", {}).get("review_seconds_per_item", 20.0)
                ),
                max_image_pixels=int(
                    data.get("ingest", {}).get("max_image_pixels", DEFAULT_MAX_IMAGE_PIXELS)
                ),
                db_url=str(data.get("database", {}).get("url", "")),
                raw={k: v for k, v in data.items()},
            )
        except KeyError as exc:
            raise ConfigError(
                f"{source}: [project] is missing {exc.args[0]!r}",
                hint="add it, or recreate the card with glamlab init",
            ) from exc
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{source}: {exc}", hint="fix the value in the file") from exc
        card.validate()
        return card

    @classmethod
    def load(cls, path: Path) -> ProjectCard:
        stamp = card_stamp(path)  # before reading: a change while reading is seen next time
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"{path} does not exist", hint="run glamlab init first") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}", hint="fix the syntax") from exc
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror or exc}",
                              hint="make it readable (chmod u+r), then try again") from exc
        card = cls.from_dict(data, source=str(path))
        card.saved = copy.deepcopy(card.to_dict())
        card.stamp = stamp
        return card

    def save(self, path: Path) -> None:
        """Write the card to ``path``, changing in the file only the values that changed
        since it was read (:attr:`saved`): comments, key order and layout a person wrote
        stay, and so do values edited in the file since (unless this card changed them
        too). At once (a new file renamed over the old one), keeping its permissions. A
        file or folder that cannot be written is one :class:`CardNotWritable`, with the
        fix; a file that is no longer valid TOML is refused, left as it is."""
        data = self.to_dict()
        check_card_writable(path)
        text = updated_card_text(path, data, self.saved)
        try:
            from .files import replace_text

            replace_text(path, text)
        except OSError as exc:
            raise CardNotWritable(
                f"cannot write {path}: {exc.strerror or exc}",
                hint=f"make {CONFIG_NAME} and its folder writable (chmod u+w), or free "
                     "some space, then try again") from exc
        self.saved = copy.deepcopy(data)
        self.stamp = card_stamp(path)

    def section(self, name: str) -> dict[str, Any]:
        """A later stage's section of the card (``policy``, ``safety``, ...), or {}."""
        value = self.raw.get(name, {})
        return value if isinstance(value, dict) else {}


def ingest_limit(card: ProjectCard, key: str, default: int) -> int:
    """``[ingest] KEY`` of the card (a size limit: ``max_xml_bytes``, ``max_text_chars``),
    ``default`` when it is not set; anything but a whole number above 0 is refused."""
    value = card.section("ingest").get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"[ingest] {key} in {CONFIG_NAME} must be a whole number above 0, "
                          f"not {value!r}",
                          hint=f"set it to a number such as {key} = {default} (the default), "
                               "or remove it")
    return value


@dataclass(frozen=True)
class FetchPolicy:
    """Which image addresses the server may fetch (``[fetch]`` in the card). By default
    only addresses on the public internet: a host that resolves to a loopback, private,
    link-local, multicast, reserved or unspecified address (the server itself, the cloud's
    metadata service, the institution's internal network) is refused.
    ``allow_private = true`` lifts that for every host; ``allow_hosts`` for the hosts (an
    exact name, such as an intranet IIIF server) or address ranges (``10.2.0.0/16``) it
    lists."""

    allow_private: bool = False
    allow_hosts: tuple[str, ...] = ()


def fetch_policy(card: ProjectCard) -> FetchPolicy:
    """The card's ``[fetch]`` section as a :class:`FetchPolicy`; a value of the wrong kind
    is one :class:`ConfigError` with the fix."""
    section = card.section("fetch")
    allow_private = section.get("allow_private", False)
    if not isinstance(allow_private, bool):
        raise ConfigError(f"[fetch] allow_private in {CONFIG_NAME} must be true or false, "
                          f"not {allow_private!r}",
                          hint="write allow_private = true (no quotes), or remove it")
    hosts = section.get("allow_hosts", [])
    if isinstance(hosts, str):
        hosts = [hosts]
    if not isinstance(hosts, list) or not all(isinstance(h, str) and h.strip() for h in hosts):
        raise ConfigError(f"[fetch] allow_hosts in {CONFIG_NAME} must be a list of host "
                          f"names or address ranges, not {hosts!r}",
                          hint='write e.g. allow_hosts = ["iiif.intranet.example", '
                               '"10.2.0.0/16"]')
    return FetchPolicy(allow_private=allow_private,
                       allow_hosts=tuple(h.strip().lower().rstrip(".") for h in hosts))


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    return value if isinstance(value, dict) else {}


CARD_HEADER = (
    "glamlab project card. Edit by hand or through glamlab commands.",
    "[project] states the need and the task; [costs] what an external service",
    "charges per item; [policy] how predictions become actions.",
)


def card_stamp(path: Path) -> tuple[int, ...] | None:
    """What tells a changed card file (its inode, modification time and size; a file
    replaced at once gets a new inode), or None when there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def card_not_writable(path: Path) -> str | None:
    """Why the card at ``path`` cannot be written, checked without writing (None when it
    can be): the file is read-only, or its folder is (a card is written beside itself,
    then renamed over the old one)."""
    target = Path(os.path.realpath(path))
    if target.exists() and not os.access(target, os.W_OK):
        return f"{path} is read-only"
    folder = target.parent
    if not folder.is_dir():
        return f"its folder {folder} does not exist"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"its folder {folder} is read-only"
    return None


def check_card_writable(path: Path) -> None:
    """One :class:`CardNotWritable` with the fix when the card cannot be written."""
    why = card_not_writable(path)
    if why:
        raise CardNotWritable(f"cannot save {CONFIG_NAME}: {why}",
                              hint=f"make it writable (chmod u+w {path}; for the folder "
                                   f"chmod u+w {path.parent}), then try again")


def updated_card_text(path: Path, data: Mapping[str, Any],
                      base: Mapping[str, Any] | None) -> str:
    """The text of the card file at ``path`` with ``data`` written into it: where ``data``
    differs from ``base`` (what the card said when it was read; None: from what the file
    says now), the value is set, added or removed; the rest of the text, comments
    included, stays. Without a file, a new one with a short header."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        old = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        doc = tomlkit.document()
        for line in CARD_HEADER:
            doc.add(tomlkit.comment(line))
        doc.add(tomlkit.nl())
        _merge(doc, {}, data)
        return tomlkit.dumps(doc)
    except (OSError, UnicodeDecodeError) as exc:
        raise CardNotWritable(f"cannot read {path} to update it: {exc}",
                              hint=f"make {CONFIG_NAME} readable UTF-8 text, then try "
                                   "again") from exc
    try:
        doc = tomlkit.parse(old)
    except TOMLKitError as exc:
        raise ConfigError(
            f"{path} is not valid TOML now (an edit since glamlab read it?): {exc}; it is "
            "left as it is",
            hint="fix the syntax in the file (or undo the edit), then run the command "
                 "again") from exc
    _merge(doc, doc.unwrap() if base is None else base, data)
    return tomlkit.dumps(doc)


_MISSING = object()


def _merge(into: MutableMapping[str, Any], base: Mapping[str, Any],
           data: Mapping[str, Any]) -> None:
    """Make ``into`` (a tomlkit document or table) say ``data`` where ``data`` differs from
    ``base``: keys gone from ``data`` are removed, new or changed ones set (a table that
    is in the file is changed key by key), unchanged ones left as the file has them."""
    from tomlkit import TOMLDocument
    from tomlkit.items import InlineTable

    for key in base:
        if key not in data and key in into:
            del into[key]
    for key, value in data.items():
        was = base.get(key, _MISSING)
        if was is not _MISSING and _same(was, value):
            continue
        here = into.get(key)
        if isinstance(value, Mapping) and isinstance(here, MutableMapping):
            # a table the file has: changed key by key (a table new to the card becomes
            # ``value``, against what the file says)
            _merge(here, was if isinstance(was, Mapping) else here.unwrap(),  # type: ignore[attr-defined]
                   value)
        elif key in into or isinstance(into, InlineTable):
            into[key] = value  # tomlkit keeps the key's place and its comment
        elif isinstance(value, Mapping):
            # a table the file does not have: only what changed in it (not the defaults
            # the card had all along)
            table = _table(value, was if isinstance(was, Mapping) else {},
                           last=isinstance(into, TOMLDocument))
            if table.value.body:
                into[key] = table
        elif isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            into[key] = value  # an array of tables: after the table's own keys
        else:
            _add_value(into, key, value)


def _same(a: Any, b: Any) -> bool:
    """Equal, and not only as Python compares (True == 1): 0 and 0.0 are the same value."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return bool(a == b)


def _add_value(into: MutableMapping[str, Any], key: str, value: Any) -> None:
    """Add a new key to a table after its last key (not after the comments and blank
    lines that open the next table, nor after its sub-tables)."""
    import tomlkit
    from tomlkit.container import Container
    from tomlkit.items import AoT, Comment, Table, Whitespace

    body = into if isinstance(into, Container) else getattr(into, "value", None)
    if not isinstance(body, Container):
        into[key] = value
        return
    at = 0
    for i, (k, item) in enumerate(body.body):
        if isinstance(item, Table | AoT):
            break
        if k is not None and not isinstance(item, Whitespace | Comment):
            at = i + 1
    insert_at = getattr(body, "_insert_at", None)  # tomlkit's own; without it: at the end
    if at >= len(body.body) or insert_at is None:
        into[key] = value
        return
    insert_at(at, key, tomlkit.item(value))


def _table(value: Mapping[str, Any], base: Mapping[str, Any], *, last: bool) -> Any:
    """A new TOML table for what in ``value`` differs from ``base`` (its sub-tables as
    tables of their own); one put between others (``last`` False) ends with a blank line,
    as a hand-written one does."""
    import tomlkit
    from tomlkit.items import Table

    table = tomlkit.table()
    _merge(table, base, value)
    body = table.value.body
    if body and not last and not isinstance(body[-1][1], Table):  # a new one ends in one
        table.add(tomlkit.nl())
    return table


def card_text_without_db_url(text: str) -> str:
    """A card's TOML text without its database URL (it may hold a password): what a
    workspace export carries. The rest of the text, comments included, stays."""
    import tomlkit

    doc = tomlkit.parse(text)
    database = doc.get("database")
    if isinstance(database, MutableMapping):
        database.pop("url", None)
        if not database:
            del doc["database"]
    return tomlkit.dumps(doc)


def card_text_with_db_url(text: str, url: str | None) -> str:
    """A card's TOML text with ``[database] url`` set to ``url`` (unchanged without one).
    The rest of the text, comments included, stays."""
    if not url:
        return text
    import tomlkit

    doc = tomlkit.parse(text)
    database = doc.get("database")
    if isinstance(database, MutableMapping):
        database["url"] = url
    else:
        doc["database"] = _table({"url": url}, {}, last=True)
    return tomlkit.dumps(doc)


# -- a tabular count task: the card's [count] section (glamlab.tasks.count uses it) --------
COUNT_METRICS = ("mae", "rmse")  # lower is better
COUNT_KEYS = ("slot", "metric")


@dataclass(frozen=True)
class CountTask:
    slot: str = "D"
    metric: str = "mae"

    def __post_init__(self) -> None:
        if self.metric not in COUNT_METRICS:
            raise ConfigError(f"a count task is judged by {' or '.join(COUNT_METRICS)}, "
                              f"not {self.metric!r}", hint='set [count] metric = "mae"')
        check_slot(self.slot)

    @classmethod
    def from_card(cls, section: Mapping[str, Any]) -> CountTask:
        unknown = sorted(set(section) - set(COUNT_KEYS))
        if unknown:
            raise ConfigError(f"[count] has unknown keys: {', '.join(unknown)}",
                              hint=f"use {', '.join(COUNT_KEYS)}")
        return cls(slot=str(section.get("slot", "D")), metric=str(section.get("metric", "mae")))

    def to_card(self) -> dict[str, Any]:
        return {"slot": self.slot, "metric": self.metric}

    def describe(self, group_columns: Sequence[str] = ()) -> str:
        """In words: 'the number of "yes" per day and hotel, judged by mean absolute
        error'."""
        per = SLOT_WORDS.get(self.slot, f"{self.slot} period")
        by = "".join(f" and {c}" for c in group_columns)
        judged = {"mae": "mean absolute error", "rmse": "root mean squared error"}[self.metric]
        return f'the number of "yes" per {per}{by}, judged by {judged} ({self.metric})'


SLOT_WORDS = {"h": "hour", "H": "hour", "D": "day", "W": "week", "M": "month"}


def check_slot(slot: str) -> str:
    """A slot pandas can cut time into, or one clear error."""
    import pandas as pd

    try:
        pd.Period("2020-01-01", freq=slot)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{slot!r} is not a slot length",
                          hint="use h (hour), D (day), W (week) or M (month)") from exc
    return slot


def measure_of(card: ProjectCard) -> str:
    """The measure the project is judged by, everywhere (evaluate's verdict and choice,
    backtest, monitor, retrain, status, the web app's pages): a count task's ``[count]
    metric``, else ``[project] metric``."""
    task = count_section(card) if card.modality == "tabular" else None
    return task.metric if task is not None else card.metric


def count_section(card: ProjectCard) -> CountTask | None:
    """The card's count task (``[count]``), or None when it predicts one outcome per row."""
    section = card.raw.get("count")
    if section is None:
        return None
    if not isinstance(section, dict):
        raise ConfigError("[count] must be a section", hint='write [count] slot = "D"')
    return CountTask.from_card(section)

