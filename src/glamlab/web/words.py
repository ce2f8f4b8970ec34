"""The library's errors in the web app's words: a hint written for the command line
(``glamlab labels split``, ``--model NAME``) becomes what to do on the web app's pages.

The library says its fixes as commands, for the people who run glamlab in a terminal.
A curator on the web app never opens one, so every error a page shows after a form is
sent (the error page, an upload's error, a background job's failure) passes through
:func:`for_the_web` once, here, rather than each template or route rewording its own."""

from __future__ import annotations

import re

from ..errors import GlamlabError

#: the command line's commands (``glamlab.cli.COMMANDS``; a test keeps the two the same:
#: the web layer does not import the CLI)
COMMAND_NAMES = ("init", "status", "migrate", "db", "ingest", "items", "labels", "authority",
                 "baseline", "predictors", "try-service", "train", "evaluate", "models",
                 "retrain", "monitor", "trends", "serve", "users", "demo", "run", "runs",
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
    (re.compile(r"glamlab run\b"), "run the champion model on the Run page"),
    (re.compile(r"glamlab (?:models|evaluate)\b|--model\b"),
     "train a model on the Train models page, then compare the models on the Evaluate "
     "page"),
    (re.compile(r"glamlab train\b|--predictor\b"), "train a model on the Train models page"),
    (re.compile(r"glamlab ingest\b"), "bring the items in on the Bring items in page"),
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


#: the stored names of the measures, as a curator reads them
METRIC_NAMES = {
    "f1_macro": "F1 (macro average)", "f1_micro": "F1 (micro average)",
    "f1_weighted": "F1 (weighted average)", "f1_samples": "F1 (per item, averaged)",
    "precision_at_k": "precision of the top suggestions",
    "recall_at_k": "recall of the top suggestions",
    "ndcg_at_k": "ranking quality of the suggestions",
    "strict_micro_f1": "F1 (exact names and types)", "fuzzy_micro_f1": "F1 (overlapping names)",
    "strict_micro_precision": "precision (exact names and types)",
    "strict_micro_recall": "recall (exact names and types)",
    "fuzzy_micro_precision": "precision (overlapping names)",
    "fuzzy_micro_recall": "recall (overlapping names)",
}
#: each stored name, and as the reports say it with spaces ("f1 macro")
_SPOKEN = {**METRIC_NAMES, **{k.replace("_", " "): v for k, v in METRIC_NAMES.items()}}
_METRIC = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _SPOKEN), key=len, reverse=True))
                     + r")\b")
#: "p = 0.011", "p < 0.001": a bootstrap's p-value in a verdict
_P_VALUE = re.compile(r"\bp ([=<]) (\d*\.\d+)")


def metric_name(metric: str | None) -> str:
    """A measure's stored name (``f1_macro``) in words (``F1 (macro average)``)."""
    return METRIC_NAMES.get(metric or "", (metric or "").replace("_", " "))


def _percent(p: float) -> str:
    return f"{p * 100:.0f}%" if p >= 0.01 else f"{p * 100:.1f}%"


def _plain_text(text: str) -> str:
    def p_value(m: re.Match[str]) -> str:
        p, under = float(m.group(2)), m.group(1) == "<"
        chance = f"{'under ' if under else ''}{_percent(p)}"
        number = f"p-value {'under ' if under else ''}{m.group(2)}"
        if text[:m.start()].endswith("chance ("):  # "unlikely to be chance (p < 0.005)"
            return f"{chance}; {number}"
        return f"chance this difference is luck: {chance} ({number})"

    return _METRIC.sub(lambda m: _SPOKEN[m.group(1)], _P_VALUE.sub(p_value, text))


def plain_stats(text: str | None) -> str:
    """A report's words (or its HTML, tags left as they are) with each measure's stored name
    in words and each p-value said as the chance the difference is luck, its number kept:
    "on f1_macro (..., p = 0.011)" becomes "on F1 (macro average) (..., chance this
    difference is luck: 1% (p-value 0.011))"."""
    if not text:
        return text or ""
    parts = re.split(r"(<[^>]*>)", str(text))
    return "".join(part if part.startswith("<") else _plain_text(part) for part in parts)


def review_time(hours: float | None) -> str:
    """How long the review takes, as a person says it: "under a minute", "about 12
    minutes", "about 3.5 hours" (not "about 0.0 hours")."""
    minutes = (hours or 0) * 60
    if minutes < 1:
        return "under a minute"
    if minutes < 59.5:
        return f"about {minutes:.0f} minute{'s' if round(minutes) != 1 else ''}"
    return f"about {hours:.1f} hours"


#: what the agreement measures named on the pages mean, for whoever has not met them
AGREEMENT_EXPLAINED = (
    "Cohen's kappa (two people) and Krippendorff's alpha (any number of people) say how "
    "often people give an item the same label, beyond what chance alone would give: 1 is "
    "full agreement, 0 no more than chance; 0.80 or more means the labels can be trusted.")
