"""Text clean-up shared by the text predictors: OCR repairs, bad-input checks, truncation.

:func:`prepare` turns whatever an item holds into text a model can read, and says what it
did. It never raises on content: empty text, binary garbage, very long texts and mixed
scripts each get a defined answer (``TextCheck.abstain`` with a reason, or a note such as
"truncated from 10,485,760 to 20,000 characters").

OCR repairs (``ocr=True``), chosen for historical print:

- long s ``ſ`` -> ``s``, r rotunda ``ꝛ`` -> ``r``;
- typographic ligatures ``ﬁ ﬂ ﬀ ﬃ ﬄ ﬅ ﬆ`` split into their letters (Unicode NFKC does the same);
- ``æ``/``œ`` folded to ``ae``/``oe`` only with ``fold_ae_oe=True``: they are letters of
  Danish, Norwegian, Icelandic and French, and folding them throws away evidence that
  language detectors use, so the default keeps them;
- words split by the not sign ``¬`` or a hyphen at a line end are joined
  (``Ver¬ einigung`` -> ``Vereinigung``);
- runs of digits, page furniture (``|``, ``■``, ``•``) and repeated punctuation are removed
  and white space is collapsed, so broken lines read as one sentence.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

DEFAULT_MAX_CHARS = 20_000
#: the version of the clean-up (:func:`prepare`, :func:`item_text`): bump it whenever a
#: change makes them give a different text for the same input, so that the cached text
#: embeddings (:class:`glamlab.predictors.text.embed.TextEmbedding`) are computed again
CLEANING_VERSION = 1

_LIGATURES = {
    "\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
    "\ufb05": "st", "\ufb06": "st", "ſ": "s", "ꝛ": "r", "ʒ": "z",
}
_AE_OE = {"æ": "ae", "Æ": "Ae", "œ": "oe", "Œ": "Oe"}
_LIG_RE = re.compile("|".join(map(re.escape, _LIGATURES)))
_AE_RE = re.compile("|".join(map(re.escape, _AE_OE)))
# "Ver¬ einigung", "Ver¬einigung", "Verei-\nnigung", "Verei- nigung" (a hyphen then a line break)
_SOFT_JOIN_RE = re.compile(r"(\w)\s*¬\s*(\w)")
_HYPHEN_EOL_RE = re.compile(r"(\w)[-\u00ad\u2010]\s*\n\s*(\w)")
_SOFT_HYPHEN_RE = re.compile("\u00ad")
_NOISE_RE = re.compile(r"[\d|■•●▪□◆►¦§†‡¶*_=<>~^#@{}\[\]\\/]+")
_PUNCT_RUN_RE = re.compile(r"([.,;:!?'\"«»„“”‘’()-])\1+")
_SPACE_RE = re.compile(r"\s+")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")


@dataclass
class TextCheck:
    """The text to give a model, or the reason to abstain, plus notes on what was changed."""

    text: str
    abstain: str | None = None  # the reason, when there is nothing a model could judge
    notes: list[str] = field(default_factory=list)
    scripts: dict[str, float] = field(default_factory=dict)


def repair_ocr(text: str, *, fold_ae_oe: bool = False) -> str:
    """Undo common OCR and historical-print artefacts (see the module docstring)."""
    text = unicodedata.normalize("NFC", text)
    text = _LIG_RE.sub(lambda m: _LIGATURES[m.group(0)], text)
    if fold_ae_oe:
        text = _AE_RE.sub(lambda m: _AE_OE[m.group(0)], text)
    text = _SOFT_JOIN_RE.sub(r"\1\2", text)
    text = _HYPHEN_EOL_RE.sub(r"\1\2", text)
    text = _SOFT_HYPHEN_RE.sub("", text)
    text = _NOISE_RE.sub(" ", text)
    text = _PUNCT_RUN_RE.sub(r"\1", text)
    return _SPACE_RE.sub(" ", text).strip()


def script_of(ch: str) -> str:
    """The script of one letter, by its Unicode name ("LATIN", "CYRILLIC", "CJK", ...)."""
    if ch.isascii():
        return "LATIN"
    try:
        name = unicodedata.name(ch)
    except ValueError:
        return "UNKNOWN"
    first = name.split(" ", 1)[0]
    return "CJK" if first in {"CJK", "HIRAGANA", "KATAKANA", "HANGUL"} else first


def script_shares(text: str, sample: int = 2000) -> dict[str, float]:
    """Share of each script among the letters of (the first ``sample`` letters of) text."""
    counts: dict[str, int] = {}
    n = 0
    for ch in text:
        if ch.isalpha():
            s = script_of(ch)
            counts[s] = counts.get(s, 0) + 1
            n += 1
            if n >= sample:
                break
    return {k: v / n for k, v in sorted(counts.items(), key=lambda kv: -kv[1])} if n else {}


def prepare(
    raw: object,
    *,
    ocr: bool = True,
    fold_ae_oe: bool = False,
    max_chars: int = DEFAULT_MAX_CHARS,
    min_letters: int = 2,
    min_letter_share: float = 0.5,
    min_script_share: float = 0.6,
) -> TextCheck:
    """Check and clean one item's text. Never raises on content; see :class:`TextCheck`."""
    if raw is None:
        return TextCheck("", abstain="no text")
    if isinstance(raw, bytes | bytearray):
        try:
            raw = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            return TextCheck("", abstain="binary data, not UTF-8 text")
    text = str(raw)
    notes: list[str] = []
    if len(text) > max_chars:
        notes.append(f"truncated from {len(text):,} to {max_chars:,} characters")
        text = text[:max_chars]
    visible = [c for c in text if not c.isspace()]
    if not visible:
        return TextCheck("", abstain="empty text", notes=notes)
    controls = len(_CONTROL_RE.findall(text))
    if controls > 0.05 * len(visible):
        return TextCheck("", abstain="binary garbage (control characters), not text", notes=notes)
    text = _CONTROL_RE.sub(" ", text)
    letters = sum(1 for c in visible if c.isalpha())
    if letters < min_letters:
        return TextCheck("", abstain="no words (too few letters)", notes=notes)
    if letters < min_letter_share * len(visible):
        return TextCheck("", abstain=f"mostly not letters ({letters} of {len(visible)} characters)",
                         notes=notes)
    if ocr:
        text = repair_ocr(text, fold_ae_oe=fold_ae_oe)
    else:
        text = _SPACE_RE.sub(" ", unicodedata.normalize("NFC", text)).strip()
    shares = script_shares(text)
    top = next(iter(shares.values()), 0.0)
    if len(shares) > 1:
        mix = ", ".join(f"{k.lower()} {v:.0%}" for k, v in shares.items() if v >= 0.05)
        if top < min_script_share:
            return TextCheck(text, abstain=f"mixed scripts ({mix})", notes=notes, scripts=shares)
        if top < 0.95:
            notes.append(f"mixed scripts ({mix})")
    if not text:
        return TextCheck("", abstain="no words left after OCR clean-up", notes=notes)
    return TextCheck(text, notes=notes, scripts=shares)


def item_text(item: object, *, max_chars: int = DEFAULT_MAX_CHARS) -> object:
    """The raw text of an item: ``item.text``, else the start of the local file it points at
    (read as bytes, at most ``4 * max_chars`` of them, so a huge file is never loaded whole).
    Returns ``None`` when there is nothing to read; :func:`prepare` turns that into an
    abstention."""
    text = getattr(item, "text", None)
    if text is not None:
        return text
    path = getattr(item, "path", None)
    if path is None:
        return None
    try:
        with open(path, "rb") as fh:
            data = fh.read(4 * max_chars + 4)
    except OSError:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start > len(data) - 4:  # cut inside a multi-byte character at the end
            return data[: exc.start].decode("utf-8")
        return data
