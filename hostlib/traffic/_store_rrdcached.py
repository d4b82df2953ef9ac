"""A small client for the rrdcached text protocol (CREATE, UPDATE, FLUSH, BATCH).

Why not ``rrdtool.update(path, "--daemon", address, ...)``: with librrd
1.7.2 and the ``rrdtool`` 0.1.16 bindings, an update aimed at a daemon that
cannot be reached returns without an error and writes nothing (the CLI at
least exits 1), and ``fetch``/``info``/``last`` quietly read the file
directly instead, which may be stale. Speaking the protocol ourselves makes
every refusal visible, and ``BATCH`` sends a whole polling round in one
round trip.

Protocol (``rrdcached(1)``): one command per line; the reply's first line
is ``<status> <message>``, a negative status is an error, a positive one
the number of lines that follow. ``BATCH`` takes commands up to a line
with a single ``.`` and answers ``<n> errors`` followed by one
``<command number> <message>`` line per failed command.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Sequence

from hostlib.traffic._store_errors import DaemonError

__all__ = ["DEFAULT_PORT", "RRDCachedClient", "parse_address"]

#: rrdcached's TCP port when an address gives none
DEFAULT_PORT = 42217


def parse_address(address: str) -> tuple[int, str | tuple[str, int]]:
    """Return ``(socket family, socket address)`` for an rrdcached address.

    Accepted as rrdcached's ``-l``: ``unix:/path``, ``/path``, ``host``,
    ``host:port``, ``[v6]:port``.
    """
    if not isinstance(address, str) or not address.strip():
        raise DaemonError(f"rrdcached address {address!r} is empty: use unix:/path/to/sock")
    if address.startswith("unix:"):
        return socket.AF_UNIX, address[5:]
    if address.startswith("/"):
        return socket.AF_UNIX, address
    host, port = address, DEFAULT_PORT
    if address.startswith("["):
        host, _, rest = address[1:].partition("]")
        if rest.startswith(":"):
            port = _port(address, rest[1:])
        return socket.AF_INET6, (host, port)
    if address.count(":") == 1:
        host, raw = address.split(":")
        port = _port(address, raw)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return family, (host, port)


def _port(address: str, raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise DaemonError(f"rrdcached address {address!r} has a bad port {raw!r}")
    return int(raw)


class RRDCachedClient:
    """One connection to rrdcached, opened on first use, shared by threads."""

    def __init__(self, address: str, *, timeout: float = 30.0) -> None:
        self.address = address
        self._family, self._sockaddr = parse_address(address)
        self._timeout = timeout
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._buffer = b""

    def __repr__(self) -> str:
        return f"<RRDCachedClient {self.address}>"

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.close()
        self._sock = None
        self._buffer = b""

    def _connect(self) -> socket.socket:
        if self._sock is None:
            sock = socket.socket(self._family, socket.SOCK_STREAM)
            sock.settimeout(self._timeout)
            try:
                sock.connect(self._sockaddr)
            except OSError as exc:
                sock.close()
                raise DaemonError(
                    f"cannot reach rrdcached at {self.address}: {exc.strerror or exc}; "
                    "start the daemon or fix the store's daemon= address"
                ) from exc
            self._sock = sock
        return self._sock

    def _send(self, payload: bytes) -> None:
        # A connection the daemon closed (restart, idle timeout) shows up as
        # a failed write before anything was taken: reconnect once.
        for attempt in (0, 1):
            sock = self._connect()
            try:
                sock.sendall(payload)
                return
            except OSError as exc:
                self._drop()
                if attempt:
                    raise DaemonError(
                        f"lost the connection to rrdcached at {self.address}: {exc}"
                    ) from exc

    def _readline(self) -> str:
        sock = self._sock
        assert sock is not None
        while b"\n" not in self._buffer:
            try:
                chunk = sock.recv(65536)
            except OSError as exc:
                self._drop()
                raise DaemonError(
                    f"no answer from rrdcached at {self.address}: {exc}; check the daemon"
                ) from exc
            if not chunk:
                self._drop()
                raise DaemonError(f"rrdcached at {self.address} closed the connection")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode("utf-8", "replace")

    def _status(self) -> tuple[int, str]:
        line = self._readline()
        head, _, message = line.partition(" ")
        try:
            return int(head), message
        except ValueError:
            self._drop()
            raise DaemonError(
                f"rrdcached at {self.address} answered {line[:80]!r}, not a status line"
            ) from None

    def command(self, line: str) -> tuple[int, str, list[str]]:
        """Send one command; return (status, message, following lines).

        A negative status is returned, not raised: the caller maps it.
        """
        if "\n" in line:
            raise DaemonError("an rrdcached command must be one line")
        with self._lock:
            self._send(line.encode() + b"\n")
            status, message = self._status()
            lines = [self._readline() for _ in range(max(status, 0))]
            return status, message, lines

    def batch(self, lines: Sequence[str]) -> dict[int, str]:
        """Send commands as one BATCH; return {0-based index: error message}."""
        if not lines:
            return {}
        if any("\n" in line for line in lines):
            raise DaemonError("an rrdcached command must be one line")
        payload = ("\n".join(lines) + "\n.\n").encode()
        with self._lock:
            self._send(b"BATCH\n")
            status, message = self._status()
            if status < 0:
                raise DaemonError(f"rrdcached at {self.address} refused BATCH: {message}")
            self._send(payload)
            count, _ = self._status()
            errors: dict[int, str] = {}
            for _ in range(max(count, 0)):
                number, _, text = self._readline().partition(" ")
                try:
                    errors[int(number) - 1] = text
                except ValueError:
                    self._drop()
                    raise DaemonError(
                        f"rrdcached at {self.address} sent a malformed BATCH error line"
                    ) from None
            return errors
