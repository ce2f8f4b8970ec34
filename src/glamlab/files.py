"""Files glamlab writes that may hold private data: the database, exports, backups.

They are created readable and writable by their owner only (0600; folders 0700),
whatever the process umask says: a workspace holds reviewers' names, password hashes
and unpublished catalogue data. Paths that cannot be written become one
:class:`~glamlab.errors.GlamlabError` with the fix, never an ``OSError`` traceback.

JSON people give (JSONL items, spans and authority records, IIIF manifests) is read with
:func:`loads_json`, which refuses a lone surrogate escape as not valid JSON text.
"""

from __future__ import annotations

import errno
import json
import os
import re
from pathlib import Path
from typing import IO, Any

from .errors import GlamlabError

FILE_MODE = 0o600
DIR_MODE = 0o700


def loads_json(data: str | bytes) -> Any:
    """``json.loads``, refusing text no file or database can hold: a ``\\ud800``-style
    escape that is half of a UTF-16 pair (a lone surrogate) decodes to a "character" that
    cannot be written as UTF-8, so storing it fails later, far from the line that holds
    it (a traceback that loses the whole batch). Raises ``ValueError`` (as ``json.loads``
    does for bad JSON) saying what is wrong; also for arrays or objects nested too deeply
    for Python's parser (a RecursionError, which stopped a whole ingest, a hostile IIIF
    manifest among a collection's, instead of being that file's one problem)."""
    try:
        obj = json.loads(data)
    except RecursionError:
        raise ValueError("its arrays or objects are nested too deeply to read (thousands "
                         "of levels: no manifest or record needs that many)") from None
    escaped = b"\\ud" in data.lower() if isinstance(data, bytes) else "\\ud" in data.lower()
    if escaped:
        try:
            json.dumps(obj, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            bad = exc.object[exc.start:exc.end].encode("unicode_escape").decode()
            raise ValueError(f"the escape {bad} is half of a UTF-16 pair (a lone "
                             "surrogate), which is no character") from None
    return obj


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


def replace_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` at once: into a new file beside it, then renamed over it
    (``os.replace``), so a reader sees the old text or the new, never half of it. An
    existing file keeps its permissions (and, where allowed, its owner); a new one gets the
    umask's. A link is followed: the file it points to is replaced, the link stays.
    Raises ``OSError`` (the caller names the file and the fix)."""
    import secrets
    import stat

    target = Path(os.path.realpath(path))
    try:
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        st = None
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            if st is not None:
                os.fchmod(fh.fileno(), stat.S_IMODE(st.st_mode))
                if (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
                    try:
                        os.fchown(fh.fileno(), st.st_uid, st.st_gid)
                    except OSError:
                        pass  # not allowed: the file becomes this user's, as an edit would
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# -- files people upload through the web app --------------------------------------------
class UploadError(GlamlabError):
    """An uploaded file that cannot be taken (too large, a bad name, not the right kind)."""


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(name: str, default: str = "upload") -> str:
    """A file name that stays inside the folder it is written to: the last part of what
    the browser sent, other characters than letters, digits, ``. _ -`` replaced, no
    leading dot (never ``..``, never hidden)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    clean = _SAFE_NAME.sub("-", base).strip(".-")[:120]
    return clean or default


def inside(folder: Path, name: str) -> Path:
    """``folder / name`` when that stays inside ``folder``; else an :class:`UploadError`."""
    root = folder.resolve()
    target = (root / name).resolve()
    if target != root and root not in target.parents:
        raise UploadError(f"{name!r} points outside the upload folder", item=name,
                          hint="upload files whose names are plain (no '..' or '/' at the start)")
    return target


def save_upload(src: IO[bytes], folder: Path, name: str, *, max_bytes: int,
                chunk: int = 1 << 20) -> Path:
    """Copy an upload stream into ``folder`` (owner-only) under a safe name, refusing one
    over ``max_bytes`` (the partial file is removed)."""
    target = inside(private_dir(folder), safe_filename(name))
    size = 0
    with open_private(target, "wb") as out:
        while block := src.read(chunk):
            size += len(block)
            if size > max_bytes:
                break
            out.write(block)
    if size > max_bytes:
        target.unlink(missing_ok=True)
        raise UploadError(f"{safe_filename(name)} is larger than the limit of "
                          f"{max_bytes / 1e6:.0f} MB", item=safe_filename(name),
                          hint="split it into smaller files, or ask whoever runs glamlab on "
                               "the server to run \"glamlab ingest "
                               f"{safe_filename(name)}\" there")
    return target


def extract_zip(path: Path, dest: Path, *, max_files: int, max_bytes: int,
                max_member_bytes: int, suffixes: set[str] | None = None
                ) -> tuple[list[Path], list[dict[str, str]]]:
    """Unpack a ZIP archive into ``dest``: (the files written, one problem per member
    left out). A member whose name leaves ``dest`` (``..``, an absolute path), a link,
    a member over ``max_member_bytes``, one whose suffix is not in ``suffixes``, and
    everything past ``max_files`` files or ``max_bytes`` bytes in all are left out, each
    with its reason; the rest is written (owner-only)."""
    import stat
    import zipfile

    written: list[Path] = []
    problems: list[dict[str, str]] = []
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise UploadError(f"{path.name} is not a ZIP archive ({exc})", item=path.name,
                          hint="make the archive again (in a file manager: compress the "
                               "folder to .zip)") from exc
    total = 0
    root = private_dir(dest).resolve()
    with archive:
        for info in archive.infolist():
            name = info.filename
            if info.is_dir() or name.startswith("__MACOSX/") or \
                    Path(name).name.startswith("."):
                continue

            def skip(reason: str, hint: str, member: str = name) -> None:
                problems.append({"item": member, "reason": reason, "hint": hint})

            if stat.S_ISLNK(info.external_attr >> 16):
                skip("a link, not a file", "put the file itself in the archive")
                continue
            parts = name.replace("\\", "/").split("/")
            if name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
                skip("its name points outside the archive's folder",
                     "make the archive again from the folder itself")
                continue
            if suffixes is not None and Path(name).suffix.lower() not in suffixes:
                skip(f"not a file this upload takes ({Path(name).suffix or 'no suffix'})",
                     f"only {', '.join(sorted(suffixes))} files are taken")
                continue
            if len(written) >= max_files:
                skip(f"more than {max_files} files in the archive", "upload the rest "
                     "in another archive")
                continue
            if info.file_size > max_member_bytes:
                skip(f"larger than {max_member_bytes / 1e6:.0f} MB", "make it smaller")
                continue
            if total + info.file_size > max_bytes:
                skip(f"the archive unpacks to more than {max_bytes / 1e6:.0f} MB",
                     "upload the rest in another archive")
                continue
            target = root.joinpath(*[safe_filename(p) for p in parts if p not in ("", ".")])
            target = inside(root, str(target.relative_to(root)))
            private_dir(target.parent)
            size = 0
            with archive.open(info) as src, open_private(target, "wb") as out:
                while block := src.read(1 << 20):  # the header's size may lie: count
                    size += len(block)
                    if size > max_member_bytes:
                        break
                    out.write(block)
            if size > max_member_bytes:
                target.unlink(missing_ok=True)
                skip(f"larger than {max_member_bytes / 1e6:.0f} MB", "make it smaller")
                continue
            total += size
            written.append(target)
    return written, problems
