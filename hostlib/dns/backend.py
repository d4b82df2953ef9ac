"""The contract between :class:`ReverseDNS` and where PTR records live."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import attrs

from hostlib.dns.changes import PtrChange

__all__ = ["Lookup", "PtrBackend"]


@attrs.frozen
class Lookup:
    """What one owner name holds: a PTR target, or a CNAME (RFC 2317 alias)."""

    ptr: str | None = None
    cname: str | None = None


@runtime_checkable
class PtrBackend(Protocol):
    """Reads and writes PTR records by owner name.

    Names are absolute (trailing dot) and lower-case; targets are absolute
    hostnames or None. A backend never decides what to change: it is told.
    """

    def zone_for(self, name: str) -> str:
        """The zone an owner name is updated in (absolute)."""
        ...

    def read(self, names: Sequence[str]) -> dict[str, Lookup]:
        """What each owner name holds (``Lookup()`` where it holds nothing).

        A name that is a CNAME (an RFC 2317 classless delegation) is answered
        with its ``cname``; the caller follows it with another read. A
        backend answers only for the names given, and may read a whole zone
        at once (AXFR) when that is cheaper.
        """
        ...

    def write(self, changes: Sequence[PtrChange]) -> None:
        """Apply ``changes`` with their ``old`` values as prerequisites.

        Raises:
            ConflictError: a record's current value is not ``old`` (changed
                by someone else since it was read); nothing of that zone's
                batch was applied.
            DNSUpdateRefused: the server refused (REFUSED, NOTAUTH, bad key).
            DNSError: the server or file could not be reached or written.
        """
        ...
