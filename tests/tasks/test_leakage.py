"""Columns that give the answer away are flagged before any training."""

from __future__ import annotations

import pytest

from glamlab.errors import LabelError
from glamlab.ingest.columns import TableSchema
from glamlab.tasks.leakage import check_leakage
from tests import bookings


def test_the_status_written_after_the_outcome_is_flagged():
    schema, frame = bookings.schema(), bookings.frame()
    report = check_leakage(frame, schema)
    flagged = {f.column for f in report.flagged}
    assert {"reservation_status", "reservation_status_date"} <= flagged
    assert "lead_time" not in flagged and "hotel" not in flagged
    assert report.to_exclude == []  # both already never features in this card
    assert "already never a feature" in report.summary()


def test_a_leak_not_yet_excluded_is_named_with_the_fix():
    schema = bookings.schema()
    card = schema.to_card()
    card["never_features"] = []
    loose = TableSchema.from_card(card)
    report = check_leakage(bookings.frame(), loose)
    assert "reservation_status" in report.to_exclude
    assert "add it to never_features" in report.summary()
    assert report.to_dict()["flagged"][0]["auc"] >= 0.95


def test_without_outcomes():
    schema = bookings.schema()
    with pytest.raises(LabelError):
        check_leakage(bookings.frame().drop(columns=["is_canceled"]), schema)
