"""A running web app shows glamlab.toml as it is on disk: a policy another command (glamlab
act) or a person changed shows without a restart, and a card an edit broke is one clear
page, not an error 500."""

from __future__ import annotations

from typing import Any

from glamlab import Workspace


def test_a_policy_changed_on_disk_shows_without_a_restart(client_for: Any,
                                                          queued_ws: Any) -> None:
    """Before, the app kept the card it read at startup: the policy page said "No
    thresholds yet" after glamlab act had saved some."""
    c = client_for("ada")
    assert "No thresholds yet" in c.get("/stages/policy").text
    with Workspace.open(queued_ws.root) as other:  # glamlab act, in another process
        other.card.raw["policy"] = {"target_precision": 0.93,
                                    "labels": {"graphic": {"accept": 0.9, "review": 0.4}}}
        other.save_card()
    page = c.get("/stages/policy").text
    assert "No thresholds yet" not in page
    assert "Chosen for a precision of 93.0%" in page and "90% sure" in page  # threshold_pct

    # a person edits the file by hand, and breaks it: a clear page, for the API too
    path = queued_ws.root / "glamlab.toml"
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace("target_precision = 0.93", "target_precision = "),
                    encoding="utf-8")
    r = c.get("/stages/policy")
    assert r.status_code == 503 and "glamlab.toml" in r.text and "not valid TOML" in r.text
    assert "What to do: fix the syntax" in r.text
    api = c.get("/api/items")
    assert api.status_code == 503 and "glamlab.toml" in api.json()["error"]
    assert c.get("/static/app.css").status_code == 200  # the page's style still loads
    anonymous = client_for().get("/login")  # told what is wrong, not where the files are
    assert anonymous.status_code == 503 and "glamlab.toml" in anonymous.text
    assert str(path) not in anonymous.text

    # fixed, with another target: shown at once
    path.write_text(good.replace("target_precision = 0.93", "target_precision = 0.97"),
                    encoding="utf-8")
    page = c.get("/stages/policy").text
    assert "Chosen for a precision of 97.0%" in page
    assert queued_ws.card.section("policy")["target_precision"] == 0.97
