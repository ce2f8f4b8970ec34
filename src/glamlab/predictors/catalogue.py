"""The predictor catalogue: predictor names and the classes behind them. Built-ins are
listed here (imported lazily); third parties add theirs through the ``glamlab.predictors``
entry-point group. (Saved model versions are the model registry, :mod:`glamlab.registry`.)

:data:`INFO` says what each built-in is, what it needs, how fast and costly it is and
what it is good for; :func:`describe` gives that for every predictor (a third party's
from its class), :func:`recommended` the ones to try first for a project
(``glamlab predictors``, and ``glamlab train`` without a name).

A workspace's priced external services are predictors too: ``service:NAME`` for each
``[services.NAME]`` block of its card (:mod:`glamlab.predictors.services`); build them
with :func:`create_for`, which binds them to the workspace's store."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from .. import plugins
from ..errors import GlamlabError, ParameterError, PredictorError, UnknownPredictor
from ..said import in_words, said

if TYPE_CHECKING:
    from .base import Predictor

ENTRY_POINT_GROUP = "glamlab.predictors"

# name -> "module:Class". Keep sorted by module.
BUILTIN: dict[str, str] = {
    "majority": "glamlab.predictors.baselines:MajorityPredictor",
    "prior": "glamlab.predictors.baselines:PriorPredictor",
    "rules": "glamlab.predictors.baselines:RulesPredictor",
    "threshold": "glamlab.predictors.baselines:ThresholdPredictor",
    "blank-ink": "glamlab.predictors.image.blank:BlankInk",
    "effnet-logreg": "glamlab.predictors.image.heads:EffNetLogReg",
    "effnet-tiles-logreg": "glamlab.predictors.image.heads:EffNetTilesLogReg",
    "graphic-cascade": "glamlab.predictors.image.cascade:GraphicCascade",
    "graphic-windows": "glamlab.predictors.image.windows:GraphicWindows",
    "page-stats-gbm": "glamlab.predictors.image.heads:PageStatsGBM",
    "page-stats-logreg": "glamlab.predictors.image.heads:PageStatsLogReg",
    "rapid-layout": "glamlab.predictors.image.zero_shot:RapidLayoutFigures",
    "rapidocr-blank": "glamlab.predictors.image.zero_shot:RapidOCRBlank",
    "stats-effnet-gbm": "glamlab.predictors.image.heads:StatsEffNetGBM",
    "local-stats-gbm": "glamlab.predictors.image.heads:LocalStatsGBM",
    "tesseract-blank": "glamlab.predictors.image.zero_shot:TesseractBlank",
    "tabular-gbm": "glamlab.predictors.tabular:TabularGBM",
    "tabular-last-period": "glamlab.predictors.tabular:LastPeriod",
    "tabular-last-year": "glamlab.predictors.tabular:SamePeriodLastYear",
    "tabular-share": "glamlab.predictors.tabular:TrainingShare",
    "crf-ner": "glamlab.predictors.entities.crf:CRFTagger",
    "entities-by-language": "glamlab.predictors.entities.by_language:EntitiesByLanguage",
    "entity-rules": "glamlab.predictors.entities.baselines:EntityRulesPredictor",
    "gazetteer": "glamlab.predictors.entities.baselines:GazetteerPredictor",
    "spacy-ner": "glamlab.predictors.entities.spacy_ner:SpacyNER",
    "spacy-pretrained": "glamlab.predictors.entities.spacy_ner:SpacyPretrained",
    "lang-fasttext": "glamlab.predictors.language.peers:FastTextLanguage",
    "lang-langid": "glamlab.predictors.language.peers:LangidLanguage",
    "lang-lingua": "glamlab.predictors.language.peers:LinguaLanguage",
    "lang-lingua-low": "glamlab.predictors.language.peers:LinguaLowLanguage",
    "language": "glamlab.predictors.language.combined:CombinedLanguage",
    "text-e5": "glamlab.predictors.text.heads:E5Classifier",
    "text-minilm": "glamlab.predictors.text.heads:MiniLMClassifier",
    "text-ensemble": "glamlab.predictors.text.ensemble:EnsembleClassifier",
    "text-tfidf": "glamlab.predictors.text.heads:TextClassifier",
    "text-zero-shot": "glamlab.predictors.text.zero_shot:ZeroShotClassifier",
}




@dataclass(frozen=True)
class Info:
    """What a person needs to know to choose a predictor."""

    summary: str
    modalities: tuple[str, ...]
    needs: str  # what it needs: training labels, an extra, a file, a Debian package
    speed: str  # a rough order of magnitude on one CPU core (benchmarks/ measure them)
    cost: str = "free, offline"
    good_for: tuple[str, ...] = ()  # task families: language, blank, illustration, subjects,
    # text, image; "baseline" for the baselines
    multi_label: bool = True


_LABELS = "training labels"
INFO: dict[str, Info] = {
    "blank-ink": Info("ink of the page's own (not paper, stains or show-through) + a "
                      "monotone logistic regression with a margin that favours content; "
                      "explains itself (the ink found, where)", ("image",), _LABELS,
                      "~50-100 pages/s", good_for=("blank",), multi_label=False),
    "graphic-cascade": Info("local-stats-gbm decides the pages it is sure of, "
                            "graphic-windows the rest (hand-over learnt out of fold)",
                            ("image",), f"{_LABELS}; the images extra", "~20-25 pages/s",
                            good_for=("illustration",), multi_label=False),
    "tabular-gbm": Info("gradient boosting on typed columns (HistGradientBoosting or "
                        "LightGBM), calibrated on the latest training rows", ("record",),
                        f"{_LABELS} (the outcome column); the tabular extra",
                        "thousands of rows/s", good_for=("record",), multi_label=False),
    "tabular-share": Info("the training share of the outcome, for every row", ("record",),
                          _LABELS, "instant", good_for=("baseline",), multi_label=False),
    "tabular-last-period": Info("the outcome share of the last 28 days", ("record",),
                                _LABELS, "instant", good_for=("baseline",),
                                multi_label=False),
    "tabular-last-year": Info("the outcome share of the same weeks a year before",
                              ("record",), _LABELS, "instant", good_for=("baseline",),
                              multi_label=False),
    "crf-ner": Info("a CRF over OCR-robust token features: people, places, organisations "
                    "and dates in text; its option context=e5 adds each word's "
                    "multilingual-e5-small vector (better on German, English and French "
                    "newspapers; about forty times slower)",
                    ("text",), "gold spans; the entities extra (context=e5: also a C "
                    "compiler, once)",
                    "~500-2,400 sentences/s; ~15-60 with context=e5", good_for=("entities",),
                    multi_label=False),
    "entities-by-language": Info("one entity recogniser per language, chosen on the "
                                 "training documents", ("text",),
                                 "gold spans; the entities extra", "as its recognisers: crf-ner "
                                 "~500-2,400 sentences/s, ~15-60 with context=e5",
                                 good_for=("entities",), multi_label=False),
    "spacy-pretrained": Info("spaCy's French news pipeline as it is; no training",
                             ("text",), "the entities extra", "~20-40 sentences/s",
                             good_for=("entities",), multi_label=False),
    "spacy-ner": Info("spaCy's recogniser fine-tuned on your gold spans", ("text",),
                      "gold spans; the entities extra", "~20-40 sentences/s",
                      good_for=("entities",), multi_label=False),
    "gazetteer": Info("the names seen in the training spans, found again", ("text",),
                      "gold spans", "hundreds of sentences/s", good_for=("baseline",),
                      multi_label=False),
    "entity-rules": Info("regular expressions for dates, titles before names and the like",
                         ("text",), "nothing",
                         "hundreds of sentences/s", good_for=("baseline",),
                         multi_label=False),
    "majority": Info("always the most frequent training label", ("image", "text"), _LABELS,
                     "instant", good_for=("baseline",)),
    "prior": Info("random guesses in proportion to the training labels", ("image", "text"),
                  _LABELS, "instant", good_for=("baseline",)),
    "rules": Info("your regular expressions and metadata conditions (a rules TOML file)",
                  ("image", "text"), "a rules file (--param rules_file=rules.toml)",
                  "thousands/s", good_for=("baseline",)),
    "threshold": Info("one page statistic against a tuned threshold (binary tasks)",
                      ("image", "text"), _LABELS, "hundreds/s", good_for=("baseline",),
                      multi_label=False),
    "effnet-logreg": Info("EfficientNet-Lite0 image embeddings + logistic regression",
                          ("image",), f"{_LABELS}; the images extra", "~20-40 pages/s",
                          good_for=("image", "illustration")),
    "effnet-tiles-logreg": Info("EfficientNet-Lite0 on page tiles + logistic regression "
                                "(small pictures on large pages)", ("image",),
                                f"{_LABELS}; the images extra", "~5-10 pages/s",
                                good_for=("illustration",)),
    "graphic-windows": Info("a page has a graphic when one of its windows does (trained on "
                            "ALTO/PAGE graphic regions or page labels)", ("image",),
                            f"{_LABELS}; the images extra", "~5-7 pages/s",
                            good_for=("illustration",), multi_label=False),
    "page-stats-gbm": Info("ink/brightness/edge statistics of the page + gradient boosting",
                           ("image",), _LABELS, "~50-100 pages/s",
                           good_for=("blank", "image")),
    "page-stats-logreg": Info("page statistics + logistic regression", ("image",), _LABELS,
                              "~50-100 pages/s", good_for=("blank",)),
    "rapid-layout": Info("rapid-layout's layout model finds figures; no training",
                         ("image",), "the images extra", "~2-5 pages/s",
                         good_for=("illustration",), multi_label=False),
    "rapidocr-blank": Info("blank when RapidOCR's text detector finds (almost) no text; no "
                           "training", ("image",), "the images extra", "~2-5 pages/s",
                           good_for=("blank",), multi_label=False),
    "stats-effnet-gbm": Info("page statistics and EfficientNet embeddings + gradient boosting",
                             ("image",), f"{_LABELS}; the images extra", "~20-40 pages/s",
                             good_for=("blank", "illustration", "image")),
    "local-stats-gbm": Info("statistics of page regions + gradient boosting", ("image",),
                            _LABELS, "~40-50 pages/s", good_for=("blank", "illustration")),
    "tesseract-blank": Info("\"just ask the OCR\": blank when Tesseract reads (almost) no "
                            "letters; no training", ("image",),
                            "Debian tesseract-ocr and the images extra", "~1 page/s",
                            good_for=("blank",), multi_label=False),
    "lang-fasttext": Info("fastText language identification (176 languages); no training",
                          ("text",), "the text extra", "thousands/s", good_for=("language",),
                          multi_label=False),
    "lang-langid": Info("langid.py naive Bayes (97 languages); no training", ("text",),
                        "the text extra", "thousands/s", good_for=("language",),
                        multi_label=False),
    "lang-lingua": Info("lingua (75 languages, strong on short texts); no training",
                        ("text",), "the text extra", "hundreds/s", good_for=("language",),
                        multi_label=False),
    "lang-lingua-low": Info("lingua in low-accuracy mode: faster, weaker on short texts",
                            ("text",), "the text extra", "thousands/s",
                            good_for=("language",), multi_label=False),
    "language": Info("glamlab's language predictor: OCR repair, then the peers combined; "
                     "no training", ("text",), "the text extra", "hundreds/s",
                     good_for=("language",), multi_label=False),
    "text-e5": Info("multilingual-e5-small sentence embeddings + logistic regression",
                    ("text",), f"{_LABELS}; the text extra", "~20-50 texts/s",
                    good_for=("text", "subjects")),
    "text-minilm": Info("all-MiniLM-L6-v2 sentence embeddings (English) + logistic "
                        "regression", ("text",), f"{_LABELS}; the text extra",
                        "~50-100 texts/s", good_for=("text",)),
    "text-ensemble": Info("glamlab's subject indexer: several scorers combined per label "
                          "(Annif-like)", ("text",), f"{_LABELS}; the text extra",
                          "~20-50 texts/s", good_for=("subjects",)),
    "text-tfidf": Info("TF-IDF words and characters + linear models", ("text",), _LABELS,
                       "thousands/s", good_for=("text", "subjects")),
    "text-zero-shot": Info("similarity of each text to a written description of each label; "
                           "no training data", ("text",), "the text extra; [labels] "
                           "descriptions", "~20-50 texts/s", good_for=("subjects", "text")),
}
# the order to try them in, per task family (the first ones first)
RECOMMENDED: dict[str, tuple[str, ...]] = {
    "language": ("language", "lang-lingua", "lang-fasttext", "text-tfidf"),
    "blank": ("blank-ink", "page-stats-gbm", "rapidocr-blank", "stats-effnet-gbm"),
    "illustration": ("graphic-windows", "graphic-cascade", "effnet-logreg", "rapid-layout"),
    "entities": ("crf-ner", "entities-by-language", "spacy-ner"),
    "tabular": ("tabular-gbm",),
    "subjects": ("text-ensemble", "text-tfidf", "text-e5"),
    "text": ("text-tfidf", "text-e5", "text-zero-shot"),
    "image": ("effnet-logreg", "page-stats-gbm", "stats-effnet-gbm"),
}


def task_family(card: Any) -> str:
    """What kind of problem a project is, for :data:`RECOMMENDED`: ``entities``,
    ``tabular``, ``language``, ``blank``, ``illustration``, ``subjects`` (multi-label
    text), else ``text`` or ``image``."""
    words = " ".join([str(card.task), str(getattr(card, "need", "") or ""),
                      str(getattr(card, "positive_label", "") or ""),
                      *map(str, card.labels)]).lower()
    if getattr(card, "kind", None) == "entities":
        return "entities"
    if card.modality == "tabular":
        return "tabular"
    if card.modality == "text":
        codes = [str(x) for x in card.labels]
        if "lang" in str(card.task).lower() or (
                codes and all(len(c) in (2, 3) and c.isalpha() and c.islower() for c in codes)):
            return "language"
        return "subjects" if card.multi_label else "text"
    if "blank" in words:
        return "blank"
    if any(w in words for w in ("illustrat", "graphic", "picture", "figure", "image")):
        return "illustration"
    return "image"


ENTITIES = "entities"
CLASSIFICATION = "classification"


def predictor_task(name: str) -> str:
    """What a predictor gives: ``entities`` (spans in text: a span predictor) or
    ``classification`` (labels per item). A built-in is told by its module, without
    importing it; a plug-in by its class's ``task``."""
    if name.startswith("service:"):
        return CLASSIFICATION
    spec = plugins.find(name, BUILTIN, ENTRY_POINT_GROUP)
    if spec is None:
        return CLASSIFICATION
    if spec.startswith("glamlab."):
        return ENTITIES if spec.startswith("glamlab.predictors.entities.") else CLASSIFICATION
    return ENTITIES if getattr(plugins.load(spec), "task", "") == ENTITIES else CLASSIFICATION


def project_task(card: Any) -> str:
    """What a project's predictors must give: ``entities`` or ``classification``."""
    return ENTITIES if getattr(card, "kind", None) == ENTITIES else CLASSIFICATION


def check_serves(card: Any, predictor: Any) -> None:
    """Refuse, before any training, a predictor that gives the wrong kind of answer for
    the project (a label classifier in an entities project, a span finder in a
    classification one), with the fix."""
    name = getattr(predictor, "name", "") or type(predictor).__name__
    gives = ENTITIES if getattr(type(predictor), "task", "") == ENTITIES else CLASSIFICATION
    want = project_task(card)
    if gives == want:
        return
    fits = ", ".join(recommended(card)) or "glamlab predictors lists them"
    if want == ENTITIES:
        raise PredictorError(
            f"{name} gives a label per item; this project's task is entities (spans in "
            "text), which it cannot learn",
            hint=f"train an entity predictor: {fits} (glamlab predictors lists them all)")
    raise PredictorError(
        f"{name} finds entity spans in text; this project's task is {card.kind} (a label "
        "per item), which it cannot learn",
        hint=f"train a predictor for this task: {fits} (glamlab predictors lists them all)")


def recommended(card: Any) -> list[str]:
    """The predictors to try first for this project, best bet first."""
    family = task_family(card)
    names = [n for n in RECOMMENDED.get(family, ()) if n in BUILTIN]
    if card.multi_label:
        names = [n for n in names if INFO[n].multi_label]
    return names


def describe(name: str) -> dict[str, Any]:
    """A predictor's catalogue entry as a dict (name, summary, modalities, needs, speed,
    cost, good_for, multi_label); a third party's from its class."""
    info = INFO.get(name)
    if info is None:
        cls = get(name)
        doc = (cls.__doc__ or "").strip().splitlines()
        info = Info(doc[0] if doc else "(a plug-in predictor)", tuple(cls.modalities),
                    _LABELS if cls.needs_fit else "nothing", "unknown",
                    cost=str(getattr(cls, "price_per_call", None) or "see its documentation"),
                    multi_label=bool(cls.supports_multi_label))
    return {"name": name, **asdict(info)}


def for_project(card: Any | None = None, *, modality: str | None = None,
                family: str | None = None, ws: Any = None) -> list[dict[str, Any]]:
    """Every predictor that fits ``modality`` (default: the project's) and the project's
    task (entity spans or labels per item: :func:`predictor_task`) and, with
    ``family``, that task family; each with ``recommended`` (an int rank, or None) for
    the project. The card's external services come last (with ``ws``, with what each has
    cost so far)."""
    modality = modality or (card.modality if card is not None else None)
    if modality == "tabular":
        modality = "record"  # a tabular project's items are rows (records)
    picks = recommended(card) if card is not None else []
    if family is not None:
        picks = [n for n in RECOMMENDED.get(family, ()) if n in BUILTIN]
    # only the predictors that give what the project's task needs (entity spans, or
    # labels per item): the others would fail to train
    task = project_task(card) if card is not None else (ENTITIES if family == ENTITIES
                                                          else None)
    out = []
    for name in available():
        entry = describe(name)
        if modality and modality not in entry["modalities"]:
            continue
        entry["task"] = predictor_task(name)
        if task is not None and entry["task"] != task:
            continue
        if family and family not in entry["good_for"] and family != "baseline" \
                and "baseline" not in entry["good_for"]:
            continue
        if family == "baseline" and "baseline" not in entry["good_for"]:
            continue
        if card is not None and card.multi_label and not entry["multi_label"]:
            continue
        entry["recommended"] = picks.index(name) + 1 if name in picks else None
        out.append(entry)
    out.sort(key=lambda e: (e["recommended"] is None, e["recommended"] or 0,
                            "baseline" in e["good_for"], e["name"]))
    if card is not None and (family is None or family == "service") \
            and project_task(card) == CLASSIFICATION:  # services give labels per item
        from . import services

        for entry in services.describe(ws if ws is not None else card.raw):
            out.append({**entry, "recommended": None})
    return out


def available() -> dict[str, str]:
    """Every registered predictor name and where it lives."""
    return plugins.available(BUILTIN, ENTRY_POINT_GROUP)


def get(name: str) -> type[Predictor]:
    if name.startswith("service:"):
        from .external import ServicePredictor

        return ServicePredictor
    spec = plugins.find(name, BUILTIN, ENTRY_POINT_GROUP)
    if spec is None:
        raise UnknownPredictor(f"no predictor called {name!r}",
                               hint=in_words(
                                   "glamlab.predictors.catalogue.recommended(ws.card) lists "
                                   "those for your task (describe(NAME): what each needs)",
                                   "`glamlab predictors` lists those for your task, with what "
                                   "each needs", "choose one of those the page lists")
                               + f"; all names: {', '.join(available())}")
    return plugins.load(spec)  # type: ignore[no-any-return]


#: a parameter with no default (it must be given)
REQUIRED = inspect.Parameter.empty
#: what a refused training says it left (:func:`params_taken`'s ``note``)
SAVED_NOTHING = "; no model was saved"


def parameters(name: str) -> dict[str, Any]:
    """The parameters predictor ``name`` takes, each with its default (:data:`REQUIRED`
    for one that has none), read from its class's ``__init__``; empty for a service
    (``service:NAME``: its settings are its ``[services.NAME]`` block of the card)."""
    if name.startswith("service:"):
        return {}
    return {p.name: p.default for p in _signature(get(name))}


def _signature(cls: type) -> list[inspect.Parameter]:
    return [p for p in inspect.signature(cls).parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _takes_any(cls: type) -> bool:
    """True when the class's ``__init__`` takes any keyword (``**kwargs``)."""
    return any(p.kind == p.VAR_KEYWORD
               for p in inspect.signature(cls).parameters.values())


def literal(value: Any, words: str | None = None) -> str:
    """A parameter's value as its caller writes it: Python's (``True``, ``None``, ``()``)
    or the command line's ``--param`` (TOML: ``true``, ``[]``; no value for None)."""
    if said(words) == "python":
        return repr(value)
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(literal(v, "cli") for v in value) + "]"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


def parameters_words(name: str) -> str:
    """``NAME=DEFAULT, ...`` for every parameter ``name`` takes (in the caller's words)."""
    params = parameters(name)
    if not params:
        return "no parameters"
    return ", ".join(k if v is REQUIRED else f"{k} (unset)" if v is None and said() != "python"
                     else f"{k}={literal(v)}" for k, v in params.items())


def _where_listed(name: str) -> str:
    return in_words(f"glamlab.predictors.catalogue.parameters({name!r}) gives them",
                    f"`glamlab predictors {name}` lists them",
                    f"the command glamlab predictors {name} lists them")


def _give(key: str) -> str:
    return in_words(f"{key}=...", f"--param {key}=VALUE", key)


def check_params(name: str, params: dict[str, Any]) -> None:
    """Refuse (:class:`ParameterError`) a parameter predictor ``name`` does not take, or
    text for one whose default is a number or true/false (what ``--param C=abc`` gives),
    before anything is trained."""
    if name.startswith("service:") or not params:
        return
    cls = get(name)
    if _takes_any(cls):
        return
    known = {p.name: p for p in _signature(cls)}
    for key, value in params.items():
        if key not in known:
            raise ParameterError(
                f"{name} has no parameter {key!r}",
                hint=f"leave it out, or give one it takes: {parameters_words(name)} "
                     f"({_where_listed(name)})", param=key)
        default, note = known[key].default, str(known[key].annotation)
        if not isinstance(value, str) or "str" in note or known[key].annotation is REQUIRED:
            continue
        if isinstance(default, bool):
            wanted = in_words("True or False", "true or false", "yes or no")
        elif isinstance(default, (int, float)):
            try:
                float(value)
                continue
            except ValueError:
                wanted = "a number"
        else:
            continue
        raise ParameterError(
            f"{name}'s parameter {key!r} takes {wanted}; it was given {value!r}",
            hint=f"give {_give(key)} as {wanted}, or leave it out for its default "
                 f"({literal(default)})", param=key)


def refused(name: str, params: dict[str, Any], exc: BaseException, *,
            note: str = "") -> ParameterError:
    """The clear error for a value that ``name`` (or the library behind it, e.g.
    scikit-learn's ``InvalidParameterError``) refused while fitting with ``params``: it
    names the predictor, the parameter (the one the library's words name, else every one
    given) and what the library said."""
    said_words = (str(exc).strip().splitlines() or [type(exc).__name__])[0].rstrip(".")
    named = [k for k in params if re.search(rf"(?<![\w.]){re.escape(k)}(?![\w])", said_words)]
    keys = named or list(params)
    given = ", ".join(f"{k}={literal(params[k])}" for k in keys)
    defaults = parameters(name)
    known = [k for k in keys if defaults.get(k, REQUIRED) is not REQUIRED]
    back = (literal(defaults[keys[0]]) if len(keys) == 1 and known
            else "; ".join(f"{k}={literal(defaults[k])}" for k in known))
    return ParameterError(
        f"{name} refused {given}: {said_words}{note}",
        hint=f"give {' and '.join(_give(k) for k in keys)} a value it takes, or leave "
             f"{'it' if len(keys) == 1 else 'them'} out for "
             f"{'its default' if len(keys) == 1 else 'their defaults'}"
             + (f" ({back})" if back else "") + f"; {_where_listed(name)}",
        param=keys[0] if len(keys) == 1 else None)


def _names_a_param(params: dict[str, Any], exc: BaseException) -> bool:
    words = (str(exc).strip().splitlines() or [""])[0]
    return type(exc).__name__ == "InvalidParameterError" or any(
        re.search(rf"(?<![\w.]){re.escape(k)}(?![\w])", words) for k in params)


@contextmanager
def params_taken(name: str, params: dict[str, Any] | None, *, only_named: bool = False,
                 note: str = "") -> Iterator[None]:
    """Meanwhile (a fit with the caller's ``params``), a ``ValueError`` or ``TypeError``
    from the predictor or its library, not one of glamlab's own refusals, is a value it
    refused: one :class:`ParameterError` (:func:`refused`), not a traceback. With
    ``only_named``, only one whose words name a parameter given (or scikit-learn's
    ``InvalidParameterError``): the others go on as they were (e.g. too few rows).
    ``note`` ends the message (e.g. that nothing was saved)."""
    try:
        yield
    except GlamlabError:
        raise
    except (ValueError, TypeError) as exc:
        if not params or name.startswith("service:"):
            raise
        if only_named and not _names_a_param(params, exc):
            raise
        raise refused(name, params, exc, note=note) from exc


def create(name: str, **params: Any) -> Predictor:
    """A predictor by name; ``service:NAME`` takes its ``[services.NAME]`` keys as
    ``params`` (in a workspace, :func:`create_for` reads them from the card). A
    parameter it does not take, or a value it refuses, is a :class:`ParameterError`
    (a ``ValueError``) naming it, with those it takes."""
    if name.startswith("service:"):
        from .external import ServicePredictor

        if set(params) <= {"service", "config"} and "config" in params:  # saved params
            return ServicePredictor(**params)
        return ServicePredictor(service=name.split(":", 1)[1], config=params)
    check_params(name, params)
    with params_taken(name, params):
        return get(name)(**params)


def create_for(ws: Any, name: str, **params: Any) -> Predictor:
    """:func:`create` in a workspace: ``service:NAME`` (or ``NAME`` alone when no
    predictor has that name) is the card's ``[services.NAME]``, bound to the workspace's
    store (the cache of answers and the budget); ``params`` override the block's keys."""
    from . import services

    service = services.service_of(name, ws.card.raw)
    if service is not None:
        return services.create(ws, service, **params)
    return create(name, **params)
