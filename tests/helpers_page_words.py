"""The words a person reads on an HTML page (its text, not its tags' attributes), and
its table headers, for the tests that check a report says its terms in plain words."""

from __future__ import annotations

from html.parser import HTMLParser


class PageWords(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []
        self.headers: list[str] = []
        self._th: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "th":
            self._th = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "th" and self._th is not None:
            self.headers.append(" ".join("".join(self._th).split()))
            self._th = None

    def handle_data(self, data: str) -> None:
        self.words.append(data)
        if self._th is not None:
            self._th.append(data)


def read_page(html: str) -> tuple[str, list[str]]:
    """(the page's text, one line; its table headers as shown)."""
    p = PageWords()
    p.feed(html)
    return " ".join(" ".join(p.words).split()), p.headers
