"""One text scored twice (a duplicate in the collection, the out-of-fold copies refitted
for calibration) can differ in the last bits of a float. A threshold that sat exactly on
one such score sent the others to review by chance, so `glamlab act --dry-run` and
`glamlab act` disagreed about a hundred items of a 200,000-text run. Scores within 1e-9
are one score now: the threshold is floored to that step, and the duplicates of the
text at the threshold are all accepted."""

from __future__ import annotations

from glamlab.actions import pick_threshold
from glamlab.actions.policy import LabelPolicy

# one text's score as three scorings gave it (seen on the language model)
SAME_TEXT = [0.4836457186694241, 0.48364571866942396, 0.48364571866942385]


def test_one_text_scored_three_times_gets_one_action():
    calibration = ([(0.99, True)] * 19 + [(SAME_TEXT[0], True), (SAME_TEXT[1], True)]
                   + [(0.2, False)])
    res = pick_threshold(calibration, 0.96, "point")
    assert res["threshold"] is not None and res["accepted"] == 21
    policy = LabelPolicy(accept=res["threshold"], review=0.0)
    assert {policy.decide(s)[0] for s in SAME_TEXT} == {"accept"}


def test_the_threshold_does_not_move_with_the_last_bits():
    """Two calibrations that differ only in float noise propose the same threshold (the
    dry run and the act that follows it write the same decisions)."""
    base = [(0.99, True)] * 19 + [(0.2, False)]
    first = pick_threshold([*base, (SAME_TEXT[0], True)], 0.96, "point")
    second = pick_threshold([*base, (SAME_TEXT[2], True)], 0.96, "point")
    assert first["accepted"] == second["accepted"] == 20
    assert first["threshold"] == second["threshold"]
    # round scores stay as they are
    assert pick_threshold([(0.85, True), (0.5, False)], 0.9, "point")["threshold"] == 0.85
