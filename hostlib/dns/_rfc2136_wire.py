"""Wire format of the RFC 2136 update and query messages the backend sends.

dnspython builds the same messages through its object model at about
0.2 ms per change for IPv6 reverse names (34 labels each), which made
bulk writes CPU-bound in Python. These messages are simple enough to lay
out directly: owner names are compressed against the zone name and against
their own first occurrence; TSIG signing is dnspython's (``dns.tsig.sign``).
Answers to queries are read by :class:`Answer`, names in any message by
:func:`read_name` (zone transfers: ``_zone_transfer``); update answers are parsed and
verified by dnspython.
"""

from __future__ import annotations

import functools
import re
import struct
import time

import dns.exception
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TSIG
import dns.tsig

from hostlib.errors import ValidationError

__all__ = [
    "PLAIN_LABEL",
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
    "u16",
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


def _labels_wire(dotted: bytes) -> bytes:
    """Each of the dot-separated plain labels of ``dotted`` behind its length byte."""
    return b"".join([_LENGTHS[len(label)] + label for label in dotted.split(b".")])


def _plain_wire(text: str) -> bytes:
    """Wire form of a name ``_PLAIN`` matched: its first label, then its parent's (cached)."""
    if text.count(".") < 8:
        return _labels_wire(text.encode("ascii"))  # the trailing dot gives the root label
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
        return _labels_wire(head[:-1].encode("ascii"))
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
        self.qtype = u16(wire, pos)
        pos += 4
        #: (owner, type, target) with target only for CNAME and PTR records.
        self.answer: list[tuple[str, int, str | None]] = []
        self.authority: list[tuple[str, int, str | None]] = []
        for section, count in ((self.answer, ancount), (self.authority, nscount)):
            for _ in range(count):
                owner, pos = read_name(wire, pos, names)
                rtype = u16(wire, pos)
                rdlength = u16(wire, pos + 8)
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
#: One label of plain characters (as bytes).
PLAIN_LABEL = re.compile(rb"[A-Za-z0-9_/-]+\Z")
# A run of labels of one plain character each (as in IPv6 reverse names).
_ONE_CHARACTER_LABELS = re.compile(rb"(?:\x01[A-Za-z0-9_/-])+")
# Plain labels joined by dots (checked together with the count of dots).
_PLAIN_LABELS = re.compile(rb"[A-Za-z0-9_/.-]+\Z")


def u16(wire: bytes, pos: int) -> int:
    """The 16-bit big-endian number at ``pos`` (WireError past the end)."""
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
                        or PLAIN_LABEL.match(label)
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
