"""The Choose the policy page counted every accepted prediction as "accepted without a
person", although a person's label already settles many of them (the curator's walk:
130 accepted, 99 of them labelled): it says how many, as the act report does."""

from __future__ import annotations

import re
from typing import Any

from tests.actions.test_act import pages as pages  # noqa: F401  (the fixture)

from .test_policy_review import _work_out
from .test_policy_review import policy_app as policy_app  # noqa: F401  (the fixture)


def test_the_policy_page_says_how_many_accepts_a_label_settles(policy_app: Any  # noqa: F811
                                                                ) -> None:
    ws, app, c = policy_app
    page = _work_out(app, c)
    whole = re.search(r"<p>On the whole collection(.*?)</p>", page, re.S)
    assert whole, page
    m = re.search(r"(\d+) accepted without a person \(<span id=\"accept-settled\">(\d+) of "
                  r"them a person's label or decision already settles</span>\)",
                  whole.group(1))
    assert m, whole.group(1)
    accepted, settled = int(m.group(1)), int(m.group(2))
    assert 0 < settled <= accepted
