"""glamlab: machine learning for digitised GLAM collections, from the need to the catalogue.

The public API (pinned by ``tests/test_public_api.py``)::

    import glamlab
    ws = glamlab.Workspace.open("my-project")
    ws.ingest(["scans/"])
    for item in ws.items(limit=10): ...
    df = glamlab.predictions_frame(ws)   # the champion's predictions (needs pandas)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import plugins as _plugins

__version__ = "0.1.0"

# Public names resolve lazily, so `import glamlab` (and `glamlab --help`) stay fast.
_LAZY = {
    "Workspace": "glamlab.workspace",
    "Item": "glamlab.items",
    "ProjectCard": "glamlab.config",
    "GlamlabError": "glamlab.errors",
    "predictions_frame": "glamlab.actions.frame",
}

__all__ = ["GlamlabError", "Item", "ProjectCard", "Workspace", "__version__",
           "predictions_frame"]

# The hooks lower layers call in higher ones (glamlab.plugins.HOOKS): registered here,
# before any glamlab module runs, and imported only when called.
_plugins.HOOKS.setdefault("prepare_card", "glamlab.tasks.kinds:prepare_card")

if TYPE_CHECKING:
    from .actions.frame import predictions_frame
    from .config import ProjectCard
    from .errors import GlamlabError
    from .items import Item
    from .workspace import Workspace


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'glamlab' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
