"""Files glamlab writes that may hold private data: the database, exports, backups.

They are created readable and writable by their owner only (0600; folders 0700),
whatever the process umask says: a workspace holds reviewers' names, password hashes
and unpublished catalogue data. Paths that cannot be written become one
:class:`~glamlab.errors.GlamlabError` with the fix, never an ``OSError`` traceback.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import IO, Any

from .errors import GlamlabError

FILE_MODE = 0o600
DIR_MODE = 0o700


class OutputError(GlamlabError):
    """A file cannot be written where it was asked for."""


def private_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` (and its parents) if missing; a new folder is owner-only."""
    p = Path(path)
    if not p.is_dir():
        try:
            p.mkdir(parents=True, mode=DIR_MODE, exist_ok=True)
        except OSError as exc:
            raise output_error(p, exc) from exc
    return p


def touch_private(path: str | os.PathLike[str]) -> None:
    """Create an empty owner-only file if ``path`` does not exist (e.g. a SQLite database
    before SQLite opens it; SQLite gives its -wal and -shm files the same mode)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)


def open_private(path: str | os.PathLike[str], mode: str = "w", **kwargs: Any) -> IO[Any]:
    """``open(path, mode)`` for writing, creating (or truncating) an owner-only file."""
    p = Path(path)
    if p.is_dir():
        raise OutputError(f"{p} is a folder, not a file",
                          hint=f"give a file name inside it, e.g. {p / 'export.csv'}")
    if p.parent and not p.parent.exists():
        private_dir(p.parent)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    try:
        fd = os.open(p, flags, FILE_MODE)
        os.fchmod(fd, FILE_MODE)  # an existing file keeps no wider mode
        return os.fdopen(fd, mode, **kwargs)
    except OSError as exc:
        raise output_error(p, exc) from exc


def output_error(path: Path, exc: OSError) -> OutputError:
    """One clear error for a path that cannot be written, with the fix."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return OutputError(f"the disk is full: cannot write {path}",
                           hint="free some space (or write somewhere else) and try again")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return OutputError(f"no permission to write {path}",
                           hint="choose a folder you can write to, or fix its permissions")
    if exc.errno == errno.EISDIR:
        return OutputError(f"{path} is a folder, not a file",
                           hint=f"give a file name inside it, e.g. {path / 'export.csv'}")
    if exc.errno == errno.ENOENT:
        return OutputError(f"cannot write {path}: its folder does not exist",
                           hint="create the folder first, or give another path")
    return OutputError(f"cannot write {path}: {exc.strerror or exc}",
                       hint="check the path and try again")
