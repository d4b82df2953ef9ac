"""Repairs to pyghmi's shared client I/O, installed once per process.

pyghmi (``pyghmi.ipmi.private.session``) runs one I/O thread per process
that reads every UDP socket and wakes the threads waiting for replies. Two
of its helpers misbehave as soon as several threads use it at once (as
``hostlib.fleet`` does):

* **Lost wakeup.** ``_io_wait`` registers its event with the I/O thread
  *after* the request went out. When the reply arrives and is queued in
  between (a loopback BMC answers within ~50 us), the I/O thread has
  nobody to wake, and the waiter sleeps until its retry deadline
  (0.5-1.0 s, then the request is sent again). A reply can also be
  consumed by another thread's ``wait_for_rsp`` while its owner is
  about to wait.
* **Blocking toggle.** ``_io_sendto`` switches the shared socket to
  blocking and ``_io_recvfrom`` back to non-blocking, from two threads.
  When a send lands between the I/O thread's ``setblocking(0)`` and its
  ``recvfrom``, the I/O thread blocks in ``recvfrom`` until some packet
  happens to arrive, and every waiter stalls with it.

:func:`install` replaces exactly these three module-level helpers with
versions that keep pyghmi's protocol (the same queue, events and wake-up
packet) but (1) look again after registering, so a reply that is already
queued, or already handled, returns at once; (2) never sleep longer than
:data:`WAIT_SLICE` per wait (pyghmi's callers loop and re-check, so a
short wait is only ever a spurious wakeup); (3) never touch the socket's
blocking flag: receive with ``MSG_DONTWAIT``, send on the socket as it
is. Nothing else in pyghmi changes, and every other pyghmi user in the
process gets the same repair. The patch refuses to install (and logs why)
if pyghmi's layout is not the one it was written against.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import threading
from typing import Any

__all__ = ["WAIT_SLICE", "install", "installed", "uninstall"]

log = logging.getLogger(__name__)

#: longest single sleep inside pyghmi's wait, seconds
WAIT_SLICE = 0.05

_lock = threading.Lock()
_originals: dict[str, Any] = {}
_REQUIRED = ("_io_wait", "_io_sendto", "_io_recvfrom", "ioqueue", "sessionqueue", "iosockets")


def _module() -> Any:
    from pyghmi.ipmi.private import session

    return session


def _reply_ready(mod: Any, myaddr: Any) -> bool:
    """True if what a waiter is about to sleep for has already happened."""
    if myaddr is None:
        # wait_for_rsp's poller: any queued packet ends its wait.
        return bool(mod.sessionqueue)
    handlers = mod.Session.bmc_handlers.get(myaddr)
    if not handlers:
        return False
    for sess in list(handlers.values()):
        if sess.pktqueue:
            return True
        if getattr(sess, "awaitingresponse", False) and sess.lastresponse is not None:
            return True
    return False


def _io_wait(timeout: float, myaddr: Any = None, evq: Any = None) -> None:
    mod = _module()
    evt = threading.Event()
    if evq is not None:
        evq.append(evt)
    # pyghmi's own clock (os.times()[4]), not time.monotonic(): the I/O
    # thread compares these deadlines with it.
    deadline = timeout + mod._monotonic_time()
    mod.ioqueue.append((deadline, evt, myaddr))
    # Look again now that the I/O thread knows about us: a reply queued
    # before the registration would otherwise wait for the retry timer.
    if evq is None and _reply_ready(mod, myaddr):
        return
    if deadline < mod.selectdeadline:
        intsock = mod.iosockets[0]
        intsock = getattr(intsock, "fd", intsock)
        with contextlib.suppress(OSError):
            intsock.sendto(b"\x01", (mod.myself, mod.iosockets[0].getsockname()[1]))
    evt.wait(min(max(timeout, 0.0), WAIT_SLICE))


def _io_sendto(mysocket: Any, packet: Any, sockaddr: Any) -> None:
    sock = getattr(mysocket, "fd", mysocket)
    try:
        sock.sendto(packet, sockaddr)
    except BlockingIOError:
        # Send buffer full on a socket left non-blocking: wait briefly once.
        try:
            select.select((), (sock,), (), 0.1)
            sock.sendto(packet, sockaddr)
        except OSError:
            pass  # lost like a dropped datagram; pyghmi's retry resends it
    except OSError:
        pass


def _io_recvfrom(mysocket: Any, size: int) -> Any:
    try:
        return mysocket.recvfrom(size, socket.MSG_DONTWAIT)
    except OSError:
        return None


def install() -> bool:
    """Install the repaired helpers into pyghmi; idempotent.

    Returns:
        True if the repair is in place, False if pyghmi's layout is unknown.
    """
    with _lock:
        if _originals:
            return True
        mod = _module()
        missing = [name for name in _REQUIRED if not hasattr(mod, name)]
        if missing:
            log.warning(
                "pyghmi.ipmi.private.session lacks %s; its I/O repair is not installed "
                "and concurrent IPMI calls may stall for up to 1 s",
                ", ".join(missing),
            )
            return False
        for name, repl in (
            ("_io_wait", _io_wait),
            ("_io_sendto", _io_sendto),
            ("_io_recvfrom", _io_recvfrom),
        ):
            _originals[name] = getattr(mod, name)
            setattr(mod, name, repl)
        return True


def uninstall() -> None:
    """Put pyghmi's original helpers back (for measurements and tests)."""
    with _lock:
        if not _originals:
            return
        mod = _module()
        for name, orig in _originals.items():
            setattr(mod, name, orig)
        _originals.clear()


def installed() -> bool:
    """True while the repaired helpers are in place."""
    return bool(_originals)
