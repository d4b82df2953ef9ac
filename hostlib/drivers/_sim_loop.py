"""One I/O thread for many UDP sockets: a selector plus a timer heap.

Every simulated BMC of a rack shares one :class:`IoLoop`. Packet handlers and
timer callbacks run in the loop's thread while holding :attr:`IoLoop.lock`;
other threads take the same lock to read or change simulator state, so
handlers never see half-made changes. Delays (reply latency, a power cycle's
off time) are timers, never sleeps in the I/O thread.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import selectors
import socket
import threading
import time
from collections.abc import Callable

__all__ = ["IoLoop"]

log = logging.getLogger("hostlib.drivers.simulator")

Timer = tuple[float, int, Callable[[], None]]

# Datagrams read from one socket per wake-up before others get their turn.
_BURST = 64


class IoLoop:
    """A selector over UDP sockets and a heap of timers, served by one thread."""

    def __init__(self, name: str = "hostlib-sim") -> None:
        self.lock = threading.RLock()
        self._name = name
        self._selector = selectors.DefaultSelector()
        self._timers: list[Timer] = []
        self._counter = itertools.count()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)

    # -- sockets ------------------------------------------------------------------

    def add_socket(
        self, sock: socket.socket, on_datagram: Callable[[bytes, tuple[str, int]], None]
    ) -> None:
        """Serve ``sock``: call ``on_datagram(data, addr)`` for each datagram (under lock)."""
        sock.setblocking(False)
        with self.lock:
            self._selector.register(sock, selectors.EVENT_READ, on_datagram)

    def remove_socket(self, sock: socket.socket) -> None:
        with self.lock, contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(sock)

    # -- timers -------------------------------------------------------------------

    def call_later(self, delay: float, callback: Callable[[], None]) -> None:
        """Run ``callback`` in the loop thread (under lock) after ``delay`` seconds."""
        when = time.monotonic() + max(0.0, delay)
        with self.lock:
            earliest = not self._timers or when < self._timers[0][0]
            heapq.heappush(self._timers, (when, next(self._counter), callback))
        if earliest and threading.current_thread() is not self._thread:
            self._wake()

    def _wake(self) -> None:
        # BlockingIOError: a wake-up is already pending; OSError: the loop is closed
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")

    # -- thread -------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the I/O thread (idempotent)."""
        with self.lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the I/O thread and release the selector (idempotent)."""
        with self.lock:
            self._stopping = True
            thread = self._thread
        self._wake()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5.0)
        with self.lock:
            self._timers.clear()
            with contextlib.suppress(OSError, RuntimeError):
                self._selector.close()
        self._wake_r.close()
        self._wake_w.close()

    def _run(self) -> None:
        selector = self._selector
        while True:
            with self.lock:
                if self._stopping:
                    return
                timeout = None
                if self._timers:
                    timeout = max(0.0, self._timers[0][0] - time.monotonic())
            try:
                events = selector.select(timeout)
            except (OSError, ValueError):
                return  # closed under us by stop()
            with self.lock:
                if self._stopping:
                    return
                for key, _mask in events:
                    handler = key.data
                    sock = key.fileobj
                    assert isinstance(sock, socket.socket)
                    if handler is None:
                        self._drain_wake()
                        continue
                    self._read(sock, handler)
                self._run_due_timers()

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(512):
                pass
        except (BlockingIOError, OSError):
            pass

    @staticmethod
    def _read(sock: socket.socket, handler: Callable[[bytes, tuple[str, int]], None]) -> None:
        for _ in range(_BURST):
            try:
                data, addr = sock.recvfrom(4096)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                # ICMP port unreachable from an earlier reply, or a closed socket
                return
            try:
                handler(data, addr)
            except Exception:
                # A bad packet must never stop the rack; the handler counts drops.
                log.exception("simulated BMC failed to handle a datagram")

    def _run_due_timers(self) -> None:
        now = time.monotonic()
        timers = self._timers
        while timers and timers[0][0] <= now:
            _when, _n, callback = heapq.heappop(timers)
            try:
                callback()
            except Exception:
                log.exception("simulated BMC timer failed")
