"""``text-zero-shot``: no training; the similarity of each text to label descriptions
written in ``glamlab.toml`` (``[labels.descriptions]``), for a team with no labels yet."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ...errors import ConfigError
from .heads import _TextBase
from .normalize import DEFAULT_MAX_CHARS

if TYPE_CHECKING:
    import numpy as np

    from ...items import Item


class ZeroShotClassifier(_TextBase):
    """Similarity of each text to a written description of each label; no training data.

    Descriptions come from ``descriptions`` (label -> text) or from the
    ``[labels.descriptions]`` table of a workspace card: ``card_path`` (e.g.
    ``glamlab train text-zero-shot --param card_path=glamlab.toml``) or, in Python,
    :func:`descriptions_from_card`. A label without a description is described by its name. Single-label: a softmax over similarities
    (``temperature``). Multi-label: a logistic of the similarity relative to the text's
    mean similarity, so scores above 0.5 mean "closer than average"."""

    name = "text-zero-shot"
    needs_fit: ClassVar[bool] = False
    intended_use = "a first guess at labels before any item has been labelled"
    limitations = "only as good as the label descriptions; weaker than a trained model"

    def __init__(self, descriptions: dict[str, str] | None = None, encoder: str = "e5",
                 temperature: float = 0.02, max_chars: int = DEFAULT_MAX_CHARS,
                 card_path: str | None = None):
        self.descriptions = dict(descriptions or {})
        self.card_path = card_path
        self.encoder = encoder
        self.temperature = temperature
        self.max_chars = max_chars

    def _fit(self, items: list[Item], Y: np.ndarray) -> None:
        descriptions = dict(self.descriptions)
        if not descriptions and self.card_path:
            import tomllib

            try:
                raw = tomllib.loads(Path(self.card_path).read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ConfigError(f"{self.name}: cannot read {self.card_path}: {exc}",
                                  hint="give the path of the workspace's glamlab.toml") from exc
            descriptions = descriptions_from_card(raw)
        self.descriptions_ = descriptions
        unknown = sorted(set(descriptions) - set(self.classes_))
        if unknown:
            raise ConfigError(f"{self.name}: descriptions for labels the task does not have: {unknown}",
                              hint="fix [labels.descriptions] in glamlab.toml")
        self.label_texts_ = [descriptions.get(c) or c for c in self.classes_]

    def _label_vectors(self) -> np.ndarray:
        from .embed import encoder

        key = (self.encoder, tuple(self.label_texts_))
        if getattr(self, "_label_key", None) != key:
            self._label_vecs = encoder(self.encoder).encode(list(self.label_texts_), query=True)
            self._label_key = key
        return self._label_vecs

    def _predict_batch(self, items: list[Item]) -> np.ndarray:
        import numpy as np

        from .embed import encoder

        texts, usable = self._texts(items)
        sims = encoder(self.encoder).encode(texts) @ self._label_vectors().T
        k = len(self.classes_)
        if self.multi_label_:
            z = (sims - sims.mean(axis=1, keepdims=True)) / self.temperature
            out = 1.0 / (1.0 + np.exp(-z))
        else:
            z = sims / self.temperature
            z -= z.max(axis=1, keepdims=True)
            out = np.exp(z)
            out /= out.sum(axis=1, keepdims=True)
        bad = ~np.asarray(usable)
        out[bad] = 1.0 / k if not self.multi_label_ else 0.0
        return out  # type: ignore[no-any-return]


def descriptions_from_card(raw: dict[str, Any]) -> dict[str, str]:
    """``[labels.descriptions]`` from a card's raw TOML dict (label -> description)."""
    section = raw.get("labels", {})
    desc = section.get("descriptions", {}) if isinstance(section, dict) else {}
    if not isinstance(desc, dict) or not all(isinstance(v, str) for v in desc.values()):
        raise ConfigError("[labels.descriptions] must map each label to a text",
                          hint='e.g. [labels.descriptions]\nnature = "landscapes, plants, animals"')
    return {str(k): str(v) for k, v in desc.items()}
