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

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

CONFIG_NAME = "glamlab.toml"
DB_NAME = "glamlab.db"
MODALITIES = ("image", "text", "tabular")  # tabular: rows of a table over time
DEFAULT_MAX_IMAGE_PIXELS = 178_956_970  # Pillow's own default bomb limit
_LABEL_RE = re.compile(r"^[^\s|][^|\n]*$")


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

    def __post_init__(self) -> None:
        if not self.kind:
            self.kind = "multi-label" if self.multi_label else "single-label"

    def validate(self) -> None:
        """What every card needs; the task kind checks the rest (its labels, its metrics:
        :func:`glamlab.tasks.kinds.task_kind`)."""
        if self.modality not in MODALITIES:
            raise ConfigError(
                f"modality must be one of {', '.join(MODALITIES)}, not {self.modality!r}",
                hint=f"edit [project] modality in {CONFIG_NAME}",
            )
        if len(self.labels) < 1:
            raise ConfigError("the task has no labels", hint="give them with --labels a,b")
        if self.kind == "single-label" and len(self.labels) < 2:
            raise ConfigError(
                "a single-label task needs at least two labels",
                hint="give them with --labels a,b (e.g. --labels blank,content)",
            )
        for label in self.labels:
            if not _LABEL_RE.match(label) or label != label.strip():
                raise ConfigError(
                    f"label {label!r} is not usable: no '|' (it separates labels in CSV files), "
                    "line breaks or surrounding spaces",
                    hint=f"rename it in [project] labels in {CONFIG_NAME}",
                )
        if len(set(self.labels)) != len(self.labels):
            raise ConfigError("the labels are not unique", hint=f"edit [project] labels in {CONFIG_NAME}")
        if not self.metric or not isinstance(self.metric, str):
            raise ConfigError("the card names no metric", hint=f"edit [project] metric in "
                                                                f"{CONFIG_NAME}")
        if not self.kind or not isinstance(self.kind, str):
            raise ConfigError("the card names no task kind",
                              hint=f"set [task] kind in {CONFIG_NAME}")
        if self.positive_label is not None and self.positive_label not in self.labels:
            raise ConfigError(
                f"positive_label {self.positive_label!r} is not one of the labels",
                hint=f"edit [project] positive_label in {CONFIG_NAME}",
            )
        if self.max_image_pixels <= 0:
            raise ConfigError("max_image_pixels must be positive", hint=f"edit [ingest] in {CONFIG_NAME}")

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
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"{path} does not exist", hint="run glamlab init first") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}", hint="fix the syntax") from exc
        return cls.from_dict(data, source=str(path))

    def save(self, path: Path) -> None:
        import tomli_w

        header = (
            "# glamlab project card. Edit by hand or through glamlab commands.\n"
            "# [project] states the need and the task; [costs] what an external service\n"
            "# charges per item; [policy] how predictions become actions.\n\n"
        )
        path.write_text(header + tomli_w.dumps(self.to_dict()), encoding="utf-8")

    def section(self, name: str) -> dict[str, Any]:
        """A later stage's section of the card (``policy``, ``safety``, ...), or {}."""
        value = self.raw.get(name, {})
        return value if isinstance(value, dict) else {}


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    return value if isinstance(value, dict) else {}


def card_text_without_db_url(text: str) -> str:
    """A card's TOML text without its database URL (it may hold a password): what a
    workspace export carries."""
    import tomli_w

    data = tomllib.loads(text)
    database = data.get("database")
    if isinstance(database, dict):
        database.pop("url", None)
        if not database:
            data.pop("database")
    return tomli_w.dumps(data)


def card_text_with_db_url(text: str, url: str | None) -> str:
    """A card's TOML text with ``[database] url`` set to ``url`` (unchanged without one)."""
    if not url:
        return text
    import tomli_w

    data = tomllib.loads(text)
    data.setdefault("database", {})["url"] = url
    return tomli_w.dumps(data)


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


def count_section(card: ProjectCard) -> CountTask | None:
    """The card's count task (``[count]``), or None when it predicts one outcome per row."""
    section = card.raw.get("count")
    if section is None:
        return None
    if not isinstance(section, dict):
        raise ConfigError("[count] must be a section", hint='write [count] slot = "D"')
    return CountTask.from_card(section)

