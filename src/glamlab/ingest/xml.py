"""(placeholder until the reader lands)"""
from __future__ import annotations

KIND = "xml"


def can_read(source: str) -> bool:
    return False


def read(source, options):  # type: ignore[no-untyped-def]
    return iter(())
