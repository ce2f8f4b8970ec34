"""Reading the web app's pages in tests."""

from __future__ import annotations


def next_step(page: str) -> str:
    """The overview's "next step" paragraph (its HTML, from the ``id="next-step"``
    attribute to the end of the paragraph)."""
    return page.split('id="next-step"', 1)[1].split("</p>", 1)[0]
