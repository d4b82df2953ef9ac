"""DNS names for reverse DNS: reverse owner names, hostnames, RFC 2317 maps.

Inside hostlib every DNS name is absolute (trailing dot) and lower-case;
callers may leave the dot out. Bad input raises
:class:`~hostlib.errors.ValidationError` naming the part that is wrong.

RFC 2317 classless delegation: the parent zone ``2.0.192.in-addr.arpa.``
holds ``10.2.0.192.in-addr.arpa. CNAME 10.0-63.2.0.192.in-addr.arpa.`` and
the child zone ``0-63.2.0.192.in-addr.arpa.`` holds the PTR. A
:class:`ClasslessMap` says which block lives in which child zone, so PTRs
are written to the CNAME target (an update of the plain name lands in the
parent, where BIND answers NOERROR and changes nothing; see FIELD_NOTES.md).
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Iterator, Mapping

import idna

from hostlib.dns._known_names import remember
from hostlib.errors import ValidationError

__all__ = [
    "IPAddress",
    "ClasslessMap",
    "ip_from_reverse",
    "normalize_hostname",
    "normalize_zone",
    "parse_ip",
    "reverse_name",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_ADDRESS_TYPES = (ipaddress.IPv4Address, ipaddress.IPv6Address)  # faster in isinstance

_V4_SUFFIX = "in-addr.arpa."
_V6_SUFFIX = "ip6.arpa."
_LDH = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# A zone label may carry what RFC 2317 examples use ("0-63", "0/26", "_x").
_ZONE_LABEL = re.compile(r"^[a-z0-9_/-]{1,63}$")
_MAX_NAME = 253  # characters without the trailing dot (255 octets on the wire)
# Two or more LDH labels, optional trailing dot, nothing else (no spaces).
_FAST_HOSTNAME = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.?\Z"
)


def parse_ip(value: object) -> IPAddress:
    """Return ``value`` as an IPv4 or IPv6 address.

    Raises:
        ValidationError: not an address (names the value).
    """
    if isinstance(value, _ADDRESS_TYPES):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            # The family by its separator: ip_address() tries IPv4 first and
            # pays for an exception on every IPv6 address.
            if ":" in text:
                if "." not in text and "%" not in text:
                    # The C parser, then the integer constructor: a third of
                    # IPv6Address(text)'s cost. Same syntax for pure-hex forms
                    # (tested); dotted-quad tails and scopes take the full path.
                    try:  # (cheaper than contextlib.suppress in bulk)
                        raw = socket.inet_pton(socket.AF_INET6, text)
                    except OSError:
                        pass
                    else:
                        return ipaddress.IPv6Address(int.from_bytes(raw, "big"))
                return ipaddress.IPv6Address(text)
            return ipaddress.IPv4Address(text)
        except ValueError:
            pass
    raise ValidationError(
        f"{value!r} is not an IP address: give an IPv4 (192.0.2.10) or IPv6 (2001:db8::10) address"
    )


def reverse_name(ip: IPAddress | str) -> str:
    """The PTR owner name of ``ip``: ``10.2.0.192.in-addr.arpa.`` or nibbles in ``ip6.arpa.``.

    Raises:
        ValidationError: ``ip`` is not an address.
    """
    address = parse_ip(ip)
    if isinstance(address, ipaddress.IPv4Address):
        name = ".".join(map(str, reversed(address.packed))) + "." + _V4_SUFFIX
        return remember(name, name)
    # From the integer: ``exploded`` formats and re-parses hextets (slow in bulk).
    name = ".".join(f"{int(address):032x}"[::-1]) + "." + _V6_SUFFIX
    return remember(name, name)


def ip_from_reverse(name: str) -> IPAddress:
    """The address whose reverse owner name is ``name`` (trailing dot optional).

    Raises:
        ValidationError: ``name`` is not a complete reverse name (says which part).
    """
    if not isinstance(name, str):
        raise ValidationError(f"reverse name {name!r} must be a string")
    text = name.strip().lower()
    if not text.endswith("."):
        text += "."
    if text.endswith("." + _V4_SUFFIX):
        labels = text[: -len(_V4_SUFFIX) - 1].split(".")
        if len(labels) != 4:
            raise ValidationError(
                f"reverse name {name!r} has {len(labels)} address labels before "
                "in-addr.arpa; a full IPv4 reverse name has 4 (10.2.0.192.in-addr.arpa)"
            )
        for label in labels:
            if not label.isdigit() or not label.isascii() or str(int(label)) != label:
                raise ValidationError(
                    f"reverse name {name!r}: label {label!r} is not a decimal octet 0-255"
                )
            if int(label) > 255:
                raise ValidationError(f"reverse name {name!r}: label {label!r} is over 255")
        return ipaddress.IPv4Address(".".join(reversed(labels)))
    if text.endswith("." + _V6_SUFFIX):
        labels = text[: -len(_V6_SUFFIX) - 1].split(".")
        if len(labels) != 32:
            raise ValidationError(
                f"reverse name {name!r} has {len(labels)} nibble labels before ip6.arpa; "
                "a full IPv6 reverse name has 32"
            )
        for label in labels:
            if len(label) != 1 or label not in "0123456789abcdef":
                raise ValidationError(
                    f"reverse name {name!r}: label {label!r} is not one hex digit"
                )
        return ipaddress.IPv6Address(int("".join(reversed(labels)), 16))
    raise ValidationError(
        f"{name!r} is not a reverse name: it must end in in-addr.arpa or ip6.arpa"
    )


def _to_alabel(label: str, text: str) -> str:
    try:
        return idna.alabel(label).decode("ascii")
    except (idna.IDNAError, UnicodeError) as exc:
        raise ValidationError(
            f"hostname {text!r}: label {label!r} is not a valid internationalized "
            f"label (IDNA 2008: {exc})"
        ) from exc


def normalize_hostname(text: str) -> str:
    """Return ``text`` as an absolute, lower-case, ASCII hostname.

    Unicode labels are converted to punycode (IDNA 2008 with UTS #46
    mapping); every label must then be letters, digits and inner hyphens,
    1-63 characters, the whole name at most 253 characters, with at least
    two labels and a top label that is not all digits.

    Raises:
        ValidationError: names the offending label and the rule it breaks.
    """
    if not isinstance(text, str):
        raise ValidationError(f"hostname {text!r} must be a string")
    # Fast path for the common case, a plain ASCII LDH name: the same rules
    # as below in one match (no IDNA work); anything else takes the full path.
    if text.isascii():
        lowered = text.lower()
        if _FAST_HOSTNAME.match(lowered) and "xn--" not in lowered:
            body = lowered[:-1] if lowered.endswith(".") else lowered
            if len(body) <= _MAX_NAME and not body.rsplit(".", 1)[1].isdigit():
                name = body + "."
                return remember(name, name)
    name = _normalize_hostname_full(text)
    return remember(name, name)


def _normalize_hostname_full(text: str) -> str:
    """``normalize_hostname`` without its fast path (IDNA, and every error message)."""
    stripped = text.strip()
    if not stripped or stripped == ".":
        raise ValidationError("hostname is empty: give a name like host.example.com")
    if not stripped.isascii():
        try:
            stripped = idna.uts46_remap(stripped, std3_rules=False, transitional=False)
        except (idna.IDNAError, UnicodeError) as exc:
            raise ValidationError(
                f"hostname {text!r} has characters IDNA cannot map: {exc}"
            ) from exc
    body = stripped[:-1] if stripped.endswith(".") else stripped
    labels = body.split(".")
    result: list[str] = []
    for position, label in enumerate(labels, 1):
        if not label:
            raise ValidationError(
                f"hostname {text!r}: label #{position} is empty (two dots in a row, or a "
                "leading dot); remove it"
            )
        ascii_label = label.lower() if label.isascii() else _to_alabel(label, text)
        if len(ascii_label) > 63:
            raise ValidationError(
                f"hostname {text!r}: label {label!r} is {len(ascii_label)} characters "
                "long; the limit is 63"
            )
        if not _LDH.match(ascii_label):
            if ascii_label.startswith("-") or ascii_label.endswith("-"):
                rule = "must not start or end with a hyphen"
            else:
                rule = "may hold only letters a-z, digits and hyphens"
            raise ValidationError(f"hostname {text!r}: label {label!r} {rule}")
        if ascii_label.startswith("xn--"):
            try:
                idna.ulabel(ascii_label)
            except (idna.IDNAError, UnicodeError) as exc:
                raise ValidationError(
                    f"hostname {text!r}: label {label!r} is not valid punycode ({exc})"
                ) from exc
        result.append(ascii_label)
    name = ".".join(result)
    if len(name) > _MAX_NAME:
        raise ValidationError(
            f"hostname {text!r} is {len(name)} characters long; the limit is {_MAX_NAME}"
        )
    if len(result) < 2:
        raise ValidationError(
            f"hostname {text!r} has a single label; give a fully qualified name "
            "like host.example.com"
        )
    if result[-1].isdigit():
        raise ValidationError(
            f"hostname {text!r}: top label {labels[-1]!r} is all digits; a PTR must "
            "point at a name, not an address"
        )
    return name + "."


def normalize_zone(text: str) -> str:
    """Return a zone or owner name absolute and lower-case.

    Zone labels may use the characters RFC 2317 examples use (``0-63``,
    ``0/26``, ``_sub``) besides letters and digits.

    Raises:
        ValidationError: empty labels, bad characters, too long.
    """
    if not isinstance(text, str):
        raise ValidationError(f"zone name {text!r} must be a string")
    body = text.strip().lower()
    body = body[:-1] if body.endswith(".") else body
    if not body:
        raise ValidationError("zone name is empty: give a name like 2.0.192.in-addr.arpa")
    for position, label in enumerate(body.split("."), 1):
        if not _ZONE_LABEL.match(label):
            raise ValidationError(
                f"zone name {text!r}: label #{position} {label!r} must be 1-63 characters "
                "of letters, digits, '-', '_' or '/'"
            )
    if len(body) > _MAX_NAME:
        raise ValidationError(f"zone name {text!r} is longer than {_MAX_NAME} characters")
    return body + "."


def _parent(zone: str) -> str:
    return zone.split(".", 1)[1]


class ClasslessMap:
    """RFC 2317 classless delegations: which IPv4 block lives in which child zone.

    ``ClasslessMap({"192.0.2.0/26": "0-63.2.0.192.in-addr.arpa"})``. Each
    block must be longer than /24 and lie inside the /24 its child zone's
    parent is the reverse zone of; blocks must not overlap.

    Raises:
        ValidationError: a bad CIDR or zone, a block outside its zone's
            parent, or overlapping blocks (each named).
    """

    def __init__(self, delegations: Mapping[str, str]) -> None:
        entries: list[tuple[ipaddress.IPv4Network, str]] = []
        for cidr, zone in delegations.items():
            network = self._network(cidr)
            child = normalize_zone(zone)
            parent = reverse_name(network.network_address).split(".", 1)[1]
            if child.count(".") < 2 or _parent(child) != parent:
                raise ValidationError(
                    f"classless zone {zone!r} for {cidr}: its parent must be {parent} "
                    f"(the reverse zone of the /24 holding {cidr}), e.g. "
                    f"{network.network_address.packed[3]}-"
                    f"{network.broadcast_address.packed[3]}.{parent}"
                )
            for other, other_zone in entries:
                if network.overlaps(other):
                    raise ValidationError(
                        f"classless blocks {network} ({child}) and {other} ({other_zone}) "
                        "overlap; each address may be delegated to one zone only"
                    )
            entries.append((network, child))
        self._entries = tuple(sorted(entries, key=lambda e: int(e[0].network_address)))

    @staticmethod
    def _network(cidr: object) -> ipaddress.IPv4Network:
        if not isinstance(cidr, str):
            raise ValidationError(f"classless block {cidr!r} must be a CIDR string")
        try:
            network = ipaddress.ip_network(cidr.strip(), strict=True)
        except ValueError as exc:
            raise ValidationError(
                f"classless block {cidr!r} is not a network in CIDR notation "
                f"(like 192.0.2.0/26, no host bits set): {exc}"
            ) from exc
        if not isinstance(network, ipaddress.IPv4Network):
            raise ValidationError(
                f"classless block {cidr!r} is IPv6; RFC 2317 is for IPv4 only (IPv6 reverse "
                "zones are delegated on nibble boundaries and need no map)"
            )
        if network.prefixlen <= 24:
            raise ValidationError(
                f"classless block {cidr!r} is /{network.prefixlen}; RFC 2317 delegation "
                "is for blocks smaller than a /24 (prefix 25-32)"
            )
        return network

    def __repr__(self) -> str:
        inner = ", ".join(f"{net!s}: {zone!r}" for net, zone in self._entries)
        return f"ClasslessMap({{{inner}}})"

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[tuple[ipaddress.IPv4Network, str]]:
        return iter(self._entries)

    def __contains__(self, ip: object) -> bool:
        try:
            return self.zone(parse_ip(ip)) is not None
        except ValidationError:
            return False

    def zone(self, ip: IPAddress | str) -> str | None:
        """The child zone holding ``ip``'s PTR, or None if ``ip`` is not delegated."""
        address = parse_ip(ip)
        if not isinstance(address, ipaddress.IPv4Address):
            return None
        for network, zone in self._entries:
            if address in network:
                return zone
        return None

    def owner(self, ip: IPAddress | str) -> tuple[str, str | None]:
        """Where ``ip``'s PTR is written: ``(owner name, zone)``.

        For a delegated address, the CNAME target in the child zone
        (``10.0-63.2.0.192.in-addr.arpa.``) and that zone; otherwise the
        plain reverse name and None (the backend finds the zone).
        """
        address = parse_ip(ip)
        zone = self.zone(address)
        if zone is None:
            return reverse_name(address), None
        return f"{address.packed[3]}.{zone}", zone

    def alias(self, ip: IPAddress | str) -> str | None:
        """The plain reverse name that is a CNAME in the parent, or None if not delegated."""
        address = parse_ip(ip)
        if self.zone(address) is None:
            return None
        return reverse_name(address)
