"""Wire format of the RFC 2136 update and query messages the backend sends.

dnspython builds the same messages through its object model at about
0.2 ms per change for IPv6 reverse names (34 labels each), which made
bulk writes CPU-bound in Python. These messages are simple enough to lay
out directly: owner names are compressed against the zone name and against
their own first occurrence; TSIG signing is dnspython's (``dns.tsig.sign``),
and answers are parsed and verified by dnspython.
"""

from __future__ import annotations

import functools
import re
import struct
import time
from typing import Any

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TSIG
import dns.tsig

from hostlib.errors import ValidationError

__all__ = [
    "PLAIN_NAME",
    "POINTER_LIMIT",
    "Answer",
    "Prepared",
    "WireError",
    "UpdateBuilder",
    "checked_name_wire",
    "name_wire",
    "query_wire",
    "read_name",
    "relative_wire",
    "sign",
    "tsig_size",
]

_PTR = 12
_SOA = 6
_TSIG = 250
_IN = 1
_NONE = 254
_ANY = 255
_UPDATE_FLAGS = 5 << 11  # opcode UPDATE
_FUDGE = 300
#: Largest offset a compression pointer can reach.
POINTER_LIMIT = 0x3FFF
# Plain lower-case names (LDH plus "_" and "/" as RFC 2317 child labels use):
# encoded directly; anything else (escapes, odd bytes) goes through dnspython.
_PLAIN = re.compile(r"(?:[a-z0-9_/-]{1,63}\.)+\Z")
#: An absolute lower-case name of plain labels (up to 63 characters each).
PLAIN_NAME = _PLAIN
_LENGTHS = [bytes((n,)) for n in range(64)]
# Fixed pieces of an update message.
_ZONE_POINTER = (0xC000 | 12).to_bytes(2, "big")  # the zone section's name
_NO_PTR_PREREQ = struct.pack("!HHIH", _PTR, _NONE, 0, 0)  # "no PTR RRset here"
_PTR_IS_HEAD = struct.pack("!HHI", _PTR, _IN, 0)  # "the PTR RRset is exactly", then length
_DELETE_PTRS = struct.pack("!HHIH", _PTR, _ANY, 0, 0)  # "delete the PTR RRset"


@functools.lru_cache(maxsize=65536)
def name_wire(text: str, what: str) -> bytes:
    """The uncompressed wire form of absolute lower-case name ``text`` (root label included).

    Raises:
        ValidationError: not a valid absolute DNS name.
    """
    if len(text) <= 254 and _PLAIN.match(text):
        return _plain_wire(text)
    try:
        name = dns.name.from_text(text)
    except dns.exception.DNSException as exc:
        raise ValidationError(
            f"{what} {text!r} is not a valid DNS name ({type(exc).__name__})"
        ) from exc
    return name.canonicalize().to_wire() or b""


def _plain_wire(text: str) -> bytes:
    """Wire form of a name ``_PLAIN`` matched: its first label, then its parent's (cached)."""
    if text.count(".") < 8:
        return b"".join(
            [_LENGTHS[len(label)] + label for label in text.encode("ascii").split(b".")]
        )
    head, _, rest = text.partition(".")
    label = _LENGTHS[len(head)] + head.encode("ascii")
    return label + (_parent_wire(rest) if rest else b"\0")


# Sibling names share parents: 16 IPv6 reverse names per parent name.
_parent_wire = functools.lru_cache(maxsize=8192)(_plain_wire)


def checked_name_wire(text: str) -> bytes:
    """The wire form of ``text``, a name validated before (absolute, lower-case).

    Plain text is laid out directly (no second check); a name with escapes
    goes through :func:`name_wire`.
    """
    if text.isascii() and "\\" not in text and text != ".":
        return _plain_wire(text)
    return name_wire(text, "name")


def relative_wire(name: str, zone: str, zone_wire: bytes) -> bytes:
    """The labels of ``name`` above ``zone`` (both validated, ``name`` inside ``zone``)."""
    head = name if zone == "." else name[: len(name) - len(zone)]  # "" or "label." ...
    if not head:
        return b""
    if head.isascii() and "\\" not in head:
        if len(head) == 2 * head.count("."):  # one-character labels: IPv6 nibbles
            return ("\x01" + head[:-1].replace(".", "\x01")).encode("ascii")
        labels = head[:-1].encode("ascii").split(b".")
        return b"".join([_LENGTHS[len(label)] + label for label in labels])
    full = name_wire(name, "owner name")
    return full[: len(full) - len(zone_wire)]


def tsig_size(keyname: bytes, algorithm: bytes) -> int:
    """Bytes a TSIG record adds (MAC up to 64 bytes: hmac-sha512)."""
    return len(keyname) + 10 + len(algorithm) + 6 + 2 + 2 + 64 + 2 + 2 + 2


def query_wire(qid: int, name: bytes, rdtype: int) -> bytes:
    """A non-recursive IN query for ``name`` (uncompressed wire)."""
    return struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0) + name + struct.pack("!HH", rdtype, _IN)


class Prepared:
    """One change in wire pieces: owner (relative to the zone), old and new targets."""

    __slots__ = ("new", "old", "prefix", "text")

    def __init__(self, text: str, prefix: bytes, old: bytes | None, new: bytes | None) -> None:
        self.text = text
        self.prefix = prefix  # owner labels above the zone, without the zone's
        self.old = old
        self.new = new

    def prereq_size(self) -> int:
        """Bytes of its prerequisite record (where the owner is written out)."""
        return len(self.prefix) + 2 + 10 + (len(self.old) if self.old is not None else 0)

    def update_size(self, owner_offset: int) -> int:
        """Bytes of its update records, given where its owner was written out."""
        ref = 2 if owner_offset <= POINTER_LIMIT else len(self.prefix) + 2
        size = ref + 10 if self.old is not None else 0  # delete the PTR RRset
        if self.new is not None:
            size += ref + 10 + len(self.new)
        return size


class UpdateBuilder:
    """Lays out one update message for one zone."""

    def __init__(self, zone: bytes, ttl: int) -> None:
        self.zone = zone
        self.ttl = ttl

    def build(self, qid: int, changes: list[Prepared]) -> bytes:
        zone_ptr = _ZONE_POINTER
        add_head = struct.pack("!HHI", _PTR, _IN, self.ttl)
        out = bytearray(12)
        out += self.zone + struct.pack("!HH", _SOA, _IN)
        owners: list[bytes] = []
        for change in changes:
            offset = len(out)
            out += change.prefix + zone_ptr
            # A compression pointer reaches 14 bits: past that, write the owner again.
            if offset <= POINTER_LIMIT:
                owners.append((0xC000 | offset).to_bytes(2, "big"))
            else:
                owners.append(change.prefix + zone_ptr)
            old = change.old
            if old is None:
                out += _NO_PTR_PREREQ  # NXRRSET: no PTR here
            else:  # the PTR RRset is exactly the old value
                out += _PTR_IS_HEAD + len(old).to_bytes(2, "big") + old
        updates = 0
        for change, owner in zip(changes, owners, strict=True):
            if change.old is not None:
                out += owner + _DELETE_PTRS
                updates += 1
            new = change.new
            if new is not None:
                out += owner + add_head + len(new).to_bytes(2, "big") + new
                updates += 1
        out[0:12] = struct.pack("!HHHHHH", qid, _UPDATE_FLAGS, 1, len(changes), updates, 0)
        return bytes(out)


def sign(wire: bytes, qid: int, key: dns.tsig.Key) -> tuple[bytes, bytes]:
    """``wire`` with a TSIG record appended; and the request MAC (to verify the answer)."""
    rdata = dns.rdtypes.ANY.TSIG.TSIG(  # type: ignore[no-untyped-call]
        dns.rdataclass.ANY, dns.rdatatype.TSIG, key.algorithm, 0, _FUDGE, b"", qid, 0, b""
    )
    now = int(time.time())
    signed, _ctx = dns.tsig.sign(wire, key, rdata, now, None)  # type: ignore[no-untyped-call]
    rdwire = signed.to_wire() or b""
    out = bytearray(wire)
    (adcount,) = struct.unpack("!H", wire[10:12])
    out[10:12] = struct.pack("!H", adcount + 1)
    out += key.name.to_wire() or b""
    out += struct.pack("!HHIH", _TSIG, _ANY, 0, len(rdwire)) + rdwire
    return bytes(out), bytes(signed.mac)


class WireError(ValueError):
    """An answer that is not a well-formed DNS message."""


class Answer:
    """The parts of an answer the backend looks at (parsed without dnspython's object model)."""

    __slots__ = ("aa", "answer", "authority", "qid", "qname", "qr", "qtype", "rcode")

    def __init__(self, wire: bytes, asked: tuple[bytes, str] | None = None) -> None:
        if len(wire) < 12:
            raise WireError("answer shorter than a DNS header")
        qid, flags, qdcount, ancount, nscount, _ar = struct.unpack("!HHHHHH", wire[:12])
        self.qid = qid
        self.qr = bool(flags & 0x8000)
        self.aa = bool(flags & 0x0400)
        self.rcode = flags & 0x000F
        if qdcount != 1:
            raise WireError("answer does not repeat exactly one question")
        names: dict[int, str] = {}
        if asked is not None and wire[12 : 12 + len(asked[0])].lower() == asked[0]:
            # The question echoes the one asked: a plain name's labels start at
            # the same offsets in the wire as in its text (length byte vs dot).
            qwire, text = asked
            pos = 12 + len(qwire)
            self.qname = text
            if _PLAIN_TEXT.match(text):
                k = 0
                while k < len(text) - 1:
                    names[12 + k] = text[k:]
                    k = text.index(".", k) + 1
        else:
            self.qname, pos = read_name(wire, 12, names)
        self.qtype = _u16(wire, pos)
        pos += 4
        #: (owner, type, target) with target only for CNAME and PTR records.
        self.answer: list[tuple[str, int, str | None]] = []
        self.authority: list[tuple[str, int, str | None]] = []
        for section, count in ((self.answer, ancount), (self.authority, nscount)):
            for _ in range(count):
                owner, pos = read_name(wire, pos, names)
                rtype = _u16(wire, pos)
                rdlength = _u16(wire, pos + 8)
                pos += 10
                if pos + rdlength > len(wire):
                    raise WireError("record data runs past the message")
                target = None
                if rtype in (_PTR, _CNAME):
                    target, _ = read_name(wire, pos, names)
                section.append((owner, rtype, target))
                pos += rdlength


_CNAME = 5
_PLAIN_TEXT = re.compile(r"(?:[a-z0-9_/-]{1,63}\.)+\Z")
_PLAIN_LABEL = re.compile(rb"[A-Za-z0-9_/-]+\Z")
# A run of labels of one plain character each (as in IPv6 reverse names).
_ONE_CHARACTER_LABELS = re.compile(rb"(?:\x01[A-Za-z0-9_/-])+")
# Plain labels joined by dots (checked together with the count of dots).
_PLAIN_LABELS = re.compile(rb"[A-Za-z0-9_/.-]+\Z")


def _u16(wire: bytes, pos: int) -> int:
    if pos + 2 > len(wire):
        raise WireError("message truncated")
    return int.from_bytes(wire[pos : pos + 2], "big")


def read_name(wire: bytes, pos: int, cache: dict[int, str] | None = None) -> tuple[str, int]:
    """The (possibly compressed) name at ``pos``, as absolute lower-case text; the end offset.

    ``cache`` maps offsets of this message already decoded to their text, so
    a compression pointer to a name read before costs one lookup. Pointers
    must point backwards (RFC 1035 4.1.4: to a prior occurrence).
    """
    if cache is not None:
        # Fast path, how servers compress sibling names: one label, then a
        # pointer to a name already decoded.
        try:
            length = wire[pos]
            after = pos + 1 + length
            if 0 < length < 64 and wire[after] >= 0xC0:
                target = (wire[after] & 0x3F) << 8 | wire[after + 1]
                tail = cache.get(target) if target < pos else None
                if tail is not None:
                    label = wire[pos + 1 : after]
                    if (
                        label.isalnum()
                        or label.replace(b"-", b"").isalnum()
                        or _PLAIN_LABEL.match(label)
                    ):
                        text = label.decode("ascii").lower() + "." + (tail if tail != "." else "")
                        cache[pos] = text
                        return text, after + 2
        except IndexError:
            pass  # the general path says what is wrong
    size = len(wire)
    # Label bytes in order; a run of one-character labels (IPv6 nibbles) is
    # read by one regex match and kept as one dotted piece.
    pieces: list[bytes] = []
    runs: list[int] = []  # indexes of the pieces that are runs
    count = 0  # labels read
    first = second = -1  # offsets of the first two labels: cached with their text
    end = -1
    lowest = pos  # every pointer must point below the lowest offset read so far
    suffix = ""  # text of the rest once found in the cache ("" : the root)
    while True:
        if end >= 0 and cache is not None and pos in cache:
            suffix = cache[pos]
            break
        if pos >= size:
            raise WireError("name runs past the message")
        length = wire[pos]
        if length >= 0xC0:
            if pos + 1 >= size:
                raise WireError("name runs past the message")
            if end < 0:
                end = pos + 2
            target = (length & 0x3F) << 8 | wire[pos + 1]
            if target >= lowest:
                raise WireError("compression pointer does not point backwards")
            pos = lowest = target
            continue
        if length > 63:
            raise WireError("unknown label type")
        if length == 0:
            pos += 1
            break
        if count < 2:
            if count == 0:
                first = pos
            else:
                second = pos
        run = _ONE_CHARACTER_LABELS.match(wire, pos) if length == 1 else None
        if run is not None:
            piece = run.group()
            if count == 0 and len(piece) > 2:
                second = pos + 2
            runs.append(len(pieces))
            pieces.append(piece[1:].replace(b"\x01", b"."))
            count += len(piece) // 2
            pos += len(piece)
            continue
        pieces.append(wire[pos + 1 : pos + 1 + length])
        count += 1
        pos += 1 + length
    if pos > size:
        raise WireError("name runs past the message")
    if end < 0:
        end = pos
    if suffix == ".":
        suffix = ""
    if not pieces:
        return suffix or ".", end
    joined = b".".join(pieces)
    if len(joined) + 1 + len(suffix) > 255:
        raise WireError("name longer than 255 octets")
    if joined.count(b".") != count - 1 or not _PLAIN_LABELS.match(joined):
        # A label with a dot, a space or other odd bytes: dnspython escapes it.
        labels: list[bytes] = []
        for index, piece in enumerate(pieces):
            if index in runs:
                labels.extend(piece.split(b"."))
            else:
                labels.append(piece)
        return dns.name.Name(labels).to_text().lower() + "." + suffix, end
    text = joined.decode("ascii").lower() + "." + suffix
    if cache is not None:
        cache[first] = text
        if second >= 0:
            cache[second] = text[text.index(".") + 1 :]
    return text, end


# ------------------------------------------------------------------ zone transfer

_NS = 2
_DNAME = 39
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
            rtype = _u16(wire, pos)
            pos += 10 + _u16(wire, pos + 8)
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
                    if label.isalnum() or _PLAIN_LABEL.match(label):
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
                            or _PLAIN_LABEL.match(label)
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
        rdlength = _u16(wire, owner_end + 8)
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
