"""Classification: single-label (one label per item) and multi-label (a set per item).

Gold label: the item's labels, a sorted list of names (one name for single-label).
Stored as one ``labels`` row per name. Prediction: :class:`Scores`, one score per label
of the predictor (``predict_proba``), stored as ``scores`` {label: score}, ``label`` the
top label (single-label) and ``labels`` the predicted ones. Metrics and their per-item
statistics are in :mod:`.classification_metrics`.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ...config import two_labels_fix
from ...errors import PredictorError
from ...progress import label_list
from ...said import card_words
from . import classification_metrics as M
from .base import Candidate, ItemStats, LabelRow, Reducer, Row, StoredPrediction, TaskKind

if TYPE_CHECKING:
    import sqlalchemy as sa

    from ...config import ProjectCard
    from ...items import Item
    from ...workspace import Workspace

Labels = list[str]


def close_label(value: str, labels: Sequence[str]) -> str | None:
    """The label of ``labels`` that ``value`` most likely means (the same but for case or
    spaces, else a close spelling), or None."""
    folded = {" ".join(label.casefold().split()): label for label in labels}
    same = folded.get(" ".join(value.casefold().split()))
    if same is not None:
        return same
    close = difflib.get_close_matches(value.casefold(), list(folded), n=1, cutoff=0.8)
    return folded[close[0]] if close else None


@dataclass(slots=True)
class Scores:
    """A classification prediction: a score per label, in ``classes`` order (a predictor's
    ``classes_``, shared by the predictions of one batch). ``label`` and ``score`` are the
    headline a stored prediction names, when it names one; ``best`` (the top score's index)
    and ``finite`` are worked out for a whole batch at once when it is predicted."""

    classes: list[str]
    values: list[float]
    label: str | None = None
    score: float | None = None
    best: int | None = None
    finite: bool | None = None

    def top_index(self) -> int:
        if self.best is None:
            self.best = self.values.index(max(self.values))
        return self.best

    def as_dict(self) -> dict[str, float]:
        return dict(zip(self.classes, self.values, strict=True))

    def top(self) -> tuple[str, float]:
        if self.label is not None:
            return self.label, (self.score if self.score is not None
                                else float(self.as_dict().get(self.label, 0.0)))
        best = self.top_index()
        return self.classes[best], self.values[best]


def missing_labels_warning(missing: Sequence[str]) -> str:
    """What evaluating on a test split with no item of ``missing`` means: how well those
    labels are found cannot be measured, and the figures averaged over labels (F1) leave
    them out, so a model that never gives them looks perfect."""
    names = ", ".join(repr(m) for m in missing)
    one = len(missing) == 1
    return (f"the test split holds no item labelled {names}: how well a model finds "
            f"{'it' if one else 'them'} cannot be measured (its F1 is undefined, not 1.00), "
            f"and the F1 averaged over labels leaves {'it' if one else 'them'} out, so a "
            f"model that never gives {names} (the majority baseline) scores as if perfect. "
            "Do not trust these figures: add items with "
            f"{'that label' if one else 'those labels'} to the test split (label items "
            "chosen at random for the test set; once a test split is frozen, only "
            "re-splitting the labelled items adds them: glamlab labels split --force, "
            "logged) and evaluate again.")


class Classification(TaskKind[Labels, Scores]):
    """What single- and multi-label classification share. A yes/no outcome per row of a
    table (``tabular``) is a single-label task with the labels "0" and "1"."""

    modalities: ClassVar[tuple[str, ...]] = ("image", "text", "tabular")
    options: ClassVar[dict[str, Any]] = {"threshold": 0.5}
    label_widget: ClassVar[str] = "widgets/classification_label.html"
    review_widget: ClassVar[str] = "widgets/classification_review.html"

    def __init__(self, card: ProjectCard, **overrides: Any):
        super().__init__(card, **overrides)
        #: a tabular project's schema (the card's ``[tabular]``): its baselines read rows
        self.table: dict[str, Any] = (dict(card.section("tabular"))
                                      if self.modality == "tabular" else {})

    def validate(self) -> None:
        super().validate()
        if self.multi_label != (self.name == "multi-label"):
            from ...errors import ConfigError

            raise ConfigError(
                f"[task] kind is {self.name!r} but [project] multi_label is "
                f"{str(self.multi_label).lower()}",
                hint=card_words("make them agree in glamlab.toml (multi_label = true goes "
                                "with kind = \"multi-label\")",
                                "give multi_label=True with kind='multi-label' (or leave "
                                "kind out), multi_label=False with any other kind",
                                "give --multi-label with --kind multi-label (or leave --kind "
                                "out)", "choose one or several labels per item"))

    @property
    def threshold(self) -> float:
        return float(self.settings["threshold"])

    def kept_in_split(self, ws: Workspace, ids: Sequence[str], conn: sa.Connection) -> set[str]:
        """Items whose label in force came from review (a person accepting or correcting a
        model's prediction; :func:`glamlab.store.gold.from_review`): the queue picked them
        by the model's scores, and their gold is the model's answer as people decided it."""
        from ...store.gold import from_review

        return from_review(conn, ids)

    # -- gold labels -----------------------------------------------------------------------
    def _check_names(self, values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in self.labels]
        if unknown:
            close = [(v, m) for v in unknown if (m := close_label(v, self.labels)) is not None]
            hints = [f"{m!r}" if len(unknown) == 1 else f"{m!r} for {v!r}" for v, m in close]
            raise ValueError(f"unknown label {', '.join(map(repr, unknown))} (the task's "
                             f"labels: {label_list(self.labels)})"
                             + (f"; did you mean {', '.join(hints)}?" if hints else ""))
        return values

    def parse_gold(self, cell: str, *, separator: str | None = None) -> Labels:
        values = [v.strip() for v in (cell.split(separator) if separator else [cell])]
        values = [v for v in values if v]
        if not values:
            raise ValueError("no label")
        return sorted(set(self._check_names(values)))

    def gold_from_form(self, values: Sequence[str]) -> Labels:
        chosen = [v for v in dict.fromkeys(values) if v]
        if not chosen:
            raise ValueError("no label given")
        unknown = [v for v in chosen if v not in self.labels]
        if unknown:
            raise ValueError(f"{', '.join(map(repr, unknown))} not among this project's labels")
        return chosen

    def gold_rows(self, gold: Labels) -> list[LabelRow]:
        return [LabelRow(label) for label in gold]

    def gold_from_rows(self, rows: Sequence[LabelRow]) -> Labels | None:
        """The names the card still has (a label taken off the card is left out)."""
        known = sorted({r.label for r in rows if r.label in self.labels})
        return known or None

    def strata(self, gold: Labels) -> list[str]:
        return list(gold)

    # -- training ----------------------------------------------------------------------------
    def targets(self, golds: Sequence[Labels]) -> list[Any]:
        """Labels as a predictor's ``fit`` takes them: a name per item, or lists."""
        return [list(g) for g in golds] if self.multi_label else [g[0] for g in golds]

    def fit(self, predictor: Any, items: list[Item], golds: list[Labels]) -> Any:
        return predictor.fit(items, self.targets(golds), classes=self.labels,
                             multi_label=self.multi_label)

    # -- predictions ---------------------------------------------------------------------------
    def check_predictor(self, predictor: Any) -> None:
        extra = sorted(set(predictor.classes_) - set(self.labels))
        if extra:
            raise PredictorError(f"predicts labels {extra} that this task does not have",
                                 hint="evaluate models trained for this task")

    def predict(self, predictor: Any, items: list[Item]) -> list[Scores]:
        proba = predictor.predict_proba(items)
        classes = [str(c) for c in predictor.classes_]
        if getattr(proba, "shape", None) != (len(items), len(classes)):
            raise ValueError(f"the predictor returned scores of shape "
                             f"{getattr(proba, 'shape', None)}, expected "
                             f"{(len(items), len(classes))}")
        import numpy as np

        proba = np.asarray(proba, dtype=np.float64)
        finite = np.isfinite(proba).all(axis=1).tolist() if len(items) else []
        best = proba.argmax(axis=1).tolist() if len(items) and classes else [None] * len(items)
        return [Scores(classes, row, best=b if ok else None, finite=ok)
                for row, b, ok in zip(proba.tolist(), best, finite, strict=True)]

    def problem(self, prediction: Scores) -> str | None:
        ok = prediction.finite
        if ok is None:
            ok = all(math.isfinite(v) for v in prediction.values)
        if not ok:
            return f"the predictor returned scores that are not finite numbers: {prediction.values}"
        return None

    def to_stored(self, prediction: Scores) -> StoredPrediction:
        label, score = prediction.top() if prediction.values else (None, None)
        if self.multi_label:
            chosen = [c for c, s in zip(prediction.classes, prediction.values, strict=True)
                      if s >= self.threshold]
            return StoredPrediction(None, chosen, prediction.as_dict(), score)
        return StoredPrediction(label, [label] if label is not None else [],
                                prediction.as_dict(), score)

    def to_rows(self, items: Sequence[Item], predictions: Sequence[Scores]) -> list[Row]:
        """The run's hot path: the scores of a batch are written with one ``%``-format per
        row (the JSON object's keys made once per set of classes), exactly what
        ``json.dumps(dict(zip(classes, scores)))`` writes."""
        dumps = json.dumps
        rows: list[Row] = []
        formats: dict[int, tuple[str, list[str]]] = {}
        threshold = self.threshold
        multi = self.multi_label
        for item, p in zip(items, predictions, strict=True):
            classes = p.classes
            if not classes:
                rows.append((item.item_id, None, "[]", "{}", None))
                continue
            made = formats.get(id(classes))
            if made is None:
                # "%" escaped in the keys; %r writes what json.dumps does for a float
                fmt = "{" + ", ".join(dumps(c).replace("%", "%%") + ": %r" for c in classes) + "}"
                made = formats[id(classes)] = (fmt, [f"[{dumps(c)}]" for c in classes])
            fmt, single = made
            values = p.values
            best = p.top_index()
            scores = fmt % tuple(values)
            if multi:
                labels = dumps([c for c, s in zip(classes, values, strict=True) if s >= threshold])
                rows.append((item.item_id, None, labels, scores, values[best]))
            else:
                rows.append((item.item_id, classes[best], single[best], scores, values[best]))
        return rows

    def from_stored(self, label: str | None, labels: Any, scores: Any,
                    score: float | None) -> Scores:
        scores = scores or {}
        if not isinstance(scores, dict):
            raise ValueError(f"scores must be a label -> score mapping, not "
                             f"{type(scores).__name__}")
        return Scores([str(k) for k in scores], [float(v) for v in scores.values()],
                      label=str(label) if label is not None else None,
                      score=float(score) if score is not None else None)

    # -- actions ---------------------------------------------------------------------------------
    @property
    def one_value_per_item(self) -> bool:
        return not self.multi_label

    def candidates(self, prediction: Scores) -> list[Candidate]:
        if self.multi_label:
            out = sorted(((c, float(s)) for c, s in zip(prediction.classes, prediction.values,
                                                         strict=True)), key=lambda kv: -kv[1])
        elif prediction.label is None and not prediction.values:
            out = []
        else:
            out = [prediction.top()]
        for label, score in out:
            if not 0.0 <= score <= 1.0:  # also catches NaN
                raise ValueError(f"score {score!r} for label {label!r} is not between 0 and 1")
        return [Candidate(label, float(score)) for label, score in out]

    def is_correct(self, candidate: Candidate, gold: Labels) -> bool:
        return candidate.label in gold

    # -- evaluation ----------------------------------------------------------------------------
    def _matrix(self, predictions: Sequence[Scores | None]) -> Any:
        """Scores as an (n, labels) matrix in the task's label order; NaN rows for failed
        items; labels a predictor does not know score 0."""
        import numpy as np

        index = {c: j for j, c in enumerate(self.labels)}
        out = np.zeros((len(predictions), len(self.labels)))
        for r, p in enumerate(predictions):
            if p is None:
                out[r] = np.nan
                continue
            for c, v in zip(p.classes, p.values, strict=True):
                j = index.get(c)
                if j is not None:
                    out[r, j] = v
        return out

    def _indicator(self, golds: Sequence[Labels]) -> Any:
        import numpy as np

        index = {c: i for i, c in enumerate(self.labels)}
        Y = np.zeros((len(golds), len(self.labels)), dtype=np.int8)
        for r, ys in enumerate(golds):
            for y in ys:
                Y[r, index[y]] = 1
        return Y

    def evaluation_warnings(self, golds: Sequence[Labels], metric: str) -> list[str]:
        counts = [sum(1 for g in golds if label in g) for label in self.labels]
        out: list[str] = []
        missing = [label for label, c in zip(self.labels, counts, strict=True) if not c]
        if missing and golds:
            out.append(missing_labels_warning(missing))
        ratio = M.imbalance_ratio(counts)
        if metric == "accuracy" and ratio > 3:
            out.append(f"the test labels are imbalanced ({ratio:.1f}:1 between the commonest "
                       "and rarest label): accuracy rewards always answering the commonest "
                       "label. Use F1 instead (set metric = \"f1_macro\" in [project] of "
                       "glamlab.toml).")
        return out

    baseline_words: ClassVar[dict[str, str]] = {
        "majority": "always the most common label",
        "prior": "the label mix, at random",
        "rules": "the rules of the project's rules file",
        "threshold": "one simple measure of each item (the share of dark pixels of an image, "
                     "the length of a text) against a cut-off tuned on the training labels",
        # a tabular project's (glamlab.tasks.tabular), as its leaderboard names them
        "tabular-share": "the outcome's share among all the training rows",
        "tabular-last-period": "its share among those of the last 28 days",
        "tabular-last-year": "its share among those of the same weeks a year before"}

    def baselines(self, *, rules: str | None, threshold: str | None,
                  seed: int) -> list[tuple[str, dict[str, Any]]]:
        out: list[tuple[str, dict[str, Any]]] = [("prior", {"seed": seed}), ("majority", {})]
        if rules:
            out.append(("rules", {"rules_file": rules}))
        return out


class SingleLabel(Classification):
    """One label per item, from the task's labels."""

    name: ClassVar[str] = "single-label"
    description: ClassVar[str] = "one label per item (e.g. blank or content; a language)"
    metrics: ClassVar[tuple[str, ...]] = ("accuracy", "f1_macro", "f1_micro", "f1_weighted")
    default_metric: ClassVar[str] = "f1_macro"

    def validate(self) -> None:
        super().validate()
        if len(self.labels) < 2:
            from ...errors import ConfigError

            raise ConfigError("a single-label task needs at least two labels",
                              hint=two_labels_fix())

    def parse_gold(self, cell: str, *, separator: str | None = None) -> Labels:
        values = [v.strip() for v in (cell.split(separator) if separator else [cell])]
        values = [v for v in values if v]
        if len(values) > 1:
            raise ValueError(f"several labels {values} on a single-label task")
        return super().parse_gold(cell, separator=separator)

    def gold_from_form(self, values: Sequence[str]) -> Labels:
        chosen = super().gold_from_form(values)
        if len(chosen) > 1:
            raise ValueError("this project takes one label per item")
        return chosen

    def uncertainty(self, prediction: Scores) -> float:
        """1 - the top score (least confident first)."""
        return 1.0 - max(prediction.values)

    def accepted(self, gold: Labels | None, candidate: Candidate) -> Labels:
        return [candidate.label]

    def reducer(self) -> Reducer:
        k = len(self.labels)

        def reduce(sums: Any, n: Any) -> dict[str, Any]:
            return M.single_label_metrics(sums, n, k)

        return reduce

    def item_stats(self, golds: Sequence[Labels],
                   predictions: Sequence[Scores | None]) -> ItemStats:
        import numpy as np

        truth = self._indicator(golds).argmax(axis=1)
        proba = self._matrix(predictions)
        ok = ~np.isnan(proba).any(axis=1)
        pred = np.where(ok, np.nan_to_num(proba, nan=-1.0).argmax(axis=1), -1)
        L = len(self.labels)
        S = M.single_label_stats(truth, pred, L)
        return ItemStats(S=S, correct=S[:, 0] > 0,
                         confusion=M.confusion_matrix(truth, pred, k=L).tolist())

    def baselines(self, *, rules: str | None, threshold: str | None,
                  seed: int) -> list[tuple[str, dict[str, Any]]]:
        """prior, majority, rules (with a rules file) and, for a two-label task, one image
        or text statistic against a tuned threshold (the dark-pixel ratio, the text length);
        for rows of a table, the training share, the last period and the same period a
        year before."""
        if self.modality == "tabular":  # rows of a table: the forecaster's baselines
            from ..tabular import BASELINES

            return [(name, {"schema": dict(self.table)}) for name in BASELINES]
        out = super().baselines(rules=rules, threshold=threshold, seed=seed)
        if len(self.labels) == 2:
            if threshold is None:
                threshold = "dark_ratio" if self.modality == "image" else "text_length"
            if threshold:
                out.append(("threshold", {"statistic": threshold}))
        return out


class MultiLabel(Classification):
    """A set of labels per item (subject headings): every label scored on its own."""

    name: ClassVar[str] = "multi-label"
    description: ClassVar[str] = "a set of labels per item (e.g. subject headings)"
    metrics: ClassVar[tuple[str, ...]] = ("f1_samples", "precision_at_k", "recall_at_k",
                                          "ndcg_at_k", "f1_micro", "f1_macro")
    default_metric: ClassVar[str] = "f1_samples"
    options: ClassVar[dict[str, Any]] = {"threshold": 0.5, "k": 5}
    #: each review row is one label suggested for one item
    candidates_word: ClassVar[str] = "suggested labels"
    #: a record's subject terms, as a cataloguer calls them (the queue's cards and keys)
    label_words: ClassVar[tuple[str, str]] = ("term", "terms")

    def _card_options(self, card: ProjectCard) -> dict[str, Any]:
        k = card.section("evaluation").get("k")  # where cards kept it before [task]
        return {"k": k} if k is not None else {}

    @property
    def k(self) -> int:
        return int(self.settings["k"])

    def parse_gold(self, cell: str, *, separator: str | None = None) -> Labels:
        return super().parse_gold(cell, separator=separator or "|")

    def gold_from_rows(self, rows: Sequence[LabelRow]) -> Labels | None:
        """The names the card still has; the empty set where a reviewer checked the
        record and found none of the terms applies (its one row is
        :data:`~glamlab.store.gold.NO_TERMS`: it trains as a record no term applies to,
        :func:`glamlab.tasks.partial_labels.check_record`)."""
        from ...store.gold import NO_TERMS

        known = super().gold_from_rows(rows)
        if known is None and any(r.label == NO_TERMS for r in rows):
            return []
        return known

    def merge_gold(self, first: Labels, more: Labels) -> Labels | None:
        """Long format: one row per (item, label)."""
        return sorted(set(first) | set(more))

    def uncertainty(self, prediction: Scores) -> float:
        """1 - 2 |score - 0.5| of the label nearest 0.5 (closest to the fence first)."""
        return 1.0 - 2.0 * min(abs(v - 0.5) for v in prediction.values)

    def accepted(self, gold: Labels | None, candidate: Candidate) -> Labels:
        return sorted(set(gold or ()) | {candidate.label})

    def partial_gold(self, ws: Workspace, ids: Sequence[str], conn: sa.Connection) -> set[str]:
        """Records whose gold came only from reviewers' decisions on single suggested
        labels while another suggestion for them is still open in the review queue
        (:func:`glamlab.store.queue.partial_review_label_items`): trained on, every
        suggestion still waiting would read as "does not apply". They wait, as a partly
        reviewed entities text does, until the last one is decided; a person's whole
        label (imported, or given on the labelling page) is never partial."""
        from ...store.queue import partial_review_label_items

        return partial_review_label_items(conn, ids)

    def _ks(self) -> tuple[int, ...]:
        return tuple(sorted({*M.KS, self.k}))

    def reducer(self) -> Reducer:
        L, ks, k = len(self.labels), self._ks(), self.k

        def reduce(sums: Any, n: Any) -> dict[str, Any]:
            return M.multi_label_metrics(sums, n, L, ks, k)

        return reduce

    def item_stats(self, golds: Sequence[Labels],
                   predictions: Sequence[Scores | None]) -> ItemStats:
        return ItemStats(S=M.multi_label_stats(self._indicator(golds), self._matrix(predictions),
                                               self.threshold, self._ks()))
