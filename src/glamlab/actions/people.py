"""What people decided about an item stands, whichever prediction they decided on: the
rules live in :mod:`glamlab.tasks.people` (training reads them too, to tell a fully
reviewed text from a partly reviewed one); this module keeps their old import path."""

from __future__ import annotations

from ..tasks.people import ADDED, PersonDecision, item_decisions, person_decision, same_value

__all__ = ["ADDED", "PersonDecision", "item_decisions", "person_decision", "same_value"]
