"""Entities: typed spans (people, places, organisations, dates...) in an item's text.

Gold label: the item's spans of the main layer, a sorted list of
:class:`glamlab.tasks.spans.Span` (an empty list: the text was read and holds no entity).
Prediction: the same type, each span with a ``score``.

**Where gold lives.** Entity gold has one home, the span store (``span_sets``/``spans``,
:mod:`glamlab.tasks.spans.gold`): imports (HIPE, JSONL, WebAnno), reviewers'
corrections and the linker all read and write it there, with the text hash that keeps
offsets honest. The ``labels`` table is not used: :meth:`read_gold` and
:meth:`write_gold` (hooks of :class:`~.base.TaskKind`, None/False for kinds that keep
their gold in ``labels``) route :func:`glamlab.tasks.gold_labels` and the reviewers'
writes to the span store, so splits, training, evaluation and act see the spans without
a second copy. :meth:`gold_rows`/:meth:`gold_from_rows` still give one ``LabelRow``
(label ``"spans"``, value the spans as JSON) for the contract's round trip, but nothing
stores it.

**Predictions** go in the ``predictions`` table like every kind's: ``labels`` the entity
types found (monitoring counts them), ``scores`` ``{"spans": [span objects]}``, ``score``
the lowest span score (the item is as sure as its least sure span; None without spans).

**Metrics** are the HIPE scorer's (:mod:`.span_metrics`): strict (exact boundaries and
type) and fuzzy (type and overlap) micro precision, recall and F1, per type too, with
every item a "document" of one segment, so the bootstrap resamples items. (HIPE scores
only the types found in the gold standard; here the card's labels are scored, so a
predicted type the test set never holds counts as spurious.)

**Candidates**: one per predicted span (label, score, value ``{"start", "end",
"text"}``): a policy accepts sure spans as metadata and queues unsure ones.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from ...errors import PredictorError
from . import span_metrics as SM
from .base import Candidate, ItemStats, LabelRow, Reducer, StoredPrediction, TaskKind

if TYPE_CHECKING:
    import sqlalchemy as sa

    from ...items import Item
    from ...workspace import Workspace
    from ..spans.model import Span

Spans = list["Span"]
GOLD_ROW = "spans"


def _span_cls() -> Any:
    from ..spans.model import Span

    return Span


def _read_spans(value: Any, *, where: str = "") -> list[Span]:
    """Spans from their JSON form (a list of objects with start, end, label or type)."""
    Span = _span_cls()
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else []
        except json.JSONDecodeError as exc:
            raise ValueError(f"{where}not JSON spans: {exc.msg}") from exc
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise ValueError(f"{where}spans must be a JSON list of objects with start, end and "
                         f"label, not {type(value).__name__}")
    return [Span.from_dict(d) for d in value]


def _span_json(s: Span) -> dict[str, Any]:
    from ..spans.model import MAIN_LAYER

    d: dict[str, Any] = {"start": s.start, "end": s.end, "label": s.label}
    if s.score is not None:
        d["score"] = float(s.score)
    if s.text is not None:
        d["text"] = s.text
    if s.authority_id is not None:
        d["authority_id"] = s.authority_id
    if s.layer != MAIN_LAYER:
        d["layer"] = s.layer  # a nested entity, say: stored, queued and reviewed as one
    return d


class Entities(TaskKind["Spans", "Spans"]):
    """Typed spans in an item's text (named entities: PER, LOC, ORG, PROD, TIME...)."""

    name: ClassVar[str] = "entities"
    description: ClassVar[str] = ("typed spans in each item's text (people, places, "
                                  "organisations, dates: named entities)")
    modalities: ClassVar[tuple[str, ...]] = ("text",)
    metrics: ClassVar[tuple[str, ...]] = (
        "strict_micro_f1", "fuzzy_micro_f1", "strict_micro_precision", "strict_micro_recall",
        "fuzzy_micro_precision", "fuzzy_micro_recall")
    default_metric: ClassVar[str] = "strict_micro_f1"
    options: ClassVar[dict[str, Any]] = {}
    label_widget: ClassVar[str] = "widgets/entities_label.html"
    review_widget: ClassVar[str] = "widgets/entities_review.html"
    export_columns: ClassVar[tuple[str, ...]] = ("span_start", "span_end", "span_text")
    baselines_in_words: ClassVar[str] = (
        "a lookup list of the entity names marked in the training texts (gazetteer), and "
        "simple patterns for dates and titles (entity rules)")
    candidates_word: ClassVar[str] = "spans"
    #: an entities project's items are texts (a sentence, a page): its pages say
    #: "Label texts", "12 texts with predictions"
    nouns: ClassVar[dict[str, tuple[str, str]]] = {"text": ("text", "texts")}
    #: a type whose accept threshold no test span reaches (0 of 0 right on the test
    #: documents) is not written automatically: its spans go to review
    accepts_untested: ClassVar[bool] = False
    # the sentences of one document (HIPE's document_id), or the pages of one
    keep_together: ClassVar[tuple[str, ...]] = ("document_id", "document")

    # -- where gold lives -------------------------------------------------------------------
    def read_gold(self, ws: Workspace, ids: Sequence[str] | None,
                  conn: sa.Connection) -> dict[str, Spans]:
        """item id -> its gold spans, from the span store (the one place they live)."""
        from ..spans.gold import gold_spans

        return gold_spans(ws, ids, conn=conn)

    def write_gold(self, ws: Workspace, conn: sa.Connection, item_id: str, gold: Spans, *,
                   annotator: str, source: str) -> bool:
        """Store a person's spans for one item as their latest gold set (checked against
        the item's text; ``LabelError`` naming the problem)."""
        from ..spans.gold import store_person_spans

        store_person_spans(conn, ws, item_id, gold, annotator=annotator, source=source)
        return True

    def partial_gold(self, ws: Workspace, ids: Sequence[str], conn: sa.Connection) -> set[str]:
        """Texts whose gold spans came from reviewers' decisions on some of their spans,
        not all (:mod:`glamlab.tasks.spans.complete`): trained on, every undecided word
        would read as "not an entity"."""
        from ..spans.complete import partial_gold

        return partial_gold(ws, ids, conn)

    def changed_gold(self, ws: Workspace, ids: Sequence[str], conn: sa.Connection) -> set[str]:
        """Texts whose gold spans were made on an earlier text of the item (re-ingested
        since with other words: :func:`glamlab.store.queue.changed_span_gold`)."""
        from ...store.queue import changed_span_gold_items

        return changed_span_gold_items(conn, ids)

    def kept_in_split(self, ws: Workspace, ids: Sequence[str], conn: sa.Connection) -> set[str]:
        """Texts whose gold spans came from review (decisions on the model's spans, fully
        or partly, or a text marked checked; :func:`glamlab.tasks.spans.complete.reviewed_texts`)."""
        from ..spans.complete import reviewed_texts

        return reviewed_texts(ws, ids, conn)

    # -- gold labels ------------------------------------------------------------------------
    def _checked(self, spans: list[Span]) -> Spans:
        from ..spans.model import sort_spans

        spans = sort_spans(spans)
        for s in spans:
            if s.start < 0 or s.start >= s.end:
                raise ValueError(f"span {s.start}-{s.end} {s.label} is empty or reversed")
            if s.label not in self.labels:
                raise ValueError(f"unknown entity type {s.label!r} (the task's labels: "
                                 f"{', '.join(self.labels)})")
        for a, b in zip(spans, spans[1:], strict=False):
            if a.layer == b.layer and b.start < a.end:
                raise ValueError(f"span {b.start}-{b.end} {b.label} overlaps span "
                                 f"{a.start}-{a.end} {a.label}")
        return spans

    def parse_gold(self, cell: str, *, separator: str | None = None) -> Spans:
        """A JSON list of spans (``[{"start": 0, "end": 5, "label": "LOC"}]``), as the
        shared ``labels.csv`` files hold them; ``[]`` is a text without entities."""
        return self._checked(_read_spans(cell))

    def merge_gold(self, first: Spans, more: Spans) -> Spans | None:
        try:
            return self._checked([*first, *(s for s in more if s.key not in
                                             {f.key for f in first})])
        except ValueError:
            return None

    def gold_from_form(self, values: Sequence[str]) -> Spans:
        """Each submitted value is a JSON span or list of spans; ``[]`` says "no entity"."""
        if not values:
            raise ValueError("no spans given (submit [] for a text without entities)")
        spans: list[Span] = []
        for v in values:
            spans.extend(_read_spans(v))
        return self._checked(spans)

    def gold_rows(self, gold: Spans) -> list[LabelRow]:
        return [LabelRow(GOLD_ROW, [_span_json(s) for s in gold])]

    def gold_from_rows(self, rows: Sequence[LabelRow]) -> Spans | None:
        for r in rows:
            if r.label == GOLD_ROW:
                return [s for s in _read_spans(r.value or []) if s.label in self.labels]
        return None

    def strata(self, gold: Spans) -> list[str]:
        return sorted({s.label for s in gold})

    def gold_key(self, gold: Spans) -> Any:
        return [[s.start, s.end, s.label] for s in gold]

    # -- training ---------------------------------------------------------------------------
    def fit(self, predictor: Any, items: list[Item], golds: list[Spans]) -> Any:
        return predictor.fit([i.text or "" for i in items], [list(g) for g in golds],
                             langs=[(i.meta or {}).get("lang") for i in items],
                             classes=self.labels)

    # -- predictions ------------------------------------------------------------------------
    def check_predictor(self, predictor: Any) -> None:
        if not hasattr(predictor, "predict_items"):
            raise PredictorError(f"{getattr(predictor, 'name', predictor)!r} does not find "
                                 "spans", hint="use an entity predictor (gazetteer, "
                                               "entity-rules, crf-ner, spacy-ner...)")
        if not set(getattr(predictor, "classes_", [])) & set(self.labels):
            raise PredictorError(f"finds {list(getattr(predictor, 'classes_', []))}, none of "
                                 f"this task's types {self.labels}",
                                 hint="train it on this project's labels")

    def predict(self, predictor: Any, items: list[Item]) -> list[Spans]:
        """The predictor's spans of the task's types, each with its covered text."""
        import dataclasses

        known = set(self.labels)
        found = predictor.predict_items(items)
        return [[dataclasses.replace(s, text=(item.text or "")[s.start:s.end],
                                     score=1.0 if s.score is None else float(s.score))
                 for s in spans if s.label in known]
                for item, spans in zip(items, found, strict=True)]

    def problem(self, prediction: Spans) -> str | None:
        for s in prediction:
            if s.score is None or not 0.0 <= s.score <= 1.0:
                return f"span {s.start}-{s.end} has score {s.score!r}, not between 0 and 1"
        return None

    def to_stored(self, prediction: Spans) -> StoredPrediction:
        scores = [float(s.score) for s in prediction if s.score is not None]
        return StoredPrediction(None, sorted({s.label for s in prediction}),
                                {"spans": [_span_json(s) for s in prediction]},
                                min(scores) if scores else None)

    def from_stored(self, label: str | None, labels: Any, scores: Any,
                    score: float | None) -> Spans:
        if not isinstance(scores, dict) or not isinstance(scores.get("spans", []), list):
            raise ValueError(f"an entities prediction stores {{'spans': [...]}}, not "
                             f"{type(scores).__name__}")
        return _read_spans(scores.get("spans", []))

    def uncertainty(self, prediction: Spans) -> float:
        """1 - the lowest span score (0 for a text where nothing was found)."""
        scores = [s.score for s in prediction if s.score is not None]
        return float(min(1.0, max(0.0, 1.0 - min(scores)))) if scores else 0.0

    # -- evaluation ---------------------------------------------------------------------------
    def headline_metrics(self) -> tuple[str, ...]:
        return self.metrics

    def reducer(self) -> Reducer:
        L = len(self.labels)

        def reduce(sums: Any, n: Any) -> dict[str, Any]:
            import numpy as np

            out = SM.span_reducer(sums, n, L)
            sums = np.asarray(sums, dtype=np.float64)
            possible = sums[..., SM._P: 3 * (1 + L): 3][..., 1:]
            out["precision"] = out["strict_precision"]
            out["recall"] = out["strict_recall"]
            out["f1"] = out["strict_f1"]
            out["support"] = possible
            return out

        return reduce

    def item_stats(self, golds: Sequence[Spans],
                   predictions: Sequence[Spans | None]) -> ItemStats:
        """One row per item (a document of one segment): HIPE counts. A failed item
        (None) predicted nothing: its gold spans are all missed."""
        import numpy as np

        gold_docs = [[list(g)] for g in golds]
        pred_docs = [[list(p) if p is not None else []] for p in predictions]
        S, _ = SM.span_stats(gold_docs, pred_docs, self.labels)
        correct = ((S[:, SM._C] == S[:, SM._A]) & (S[:, SM._C] == S[:, SM._P])
                   & np.array([p is not None for p in predictions], dtype=bool))
        return ItemStats(S=S, correct=correct)

    def evaluation_warnings(self, golds: Sequence[Spans], metric: str) -> list[str]:
        n = sum(len(g) for g in golds)
        missing = [t for t in self.labels if not any(s.label == t for g in golds for s in g)]
        out = []
        if n < 100:
            out.append(f"the test split holds only {n} gold spans: intervals are wide")
        if missing:
            out.append(f"no text of the test set holds an entity of type "
                       f"{', '.join(missing)}: every one the models mark counts as a "
                       "mistake, so the figures for it say little")
        return out

    def score_in_words(self, metric: str, metrics: Mapping[str, Any]) -> str:
        """``finds 35 of every 100 entities exactly right, and 40 of every 100 it marks
        are right (strict F1 0.35, 95% interval 0.28 to 0.41)``: recall and precision in
        words (of the same regime, strict or fuzzy, as ``metric``), then the figure."""
        regime = "fuzzy" if metric.startswith("fuzzy") else "strict"
        m = metrics[metric]
        word = f"{regime} {metric.split('_')[-1].replace('f1', 'F1')}"
        figure = (f"{word} {m['value']:.2f}, 95% interval {m['low']:.2f} to "
                  f"{m['high']:.2f}")
        right = ("exactly right (same words, same type)" if regime == "strict" else
                 "at least partly right (the right type, overlapping the right words)")
        recall = metrics.get(f"{regime}_micro_recall")
        precision = metrics.get(f"{regime}_micro_precision")
        if not recall or not precision:
            return figure
        return (f"finds {100 * recall['value']:.0f} of every 100 entities {right}, and "
                f"{100 * precision['value']:.0f} of every 100 it marks are right ({figure})")

    def baselines(self, *, rules: str | None, threshold: str | None,
                  seed: int) -> list[tuple[str, dict[str, Any]]]:
        """A lookup list built from the training split's own entity strings, and rules
        (regular expressions for dates and titles; a rules file when configured)."""
        return [("gazetteer", {}),
                ("entity-rules", {"rules_file": rules} if rules else {})]

    # -- actions, review, exports -------------------------------------------------------------
    def candidates(self, prediction: Spans) -> list[Candidate]:
        from ..spans.model import MAIN_LAYER

        out = []
        for s in prediction:
            score = 1.0 if s.score is None else float(s.score)
            if not 0.0 <= score <= 1.0:
                raise ValueError(f"span {s.start}-{s.end}: score {score!r} is not between "
                                 "0 and 1")
            value: dict[str, Any] = {"start": s.start, "end": s.end}
            if s.text is not None:
                value["text"] = s.text
            if s.authority_id is not None:
                value["authority_id"] = s.authority_id
            if s.layer != MAIN_LAYER:  # a nested entity, say: reviewed as one
                value["layer"] = s.layer
            out.append(Candidate(s.label, score, value))
        return out

    def _span_of(self, candidate: Candidate) -> Span:
        v = candidate.value
        if not isinstance(v, dict) or "start" not in v or "end" not in v:
            raise ValueError("an entity candidate needs a value with start and end")
        Span = _span_cls()
        keep = ("start", "end", "text", "authority_id", "layer")  # not the link's own scores
        # the linker's link a reviewer left as it was (they changed the type): kept, said
        # to be the linker's (the linker does not learn it back as a person's)
        by = {"attrs": {"link_by": v["link_by"]}} if v.get("link_by") else {}
        return Span.from_dict({**{k: v[k] for k in keep if k in v}, "label": candidate.label,
                               "score": None, **by})

    def is_correct(self, candidate: Candidate, gold: Spans) -> bool:
        s = self._span_of(candidate)
        return any((g.start, g.end, g.label) == (s.start, s.end, s.label) for g in gold)

    def accepted(self, gold: Spans | None, candidate: Candidate) -> Spans:
        """The gold spans with this one added (replacing any gold span it overlaps)."""
        s = self._span_of(candidate)
        s.score = None
        keep = [g for g in (gold or []) if g.end <= s.start or s.end <= g.start
                or g.layer != s.layer]
        return self._checked([*keep, s])

    def validate_candidate(self, candidate: Candidate) -> None:
        super().validate_candidate(candidate)
        s = self._span_of(candidate)
        if s.start < 0 or s.start >= s.end:
            raise ValueError(f"span {s.start}-{s.end} is empty or reversed")

    def metadata_value(self, candidate: Candidate) -> str:
        """``TYPE: text [start-end]``, e.g. ``LOC: Genève [27-33]``, and ``-> ID`` when
        the span is linked to an authority record. A span of another layer than the main
        one names it, ``LOC: Genève [27-33, layer nested]``, so that it is never taken
        for the main-layer span over the same words; a main-layer span's value is what it
        was before layers were written (the values stored then still match)."""
        from ..spans.model import MAIN_LAYER

        v = candidate.value if isinstance(candidate.value, dict) else {}
        text = v.get("text")
        layer = v.get("layer") or MAIN_LAYER
        on = "" if layer == MAIN_LAYER else f", layer {layer}"
        where = f"[{v.get('start')}-{v.get('end')}{on}]"
        link = f" -> {v['authority_id']}" if v.get("authority_id") else ""
        return (f"{candidate.label}: {text} {where}" if text
                else f"{candidate.label} {where}") + link

    def export_values(self, candidate: Candidate) -> dict[str, Any]:
        v = candidate.value if isinstance(candidate.value, dict) else {}
        return {"span_start": v.get("start"), "span_end": v.get("end"),
                "span_text": v.get("text")}

    def annotation_selector(self, candidate: Candidate) -> dict[str, Any] | None:
        v = candidate.value if isinstance(candidate.value, dict) else {}
        if "start" not in v:
            return None
        return {"type": "TextPositionSelector", "start": v["start"], "end": v["end"]}


__all__ = ["Entities"]
