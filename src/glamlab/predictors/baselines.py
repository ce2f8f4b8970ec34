"""Baselines: real predictors, registered and evaluated like any model.

- ``prior``: random guesses in proportion to the training labels (seeded per item, so
  a guess does not depend on batch order);
- ``majority``: always the most frequent training label (multi-label: the m commonest
  labels, m the typical number of labels per item, ranked by frequency);
- ``rules``: a TOML file of regular expressions and conditions over text and
  metadata; each rule votes for a label or abstains; priorities settle conflicts;
- ``threshold``: one cheap image or text statistic against a threshold tuned on the
  training data (e.g. the dark-pixel ratio for blank pages).

A rules file::

    default = "no_graphic"          # when no rule fires (else: the training majority)

    [[rule]]
    name = "plate-caption"
    label = "graphic"
    priority = 10                   # higher wins when rules disagree
    text = "(?i)\\\\b(fig|plate|planche)\\\\b"   # regex searched in the item's text
    not_text = "(?i)table of contents"
    meta = { collection = "^maps$" }         # regex per metadata field
    max_length = 40                 # bounds on the text length
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from ..errors import ItemError, PredictorError
from ..said import in_words
from .base import Predictor

if TYPE_CHECKING:
    from ..items import Item

BASELINES = ("prior", "majority", "rules", "threshold")


def _item_rng(seed: int, item_id: str) -> np.random.Generator:
    digest = hashlib.sha256(f"{seed}:{item_id}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


class PriorPredictor(Predictor):
    """Random guesses in proportion to the training labels."""

    name: ClassVar[str] = "prior"
    intended_use = "a floor: what guessing in proportion to the labels scores"
    limitations = "knows nothing about the items"

    def __init__(self, seed: int = 0):
        self.seed = seed

    def _fit(self, items: list[Item], Y: np.ndarray) -> None:
        counts = Y.sum(axis=0)
        if self.multi_label_:
            self.prior_ = counts / max(1, len(Y))
        else:
            self.prior_ = counts / max(1.0, counts.sum())

    def _predict_batch(self, items: list[Item]) -> np.ndarray:
        k = len(self.classes_)
        out = np.zeros((len(items), k))
        for r, item in enumerate(items):
            rng = _item_rng(self.seed, item.item_id)
            if self.multi_label_:
                out[r] = (rng.random(k) < self.prior_).astype(float)
            else:
                out[r, rng.choice(k, p=self.prior_)] = 1.0
        return out


class MajorityPredictor(Predictor):
    """Always the most frequent training label."""

    name: ClassVar[str] = "majority"
    intended_use = "a floor: what always answering the commonest label scores"
    limitations = "never predicts a minority label"

    def __init__(self) -> None:
        pass

    def _fit(self, items: list[Item], Y: np.ndarray) -> None:
        freq = Y.sum(axis=0) / max(1, len(Y))
        if self.multi_label_:
            # the m commonest labels, m the typical number of labels per item; scores keep
            # the frequency order so rankings (P@k, NDCG) are "the commonest subjects"
            m = max(1, int(round(float(Y.sum(axis=1).mean())))) if len(Y) else 1
            top = np.argsort(-freq, kind="stable")[:m]
            scores = 0.5 * freq
            scores[top] += 0.5
            self.scores_ = scores
        else:
            self.scores_ = np.eye(len(self.classes_))[int(np.argmax(freq))]

    def _predict_batch(self, items: list[Item]) -> np.ndarray:
        return np.tile(self.scores_, (len(items), 1))


# -- rules ---------------------------------------------------------------------------
RULE_KEYS = {"name", "label", "priority", "text", "not_text", "meta", "not_meta",
             "min_length", "max_length"}


def read_rules_toml(p: Path, *, hint_missing: str) -> dict[str, Any]:
    """A rules file's TOML, or one clear error (missing file, bad syntax). Shared by the
    classification rules and the entity rules."""
    try:
        return tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PredictorError(f"rules file {p} does not exist", hint=hint_missing) from exc
    except tomllib.TOMLDecodeError as exc:
        raise PredictorError(f"rules file {p} is not valid TOML: {exc}",
                             hint="fix the syntax; regexes need '...' or doubled backslashes") from exc


def load_rules(path: str | Path) -> dict[str, Any]:
    """Read and check a rules file: {"default": label | None, "rules": [...]}"""
    p = Path(path)
    data = read_rules_toml(p, hint_missing="write one (see `glamlab baseline --help`)")
    rules = data.get("rule", data.get("rules", []))
    return {"default": data.get("default"), "rules": check_rules(rules, source=p.name)}


def check_rules(rules: Any, source: str = "rules") -> list[dict[str, Any]]:
    if not isinstance(rules, list) or not rules:
        raise PredictorError(f"{source}: no rules found", hint="add [[rule]] tables")
    out = []
    for n, rule in enumerate(rules, start=1):
        if not isinstance(rule, dict):
            raise PredictorError(f"{source}: rule {n} is not a table")
        unknown = set(rule) - RULE_KEYS
        if unknown:
            raise PredictorError(f"{source}: rule {n} has unknown keys {sorted(unknown)}",
                                 hint=f"allowed: {', '.join(sorted(RULE_KEYS))}")
        name = str(rule.get("name", f"rule{n}"))
        if "label" not in rule:
            raise PredictorError(f"{source}: rule {name!r} has no label")
        for key in ("text", "not_text", "label"):
            if key in rule and not isinstance(rule[key], str):
                raise PredictorError(f"{source}: rule {name!r}: {key} must be text, not "
                                     f"{rule[key]!r}", hint=f'write it in quotes: {key} = "..."')
        for key in ("text", "not_text"):
            if key in rule:
                _compile(rule[key], source, name)
        for key in ("meta", "not_meta"):
            if key in rule and not isinstance(rule[key], dict):
                raise PredictorError(f"{source}: rule {name!r}: {key} must be a table of "
                                     f"field = pattern, not {rule[key]!r}",
                                     hint=f'e.g. {key} = {{ collection = "maps" }}')
            for pattern in (rule.get(key) or {}).values():
                _compile(str(pattern), source, name)
        for key in ("min_length", "max_length"):
            value = rule.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or value < 0):
                raise PredictorError(f"{source}: rule {name!r}: {key} must be a whole number "
                                     f"of characters, not {value!r}",
                                     hint=f"write it without quotes, e.g. {key} = 20")
        priority = rule.get("priority", 0)
        if isinstance(priority, bool) or not isinstance(priority, int | float):
            raise PredictorError(f"{source}: rule {name!r}: priority must be a number, not "
                                 f"{priority!r}", hint="write it without quotes, e.g. priority = 2")
        out.append({**rule, "name": name, "priority": float(priority)})
    names = [r["name"] for r in out]
    if len(set(names)) != len(names):
        raise PredictorError(f"{source}: rule names must be unique")
    return out


def _compile(pattern: str, source: str, name: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise PredictorError(f"{source}: rule {name!r}: bad regular expression {pattern!r}"
                             f" ({exc})", hint="fix the pattern") from exc


class _CompiledRule:
    def __init__(self, rule: dict[str, Any]):
        self.text = re.compile(rule["text"]) if rule.get("text") else None
        self.not_text = re.compile(rule["not_text"]) if rule.get("not_text") else None
        self.meta = {k: re.compile(str(v)) for k, v in (rule.get("meta") or {}).items()}
        self.not_meta = {k: re.compile(str(v)) for k, v in (rule.get("not_meta") or {}).items()}
        self.min_length = rule.get("min_length")
        self.max_length = rule.get("max_length")

    def fires(self, item: Item) -> bool:
        text = item.text or ""
        if self.text is not None and not self.text.search(text):
            return False
        if self.not_text is not None and self.not_text.search(text):
            return False
        if self.min_length is not None and len(text) < self.min_length:
            return False
        if self.max_length is not None and len(text) > self.max_length:
            return False
        for k, pat in self.meta.items():
            v = item.meta.get(k)
            if v is None or not pat.search(str(v)):
                return False
        for k, pat in self.not_meta.items():
            v = item.meta.get(k)
            if v is not None and pat.search(str(v)):
                return False
        return True


class RulesPredictor(Predictor):
    """Regular expressions and conditions over text and metadata, with priorities."""

    name: ClassVar[str] = "rules"
    needs_fit: ClassVar[bool] = False
    intended_use = "the 'could this be a regular expression?' baseline"
    limitations = "only as good as the rules; abstains where no rule fires"

    def __init__(self, rules_file: str | None = None, rules: list[dict[str, Any]] | None = None,
                 default: str | None = None):
        self.rules_file = rules_file
        self.rules = rules
        self.default = default

    def meta_fields(self) -> tuple[str, ...]:
        """The metadata fields the rules' ``meta`` / ``not_meta`` conditions read."""
        rules = getattr(self, "rules_", None) or self.rules
        if rules is None and self.rules_file:
            try:
                rules = load_rules(self.rules_file)["rules"]
            except PredictorError:
                return ()  # fitting says what is wrong with the file
        fields: dict[str, None] = {}
        for rule in rules or []:
            for key in ("meta", "not_meta"):
                fields.update(dict.fromkeys(str(k) for k in (rule.get(key) or {})))
        return tuple(fields)

    def _fit(self, items: list[Item], Y: np.ndarray) -> None:
        if self.rules is not None:
            spec: dict[str, Any] = {"default": self.default,
                                    "rules": check_rules(self.rules, "rules")}
        elif self.rules_file:
            spec = load_rules(self.rules_file)
            if self.default is not None:
                spec["default"] = self.default
        else:
            raise PredictorError("rules: no rules given",
                                 hint=in_words("pass rules_file=PATH (a rules.toml)",
                                               "give the rules file: glamlab baseline --rules "
                                               "rules.toml",
                                               "ask whoever runs glamlab on the server to "
                                               "give the rules file (a rules.toml)"))
        for rule in spec["rules"]:
            if rule["label"] not in self.classes_:
                raise PredictorError(f"rule {rule['name']!r} votes for {rule['label']!r}, which "
                                     f"is not one of the labels {self.classes_}",
                                     hint="fix the rule's label")
        default = spec["default"]
        if default is not None and default not in self.classes_:
            raise PredictorError(f"rules default {default!r} is not one of {self.classes_}")
        if default is None and len(Y) and not self.multi_label_:
            default = self.classes_[int(np.argmax(Y.sum(axis=0)))]
        self.rules_ = spec["rules"]
        self.default_ = default

    def _compiled_rules(self) -> list[_CompiledRule]:
        cached = getattr(self, "_compiled", None)
        if cached is None:
            cached = [_CompiledRule(r) for r in self.rules_]
            self._compiled = cached
        return cached

    def votes(self, items: Sequence[Item]) -> np.ndarray:
        """(n_items, n_rules): the label index each rule votes for, or -1 (abstain)."""
        index = {c: i for i, c in enumerate(self.classes_)}
        rules = self._compiled_rules()
        out = np.full((len(items), len(rules)), -1, dtype=np.int64)
        for r, item in enumerate(items):
            for j, (rule, spec) in enumerate(zip(rules, self.rules_, strict=True)):
                if rule.fires(item):
                    out[r, j] = index[spec["label"]]
        return out

    def _predict_batch(self, items: list[Item]) -> np.ndarray:
        k = len(self.classes_)
        V = self.votes(items)
        prio = np.array([r["priority"] for r in self.rules_])
        out = np.zeros((len(items), k))
        fallback = self.classes_.index(self.default_) if self.default_ is not None else None
        for r in range(len(items)):
            fired = np.flatnonzero(V[r] >= 0)
            if self.multi_label_:
                out[r, V[r, fired]] = 1.0
                if not len(fired) and fallback is not None:
                    out[r, fallback] = 1.0
                continue
            if len(fired):
                best = fired[np.argmax(prio[fired])]  # first of the highest priority
                out[r, V[r, best]] = 1.0
            elif fallback is not None:
                out[r, fallback] = 1.0
            else:
                out[r] = 1.0 / k
        return out


def rules_report(predictor: RulesPredictor, items: Sequence[Item],
                 gold: Sequence[Sequence[str] | None]) -> dict[str, Any]:
    """Per rule, in the manner of Snorkel's labeling-function summary: coverage,
    overlaps, conflicts (shares of all items) and, on the labelled items, correct,
    incorrect and empirical accuracy."""
    V = predictor.votes(items)
    n = len(items)
    fired = V >= 0
    n_fired = fired.sum(axis=1)
    labelled = np.array([g is not None for g in gold])
    rows = []
    for j, spec in enumerate(predictor.rules_):
        f = fired[:, j]
        others = fired.copy()
        others[:, j] = False
        overlap = f & (n_fired > 1)
        conflict = np.zeros(n, dtype=bool)
        for r in np.flatnonzero(overlap):
            conflict[r] = bool(((V[r] != V[r, j]) & others[r]).any())
        correct = incorrect = 0
        for r in np.flatnonzero(f & labelled):
            if spec["label"] in (gold[int(r)] or ()):
                correct += 1
            else:
                incorrect += 1
        judged = correct + incorrect
        rows.append({
            "rule": spec["name"], "label": spec["label"], "priority": spec["priority"],
            "coverage": float(f.mean()) if n else 0.0,
            "overlaps": float(overlap.mean()) if n else 0.0,
            "conflicts": float(conflict.mean()) if n else 0.0,
            "correct": correct, "incorrect": incorrect,
            "empirical_accuracy": correct / judged if judged else None,
        })
    return {
        "items": n, "labelled": int(labelled.sum()),
        "coverage": float((n_fired > 0).mean()) if n else 0.0,
        "abstained": int((n_fired == 0).sum()),
        "default": predictor.default_,
        "rules": rows,
    }


# -- threshold -----------------------------------------------------------------------
def _gray(item: Item, max_side: int) -> np.ndarray:
    im = item.open_image(max_side=max_side).convert("L")
    return np.asarray(im, dtype=np.float32) / 255.0


def _text(item: Item) -> str:
    if item.text is None:
        raise ItemError(f"{item.item_id}: has no text", item=item.item_id,
                        hint="choose an image statistic, or ingest the OCR text")
    return item.text


def _ratio(text: str, pred: Callable[[str], bool]) -> float:
    return sum(1 for c in text if pred(c)) / len(text) if text else 0.0


# name -> (modality, function(item, max_side) -> float, description)
STATISTICS: dict[str, tuple[str, Callable[[Item, int], float], str]] = {
    "mean_darkness": ("image", lambda it, s: float(1.0 - _gray(it, s).mean()),
                      "how dark the page is on average (0 white, 1 black)"),
    "dark_ratio": ("image", lambda it, s: float((_gray(it, s) < 0.5).mean()),
                   "share of dark pixels (ink) on the page"),
    "contrast": ("image", lambda it, s: float(_gray(it, s).std()),
                 "spread of grey levels (blank pages are flat)"),
    "text_length": ("text", lambda it, s: float(len(_text(it))), "number of characters"),
    "digit_ratio": ("text", lambda it, s: _ratio(_text(it), str.isdigit), "share of digits"),
    "alpha_ratio": ("text", lambda it, s: _ratio(_text(it), str.isalpha), "share of letters"),
    "upper_ratio": ("text", lambda it, s: _ratio(_text(it), str.isupper),
                    "share of capital letters"),
}


class ThresholdPredictor(Predictor):
    """One statistic against a threshold tuned on the training data (binary tasks)."""

    name: ClassVar[str] = "threshold"
    supports_multi_label: ClassVar[bool] = False
    batch_size: ClassVar[int] = 32
    intended_use = "a one-number rule, e.g. 'pages with under 0.5% dark pixels are blank'"
    limitations = "one statistic, one cut: cannot separate what that number does not"

    def __init__(self, statistic: str = "dark_ratio", max_side: int = 256):
        self.statistic = statistic
        self.max_side = max_side

    def _stat(self, item: Item) -> float:
        spec = STATISTICS.get(self.statistic)
        if spec is None:
            raise PredictorError(f"threshold: unknown statistic {self.statistic!r}",
                                 hint=f"choose one of {', '.join(STATISTICS)}")
        return spec[1](item, self.max_side)

    def _fit(self, items: list[Item], Y: np.ndarray) -> None:
        if Y.shape[1] != 2:
            raise PredictorError(f"threshold needs exactly two labels, not {Y.shape[1]}",
                                 hint="use it for yes/no tasks such as blank pages")
        xs, ys, skipped = [], [], []
        for item, row in zip(items, Y, strict=True):
            try:
                xs.append(self._stat(item))
            except ItemError as exc:
                skipped.append({"item": item.item_id, "reason": exc.message})
                continue
            ys.append(int(np.argmax(row)))
        if not xs:
            raise PredictorError("threshold: no training item could be measured",
                                 hint=skipped[0]["reason"] if skipped else None)
        x = np.asarray(xs)
        y = np.asarray(ys)
        self.threshold_, self.above_, self.train_balanced_accuracy_ = _best_cut(x, y)
        self.scale_ = float(max(x.std() * 0.05, 1e-9))
        self.skipped_ = skipped

    def _predict_batch(self, items: list[Item]) -> np.ndarray:
        x = np.array([self._stat(it) for it in items])
        z = np.clip((x - self.threshold_) / self.scale_, -50, 50)
        p_above = 1.0 / (1.0 + np.exp(-z))
        out = np.zeros((len(items), 2))
        out[:, self.above_] = p_above
        out[:, 1 - self.above_] = 1.0 - p_above
        return out

    def describe(self) -> str:
        spec = STATISTICS[self.statistic]
        return (f"{self.statistic} ({spec[2]}) above {self.threshold_:.4g} -> "
                f"{self.classes_[self.above_]}, otherwise {self.classes_[1 - self.above_]}")


def _best_cut(x: np.ndarray, y: np.ndarray) -> tuple[float, int, float]:
    """The cut and side (which class lies above) with the best balanced accuracy."""
    order = np.argsort(x, kind="stable")
    xs, ys = x[order], y[order]
    n1 = max(int(ys.sum()), 1)
    n0 = max(int(len(ys) - ys.sum()), 1)
    # candidate cuts between distinct neighbouring values (and below everything)
    below1 = np.concatenate([[0], np.cumsum(ys)])  # class-1 items at or below cut i
    below0 = np.arange(len(ys) + 1) - below1
    distinct = np.concatenate([[True], xs[1:] != xs[:-1], [True]])
    # balanced accuracy when class 1 lies above the cut
    ba_above1 = 0.5 * (below0 / n0 + (n1 - below1) / n1)
    ba_above0 = 1.0 - ba_above1
    ba = np.where(distinct, np.maximum(ba_above1, ba_above0), -1.0)
    i = int(np.argmax(ba))
    if i == 0:
        cut = xs[0] - 1e-9
    elif i == len(xs):
        cut = xs[-1] + 1e-9
    else:
        cut = 0.5 * (xs[i - 1] + xs[i])
    above = 1 if ba_above1[i] >= ba_above0[i] else 0
    return float(cut), above, float(ba[i])
