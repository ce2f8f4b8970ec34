"""Signing in changes no prediction: the stored "What the policy would do" and the Export
page's check stay current (before, each login was counted as gold given, so every sign-in
marked both out of date, "new results since this was worked out: an update is on its
way", and had them worked out again)."""

from __future__ import annotations

from typing import Any

from .conftest import login

STALE = "an update is on its way"


def test_a_login_leaves_the_policy_dry_run_and_export_check_current(
        queued_ws: Any, client_for: Any) -> None:
    from glamlab.reports.overview import (
        ACT_NAME,
        EXPORT_CHECK,
        _act_key,
        _export_key,
        compute_act,
        compute_export_check,
    )
    from glamlab.store.results import get_result

    compute_act(queued_ws)
    compute_export_check(queued_ws)
    before = _act_key(queued_ws)
    ada = client_for("ada")
    client_for("rey")
    assert login(client_for(), "rey", "not the password").status_code != 303  # audited too
    assert _act_key(queued_ws) == before
    for name, key in ((ACT_NAME, _act_key), (EXPORT_CHECK, _export_key)):
        row = get_result(queued_ws.store, name)
        assert row is not None and row["key"] == key(queued_ws), name
    for path in ("/stages/act", "/stages/export"):
        page = ada.get(path)
        assert page.status_code == 200 and STALE not in page.text, path
