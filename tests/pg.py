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
        try:
            while data := src.recv(65536):
                if outbound and self._armed and data[:1] == b"B":
                    self._armed -= 1
                if outbound and self._armed == 0:
                    self._armed = None
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
