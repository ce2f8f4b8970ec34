"""English WordNet concepts for short texts (titles, captions).

Each noun in a text is looked up in WordNet (its most frequent sense, WordNet's first),
and that sense and every hypernym above it become feature tokens: "Horses in a Field"
gives ``wn:horse.animal``, ``wn:equine.animal``, ``wn:mammal.animal`` ... and
``wn:field.location``, ``wn:region.location`` .... A title word never seen in the
training set still brings its concepts: "Basilica" shares ``wn:building.artifact`` and
``wn:place_of_worship.artifact`` with the "Church" and "Cathedral" records that were.

The data is Princeton's WordNet 3.0 dictionary folder (``data.noun``, ``index.noun``,
``noun.exc``), read from ``$GLAMLAB_WORDNET`` or, by default, where the Debian/Ubuntu
package ``wordnet-base`` puts it (``/usr/share/wordnet``). It is never downloaded.
Licence: the WordNet 3.0 licence (Princeton University; permission to use, copy, modify
and distribute for any purpose without fee, keeping the copyright notice): it is not
copied into glamlab or its models, which store only the learned weights of the tokens.

``GLAMLAB_WORDNET=off`` turns the features off for models trained afterwards. A model
trained with them needs WordNet to predict, and says so (:func:`require`).
"""

from __future__ import annotations

import functools
import logging
import os
import re
import threading
from pathlib import Path

from ...errors import PredictorError

log = logging.getLogger(__name__)

ENV = "GLAMLAB_WORDNET"
DEFAULT_DIRS = ("/usr/share/wordnet", "/usr/local/share/wordnet", "/opt/homebrew/share/wordnet")
INSTALL_HINT = (f"install WordNet 3.0 (Debian/Ubuntu: apt-get install wordnet-base) or set "
                f"{ENV} to a WordNet dict folder (with data.noun and index.noun)")

# WordNet's lexicographer files for nouns (lex_filenum 3..28), fixed since WordNet 1.5
LEXNAMES = {3: "tops", 4: "act", 5: "animal", 6: "artifact", 7: "attribute", 8: "body",
            9: "cognition", 10: "communication", 11: "event", 12: "feeling", 13: "food",
            14: "group", 15: "location", 16: "motive", 17: "object", 18: "person",
            19: "phenomenon", 20: "plant", 21: "possession", 22: "process", 23: "quantity",
            24: "relation", 25: "shape", 26: "state", 27: "substance", 28: "time"}
# WordNet's own detachment rules for nouns (morphy)
_SUFFIXES = (("s", ""), ("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"),
             ("shes", "sh"), ("men", "man"), ("ies", "y"))
_STOP = frozenset("a an the of and in on at to for with by from his her their its my our "
                  "your this that these those or as is no not".split())
_WORD = re.compile(r"[a-z]+")
_LOCK = threading.Lock()


class WordNet:
    """The noun part of one WordNet dict folder, read once."""

    def __init__(self, folder: str | os.PathLike[str]):
        self.folder = Path(folder)
        self.version = "WordNet"
        self._synsets: dict[int, tuple[str, tuple[int, ...]]] = {}  # offset -> (token, hypernyms)
        self._first: dict[str, int] = {}  # lemma -> its first (most frequent) sense
        self._exceptions: dict[str, str] = {}
        try:
            self._read()
        except (OSError, ValueError, IndexError, UnicodeDecodeError) as exc:
            raise PredictorError(f"WordNet at {self.folder} cannot be read: {exc}",
                                 hint=INSTALL_HINT) from exc
        if not self._synsets or not self._first:
            raise PredictorError(f"WordNet at {self.folder} has no nouns", hint=INSTALL_HINT)

    def _read(self) -> None:
        with open(self.folder / "data.noun", encoding="latin-1") as fh:
            for line in fh:
                if line.startswith("  "):  # the licence header
                    m = re.search(r"(WordNet \d+(\.\d+)?)", line)
                    if m and self.version == "WordNet":
                        self.version = m.group(1)
                    continue
                head = line.split(" | ", 1)[0].split()
                offset, lexnum, words = int(head[0]), int(head[1]), int(head[3], 16)
                word = head[4].lower()
                i = 4 + 2 * words
                pointers = head[i + 1: i + 1 + 4 * int(head[i])]
                hypernyms = tuple(int(pointers[j + 1]) for j in range(0, len(pointers), 4)
                                  if pointers[j] in ("@", "@i"))
                self._synsets[offset] = (f"wn:{word}.{LEXNAMES.get(lexnum, 'noun')}", hypernyms)
        with open(self.folder / "index.noun", encoding="latin-1") as fh:
            for line in fh:
                if line.startswith("  "):
                    continue
                parts = line.split()
                senses = int(parts[2])
                if senses:
                    self._first[parts[0]] = int(parts[-senses])
        exc = self.folder / "noun.exc"
        if exc.exists():
            with open(exc, encoding="latin-1") as fh:
                for line in fh:
                    parts = line.split()
                    if len(parts) >= 2:
                        self._exceptions.setdefault(parts[0], parts[1])

    def lemma(self, word: str) -> str | None:
        """The WordNet noun for ``word`` (itself, an irregular plural's base, or the word
        with a regular ending removed), or None."""
        if word in self._first:
            return word
        if word in self._exceptions and self._exceptions[word] in self._first:
            return self._exceptions[word]
        for ending, base in _SUFFIXES:
            if word.endswith(ending) and word[: -len(ending)] + base in self._first:
                return word[: -len(ending)] + base
        return None

    @functools.lru_cache(maxsize=200_000)  # noqa: B019 (one instance per folder, kept for the process)
    def _chain(self, offset: int) -> tuple[str, ...]:
        """Tokens of ``offset`` and every hypernym above it."""
        token, hypernyms = self._synsets[offset]
        seen = {token}
        for h in hypernyms:
            if h in self._synsets:
                seen.update(self._chain(h))
        return tuple(sorted(seen))

    def concepts(self, text: str) -> list[str]:
        """Concept tokens of the nouns in ``text``: for each noun's first sense, its
        lexicographer file (``wnlex:animal``) and the sense with all its hypernyms."""
        out: list[str] = []
        for word in _WORD.findall(text.lower()):
            if len(word) < 3 or word in _STOP:
                continue
            lemma = self.lemma(word)
            if lemma is None:
                continue
            offset = self._first[lemma]
            if offset not in self._synsets:
                continue
            out.append("wnlex:" + self._synsets[offset][0].rsplit(".", 1)[1])
            out.extend(self._chain(offset))
        return out


def folder() -> Path | None:
    """The WordNet folder to use: ``$GLAMLAB_WORDNET`` (``off`` for none), else the first
    default place that holds one; None when there is none."""
    env = os.environ.get(ENV)
    if env is not None:
        if env.strip().lower() in ("", "off", "0", "false", "no", "none"):
            return None
        return Path(env)
    for d in DEFAULT_DIRS:
        if (Path(d) / "data.noun").exists():
            return Path(d)
    return None


@functools.lru_cache(maxsize=4)
def _load(path: str) -> WordNet:
    return WordNet(path)


def load(path: str | os.PathLike[str]) -> WordNet:
    with _LOCK:
        return _load(str(Path(path).resolve()))


def resolve(wanted: bool | None) -> WordNet | None:
    """For fitting: the WordNet to use, or None. ``wanted=None`` uses it when installed
    (and logs when it is not); ``True`` requires it; ``False`` never uses it."""
    if wanted is False:
        return None
    where = folder()
    if where is None:
        if wanted:
            raise PredictorError("WordNet concepts were asked for, but no WordNet was found "
                                 f"(or {ENV} is off)", hint=INSTALL_HINT)
        log.info("WordNet not found: text models are trained without its concepts (%s)",
                 INSTALL_HINT)
        return None
    try:
        return load(where)
    except PredictorError:
        if wanted or os.environ.get(ENV):
            raise
        log.warning("WordNet at %s cannot be read: text models are trained without its "
                    "concepts", where)
        return None


def fit_notes(wn: WordNet | None, wanted: bool | None) -> list[str]:
    """What a trainer should be told about the concept features of the model just fitted."""
    if wn is not None:
        return [f"The model also read {wn.version} concepts of the text's English nouns (a "
                "noun and its broader terms); predicting with it needs WordNet installed too."]
    if wanted is None and folder() is None and os.environ.get(ENV) is None:
        return ["WordNet is not installed, so the model learned without its concepts of "
                f"English nouns; to add them, {INSTALL_HINT}."]
    return []


def require(model: str, version: str | None) -> WordNet:
    """For predicting with a model trained with WordNet concepts: the same features, or a
    clear error (never silently different features)."""
    where = folder()
    if where is None:
        raise PredictorError(f"{model} was trained with WordNet concepts "
                             f"({version or 'WordNet'}), and no WordNet is installed here",
                             hint=INSTALL_HINT)
    wn = load(where)
    if version and wn.version != version:
        log.warning("%s was trained with %s; this is %s at %s: its concepts may differ",
                    model, version, wn.version, where)
    return wn
