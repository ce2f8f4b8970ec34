"""The policy: how a prediction becomes an action (``accept``, ``review`` or ``reject``).

Written in ``glamlab.toml``::

    [policy]
    field = "page_type"          # the metadata field accepted values are written to (default: task)
    default_action = "review"    # for labels without an entry: accept | review | reject
    model = "blank@champion"     # optional: whose predictions act uses (default: the latest run's)

    [policy.labels.blank]
    accept = 0.98                # score >= accept -> accept (machine metadata, with provenance)
    review = 0.5                 # review <= score < accept -> review queue; below -> reject

    [policy.labels.content]
    action = "review"            # or a fixed action, whatever the score

A label entry without ``accept`` is never auto-accepted; one without ``review`` sends
everything below ``accept`` to ``reject``. ``glamlab act --optimise`` writes the
``accept`` thresholds (plus ``target_precision``, ``optimised_with``, ``optimised_at``);
``glamlab act`` writes the ones it proposed itself, with ``proposed_by = "glamlab act"``
(proposed again for a new model until someone keeps them with ``--optimise --write``).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import PolicyError

if TYPE_CHECKING:
    from ..config import ProjectCard

ACTIONS = ("accept", "review", "reject")
_POLICY_KEYS = {"field", "default_action", "model", "labels", "target_precision",
                "optimised_with", "optimised_at", "criterion", "tuned_on", "proposed_by"}
_LABEL_KEYS = {"accept", "review", "action"}
_HINT = "edit [policy] in glamlab.toml (see docs/safety.md and glamlab act --help)"
#: the fix in the web app's words: no page reads a policy it cannot parse (the Choose the
#: policy page included), so the person who runs glamlab on the server corrects the card
WEB_HINT = ("ask whoever runs glamlab on the server to correct the policy settings "
            "([policy] in the project's glamlab.toml file; docs/safety.md describes them); "
            "until then nothing can be accepted, reviewed or exported by the policy")


def fmt(x: float) -> str:
    """A score or threshold for people: at most 6 decimals, never rounded up (a threshold
    of 0.99999999 reads 0.999999, not 1)."""
    return f"{math.floor(x * 1e6) / 1e6:g}"


def threshold_text(x: float) -> str:
    """A score threshold for people, read the same everywhere (the act report, the web
    app's queue and policy pages): three decimals, never rounded up, as :func:`fmt`
    (0.98713 reads 0.987, not 0.99, which would also say that a score of 0.988 is not
    accepted; 0.9996 reads 0.999, not 1)."""
    return _floor_text(x, 3)


def thresholds_text(values: Iterable[float | None]) -> dict[float, str]:
    """Several thresholds shown together, each as :func:`threshold_text` reads it (three
    decimals, never rounded up), with more decimals (up to the six of :func:`fmt`) where
    two different thresholds would otherwise read the same (0.98713 and 0.98741 read
    0.9871 and 0.9874, not 0.987 twice)."""
    distinct = sorted({float(v) for v in values if v is not None})
    shown: dict[float, str] = {}
    for digits in range(3, 7):
        shown = {v: _floor_text(v, digits) for v in distinct}
        if len(set(shown.values())) == len(distinct):
            break
    return shown


def _floor_text(x: float, digits: int) -> str:
    scale = 10 ** digits
    return f"{math.floor(x * scale + 1e-9) / scale:.{digits}f}"


def threshold_pct(x: float) -> str:
    """:func:`threshold_text` as a percentage, for the web app: 0.98713 reads "98.7%",
    0.95 "95%"."""
    return f"{math.floor(x * 1000 + 1e-9) / 10:.1f}".removesuffix(".0") + "%"


@dataclass(frozen=True)
class LabelPolicy:
    """Thresholds for one label, or a fixed action."""

    accept: float | None = None
    review: float | None = None
    action: str | None = None

    def decide(self, score: float) -> tuple[str, str]:
        """(action, reason in plain words) for one score."""
        if self.action is not None:
            return self.action, f"the policy sends every prediction of this label to {self.action}"
        if self.accept is not None and score >= self.accept:
            return "accept", f"score {fmt(score)} >= accept threshold {fmt(self.accept)}"
        if self.review is not None and self.review <= 0:
            # review = 0 (what act proposes for single-label and entities) is no threshold:
            # say what decided, the accept threshold or its absence, not "score >= 0"
            if self.accept is not None:
                return "review", (f"score {fmt(score)} below accept threshold "
                                  f"{fmt(self.accept)}; every prediction not accepted goes to "
                                  "review")
            return "review", (f"score {fmt(score)}; no accept threshold for this label, so "
                              "every prediction of it goes to review")
        if self.review is not None and score >= self.review:
            upper = f" and below accept {fmt(self.accept)}" if self.accept is not None else ""
            return "review", f"score {fmt(score)} >= review threshold {fmt(self.review)}{upper}"
        if self.review is not None:
            return "reject", f"score {fmt(score)} below review threshold {fmt(self.review)}"
        return "reject", f"score {fmt(score)} below accept threshold {fmt(self.accept)}" if (
            self.accept is not None) else "no threshold for this label"

    def to_toml(self) -> dict[str, Any]:
        if self.action is not None:
            return {"action": self.action}
        out: dict[str, Any] = {}
        if self.accept is not None:
            out["accept"] = self.accept
        if self.review is not None:
            out["review"] = self.review
        return out


@dataclass
class Policy:
    field: str
    default_action: str = "review"
    labels: dict[str, LabelPolicy] = dataclasses.field(default_factory=dict)
    model: str | None = None
    target_precision: float | None = None
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    def for_label(self, label: str) -> LabelPolicy:
        return self.labels.get(label) or LabelPolicy(action=self.default_action)

    def decide(self, label: str, score: float) -> tuple[str, str]:
        lp = self.labels.get(label)
        if lp is None:
            return self.default_action, (
                f"label {label!r} has no thresholds; default_action is {self.default_action}")
        return lp.decide(score)

    def to_toml(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.extra)
        out["field"] = self.field
        out["default_action"] = self.default_action
        if self.model:
            out["model"] = self.model
        if self.target_precision is not None:
            out["target_precision"] = self.target_precision
        out["labels"] = {k: v.to_toml() for k, v in sorted(self.labels.items())}
        return out

    def describe(self) -> list[dict[str, Any]]:
        return [{"label": k, **v.to_toml()} for k, v in sorted(self.labels.items())]


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(float(value)):
        raise PolicyError(f"{where} must be a number between 0 and 1, not {value!r}", hint=_HINT)
    v = float(value)
    if not 0.0 <= v <= 1.0:
        raise PolicyError(f"{where} must be between 0 and 1, not {v:g}", hint=_HINT)
    return v


def parse_policy(section: dict[str, Any], card: ProjectCard) -> Policy:
    """Validate a ``[policy]`` table and return a :class:`Policy`. Errors name the key."""
    if not isinstance(section, dict):
        raise PolicyError("[policy] must be a table", hint=_HINT)
    unknown = sorted(set(section) - _POLICY_KEYS)
    if unknown:
        raise PolicyError(f"[policy] has unknown key(s): {', '.join(unknown)}; known: "
                          f"{', '.join(sorted(_POLICY_KEYS))}", hint=_HINT)
    field_name = section.get("field", card.task)
    if not isinstance(field_name, str) or not field_name.strip():
        raise PolicyError(f"[policy] field must be a non-empty text, not {field_name!r}",
                          hint=_HINT)
    default_action = section.get("default_action", "review")
    if default_action not in ACTIONS:
        raise PolicyError(f"[policy] default_action must be one of {', '.join(ACTIONS)}, "
                          f"not {default_action!r}", hint=_HINT)
    model = section.get("model")
    if model is not None and (not isinstance(model, str) or not model):
        raise PolicyError(f"[policy] model must be a model spec such as 'blank@champion', "
                          f"not {model!r}", hint=_HINT)
    target = section.get("target_precision")
    if target is not None:
        target = _number(target, "[policy] target_precision")
    labels_section = section.get("labels", {})
    if not isinstance(labels_section, dict):
        raise PolicyError("[policy.labels] must be a table of label -> thresholds", hint=_HINT)
    labels: dict[str, LabelPolicy] = {}
    for label, entry in labels_section.items():
        where = f"[policy.labels.{label}]"
        if label not in card.labels:
            raise PolicyError(f"{where}: {label!r} is not one of the project's labels "
                              f"({', '.join(card.labels)})", hint=_HINT)
        if not isinstance(entry, dict):
            raise PolicyError(f"{where} must be a table such as {{ accept = 0.98, review = 0.5 }}",
                              hint=_HINT)
        bad = sorted(set(entry) - _LABEL_KEYS)
        if bad:
            raise PolicyError(f"{where} has unknown key(s): {', '.join(bad)}; use accept, review "
                              "or action", hint=_HINT)
        if "action" in entry:
            if set(entry) != {"action"}:
                raise PolicyError(f"{where}: give either action or thresholds, not both",
                                  hint=_HINT)
            if entry["action"] not in ACTIONS:
                raise PolicyError(f"{where} action must be one of {', '.join(ACTIONS)}, not "
                                  f"{entry['action']!r}", hint=_HINT)
            labels[label] = LabelPolicy(action=entry["action"])
            continue
        accept = _number(entry["accept"], f"{where} accept") if "accept" in entry else None
        review = _number(entry["review"], f"{where} review") if "review" in entry else None
        if accept is None and review is None:
            raise PolicyError(f"{where} is empty: give accept and/or review thresholds, or an "
                              "action", hint=_HINT)
        if accept is not None and review is not None and review > accept:
            raise PolicyError(f"{where}: review ({review:g}) is above accept ({accept:g}); the "
                              "review threshold must be the lower one", hint=_HINT)
        labels[label] = LabelPolicy(accept=accept, review=review)
    extra: dict[str, Any] = {k: section[k] for k in ("optimised_with", "optimised_at", "criterion",
                                                  "tuned_on", "proposed_by")
             if k in section}
    return Policy(field=field_name.strip(), default_action=default_action, labels=labels,
                  model=model, target_precision=target, extra=extra)


def load_policy(card: ProjectCard, *, web: bool = False) -> Policy:
    """The workspace's policy (an empty ``[policy]`` sends everything to review).
    ``web``: an error's fix is said for the web app (:data:`WEB_HINT`), not as an edit of
    the card and a command's help."""
    try:
        return parse_policy(card.raw.get("policy", {}), card)
    except PolicyError as exc:
        if not web:
            raise
        raise PolicyError(exc.message, hint=WEB_HINT, item=exc.item) from None
