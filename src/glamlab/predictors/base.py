"""The predictor protocol, shared by baselines, pretrained models, external services
and trained models.

scikit-learn habits: the constructor only stores parameters; :meth:`Predictor.fit`
learns (state ends in ``_``) and returns ``self``; :meth:`Predictor.predict_proba`
returns an ``(n_items, n_classes)`` array aligned with ``classes_``. The public
methods validate and batch; subclasses implement the private hooks
``_fit(items, Y)`` and ``_predict_batch(items)``.

Single-label rows sum to one. Multi-label rows hold an independent score per label.
"""

from __future__ import annotations

import inspect
import json
import pickle
from collections.abc import Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import NotFittedError, PredictorError
from ..progress import with_article as _a
from ..said import in_words

if TYPE_CHECKING:
    import numpy as np

    from ..items import Item

Labels = Sequence[str] | Sequence[Sequence[str]]
#: the model being loaded, as the registry names it (``NAME@N``) and its folder, while
#: :meth:`Predictor.load` runs with ``spec`` (the models inside it, too)
_LOADING: ContextVar[tuple[str, Path] | None] = ContextVar("glamlab_loading", default=None)
STATE_FILE = "state.pkl"
PARAMS_FILE = "params.json"
# Modules that were split into packages: a model saved before names its classes (and the
# classes pickled in its state) by the old module; they are looked up in the new ones.
SPLIT_MODULES: dict[str, tuple[str, ...]] = {
    "glamlab.predictors.image": ("glamlab.predictors.image.heads",
                                 "glamlab.predictors.image.windows",
                                 "glamlab.predictors.image.zero_shot"),
    "glamlab.predictors.text": ("glamlab.predictors.text.heads",
                                "glamlab.predictors.text.ensemble",
                                "glamlab.predictors.text.zero_shot"),
    "glamlab.predictors.language": ("glamlab.predictors.language.peers",
                                    "glamlab.predictors.language.combined"),
}


def find_class(module: str, name: str) -> Any:
    """The class ``name`` of ``module``, following :data:`SPLIT_MODULES`."""
    import importlib

    for new in SPLIT_MODULES.get(module, ()):
        found = getattr(importlib.import_module(new), name, None)
        if found is not None:
            return found
    return getattr(importlib.import_module(module), name)


def loading_as() -> tuple[str, Path] | None:
    """(``NAME@N``, its folder) of the registry's model being loaded, or None (a folder
    loaded by itself): for :meth:`Predictor._load_extra`'s messages."""
    return _LOADING.get()


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module in SPLIT_MODULES:
            return find_class(module, name)
        return super().find_class(module, name)


class Predictor:
    #: catalogue name, e.g. "majority"
    name: ClassVar[str] = ""
    #: which item modalities it can read
    modalities: ClassVar[tuple[str, ...]] = ("image", "text")
    supports_multi_label: ClassVar[bool] = True
    #: False for predictors that learn nothing from training data (pretrained, zero-shot,
    #: rules): they predict the training items as they are, without out-of-fold copies
    needs_fit: ClassVar[bool] = True
    #: True for a predictor that learns from training data when there is some, and works
    #: with its defaults without (fitting it on no items is no error)
    fits_without_items: ClassVar[bool] = False
    #: items per call of _predict_batch
    batch_size: ClassVar[int] = 64
    #: what one call costs (external services), per item
    price_per_item: float = 0.0
    #: parameters added after models of this kind were saved, with the value that gives
    #: the old behaviour: a saved model whose params lack one loads with it, not with the
    #: new default (a model trained on some features must keep reading those features)
    saved_defaults: ClassVar[dict[str, Any]] = {}

    # -- parameters (sklearn style) --------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values()
                if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]

    def get_params(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Predictor:
        valid = set(self._param_names())
        for key, value in params.items():
            if key not in valid:
                raise PredictorError(f"{self.name}: unknown parameter {key!r}",
                                     hint=f"valid parameters: {', '.join(sorted(valid)) or 'none'}")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def meta_fields(self) -> tuple[str, ...]:
        """The item metadata fields this predictor reads as features (checked against
        the label columns the card records: :mod:`glamlab.workspace.leakage`)."""
        return ()

    # -- fitting -----------------------------------------------------------------
    def fit(self, items: Sequence[Item], labels: Labels, *, classes: Sequence[str] | None = None,
            multi_label: bool | None = None) -> Predictor:
        """Learn from ``items`` and their ``labels`` (a label per item, or a list of labels
        per item for multi-label). ``classes`` fixes the label order (default: sorted)."""
        import numpy as np

        items = list(items)
        labels = list(labels)
        if len(items) != len(labels):
            raise PredictorError(f"{self.name}: {len(items)} items but {len(labels)} labels",
                                 hint="give exactly one label (or list of labels) per item")
        if multi_label is None:
            multi_label = any(not isinstance(y, str) for y in labels)
        label_lists = [[y] if isinstance(y, str) else list(y) for y in labels]
        if multi_label and not self.supports_multi_label:
            raise PredictorError(f"{self.name} does not support multi-label tasks",
                                 hint="choose another predictor")
        if classes is None:
            classes = sorted({c for ys in label_lists for c in ys})
        classes = list(classes)
        index = {c: i for i, c in enumerate(classes)}
        Y = np.zeros((len(items), len(classes)), dtype=np.float32)
        for row, ys in enumerate(label_lists):
            for y in ys:
                if y not in index:
                    raise PredictorError(f"{self.name}: label {y!r} is not one of {classes}",
                                         hint="add it to the task's labels or fix the data")
                Y[row, index[y]] = 1.0
        if self.needs_fit and len(items) == 0 and not self.fits_without_items:
            raise PredictorError(f"{self.name}: no training items", hint="label some items first")
        self._check_modalities(items)
        self.classes_ = classes
        self.multi_label_ = bool(multi_label)
        self._fit(items, Y)
        self.fitted_ = True
        return self

    def _fit(self, items: list[Item], Y: np.ndarray) -> None:
        """Learn from items and an indicator matrix ``Y`` (n_items, n_classes)."""

    # -- predicting ----------------------------------------------------------------
    def predict_proba(self, items: Sequence[Item]) -> np.ndarray:
        import numpy as np

        if not getattr(self, "fitted_", False):
            raise NotFittedError(f"{self.name}: predict called before fit",
                                 hint="call fit(items, labels) first, or load a saved model")
        items = list(items)
        self._check_modalities(items)
        k = len(self.classes_)
        if not items:
            return np.zeros((0, k), dtype=np.float64)
        out = []
        for start in range(0, len(items), self.batch_size):
            batch = items[start : start + self.batch_size]
            scores = np.asarray(self._predict_batch(batch), dtype=np.float64)
            if scores.shape != (len(batch), k):
                raise PredictorError(f"{self.name}: _predict_batch returned shape {scores.shape},"
                                     f" expected {(len(batch), k)}")
            out.append(scores)
        return np.vstack(out)

    def _predict_batch(self, items: list[Item]) -> np.ndarray:
        raise NotImplementedError

    def predict(self, items: Sequence[Item], threshold: float = 0.5) -> list[Any]:
        """Top label per item; for multi-label, every label scoring at least ``threshold``."""
        proba = self.predict_proba(items)
        if self.multi_label_:
            return [[c for c, s in zip(self.classes_, row, strict=True) if s >= threshold]
                    for row in proba]
        return [self.classes_[int(i)] for i in proba.argmax(axis=1)] if len(proba) else []

    def reads(self, item: Item) -> bool:
        """Whether this predictor can read ``item``: one of its modalities, or, for a
        predictor that reads text, any item that carries text (a page image with its OCR
        text, say, is read by its text)."""
        return item.modality in self.modalities or (
            "text" in self.modalities and isinstance(item.text, str))

    def _check_modalities(self, items: Sequence[Item]) -> None:
        """Every item, not only the first: which items fail must not depend on how they
        were batched. The first unreadable one is named (a run then predicts the batch
        item by item, so only the unreadable ones fail)."""
        for item in items:
            if self.reads(item):
                continue
            if "text" in self.modalities:
                raise PredictorError(
                    f"{item.item_id}: {_a(item.modality)} item without text: {self.name} "
                    f"reads text", item=item.item_id,
                    hint="ingest the item's OCR text (an ALTO, PAGE or hOCR file beside "
                         "its image)")
            raise PredictorError(
                f"{self.name} reads {', '.join(self.modalities)} items, not {item.modality}",
                item=item.item_id, hint="choose a predictor for this modality")

    # -- persistence -------------------------------------------------------------------
    def learned_state(self) -> dict[str, Any]:
        """Everything learned (attributes ending in ``_``). Override to drop large caches."""
        return {k: v for k, v in vars(self).items() if k.endswith("_") and not k.startswith("_")}

    def state_digest(self) -> str:
        """sha256 of the learned state, equal for two fits that learned the same thing
        (``train --reuse`` compares it). Override when the pickled state carries run-time
        noise such as temporary file names or training logs."""
        import hashlib
        import pickle

        return hashlib.sha256(pickle.dumps(self.learned_state(),
                                           protocol=pickle.HIGHEST_PROTOCOL)).hexdigest()

    def save(self, directory: str | Path) -> list[Path]:
        """Write the predictor to ``directory``; returns the files written."""
        if not getattr(self, "fitted_", False):
            raise NotFittedError(f"{self.name}: nothing to save before fit")
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        params = {"predictor": self.name, "params": _jsonable(self.get_params()),
                  "classes": list(self.classes_), "multi_label": self.multi_label_,
                  "class": f"{type(self).__module__}:{type(self).__qualname__}"}
        (d / PARAMS_FILE).write_text(json.dumps(params, indent=2, sort_keys=True))
        files = [d / PARAMS_FILE]
        state = self.learned_state()
        with open(d / STATE_FILE, "wb") as fh:
            pickle.dump(state, fh, protocol=pickle.HIGHEST_PROTOCOL)
        files.append(d / STATE_FILE)
        files.extend(self._save_extra(d))
        return files

    def _save_extra(self, directory: Path) -> list[Path]:
        """Hook for predictors with their own artifact files (e.g. ONNX)."""
        return []

    @classmethod
    def load(cls, directory: str | Path, *, spec: str | None = None) -> Predictor:
        """Load what :meth:`save` wrote. Only load artifacts you trust (they are pickles);
        the model registry checks their sha256 first. ``spec``: the model as the registry
        names it (``NAME@N``), which messages about it while loading use
        (:func:`loading_as`) instead of its folder."""
        d = Path(directory)
        if spec is not None and _LOADING.get() is None:
            token = _LOADING.set((spec, d))
            try:
                return cls.load(d)
            finally:
                _LOADING.reset(token)
        try:
            params = json.loads((d / PARAMS_FILE).read_text())
        except FileNotFoundError as exc:
            raise PredictorError(f"{d} holds no saved predictor ({PARAMS_FILE} missing)") from exc
        if cls is Predictor or cls.name != params["predictor"]:
            from .catalogue import available, get

            if params["predictor"] not in available() and params.get("class"):
                # not registered in this process (e.g. a worker started afresh): the class
                # that saved it, whose artifacts the model registry has checked
                module, _, qualname = params["class"].partition(":")
                cls = find_class(module, qualname)
            else:
                cls = get(params["predictor"])
        obj = cls(**{**cls.saved_defaults, **params["params"]})
        with open(d / STATE_FILE, "rb") as fh:
            state = _Unpickler(fh).load()  # noqa: S301 - own artifact, sha256-checked by the registry
        for k, v in state.items():
            setattr(obj, k, v)
        obj.classes_ = params["classes"]
        obj.multi_label_ = params["multi_label"]
        obj.fitted_ = True
        obj._load_extra(d)
        return obj

    def _load_extra(self, directory: Path) -> None:
        """Hook matching :meth:`_save_extra`."""

    # -- description ------------------------------------------------------------------
    def card(self) -> dict[str, Any]:
        """What the model is for and where it fails; predictors override ``intended_use``
        and ``limitations``."""
        return {
            "predictor": self.name,
            "intended_use": getattr(self, "intended_use", ""),
            "limitations": getattr(self, "limitations", ""),
            "params": _jsonable(self.get_params()),
        }


def param_fix(param: str, value: str, *more: tuple[str, str]) -> str:
    """Training with a predictor's parameter ``param`` set to ``value`` (and ``more``
    pairs), in the caller's words (:mod:`glamlab.said`): ``params={...}`` (Python),
    ``--param KEY=VALUE`` (the command line); the web's Train models page sets none."""
    pairs = [(param, value), *more]
    return in_words(
        "train with params={" + ", ".join(f"{k!r}: {v}" for k, v in pairs) + "}",
        "train with " + " ".join(f"--param {k}={v}" for k, v in pairs),
        "ask whoever runs glamlab on the server to train it with "
        + " and ".join(f"{k} set to {v}" for k, v in pairs))


def require_label(predictor: Predictor, param: str) -> int:
    """The index in ``classes_`` of the label a predictor's parameter ``param`` names
    (e.g. ``positive_label``), or a PredictorError saying how to name one of the task's."""
    label = getattr(predictor, param)
    if label not in predictor.classes_:
        raise PredictorError(
            f"{predictor.name}: the task's labels {predictor.classes_} do not include {label!r}",
            hint=param_fix(param, f"<one of {', '.join(predictor.classes_)}>"))
    return list(predictor.classes_).index(label)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
