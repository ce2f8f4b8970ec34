"""The test relay (tests.pg.CuttableProxy) finds the n-th Bind message glamlab sends
however the stream is cut into chunks: under load a batch's Binds arrive together in one
chunk, or a message starts inside a chunk (counting only chunks that start with "B"
missed them, and tests/cli/test_pg_outage.py's cut never came)."""

from __future__ import annotations

import pytest

from tests.pg import _FrontendMessages


def _msg(kind: bytes, body: bytes) -> bytes:
    return kind + (4 + len(body)).to_bytes(4, "big") + body


def _stream(ssl: bool) -> bytes:
    startup = (13).to_bytes(4, "big") + (196608).to_bytes(4, "big") + b"user\0"
    ssl_request = (8).to_bytes(4, "big") + (80877103).to_bytes(4, "big")
    rows = b"".join(_msg(b"B", b"B" * 7) + _msg(b"E", b"B") for _ in range(10))
    return ((ssl_request if ssl else b"") + startup + _msg(b"P", b"BBBB") + rows
            + _msg(b"S", b""))


@pytest.mark.parametrize("size", [1, 3, 7, 64, 100_000])
@pytest.mark.parametrize("ssl", [False, True])
def test_every_bind_is_counted_however_the_stream_is_chunked(size: int, ssl: bool) -> None:
    stream = _stream(ssl)
    m = _FrontendMessages()
    assert sum(m.binds(stream[i:i + size]) for i in range(0, len(stream), size)) == 10
