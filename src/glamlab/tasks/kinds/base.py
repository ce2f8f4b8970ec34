"""The task-kind contract: what differs between kinds of task, in one class per kind.

A *task kind* says what is predicted and how it is judged: single-label or multi-label
classification today; entity spans in text, a yes/no outcome per table row or a count per
group tomorrow. Every stage (labels, splits, training, evaluation, runs, actions, review,
exports, sampling) asks the project's kind instead of branching on the kind itself, so
adding a kind is adding a module (and one line in :data:`glamlab.tasks.kinds.BUILTIN`, or
an entry point in the ``glamlab.task_kinds`` group).

Two kinds of value pass through a kind, each of the kind's own type:

- a **gold label** (``G``): what a person says about one item (a label name for
  single-label, a sorted list of names for multi-label, a list of spans for entities,
  a number for a count...);
- a **prediction** (``P``): what a predictor says about one item (scores per label for
  classification, spans with scores for entities...).

How they are stored, without schema changes per kind:

- gold: rows of the ``labels`` table, one :class:`LabelRow` each (``label`` text, plus a
  JSON ``value`` for what a name cannot hold, e.g. a span's offsets);
- predictions: one row of the ``predictions`` table, a :class:`StoredPrediction`:
  ``label`` (the headline label or None), ``labels`` (the label names the prediction
  asserts: monitoring counts them), ``scores`` (a JSON object: the kind's full payload,
  which only the kind reads back) and ``score`` (the headline score: monitoring and
  sorting read it).

What a policy acts on is a :class:`Candidate` (a label, a score between 0 and 1 and an
optional JSON value): the kind turns a prediction into candidates, the policy decides
accept / review / reject per candidate, review shows and decides candidates, exports
write one row per candidate.

Evaluation is per-item statistics (the kind's :meth:`TaskKind.item_stats`, an ``(n, d)``
matrix) and a reducer from summed statistics to metrics (:meth:`TaskKind.reducer`), so
that bootstrap intervals, paired comparisons and slices (:mod:`glamlab.evaluation`)
work the same for every kind.

A kind instance is made for one project card (:func:`glamlab.tasks.kinds.task_kind`) and
must stay picklable (it travels to worker processes with the model).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from ...errors import ConfigError
from ...progress import with_article as _a
from ...said import card_words
from ...store.jsontext import dumps as _json

if TYPE_CHECKING:
    import numpy as np
    import sqlalchemy as sa

    from ...config import ProjectCard
    from ...items import Item
    from ...workspace import Workspace

G = TypeVar("G")  # a gold label
P = TypeVar("P")  # a prediction

# A prediction row as the run's single writer stores it:
# (item_id, label, labels JSON text, scores JSON text, score)
Row = tuple[str, str | None, str, str, float | None]
# An item that could not be predicted: (item_id, reason)
Failure = tuple[str, str]
# Summed per-item statistics (any leading shape) and the item count -> named metrics
Reducer = Callable[["np.ndarray", Any], dict[str, "np.ndarray"]]


@dataclass(frozen=True)
class LabelRow:
    """One stored row of a gold label: a label name and, where a name is not enough, a
    JSON value (e.g. ``{"start": 3, "end": 9}`` for a span)."""

    label: str
    value: Any = None


@dataclass(frozen=True)
class Candidate:
    """One thing a prediction asserts that a policy can act on."""

    label: str
    score: float  # between 0 and 1
    value: Any = None  # JSON, for kinds whose candidates are more than a label


@dataclass(frozen=True)
class StoredPrediction:
    """A prediction as the ``predictions`` table holds it (see the module docstring)."""

    label: str | None
    labels: list[str]
    scores: dict[str, Any]
    score: float | None


@dataclass
class ItemStats:
    """Per-item evaluation statistics of one candidate model on the test items.

    ``S`` is ``(n_items, d)``: every metric of the kind is a function of column sums of
    ``S`` (see :meth:`TaskKind.reducer`), so a bootstrap resample is one matrix product.
    ``correct`` (optional) says per item whether the prediction was right as a whole
    (McNemar's test compares two models on it); ``confusion`` (optional) is a matrix over
    :meth:`TaskKind.breakdown_labels` (rows truth, columns prediction)."""

    S: np.ndarray
    correct: np.ndarray | None = None
    confusion: list[list[int]] | None = None


class TaskKind(Generic[G, P]):
    """The contract every task kind implements (see the module docstring).

    Subclasses set the class attributes and implement the methods that raise
    :class:`NotImplementedError` here; the others have defaults that suit most kinds.
    """

    #: the name in ``[task] kind`` of glamlab.toml, e.g. "single-label"
    name: ClassVar[str] = ""
    #: one line for people (``glamlab init --help``, docs)
    description: ClassVar[str] = ""
    #: item modalities this kind can be asked about
    modalities: ClassVar[tuple[str, ...]] = ("image", "text")
    #: metric names ``[project] metric`` may take for this kind
    metrics: ClassVar[tuple[str, ...]] = ()
    #: the metric a new project of this kind gets
    default_metric: ClassVar[str] = ""
    #: options this kind reads from ``[task]`` in glamlab.toml, with their defaults
    options: ClassVar[dict[str, Any]] = {}
    #: Jinja2 templates (under ``glamlab/web/templates``) drawing the labelling controls
    #: for one item, and the decision controls for one review-queue row
    label_widget: ClassVar[str] = ""
    review_widget: ClassVar[str] = ""
    #: columns this kind adds to every export row (filled by :meth:`export_values`)
    export_columns: ClassVar[tuple[str, ...]] = ()
    #: what review-queue rows are about, in words ("items"; "suggested labels" for
    #: multi-label, "spans" for entities)
    candidates_word: ClassVar[str] = "items"
    #: what the review queue's cards and keys call the project's labels (one, several):
    #: "label"; a multi-label project's are its vocabulary's "terms"
    label_words: ClassVar[tuple[str, str]] = ("label", "labels")
    #: what a project's items are called on its pages, by modality (one, several): a
    #: tabular project's items are the rows of its table; any other's are "items"
    nouns: ClassVar[dict[str, tuple[str, str]]] = {"tabular": ("row", "rows")}
    #: whether ``act --optimise`` (and the thresholds act proposes itself) may accept a
    #: label automatically whose calibration threshold no test prediction reaches (its
    #: precision on test unmeasured, named as such in act's report). Entities: no, such a
    #: type goes to review (a few test documents often hold none of a type's sure spans)
    accepts_untested: ClassVar[bool] = True
    #: metadata fields whose items belong together (the pages of one document), the
    #: first the labelled items share being what setting a test set aside keeps whole
    #: unless told otherwise (:func:`glamlab.tasks.splits.keep_together_fields`)
    keep_together: ClassVar[tuple[str, ...]] = ("document",)
    #: the baselines (:meth:`baselines`) in a curator's words, for the web app's
    #: evaluation page and verdict
    baselines_in_words: ClassVar[str] = "always the most common label, the label mix"
    #: each baseline's words by its name, as the leaderboard lists it
    #: (:meth:`baselines_said`); a kind without them says :attr:`baselines_in_words`
    baseline_words: ClassVar[dict[str, str]] = {}

    def __init__(self, card: ProjectCard, **overrides: Any):
        self.labels: list[str] = list(card.labels)
        self.modality = card.modality
        #: this project's word for its items, one and several ("row", "rows")
        self.noun_one, self.noun = self.nouns.get(str(card.modality), ("item", "items"))
        self.metric = card.metric
        self.multi_label = card.multi_label
        section = card.section("task")
        unknown = sorted((set(section) - {"kind"} | set(overrides)) - set(self.options))
        if unknown:
            raise ConfigError(f"[task] has option(s) the {self.name} kind does not know: "
                              f"{', '.join(unknown)}",
                              hint=f"options of {self.name}: "
                                   f"{', '.join(sorted(self.options)) or 'none'}")
        self.settings: dict[str, Any] = {**self.options, **self._card_options(card),
                                         **{k: v for k, v in section.items() if k != "kind"},
                                         **{k: v for k, v in overrides.items() if v is not None}}

    def _card_options(self, card: ProjectCard) -> dict[str, Any]:
        """Options read from elsewhere in the card (older cards); ``[task]`` wins."""
        return {}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} labels={self.labels!r}>"

    # -- the card ------------------------------------------------------------------------
    def validate(self) -> None:
        """Refuse a card this kind cannot work with (``ConfigError`` naming the fix)."""
        if self.modality not in self.modalities:
            raise ConfigError(f"{_a(self.name)} task reads {', '.join(self.modalities)} items, "
                              f"not {self.modality}",
                              hint=card_words(
                                  "edit [project] modality in glamlab.toml",
                                  f"give modality= one of {', '.join(map(repr, self.modalities))}",
                                  f"give --modality one of {', '.join(self.modalities)}",
                                  "choose what the items are"))
        if self.metric not in self.metrics:
            raise ConfigError(f"the metric {self.metric!r} does not fit {_a(self.name)} task",
                              hint=card_words(
                                  f"set [project] metric in glamlab.toml to one of "
                                  f"{', '.join(self.metrics)}",
                                  f"give metric= one of {', '.join(map(repr, self.metrics))}",
                                  f"give --metric one of {', '.join(self.metrics)}",
                                  "choose one of the measures listed for it"))

    # -- where gold lives ------------------------------------------------------------------
    def read_gold(self, ws: Workspace, ids: Sequence[str] | None,
                  conn: sa.Connection) -> dict[str, G] | None:
        """item id -> gold label, for a kind whose gold lives outside the ``labels``
        table (entities: the span store); None (the default) reads ``labels`` rows
        through :meth:`gold_from_rows`."""
        return None

    def write_gold(self, ws: Workspace, conn: sa.Connection, item_id: str, gold: G, *,
                   annotator: str, source: str) -> bool:
        """Store a person's gold label for one item where the kind keeps it, in the
        caller's write transaction; False (the default) means "write ``labels`` rows from
        :meth:`gold_rows`" instead."""
        return False

    def partial_gold(self, ws: Workspace, ids: Sequence[str], conn: sa.Connection) -> set[str]:
        """The items among ``ids`` whose gold is only partly given, so not yet fit to
        train on: a reviewer decided on some of an item's predicted values and not the
        rest (entities: some spans of a text). None by default: a kind whose one
        decision settles an item's label."""
        return set()

    def changed_gold(self, ws: Workspace, ids: Sequence[str], conn: sa.Connection) -> set[str]:
        """The items among ``ids`` whose gold was given for content the item no longer
        has (entities: spans whose offsets index the text before a re-ingest changed
        its words), so not fit to train on until a person labels it again. None by
        default: a kind whose gold label does not point into the content."""
        return set()

    def kept_in_split(self, ws: Workspace, ids: Sequence[str], conn: sa.Connection) -> set[str]:
        """The items among ``ids`` that a re-split (``labels split``) leaves in the split
        they are in: their gold came from people deciding on a model's predictions
        (entities: reviewed texts), so it is neither a random sample nor independent of
        what the model found, and never test material. None by default."""
        return set()

    # -- gold labels -----------------------------------------------------------------------
    def parse_gold(self, cell: str, *, separator: str | None = None) -> G:
        """The gold label in one cell of a labels file (``glamlab labels import``).
        Raise ``ValueError`` with a short reason (it is reported with the line number)."""
        raise NotImplementedError

    def merge_gold(self, first: G, more: G) -> G | None:
        """A second row for the same item in one labels file: the gold both rows give
        together (long format), or None when they conflict."""
        return first if first == more else None

    def gold_from_form(self, values: Sequence[str]) -> G:
        """The gold label a person gave in the web app or the JSON API (the submitted
        values of :attr:`label_widget`). Raise ``ValueError`` with a short reason."""
        raise NotImplementedError

    def gold_rows(self, gold: G) -> list[LabelRow]:
        """How a gold label is stored: rows of the ``labels`` table (at least one)."""
        raise NotImplementedError

    def gold_from_rows(self, rows: Sequence[LabelRow]) -> G | None:
        """The gold label back from its stored rows (one annotator's active rows), or None
        when they hold nothing this task can use (e.g. only labels the card no longer has)."""
        raise NotImplementedError

    def strata(self, gold: G) -> list[str]:
        """What a stratified train/test split balances for this item (label names for
        classification, entity types for spans, the outcome for a yes/no task)."""
        raise NotImplementedError

    def gold_key(self, gold: G) -> Any:
        """A JSON-able, order-stable form of a gold label (training-data fingerprints)."""
        return gold

    # -- training --------------------------------------------------------------------------
    def targets(self, golds: Sequence[G]) -> list[Any]:
        """Gold labels as this kind's predictors take them in ``fit`` (default: as they are)."""
        return list(golds)

    def fit(self, predictor: Any, items: list[Item], golds: list[G]) -> Any:
        """Fit ``predictor`` on items and their gold labels; returns the predictor."""
        return predictor.fit(items, self.targets(golds))

    # -- predictions -----------------------------------------------------------------------
    def check_predictor(self, predictor: Any) -> None:
        """Refuse (with a ``GlamlabError``) a fitted predictor that cannot serve this task."""

    def predict(self, predictor: Any, items: list[Item]) -> list[P]:
        """Predictions for a batch of items, one per item, in order. Any exception fails
        the batch; :func:`glamlab.tasks.predict.predict_items` then retries item by item."""
        raise NotImplementedError

    def problem(self, prediction: P) -> str | None:
        """Why a prediction cannot be kept (e.g. scores that are not finite), or None."""
        return None

    def to_stored(self, prediction: P) -> StoredPrediction:
        raise NotImplementedError

    def from_stored(self, label: str | None, labels: Any, scores: Any,
                    score: float | None) -> P:
        """A prediction back from its stored columns. Raise ``ValueError`` (or
        ``TypeError``) when they are malformed."""
        raise NotImplementedError

    def to_rows(self, items: Sequence[Item], predictions: Sequence[P]) -> list[Row]:
        """Store-ready rows for the run's writer (JSON already made, as the store writes
        it: strict JSON, a NaN or infinity as null)."""
        out: list[Row] = []
        for item, p in zip(items, predictions, strict=True):
            s = self.to_stored(p)
            out.append((item.item_id, s.label, _json(s.labels), _json(s.scores),
                        s.score))
        return out

    def uncertainty(self, prediction: P) -> float:
        """How unsure the prediction is, from 0 (sure) to 1 (no idea): uncertainty
        sampling labels the highest first."""
        raise NotImplementedError

    # -- evaluation ------------------------------------------------------------------------
    def headline_metrics(self) -> tuple[str, ...]:
        """The scalar metrics reported with bootstrap intervals (the project's metric
        among them)."""
        return self.metrics

    def reducer(self) -> Reducer:
        """Summed :attr:`ItemStats.S` columns (any leading shape) and the number of items
        -> metric name -> values. Per-label arrays ``precision``, ``recall``, ``f1`` and
        ``support`` (one value per :meth:`breakdown_labels`) give the per-label table."""
        raise NotImplementedError

    def item_stats(self, golds: Sequence[G], predictions: Sequence[P | None]) -> ItemStats:
        """Per-item statistics; a None prediction (the item failed) counts as wrong."""
        raise NotImplementedError

    def breakdown_labels(self) -> list[str]:
        """The labels the per-label table and the confusion matrix are about (may be [])."""
        return list(self.labels)

    def evaluation_warnings(self, golds: Sequence[G], metric: str) -> list[str]:
        """Warnings about the test set for this metric (e.g. accuracy on imbalanced labels)."""
        return []

    def baselines(self, *, rules: str | None, threshold: str | None,
                  seed: int) -> list[tuple[str, dict[str, Any]]]:
        """The baseline predictors for this task: ``(catalogue name, parameters)``.
        ``rules`` is a rules file and ``threshold`` a statistic when configured."""
        return []

    def baselines_said(self, names: Sequence[str] | None = None) -> str:
        """The baselines in a curator's words, each with the name the leaderboard gives
        it ("the label mix (prior)"): ``names`` those an evaluation measured, by default
        those :meth:`baselines` fits; :attr:`baselines_in_words` where a name has no
        words, so that no baseline is on the leaderboard that the sentence leaves out."""
        if names is None and str(self.modality) == "tabular":  # its own, fitted elsewhere
            from ..tabular import BASELINES

            names = list(BASELINES)
        elif names is None:
            names = [n for n, _p in self.baselines(rules=None, threshold=None, seed=0)]
        if not names or any(n not in self.baseline_words for n in names):
            return self.baselines_in_words
        order = list(self.baseline_words)
        return ", ".join(f"{self.baseline_words[n]} ({n})"
                         for n in sorted(set(names), key=order.index))

    def score_in_words(self, metric: str, metrics: Mapping[str, Any]) -> str:
        """One candidate's figure on ``metric`` in a curator's words, with its 95%
        interval; ``metrics`` is the candidate's ``{name: {"value", "low", "high"}}``
        (every headline metric it was measured on). Kinds whose metric says something
        countable (how many entities found) say that first."""
        m = metrics[metric]
        return (f"{metric.replace('_', ' ')} {m['value']:.2f} (95% interval "
                f"{m['low']:.2f} to {m['high']:.2f})")

    # -- actions, review, exports ----------------------------------------------------------
    def candidates(self, prediction: P) -> list[Candidate]:
        """What a policy acts on in one prediction (may be empty). Raise ``ValueError``
        for a malformed prediction (the item is skipped and reported)."""
        raise NotImplementedError

    @property
    def one_value_per_item(self) -> bool:
        """Whether an item has one value (its label) and a prediction one candidate, so a
        person who settled on one value has settled the item (single-label); otherwise
        a person's decision counts for the candidate it was about (labels of a
        multi-label item, spans)."""
        return False

    def is_correct(self, candidate: Candidate, gold: G) -> bool:
        """Whether a candidate agrees with the item's gold label (the precision of the
        policy's accepts on the test split)."""
        raise NotImplementedError

    def accepted(self, gold: G | None, candidate: Candidate) -> G:
        """The item's gold label once a person accepts (or corrects to) ``candidate``;
        ``gold`` is its current one, if any."""
        raise NotImplementedError

    def validate_candidate(self, candidate: Candidate) -> None:
        """Refuse (``ValueError``) a candidate a reviewer may not give (a correction to an
        unknown label, a span outside the text...)."""
        if candidate.label not in self.labels:
            raise ValueError(f"{candidate.label!r} is not one of this project's labels "
                             f"({', '.join(self.labels)})")

    def metadata_value(self, candidate: Candidate) -> str:
        """The text written to ``machine_metadata`` when a candidate is accepted."""
        return candidate.label

    def export_values(self, candidate: Candidate) -> dict[str, Any]:
        """Values of :attr:`export_columns` for one exported candidate."""
        return {}

    def annotation_selector(self, candidate: Candidate) -> dict[str, Any] | None:
        """A W3C Web Annotation selector for the part of the item a candidate is about
        (e.g. a ``TextPositionSelector`` for a span), or None for the whole item."""
        return None


def coerce_options(settings: Mapping[str, Any], name: str, kind: type, where: str) -> Any:
    """``settings[name]`` as ``kind`` (int, float, ...), or a ConfigError naming it."""
    try:
        return kind(settings[name])
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where} {name} must be a {kind.__name__}, not "
                          f"{settings[name]!r}", hint="edit [task] in glamlab.toml") from exc
