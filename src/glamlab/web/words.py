"""The library's errors in the web app's words: a hint written for the command line
(``glamlab labels split``, ``--model NAME``) becomes what to do on the web app's pages.

The library says its fixes as commands, for the people who run glamlab in a terminal.
A curator on the web app never opens one, so every error a page shows after a form is
sent (the error page, an upload's error, a background job's failure) passes through
:func:`for_the_web` once, here, rather than each template or route rewording its own."""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import GlamlabError

# a measure's name and a p-value in words, as the HTML reports the command line writes
# say them too (the templates' filters)
from ..reports.words import AGREEMENT_EXPLAINED as AGREEMENT_EXPLAINED
from ..reports.words import GLOSSARY as GLOSSARY
from ..reports.words import METRIC_NAMES as METRIC_NAMES
from ..reports.words import metric_name as metric_name
from ..reports.words import metric_title as metric_title
from ..reports.words import plain_html as plain_html
from ..reports.words import plain_stats as plain_stats

#: the command line's commands (``glamlab.cli.COMMANDS``; a test keeps the two the same:
#: the web layer does not import the CLI)
COMMAND_NAMES = ("init", "status", "migrate", "db", "ingest", "items", "labels", "authority",
                 "baseline", "predictors", "try-service", "train", "evaluate", "models",
                 "retrain", "monitor", "trends", "concepts", "serve", "users", "demo", "run", "runs",
                 "review",
                 "backtest", "capacity", "link", "act", "export")

_COMMAND = re.compile(
    r"\bglamlab (?:" + "|".join(sorted(map(re.escape, COMMAND_NAMES), key=len, reverse=True))
    + r")\b|(?<![\w-])--[a-z][\w-]*")

#: (words in the command line's hint, what to do on the pages instead), the first that
#: matches wins
_ON_THE_PAGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"glamlab labels|--split\b|--test-size\b"),
     "label items on the Labelling page, where an admin also sets a test set aside, or "
     "bring a spreadsheet of labels in on the Bring items in page"),
    # before --model: "run it first: glamlab run --model NAME" asks for a run, not a model
    (re.compile(r"glamlab run\b"), "run the model in use on the Run page"),
    (re.compile(r"glamlab (?:models|evaluate)\b|--model\b"),
     "train a model on the Train models page, then compare the models on the Evaluate "
     "page"),
    (re.compile(r"glamlab train\b|--predictor\b"), "train a model on the Train models page"),
    (re.compile(r"glamlab ingest\b"), "bring the items in on the Bring items in page"),
    # two rows or files of one upload with the same id
    (re.compile(r"--id-column\b"),
     "give every row its own id (in the table, or choose another column as the id when "
     "you match its columns), or every file its own name, then upload it again on the "
     "Bring items in page"),
)

#: a command-line fix the pages offer no way to do
ON_THE_SERVER = "ask whoever runs glamlab on the server: the fix is done there"


def has_command(words: str | None) -> bool:
    """Whether ``words`` name a ``glamlab`` command or a ``--flag``."""
    return bool(words) and _COMMAND.search(words or "") is not None


def web_hint(hint: str | None) -> str | None:
    """``hint`` as it is where it names no command, else what to do on the pages."""
    if not has_command(hint):
        return hint
    assert hint is not None
    return next((words for pattern, words in _ON_THE_PAGES if pattern.search(hint)),
                ON_THE_SERVER)


#: a path on the server: "/" then folders and a name (no spaces, quotes or colons); one
#: right after a word, a dot, a colon or a slash is part of something else (a web address)
_SERVER_PATH = re.compile(r"(?<![\w.:/~-])(/[^\s'\"/:,;()]+(?:/[^\s'\"/:,;()]+)+)")


def without_server_folders(text: str | None, root: Path) -> str | None:
    """``text`` (an error, a job's failure) as a reviewer or viewer reads it: a file in
    the workspace named from the workspace's folder (``models/majority/1``), any other
    file on the server by its name only, as the API's items and the exports name them;
    where the server keeps things is for the admins who run it."""
    if not text:
        return text
    for folder in sorted({str(root), str(root.resolve())}, key=len, reverse=True):
        text = text.replace(folder + os.sep, "").replace(folder, "the project's folder")

    def name(m: re.Match[str]) -> str:
        path = PurePosixPath(m.group(1))
        # only a path whose first folder is one of this server's ("/api/queue" is not)
        return path.name if Path("/", path.parts[1]).is_dir() else m.group(0)

    return _SERVER_PATH.sub(name, text)


def for_the_web(exc: GlamlabError) -> GlamlabError:
    """``exc`` with its hint in the web app's words (the same error where it names no
    command: its class and item kept)."""
    hint = web_hint(exc.hint)
    if hint == exc.hint:
        return exc
    new = type(exc).__new__(type(exc), *exc.args)  # its class: the same status code
    new.__dict__.update({k: v for k, v in vars(exc).items() if k != "__notes__"})
    new.hint = hint
    if hint:
        new.add_note(f"fix: {hint}")
    return new


#: an optional part of glamlab (a Python "extra") by what it brings
_EXTRA = re.compile(r"\bthe (\w+) extra\b")
_EXTRA_WORDS = {"images": "image", "entities": "entity", "tabular": "table", "text": "text"}


def needs_words(needs: str) -> str:
    """A predictor's "needs" in a curator's words: "the images extra" (a Python package's
    optional part, a word for whoever installs glamlab) becomes "the image tools installed
    on the server"."""
    return _EXTRA.sub(lambda m: f"the {_EXTRA_WORDS.get(m.group(1), m.group(1))} tools "
                                "installed on the server", needs)




#: what the leaderboard's figures mean, under it: a curator has not met F1 or a 95% interval
BOARD_F1_EXPLAINED = (
    "F1 is a score from 0 to 1 of how well a candidate's labels match the people's labels "
    "on the test set, counting the labels it gives wrongly and the ones it misses alike: 1 "
    "is every one right, 0 none.")
BOARD_INTERVAL_EXPLAINED = (
    "The 95% interval is the range the score most likely lies in on other items like "
    "these: the fewer test items, the wider it is.")


def model_notes(models: list[Any]) -> list[tuple[str, str]]:
    """(model, what to do about it) for the saved models that have a note (the words of
    ``glamlab models``, naming the web app's pages), for the Train and Admin pages."""
    from ..registry.models import model_note

    return [(m.spec, note) for m in models if (note := model_note(m, web=True))]


def money(amount: float | int | None) -> str:
    """An amount of money as ``glamlab act`` prints it: 1,234.50 (two decimals)."""
    return "" if amount is None else f"{float(amount):,.2f}"
