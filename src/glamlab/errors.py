"""One exception tree for glamlab.

Every error a user can cause is a :class:`GlamlabError`. The CLI turns it into one
line on stderr (``error: <message>`` and, where known, ``fix: <hint>``) and a
non-zero exit status; it never shows a traceback for these.

::

    GlamlabError
     ├── WorkspaceError            workspace missing, exists already, bad glamlab.toml
     │    ├── ConfigError          a value in glamlab.toml is wrong
     │    └── CardNotWritable      glamlab.toml cannot be written (read-only file or folder)
     ├── StoreError                database problems
     │    ├── DatabaseUnavailable  the server cannot be reached
     │    └── SchemaTooNew         the database was written by a newer glamlab
     ├── IngestError               a source cannot be read at all
     │    └── ColumnError          a table column is missing or not of its type
     ├── ItemError                 one item is bad (recorded, the batch goes on)
     ├── LabelError                label import / split problems (carries row numbers)
     ├── PredictorError
     │    ├── NotFittedError       predict before fit
     │    ├── MissingDependency    an optional extra is not installed
     │    ├── UnknownPredictor     no predictor by that name
     │    └── ParameterError       a parameter it does not take, or a value it refuses
     │                             (a ValueError too, for Python callers)
     ├── ModelNotFound             no model version / alias by that name
     ├── RunError                  batch inference problems
     │    └── RunInProgress        another run of the same model holds the lock
     ├── EvaluationError
     ├── PolicyError
     ├── TrendsError               a trends query or concept search cannot be answered
     ├── ServiceError              an external service failed
     │    └── BudgetExceeded       the next call would pass the budget cap
     └── PermissionDenied          the web user's role does not allow this
"""

from __future__ import annotations

# Exit statuses of the command line (``glamlab --help`` and the README list them).
EXIT_OK = 0  # all good
EXIT_ITEMS_FAILED = 1  # some items failed (recorded with their reasons); the rest is done
EXIT_USAGE = 2  # a usage or input error: nothing (more) was done; the message says the fix
EXIT_ALERT = 3  # glamlab monitor: an alert fired
EXIT_STOPPED = 130  # stopped by Ctrl-C; a run is resumable
EXIT_TERMINATED = 143  # stopped by SIGTERM (128 + 15, as the shell says); a run is resumable


class GlamlabError(Exception):
    """Base class. ``hint`` says how to fix it; ``item`` names the item when there is one."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, hint: str | None = None, item: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.item = item
        if hint:  # a traceback (a script, a notebook) shows the fix under the message
            self.add_note(f"fix: {hint}")

    def __str__(self) -> str:
        return self.message


class WorkspaceError(GlamlabError):
    pass


class ConfigError(WorkspaceError):
    pass


class CardNotWritable(WorkspaceError):
    """``glamlab.toml`` cannot be written: the file or its folder is read-only."""


class StoreError(GlamlabError):
    pass


class DatabaseUnavailable(StoreError):
    pass


class SchemaTooNew(StoreError):
    pass


class IngestError(GlamlabError):
    pass


class ColumnError(IngestError):
    """A column of a table is missing or cannot be read as its type (names the column)."""

    def __init__(self, message: str, *, hint: str | None = None, column: str | None = None):
        super().__init__(message, hint=hint)
        self.column = column


class ItemError(GlamlabError):
    """One item is bad. Batches record it and carry on."""


class LabelError(GlamlabError):
    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        item: str | None = None,
        rows: list[tuple[int, str]] | None = None,
    ):
        super().__init__(message, hint=hint, item=item)
        self.rows = rows or []


class PredictorError(GlamlabError):
    pass


class NotFittedError(PredictorError):
    pass


class MissingDependency(PredictorError):
    def __init__(self, package: str, extra: str):
        super().__init__(
            f"this needs the optional package {package!r}, which is not installed",
            hint=f"pip install 'glamlab[{extra}]'",
        )
        self.package = package
        self.extra = extra


class UnknownPredictor(PredictorError):
    pass


class ParameterError(PredictorError, ValueError):
    """A predictor was given a parameter it does not take, or a value it (or the library
    behind it) refuses; ``param`` names the parameter when one is known. A ``ValueError``
    too, so that Python callers may catch it as one."""

    def __init__(self, message: str, *, hint: str | None = None, param: str | None = None):
        super().__init__(message, hint=hint)
        self.param = param


class ModelNotFound(GlamlabError):
    pass


class RunError(GlamlabError):
    pass


class RunInProgress(RunError):
    pass


class EvaluationError(GlamlabError):
    pass


class PolicyError(GlamlabError):
    pass


class TrendsError(GlamlabError):
    pass


class ServiceError(GlamlabError):
    pass


class BudgetExceeded(ServiceError):
    pass


class PermissionDenied(GlamlabError):
    pass


def reason_for(exc: BaseException) -> str:
    """One line saying why something failed, with the fix when known (what a batch
    records for an item that failed, and goes on, beside the item's id: a message that
    starts with the item's id does not repeat it)."""
    if isinstance(exc, GlamlabError):
        text = exc.message
        if exc.item:  # the item is recorded beside the reason: not named twice
            for prefix in (f"{exc.item}: ", f"item {exc.item}: "):
                if text.startswith(prefix) and len(text) > len(prefix):
                    text = text[len(prefix):]
                    break
        if exc.hint:
            text += f" (fix: {exc.hint})"
        return text
    if isinstance(exc, FileNotFoundError):
        return f"the source file is missing: {exc.filename or exc}"
    first = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


__all__ = [
    "BudgetExceeded",
    "CardNotWritable",
    "ColumnError",
    "ConfigError",
    "DatabaseUnavailable",
    "EvaluationError",
    "GlamlabError",
    "IngestError",
    "ItemError",
    "LabelError",
    "MissingDependency",
    "ModelNotFound",
    "NotFittedError",
    "ParameterError",
    "PermissionDenied",
    "PolicyError",
    "PredictorError",
    "RunError",
    "RunInProgress",
    "SchemaTooNew",
    "ServiceError",
    "StoreError",
    "UnknownPredictor",
    "WorkspaceError",
    "reason_for",
]
