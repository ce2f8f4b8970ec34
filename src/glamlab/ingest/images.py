"""Folders of images and single image files: JPEG, PNG, TIFF (one item per page),
JPEG 2000 where Pillow reads it. Only headers are read here; decoding happens later,
except for a file that does not end as its format ends (a JPEG without its end marker, a
TIFF page whose data runs past the end of the file): that one is decoded, reduced, to tell
a truncated file (a problem) from one with bytes after its end (an item).

A folder is walked by :func:`glamlab.ingest.folders.walk`, which also pairs a page
image with its OCR (ALTO/PAGE XML or a ``.txt`` of the same name) into one item.
"""

from __future__ import annotations

import os
import struct
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .base import (
    LFS_HINT,
    IngestOptions,
    Problem,
    Record,
    is_lfs_pointer,
    lfs_reason,
    sha256_bytes,
    sha256_file,
)

if TYPE_CHECKING:
    from PIL import Image

KIND = "folder"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".jp2", ".j2k", ".jpx", ".webp",
                  ".bmp", ".gif"}
MULTI_PAGE = {".tif", ".tiff", ".gif"}
MAX_PAGES = 1_000_000  # pages sought in a file whose page count Pillow cannot give
BOMB_HINT = "raise [ingest] max_image_pixels in glamlab.toml if the image is genuine"
BAD_IMAGE_HINT = "re-export the file or remove it from the source"
TRUNCATED = "the file is truncated or corrupt"
TRUNCATED_HINT = ("re-export it from the source (or copy it again), or remove it from the "
                  "folder; then ingest again")
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error)


class BadImage(Exception):
    """An image whose header cannot be read or that is over the pixel limit."""

    def __init__(self, reason: str, hint: str):
        super().__init__(reason)
        self.reason = reason
        self.hint = hint


@dataclass
class ImageHeader:
    width: int
    height: int
    format: str | None
    digest: str
    frames: list[tuple[int, int]]  # (width, height) per page; one entry for most files
    # page index -> why that page cannot be used (over the pixel limit, unreadable); the
    # other pages of the file are still items
    bad_frames: dict[int, BadImage] = field(default_factory=dict)


def can_read(source: str) -> bool:
    p = Path(source)
    return p.is_dir() or (p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def is_image(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def iter_files(root: Path) -> Iterator[Path]:
    """Files under ``root`` in a stable order (sorted per directory), hidden ones skipped."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath) / name


def read(source: str, options: IngestOptions) -> Iterator[Record | Problem]:
    root = Path(source)
    if root.is_file():
        yield from read_image(root, root.parent, source, options)
        return
    from .folders import walk

    yield from walk(root, source, options)


def item_id_for(path: Path, root: Path) -> str:
    """The item id of a file: its path relative to the ingested folder, without suffix."""
    try:
        rel = path.relative_to(root)
    except ValueError:
        rel = Path(path.name)
    return rel.with_suffix("").as_posix()


def document_for(folder: Path, root: Path) -> str:
    """The document a page file belongs to: its folder, relative to the ingested folder
    (the ingested folder's own name for files at its top). An OCR-D file group folder
    (``OCR-D-IMG``, ``OCR-D-GT-PAGE``...) stands for the workspace above it."""
    if folder.name.startswith("OCR-D-") and folder != root:
        folder = folder.parent
    try:
        rel = folder.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        rel = folder.name
    return root.resolve().name if rel in ("", ".") else rel


def read_header(path: Path, options: IngestOptions, *, all_frames: bool = True) -> ImageHeader:
    """Width, height, format and sha256 of an image file, reading headers only.

    Raises :class:`BadImage` for a file Pillow cannot identify, a truncated header, a file
    cut short (:func:`_check_complete`: its image data ends before the image does), or a
    single-page image over ``options.max_image_pixels`` (a decompression bomb guard). In
    a multi-page file a bad page after the first is listed in ``bad_frames`` instead, so
    the file's good pages are still read."""
    from PIL import Image, UnidentifiedImageError

    limit = options.max_image_pixels
    bad: dict[int, BadImage] = {}
    try:
        with warnings.catch_warnings():
            # the bomb guard is glamlab's own; what else Pillow warns of in a damaged
            # header (corrupt EXIF) ends as a problem below, not as noise on stderr
            warnings.simplefilter("ignore")
            with Image.open(path) as im:
                fmt = im.format
                frames = [im.size]
                data_ends = [_tiff_data_end(im)]  # TIFF: where each page's data ends
                if all_frames and path.suffix.lower() in MULTI_PAGE:
                    seek_errors = (OSError, SyntaxError, ValueError, EOFError, TypeError,
                                   KeyError, Image.DecompressionBombError)
                    try:
                        n: int | None = getattr(im, "n_frames", 1)
                    except seek_errors:  # a page's header is cut short or broken
                        n = None  # the pages before it are found by seeking
                    i = 1
                    while i < (n if n is not None else MAX_PAGES):
                        try:
                            im.seek(i)
                        except seek_errors as exc:
                            if n is None:  # this page; the ones after it cannot be counted
                                frames.append((0, 0))
                                bad[i] = BadImage(f"page {i + 1} is not readable ({TRUNCATED}: "
                                                  f"{exc}); pages after it, if any, were "
                                                  "not read", TRUNCATED_HINT)
                            for j in range(i, n or 0):  # this page and the ones after it
                                frames.append((0, 0))
                                bad[j] = BadImage(f"page {j + 1} is not readable: {exc}",
                                                  BAD_IMAGE_HINT)
                            break
                        frames.append(im.size)
                        data_ends.append(_tiff_data_end(im))
                        i += 1
        for i, (w, h) in enumerate(frames):
            if w * h > limit:
                where = f" (page {i + 1})" if len(frames) > 1 else ""
                problem = BadImage(f"image{where} is {w}x{h} = {w * h:,} pixels, over the "
                                   f"limit of {limit:,} (possible decompression bomb)",
                                   BOMB_HINT)
                if len(frames) == 1 or i == 0 and all(j in bad for j in range(1, len(frames))):
                    raise problem
                bad[i] = problem
        _check_complete(path, fmt, data_ends, bad)
        if len(bad) == len(frames):
            raise bad[0]
        digest = sha256_file(str(path))
    except Image.DecompressionBombError as exc:
        raise BadImage(f"possible decompression bomb: {exc}", BOMB_HINT) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        if is_lfs_pointer(path):
            raise BadImage(lfs_reason(path), LFS_HINT) from exc
        raise BadImage(f"not a readable image: {exc}", BAD_IMAGE_HINT) from exc
    good = [i for i in range(len(frames)) if i not in bad]
    width, height = frames[good[0]]
    return ImageHeader(width=width, height=height, format=fmt, digest=digest, frames=frames,
                       bad_frames=bad)


#: how the files of a format end when they are whole (after any padding of NUL bytes or
#: line ends): the JPEG (and JPEG 2000 codestream) end marker, PNG's IEND chunk with its
#: CRC, GIF's trailer
_ENDINGS = {"JPEG": b"\xff\xd9", "MPO": b"\xff\xd9", "JPEG2000": b"\xff\xd9",
            "PNG": b"IEND\xaeB`\x82", "GIF": b";"}


def _check_complete(path: Path, fmt: str | None, data_ends: list[int | None],
                    bad: dict[int, BadImage]) -> None:
    """Whether the file holds all of its image data, cheaply: a truncated file (a copy or
    download cut short) has a header Pillow reads and would pass as an item, to fail at
    every run. A file that ends as its format ends (JPEG, PNG, GIF), a TIFF whose pages'
    strips or tiles (``data_ends``, one per page read) lie inside the file, or a WebP no
    shorter than its RIFF header says, is whole without decoding. The pages of any other
    file are decoded, reduced where the format allows (Pillow's own check, with
    ``ImageFile.LOAD_TRUNCATED_IMAGES`` left as it is, off): a page that does not decode
    goes into ``bad`` with :data:`TRUNCATED` and the fix; the first page raises
    :class:`BadImage`."""
    size = path.stat().st_size
    pages = [i for i in range(len(data_ends)) if i not in bad]
    if fmt == "TIFF":
        pages = [i for i in pages if (end := data_ends[i]) is None or end > size]
        if not pages:
            return
    elif fmt in _ENDINGS:
        with open(path, "rb") as fh:
            fh.seek(max(0, size - 64))
            if fh.read().rstrip(b"\x00\r\n ").endswith(_ENDINGS[fmt]):
                return
    elif fmt == "WEBP":
        with open(path, "rb") as fh:
            head = fh.read(12)
        if (len(head) == 12 and head[:4] == b"RIFF"
                and struct.unpack("<I", head[4:8])[0] + 8 <= size):
            return
    for i, problem in _decode_problems(path, pages).items():
        if i == 0:
            raise problem
        bad[i] = problem


def _tiff_data_end(im: Image.Image) -> int | None:
    """Where the current TIFF page's image data ends (its strips' or tiles' offsets plus
    byte counts), None when its tags do not say."""
    tags = getattr(im, "tag_v2", None) if im.format == "TIFF" else None
    if tags is None:
        return None
    for offsets_tag, counts_tag in ((273, 279), (324, 325)):  # strips, tiles
        offsets, counts = tags.get(offsets_tag), tags.get(counts_tag)
        if offsets is None or counts is None:
            continue
        offsets = offsets if isinstance(offsets, tuple) else (offsets,)
        counts = counts if isinstance(counts, tuple) else (counts,)
        if offsets and len(offsets) == len(counts):
            return max(int(o) + int(c) for o, c in zip(offsets, counts, strict=True))
    return None


def _decode_problems(path: Path, pages: list[int]) -> dict[int, BadImage]:
    """Decode the pages ``pages`` of the file in order, in one opening while they decode
    (a JPEG at an eighth of its size): the pages that do not, each with why, as a
    :class:`BadImage`. One opening, not one a page: seeking a GIF to page n from its
    start decodes the n pages before it, so a page each was quadratic (a 200-frame GIF
    with bytes after its trailer took 90 s, not 1 s)."""
    from PIL import Image

    out: dict[int, BadImage] = {}
    im: Image.Image | None = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # decoding decides, not what Pillow warns of
            for page in sorted(pages):
                try:
                    if im is None or page < im.tell():
                        if im is not None:
                            im.close()
                        im = Image.open(path)
                    if page != im.tell():
                        im.seek(page)
                    if im.format == "JPEG":
                        im.draft(im.mode, (max(1, im.width // 8), max(1, im.height // 8)))
                    im.load()
                except Image.DecompressionBombError:
                    continue  # the pixel limit has its own check and message
                except _DECODE_ERRORS as exc:
                    where = f"page {page + 1}: " if page else ""
                    out[page] = BadImage(f"{where}{TRUNCATED} (its image data cannot be read "
                                         f"to the end: {exc})", TRUNCATED_HINT)
                    if im is not None:  # the next page from a fresh opening
                        im.close()
                    im = None
    finally:
        if im is not None:
            im.close()
    return out


def read_image(path: Path, root: Path, source: str,
               options: IngestOptions) -> Iterator[Record | Problem]:
    base_id = item_id_for(path, root)
    try:
        head = read_header(path, options)
    except BadImage as exc:
        yield Problem(source, str(path), exc.reason, exc.hint)
        return
    meta = {"file": path.name, "format": head.format,
            "document": base_id if len(head.frames) > 1 else document_for(path.parent, root)}
    uri = str(path.resolve())
    if len(head.frames) > 1:
        pages = len(head.frames)
        for page, (w, h) in enumerate(head.frames):
            if page in head.bad_frames:
                bad = head.bad_frames[page]
                yield Problem(source, f"{path}#p{page + 1}", bad.reason, bad.hint)
                continue
            yield Record(item_id=f"{base_id}#p{page + 1}", modality="image", source_kind=KIND,
                         source=source, uri=uri, page=page, width=w, height=h,
                         content_hash=sha256_bytes(f"{head.digest}:{page}".encode()),
                         meta={**meta, "page": page + 1, "pages": pages})
    else:
        yield Record(item_id=base_id, modality="image", source_kind=KIND, source=source,
                     content_hash=head.digest, uri=uri, width=head.width, height=head.height,
                     meta=meta)
