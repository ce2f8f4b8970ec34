"""Items: one thing in the collection (a page image, a text, a record)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL import Image

    from ..config import FetchPolicy


def title_of(meta: dict[str, Any] | None, source_kind: str | None) -> str | None:
    """What the collection calls an item (``title``, ``label``, ``name`` or
    ``dc:title`` in its metadata ``meta``; the first value of a list), or None: the one
    rule for :attr:`Item.title` and for the pages that read items' rows from the store
    (the review queue).

    ``label`` is a IIIF canvas's label (its page name, "f. 1r") only for an item from
    a IIIF manifest (``source_kind``): in a table (CSV) a ``label`` column is most often
    the item's gold label, which as a title would name the answer in exports and on
    labelling sheets, to a blind second labeller too."""
    from ..ingest.iiif import KIND as IIIF

    keys = ("title", "label", "name", "dc:title") if source_kind == IIIF else (
        "title", "name", "dc:title")
    for key in keys:
        value = (meta or {}).get(key)
        if isinstance(value, list) and value:
            value = value[0]
        if isinstance(value, str | int | float) and str(value).strip():
            return str(value)
    return None


def file_name_only(value: object) -> object:
    """A metadata value as a reviewer or viewer sees it: a string naming a file on the
    server by its absolute path (a table's image column, ``/srv/scans/0001.jpg``) as the
    file's name (``0001.jpg``), so that only an admin learns the server's folders; a web
    address, a relative path or any other value as it is."""
    if not isinstance(value, str) or "://" in value or "\n" in value:
        return value
    from pathlib import PurePosixPath, PureWindowsPath

    for kind in (PurePosixPath, PureWindowsPath):
        path = kind(value)
        if path.is_absolute() and path.name:
            return path.name
    return value


def is_local(value: str | None) -> bool:
    """Whether ``value`` (an item's ``uri`` or ``source``) names a file on the server,
    not a web address."""
    return bool(value) and "://" not in str(value)


@dataclass
class Item:
    """One current item version, as predictors and reports see it.

    Items are plain, picklable data: worker processes and Ray actors get them as is.
    Images are decoded lazily by :meth:`open_image`; ingest reads headers only.
    """

    item_id: str
    modality: str
    source_kind: str = "test"
    source: str = ""
    uri: str | None = None
    page: int | None = None
    content_hash: str = ""
    text: str | None = None
    width: int | None = None
    height: int | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    version: int = 1
    cache_dir: str | None = None  # where remote images (IIIF) are cached
    #: which image addresses may be fetched (the card's ``[fetch]``); None: the public
    #: internet only
    fetch_policy: FetchPolicy | None = None

    @property
    def path(self) -> Path | None:
        """The local file behind the item, if there is one."""
        if self.uri and "://" not in self.uri:
            return Path(self.uri)
        return None

    @property
    def title(self) -> str | None:
        """What the collection calls the item, or None (:func:`title_of`)."""
        return title_of(self.meta, self.source_kind)

    def open_image(self, max_side: int | None = None, mode: str = "RGB") -> Image.Image:
        """Decode the image as RGB (or ``mode``, e.g. ``L`` for grey), reduced so the long
        side is about ``max_side``.

        JPEG uses reduced DCT decoding (fast); other formats are resized after decoding.
        Raises :class:`glamlab.errors.ItemError` naming the item if it cannot be read.
        """
        from .images import open_image

        return open_image(self, max_side=max_side, mode=mode)

    def without_server_paths(self) -> Item:
        """The item as someone who does not run the server is given it (the API's items
        and the web app's exports to a non-admin): a file on the server named by its
        file's name (``source``, a metadata field such as a table's image column), and
        no local ``uri``; a web address as it is. Only an admin learns the server's
        folders."""
        return replace(self,
                       source=PurePath(self.source).name if is_local(self.source)
                       else self.source,
                       uri=None if is_local(self.uri) else self.uri,
                       meta={k: file_name_only(v) for k, v in (self.meta or {}).items()})

    def to_dict(self) -> dict[str, Any]:
        """The item as plain data. Its id is ``item_id``, as everywhere else (predictions,
        labels, exports); ``id``, the same value under its old name, is kept for this
        release only and will be dropped in the next one."""
        return {
            "item_id": self.item_id,
            "id": self.item_id,
            "version": self.version,
            "modality": self.modality,
            "source_kind": self.source_kind,
            "source": self.source,
            "uri": self.uri,
            "page": self.page,
            "content_hash": self.content_hash,
            "width": self.width,
            "height": self.height,
            "text": self.text,
            "meta": self.meta,
        }
