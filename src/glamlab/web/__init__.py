"""The glamlab web app (FastAPI, server-rendered Jinja2 templates, vendored htmx).

Start it with ``glamlab serve``; build it in Python with :func:`create_app`.
Needs the ``web`` extra: ``pip install 'glamlab[web]'``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..workspace import Workspace

__all__ = ["create_app"]


def create_app(ws: Workspace, **kwargs: Any) -> Any:
    try:
        from .app import create_app as _create
    except ImportError as exc:
        from ..errors import MissingDependency

        raise MissingDependency(exc.name or "fastapi", "web") from exc
    return _create(ws, **kwargs)
