"""What every benchmark's JSON says about where its figures come from."""

from __future__ import annotations

import os
from pathlib import Path

#: what ``selected_on_dev`` means in every benchmark's JSON (issue 17's rule: a figure
#: computed on the data its method was developed or tuned on says so)
SELECTED_ON_DEV = ("true: no --test folder was given, so the figures come from the shared dev "
                   "set that glamlab's methods and defaults were developed on (cross-validation "
                   "or held-out parts of it): development figures, optimistic for other "
                   "collections; false: --train/--test folders, glamlab chosen on --train only")


def dev_flag(test: object) -> dict[str, object]:
    """The ``selected_on_dev`` keys of a benchmark's JSON, from its ``--test`` option."""
    return {"selected_on_dev": not test, "selected_on_dev_means": SELECTED_ON_DEV}


def shared_data() -> Path:
    """The shared datasets' folder: ``$GLAMLAB_SHARED_DATA`` where set (a worktree or
    another checkout), else ``../shared/data`` beside this checkout, as the tests read it."""
    return Path(os.environ.get("GLAMLAB_SHARED_DATA")
                or Path(__file__).resolve().parents[2] / "shared" / "data")
