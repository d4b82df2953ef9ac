"""Host names to addresses within a time bound.

``getaddrinfo`` cannot be interrupted, so :func:`resolve` runs it in a
daemon thread of its own and waits at most the time given; a resolver that
hangs leaves that thread behind, not the caller. Used by the IPMI drivers
(BMC host names) and the RFC 2136 backend (the DNS primary's name).
"""

from __future__ import annotations

import socket
import threading
from typing import Any

__all__ = ["NO_SUCH_NAME", "resolve"]

#: getaddrinfo's "this name has no address" (as opposed to "try again").
NO_SUCH_NAME = frozenset(
    code
    for code in (getattr(socket, "EAI_NONAME", None), getattr(socket, "EAI_NODATA", None))
    if code is not None
)


def resolve(host: str, port: int, wait: float, *, socktype: int) -> list[tuple[int, str]]:
    """``host``'s (family, address) pairs, IPv4 and IPv6, in the resolver's order.

    Raises:
        OSError: the name does not resolve (``socket.gaierror``; its errno
            is in :data:`NO_SUCH_NAME` when the name has no address).
        TimeoutError: no answer from the resolver within ``wait`` seconds.
    """
    done = threading.Event()
    outcome: list[Any] = []

    def lookup() -> None:
        try:
            outcome.append(socket.getaddrinfo(host, port, type=socktype))
        except OSError as exc:
            outcome.append(exc)
        finally:
            done.set()

    threading.Thread(target=lookup, name=f"hostlib-resolve {host}", daemon=True).start()
    if not done.wait(max(wait, 0.0)):
        raise TimeoutError(f"no answer from the resolver within {wait:g} s")
    if isinstance(outcome[0], OSError):
        raise outcome[0]
    found: list[tuple[int, str]] = []
    for family, _, _, _, sockaddr in outcome[0]:
        entry = (int(family), str(sockaddr[0]))
        if entry not in found and family in (socket.AF_INET, socket.AF_INET6):
            found.append(entry)
    if not found:
        raise socket.gaierror(socket.EAI_NONAME, "no IPv4 or IPv6 address")
    return found
