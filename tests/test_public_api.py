"""The public names are exported once, from ``glamlab``, and pinned here: changing them
is a decision, not an accident."""

from __future__ import annotations

import glamlab

PUBLIC = ["GlamlabError", "Item", "ProjectCard", "Workspace", "__version__",
          "predictions_frame"]


def test_exported_members_are_pinned():
    assert sorted(glamlab.__all__) == sorted(PUBLIC)


def test_every_exported_member_resolves():
    for name in glamlab.__all__:
        assert getattr(glamlab, name) is not None


def test_unknown_attribute_is_an_attribute_error():
    import pytest

    with pytest.raises(AttributeError):
        glamlab.NoSuchThing  # noqa: B018
