"""PTR records on a DNS server by RFC 2136 dynamic update, signed with TSIG.

:class:`RFC2136Backend` implements :class:`~hostlib.dns.backend.PtrBackend`
with dnspython, always over TCP:

* ``zone_for`` takes the longest configured zone, else asks the server for
  the name's SOA (walking up past an RFC 2317 CNAME) and caches the answer;
* ``read`` transfers the zone (AXFR, parsed by a small purpose-built
  parser, every message's TSIG verified) when asked for more than
  ``axfr_threshold`` names of it and the zone is not known to be much
  bigger; otherwise it pipelines PTR queries over one connection (about
  0.1 ms a name on loopback). 10,000 names: about 0.05-0.1 s by transfer,
  1-2 s by queries;
* ``write`` groups changes by zone into update messages no larger than
  ``max_message_size``, pipelined (a few messages in flight); each change
  carries its ``old`` value as a prerequisite, so a record someone else
  changed in between is a :class:`~hostlib.errors.ConflictError`, never
  overwritten.

dnspython's exceptions never reach the caller; the TSIG secret never appears
in a repr, a log line or an error message.
"""

from __future__ import annotations

import base64
import binascii
import collections
import contextlib
import ipaddress
import logging
import operator
import os
import re
import secrets
import socket
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import attrs
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset
import dns.tsig
import dns.xfr

from hostlib._resolve import resolve
from hostlib.dns import _rfc2136_wire as _wire
from hostlib.dns import _zone_transfer as _xfr
from hostlib.dns._known_names import KNOWN, remember
from hostlib.dns.backend import Lookup
from hostlib.dns.changes import PtrChange
from hostlib.errors import (
    ConflictError,
    DNSError,
    DNSUpdateRefused,
    HostlibError,
    ValidationError,
)

__all__ = ["RFC2136Backend", "TsigKey"]

log = logging.getLogger(__name__)

#: TSIG algorithms a key may use (BIND's names).
ALGORITHMS: dict[str, dns.name.Name] = {
    "hmac-md5": dns.tsig.HMAC_MD5,
    "hmac-sha1": dns.tsig.HMAC_SHA1,
    "hmac-sha224": dns.tsig.HMAC_SHA224,
    "hmac-sha256": dns.tsig.HMAC_SHA256,
    "hmac-sha384": dns.tsig.HMAC_SHA384,
    "hmac-sha512": dns.tsig.HMAC_SHA512,
}

#: nsupdate cannot build more than about 33 KB; named took 38 KB from
#: dnspython (FIELD_NOTES.md). Stay below both by default.
DEFAULT_MAX_MESSAGE_SIZE = 32_000
#: ``read`` transfers a zone (AXFR) when asked for more names of it than
#: this. Measured on loopback: a pipelined query costs about 0.1-0.2 ms a
#: name (both sides), a transfer about 5-10 us a record (named's side
#: included) plus one connection and its TSIG.
DEFAULT_AXFR_THRESHOLD: int | None = 32
#: A transfer is cut off (and the names read by query) past this many
#: records per name asked for, plus a floor: a big zone is then known and
#: not transferred again for few names.
_AXFR_RECORDS_PER_QUERY = 20
_AXFR_FLOOR = 2_000
#: Zones one read groups its names by before sending the rest to queries.
_MAX_TRANSFER_ZONES = 16
_MAX_TRANSFER_ROUNDS = 3
#: Update messages sent before the first answer is read (pipelining).
_UPDATE_WINDOW = 4
_PIPELINE_WINDOW = 100
# The first label of an address's reverse name: an IPv4 octet or an IPv6 nibble.
_ADDRESS_LABEL = re.compile(
    r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.(?:[^.]+\.)*in-addr\.arpa\."
    r"|[0-9a-f]\.(?:[^.]+\.)*ip6\.arpa\.)\Z"
)
_CONFLICT_RCODES = {
    dns.rcode.YXDOMAIN: "a name that must not exist exists (YXDOMAIN)",
    dns.rcode.YXRRSET: "a PTR that must not exist exists (YXRRSET)",
    dns.rcode.NXDOMAIN: "a name that must exist does not (NXDOMAIN)",
    dns.rcode.NXRRSET: "a PTR is not the value it was read as (NXRRSET)",
}


def _name(text: str, what: str) -> dns.name.Name:
    """``text`` as an absolute lower-case dnspython name, or ValidationError."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationError(f"{what} must be a non-empty DNS name, got {text!r}")
    try:
        name = dns.name.from_text(text.strip().lower())
    except dns.exception.DNSException as exc:
        raise ValidationError(
            f"{what} {text!r} is not a valid DNS name ({type(exc).__name__}): "
            "use dot-separated labels of at most 63 characters, 253 in all"
        ) from exc
    return name


def _text(name: dns.name.Name) -> str:
    return name.to_text().lower()


def _norm(text: str, what: str) -> str:
    """``text`` as absolute lower-case text, validated (fast for plain names)."""
    known = KNOWN.get(text) if isinstance(text, str) else None
    if known is not None:
        return known
    if not isinstance(text, str) or not text.strip():
        raise ValidationError(f"{what} must be a non-empty DNS name, got {text!r}")
    if _V6_REVERSE.match(text) or (len(text) <= 254 and _wire.PLAIN_NAME.match(text)):
        absolute = text  # already absolute, lower-case and valid (the common case)
    else:
        absolute = _abs(text)
        _wire.name_wire(absolute, what)
    return remember(text, absolute)


# A full IPv6 reverse name: about twice as fast to match as PLAIN_NAME.
_V6_REVERSE = re.compile(r"(?:[0-9a-f]\.){32}ip6\.arpa\.\Z")
_NO_RECORD = Lookup()
_NO_RECORDS: tuple[tuple[int, str], ...] = ()


_HOST_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")


def _server_name(text: object) -> str:
    """``text`` as a host name to resolve (lower-case, no trailing dot), or ValidationError."""
    name = text.strip().lower().removesuffix(".") if isinstance(text, str) else ""
    if not (name and len(name) <= 253 and all(map(_HOST_LABEL.match, name.split(".")))):
        raise ValidationError(
            f"server {text!r} is neither an IP address nor a host name: give the primary's "
            "IPv4 or IPv6 address or its name (letters, digits and hyphens, dot-separated)"
        )
    return name


# --------------------------------------------------------------------- TSIG key


_COMMENT_OR_STRING = re.compile(r'"[^"]*"|/\*.*?\*/|//[^\n]*|#[^\n]*', re.S)


def _check_algorithm(_inst: object, _attr: object, value: str) -> None:
    if value not in ALGORITHMS:
        raise ValidationError(
            f"TSIG algorithm {value!r} is not supported: use one of {', '.join(ALGORITHMS)}"
        )


def _check_secret(_inst: object, _attr: object, value: str) -> None:
    # Never echo the value: it is the secret.
    if not isinstance(value, str) or not value:
        raise ValidationError("TSIG secret is empty: give the key's base64 secret")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValidationError(
            "TSIG secret is not valid base64: copy the secret exactly as the BIND key file "
            "has it (tsig-keygen output)"
        ) from exc
    if not raw:
        raise ValidationError("TSIG secret decodes to nothing: give the key's base64 secret")


def _key_name(value: str) -> str:
    return _norm(value, "TSIG key name")


def _algorithm(value: str) -> str:
    return value.strip().lower().rstrip(".") if isinstance(value, str) else value


@attrs.frozen
class TsigKey:
    """A TSIG key: its name, base64 secret and algorithm (BIND's names).

    The repr shows the name and algorithm only, never the secret.
    """

    name: str = attrs.field(converter=_key_name)
    secret_b64: str = attrs.field(repr=False, validator=_check_secret)
    algorithm: str = attrs.field(
        default="hmac-sha256", converter=_algorithm, validator=_check_algorithm
    )

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], name: str | None = None) -> TsigKey:
        """Read a BIND key file (``key "name" { algorithm ...; secret "..."; };``).

        Args:
            path: the file, e.g. tsig-keygen's output or /etc/bind/rndc.key.
            name: which key to take when the file holds several.

        Raises:
            ValidationError: unreadable file, no (or no such) key, a key
                without algorithm or secret, or a bad secret/algorithm.
        """
        where = Path(path)
        try:
            text = where.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not a text file"
            raise ValidationError(f"cannot read TSIG key file {where}: {reason}") from exc
        # Comments in all three BIND styles; not inside quoted strings (a
        # base64 secret may hold "//").
        text = _COMMENT_OR_STRING.sub(
            lambda m: m.group(0) if m.group(0).startswith('"') else " ", text
        )
        keys: dict[str, tuple[str | None, str | None]] = {}
        for match in re.finditer(r'\bkey\s+"?([^"\s{]+)"?\s*\{(.*?)\}\s*;', text, flags=re.S):
            body = match.group(2)
            algo_match = re.search(r"\balgorithm\s+\"?([A-Za-z0-9.-]+)\"?\s*;", body)
            secret_match = re.search(r'\bsecret\s+"([^"]*)"\s*;', body)
            keys[match.group(1)] = (
                algo_match.group(1) if algo_match else None,
                "".join(secret_match.group(1).split()) if secret_match else None,
            )
        if not keys:
            raise ValidationError(
                f'no key found in TSIG key file {where}: expected key "name" '
                '{ algorithm hmac-sha256; secret "..."; };'
            )
        if name is None:
            if len(keys) > 1:
                raise ValidationError(
                    f"TSIG key file {where} holds {len(keys)} keys ({', '.join(keys)}): "
                    "pass name= to choose one"
                )
            chosen = next(iter(keys))
        else:
            wanted = {k.lower().rstrip("."): k for k in keys}
            if name.lower().rstrip(".") not in wanted:
                raise ValidationError(
                    f"TSIG key file {where} has no key {name!r} (it has {', '.join(keys)})"
                )
            chosen = wanted[name.lower().rstrip(".")]
        algo, secret = keys[chosen]
        if algo is None or secret is None:
            missing = "algorithm" if algo is None else "secret"
            raise ValidationError(f"key {chosen!r} in {where} has no {missing} statement")
        try:
            return cls(chosen, secret, algo)
        except ValidationError as exc:
            raise ValidationError(f"key {chosen!r} in {where}: {exc}") from None

    def _keyring(self) -> dict[dns.name.Name, dns.tsig.Key]:
        key = dns.tsig.Key(self.name, self.secret_b64, ALGORITHMS[self.algorithm])
        return {key.name: key}


# ----------------------------------------------------------------------- backend


class RFC2136Backend:
    """PTR records on a DNS server: reads by query/AXFR, writes by RFC 2136 update.

    Args:
        server: the primary's IP address (IPv4 or IPv6) or host name (resolved
            at first use, within ``timeout``; its addresses are tried in turn).
        port: its DNS port.
        tsig: the key updates (and zone transfers) are signed with; None
            sends them unsigned (for servers that allow updates by address).
        timeout: seconds for connecting and for each answer (per message).
        zones: the zones to update in; a name goes to the longest one that
            contains it. None: ask the server (SOA) and cache.
        max_message_size: largest update message sent, in bytes; bigger
            batches are split (each part is atomic on its own).
        ttl: TTL of the PTR records written.
        axfr_threshold: ``read`` transfers a zone (AXFR, signed with the
            key if there is one) when asked for more names of it than this
            (None: never). A refused transfer, or one whose key the server
            rejects, falls back to queries (and is not tried again for that
            zone); one that does not verify is a DNSUpdateRefused. A
            transfer past 20 records per name asked (+2,000) is cut off and
            the zone not transferred again for so few names.
    """

    def __init__(
        self,
        server: str,
        port: int = 53,
        *,
        tsig: TsigKey | None = None,
        timeout: float = 5.0,
        zones: Iterable[str] | None = None,
        max_message_size: int = DEFAULT_MAX_MESSAGE_SIZE,
        ttl: int = 3600,
        axfr_threshold: int | None = DEFAULT_AXFR_THRESHOLD,
    ) -> None:
        address: ipaddress.IPv4Address | ipaddress.IPv6Address | None
        try:
            address = ipaddress.ip_address(server)
        except ValueError:
            address = None
            server = _server_name(server)
        if not isinstance(port, int) or not 0 < port < 65536:
            raise ValidationError(f"port {port!r} is not a TCP port number (1-65535)")
        if not timeout > 0:
            raise ValidationError(f"timeout must be positive seconds, got {timeout!r}")
        if not 512 <= max_message_size <= 65535:
            raise ValidationError(f"max_message_size {max_message_size} is outside 512-65535 bytes")
        if not 0 <= ttl <= 2_147_483_647:
            raise ValidationError(f"ttl {ttl} is outside 0-2147483647 seconds")
        if axfr_threshold is not None and (
            not isinstance(axfr_threshold, int) or axfr_threshold < 0
        ):
            raise ValidationError(
                f"axfr_threshold {axfr_threshold!r} must be a number of names (>= 0) or None"
            )
        if tsig is not None and not isinstance(tsig, TsigKey):
            raise ValidationError("tsig must be a TsigKey (see TsigKey.from_file)")
        self.server = str(address) if address is not None else server
        self.port = port
        self.tsig = tsig
        self.timeout = float(timeout)
        self.max_message_size = max_message_size
        self.ttl = ttl
        self.axfr_threshold = axfr_threshold
        self.zones: tuple[str, ...] | None = (
            None if zones is None else tuple(_norm(z, "zone") for z in zones)
        )
        # (family, address) to connect to; a host name is resolved at first use.
        self._addresses: list[tuple[int, str]] | None = None
        if address is not None:
            family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
            self._addresses = [(family, str(address))]
        self._keyring = tsig._keyring() if tsig is not None else None
        self._zone_of: dict[str, str] = {}
        self._zone_of_parent: dict[str, str] = {}
        self._no_axfr: set[str] = set()
        self._zone_size: dict[str, int] = {}

    def __repr__(self) -> str:
        key = self.tsig.name if self.tsig is not None else None
        return f"RFC2136Backend(server={self.server!r}, port={self.port}, tsig_key={key!r})"

    @property
    def _where(self) -> str:
        return f"{self.server} port {self.port}"

    # ------------------------------------------------------------- transport

    @contextlib.contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Map socket and dnspython errors to hostlib's, saying what to check."""
        key = self.tsig.name if self.tsig is not None else "(none)"
        try:
            yield
        except (dns.exception.Timeout, TimeoutError) as exc:
            raise DNSError(
                f"no answer from {self._where} within {self.timeout:g} s while {doing}: "
                "is the server down, or the address or port wrong?"
            ) from exc
        except ConnectionRefusedError as exc:
            raise DNSError(
                f"connection refused by {self._where} while {doing}: "
                "server down, or not listening on TCP at that port?"
            ) from exc
        except EOFError as exc:
            raise DNSError(
                f"{self._where} closed the connection while {doing}: see the server's log"
            ) from exc
        except OSError as exc:
            raise DNSError(
                f"cannot talk to {self._where} while {doing}: {exc.strerror or type(exc).__name__}"
            ) from exc
        except dns.tsig.PeerBadKey as exc:
            raise DNSUpdateRefused(
                f"{self._where} does not know TSIG key {key} (BADKEY) while {doing}: "
                "check the key name and algorithm against the server's key statement"
            ) from exc
        except dns.tsig.PeerBadSignature as exc:
            raise DNSUpdateRefused(
                f"{self._where} rejected the signature of TSIG key {key} (BADSIG) while {doing}: "
                "check the key's secret"
            ) from exc
        except dns.tsig.PeerBadTime as exc:
            raise DNSUpdateRefused(
                f"{self._where} rejected the time of TSIG key {key} (BADTIME) while {doing}: "
                "check both clocks (NTP)"
            ) from exc
        except dns.tsig.PeerError as exc:
            raise DNSUpdateRefused(
                f"{self._where} rejected TSIG key {key} ({type(exc).__name__}) while {doing}: "
                "check the key name, secret and algorithm"
            ) from exc
        except (
            dns.tsig.BadSignature,
            dns.tsig.BadKey,
            dns.tsig.BadTime,
            dns.tsig.BadAlgorithm,
        ) as exc:
            raise DNSUpdateRefused(
                f"the answer of {self._where} did not verify with TSIG key {key} "
                f"({type(exc).__name__}) while {doing}: check the key's secret and algorithm"
            ) from exc
        except _xfr.UnsignedAnswer as exc:
            raise DNSUpdateRefused(
                f"an answer of {self._where} was not signed with TSIG key {key} while {doing}: "
                f"{exc}; check the server's key configuration (or a middlebox altering answers)"
            ) from exc
        except (dns.exception.DNSException, _wire.WireError) as exc:
            raise DNSError(
                f"bad answer from {self._where} while {doing} ({type(exc).__name__}): "
                "see the server's log"
            ) from exc

    def _connect(self) -> socket.socket:
        """A TCP connection to the server: its name's addresses in turn, the last good first."""
        addresses = self._resolved()
        failure: OSError | None = None
        for index, (family, address) in enumerate(addresses):
            sock = socket.socket(family, socket.SOCK_STREAM)
            try:
                # Pipelined small messages: do not let Nagle hold them back.
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.settimeout(self.timeout)
                sock.connect((address, self.port))
            except BaseException as exc:
                sock.close()
                if not isinstance(exc, OSError):
                    raise
                failure = exc
                continue
            if index:
                addresses.insert(0, addresses.pop(index))
            return sock
        assert failure is not None  # a name resolves to one address at least
        raise failure

    def _resolved(self) -> list[tuple[int, str]]:
        if self._addresses is None:
            try:
                found = resolve(self.server, self.port, self.timeout, socktype=socket.SOCK_STREAM)
            except TimeoutError as exc:
                raise DNSError(
                    f"cannot resolve the DNS server name {self.server!r}: no answer from the "
                    f"resolver within {self.timeout:g} s; check the resolver or give its address"
                ) from exc
            except OSError as exc:
                raise DNSError(
                    f"cannot resolve the DNS server name {self.server!r} "
                    f"({exc.strerror or exc}); check the name or give its IP address"
                ) from exc
            self._addresses = found
        return self._addresses

    def _queries(self, asks: Sequence[tuple[str, int]], doing: str) -> list[_wire.Answer]:
        """Answers to unsigned queries ``(name, type)``, pipelined over one TCP connection.

        named may answer pipelined queries out of order: answers are
        matched by id and question. Windows keep both sides' buffers small.
        """
        answers: list[_wire.Answer] = []
        if not asks:
            return answers
        with self._errors(doing), contextlib.closing(self._connect()) as sock:
            for start in range(0, len(asks), _PIPELINE_WINDOW):
                window = asks[start : start + _PIPELINE_WINDOW]
                out = bytearray()
                asked = []
                for qid, (name, rdtype) in enumerate(window):
                    qwire = _wire.name_wire(name, "owner name")
                    asked.append((qwire, name))
                    wire = _wire.query_wire(qid, qwire, rdtype)
                    out += len(wire).to_bytes(2, "big") + wire
                sock.sendall(out)
                got: dict[int, _wire.Answer] = {}
                while len(got) < len(window):
                    raw = _receive(sock)
                    qid = int.from_bytes(raw[:2], "big")
                    answer = _wire.Answer(raw, asked[qid] if qid < len(asked) else None)
                    if (
                        qid >= len(window)
                        or qid in got
                        or not answer.qr
                        or answer.qname != window[qid][0]
                        or answer.qtype != window[qid][1]
                    ):
                        raise DNSError(
                            f"{self._where} sent an answer to a question not asked while {doing}"
                        )
                    got[qid] = answer
                answers.extend(got[i] for i in range(len(window)))
        return answers

    # ---------------------------------------------------------------- zone_for

    def zone_for(self, name: str) -> str:
        """The zone ``name`` is updated in (absolute, lower-case).

        From the configured ``zones`` (longest suffix) if given; else from
        the server: the SOA query's answer (the name is a zone apex) or
        authority section, walking up when the name is a CNAME (an RFC 2317
        alias lives in the parent zone). Cached: once one address name's
        zone is known, its sibling address names (an IPv4 octet or an IPv6
        nibble as first label) are taken to be in it too; a zone for one
        single address must then be named in ``zones=``.

        Raises:
            ValidationError: not a DNS name, or in none of the configured zones.
            DNSError: the server serves no zone containing it, or failed.
        """
        known = self._zone_of.get(name) if self.zones is None else None
        return known if known is not None else self._zones_for([name])[name]

    def _zones_for(self, names: Iterable[str]) -> dict[str, str]:
        """``zone_for`` of many names: one pipelined SOA query per unknown parent."""
        found: dict[str, str] = {}
        todo: dict[str, list[tuple[str, str]]] = {}
        for given in names:
            text = _norm(given, "owner name")
            if self.zones is not None:
                found[given] = self._configured_zone(text)
                continue
            parent = (text.split(".", 1)[1] or ".") if text != "." else "."
            zone = self._zone_of.get(text)
            if zone is None and _ADDRESS_LABEL.match(text):
                zone = self._zone_of_parent.get(parent)
            if zone is not None:
                found[given] = zone
            else:
                todo.setdefault(parent, []).append((given, text))
        if not todo:
            return found
        reps = [members[0][1] for members in todo.values()]
        answers = self._queries(
            [(rep, dns.rdatatype.SOA) for rep in reps],
            f"finding the zones of {len(reps)} name(s) (SOA)",
        )
        for (parent, members), rep, answer in zip(todo.items(), reps, answers, strict=True):
            owner = dns.name.from_text(rep)
            zone = self._soa_zone(owner, owner, answer)
            if zone is None:
                zone = self._discover(owner.parent(), owner)
            self._zone_of[rep] = zone
            if zone == rep:  # an apex: its siblings may be elsewhere
                found[members[0][0]] = zone
                for given, _text_of in members[1:]:
                    found[given] = self.zone_for(given)
                continue
            self._zone_of_parent[parent] = zone
            for given, _text_of in members:
                found[given] = zone
        return found

    def _configured_zone(self, name: str) -> str:
        assert self.zones is not None
        best = None
        for zone in self.zones:
            inside = zone == "." or name == zone or name.endswith("." + zone)
            if inside and (best is None or len(zone) > len(best)):
                best = zone
        if best is None:
            raise ValidationError(
                f"{name} is in none of the configured zones ({', '.join(self.zones)}): "
                "add its reverse zone to zones="
            )
        return best

    def _discover(self, current: dns.name.Name, owner: dns.name.Name) -> str:
        """Walk up from ``current`` (an ancestor of ``owner``) to the zone holding ``owner``."""
        while True:
            answer = self._queries(
                [(_text(current), dns.rdatatype.SOA)], f"asking {_text(current)} SOA"
            )[0]
            zone = self._soa_zone(current, owner, answer)
            if zone is not None:
                return zone
            if current == dns.name.root:
                raise DNSError(f"{self._where} has no SOA above {_text(owner)}")
            current = current.parent()

    def _soa_zone(
        self, current: dns.name.Name, owner: dns.name.Name, answer: _wire.Answer
    ) -> str | None:
        """The zone an SOA answer for ``current`` gives, or None: walk up (a CNAME here)."""
        rcode = answer.rcode
        here = _text(current)
        authority_soa = [r[0] for r in answer.authority if r[1] == dns.rdatatype.SOA]
        if rcode in (dns.rcode.REFUSED, dns.rcode.NOTAUTH) or (
            rcode in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN) and not answer.aa and not authority_soa
        ):
            raise DNSError(
                f"{self._where} serves no zone containing {_text(owner)} "
                f"({dns.rcode.to_text(rcode)}): check the server, or pass zones="
            )
        if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            raise DNSError(
                f"{self._where} answered {dns.rcode.to_text(rcode)} to the SOA query for "
                f"{_text(current)}: see the server's log"
            )
        if (here, dns.rdatatype.SOA) in {(r[0], r[1]) for r in answer.answer}:
            return here
        if not any(r[0] == here for r in answer.answer) and authority_soa:
            return authority_soa[0]
        return None  # a CNAME here (RFC 2317 alias): the name lives in its parent's zone

    # -------------------------------------------------------------------- read

    def read(self, names: Sequence[str]) -> dict[str, Lookup]:
        """What each name holds: ``Lookup(ptr=...)``, ``Lookup(cname=...)`` or ``Lookup()``.

        Keys are the names as given. More than ``axfr_threshold`` names of
        one zone are read by one zone transfer (AXFR, every message's TSIG
        verified), unless the zone is known to be much bigger than the
        names asked for; the rest by pipelined queries over one TCP
        connection. A refused transfer falls back to queries. With several
        PTRs at one name the smallest is returned (the prerequisite on it
        will then fail: resolve such names by hand).

        Raises:
            ValidationError: a name is not a DNS name.
            DNSError: the server is unreachable, not authoritative, or failed.
            DNSUpdateRefused: a transfer did not verify with the key.
        """
        normal = [_norm(given, "owner name") for given in names]
        # The common case (names already absolute, lower-case and distinct)
        # needs no map from normal names back to the names given.
        wanted: dict[str, list[str]] | None = None
        if normal != names or len(set(normal)) != len(normal):
            wanted = {}
            for given, name in zip(names, normal, strict=True):
                wanted.setdefault(name, []).append(given)
        found: dict[str, Lookup] = {}
        remaining: list[str] = []
        pending = list(wanted) if wanted is not None else normal
        transferred: set[str] = set()
        # Names below a delegation inside a transferred zone come back for
        # another round: they may be many names of the child zone.
        for _ in range(_MAX_TRANSFER_ROUNDS):
            if self.axfr_threshold is None or len(pending) <= self.axfr_threshold:
                break
            below: list[str] = []
            for zone, members in self._group_by_zone(pending).items():
                if (
                    zone is not None
                    and zone not in transferred
                    and self._worth_transfer(zone, len(members))
                ):
                    answered = self._axfr(zone, members)
                    if answered is not None:
                        transferred.add(zone)
                        found.update(answered)
                        below.extend(name for name in members if name not in answered)
                        continue
                remaining.extend(members)
            pending = below
        remaining.extend(pending)
        if remaining:
            found.update(self._read_by_query(remaining))
        if wanted is None:
            # One transfer that answered every name in order needs no copy.
            return found if len(found) == len(normal) else {name: found[name] for name in normal}
        return {given: found[name] for name, givens in wanted.items() for given in givens}

    def _group_by_zone(self, names: list[str]) -> dict[str | None, list[str]]:
        """``names`` by the zone that holds them (None: read them by queries).

        One SOA lookup per zone, not per name: the zone of one name claims
        every other name below it (a name under a delegation inside it is
        found by the transfer and read by query). Bounded: after
        ``_MAX_TRANSFER_ZONES`` zones the rest go to queries.
        """
        groups: dict[str | None, list[str]] = {}
        rest = names
        for _ in range(_MAX_TRANSFER_ZONES):
            if len(rest) <= (self.axfr_threshold or 0):
                break
            # The deepest name first: an RFC 2317 child zone before its parent.
            rep = max(rest, key=_DEPTH)
            zone = self._zone_of.get(rep) or self._zones_for([rep])[rep]
            suffix = "." + zone if zone != "." else ""
            inside = [n for n in rest if n == zone or n.endswith(suffix)]
            groups.setdefault(zone, []).extend(inside)
            if len(inside) == len(rest):
                rest = []
                break
            claimed = set(inside)
            rest = [n for n in rest if n not in claimed]
            if not rest:
                break
        if rest:
            groups.setdefault(None, []).extend(rest)
        return groups

    def _worth_transfer(self, zone: str, count: int) -> bool:
        """Whether a transfer of ``zone`` beats ``count`` queries (by its last known size)."""
        threshold = self.axfr_threshold
        if threshold is None or count <= threshold or zone in self._no_axfr:
            return False
        size = self._zone_size.get(zone)
        return size is None or size <= self._transfer_budget(count)

    @staticmethod
    def _transfer_budget(count: int) -> int:
        """Records a transfer may carry before reading ``count`` names by query is cheaper."""
        return _AXFR_RECORDS_PER_QUERY * count + _AXFR_FLOOR

    def _read_by_query(self, names: list[str]) -> dict[str, Lookup]:
        doing = f"reading {len(names)} PTR name(s)"
        answers = self._queries([(name, dns.rdatatype.PTR) for name in names], doing)
        found = {}
        for name, answer in zip(names, answers, strict=True):
            rcode = answer.rcode
            if rcode not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
                raise DNSError(
                    f"{self._where} answered {dns.rcode.to_text(rcode)} for {name} PTR: "
                    "check that this server is authoritative for its reverse zone"
                )
            if not answer.aa:
                raise DNSError(
                    f"{self._where} is not authoritative for {name} (referral or no zone): "
                    "point the backend at the primary of its reverse zone"
                )
            found[name] = _lookup(name, answer.answer)
            if not answer.answer and self.zones is None:
                # A negative answer names the zone (its SOA): zone_for gets it free.
                soa = [r[0] for r in answer.authority if r[1] == dns.rdatatype.SOA]
                if soa and soa[0] != name and name.endswith("." + soa[0]):
                    self._zone_of[name] = soa[0]
                    self._zone_of_parent[name.split(".", 1)[1]] = soa[0]
        return found

    def _axfr(self, zone: str, members: list[str]) -> dict[str, Lookup] | None:
        """The members' records from a transfer of ``zone``; None: read them by query.

        None when the server refuses the transfer (remembered: no more
        attempts for this zone), or when the zone turns out to be so much
        bigger than the members that queries are cheaper (the transfer is
        cut off). Members below a delegation or DNAME inside the zone are
        left out of the answer.
        """
        transfer = self._transfer(zone, set(members), self._transfer_budget(len(members)))
        if transfer is None:
            return None
        kept: Mapping[str, Sequence[tuple[int, str]]] = transfer.records
        answering = members
        if transfer.cuts:  # names below a delegation inside are not answered
            kept, _outside = transfer.lookups(members)
            answering = list(kept)
        ptr = dns.rdatatype.PTR
        result = {}
        for name in answering:
            records = kept.get(name, _NO_RECORDS)
            if not records:
                result[name] = _NO_RECORD
            elif len(records) == 1 and records[0][0] == ptr:
                result[name] = Lookup(records[0][1])
            else:
                result[name] = _lookup(name, [(name, rtype, target) for rtype, target in records])
        if self.zones is None:
            self._zone_of.update(dict.fromkeys(result, zone))
        return result

    def _transfer(self, zone: str, wanted: set[str], budget: int) -> _xfr.Transfer | None:
        """A complete, verified AXFR of ``zone``; None if refused or past ``budget`` records."""
        doing = f"transferring zone {zone} (AXFR)"
        qid = secrets.randbelow(65536)
        query = _xfr.axfr_query(qid, _wire.name_wire(zone, "zone"))
        key = None
        request_mac = b""
        if self._keyring is not None:
            (key,) = self._keyring.values()
            query, request_mac = _wire.sign(query, qid, key)
        transfer = _xfr.Transfer(zone, qid, key, request_mac, wanted)
        try:
            with self._errors(doing), contextlib.closing(self._connect()) as sock:
                sock.sendall(len(query).to_bytes(2, "big") + query)
                while not transfer.feed(_receive(sock)):
                    if transfer.count > budget:
                        self._zone_size[zone] = transfer.count
                        log.debug("AXFR of %s cut off after %d records", zone, transfer.count)
                        return None
        except _xfr.TransferRefused as exc:
            log.info(
                "AXFR of %s refused (%s); reading by queries",
                zone,
                dns.rcode.to_text(dns.rcode.Rcode.make(exc.rcode)),
            )
            self._no_axfr.add(zone)
            return None
        except DNSUpdateRefused as exc:
            if not isinstance(exc.__cause__, dns.tsig.PeerError):
                raise  # the answer did not verify: never fall back silently
            # The server rejected our key for the transfer: queries need no
            # key, and a write with this key will say what is wrong with it.
            log.info("AXFR of %s: key rejected (%s); reading by queries", zone, exc.__cause__)
            self._no_axfr.add(zone)
            return None
        self._zone_size[zone] = transfer.count
        log.debug("AXFR of %s: %d records in %d messages", zone, transfer.count, transfer.messages)
        return transfer

    # ------------------------------------------------------------------- write

    def write(self, changes: Sequence[PtrChange]) -> None:
        """Apply ``changes``, each with its ``old`` value as prerequisite.

        Changes whose ``old`` equals ``new`` send nothing. The rest go per
        zone, in as few messages as ``max_message_size`` allows; a message
        is applied entirely or not at all.

        Raises:
            ValidationError: a name outside its zone, a bad hostname, or a
                name twice; nothing was sent.
            ConflictError: a record is no longer its ``old`` value; nothing
                of that message was applied (the message names the records;
                earlier messages, if any, were applied and it says so).
            DNSUpdateRefused: REFUSED, NOTAUTH or a rejected TSIG key.
            DNSError: the server could not be reached or failed.
        """
        # Checked in full before anything is sent; the wire pieces are made
        # lazily, message by message, so that building hides behind named's
        # work on the messages already sent.
        seen: set[str] = set()
        by_zone: dict[str, list[tuple[str, str | None, str | None]]] = {}
        zones: dict[str, tuple[str, str]] = {}  # zone as given -> (absolute, "." + absolute)
        for change in changes:
            old, new = change.old, change.new
            if old == new:
                continue
            known = zones.get(change.zone)
            if known is None:
                absolute = _norm(change.zone, "zone")
                known = zones[change.zone] = (absolute, "." + absolute)
            zone, suffix = known
            name = _norm(change.name, "owner name")
            if not name.endswith(suffix) and name != zone:
                raise ValidationError(
                    f"{name} is not in zone {zone}: give the zone that contains it "
                    "(for RFC 2317, the child zone of the CNAME target)"
                )
            if name in seen:
                raise ValidationError(f"{name} appears twice in one write: one change per name")
            seen.add(name)
            by_zone.setdefault(zone, []).append(
                (
                    name,
                    None if old is None else _norm(old, "old"),
                    None if new is None else _norm(new, "new"),
                )
            )
        if not by_zone:
            return
        zone_wires = {zone: _wire.name_wire(zone, "zone") for zone in by_zone}
        messages = (
            (zone, _wire.UpdateBuilder(zone_wires[zone], self.ttl), batch)
            for zone, group in by_zone.items()
            for batch in self._batches(zone_wires[zone], _prepared(zone, zone_wires[zone], group))
        )
        applied = 0
        failure: tuple[dns.message.Message, str, list[_wire.Prepared], int] | None = None
        applied_after = 0
        inflight: collections.deque[_InFlight] = collections.deque()
        with self._errors("sending updates"), contextlib.closing(self._connect()) as sock:
            # Pipelined: the next message is built and sent while named works
            # on the previous one. Each message's prerequisites still hold for
            # that message alone; after a failure nothing more is sent, and
            # the answers to messages already sent are read and counted.
            while True:
                if failure is None and len(inflight) < _UPDATE_WINDOW:
                    message = next(messages, None)
                    if message is not None:
                        zone, builder, batch = message
                        inflight.append(self._post(sock, zone, builder, batch))
                        continue
                if not inflight:
                    break
                sent = inflight.popleft()
                answer = self._answer(sock, sent)
                if answer.rcode() == dns.rcode.NOERROR:
                    log.debug(
                        "updated %d record(s) in %s at %s", len(sent.batch), sent.zone, self._where
                    )
                    if failure is None:
                        applied += len(sent.batch)
                    else:
                        applied_after += len(sent.batch)
                elif failure is None:
                    failure = (answer, sent.zone, sent.batch, applied)
        if failure is not None:
            raise self._update_error(*failure, applied_after)

    def _batches(
        self, zone: bytes, changes: Iterable[_wire.Prepared]
    ) -> Iterator[list[_wire.Prepared]]:
        """``changes`` cut into messages of at most ``max_message_size`` bytes (exact)."""
        start = 12 + len(zone) + 4
        tsig = self._tsig_size
        batch: list[_wire.Prepared] = []
        prereqs = updates = 0
        for change in changes:
            while True:
                offset = start + prereqs
                p, u = change.prereq_size(), change.update_size(offset)
                if start + prereqs + p + updates + u + tsig <= self.max_message_size:
                    break
                if not batch:
                    raise ValidationError(
                        f"the change of {change.text} alone exceeds max_message_size "
                        f"{self.max_message_size}: raise it"
                    )
                yield batch
                batch, prereqs, updates = [], 0, 0
            batch.append(change)
            prereqs += p
            updates += u
        if batch:
            yield batch

    @property
    def _tsig_size(self) -> int:
        if self.tsig is None:
            return 0
        return _wire.tsig_size(
            _wire.name_wire(self.tsig.name, "key name"),
            ALGORITHMS[self.tsig.algorithm].to_wire() or b"",
        )

    def _post(
        self,
        sock: socket.socket,
        zone: str,
        builder: _wire.UpdateBuilder,
        batch: list[_wire.Prepared],
    ) -> _InFlight:
        """Build, sign and send one update message (its answer is read later)."""
        qid = secrets.randbelow(65536)
        wire = builder.build(qid, batch)
        request_mac = b""
        if self._keyring is not None:
            (key,) = self._keyring.values()
            wire, request_mac = _wire.sign(wire, qid, key)
        sock.sendall(len(wire).to_bytes(2, "big") + wire)
        return _InFlight(qid, request_mac, zone, batch)

    def _answer(self, sock: socket.socket, sent: _InFlight) -> dns.message.Message:
        """The (TSIG-verified) answer to update message ``sent``."""
        # dnspython parses this one: it verifies the answer's TSIG.
        answer = dns.message.from_wire(
            _receive(sock), keyring=self._keyring, request_mac=sent.request_mac
        )
        if answer.id != sent.qid or answer.opcode() != dns.opcode.UPDATE:
            raise DNSError(f"{self._where} sent an answer to another message while updating")
        return answer

    def _update_error(
        self,
        answer: dns.message.Message,
        zone: str,
        batch: list[_wire.Prepared],
        applied: int,
        applied_after: int,
    ) -> HostlibError:
        """The error for a refused update message, saying what else was applied."""
        rcode = answer.rcode()
        before = (
            f"; {applied} change(s) sent before it in this write were applied" if applied else ""
        )
        if applied_after:
            before += (
                f"; {applied_after} change(s) in messages already sent after it were applied too"
            )
        key_name = self.tsig.name if self.tsig is not None else "(unsigned)"
        if rcode in _CONFLICT_RCODES:
            names = self._conflicting(batch)
            shown = ", ".join(names[:10]) + (
                f" and {len(names) - 10} more" if len(names) > 10 else ""
            )
            return ConflictError(
                f"zone {zone} {_CONFLICT_RCODES[rcode]}; changed since read: {shown}; "
                f"none of this message's {len(batch)} change(s) was applied{before}. "
                "Read again and re-plan."
            )
        if rcode == dns.rcode.REFUSED:
            return DNSUpdateRefused(
                f"{self._where} refused the update of zone {zone} (REFUSED) for key {key_name}: "
                f"check that the key may update this zone (update-policy / allow-update){before}"
            )
        if rcode == dns.rcode.NOTAUTH:
            return DNSUpdateRefused(
                f"{self._where} is not authoritative for zone {zone}, or did not accept key "
                f"{key_name} (NOTAUTH): check the zone name, the server (its primary) and the "
                f"key{before}"
            )
        if rcode == dns.rcode.NOTZONE:
            return DNSError(
                f"{self._where}: a name is outside zone {zone} (NOTZONE): check the zone "
                f"given for these names{before}"
            )
        return DNSError(
            f"{self._where} answered {dns.rcode.to_text(rcode)} to the update of zone {zone}: "
            f"see the server's log (zone frozen, not loaded, or journal full?){before}"
        )

    def _conflicting(self, batch: list[_wire.Prepared]) -> list[str]:
        """The names in ``batch`` whose PTR is no longer their ``old`` value."""
        names = [change.text for change in batch]
        try:
            now = self._read_by_query(names)
        except DNSError:
            return names
        changed = [
            change.text
            for change in batch
            if now[change.text].ptr != _target_text(change.old) or now[change.text].cname
        ]
        return changed or names


class _InFlight(NamedTuple):
    """An update message sent whose answer is still to be read."""

    qid: int
    request_mac: bytes
    zone: str
    batch: list[_wire.Prepared]


def _prepared(
    zone: str, zone_wire: bytes, group: list[tuple[str, str | None, str | None]]
) -> Iterator[_wire.Prepared]:
    """The wire pieces of each ``(owner, old, new)`` (names checked by ``write``)."""
    relative, target = _wire.relative_wire, _wire.checked_name_wire
    for name, old, new in group:
        yield _wire.Prepared(
            name,
            relative(name, zone, zone_wire),
            None if old is None else target(old),
            None if new is None else target(new),
        )


_DEPTH = operator.methodcaller("count", ".")  # a name's depth, as a sort key


def _abs(text: str) -> str:
    known = KNOWN.get(text)
    if known is not None:
        return known
    text = text.strip().lower()
    return text if text.endswith(".") else text + "."


def _target_text(wire: bytes | None) -> str | None:
    return None if wire is None else _text(dns.name.from_wire(wire, 0)[0])


def _receive(sock: socket.socket) -> bytes:
    """One length-prefixed DNS message from a TCP socket (its timeout applies)."""
    length = int.from_bytes(_receive_exactly(sock, 2), "big")
    return _receive_exactly(sock, length)


def _receive_exactly(sock: socket.socket, count: int) -> bytes:
    data = bytearray()
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise EOFError("connection closed")
        data += chunk
    return bytes(data)


def _lookup(owner: str, records: Iterable[tuple[str, int, str | None]]) -> Lookup:
    ptrs: list[str] = []
    for name, rtype, target in records:
        if name != owner or target is None:
            continue
        if rtype == dns.rdatatype.CNAME:
            return Lookup(cname=target)
        if rtype == dns.rdatatype.PTR:
            ptrs.append(target)
    return Lookup(ptr=min(ptrs)) if ptrs else Lookup()
