"""Zone transfers (AXFR) as the RFC 2136 backend reads them: parsed and verified.

:class:`Transfer` takes the messages of one AXFR answer one at a time and
keeps only what reverse DNS needs (PTR and CNAME records, delegation cuts,
the SOA serial), checking each message's TSIG as RFC 8945 requires. Names
are decoded by :func:`~hostlib.dns._rfc2136_wire.read_name`; the MACs are
checked by dnspython.
"""

from __future__ import annotations

import functools
import struct
import time
from typing import Any

import dns.exception
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TSIG
import dns.tsig

from hostlib.dns._rfc2136_wire import PLAIN_LABEL, WireError, query_wire, read_name, u16

__all__ = ["Transfer", "TransferRefused", "UnsignedAnswer", "axfr_query"]

# Record types (dnspython's values, as plain ints for the hot loop).
_NS = 2
_CNAME = 5
_SOA = 6
_PTR = 12
_DNAME = 39
_TSIG = 250
_AXFR = 252
#: RFC 8945 5.3.1: a client must accept up to 99 unsigned messages in a row.
_MAX_UNSIGNED_RUN = 99


class UnsignedAnswer(WireError):
    """A transfer message that had to carry a TSIG record and did not."""


class TransferRefused(Exception):
    """The server would not transfer the zone (REFUSED, NOTAUTH, NOTIMP...)."""

    def __init__(self, rcode: int) -> None:
        super().__init__(rcode)
        self.rcode = rcode


class Transfer:
    """An AXFR answer stream, parsed one message at a time (:meth:`feed`).

    Keeps only what reverse DNS needs: the PTR and CNAME records (owner ->
    ``[(type, target)]``, names as absolute lower-case text), the owners of
    delegations and DNAMEs below the apex (``cuts``: the transfer does not
    answer for names under them) and the SOA serial. With a key, every
    message's TSIG is verified (RFC 8945 5.3.1: the first and last message
    signed, at most 99 unsigned in a row, each MAC chained to the previous
    one); a bad MAC raises ``dns.tsig.BadSignature``, a server-side TSIG
    error ``dns.tsig.PeerError``, a missing TSIG :class:`UnsignedAnswer`.
    """

    def __init__(
        self,
        zone: str,
        qid: int,
        key: dns.tsig.Key | None = None,
        request_mac: bytes = b"",
        wanted: set[str] | frozenset[str] | None = None,
    ) -> None:
        self.zone = zone
        self.qid = qid
        self.key = key
        self.request_mac = request_mac
        self.wanted = wanted
        self.records: dict[str, list[tuple[int, str]]] = {}
        self.cuts: set[str] = set()
        self.serial: int | None = None
        self.done = False
        #: records parsed (every type), and messages received
        self.count = 0
        self.messages = 0
        self._suffix = "." + zone if zone != "." else ""
        self._ctx: Any = None
        self._unsigned = 0
        self._broken = False

    def feed(self, wire: bytes) -> bool:
        """Parse the next message of the stream; True once the closing SOA was seen.

        One pass: the records are read, then the message's TSIG is verified
        (a message that fails leaves the transfer unusable, so nothing read
        from it is ever used).

        Raises:
            TransferRefused: the first message is an error answer.
            WireError: a malformed message or a broken transfer.
            dns.tsig.BadSignature, dns.tsig.PeerError...: TSIG failed.
        """
        if self.done or self._broken:
            raise WireError("message after the end (or a failure) of the zone transfer")
        if len(wire) < 12:
            raise WireError("message shorter than a DNS header")
        qid, flags, qdcount, ancount, nscount, arcount = struct.unpack("!HHHHHH", wire[:12])
        if qid != self.qid or not flags & 0x8000:
            raise WireError("a message of the transfer answers another query")
        first = self.messages == 0
        self.messages += 1
        self._broken = True  # until this message is read and verified
        pos = 12
        for _ in range(qdcount):
            pos = _skip_name(wire, pos) + 4
        rcode = flags & 0x000F
        try:
            if rcode == 0:
                pos = self._records(wire, pos, ancount)
            else:
                pos = _skip_records(wire, pos, ancount)
            pos = _skip_records(wire, pos, nscount)
        except IndexError:
            raise WireError("message truncated") from None
        tsig_at = -1
        for index in range(arcount):
            start = pos
            pos = _skip_name(wire, pos)
            rtype = u16(wire, pos)
            pos += 10 + u16(wire, pos + 8)
            if rtype == _TSIG:
                if index != arcount - 1:
                    raise WireError("TSIG record is not the last one of the message")
                tsig_at = start
        if pos > len(wire):
            raise WireError("record data runs past the message")
        if pos != len(wire):
            raise WireError("trailing bytes after the last record")
        self._verify(wire, tsig_at, first)
        if rcode != 0:
            if first:
                raise TransferRefused(rcode)
            raise WireError(f"transfer broke off with rcode {rcode}")
        if self.done and self.key is not None and tsig_at < 0:
            raise UnsignedAnswer("the last message of the transfer is not signed")
        self._broken = False
        return self.done

    def _verify(self, wire: bytes, tsig_at: int, first: bool) -> None:
        key = self.key
        if key is None:
            return
        if tsig_at < 0:
            self._unsigned += 1
            if first or self._unsigned > _MAX_UNSIGNED_RUN:
                raise UnsignedAnswer(
                    "a message of the transfer carries no TSIG record where one is required"
                )
            # RFC 8945 5.3.1: an unsigned message enters the next MAC whole.
            self._ctx.update(wire)
            return
        self._unsigned = 0
        owner, rdata = _tsig_record(wire, tsig_at)
        self._ctx = dns.tsig.validate(  # type: ignore[no-untyped-call]
            wire,
            key,
            owner,
            rdata,
            int(time.time()),
            self.request_mac,
            tsig_at,
            self._ctx,
            True,
        )

    def _records(self, wire: bytes, pos: int, count: int) -> int:
        """Read ``count`` answer records from ``pos``; the offset after them.

        The hot loop of a bulk read (one pass per record, about 2 us): the
        usual owner and target, one plain label and a compression pointer to
        a name already read, are decoded inline; anything else goes through
        :func:`read_name`. Out-of-range indexing raises IndexError (the
        caller reports a truncated message).
        """
        names: dict[int, str] = {}  # offset -> text of the names read so far
        suffix = self._suffix
        zone = self.zone
        records = self.records
        wanted = self.wanted
        size = len(wire)
        kept = 0
        for _ in range(count):
            if self.done:
                raise WireError("records after the closing SOA of the transfer")
            owner_at = pos
            owner = None
            length = wire[pos]
            if 0 < length < 64 and wire[pos + 1 + length] >= 0xC0:
                end = pos + length + 3
                pointer = (wire[end - 2] & 0x3F) << 8 | wire[end - 1]
                tail = names.get(pointer) if pointer < pos else None
                if tail is not None:
                    label = wire[pos + 1 : end - 2]
                    if label.isalnum() or PLAIN_LABEL.match(label):
                        owner = label.decode("ascii").lower() + "." + tail
                        names[pos] = owner
            else:
                owner, end = read_name(wire, pos, names)
            rtype = wire[end] << 8 | wire[end + 1]
            rdata_at = end + 10
            pos = rdata_at + (wire[end + 8] << 8 | wire[end + 9])
            if pos > size:
                raise WireError("record data runs past the message")
            kept += 1
            if rtype in (_PTR, _CNAME):
                if self.serial is None:
                    raise WireError("the transfer does not start with the zone's SOA")
                if owner is None:
                    owner = read_name(wire, owner_at, names)[0]
                if not owner.endswith(suffix) and owner != zone:
                    raise WireError(f"record {owner} is outside zone {zone}")
                if wanted is not None and owner not in wanted:
                    continue
                length = wire[rdata_at]
                target = None
                if 0 < length < 64 and pos == rdata_at + length + 3 and wire[pos - 2] >= 0xC0:
                    pointer = (wire[pos - 2] & 0x3F) << 8 | wire[pos - 1]
                    tail = names.get(pointer) if pointer < rdata_at else None
                    if tail is not None:
                        label = wire[rdata_at + 1 : pos - 2]
                        if (
                            label.isalnum()
                            or label.replace(b"-", b"").isalnum()  # host-name labels, no regex
                            or PLAIN_LABEL.match(label)
                        ):
                            target = label.decode("ascii").lower() + "." + tail
                            names[rdata_at] = target
                if target is None:
                    target, target_end = read_name(wire, rdata_at, names)
                    if target_end != pos:
                        raise WireError("PTR/CNAME data is not exactly one name")
                got = records.get(owner)
                if got is None:
                    records[owner] = [(rtype, target)]
                else:
                    got.append((rtype, target))
            elif rtype == _SOA:
                self.count += kept
                kept = 0
                self._soa(wire, owner_at, rdata_at, pos, names)
            elif self.serial is None:
                raise WireError("the transfer does not start with the zone's SOA")
            elif rtype in (_NS, _DNAME):
                owner = owner or read_name(wire, owner_at, names)[0]
                if owner != zone:
                    if not owner.endswith(suffix):
                        raise WireError(f"record {owner} is outside zone {zone}")
                    self.cuts.add(owner)
        self.count += kept
        return pos

    def _soa(
        self, wire: bytes, owner_at: int, rdata_at: int, end: int, names: dict[int, str]
    ) -> None:
        """The zone's SOA: the first record of the transfer, and (same serial) its last."""
        owner = read_name(wire, owner_at, names)[0]
        if owner != self.zone:
            raise WireError(f"SOA of {owner} in the transfer of {self.zone}")
        _mname, at = read_name(wire, rdata_at, names)
        _rname, at = read_name(wire, at, names)
        if at + 20 != end:
            raise WireError("SOA record data has the wrong length")
        serial = int.from_bytes(wire[at : at + 4], "big")
        if self.serial is None:
            if self.count != 1:
                raise WireError("the transfer does not start with the zone's SOA")
            self.serial = serial
        elif serial != self.serial:
            raise WireError("the zone changed during the transfer (SOA serials differ)")
        else:
            self.done = True

    def lookups(
        self, names: set[str] | list[str]
    ) -> tuple[dict[str, list[tuple[int, str]]], list[str]]:
        """The records of each name the transfer answers for, and the names it does not.

        A name at or below a cut (delegation or DNAME) is not answered: its
        records live elsewhere.
        """
        answered: dict[str, list[tuple[int, str]]] = {}
        outside: list[str] = []
        cuts = tuple("." + cut for cut in self.cuts)
        for name in names:
            if (name in self.cuts) or (cuts and name.endswith(cuts)):
                outside.append(name)
            else:
                answered[name] = self.records.get(name, [])
        return answered, outside


def axfr_query(qid: int, zone: bytes) -> bytes:
    """An AXFR query for ``zone`` (uncompressed wire)."""
    return query_wire(qid, zone, _AXFR)


def _skip_name(wire: bytes, pos: int) -> int:
    """The offset just past the (possibly compressed) name at ``pos``."""
    size = len(wire)
    while True:
        if pos >= size:
            raise WireError("name runs past the message")
        length = wire[pos]
        if length == 0:
            return pos + 1
        if length >= 0xC0:
            return pos + 2
        if length > 63:
            raise WireError("unknown label type")
        pos += 1 + length


def _skip_records(wire: bytes, pos: int, count: int) -> int:
    """The offset after ``count`` records from ``pos`` (read, not decoded)."""
    size = len(wire)
    for _ in range(count):
        pos = _skip_name(wire, pos)
        if pos + 10 > size:
            raise WireError("message truncated")
        pos += 10 + (wire[pos + 8] << 8 | wire[pos + 9])
    return pos


def _tsig_record(wire: bytes, at: int) -> tuple[dns.name.Name, dns.rdtypes.ANY.TSIG.TSIG]:
    """The owner (key name) and rdata of the TSIG record at offset ``at``.

    Laid out by hand (a transfer carries one per message, with the same key
    and algorithm names each time: those are parsed once); the MAC itself
    is checked by dnspython.
    """
    try:
        owner_end = _skip_name(wire, at)
        owner = _wire_name(wire, at, owner_end)
        rdlength = u16(wire, owner_end + 8)
        start = owner_end + 10
        end = start + rdlength
        if end > len(wire):
            raise WireError("TSIG record runs past the message")
        algorithm_end = _skip_name(wire, start)
        algorithm = _wire_name(wire, start, algorithm_end)
        pos = algorithm_end
        time_signed = int.from_bytes(wire[pos : pos + 6], "big")
        fudge, mac_size = struct.unpack_from("!HH", wire, pos + 6)
        mac = wire[pos + 10 : pos + 10 + mac_size]
        pos += 10 + mac_size
        original_id, error, other_size = struct.unpack_from("!HHH", wire, pos)
        other = wire[pos + 6 : pos + 6 + other_size]
        if pos + 6 + other_size != end or len(mac) != mac_size:
            raise WireError("TSIG record data has the wrong length")
        rdata = dns.rdtypes.ANY.TSIG.TSIG(  # type: ignore[no-untyped-call]
            dns.rdataclass.ANY,
            dns.rdatatype.TSIG,
            algorithm,
            time_signed,
            fudge,
            mac,
            original_id,
            error,
            other,
        )
    except (struct.error, dns.exception.DNSException, ValueError) as exc:
        raise WireError(f"malformed TSIG record ({type(exc).__name__})") from exc
    return owner, rdata


@functools.lru_cache(maxsize=64)
def _name_from_bytes(raw: bytes) -> dns.name.Name:
    return dns.name.from_wire(raw, 0)[0]


def _wire_name(wire: bytes, start: int, end: int) -> dns.name.Name:
    """The name at ``wire[start:end]``: from a small cache when it is not compressed."""
    pos = start
    while pos < end:
        length = wire[pos]
        if length == 0:
            return _name_from_bytes(wire[start:end])
        if length >= 0xC0:
            break
        pos += 1 + length
    return dns.name.from_wire(wire, start)[0]
