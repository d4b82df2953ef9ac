"""The RFC 2136 backend's own wire parsing, checked against dnspython's.

Names and zone transfers are rendered by dnspython (with its name
compression), then read back by ``hostlib.dns._rfc2136_wire``; every
answer must equal dnspython's, and every malformed message must be a
``WireError``, never a crash or a wrong answer.
"""

from __future__ import annotations

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.TSIG
import dns.rrset
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hostlib.dns import _rfc2136_wire as wire
from hostlib.dns import _zone_transfer as _xfr

ZONE = "8.b.d.0.1.0.0.2.ip6.arpa."

# Labels: IPv6 nibbles (read as runs), host-name labels, and odd bytes
# (dots, spaces, backslashes, upper case) that need dnspython's escaping.
nibble = st.sampled_from("0123456789abcdefABCDEF")
plain_label = st.from_regex(r"[A-Za-z0-9_/-]{1,20}", fullmatch=True)
odd_label = st.binary(min_size=1, max_size=12)
label = st.one_of(nibble.map(str.encode), plain_label.map(str.encode), odd_label)
names = st.lists(label, min_size=0, max_size=12).map(lambda labels: dns.name.Name([*labels, b""]))


def _text(name: dns.name.Name) -> str:
    return name.to_text().lower()


@settings(max_examples=400)
@given(st.lists(names, min_size=1, max_size=6), st.binary(max_size=20))
def test_read_name_agrees_with_dnspython_on_compressed_names(
    many: list[dns.name.Name], padding: bytes
) -> None:
    out = bytearray(padding)
    compress: dict[dns.name.Name, int] = {}
    starts = []
    for name in many:
        starts.append(len(out))
        out += name.to_wire(compress=compress, origin=None) or b""
    data = bytes(out)
    cache: dict[int, str] = {}
    for name, start in zip(many, starts, strict=True):
        text, end = wire.read_name(data, start, cache)
        assert text == _text(name)
        assert end == start + dns.name.from_wire(data, start)[1]
        # The same name again, now from the cache.
        assert wire.read_name(data, start, cache)[0] == text
        assert wire.read_name(data, start)[0] == text


@settings(max_examples=300)
@given(st.binary(min_size=1, max_size=80), st.integers(min_value=0, max_value=79))
def test_read_name_on_garbage_is_a_wire_error_or_dnspythons_answer(data: bytes, start: int) -> None:
    start %= len(data)
    try:
        expected = _text(dns.name.from_wire(data, start)[0])
    except dns.exception.DNSException:  # dnspython refuses: so must we
        expected = None
    try:
        got = wire.read_name(data, start, {})[0]
    except wire.WireError:
        got = None
    if got is not None:
        assert got == expected


def _transfer_message(records: list[tuple[str, str, str]], qid: int = 7) -> bytes:
    """One AXFR answer message holding ``records`` (owner, type, value), as named lays it out."""
    message = dns.message.Message(id=qid)
    message.flags |= dns.flags.QR | dns.flags.AA
    message.question.append(
        dns.rrset.RRset(dns.name.from_text(ZONE), dns.rdataclass.IN, dns.rdatatype.AXFR)
    )
    for owner, rdtype, value in records:
        rrset = dns.rrset.from_text(owner, 3600, "IN", rdtype, value)
        message.answer.append(rrset)
    return message.to_wire()


SOA = (ZONE, "SOA", "ns.example.test. hostmaster.example.test. 42 3600 600 86400 300")


def test_transfer_reads_ptrs_cuts_and_the_serial() -> None:
    records = [
        SOA,
        (ZONE, "NS", "ns.example.test."),
        (f"1.0.{ZONE}", "PTR", "Host-1.Example.TEST."),
        (f"2.0.{ZONE}", "PTR", "host-2.example.test."),
        (f"2.0.{ZONE}", "PTR", "other.example.test."),
        (f"3.0.{ZONE}", "CNAME", f"3.0.sub.{ZONE}"),
        (f"sub.{ZONE}", "NS", "ns.example.test."),
        (f"weird\\.one.{ZONE}", "PTR", "a\\032b.example.test."),
        SOA,
    ]
    transfer = _xfr.Transfer(ZONE, 7)
    assert transfer.feed(_transfer_message(records)) is True
    assert transfer.serial == 42
    assert transfer.cuts == {f"sub.{ZONE}"}
    assert transfer.records == {
        f"1.0.{ZONE}": [(dns.rdatatype.PTR, "host-1.example.test.")],
        f"2.0.{ZONE}": [
            (dns.rdatatype.PTR, "host-2.example.test."),
            (dns.rdatatype.PTR, "other.example.test."),
        ],
        f"3.0.{ZONE}": [(dns.rdatatype.CNAME, f"3.0.sub.{ZONE}")],
        f"weird\\.one.{ZONE}": [(dns.rdatatype.PTR, "a\\032b.example.test.")],
    }
    assert transfer.count == len(records)


@settings(max_examples=150)
@given(
    st.lists(
        st.tuples(st.text("0123456789abcdef", min_size=1, max_size=6), plain_label),
        min_size=1,
        max_size=60,
        unique_by=lambda item: item[0],
    )
)
def test_transfer_of_many_ptrs_agrees_with_dnspython(entries: list[tuple[str, str]]) -> None:
    records = (
        [SOA]
        + [
            (".".join(nibbles) + "." + ZONE, "PTR", f"{host}.example.test.")
            for nibbles, host in entries
        ]
        + [SOA]
    )
    data = _transfer_message(records)
    transfer = _xfr.Transfer(ZONE, 7)
    assert transfer.feed(data)
    parsed = dns.message.from_wire(data)
    expected: dict[str, list[tuple[int, str]]] = {}
    for rrset in parsed.answer:
        if rrset.rdtype == dns.rdatatype.PTR:
            for rdata in rrset:
                expected.setdefault(_text(rrset.name), []).append(
                    (dns.rdatatype.PTR, _text(rdata.target))
                )
    assert transfer.records == expected


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        (("host.example.test.", "PTR", "x.example.test."), "outside zone"),
        (("example.test.", "NS", "ns.example.test."), "outside zone"),
        (("x.example.test.", "DNAME", "y.example.test."), "outside zone"),
    ],
)
def test_records_outside_the_zone_are_refused(record: tuple[str, str, str], problem: str) -> None:
    transfer = _xfr.Transfer(ZONE, 7)
    with pytest.raises(wire.WireError, match=problem):
        transfer.feed(_transfer_message([SOA, record, SOA]))


def test_transfer_structure_errors() -> None:
    good = _transfer_message([SOA, (f"1.{ZONE}", "PTR", "a.example.test."), SOA])
    with pytest.raises(wire.WireError, match="start with the zone's SOA"):
        _xfr.Transfer(ZONE, 7).feed(
            _transfer_message([(f"1.{ZONE}", "PTR", "a.example.test."), SOA])
        )
    with pytest.raises(wire.WireError, match="after the closing SOA"):
        _xfr.Transfer(ZONE, 7).feed(
            _transfer_message([SOA, SOA, (f"1.{ZONE}", "PTR", "a.example.test.")])
        )
    with pytest.raises(wire.WireError, match="another query"):
        _xfr.Transfer(ZONE, 8).feed(good)
    for cut in range(13, len(good) - 1, 7):
        with pytest.raises(wire.WireError):
            _xfr.Transfer(ZONE, 7).feed(good[:cut])
    # A transfer that failed takes nothing more.
    broken = _xfr.Transfer(ZONE, 7)
    with pytest.raises(wire.WireError):
        broken.feed(good[:-3])
    with pytest.raises(wire.WireError, match="failure"):
        broken.feed(good)


@settings(max_examples=200)
@given(
    st.sampled_from(["hostlib-test.", "k.example.", "a.b.c.d."]),
    st.sampled_from(["hmac-sha256.", "hmac-sha512.", "hmac-md5.sig-alg.reg.int."]),
    st.integers(min_value=0, max_value=2**48 - 1),
    st.integers(min_value=0, max_value=65535),
    st.binary(max_size=64),
    st.integers(min_value=0, max_value=65535),
    st.sampled_from([0, 16, 17, 18]),
    st.binary(max_size=8),
)
def test_tsig_record_layout_agrees_with_dnspython(
    owner: str,
    algorithm: str,
    time_signed: int,
    fudge: int,
    mac: bytes,
    original_id: int,
    error: int,
    other: bytes,
) -> None:
    rdata = dns.rdtypes.ANY.TSIG.TSIG(  # type: ignore[no-untyped-call]
        dns.rdataclass.ANY,
        dns.rdatatype.TSIG,
        dns.name.from_text(algorithm),
        time_signed,
        fudge,
        mac,
        original_id,
        error,
        other,
    )
    rdwire = rdata.to_wire() or b""
    prefix = b"\x00" * 5
    record = (dns.name.from_text(owner).to_wire() or b"") + bytes(
        [0, 250, 0, 255, 0, 0, 0, 0, len(rdwire) >> 8, len(rdwire) & 0xFF]
    )
    data = prefix + record + rdwire
    got_owner, got = _xfr._tsig_record(data, len(prefix))
    assert got_owner == dns.name.from_text(owner)
    assert got == rdata
    with pytest.raises(wire.WireError):
        _xfr._tsig_record(data[:-1], len(prefix))


@settings(max_examples=300)
@given(st.lists(label, min_size=1, max_size=10), st.integers(min_value=0, max_value=10))
def test_wire_of_checked_names_equals_the_checked_path(labels: list[bytes], cut: int) -> None:
    name = dns.name.Name([*labels, b""])
    text = _text(name)
    # As the backend has them: validated once, absolute and lower-case.
    assert wire.checked_name_wire(text) == wire.name_wire(text, "name")
    zone_labels = labels[len(labels) - min(cut, len(labels)) :]
    zone = _text(dns.name.Name([*zone_labels, b""]))
    zone_wire = wire.name_wire(zone, "zone")
    full = wire.name_wire(text, "name")
    assert wire.relative_wire(text, zone, zone_wire) == full[: len(full) - len(zone_wire)]
