"""The reverse-DNS facade: plan and apply PTR changes on any backend.

``ReverseDNS.apply(mapping)``:

1. validates every address and hostname (:class:`ValidationError` naming
   the bad one) and the allowed-networks policy (:class:`PermissionDenied`),
   before anything is read or sent;
2. reads the current values, following RFC 2317 CNAMEs (or the configured
   :class:`~hostlib.dns.names.ClasslessMap`) to the name that holds the PTR;
3. computes the :class:`~hostlib.dns.changes.ChangeSet` (``plan`` stops
   here, after the forward check);
4. optionally checks that each new hostname's A/AAAA records contain the
   address (forward confirmation: off, warn, require);
5. writes the pending changes through ``backend.write``, one batch per
   zone, with the current values as prerequisites (a change made by
   someone else in between is a :class:`ConflictError`);
6. reads back every written name: what did not take is put in ``failed``
   and, unless ``strict=False``, raised as :class:`ReadBackError` (a
   :class:`DNSError`) carrying the ChangeSet. A server can answer NOERROR
   and change nothing (FIELD_NOTES.md, RFC 2317).

Setting a PTR to its current value writes nothing at all.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable, Mapping
from typing import Any, Literal, NamedTuple

import attrs
import dns.exception
import dns.resolver

from hostlib.dns.backend import Lookup, PtrBackend
from hostlib.dns.changes import ChangeSet, PtrChange
from hostlib.dns.names import (
    ClasslessMap,
    IPAddress,
    normalize_hostname,
    parse_ip,
    reverse_name,
)
from hostlib.errors import DNSError, PermissionDenied, ValidationError

__all__ = ["ForwardCheck", "PtrMapping", "ReadBackError", "ReverseDNS"]

log = logging.getLogger(__name__)

ForwardCheck = Literal["off", "warn", "require"]
#: address (str, IPv4Address or IPv6Address) -> hostname, or None to delete.
#: Keys are typed Any because Mapping is invariant in its key type; each key
#: is validated at run time (ValidationError naming it).
PtrMapping = Mapping[Any, str | None]
_FORWARD_MODES = ("off", "warn", "require")
_MAX_CNAME_HOPS = 8


class ReadBackError(DNSError):
    """Changes were sent but did not all take; ``changeset.failed`` lists them.

    Attributes:
        changeset: the ChangeSet of the apply, with ``failed`` filled in.
    """

    def __init__(self, message: str, changeset: ChangeSet) -> None:
        super().__init__(message)
        self.changeset = changeset


class _Located(NamedTuple):
    """Where the PTRs of some addresses live and what they hold now, by position."""

    names: list[str]
    zones: list[str]
    current: list[str | None]


_NOTHING = Lookup()


_V6_FLAG = 1 << 128


def _ip_key(ip: IPAddress) -> int:
    """Sort key and dict key: IPv4 before IPv6, then by value (an int hashes fast)."""
    return int(ip) | _V6_FLAG if ip.version == 6 else int(ip)


def _parse_networks(
    networks: Iterable[str | ipaddress.IPv4Network | ipaddress.IPv6Network] | None,
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] | None:
    if networks is None:
        return None
    if isinstance(networks, str):
        networks = [networks]
    parsed: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
    for item in networks:
        try:
            parsed.append(ipaddress.ip_network(item, strict=True))
        except (ValueError, TypeError) as exc:
            raise ValidationError(
                f"allowed network {item!r} is not a network in CIDR notation (like "
                f"192.0.2.0/26 or 2001:db8::/48, no host bits set): {exc}"
            ) from exc
    return tuple(parsed)


class ReverseDNS:
    """Get, set, delete and bulk-apply PTR records.

    Args:
        backend: where the records live (``RFC2136Backend``, ``ZoneFileBackend``
            or any :class:`~hostlib.dns.backend.PtrBackend`).
        classless: RFC 2317 delegations; a mapping is turned into a
            :class:`ClasslessMap`. Without one, CNAMEs found at plain reverse
            names are still followed.
        allowed_networks: if given, every address must lie in one of these
            networks, else :class:`PermissionDenied` before anything is sent.
        forward_check: "off", "warn" (log a warning) or "require" (refuse
            with :class:`ValidationError`) when a new hostname's A/AAAA
            records do not contain the address.
        resolver: ``(host, port)`` of the DNS server asked for forward
            checks; default the system's resolvers.
        timeout: seconds for each forward-check query.

    Raises:
        ValidationError: a bad option.
    """

    def __init__(
        self,
        backend: PtrBackend,
        *,
        classless: ClasslessMap | Mapping[str, str] | None = None,
        allowed_networks: Iterable[str | ipaddress.IPv4Network | ipaddress.IPv6Network]
        | None = None,
        forward_check: ForwardCheck = "off",
        resolver: tuple[str, int] | None = None,
        timeout: float = 5.0,
    ) -> None:
        if forward_check not in _FORWARD_MODES:
            raise ValidationError(
                f"forward_check {forward_check!r} is not known: use one of "
                + ", ".join(_FORWARD_MODES)
            )
        if resolver is not None:
            if (
                not isinstance(resolver, tuple)
                or len(resolver) != 2
                or not isinstance(resolver[1], int)
            ):
                raise ValidationError(
                    f"resolver {resolver!r} must be a (host, port) tuple like ('127.0.0.1', 53)"
                )
            parse_ip(resolver[0])
        self.backend = backend
        self.classless = (
            classless
            if isinstance(classless, ClasslessMap) or classless is None
            else ClasslessMap(classless)
        )
        self.allowed_networks = _parse_networks(allowed_networks)
        self.forward_check: ForwardCheck = forward_check
        self.resolver = resolver
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"ReverseDNS({self.backend!r}, forward_check={self.forward_check!r})"

    # -- public API ---------------------------------------------------------

    def get_ptr(self, ip: IPAddress | str) -> str | None:
        """The hostname ``ip`` points at (absolute), or None.

        Raises:
            ValidationError: ``ip`` is not an address.
            PermissionDenied: ``ip`` is outside the allowed networks.
            DNSError: the backend could not be read.
        """
        address = parse_ip(ip)
        self._check_allowed([address])
        return self._locate([address]).current[0]

    def set_ptr(self, ip: IPAddress | str, hostname: str, *, strict: bool = True) -> ChangeSet:
        """Point ``ip`` at ``hostname``; nothing is written if it already does."""
        if hostname is None:
            raise ValidationError("hostname is None: use delete_ptr() to remove a PTR")
        return self.apply({ip: hostname}, strict=strict)

    def delete_ptr(self, ip: IPAddress | str, *, strict: bool = True) -> ChangeSet:
        """Remove ``ip``'s PTR; nothing is written if there is none."""
        return self.apply({ip: None}, strict=strict)

    def plan(self, mapping: PtrMapping) -> ChangeSet:
        """The ChangeSet ``apply(mapping)`` would make; nothing is written.

        Raises:
            ValidationError: a bad address or hostname, or (forward_check
                "require") a hostname whose A/AAAA does not hold the address.
            PermissionDenied: an address outside the allowed networks.
            DNSError: the backend or the forward resolver could not be read.
        """
        return ChangeSet.from_changes(self._plan_changes(mapping))

    def apply(
        self,
        mapping: PtrMapping | ChangeSet,
        *,
        strict: bool = True,
    ) -> ChangeSet:
        """Make each address in ``mapping`` point at its hostname (None: delete).

        ``mapping`` may also be a ChangeSet from :meth:`plan`: its changes are
        written as planned, with the values read at plan time as
        prerequisites, so anything changed since is a ConflictError.

        Returns:
            the ChangeSet; ``failed`` holds changes that did not read back.

        Raises:
            ValidationError, PermissionDenied: as :meth:`plan`; nothing sent.
            ConflictError: a record changed since it was read. Zones are
                written one batch each, in name order; batches of zones before
                the conflicting one stay applied.
            DNSUpdateRefused: the server refused an update.
            ReadBackError: (a DNSError; only with ``strict=True``) some
                changes did not take; ``exc.changeset.failed`` lists them.
            DNSError: the backend failed.
        """
        if isinstance(mapping, ChangeSet):
            changes = sorted(mapping.pending + mapping.unchanged, key=lambda c: _ip_key(c.ip))
            self._check_allowed(c.ip for c in changes)
        else:
            changes = self._plan_changes(mapping)
        pending = [c for c in changes if c.old != c.new]
        if not pending:
            return ChangeSet.from_changes(changes)
        by_zone: dict[str, list[PtrChange]] = {}
        for change in pending:
            by_zone.setdefault(change.zone, []).append(change)
        for zone in sorted(by_zone):
            self.backend.write(by_zone[zone])
        after = self.backend.read([c.name for c in pending])
        failed = tuple(c for c in pending if after.get(c.name, _NOTHING).ptr != c.new)
        result = attrs.evolve(ChangeSet.from_changes(changes), failed=failed)
        if failed and strict:
            shown = ", ".join(
                f"{c.ip} ({c.name}: wanted {c.new or 'no PTR'}, found "
                f"{after.get(c.name, Lookup()).ptr or 'no PTR'})"
                for c in failed[:10]
            )
            more = f" and {len(failed) - 10} more" if len(failed) > 10 else ""
            raise ReadBackError(
                f"{len(failed)} of {len(pending)} PTR changes did not take although the "
                f"backend accepted them: {shown}{more}. Check the server's log (an RFC 2317 "
                "alias written instead of its CNAME target?) and apply again",
                result,
            )
        if failed:
            log.warning("%d PTR changes did not read back: %s", len(failed), failed)
        return result

    # -- internals ----------------------------------------------------------

    def _normalize(self, mapping: PtrMapping) -> list[tuple[IPAddress, str | None]]:
        """``(address, hostname or None)`` for each distinct address, in address order."""
        if not isinstance(mapping, Mapping):
            raise ValidationError(
                f"PTR changes must be a mapping of IP address to hostname or None, "
                f"not {type(mapping).__name__}"
            )
        wanted: dict[int, tuple[IPAddress, str | None]] = {}
        for key, value in mapping.items():
            address = parse_ip(key)
            if value is None:
                target = None
            else:
                try:
                    target = normalize_hostname(value)
                except ValidationError as exc:
                    raise ValidationError(f"PTR for {address}: {exc}") from exc
            first = wanted.setdefault(_ip_key(address), (address, target))
            if first[1] != target:
                raise ValidationError(
                    f"address {address} is given twice with different hostnames "
                    f"({first[1]} and {target}); give it once"
                )
        return [wanted[key] for key in sorted(wanted)]

    def _check_allowed(self, addresses: Iterable[IPAddress]) -> None:
        if self.allowed_networks is None:
            return
        addresses = list(addresses)
        outside = [a for a in addresses if not any(a in net for net in self.allowed_networks)]
        if outside:
            shown = ", ".join(str(a) for a in sorted(outside, key=_ip_key)[:10])
            allowed = ", ".join(str(n) for n in self.allowed_networks) or "none"
            raise PermissionDenied(
                f"address(es) {shown} are outside the allowed networks ({allowed}); "
                "PTRs may only be changed for addresses you hold"
            )

    def _plan_changes(self, mapping: PtrMapping) -> list[PtrChange]:
        items = self._normalize(mapping)
        addresses = [address for address, _new in items]
        self._check_allowed(addresses)
        located = self._locate(addresses)
        changes = [
            PtrChange(address, name, zone, current, new)
            for (address, new), name, zone, current in zip(
                items, located.names, located.zones, located.current, strict=True
            )
        ]
        if self.forward_check != "off":
            self._forward_confirm([c for c in changes if c.new is not None and c.new != c.old])
        return changes

    def _locate(self, addresses: list[IPAddress]) -> _Located:
        """Each address's PTR owner name, zone and current value (in the order given).

        Lists by position rather than dicts by address: hashing ten thousand
        IPv6Address objects a dozen times each was a measurable share of a
        bulk apply.
        """
        plain = [reverse_name(address) for address in addresses]
        zone: list[str | None]
        if self.classless is None:
            owner = list(plain)
            zone = [None] * len(addresses)
            # Distinct addresses have distinct reverse names.
            found = self.backend.read(plain) if plain else {}
        else:
            located = [self.classless.owner(address) for address in addresses]
            owner = [name for name, _zone in located]
            zone = [where for _name, where in located]
            found = self.backend.read(sorted(set(owner) | set(plain)))
            self._check_delegations(addresses, plain, owner, zone, found)
        # Follow CNAMEs (RFC 2317 without a configured map) hop by hop.
        for _ in range(_MAX_CNAME_HOPS):
            hops = {
                i: cname
                for i in range(len(addresses))
                if zone[i] is None and (cname := found.get(owner[i], _NOTHING).cname) is not None
            }
            if not hops:
                break
            for i, target in hops.items():
                owner[i] = target
            missing = sorted(set(hops.values()) - set(found))
            if missing:
                found = {**found, **self.backend.read(missing)}
        else:
            looped = [
                str(a) for i, a in enumerate(addresses) if found.get(owner[i], _NOTHING).cname
            ]
            raise DNSError(
                f"CNAME chain longer than {_MAX_CNAME_HOPS} (a loop?) for {', '.join(looped)}; "
                "fix the reverse zone's CNAMEs"
            )
        zone_for = self.backend.zone_for
        return _Located(
            owner,
            [where or zone_for(name) for where, name in zip(zone, owner, strict=True)],
            [found.get(name, _NOTHING).ptr for name in owner],
        )

    @staticmethod
    def _check_delegations(
        addresses: list[IPAddress],
        plain: list[str],
        owner: list[str],
        zone: list[str | None],
        found: dict[str, Lookup],
    ) -> None:
        """The parent zone agrees with the classless map: a CNAME to the mapped name, no PTR."""
        for i, address in enumerate(addresses):
            if zone[i] is None:
                continue
            alias = found.get(plain[i], _NOTHING)
            if alias.cname is not None and alias.cname != owner[i]:
                raise DNSError(
                    f"{plain[i]} is a CNAME to {alias.cname}, but the classless map "
                    f"puts {address} at {owner[i]}; fix the map or the delegation"
                )
            if alias.ptr is not None:
                raise DNSError(
                    f"{plain[i]} holds a PTR in the parent zone although {address} is "
                    f"delegated to {zone[i]}; remove it there (it hides the delegation)"
                )

    def _forward_confirm(self, changes: list[PtrChange]) -> None:
        if self.forward_check == "off" or not changes:
            return
        resolver = dns.resolver.Resolver(configure=self.resolver is None)
        if self.resolver is not None:
            resolver.nameservers = [self.resolver[0]]
            resolver.port = self.resolver[1]
        resolver.lifetime = self.timeout
        answers: dict[tuple[str, str], set[IPAddress]] = {}
        for change in changes:
            assert change.new is not None
            rdtype = "A" if change.ip.version == 4 else "AAAA"
            key = (change.new, rdtype)
            problem: str | None = None
            try:
                if key not in answers:
                    answers[key] = self._forward(resolver, change.new, rdtype)
            except DNSError as exc:
                if self.forward_check == "require":
                    raise
                problem = str(exc)
            if problem is None and change.ip not in answers[key]:
                found = ", ".join(str(a) for a in sorted(answers[key], key=_ip_key))
                problem = (
                    f"forward check failed: {change.new} has {rdtype} "
                    f"{found or 'no records'}, not {change.ip}; add the {rdtype} record "
                    "first or choose another hostname"
                )
            if problem is None:
                continue
            if self.forward_check == "require":
                raise ValidationError(f"PTR {change.ip} -> {change.new}: {problem}")
            log.warning("PTR %s -> %s: %s", change.ip, change.new, problem)

    def _forward(
        self, resolver: dns.resolver.Resolver, hostname: str, rdtype: str
    ) -> set[IPAddress]:
        try:
            answer = resolver.resolve(hostname, rdtype, raise_on_no_answer=False, search=False)
        except dns.resolver.NXDOMAIN:
            return set()
        except dns.resolver.NoNameservers as exc:
            raise DNSError(
                f"cannot confirm {hostname}: the resolver failed to answer ({exc})"
            ) from exc
        except dns.exception.Timeout as exc:
            where = f"{self.resolver[0]} port {self.resolver[1]}" if self.resolver else "system"
            raise DNSError(
                f"cannot confirm {hostname}: the resolver ({where}) did not answer in "
                f"{self.timeout} s"
            ) from exc
        except dns.exception.DNSException as exc:
            raise DNSError(f"cannot confirm {hostname}: {exc}") from exc
        return {ipaddress.ip_address(rdata.to_text()) for rdata in answer}
