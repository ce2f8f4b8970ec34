"""Span baselines: a lookup list (gazetteer) and regular-expression rules.

- ``gazetteer``: the longest known name at each token, from a CSV the user supplies
  (``text,type``; ``label`` works for ``type``) and/or from the training split's own
  entity strings. A training string is kept only if, where it occurs in the training
  texts, it is an entity of that type at least ``min_precision`` of the time (so
  "Etat" or "Mars" do not become entities everywhere); its score is that share.
- ``entity-rules``: regular expressions that vote for a type (``rules`` or a TOML
  ``rules_file`` of ``[[rule]]`` tables with ``name``, ``label``, ``pattern``, optional
  ``group``, ``priority``, ``ignore_case``); the built-in ``preset = "dates-titles"``
  finds dates with their preposition (``le 19 octobre 1930``, ``im Jahre 1815``,
  ``June 2d, 1880``) and titles with the capitalised words after them (``M. Dufour``,
  ``Hrn. Dr. Meier``, ``Mr. Burr``), as HIPE annotates them. Overlaps: the higher
  priority wins, then the longer match. :func:`entity_rules_report` gives coverage,
  overlaps, conflicts and empirical precision per rule, as the classification rules
  report does.

Every span is widened to whole tokens (:mod:`.tokens`).
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from ...errors import PredictorError
from .base import SpanPredictor, as_span, resolve_overlaps
from .tokens import TOKENISER_VERSION, Span, tokenize

MAX_TOKENS = 10
TOKEN_PUNCT = re.compile(r"[^\w\s]")


def _norm(token: str, case_sensitive: bool) -> str:
    t = token.replace("ſ", "s")
    return t if case_sensitive else t.casefold()


def read_lookup_csv(path: str | Path) -> list[tuple[str, str]]:
    """``(text, type)`` rows of a lookup CSV with columns ``text`` and ``type`` (or
    ``label``). A row without text or type is an error naming its line."""
    p = Path(path)
    try:
        fh = open(p, newline="", encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise PredictorError(f"lookup list {p} does not exist",
                             hint="give a CSV with columns text,type") from exc
    with fh:
        reader = csv.DictReader(fh)
        fields = [f.strip().lower() for f in reader.fieldnames or []]
        type_col = "type" if "type" in fields else "label" if "label" in fields else None
        if "text" not in fields or type_col is None:
            raise PredictorError(f"lookup list {p.name}: columns are {fields}",
                                 hint="name the columns text,type")
        out = []
        for n, row in enumerate(reader, start=2):
            row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()}
            if not row.get("text") or not row.get(type_col):
                raise PredictorError(f"lookup list {p.name} line {n}: empty text or type",
                                     item=f"line {n}", hint="fill both columns or drop the row")
            out.append((row["text"], row[type_col]))
    return out


#: the span baselines (``glamlab evaluate`` reports them as baselines, not models)
SPAN_BASELINES = ("gazetteer", "entity-rules")


class GazetteerPredictor(SpanPredictor):
    """The longest listed name at each token (user list and/or training strings)."""

    name: ClassVar[str] = "gazetteer"
    uses_tokeniser: ClassVar[bool] = True
    #: (normalised tokens of a name) -> (type, score)
    table_: dict[tuple[str, ...], tuple[str, float]]
    intended_use = "the 'is a lookup list enough?' baseline for entity spans"
    limitations = ("finds only listed names, as spelt (OCR errors defeat it); "
                   "cannot tell Paris the city from Paris the person")

    def __init__(self, lookup_file: str | None = None, entries: list[Any] | None = None,
                 from_training: bool = True, case_sensitive: bool = True,
                 min_precision: float = 0.5, min_count: int = 1):
        self.lookup_file = lookup_file
        self.entries = entries
        self.from_training = from_training
        self.case_sensitive = case_sensitive
        self.min_precision = min_precision
        self.min_count = min_count

    def _requires_texts(self) -> bool:
        return self.from_training and not (self.lookup_file or self.entries)

    def _key(self, text: str) -> tuple[str, ...]:
        return tuple(_norm(text[a:b], self.case_sensitive) for a, b in tokenize(text))

    @classmethod
    def upgrades_tokeniser(cls, params: dict[str, Any]) -> bool:
        return params.get("case_sensitive", True) is not False

    def _upgrade_tokeniser(self) -> bool:
        """Re-key a table saved with an older word splitter, so that 'LeBlanc' (once one
        token, now 'Le' 'Blanc') is found as before. A key's tokens, rejoined (a space
        between words, none before punctuation), cut again give what the current
        splitter makes of the listed name: it cuts only inside a word, where case shows
        it. A case-blind table has lost the capitals that show where: its names that
        were one glued token ('leblanc') are not found until it is retrained (the caller
        says so). It is read with today's splitter all the same: on the HIPE/NewsEye
        held-out documents that finds more (names inside glued words) than the old one
        would keep (strict F1 NewsEye German 0.21 against 0.18, retrained 0.21)."""
        if not self.upgrades_tokeniser(self.get_params()):
            return False
        table: dict[tuple[str, ...], tuple[str, float]] = {}
        for old, (label, score) in self.table_.items():
            joined = "".join(t if k == 0 or TOKEN_PUNCT.fullmatch(t) else " " + t
                             for k, t in enumerate(old))
            key = tuple(joined[a:b] for a, b in tokenize(joined))
            if key not in table or score > table[key][1]:  # two names now alike: the surer
                table[key] = (label, score)
        self.table_ = table
        self.lengths_ = sorted({len(k) for k in table}, reverse=True)
        self.tokeniser_ = TOKENISER_VERSION
        return True

    def _fit_spans(self, texts: list[str], spans: list[list[Span]],
                   langs: list[str | None]) -> None:
        user: list[tuple[str, str]] = []
        if self.lookup_file:
            user += read_lookup_csv(self.lookup_file)
        for e in self.entries or []:
            user.append((str(e["text"]), str(e.get("type", e.get("label")))) if isinstance(e, dict)
                        else (str(e[0]), str(e[1])))
        if not user and not self.from_training:
            raise PredictorError("gazetteer: no names to look up",
                                 hint="give lookup_file=CSV (text,type) or from_training=True")
        table: dict[tuple[str, ...], tuple[str, float]] = {}
        if self.from_training:
            tagged: dict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
            for text, ss in zip(texts, spans, strict=True):
                for s in ss:
                    key = self._key(text[s.start:s.end])
                    if 0 < len(key) <= MAX_TOKENS:
                        tagged[key][s.label] += 1
            seen = self._occurrences(texts, set(tagged))
            for key, labels in tagged.items():
                label, n = labels.most_common(1)[0]
                share = n / max(seen.get(key, 0), sum(labels.values()))
                if n >= self.min_count and share >= self.min_precision:
                    table[key] = (label, min(1.0, share))
        for text, label in user:
            if label not in self.classes_:
                raise PredictorError(f"gazetteer: {text!r} has type {label!r}, not one of "
                                     f"{self.classes_}", item=text, hint="fix the lookup list")
            key = self._key(text)
            if 0 < len(key) <= MAX_TOKENS:
                table[key] = (label, 1.0)  # the user's list wins
        self.table_ = table
        self.lengths_ = sorted({len(k) for k in table}, reverse=True)

    def _occurrences(self, texts: list[str], keys: set[tuple[str, ...]]) -> Counter[tuple[str, ...]]:
        lengths = sorted({len(k) for k in keys})
        counts: Counter[tuple[str, ...]] = Counter()
        for text in texts:
            toks = self._key(text)
            for i in range(len(toks)):
                for n in lengths:
                    if i + n > len(toks):
                        break
                    k = toks[i:i + n]
                    if k in keys:
                        counts[k] += 1
        return counts

    def _predict_spans(self, texts: list[str], langs: list[str | None]) -> list[list[Span]]:
        out = []
        for text in texts:
            offs = tokenize(text)
            toks = tuple(_norm(text[a:b], self.case_sensitive) for a, b in offs)
            found: list[Span] = []
            i = 0
            while i < len(toks):
                for n in self.lengths_:
                    hit = self.table_.get(toks[i:i + n]) if i + n <= len(toks) else None
                    if hit is not None:
                        found.append(Span(offs[i][0], offs[i + n - 1][1], hit[0], hit[1]))
                        i += n
                        break
                else:
                    i += 1
            out.append(found)
        return out


# -- rules ---------------------------------------------------------------------------
_UP = "A-ZÀ-ÖØ-ÞŒŸ"
_CAP = rf"[{_UP}][\w'’-]*\.?"
_NAME = rf"[{_UP}][\w'’-]*"
_MONTHS = ("janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|"
           "novembre|décembre|decembre|Januar|Jänner|Jän|Februar|Feb|März|April|Mai|May|Juni|"
           "Juli|August|Aug|September|Sept|Okt|Oktober|October|November|Nov|Dezember|Dez|"
           "December|Dec|January|Jan|February|March|June|July")
_PREP = ("(?i:le|du|au|en|de|des|depuis|dès|vers|pour|jusqu'en|am|vom|im|seit|von|bis|zu|unterm|"
         "on|in|of|since|until|before|after)")
_TITLES = {
    "fr": r"M\.|MM\.|Mme|Mmes|Mlle|Monsieur|Madame|Mademoiselle|Mgr|général|colonel|capitaine|"
          r"lieutenant|maréchal|amiral|comte|comtesse|duc|duchesse|baron|prince|princesse|roi|"
          r"reine|président|docteur|Dr|abbé|cardinal|lord|sir|conseiller|ministre",
    "de": r"Hr\.|Hrn\.|Herr|Herrn|Herren|HH\.|Frau|Fräulein|Dr\.|Prof\.|Graf|Grafen|Gräfin|"
          r"Fürst|Fürsten|König|Königin|Kaiser|General|Generals|Oberst|Hauptmann|Minister|"
          r"Präsident|Stadtrat|Baron|Freiherr|Prinz|Pfarrer|Professor|Sir|Lord",
    "en": r"Mr\.|Mrs\.|Messrs\.|Miss|Sir|Lord|Lady|Dr\.|Gen\.|General|Col\.|Colonel|Capt\.|"
          r"Captain|Major|President|Judge|King|Queen|Prince|Princess|Duke|Earl|Count|Rev\.|"
          r"Professor|Gov\.|Governor|Senator",
}

PRESETS: dict[str, list[dict[str, Any]]] = {
    "dates-titles": [
        {"name": "date-day-month-year", "label": "TIME", "priority": 3,
         "pattern": rf"\b(?:(?:{_PREP})\s+)?\d{{1,2}}(?:er|\.|e|st|nd|rd|th|d)?\s+"
                    rf"(?:{_MONTHS})\.?,?\s+\d{{4}}\b"},
        {"name": "date-month-day-year", "label": "TIME", "priority": 3,
         "pattern": rf"\b(?:(?:{_PREP})\s+)?(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th|d)?,?\s+"
                    rf"\d{{4}}\b"},
        {"name": "date-day-month", "label": "TIME", "priority": 2,
         "pattern": rf"\b(?:(?:{_PREP})\s+)?\d{{1,2}}(?:er|\.|e)?\s+(?:{_MONTHS})\b\.?"},
        {"name": "date-month-year", "label": "TIME", "priority": 2,
         "pattern": rf"\b(?:(?:{_PREP})\s+)?(?:{_MONTHS})\.?,?\s+\d{{4}}\b"},
        {"name": "date-year", "label": "TIME", "priority": 1,
         "pattern": r"\b(?:en|depuis|dès|pour|im\s+Jahre?|seit|in\s+the\s+year|in)\s+"
                    r"1[5-9]\d\d\b"},
        *({"name": f"title-{lang}", "label": "PER", "priority": 2,
           "pattern": rf"(?<![\w.])(?:{titles})\s+(?:{_CAP}\s+){{0,2}}{_NAME}"}
          for lang, titles in _TITLES.items()),
    ],
}
RULE_KEYS = {"name", "label", "pattern", "group", "priority", "ignore_case"}


def load_entity_rules(path: str | Path) -> list[dict[str, Any]]:
    from ..baselines import read_rules_toml

    p = Path(path)
    data = read_rules_toml(p, hint_missing="write [[rule]] tables with name, label, pattern")
    return check_entity_rules(data.get("rule", data.get("rules", [])), p.name)


def check_entity_rules(rules: Any, source: str = "rules") -> list[dict[str, Any]]:
    if not isinstance(rules, list) or not rules:
        raise PredictorError(f"{source}: no rules found", hint="add [[rule]] tables")
    out = []
    for n, rule in enumerate(rules, start=1):
        if not isinstance(rule, dict):
            raise PredictorError(f"{source}: rule {n} is not a table")
        unknown = set(rule) - RULE_KEYS
        name = str(rule.get("name", f"rule{n}"))
        if unknown:
            raise PredictorError(f"{source}: rule {name!r} has unknown keys {sorted(unknown)}",
                                 hint=f"allowed: {', '.join(sorted(RULE_KEYS))}")
        if "label" not in rule or "pattern" not in rule:
            raise PredictorError(f"{source}: rule {name!r} needs a label and a pattern")
        try:
            re.compile(rule["pattern"])
        except re.error as exc:
            raise PredictorError(f"{source}: rule {name!r}: bad regular expression ({exc})",
                                 hint="fix the pattern") from exc
        out.append({**rule, "name": name, "priority": float(rule.get("priority", 0))})
    if len({r["name"] for r in out}) != len(out):
        raise PredictorError(f"{source}: rule names must be unique")
    return out


def _snap(text: str, start: int, end: int) -> tuple[int, int] | None:
    toks = [(a, b) for a, b in tokenize(text) if b > start and a < end]
    return (toks[0][0], toks[-1][1]) if toks else None


class EntityRulesPredictor(SpanPredictor):
    """Regular expressions that vote for an entity type (dates, titles + names...)."""

    name: ClassVar[str] = "entity-rules"
    needs_fit: ClassVar[bool] = False
    intended_use = "the 'could this be a regular expression?' baseline for entity spans"
    limitations = "finds only what the patterns describe; blind to names without a title"

    def __init__(self, rules_file: str | None = None, rules: list[dict[str, Any]] | None = None,
                 preset: str | None = "dates-titles"):
        self.rules_file = rules_file
        self.rules = rules
        self.preset = preset

    def _fit_spans(self, texts: list[str], spans: list[list[Span]],
                   langs: list[str | None]) -> None:
        rules: list[dict[str, Any]] = []
        if self.preset:
            if self.preset not in PRESETS:
                raise PredictorError(f"entity-rules: no preset {self.preset!r}",
                                     hint=f"choose one of {', '.join(PRESETS)}")
            rules += check_entity_rules(PRESETS[self.preset], self.preset)
        if self.rules_file:
            rules += load_entity_rules(self.rules_file)
        if self.rules:
            rules += check_entity_rules(self.rules)
        if not rules:
            raise PredictorError("entity-rules: no rules given",
                                 hint="pass rules_file=PATH, rules=[...] or a preset")
        rules = [r for r in rules if r["label"] in self.classes_] if self.classes_ else rules
        if not self.classes_:
            self.classes_ = sorted({r["label"] for r in rules})
        self.rules_ = rules

    def _compiled(self) -> list[re.Pattern[str]]:
        cached = getattr(self, "_patterns", None)
        if cached is None:
            cached = [re.compile(r["pattern"], re.IGNORECASE if r.get("ignore_case") else 0)
                      for r in self.rules_]
            self._patterns = cached
        return cached

    def matches(self, text: str) -> list[tuple[int, Span]]:
        """Every rule's spans in ``text``: ``(rule index, span)``, before overlaps are
        settled."""
        out = []
        for j, (pat, rule) in enumerate(zip(self._compiled(), self.rules_, strict=True)):
            group = rule.get("group", 0)
            for m in pat.finditer(text):
                a, b = m.span(group)
                snapped = _snap(text, a, b) if b > a else None
                if snapped:
                    out.append((j, Span(snapped[0], snapped[1], rule["label"], 1.0)))
        return out

    def _predict_spans(self, texts: list[str], langs: list[str | None]) -> list[list[Span]]:
        out = []
        for text in texts:
            found = self.matches(text)
            prio = {j: self.rules_[j]["priority"] for j, _ in found}
            # priority first, then length: resolve_overlaps ranks by score, so rank by a
            # key and map back
            ranked = sorted(found, key=lambda js: (-prio[js[0]], -(js[1].end - js[1].start),
                                                   js[1].start))
            chosen: list[Span] = []
            for _, s in ranked:
                if all(s.end <= c.start or c.end <= s.start for c in chosen):
                    chosen.append(s)
            out.append(sorted(chosen, key=lambda s: (s.start, s.end)))
        return out


def entity_rules_report(predictor: EntityRulesPredictor, texts: Sequence[str],
                        gold: Sequence[Sequence[Any] | None]) -> dict[str, Any]:
    """Per rule: how many spans it finds, coverage (share of texts where it fires),
    overlaps and conflicts (shares of its spans overlapping another rule's span, of any
    type / of another type) and, on the labelled texts (``gold[i]`` not None), correct
    (same boundaries and type as a gold span), incorrect and empirical precision."""
    n = len(texts)
    rows = [{"rule": r["name"], "label": r["label"], "priority": r["priority"], "spans": 0,
             "texts": 0, "overlaps": 0, "conflicts": 0, "correct": 0, "incorrect": 0}
            for r in predictor.rules_]
    fired_any = 0
    labelled = 0
    for i, text in enumerate(texts):
        found = predictor.matches(text)
        fired_any += bool(found)
        g = gold[i]
        gold_set = None
        if g is not None:
            labelled += 1
            gold_set = {(s.start, s.end, s.label) for s in map(as_span, g)}
        for j in {j for j, _ in found}:
            rows[j]["texts"] += 1
        for k, (j, s) in enumerate(found):
            row = rows[j]
            row["spans"] += 1
            others = [(j2, s2) for k2, (j2, s2) in enumerate(found)
                      if k2 != k and j2 != j and s2.start < s.end and s.start < s2.end]
            row["overlaps"] += bool(others)
            row["conflicts"] += any(s2.label != s.label for _, s2 in others)
            if gold_set is not None:
                if (s.start, s.end, s.label) in gold_set:
                    row["correct"] += 1
                else:
                    row["incorrect"] += 1
    for row in rows:
        spans = row["spans"]
        judged = row["correct"] + row["incorrect"]
        row["coverage"] = row.pop("texts") / n if n else 0.0
        row["overlaps"] = row["overlaps"] / spans if spans else 0.0
        row["conflicts"] = row["conflicts"] / spans if spans else 0.0
        row["empirical_precision"] = row["correct"] / judged if judged else None
    return {"texts": n, "labelled": labelled, "coverage": fired_any / n if n else 0.0,
            "abstained": n - fired_any, "rules": rows}


__all__ = ["SPAN_BASELINES", "EntityRulesPredictor", "GazetteerPredictor", "entity_rules_report",
           "read_lookup_csv", "resolve_overlaps"]
