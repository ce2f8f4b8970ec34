"""Whose words an error's fix is said in.

The same refusal reaches a Python caller (a script, a notebook), the command line and the
web app; its ``hint`` should name the fix as that caller gives it: Python's arguments
(``labels=[...]``, the default), the command line's options (``--labels a,b``: the CLI
wraps its calls in :func:`said_on_the_command_line`) or the web page's fields
(:func:`said_on_the_web`). :func:`in_words` picks the one.

A project card is a fourth voice: a card read from ``glamlab.toml`` is fixed there, but a
new one (:meth:`glamlab.workspace.Workspace.init`, checked in :func:`a_new_card`) is not
written yet, so its fix is the caller's (:func:`card_words`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

#: the caller's voice, meanwhile (in this thread or task): "python" unless the command
#: line or the web app said otherwise
_SAID: ContextVar[str] = ContextVar("glamlab_said", default="python")
#: while a new card is checked (:func:`a_new_card`): it has no file to edit yet
_NEW_CARD: ContextVar[bool] = ContextVar("glamlab_new_card", default=False)
SAYINGS = ("python", "cli", "web")


@contextmanager
def said_by(who: str) -> Iterator[None]:
    """Meanwhile (in this thread or task), a refused argument names its fix in ``who``'s
    words: ``"python"``, ``"cli"`` or ``"web"``."""
    if who not in SAYINGS:
        raise ValueError(f"who is {who!r}; one of {', '.join(SAYINGS)}")
    token = _SAID.set(who)
    try:
        yield
    finally:
        _SAID.reset(token)


@contextmanager
def said_on_the_command_line() -> Iterator[None]:
    """Meanwhile, a refusal names the fix as the command line takes it (``--labels a,b``,
    ``--by FIELD``), not as Python's arguments (``labels=[...]``, ``by=...``)."""
    with said_by("cli"):
        yield


@contextmanager
def said_on_the_web() -> Iterator[None]:
    """Meanwhile, a refusal names the fix in the web page's words (its fields)."""
    with said_by("web"):
        yield


def said(words: str | None = None) -> str:
    """``words`` where given, else the caller's voice now (one of :data:`SAYINGS`)."""
    who = words or _SAID.get()
    if who not in SAYINGS:
        raise ValueError(f"words is {who!r}; one of {', '.join(SAYINGS)}")
    return who


def in_words(python: str, cli: str, web: str, *, words: str | None = None) -> str:
    """The same fix said in the words of whoever asked: Python's arguments, the command
    line's options or the web page's fields (:func:`said_by`)."""
    return {"python": python, "cli": cli, "web": web}[said(words)]


@contextmanager
def a_new_card() -> Iterator[None]:
    """Meanwhile, the card being checked is a new one, not written yet: its fixes are the
    caller's (:func:`card_words`), not edits of ``glamlab.toml``."""
    token = _NEW_CARD.set(True)
    try:
        yield
    finally:
        _NEW_CARD.reset(token)


def card_words(card: str, python: str, cli: str, web: str) -> str:
    """A card's fix: ``card`` (an edit of ``glamlab.toml``) for a card read from its file;
    the caller's words (:func:`in_words`) while a new card is checked (:func:`a_new_card`)."""
    return in_words(python, cli, web) if _NEW_CARD.get() else card


__all__ = ["SAYINGS", "a_new_card", "card_words", "in_words", "said", "said_by",
           "said_on_the_command_line", "said_on_the_web"]
