"""How well linking does, measured as HIPE's ``NEL-LIT`` column allows.

The authority list is built from the *training* documents' linked mentions (each
Wikidata QID with every surface form seen for it, :func:`authority_from_mentions`); the
linker learns its weights and NIL threshold from the same training mentions (out of
fold). On the held-out documents, every literal mention that carries a link (a QID or
``NIL``) is linked, **with its gold boundaries and type** (this measures linking, not
recognition):

- ``accuracy_at_1``: of the mentions whose QID is in the list (linkable), the share
  linked to exactly that QID (a NIL answer is wrong);
- ``nil_precision`` ("NIL precision on the rest", as the issue asks): of the other
  mentions (gold ``NIL``, or a QID missing from the list), the share answered NIL, i.e.
  not wrongly linked;
- ``nil_answer_precision``: of the NIL answers, the share that were right (precision in
  the usual sense; a linker that rarely says NIL scores high here).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from ..tasks.spans.model import MAIN_LAYER, NIL
from .linker import Linker, LinkResult, Mention, context_window


def _tsv_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if (path / "iob").is_dir():
        path = path / "iob"
    return sorted(path.glob("*.tsv"))


def hipe_mentions(paths: Iterable[str | os.PathLike[str]]) -> list[Mention]:
    """The literal mentions carrying a link (QID or NIL) in HIPE TSV files: a file, a
    folder of them, or a split folder with ``iob/`` (the shared ``data/ner/train``)."""
    from ..tasks.spans.hipe import read_hipe

    out: list[Mention] = []
    for path in paths:
        files = _tsv_files(Path(path))
        if not files:
            raise FileNotFoundError(f"no HIPE .tsv file in {path}")
        for f in files:
            for doc in read_hipe(f, segment="document"):
                for s in doc.spans:
                    if s.layer == MAIN_LAYER and s.authority_id:
                        out.append(Mention(
                            text=s.text or "", label=s.label, document=doc.item_id,
                            date=doc.meta.get("date"), authority_id=s.authority_id,
                            group=f"{doc.meta['dataset']}-{doc.meta['lang']}",
                            context=context_window(doc.text or "", s.start, s.end)))
    return out


def link_scores(mentions: Sequence[Mention], results: Sequence[LinkResult],
                linkable: set[str]) -> dict[str, Any]:
    """accuracy@1 on the linkable mentions; on the rest, the share answered NIL
    (``nil_precision``, as the issue names it) and, of the NIL answers, the share that
    were right (``nil_answer_precision``)."""
    n_link = n_right = n_nil = n_nil_answers = n_nil_right = 0
    for m, r in zip(mentions, results, strict=True):
        is_linkable = m.authority_id in linkable and m.authority_id != NIL
        if is_linkable:
            n_link += 1
            n_right += int(r.authority_id == m.authority_id)
        else:
            n_nil += 1
        if r.is_nil:
            n_nil_answers += 1
            n_nil_right += int(not is_linkable)
    return {
        "accuracy_at_1": round(n_right / n_link, 4) if n_link else None,
        "nil_precision": round(n_nil_right / n_nil, 4) if n_nil else None,
        "nil_answer_precision": round(n_nil_right / n_nil_answers, 4) if n_nil_answers
        else None,
        "linkable_mentions": n_link,
        "nil_mentions": n_nil,
        "nil_answers": n_nil_answers,
    }


def evaluate_linking(train: Sequence[Mention], test: Sequence[Mention], *,
                     linker: Linker | None = None, repeats: int = 1) -> dict[str, Any]:
    """Fit ``linker`` (default :class:`Linker`) on ``train`` mentions, with the authority
    built from them, and score it on ``test``, overall and per dataset. ``mentions_per_s``
    is the median of ``repeats`` timed passes over the test mentions."""
    return _evaluate(train, test, linker or Linker(), repeats=repeats)[0]


def _evaluate(train: Sequence[Mention], test: Sequence[Mention], linker: Linker, *,
              repeats: int = 1) -> tuple[dict[str, Any], list[LinkResult], set[str]]:
    import statistics

    from .authority import authority_from_mentions

    start = time.perf_counter()
    linker.fit(None, train)
    fit_s = time.perf_counter() - start
    linkable = {r.record_id for r in authority_from_mentions(train)}
    speeds = []
    results: list[LinkResult] = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        results = _link_by_document(linker, test)
        seconds = time.perf_counter() - start
        speeds.append(len(test) / seconds if seconds > 0 else float("inf"))
    out = link_scores(test, results, linkable)
    out["mentions_per_s"] = round(statistics.median(speeds), 1)
    out["records"] = len(linkable)
    out["training_mentions"] = len(train)
    out["threshold"] = round(linker.threshold_, 4)
    out["fit_seconds"] = round(fit_s, 2)
    out["linker"] = linker.name
    out["gold_boundaries"] = True
    groups: dict[str, list[int]] = {}
    for i, m in enumerate(test):
        groups.setdefault(m.group or "all", []).append(i)
    if len(groups) > 1:
        out["per_dataset"] = {
            name: link_scores([test[i] for i in idx], [results[i] for i in idx], linkable)
            for name, idx in sorted(groups.items())}
    return out, results, linkable


def _link_by_document(linker: Linker, mentions: Sequence[Mention]) -> list[LinkResult]:
    by_doc: dict[str | None, list[int]] = {}
    for i, m in enumerate(mentions):
        by_doc.setdefault(m.document, []).append(i)
    results: list[LinkResult | None] = [None] * len(mentions)
    for idx in by_doc.values():
        for i, r in zip(idx, linker.link([mentions[i] for i in idx]), strict=True):
            results[i] = r
    return [r for r in results if r is not None]


def linking_benchmark(train_dirs: Sequence[str | os.PathLike[str]],
                      test_dir: str | os.PathLike[str], *, repeats: int = 1) -> dict[str, Any]:
    """The linking figures for ``benchmarks/entities.py``: the authority list and the
    linker learned from the training folders' HIPE files, scored on the test folder's
    (gold mention boundaries). Keys: ``accuracy_at_1``, ``nil_precision``,
    ``linkable_mentions``, ``nil_mentions``, ``mentions_per_s`` (and more)."""
    train = hipe_mentions(train_dirs)
    test = hipe_mentions([test_dir])
    return evaluate_linking(train, test, repeats=repeats)


def linking_cross_validation(dirs: Sequence[str | os.PathLike[str]], *, folds: int = 5,
                             seed: int = 0, linker: Callable[[], Linker] = Linker,
                             ) -> dict[str, Any]:
    """Development figures: the documents of ``dirs`` shuffled into ``folds`` groups; each
    group is linked with the authority list and linker learned from the others (gold
    boundaries). Pooled scores (each mention judged against its own fold's list) and
    per-fold accuracy@1."""
    import random

    mentions = hipe_mentions(dirs)
    docs = sorted({m.document or "" for m in mentions})
    random.Random(seed).shuffle(docs)
    fold_of = {d: i % folds for i, d in enumerate(docs)}
    pooled: list[tuple[bool, bool, bool]] = []  # (linkable, right, answered NIL)
    per_fold = []
    groups: dict[str, list[tuple[bool, bool, bool]]] = {}
    for f in range(folds):
        train = [m for m in mentions if fold_of[m.document or ""] != f]
        test = [m for m in mentions if fold_of[m.document or ""] == f]
        scores, results, linkable = _evaluate(train, test, linker())
        per_fold.append(scores["accuracy_at_1"])
        for m, r in zip(test, results, strict=True):
            ok = m.authority_id in linkable
            row = (ok, ok and r.authority_id == m.authority_id, r.is_nil)
            pooled.append(row)
            groups.setdefault(m.group or "all", []).append(row)

    def score(rows: list[tuple[bool, bool, bool]]) -> dict[str, Any]:
        n_link = sum(1 for ok, _, _ in rows if ok)
        n_nil = len(rows) - n_link
        nil_right = sum(1 for ok, _, nil in rows if nil and not ok)
        nil_answers = sum(1 for _, _, nil in rows if nil)
        return {"accuracy_at_1": round(sum(1 for _, right, _ in rows if right) / n_link, 4)
                if n_link else None,
                "nil_precision": round(nil_right / n_nil, 4) if n_nil else None,
                "nil_answer_precision": round(nil_right / nil_answers, 4) if nil_answers
                else None,
                "linkable_mentions": n_link, "nil_mentions": n_nil}

    out = score(pooled)
    out.update(folds=folds, seed=seed, documents=len(docs), per_fold_accuracy_at_1=per_fold,
               gold_boundaries=True,
               per_dataset={g: score(rows) for g, rows in sorted(groups.items())})
    return out


__all__ = ["evaluate_linking", "hipe_mentions", "link_scores", "linking_benchmark",
           "linking_cross_validation"]
