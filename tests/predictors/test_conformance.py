"""The conformance suite: every registered predictor must pass it (scikit-learn's
``check_estimator`` habit), and every registered predictor must be listed here.

To add a predictor, add ONE line to ``CASES``: its catalogue name -> ``Case(dataset,
params)``. Datasets: ``image`` (real pages, graphic / no_graphic), ``blank`` (SYNTHETIC
blank pages + real pages with content, blank / content), ``text`` (real sentences in
three languages), ``text-multilabel`` (real catalogue titles with subject lists).
"""

from __future__ import annotations

import csv
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from glamlab.errors import NotFittedError, PredictorError
from glamlab.items import Item
from glamlab.predictors.base import Predictor, _jsonable
from glamlab.predictors.catalogue import available, create
from tests.features.synthetic import blank_set, illustration_set

DEMO = Path(__file__).resolve().parents[2] / "src" / "glamlab" / "demo_data"


@dataclass(frozen=True)
class Case:
    dataset: str
    params: dict[str, Any] = field(default_factory=dict)
    slow: bool = False


RULES = [{"name": "any", "label": "fr", "text": "(?i)\\b(le|la|les)\\b"}]
BOOKINGS_SCHEMA = {
    "time_column": "arrival_date", "label_column": "is_canceled", "positive": "1",
    "id_column": "id", "never_features": ["reservation_status", "reservation_status_date"],
    "columns": {"arrival_date": "date", "hotel": "category", "lead_time": "number",
                "adr": "number", "market_segment": "category", "deposit_type": "category",
                "reservation_status": "category", "reservation_status_date": "date"}}
BOOKINGS_SCHEMA = {
    "time_column": "arrival_date", "label_column": "is_canceled", "positive": "1",
    "id_column": "id", "never_features": ["reservation_status", "reservation_status_date"],
    "columns": {"arrival_date": "date", "hotel": "category", "lead_time": "number",
                "adr": "number", "market_segment": "category", "deposit_type": "category",
                "reservation_status": "category", "reservation_status_date": "date"}}

CASES: dict[str, Case] = {
    # baselines
    "majority": Case("text"),
    "prior": Case("text"),
    "rules": Case("text", {"rules": RULES}),
    "threshold": Case("blank"),
    # image predictors
    "blank-ink": Case("blank"),
    "page-stats-logreg": Case("image"),
    "page-stats-gbm": Case("image"),
    "effnet-logreg": Case("image", slow=True),
    "effnet-tiles-logreg": Case("image", slow=True),
    "stats-effnet-gbm": Case("image", slow=True),
    "local-stats-gbm": Case("image", slow=True),
    "graphic-windows": Case("image", {"windows": "stats"}),
    "graphic-cascade": Case("image", {"stage_params": ({}, {"windows": "stats",
                                                             "stack": ""})}),
    "rapidocr-blank": Case("blank", slow=True),
    "tesseract-blank": Case("blank", {"max_side": 600}, slow=True),
    "rapid-layout": Case("image", slow=True),
    # text predictors (language identification, subjects)
    "lang-fasttext": Case("text"),
    "lang-langid": Case("text"),
    "lang-lingua": Case("text"),
    "lang-lingua-low": Case("text"),
    "language": Case("text"),
    "text-tfidf": Case("text-multilabel", {"fields": ("medium",)}),
    "text-minilm": Case("text-multilabel"),
    "text-ensemble": Case("text-multilabel", params={"heads": "minilm", "knn": "minilm", "cv": 2}),
    "text-e5": Case("text-multilabel", slow=True),
    "text-zero-shot": Case("text-multilabel", {"descriptions": {"nature": "landscape, trees, sea"},
                                               "encoder": "minilm"}),
    # tabular predictors (rows of a table: real hotel bookings, cancelled or not)
    "tabular-gbm": Case("bookings", {"schema": BOOKINGS_SCHEMA, "max_iter": 30, "threads": 1}),
    "tabular-share": Case("bookings", {"schema": BOOKINGS_SCHEMA}),
    "tabular-last-period": Case("bookings", {"schema": BOOKINGS_SCHEMA}),
    "tabular-last-year": Case("bookings", {"schema": BOOKINGS_SCHEMA}),
}


def _text_set() -> tuple[list[Item], list[str]]:
    with open(DEMO / "language" / "texts.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    pick: list[dict[str, str]] = []
    for lang in ("fr", "de", "en"):
        pick += [r for r in rows if r["label"] == lang][:4]
    return ([Item(r["id"], "text", text=r["text"], content_hash=r["id"]) for r in pick],
            [r["label"] for r in pick])


def _multilabel_set() -> tuple[list[Item], list[list[str]]]:
    with open(DEMO / "subjects" / "records.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))[:12]
    return ([Item(r["id"], "text", text=r["title"], content_hash=r["id"]) for r in rows],
            [r["subjects"].split("|") for r in rows])


def _bookings_set() -> tuple[list[Item], list[str]]:
    import gzip

    with gzip.open(DEMO / "bookings" / "bookings-sample.csv.gz", "rt", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))[::10]
    items = [Item(r["id"], "record", content_hash=r["id"],
                  meta={k: v for k, v in r.items() if k not in ("id", "is_canceled")})
             for r in rows]
    return items, [r["is_canceled"] for r in rows]


_CACHE: dict[str, Any] = {}


def dataset(name: str, tmp: Path) -> tuple[list[Item], list[Any]]:
    if name not in _CACHE:
        builders = {"image": lambda: illustration_set(6), "blank": lambda: blank_set(tmp, 6),
                    "text": _text_set, "text-multilabel": _multilabel_set,
                    "bookings": _bookings_set}
        _CACHE[name] = builders[name]()
    return _CACHE[name]  # type: ignore[no-any-return]


def _params() -> list[Any]:
    out = []
    for name in sorted(CASES):
        marks = [pytest.mark.slow] if CASES[name].slow else []
        out.append(pytest.param(name, marks=marks, id=name))
    return out


def test_every_registered_predictor_is_in_the_suite() -> None:
    # entity-span predictors have their own suite (tests/predictors/entities)
    from tests.predictors.entities.test_span_conformance import span_predictor_names

    missing = sorted(set(available()) - set(CASES) - set(span_predictor_names()))
    assert not missing, (f"registered predictors missing from tests/predictors/"
                         f"test_conformance.py CASES: {missing}")


def test_suite_lists_only_registered_predictors() -> None:
    from tests.predictors.entities.test_span_conformance import span_predictor_names

    assert not sorted(set(CASES) - set(available()))
    assert not set(CASES) & set(span_predictor_names())


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("conformance")


@pytest.mark.parametrize("name", _params())
def test_conformance(name: str, data_dir: Path, tmp_path: Path) -> None:
    case = CASES[name]
    items, labels = dataset(case.dataset, data_dir)
    multi = case.dataset == "text-multilabel"

    # the constructor only stores parameters
    p = create(name, **case.params)
    assert isinstance(p, Predictor) and p.name == name
    params = p.get_params()
    assert type(p)(**params).get_params() == params
    assert not any(k.endswith("_") and not k.startswith("_") for k in vars(p)), \
        "learned state (attributes ending in _) set before fit"
    with pytest.raises(PredictorError):
        p.set_params(no_such_parameter=1)

    # predict before fit fails clearly
    with pytest.raises(NotFittedError):
        p.predict_proba(items[:1])

    # fit returns self; scores aligned with classes_
    assert p.fit(items, labels, multi_label=multi or None) is p
    classes = sorted({y for ys in labels for y in ([ys] if isinstance(ys, str) else ys)})
    assert p.classes_ == classes
    proba = p.predict_proba(items)
    assert proba.shape == (len(items), len(classes))
    assert np.isfinite(proba).all() and (proba >= 0).all() and (proba <= 1 + 1e-9).all()
    if not multi:
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)
        assert all(y in classes for y in p.predict(items))
    assert p.predict_proba([]).shape == (0, len(classes))

    # batching does not change the answer (beyond float32 rounding: a neural encoder pads
    # a batch to its longest text, and ONNX Runtime's threads sum in a varying order)
    np.testing.assert_allclose(np.vstack([p.predict_proba(items[:3]),
                                          p.predict_proba(items[3:])]), proba, atol=1e-5)

    # save / load round-trips, and the loaded model is picklable (worker processes)
    p.save(tmp_path / "model")
    q = Predictor.load(tmp_path / "model")
    # parameters are stored as JSON: compare them as JSON (a tuple comes back a list)
    assert type(q) is type(p) and _jsonable(q.get_params()) == _jsonable(p.get_params())
    np.testing.assert_allclose(q.predict_proba(items), proba, atol=1e-9)
    np.testing.assert_allclose(pickle.loads(pickle.dumps(q)).predict_proba(items[:2]),
                               proba[:2], atol=1e-9)

    # a card saying what it is for and where it fails
    card = p.card()
    assert card["predictor"] == name and card["intended_use"] and card["limitations"]

    # items of a modality it cannot read are refused, naming the predictor
    other = "text" if "image" in p.modalities and "text" not in p.modalities else None
    if other:
        with pytest.raises(PredictorError, match=name):
            p.predict_proba([Item("x", other, text="some text")])
