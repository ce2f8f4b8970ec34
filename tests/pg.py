"""Per-test PostgreSQL databases for GLAMLAB_TEST_PG runs."""

from __future__ import annotations

import re
import socket
import threading
import uuid


def fresh_database(server_url: str, test_name: str) -> str:
    """Create an empty database on the server and return its URL."""
    import sqlalchemy as sa

    from glamlab.store import normalise_url

    name = "t_" + re.sub(r"[^a-z0-9]+", "_", test_name.lower())[:40] + "_" + uuid.uuid4().hex[:8]
    engine = sa.create_engine(normalise_url(server_url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    base = server_url.rsplit("/", 1)[0]
    return f"{base}/{name}"


class CuttableProxy:
    """A TCP relay in front of the test server that a test cuts and restores: glamlab
    connects through it, so cutting it is, for glamlab, the server stopping (or the
    network failing) mid-work: open connections drop and new ones are refused.

    ``url(db_url)`` is ``db_url`` through the relay. Use it as a context manager."""

    def __init__(self, server_url: str):
        import sqlalchemy as sa

        target = sa.engine.make_url(server_url)
        self._upstream = (target.host or "127.0.0.1", int(target.port or 5432))
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self._armed: int | None = None
        self.restore()

    def url(self, db_url: str) -> str:
        import sqlalchemy as sa

        return sa.engine.make_url(db_url).set(host="127.0.0.1", port=self.port) \
            .render_as_string(hide_password=False)

    def restore(self) -> None:
        """Accept connections (again, on the same port)."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.05)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._thread = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._thread.start()

    def cut(self) -> None:
        """Refuse new connections and drop the open ones, at once."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            conns, self._conns = self._conns, []
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            c.close()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            upstream = socket.create_connection(self._upstream)
            with self._lock:
                self._conns += [client, upstream]
            for a, b, outbound in ((client, upstream, True), (upstream, client, False)):
                threading.Thread(target=self._pump, args=(a, b, outbound), daemon=True).start()

    def cut_at_row_sent(self, n: int) -> None:
        """Cut when glamlab sends values for a statement (a Bind message: a row of a
        batch being written, one at a time in psycopg's pipeline) for the ``n``-th time
        from now, before the server gets it."""
        self._armed = n

    def _pump(self, src: socket.socket, dst: socket.socket, outbound: bool) -> None:
        # every message glamlab sends is read, however the stream is cut into chunks:
        # under load several (a batch's Binds) come in one chunk, and one may start
        # inside a chunk (counting chunks that start with "B" missed them: no cut)
        messages = _FrontendMessages() if outbound else None
        try:
            while data := src.recv(65536):
                binds = messages.binds(data) if messages is not None else 0
                with self._lock:
                    if binds and self._armed:
                        self._armed -= binds
                        fire = self._armed <= 0
                        if fire:
                            self._armed = None
                    else:
                        fire = False
                if fire:  # this chunk holds the n-th Bind: the server never gets it
                    self.cut()
                    return
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> CuttableProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cut()


class _FrontendMessages:
    """Counts the Bind messages in what a client sends to a PostgreSQL server, read as the
    protocol frames them (a start-up message with no type byte, then a type byte and a
    4-byte length per message), across chunks however they are cut."""

    #: SSLRequest and GSSENCRequest: another message without a type byte follows
    _NEGOTIATE = (80877103, 80877104)

    def __init__(self) -> None:
        self._buf = b""
        self._skip = 0  # bytes of the current message still to pass
        self._untyped = True

    def binds(self, data: bytes) -> int:
        """How many Bind messages start in ``data``."""
        buf, n = self._buf + data, 0
        while True:
            if self._skip:
                take = min(self._skip, len(buf))
                buf, self._skip = buf[take:], self._skip - take
                if self._skip:
                    break
            if self._untyped:
                if len(buf) < 8:
                    break
                self._untyped = int.from_bytes(buf[4:8], "big") in self._NEGOTIATE
                self._skip = int.from_bytes(buf[:4], "big")
                continue
            if len(buf) < 5:
                break
            n += buf[:1] == b"B"
            self._skip = 1 + int.from_bytes(buf[1:5], "big")
        self._buf = buf
        return n
