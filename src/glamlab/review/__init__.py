"""Human work on the shared tables: the review queue, decisions and labelling.

The web app, its JSON API and scripts share these functions, so every path makes
the same checks:

- **Leases** (:mod:`.queue`). :func:`lease_queue` hands a reviewer the next open queue
  items and leases only those (``lease_owner``, ``lease_until``), so two reviewers are
  not shown the same item. Leases are short (two minutes): an open page renews them
  (:func:`renew_leases`) and gives them back when the reviewer leaves
  (:func:`release_leases`); an abandoned lease expires and the item is free again.
  Predictions for items that already have a gold label are not queued for review.
- **Versions** (:mod:`.decisions`). Each queue row has a ``version``. A decision names
  the version its reviewer saw (``seen_version``); if the row changed since,
  :class:`StaleDecision` is raised (the web answers 409) and nothing is written: a stale
  write is refused, never lost and never silently applied.
- **Audit.** Every decision and every label goes into ``audit_log``. A decision keeps
  where it came from (``decisions.source``): the web app's pages (:data:`WEB_QUEUE`) or
  its JSON API (:data:`API`), as :func:`via` gives it, or the file ``glamlab review
  import`` read.
- **Gold labels.** Accepted and corrected decisions become gold labels in the train
  split (annotator = the reviewer, source ``review``); an item in the frozen test
  split keeps its gold label.
- **Whole texts** (entities): a text's reviewed spans train a model only once every
  predicted span in it is decided, or a reviewer marks the text done
  (:func:`mark_text_done`; :func:`unmark_text_done` takes a mistaken mark back); until
  then the text waits (:mod:`glamlab.tasks.spans.complete`). An entity the model
  missed is added with :func:`add_span`: a gold span of the reviewer's; the model's
  open queued spans it overlaps are decided with it (the very span accepted, others
  rejected), and it decides nothing about the model's other spans;
  :func:`remove_added_span` takes one back. Accepting or
  correcting a span decides the model's other open spans over its words the same way
  (``settled``); both are refused while another reviewer holds one of them.
- **Whole records** (multi-label): a record's reviewed terms train a model only once
  every suggestion for it is decided; the last decision, or a reviewer's "whole record
  checked" (:func:`mark_record_checked`, which rejects its suggestions still open;
  :func:`unmark_record_checked` takes a mistaken mark back), saves its whole set: the
  terms accepted, corrected to or given, and those the policy accepted that nobody
  rejected; every other term absent, a record with none trains as such
  (:mod:`glamlab.tasks.partial_labels`). Only the reviewer's mark says they checked the
  whole record: the exports say so of it, not of a record whose last suggestion was
  decided. :func:`add_term` adds a term the model did not suggest, as the reviewer's
  (:func:`remove_added_term` takes a wrong one back).
- **Undo** (:mod:`.undo`): a reviewer takes back their own decision within ten
  minutes; the row is open again, the gold as before, the decision kept as withdrawn.
  In an entities project also an entity added or removed and a text marked checked or
  unmarked (:func:`undo_change`): the text's gold span sets as before the change.
- **Labelling** (:mod:`.labelling`): save and undo a person's labels.
"""

# where a decision came from (``decisions.source``), as the web app and its API keep it
from ..tasks.people import API, WEB_QUEUE, via
from .decisions import (
    ACTIONS,
    add_span,
    add_term,
    decide,
    decide_many,
    list_decisions,
    mark_record_checked,
    mark_text_done,
    remove_added_span,
    remove_added_term,
    unmark_record_checked,
    unmark_text_done,
)
from .history import item_history
from .labelling import (
    labelling_counts,
    save_label,
    second_disagreements,
    second_labelling,
    test_frozen,
    undo_label,
)
from .queue import (
    DEFAULT_LEASE_S,
    LEASE_HEARTBEAT_S,
    QUEUE_KINDS,
    SORTS,
    NotFound,
    StaleDecision,
    enqueue_rechecks,
    lease_queue,
    peek_queue,
    queue_counts,
    queue_item,
    queue_version,
    recheck_count,
    release_leases,
    renew_leases,
)
from .undo import UNDO_S, WITHDRAWN, undo_change, undo_decision

__all__ = [
    "ACTIONS",
    "API",
    "DEFAULT_LEASE_S",
    "LEASE_HEARTBEAT_S",
    "QUEUE_KINDS",
    "SORTS",
    "UNDO_S",
    "WEB_QUEUE",
    "WITHDRAWN",
    "NotFound",
    "StaleDecision",
    "add_span",
    "add_term",
    "decide",
    "decide_many",
    "enqueue_rechecks",
    "item_history",
    "labelling_counts",
    "lease_queue",
    "list_decisions",
    "mark_record_checked",
    "mark_text_done",
    "peek_queue",
    "queue_counts",
    "queue_item",
    "queue_version",
    "recheck_count",
    "release_leases",
    "remove_added_span",
    "remove_added_term",
    "renew_leases",
    "save_label",
    "second_disagreements",
    "second_labelling",
    "test_frozen",
    "undo_change",
    "undo_decision",
    "undo_label",
    "unmark_record_checked",
    "unmark_text_done",
    "via",
]
