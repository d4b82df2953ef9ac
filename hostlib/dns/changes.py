"""Planned and applied PTR changes, as pure values.

A :class:`ChangeSet` is what :meth:`ReverseDNS.plan` returns (nothing
changed) and what :meth:`ReverseDNS.apply` returns (changes made). It is
also the dry-run/diff value of the Ansible module.
"""

from __future__ import annotations

import enum
import ipaddress

import attrs

__all__ = ["Action", "ChangeSet", "PtrChange"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Action(enum.Enum):
    """What a change does to one address's PTR record."""

    ADD = "add"
    CHANGE = "change"
    DELETE = "delete"
    KEEP = "keep"


@attrs.frozen
class PtrChange:
    """One address's PTR: what it was and what it is to be.

    Attributes:
        ip: the address.
        name: the owner name written to (the CNAME target for RFC 2317
            classless delegations, else the plain reverse name), absolute,
            with a trailing dot.
        zone: the zone the name is updated in, absolute.
        old: the current target (absolute hostname) or None.
        new: the wanted target or None (delete).
    """

    ip: IPAddress
    name: str
    zone: str
    old: str | None
    new: str | None

    @property
    def action(self) -> Action:
        if self.old == self.new:
            return Action.KEEP
        if self.old is None:
            return Action.ADD
        if self.new is None:
            return Action.DELETE
        return Action.CHANGE


@attrs.frozen
class ChangeSet:
    """Changes sorted by kind; ``failed`` lists what did not take on apply."""

    added: tuple[PtrChange, ...] = ()
    changed: tuple[PtrChange, ...] = ()
    deleted: tuple[PtrChange, ...] = ()
    unchanged: tuple[PtrChange, ...] = ()
    failed: tuple[PtrChange, ...] = ()

    @classmethod
    def from_changes(cls, changes: list[PtrChange] | tuple[PtrChange, ...]) -> ChangeSet:
        added: list[PtrChange] = []
        changed: list[PtrChange] = []
        deleted: list[PtrChange] = []
        unchanged: list[PtrChange] = []
        for change in changes:  # as ``action`` decides, inline: bulk applies are large
            old, new = change.old, change.new
            if old == new:
                unchanged.append(change)
            elif old is None:
                added.append(change)
            elif new is None:
                deleted.append(change)
            else:
                changed.append(change)
        return cls(tuple(added), tuple(changed), tuple(deleted), tuple(unchanged))

    @property
    def pending(self) -> tuple[PtrChange, ...]:
        """Every change that writes something (added, changed, deleted)."""
        return self.added + self.changed + self.deleted

    @property
    def has_changes(self) -> bool:
        return bool(self.pending)
