"""Folders of images and single image files: JPEG, PNG, TIFF (one item per page),
JPEG 2000 where Pillow reads it. Only headers are read here; decoding happens later."""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from pathlib import Path

from .base import IngestOptions, Problem, Record, sha256_file

KIND = "folder"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".jp2", ".j2k", ".jpx", ".webp",
                  ".bmp", ".gif"}
MULTI_PAGE = {".tif", ".tiff", ".gif"}


def can_read(source: str) -> bool:
    p = Path(source)
    return p.is_dir() or (p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def iter_files(root: Path) -> Iterator[Path]:
    """Files under ``root`` in a stable order (sorted per directory)."""
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
    from . import reader_for_file

    for path in iter_files(root):
        sub = reader_for_file(path)
        if sub is None:
            continue
        if sub is read_image:
            yield from read_image(path, root, source, options)
        else:
            yield from sub(path, root, source, options)


def item_id_for(path: Path, root: Path) -> str:
    rel = path.relative_to(root) if path != root and root in path.parents else Path(path.name)
    return rel.with_suffix("").as_posix()


def read_image(path: Path, root: Path, source: str,
               options: IngestOptions) -> Iterator[Record | Problem]:
    from PIL import Image, UnidentifiedImageError

    base_id = item_id_for(path, root)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                width, height = im.size
                fmt = im.format
                frames = getattr(im, "n_frames", 1) if path.suffix.lower() in MULTI_PAGE else 1
        if width * height > options.max_image_pixels:
            yield Problem(source, str(path),
                          f"image is {width}x{height} = {width * height:,} pixels, over the limit "
                          f"of {options.max_image_pixels:,} (possible decompression bomb)",
                          "raise [ingest] max_image_pixels in glamlab.toml if the image is genuine")
            return
        digest = sha256_file(str(path))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError) as exc:
        yield Problem(source, str(path), f"not a readable image: {exc}",
                      "re-export the file or remove it from the folder")
        return
    meta = {"file": path.name, "format": fmt}
    if frames > 1:
        for page in range(frames):
            yield Record(item_id=f"{base_id}#p{page + 1}", modality="image", source_kind=KIND,
                         source=source, content_hash=f"{digest}:{page}", uri=str(path.resolve()),
                         page=page, width=width, height=height,
                         meta={**meta, "page": page + 1, "pages": frames})
    else:
        yield Record(item_id=base_id, modality="image", source_kind=KIND, source=source,
                     content_hash=digest, uri=str(path.resolve()), width=width, height=height,
                     meta=meta)
