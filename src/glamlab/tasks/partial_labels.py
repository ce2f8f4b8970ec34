"""Multi-label records reviewed in part: what ``glamlab status``, retrain and the web say
about them.

A reviewer decides one suggested label of a record at a time. A record whose gold came
only from such decisions, while another suggestion for it is still open in the review
queue, is *partly reviewed* (:meth:`glamlab.tasks.kinds.classification.MultiLabel.partial_gold`,
:func:`glamlab.store.queue.partial_review_label_items`): trained on, each suggestion still
waiting would read as "does not apply". It waits, out of training, its decisions kept,
until the last one is decided; then it trains with the accepted labels present and the
rejected ones absent. A person's whole label (imported, or given on the labelling page)
is never partly reviewed. The entities kind's texts wait the same way
(:mod:`glamlab.tasks.spans.complete`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..workspace import Workspace

#: what to do about partly reviewed records (the hint of a refusal to train)
WAITING_FIX = ("decide their other suggested labels in the review queue, or give the "
               "record its whole set of labels on the labelling page")


def review_label_counts(ws: Workspace, split: str = "train") -> dict[str, int]:
    """In ``split``: how many records whose gold label came from reviewers' decisions go
    into training (``fully_reviewed``) and how many wait (``partly_reviewed``): the same
    keys as the entities kind's :func:`glamlab.tasks.spans.complete.review_gold_counts`."""
    from ..store.gold import from_review
    from ..store.queue import partial_review_label_items
    from .splits import split_of

    with ws.store.read() as conn:
        ids = sorted(i for i, s in split_of(ws, conn=conn).items() if s == split)
        reviewed = sorted(from_review(conn, ids))
        waiting = partial_review_label_items(conn, reviewed)
    return {"fully_reviewed": len(reviewed) - len(waiting), "partly_reviewed": len(waiting)}


def waiting_sentence(fully: int, partly: int, noun: str = "item",
                     nouns: str = "items") -> str:
    """The plain words for the counts: "12 items reviewed go into training; 3 partly
    reviewed items wait until every label suggested for them is decided"."""
    def many(n: int) -> str:
        return f"{n:,} {noun if n == 1 else nouns}"

    head = f"{many(fully)} reviewed go{'es' if fully == 1 else ''} into training"
    if not partly:
        return head
    return (f"{head}; {partly:,} partly reviewed {noun if partly == 1 else nouns} "
            f"wait{'s' if partly == 1 else ''} until every label suggested for "
            f"{'it' if partly == 1 else 'them'} is decided (a label still waiting would "
            "otherwise train as one that does not apply)")


def waiting_refusal(ids: Sequence[str], noun: str = "item", nouns: str = "items") -> str:
    """Why there is nothing to train on when every labelled item waits."""
    n = len(ids)
    return (f"no fully labelled items in the train split: {n:,} partly reviewed "
            f"{noun if n == 1 else nouns} (e.g. {ids[0]}) wait{'s' if n == 1 else ''} until "
            "every label suggested for them is decided")


__all__ = ["WAITING_FIX", "review_label_counts", "waiting_refusal", "waiting_sentence"]
