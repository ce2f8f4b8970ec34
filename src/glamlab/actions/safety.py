"""Safety checks that override the policy: context rules and a sensitive-terms lexicon.

``glamlab.toml``::

    [safety]
    lexicon = "default"            # the shipped list (data/sensitive_terms.toml), or "none"
    lexicon_file = "terms.txt"     # optional: more terms, one per line (# comments), workspace-relative
    extra_terms = ["fireworks"]    # more terms, inline
    ignore_terms = ["native"]      # drop terms from the lists above
    lexicon_action = "review"      # or "suppress"
    applies_to = "external"        # lexicon checks labels from external services only, or "all"
    external_predictors = ["vision-api"]   # predictor names to treat as external services

    [[safety.rules]]
    name = "wartime explosions"
    labels = ["fireworks", "explosion"]          # or label = "fireworks"; "*" is any label
    when = { collection = "First World War photographs" }
    action = "review"                            # or "suppress"

``when`` compares item metadata (or ``source_kind``, ``source``, ``modality``, ``uri``; a
dotted name reads nested metadata; a name missing from the metadata is looked up among
the IIIF manifest/canvas metadata labels, ignoring case):
a value means equality (text, ignoring case), a list means any of them, and a table
``{ contains = "war" }``, ``{ matches = "^19(14|15|16|17|18)" }`` or ``{ min = 1914, max = 1918 }``
tests text or numbers. Every condition in ``when`` must hold.

A model counts as an external service when its predictor is listed in
``external_predictors`` or its model card says ``external = true`` (or has a ``service``).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import PolicyError

if TYPE_CHECKING:
    from ..config import ProjectCard
    from ..items import Item

SAFETY_ACTIONS = ("review", "suppress")
_HINT = "edit [safety] in glamlab.toml (docs/safety.md describes it)"
#: the fix in the web app's words: no page edits the safety rules
WEB_HINT = ("ask whoever runs glamlab on the server to correct the safety rules ([safety] "
            "in the project's glamlab.toml file; docs/safety.md describes them)")
_SAFETY_KEYS = {"lexicon", "lexicon_file", "extra_terms", "ignore_terms", "lexicon_action",
                "applies_to", "external_predictors", "rules"}
_RULE_KEYS = {"name", "label", "labels", "when", "action", "reason"}
_BUILTIN_FIELDS = ("source_kind", "source", "modality", "uri")


def default_lexicon() -> dict[str, list[str]]:
    """The shipped lexicon: category -> terms."""
    text = (resources.files("glamlab.actions") / "data" / "sensitive_terms.toml").read_text(
        encoding="utf-8")
    data = tomllib.loads(text)
    return {name: list(cat["terms"]) for name, cat in data["categories"].items()}


def meta_value(meta: dict[str, Any], name: str) -> Any:
    """``meta[name]``; else a dotted path (``metadata.Collection``); else, for items from
    IIIF manifests, the manifest/canvas metadata entry of that label, ignoring case."""
    if name in meta:
        return meta[name]
    if "." in name:
        value: Any = meta
        for part in name.split("."):
            if not isinstance(value, dict) or part not in value:
                value = None
                break
            value = value[part]
        if value is not None:
            return value
    nested = meta.get("metadata")
    if isinstance(nested, dict):
        wanted = name.casefold()
        for key, value in nested.items():
            if str(key).casefold() == wanted:
                return value
    return None


@dataclass(frozen=True)
class Condition:
    field: str
    equals: tuple[str, ...] = ()
    contains: str | None = None
    pattern: re.Pattern[str] | None = None
    minimum: float | None = None
    maximum: float | None = None

    def holds(self, item: Item) -> bool:
        value = getattr(item, self.field) if self.field in _BUILTIN_FIELDS else (
            meta_value(item.meta, self.field))
        if value is None:
            return False
        if isinstance(value, list):  # a IIIF metadata label given several times
            return any(self._holds(v) for v in value if v is not None)
        return self._holds(value)

    def _holds(self, value: Any) -> bool:
        if self.equals:
            return str(value).strip().casefold() in self.equals
        if self.contains is not None:
            return self.contains in str(value).casefold()
        if self.pattern is not None:
            return self.pattern.search(str(value)) is not None
        match = re.search(r"-?\d+(?:\.\d+)?", str(value))
        if match is None:
            return False
        number = float(match.group())
        return ((self.minimum is None or number >= self.minimum)
                and (self.maximum is None or number <= self.maximum))

    def describe(self) -> str:
        if self.equals:
            return f"{self.field} = {' or '.join(repr(v) for v in self.equals)}"
        if self.contains is not None:
            return f"{self.field} contains {self.contains!r}"
        if self.pattern is not None:
            return f"{self.field} matches {self.pattern.pattern!r}"
        return f"{self.field} between {self.minimum} and {self.maximum}"


@dataclass(frozen=True)
class SafetyRule:
    name: str
    labels: frozenset[str]  # casefolded; "*" for any
    conditions: tuple[Condition, ...]
    action: str
    reason: str = ""

    def matches(self, label: str, item: Item) -> bool:
        if "*" not in self.labels and label.casefold() not in self.labels:
            return False
        return all(c.holds(item) for c in self.conditions)


@dataclass(frozen=True)
class SafetyHit:
    item_id: str
    label: str
    score: float | None
    check: str  # "rule" | "lexicon"
    name: str  # rule name or matched term
    detail: str
    action: str  # review | suppress
    policy_action: str  # what the policy alone would have done

    def to_dict(self) -> dict[str, Any]:
        return {"item_id": self.item_id, "label": self.label, "score": self.score,
                "check": self.check, "name": self.name, "detail": self.detail,
                "safety_action": self.action, "policy_action": self.policy_action}


@dataclass
class Safety:
    rules: list[SafetyRule] = field(default_factory=list)
    terms: dict[str, str] = field(default_factory=dict)  # casefolded term -> category
    lexicon_action: str = "review"
    applies_to: str = "external"
    external_predictors: frozenset[str] = frozenset()
    _pattern: re.Pattern[str] | None = None

    def __post_init__(self) -> None:
        if self.terms:
            alternatives = sorted(self.terms, key=len, reverse=True)
            self._pattern = re.compile(
                r"(?<!\w)(" + "|".join(re.escape(t) for t in alternatives) + r")(?!\w)",
                re.IGNORECASE)

    def is_external(self, predictor: str, card: dict[str, Any]) -> bool:
        return (predictor in self.external_predictors or bool(card.get("external"))
                or bool(card.get("service")))

    def lexicon_term(self, label: str) -> str | None:
        if self._pattern is None:
            return None
        m = self._pattern.search(label.replace("_", " "))
        return m.group(1).casefold() if m else None

    def check(self, item: Item, label: str, score: float | None, policy_action: str, *,
              external: bool) -> SafetyHit | None:
        """The first safety check that fires for this label on this item, or None.

        A suppress beats a review when several fire."""
        hits: list[SafetyHit] = []
        for rule in self.rules:
            if rule.matches(label, item):
                detail = rule.reason or (
                    f"label {label!r} where " + " and ".join(c.describe() for c in rule.conditions)
                    if rule.conditions else f"label {label!r}")
                hits.append(SafetyHit(item.item_id, label, score, "rule", rule.name, detail,
                                      rule.action, policy_action))
        if external or self.applies_to == "all":
            term = self.lexicon_term(label)
            if term is not None:
                hits.append(SafetyHit(
                    item.item_id, label, score, "lexicon", term,
                    f"label {label!r} contains the sensitive term {term!r} "
                    f"({self.terms[term]})", self.lexicon_action, policy_action))
        if not hits:
            return None
        hits.sort(key=lambda h: h.action != "suppress")
        return hits[0]


def _terms_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(x, str) and x.strip() for x in value):
        raise PolicyError(f"{where} must be a list of texts, e.g. [\"fireworks\"]", hint=_HINT)
    return [x.strip() for x in value]


def _condition(field_name: str, spec: Any, where: str) -> Condition:
    if isinstance(spec, bool | int | float | str):
        return Condition(field_name, equals=(str(spec).strip().casefold(),))
    if isinstance(spec, list) and spec and all(isinstance(x, bool | int | float | str)
                                               for x in spec):
        return Condition(field_name, equals=tuple(str(x).strip().casefold() for x in spec))
    if isinstance(spec, dict) and spec:
        keys = set(spec)
        if keys == {"contains"} and isinstance(spec["contains"], str):
            return Condition(field_name, contains=spec["contains"].casefold())
        if keys == {"matches"} and isinstance(spec["matches"], str):
            try:
                return Condition(field_name, pattern=re.compile(spec["matches"]))
            except re.error as exc:
                raise PolicyError(f"{where}: {field_name} matches {spec['matches']!r} is not a "
                                  f"valid regular expression ({exc})", hint=_HINT) from exc
        if keys <= {"min", "max"} and all(isinstance(spec[k], int | float) and
                                          not isinstance(spec[k], bool) for k in keys):
            return Condition(field_name, minimum=spec.get("min"), maximum=spec.get("max"))
    raise PolicyError(
        f"{where}: the condition on {field_name!r} must be a value, a list of values, or a "
        f"table with contains, matches, or min/max; got {spec!r}", hint=_HINT)


def parse_safety(section: Any, card: ProjectCard, root: Path | None = None) -> Safety:
    """Validate ``[safety]`` and build the checks. Errors name the rule and key."""
    if not isinstance(section, dict):
        raise PolicyError("[safety] must be a table", hint=_HINT)
    unknown = sorted(set(section) - _SAFETY_KEYS)
    if unknown:
        raise PolicyError(f"[safety] has unknown key(s): {', '.join(unknown)}; known: "
                          f"{', '.join(sorted(_SAFETY_KEYS))}", hint=_HINT)
    lexicon = section.get("lexicon", "default")
    if lexicon not in ("default", "none"):
        raise PolicyError(f"[safety] lexicon must be \"default\" or \"none\", not {lexicon!r}",
                          hint=_HINT)
    terms: dict[str, str] = {}
    if lexicon == "default":
        for category, words in default_lexicon().items():
            for w in words:
                terms[w.casefold()] = category
    if "lexicon_file" in section:
        path = Path(str(section["lexicon_file"]))
        if not path.is_absolute() and root is not None:
            path = root / path
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise PolicyError(f"[safety] lexicon_file {path} cannot be read: {exc}",
                              hint="give a UTF-8 text file with one term per line") from exc
        for line in lines:
            term = line.split("#", 1)[0].strip()
            if term:
                terms[term.casefold()] = f"team list ({path.name})"
    for w in _terms_list(section.get("extra_terms", []), "[safety] extra_terms"):
        terms[w.casefold()] = "team terms (extra_terms)"
    for w in _terms_list(section.get("ignore_terms", []), "[safety] ignore_terms"):
        terms.pop(w.casefold(), None)
    lexicon_action = section.get("lexicon_action", "review")
    if lexicon_action not in SAFETY_ACTIONS:
        raise PolicyError(f"[safety] lexicon_action must be review or suppress, not "
                          f"{lexicon_action!r}", hint=_HINT)
    applies_to = section.get("applies_to", "external")
    if applies_to not in ("external", "all"):
        raise PolicyError(f"[safety] applies_to must be \"external\" or \"all\", not "
                          f"{applies_to!r}", hint=_HINT)
    external = frozenset(_terms_list(section.get("external_predictors", []),
                                     "[safety] external_predictors"))
    raw_rules = section.get("rules", [])
    if not isinstance(raw_rules, list):
        raise PolicyError("[safety] rules must be written as [[safety.rules]] tables", hint=_HINT)
    rules: list[SafetyRule] = []
    for i, raw in enumerate(raw_rules, start=1):
        where = f"[[safety.rules]] number {i}"
        if not isinstance(raw, dict):
            raise PolicyError(f"{where} must be a table", hint=_HINT)
        name = str(raw.get("name") or f"rule {i}")
        where = f"[[safety.rules]] {name!r}"
        bad = sorted(set(raw) - _RULE_KEYS)
        if bad:
            raise PolicyError(f"{where} has unknown key(s): {', '.join(bad)}; known: "
                              f"{', '.join(sorted(_RULE_KEYS))}", hint=_HINT)
        if "label" in raw and "labels" in raw:
            raise PolicyError(f"{where}: give label or labels, not both", hint=_HINT)
        labels = ([raw["label"]] if isinstance(raw.get("label"), str) else
                  _terms_list(raw["labels"], f"{where} labels") if "labels" in raw else None)
        if not labels:
            raise PolicyError(f"{where} needs label = \"...\" or labels = [...] (\"*\" for any)",
                              hint=_HINT)
        action = raw.get("action")
        if action not in SAFETY_ACTIONS:
            raise PolicyError(f"{where} action must be review or suppress, not {action!r}",
                              hint=_HINT)
        when = raw.get("when", {})
        if not isinstance(when, dict):
            raise PolicyError(f"{where} when must be a table such as "
                              "{ collection = \"First World War photographs\" }", hint=_HINT)
        conditions = tuple(_condition(k, v, where) for k, v in when.items())
        rules.append(SafetyRule(name=name, labels=frozenset(x.casefold() for x in labels),
                                conditions=conditions, action=action,
                                reason=str(raw.get("reason", ""))))
    return Safety(rules=rules, terms=terms, lexicon_action=lexicon_action,
                  applies_to=applies_to, external_predictors=external)


def load_safety(card: ProjectCard, root: Path | None = None, *, web: bool = False) -> Safety:
    """The workspace's safety rules. ``web``: an error's fix is said for the web app
    (:data:`WEB_HINT`), not as an edit of the card."""
    try:
        return parse_safety(card.raw.get("safety", {}), card, root)
    except PolicyError as exc:
        if not web:
            raise
        raise PolicyError(exc.message, hint=WEB_HINT, item=exc.item) from None
