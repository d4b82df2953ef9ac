"""RFC2136Backend and TsigKey against a real named, cross-checked with dig and nsupdate."""

from __future__ import annotations

import base64
import contextlib
import ipaddress
import logging
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import attrs
import dns.name
import dns.rdatatype
import dns.tsig
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hostlib.dns import _rfc2136_wire as _wire
from hostlib.dns import _zone_transfer as _xfr
from hostlib.dns.backend import Lookup, PtrBackend
from hostlib.dns.changes import PtrChange
from hostlib.dns.reverse import ReverseDNS
from hostlib.dns.rfc2136 import RFC2136Backend, TsigKey, _receive
from hostlib.errors import ConflictError, DNSError, DNSUpdateRefused, ValidationError
from tests.bind_support import Bind, axfr, dig, free_port, named, nsupdate

__all__ = ["named"]  # the fixture, re-exported for pytest

IP = ipaddress.ip_address
V4 = "2.0.192.in-addr.arpa."
CHILD = "0-63.2.0.192.in-addr.arpa."
V6 = "8.b.d.0.1.0.0.2.ip6.arpa."


@pytest.fixture(autouse=True)
def _clean(named: Bind) -> None:
    named.reset()


def backend(bind: Bind, **kwargs: object) -> RFC2136Backend:
    return RFC2136Backend(
        bind.host,
        bind.port,
        tsig=TsigKey(bind.key.name, bind.key.secret),
        timeout=5.0,
        **kwargs,  # type: ignore[arg-type]
    )


def v4(last: int, old: str | None, new: str | None) -> PtrChange:
    return PtrChange(IP(f"192.0.2.{last}"), f"{last}.{V4}", V4, old, new)


def child(last: int, old: str | None, new: str | None) -> PtrChange:
    return PtrChange(IP(f"192.0.2.{last}"), f"{last}.{CHILD}", CHILD, old, new)


def v6(address: str, old: str | None, new: str | None) -> PtrChange:
    ip = ipaddress.IPv6Address(address)
    return PtrChange(ip, ip.reverse_pointer + ".", V6, old, new)


def serial(bind: Bind, zone: str) -> int:
    (soa,) = dig(bind, zone, "SOA")
    return int(soa.split()[2])


# -------------------------------------------------------------------- TsigKey


def test_tsig_key_from_bind_key_file_and_secret_hidden(named: Bind) -> None:
    key = TsigKey.from_file(named.key_file)
    assert key == TsigKey("hostlib-test", named.key.secret, "hmac-sha256")
    assert key.name == "hostlib-test."
    for text in (repr(key), str(key), repr(backend(named))):
        assert named.key.secret not in text
        assert "hostlib-test." in text


def test_tsig_key_file_variants(tmp_path: Path, named: Bind) -> None:
    path = tmp_path / "keys.conf"
    path.write_text(
        "# two keys\n"
        f"{named.key.conf()}"
        "/* the narrow one */\n"
        f'key narrow. {{ algorithm HMAC-SHA512; secret "{named.narrow_key.secret}"; }};\n'
    )
    with pytest.raises(ValidationError, match="pass name="):
        TsigKey.from_file(path)
    narrow = TsigKey.from_file(path, name="narrow")
    assert (narrow.name, narrow.algorithm) == ("narrow.", "hmac-sha512")
    with pytest.raises(ValidationError, match="no key 'other'"):
        TsigKey.from_file(path, name="other")
    with pytest.raises(ValidationError, match="cannot read TSIG key file"):
        TsigKey.from_file(tmp_path / "missing.key")
    path.write_text('key "x" { algorithm hmac-sha256; secret "not base64!"; };')
    with pytest.raises(ValidationError, match="not valid base64") as err:
        TsigKey.from_file(path)
    assert "not base64!" not in str(err.value)


def test_tsig_key_file_secret_with_comment_markers(tmp_path: Path) -> None:
    # A base64 secret may hold "//" (about one key in a hundred): it is not a comment.
    secret = base64.b64encode(bytes.fromhex("ffeff" + "f" * 59)).decode()
    assert "//" in secret
    path = tmp_path / "slashes.key"
    path.write_text(
        f'key "k." {{ // a comment\n\talgorithm hmac-sha256; /* another */\n'
        f'\tsecret "{secret}"; # and one more\n}};\n'
    )
    assert TsigKey.from_file(path).secret_b64 == secret


_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


@given(st.lists(st.text(_B64, min_size=4, max_size=4), min_size=4, max_size=16).map("".join))
def test_tsig_key_file_round_trips_any_secret(secret: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "k.key"
        path.write_text(f'key "k." {{\n\talgorithm hmac-sha256;\n\tsecret "{secret}";\n}};\n')
        assert TsigKey.from_file(path).secret_b64 == secret


def test_tsig_key_validation() -> None:
    secret = "c2VjcmV0c2VjcmV0c2VjcmV0"
    with pytest.raises(ValidationError, match="algorithm 'hmac-sha3'"):
        TsigKey("k", secret, "hmac-sha3")
    with pytest.raises(ValidationError, match="not valid base64") as err:
        TsigKey("k", secret + "%%")
    assert secret not in str(err.value)
    with pytest.raises(ValidationError, match="TSIG key name"):
        TsigKey("a..b", secret)
    with pytest.raises(ValidationError, match="empty"):
        TsigKey("k", "")


# ---------------------------------------------------------- writes, with dig


def test_backend_is_a_ptr_backend(named: Bind) -> None:
    assert isinstance(backend(named), PtrBackend)


def test_write_ipv4_add_change_delete_checked_with_dig(named: Bind) -> None:
    be = backend(named)
    name = f"200.{V4}"
    be.write([v4(200, None, "web.example.test.")])
    assert dig(named, name, "PTR") == ["web.example.test."]
    be.write([v4(200, "web.example.test.", "mail.example.test.")])
    assert dig(named, name, "PTR") == ["mail.example.test."]
    be.write([v4(200, "mail.example.test.", None)])
    assert dig(named, name, "PTR") == []
    # The seeded record, changed and read back.
    be.write([v4(100, "seed.example.test.", "renamed.example.test.")])
    assert dig(named, f"100.{V4}", "PTR") == ["renamed.example.test."]


def test_write_ipv6_over_ipv6_transport(named: Bind) -> None:
    be = RFC2136Backend(named.host6, named.port, tsig=TsigKey.from_file(named.key_file))
    change = v6("2001:db8::1", None, "v6.example.test.")
    be.write([change])
    assert dig(named, change.name, "PTR", host="::1") == ["v6.example.test."]
    assert be.read([change.name]) == {change.name: Lookup(ptr="v6.example.test.")}


def test_write_rfc2317_child_zone(named: Bind) -> None:
    be = backend(named)
    be.write([child(5, None, "five.example.test."), child(63, None, "last.example.test.")])
    assert dig(named, f"5.{CHILD}", "PTR") == ["five.example.test."]
    assert dig(named, f"63.{CHILD}", "PTR") == ["last.example.test."]
    # The parent keeps pointing there.
    assert dig(named, f"5.{V4}", "CNAME") == [f"5.{CHILD}"]


def test_plain_name_of_a_2317_alias_is_silently_ignored_by_named(named: Bind) -> None:
    """FIELD_NOTES' trap: NOERROR, nothing added. Why ReverseDNS reads back."""
    be = backend(named)
    be.write([v4(6, None, "lost.example.test.")])  # no error...
    assert dig(named, f"6.{V4}", "PTR") == []  # ...and nothing there
    assert dig(named, f"6.{CHILD}", "PTR") == []
    assert be.read([f"6.{V4}"]) == {f"6.{V4}": Lookup(cname=f"6.{CHILD}")}


def test_unchanged_records_send_nothing(named: Bind) -> None:
    before = serial(named, V4)
    backend(named).write([v4(100, "seed.example.test.", "seed.example.test.")])
    backend(named).write([])
    assert serial(named, V4) == before


# ----------------------------------------------------------- reads, nsupdate


def test_reads_records_written_by_nsupdate(named: Bind) -> None:
    v6name = ipaddress.IPv6Address("2001:db8::abcd").reverse_pointer + "."
    nsupdate(
        named,
        f"update add 77.{V4} 300 PTR seventy-seven.example.test.\nsend\n"
        f"update add 9.{CHILD} 300 PTR nine.example.test.\nsend\n"
        f"update add {v6name} 300 PTR six.example.test.",
    )
    names = [f"77.{V4}", f"9.{CHILD}", v6name, f"9.{V4}", f"78.{V4}", f"100.{V4}"]
    for be in (backend(named), backend(named, axfr_threshold=2)):
        assert be.read(names) == {
            f"77.{V4}": Lookup(ptr="seventy-seven.example.test."),
            f"9.{CHILD}": Lookup(ptr="nine.example.test."),
            v6name: Lookup(ptr="six.example.test."),
            f"9.{V4}": Lookup(cname=f"9.{CHILD}"),
            f"78.{V4}": Lookup(),
            f"100.{V4}": Lookup(ptr="seed.example.test."),
        }
    # Names as given (no trailing dot, upper case) are the keys of the answer.
    assert backend(named).read(["77.2.0.192.IN-ADDR.ARPA"]) == {
        "77.2.0.192.IN-ADDR.ARPA": Lookup(ptr="seventy-seven.example.test.")
    }
    # The same by transfer (many names), with a name given twice in two spellings.
    many = [f"{i}.{V4}" for i in range(100, 140)]
    given = [*many, "77.2.0.192.IN-ADDR.ARPA", f"77.{V4}", f"100.{V4}"]
    found = backend(named, axfr_threshold=8).read(given)
    assert set(found) == set(given)
    assert found["77.2.0.192.IN-ADDR.ARPA"] == found[f"77.{V4}"]
    assert found[f"77.{V4}"] == Lookup(ptr="seventy-seven.example.test.")
    assert found[f"100.{V4}"] == Lookup(ptr="seed.example.test.")


def test_axfr_read_and_fallback_when_transfer_refused(named: Bind) -> None:
    changes = [child(i, None, f"h{i}.example.test.") for i in range(60)]
    backend(named).write(changes)
    names = [c.name for c in changes] + [f"{i}.{V4}" for i in range(60)]
    by_query = backend(named).read(names)
    assert backend(named, axfr_threshold=10).read(names) == by_query
    assert by_query[f"7.{CHILD}"] == Lookup(ptr="h7.example.test.")
    assert by_query[f"7.{V4}"] == Lookup(cname=f"7.{CHILD}")
    # The narrow key may not transfer: the backend falls back to queries.
    narrow = RFC2136Backend(
        named.host, named.port, tsig=TsigKey.from_file(named.narrow_key_file), axfr_threshold=10
    )
    assert narrow.read(names) == by_query


def test_zone_for_from_the_server_and_from_configuration(named: Bind) -> None:
    be = backend(named)
    v6name = ipaddress.IPv6Address("2001:db8:0:1::5").reverse_pointer + "."
    assert be.zone_for("10.2.0.192.in-addr.arpa") == V4
    assert be.zone_for(f"5.{V4}") == V4  # a CNAME there: it lives in the parent
    assert be.zone_for(f"5.{CHILD}") == CHILD
    assert be.zone_for(CHILD) == CHILD
    assert be.zone_for(v6name) == V6
    assert be.zone_for("host1.example.test") == "example.test."
    with pytest.raises(DNSError, match=r"serves no zone containing 1\.2\.0\.10\.in-addr\.arpa\."):
        be.zone_for("1.2.0.10.in-addr.arpa")
    configured = backend(named, zones=[V4, "0-63.2.0.192.in-addr.arpa"])
    assert configured.zone_for(f"5.{CHILD}") == CHILD
    assert configured.zone_for(f"5.{V4}") == V4
    with pytest.raises(ValidationError, match="none of the configured zones"):
        configured.zone_for(v6name)


# -------------------------------------------------------- refusals, failures


def test_wrong_secret_is_refused_and_zone_unchanged(named: Bind) -> None:
    wrong = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY="
    be = RFC2136Backend(named.host, named.port, tsig=TsigKey(named.key.name, wrong))
    before = axfr(named, V4)
    with pytest.raises(DNSUpdateRefused, match=r"BADSIG.*secret") as err:
        be.write([v4(100, "seed.example.test.", "evil.example.test."), v4(1, None, "x.test.")])
    assert wrong not in str(err.value)
    assert named.key.secret not in str(err.value)
    assert axfr(named, V4) == before
    unknown = RFC2136Backend(named.host, named.port, tsig=TsigKey("nobody", wrong))
    with pytest.raises(DNSUpdateRefused, match="BADKEY"):
        unknown.write([v4(100, "seed.example.test.", "evil.example.test.")])
    assert dig(named, f"100.{V4}", "PTR") == ["seed.example.test."]


def test_narrow_key_may_update_only_its_zone(named: Bind) -> None:
    narrow = RFC2136Backend(named.host, named.port, tsig=TsigKey.from_file(named.narrow_key_file))
    with pytest.raises(DNSUpdateRefused, match=r"REFUSED.*narrow.*update-policy"):
        narrow.write([v4(100, "seed.example.test.", "evil.example.test.")])
    assert dig(named, f"100.{V4}", "PTR") == ["seed.example.test."]
    with pytest.raises(DNSUpdateRefused):
        narrow.write([v6("2001:db8::66", None, "evil.example.test.")])
    assert dig(named, ipaddress.IPv6Address("2001:db8::66").reverse_pointer, "PTR") == []
    narrow.write([child(12, None, "ok.example.test.")])
    assert dig(named, f"12.{CHILD}", "PTR") == ["ok.example.test."]


def test_server_down_is_a_dns_error_within_the_timeout() -> None:
    be = RFC2136Backend("127.0.0.1", free_port(), tsig=None, timeout=1.0)
    for call in (
        lambda: be.read([f"1.{V4}"]),
        lambda: be.write([v4(1, None, "a.example.test.")]),
        lambda: be.zone_for(f"1.{V4}"),
    ):
        start = time.monotonic()
        with pytest.raises(DNSError, match="server down"):
            call()
        assert time.monotonic() - start < 2.0


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never answers."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


def test_server_that_never_answers_times_out(silent_server: int) -> None:
    key = TsigKey("k", "c2VjcmV0c2VjcmV0c2VjcmV0")
    be = RFC2136Backend("127.0.0.1", silent_server, tsig=key, timeout=0.5)
    for call in (
        lambda: be.read([f"1.{V4}"]),
        lambda: be.write([v4(1, None, "a.example.test.")]),
    ):
        start = time.monotonic()
        with pytest.raises(DNSError, match=r"within 0.5 s.*server down"):
            call()
        assert time.monotonic() - start < 1.5


def test_bad_input_is_rejected_before_sending(named: Bind) -> None:
    be = backend(named)
    before = serial(named, V4)
    with pytest.raises(ValidationError, match="is not in zone"):
        be.write([PtrChange(IP("192.0.2.1"), f"1.{V4}", CHILD, None, "a.example.test.")])
    with pytest.raises(ValidationError, match="twice"):
        be.write([v4(1, None, "a.example.test."), v4(1, None, "b.example.test.")])
    with pytest.raises(ValidationError, match="not a valid DNS name"):
        be.write([v4(1, None, "a..example.test.")])
    assert serial(named, V4) == before
    with pytest.raises(ValidationError, match="neither an IP address nor a host name"):
        RFC2136Backend("ns example", 53)
    with pytest.raises(ValidationError, match="max_message_size"):
        RFC2136Backend("127.0.0.1", 53, max_message_size=100)


def test_server_given_by_host_name(named: Bind) -> None:
    # localhost is in /etc/hosts: no query leaves the machine.
    be = RFC2136Backend("localhost", named.port, tsig=TsigKey.from_file(named.key_file))
    assert be.server == "localhost"
    be.write([v4(77, None, "by-name.example.test.")])
    assert dig(named, f"77.{V4}", "PTR") == ["by-name.example.test."]
    assert be.read([f"77.{V4}"]) == {f"77.{V4}": Lookup(ptr="by-name.example.test.")}
    be.write([v4(77, "by-name.example.test.", None)])
    assert dig(named, f"77.{V4}", "PTR") == []


def test_next_address_of_a_name_is_tried_and_then_kept_first(named: Bind) -> None:
    be = RFC2136Backend("localhost", named.port, tsig=TsigKey.from_file(named.key_file))
    # As if the name had two addresses, the first where nothing listens.
    be._addresses = [(socket.AF_INET, "127.0.0.2"), (socket.AF_INET, named.host)]
    assert be.read([f"100.{V4}"])[f"100.{V4}"].ptr == "seed.example.test."
    assert be._addresses[0] == (socket.AF_INET, named.host)


def test_unresolvable_server_name_is_a_dns_error() -> None:
    be = RFC2136Backend("no-such-dns-server.invalid", 53, timeout=2)
    start = time.monotonic()
    with pytest.raises(DNSError, match=r"cannot resolve the DNS server name 'no-such-dns-server"):
        be.read(["1.2.0.192.in-addr.arpa."])
    assert time.monotonic() - start < 3


def test_bad_name_late_in_a_long_write_is_rejected_before_sending(named: Bind) -> None:
    # Messages are built lazily while earlier ones are in flight: every name
    # is still checked before the first message goes out.
    be = backend(named, max_message_size=512)
    before = serial(named, V4)
    good = [v4(i, None, f"late-{i}.example.test.") for i in range(210, 250)]
    for bad in (
        v4(250, None, "a..example.test."),
        v4(250, "-x..example.test.", "b.example.test."),
        PtrChange(IP("192.0.2.250"), f"a..250.{V4}", V4, None, "c.example.test."),
        PtrChange(IP("192.0.2.250"), "250.example.test.", V4, None, "c.example.test."),
        v4(210, None, "again.example.test."),
    ):
        with pytest.raises(ValidationError):
            be.write([*good, bad])
    assert serial(named, V4) == before
    assert be.read([f"210.{V4}", f"249.{V4}"]) == {f"210.{V4}": Lookup(), f"249.{V4}": Lookup()}
    be.write(good)  # many messages of 512 bytes at most, all sent
    found = be.read([change.name for change in good])
    assert all(found[change.name].ptr == change.new for change in good)


# ---------------------------------------------------------------- conflicts


def test_concurrent_change_is_a_conflict_and_the_other_value_is_kept(named: Bind) -> None:
    be = backend(named)
    name = f"150.{V4}"
    assert be.read([name]) == {name: Lookup()}
    nsupdate(named, f"update add {name} 300 PTR other.example.test.")
    before = serial(named, V4)
    with pytest.raises(ConflictError, match=r"150\.2\.0\.192\.in-addr\.arpa\..*none of") as err:
        be.write([v4(151, None, "mine.example.test."), v4(150, None, "mine.example.test.")])
    assert "151.2.0" not in str(err.value).split("changed since read:")[1].split(";")[0]
    assert dig(named, name, "PTR") == ["other.example.test."]
    assert dig(named, f"151.{V4}", "PTR") == []  # same message: not applied either
    assert serial(named, V4) == before
    # Changed under a change and under a delete.
    nsupdate(named, f"update delete {name} PTR\nupdate add {name} 300 PTR third.example.test.")
    with pytest.raises(ConflictError):
        be.write([v4(150, "other.example.test.", "mine.example.test.")])
    with pytest.raises(ConflictError):
        be.write([v4(150, "other.example.test.", None)])
    assert dig(named, name, "PTR") == ["third.example.test."]


# ----------------------------------------------------------------- batching


def test_two_thousand_ipv6_ptrs_split_into_several_messages(named: Bind) -> None:
    net = ipaddress.IPv6Network("2001:db8:0:2::/64")
    changes = [v6(str(net[i]), None, f"host-{i}.example.test.") for i in range(1, 2001)]
    before = serial(named, V6)
    backend(named, max_message_size=16_000).write(changes)
    messages = serial(named, V6) - before  # each update message bumps the serial once
    assert 5 <= messages <= 20
    records = [r for r in axfr(named, V6) if r[1] == "PTR"]
    assert len(records) == 2000
    assert (changes[1999].name, "PTR", "host-2000.example.test.") in records
    # Read them all back; then delete them in a default-size write.
    be = backend(named)
    got = be.read([c.name for c in changes])
    assert all(got[c.name] == Lookup(ptr=c.new) for c in changes)
    before = serial(named, V6)
    be.write([v6(str(c.ip), c.new, None) for c in changes])
    assert 2 <= serial(named, V6) - before <= 10
    assert [r for r in axfr(named, V6) if r[1] == "PTR"] == []


# ------------------------------------------------------ through ReverseDNS


def test_reverse_dns_over_rfc2136_with_classless_map(named: Bind) -> None:
    rdns = ReverseDNS(backend(named), classless={"192.0.2.0/26": CHILD})
    result = rdns.apply(
        {
            "192.0.2.5": "five.example.test",
            "192.0.2.100": "hundred.example.test",
            "2001:db8::5": "v6.example.test",
        }
    )
    assert (len(result.added), len(result.changed), result.failed) == (2, 1, ())
    assert dig(named, f"5.{CHILD}", "PTR") == ["five.example.test."]
    assert dig(named, f"100.{V4}", "PTR") == ["hundred.example.test."]
    assert rdns.get_ptr("192.0.2.5") == "five.example.test."
    # Without the map, the CNAME is followed and its target written.
    plain = ReverseDNS(backend(named))
    assert plain.get_ptr("192.0.2.5") == "five.example.test."
    plain.set_ptr("192.0.2.6", "six.example.test")
    assert dig(named, f"6.{CHILD}", "PTR") == ["six.example.test."]
    again = plain.set_ptr("192.0.2.6", "six.example.test.")
    assert not again.has_changes


def test_reverse_dns_plan_then_concurrent_change_then_apply_conflicts(named: Bind) -> None:
    rdns = ReverseDNS(backend(named), classless={"192.0.2.0/26": CHILD})
    plan = rdns.plan({"192.0.2.7": "mine.example.test", "192.0.2.101": "mine.example.test"})
    assert len(plan.added) == 2
    nsupdate(named, f"update add 7.{CHILD} 300 PTR theirs.example.test.")
    with pytest.raises(ConflictError, match=r"7\.0-63"):
        rdns.apply(plan)
    assert dig(named, f"7.{CHILD}", "PTR") == ["theirs.example.test."]


# ------------------------------------------------------ zone transfers (AXFR)


@contextlib.contextmanager
def written(bind: Bind, changes: list[PtrChange]) -> Iterator[list[PtrChange]]:
    """``changes`` written for the test and removed after it (the fixture's reset
    uses nsupdate, which cannot delete thousands of names in one message)."""
    backend(bind).write(changes)
    try:
        yield changes
    finally:
        backend(bind).write([attrs.evolve(c, old=c.new, new=None) for c in changes])


def raw_transfer(
    bind: Bind, zone: str, key: TsigKey | None = None
) -> tuple[int, bytes, list[bytes]]:
    """The messages of one TSIG-signed AXFR of ``zone`` as named sent them (query id, MAC)."""
    tsig = (key or TsigKey(bind.key.name, bind.key.secret))._keyring()
    (dkey,) = tsig.values()
    qid = 4242
    query, request_mac = _wire.sign(_xfr.axfr_query(qid, _wire.name_wire(zone, "zone")), qid, dkey)
    messages = []
    with socket.create_connection((bind.host, bind.port), timeout=5) as sock:
        sock.sendall(len(query).to_bytes(2, "big") + query)
        ender = _xfr.Transfer(zone, qid)  # only to know where the stream ends
        while True:
            messages.append(_receive(sock))
            if ender.feed(messages[-1]):
                return qid, request_mac, messages


def dnskey(bind: Bind, secret: str | None = None) -> dns.tsig.Key:
    (key,) = TsigKey(bind.key.name, secret or bind.key.secret)._keyring().values()
    return key


def parse(
    bind: Bind, zone: str, messages: list[bytes], qid: int, mac: bytes, secret: str | None = None
) -> _xfr.Transfer:
    transfer = _xfr.Transfer(zone, qid, dnskey(bind, secret), mac)
    done = [transfer.feed(m) for m in messages]
    assert done == [False] * (len(messages) - 1) + [True]
    return transfer


def records_by_dig(bind: Bind, zone: str) -> dict[str, list[tuple[int, str]]]:
    out: dict[str, list[tuple[int, str]]] = {}
    for owner, rdtype, value in axfr(bind, zone):
        if rdtype in ("PTR", "CNAME"):
            code = dns.rdatatype.PTR if rdtype == "PTR" else dns.rdatatype.CNAME
            out.setdefault(owner, []).append((code, value.lower()))
    return {owner: sorted(values) for owner, values in out.items()}


def test_transfer_parser_on_named_parent_zone_with_cnames_and_a_cut(named: Bind) -> None:
    nsupdate(named, f"update add 150.{V4} 300 PTR Mixed-Case.Example.TEST.")
    qid, mac, messages = raw_transfer(named, V4)
    transfer = parse(named, V4, messages, qid, mac)
    assert {k: sorted(v) for k, v in transfer.records.items()} == records_by_dig(named, V4)
    assert transfer.records[f"7.{V4}"] == [(dns.rdatatype.CNAME, f"7.{CHILD}")]
    assert transfer.records[f"150.{V4}"] == [(dns.rdatatype.PTR, "mixed-case.example.test.")]
    assert transfer.cuts == {CHILD}  # the RFC 2317 delegation
    assert transfer.serial == serial(named, V4)
    answered, outside = transfer.lookups([f"7.{V4}", f"7.{CHILD}", f"99.{V4}"])
    assert outside == [f"7.{CHILD}"]
    assert answered == {f"7.{V4}": [(dns.rdatatype.CNAME, f"7.{CHILD}")], f"99.{V4}": []}


def test_transfer_split_over_many_messages_each_verified(named: Bind) -> None:
    net = ipaddress.IPv6Network("2001:db8:0:77::/64")
    with written(
        named, [v6(str(net[i]), None, f"many-{i}.example.test.") for i in range(1, 3001)]
    ) as changes:
        _many_messages(named, changes)


def _many_messages(named: Bind, changes: list[PtrChange]) -> None:
    qid, mac, messages = raw_transfer(named, V6)
    assert len(messages) > 5  # named cuts a transfer into messages of about 16 KB
    transfer = parse(named, V6, messages, qid, mac)
    assert transfer.messages == len(messages)
    assert transfer.count >= 3000 + 3  # the PTRs, NS and the SOA twice
    assert {k: sorted(v) for k, v in transfer.records.items()} == records_by_dig(named, V6)
    # Only the names asked for are kept.
    wanted = {changes[5].name, changes[2999].name, f"f.f.{V6}"}
    few = _xfr.Transfer(V6, qid, dnskey(named), mac, wanted)
    for message in messages:
        few.feed(message)
    assert few.records == {
        changes[5].name: [(dns.rdatatype.PTR, "many-6.example.test.")],
        changes[2999].name: [(dns.rdatatype.PTR, "many-3000.example.test.")],
    }


def _with_byte_flipped(message: bytes, at: int) -> bytes:
    return message[:at] + bytes([message[at] ^ 0x20]) + message[at + 1 :]


def _without_tsig(message: bytes) -> bytes:
    arcount = int.from_bytes(message[10:12], "big")
    assert arcount == 1
    at = message.rfind(b"\x00\xfa\x00\xff")  # TSIG type, class ANY after the key name
    owner_start = at - len(dns.name.from_text("hostlib-test.").to_wire() or b"")
    return message[:10] + b"\x00\x00" + message[12:owner_start]


def test_transfer_tampering_and_wrong_keys_are_rejected(named: Bind) -> None:
    net = ipaddress.IPv6Network("2001:db8:0:78::/64")
    with written(named, [v6(str(net[i]), None, f"t-{i}.example.test.") for i in range(1, 1001)]):
        _tampering(named)


def _tampering(named: Bind) -> None:
    qid, mac, messages = raw_transfer(named, V6)
    assert len(messages) >= 3
    parse(named, V6, messages, qid, mac)  # untouched: verifies
    middle = len(messages) // 2
    # A flipped bit in a PTR target (case: the parser itself would not mind).
    target = messages[middle].find(b"t-")
    tampered = list(messages)
    tampered[middle] = _with_byte_flipped(messages[middle], target)
    with pytest.raises(dns.tsig.BadSignature):
        parse(named, V6, tampered, qid, mac)
    # The same message with its TSIG stripped: the chain then breaks at the next MAC.
    stripped = list(messages)
    stripped[middle] = _without_tsig(messages[middle])
    with pytest.raises(dns.tsig.BadSignature):
        parse(named, V6, stripped, qid, mac)
    # First or last message unsigned: refused outright.
    for index in (0, len(messages) - 1):
        unsigned = list(messages)
        unsigned[index] = _without_tsig(messages[index])
        with pytest.raises(_xfr.UnsignedAnswer):
            parse(named, V6, unsigned, qid, mac)
    # Verified with another secret (same key name): the first MAC fails.
    other = base64.b64encode(b"x" * 32).decode()
    with pytest.raises(dns.tsig.BadSignature):
        parse(named, V6, messages, qid, mac, secret=other)
    # Another request MAC (a replayed answer to another query): fails too.
    with pytest.raises(dns.tsig.BadSignature):
        parse(named, V6, messages, qid, b"\0" * len(mac))


def test_wrong_key_transfer_is_refused_by_named_and_reads_fall_back(
    named: Bind, caplog: pytest.LogCaptureFixture
) -> None:
    backend(named).write([child(i, None, f"w{i}.example.test.") for i in range(50)])
    names = [f"{i}.{CHILD}" for i in range(64)] + [f"{i}.{V4}" for i in range(64)]
    expected = backend(named, axfr_threshold=None).read(names)
    wrong = RFC2136Backend(
        named.host, named.port, tsig=TsigKey(named.key.name, base64.b64encode(b"y" * 32).decode())
    )
    with caplog.at_level(logging.INFO, logger="hostlib.dns.rfc2136"):
        assert wrong.read(names) == expected
    assert "key rejected" in caplog.text
    assert named.key.secret not in caplog.text
    with pytest.raises(DNSUpdateRefused, match="BADSIG"):
        wrong.write([child(60, None, "nope.example.test.")])


class TamperingProxy:
    """A loopback TCP proxy to named that flips one byte of the n-th answer message."""

    def __init__(self, bind: Bind, message_index: int) -> None:
        self.upstream = (bind.host, bind.port)
        self.index = message_index
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        client, _ = self.listener.accept()
        with client, socket.create_connection(self.upstream, timeout=5) as server:
            query = _receive(client)
            server.sendall(len(query).to_bytes(2, "big") + query)
            count = 0
            with contextlib.suppress(OSError, EOFError):
                while True:
                    message = _receive(server)
                    if count == self.index:
                        at = message.find(b"p-")
                        message = _with_byte_flipped(message, at)
                    client.sendall(len(message).to_bytes(2, "big") + message)
                    count += 1

    def close(self) -> None:
        self.listener.close()
        self.thread.join(timeout=10)


def test_tampered_transfer_from_the_network_is_an_error_not_a_fallback(named: Bind) -> None:
    net = ipaddress.IPv6Network("2001:db8:0:79::/64")
    changes = [v6(str(net[i]), None, f"p-{i}.example.test.") for i in range(1, 801)]
    proxy = TamperingProxy(named, 1)
    with written(named, changes):
        be = RFC2136Backend(
            "127.0.0.1", proxy.port, tsig=TsigKey.from_file(named.key_file), zones=[V6]
        )
        with pytest.raises(DNSUpdateRefused, match="did not verify") as err:
            be.read([c.name for c in changes])
        assert named.key.secret not in str(err.value)
    proxy.close()


def test_axfr_reads_equal_query_reads(named: Bind) -> None:
    backend(named).write([child(i, None, f"c{i}.example.test.") for i in range(0, 64, 3)])
    backend(named).write([v4(i, None, f"p{i}.example.test.") for i in range(150, 250)])
    net = ipaddress.IPv6Network("2001:db8::/64")
    with written(named, [v6(str(net[i]), None, f"v{i}.example.test.") for i in range(1, 300)]):
        _axfr_equals_queries(named, net)


def _axfr_equals_queries(named: Bind, net: ipaddress.IPv6Network) -> None:
    names = (
        [f"{i}.{V4}" for i in range(256)]
        + [f"{i}.{CHILD}" for i in range(64)]
        + [reverse_pointer(net[i]) for i in range(0, 400)]
        + [CHILD, V4, f"x.{CHILD}"]
    )
    by_query = backend(named, axfr_threshold=None).read(names)
    for threshold in (0, 32):
        axfr_backend = backend(named, axfr_threshold=threshold)
        assert axfr_backend.read(names) == by_query
        assert axfr_backend._zone_size.keys() == {V4, CHILD, V6}  # all three transferred
        # The zones learnt from the transfers serve zone_for without a query.
        assert axfr_backend.zone_for(f"5.{CHILD}") == CHILD
        assert axfr_backend.zone_for(reverse_pointer(net[7])) == V6


def reverse_pointer(address: ipaddress.IPv6Address | ipaddress.IPv4Address) -> str:
    return address.reverse_pointer + "."


def test_big_zone_is_not_transferred_for_few_names(
    named: Bind, caplog: pytest.LogCaptureFixture
) -> None:
    net = ipaddress.IPv6Network("2001:db8:0:7a::/64")
    changes = [v6(str(net[i]), None, f"b-{i}.example.test.") for i in range(1, 3001)]
    with written(named, changes):
        _big_zone(named, changes, caplog)


def _big_zone(named: Bind, changes: list[PtrChange], caplog: pytest.LogCaptureFixture) -> None:
    names = [c.name for c in changes[:40]]  # budget 20 x 40 + 2,000 records < 3,003
    be = backend(named)
    with caplog.at_level(logging.DEBUG, logger="hostlib.dns.rfc2136"):
        assert be.read(names) == {
            n: Lookup(ptr=f"b-{i}.example.test.") for i, n in enumerate(names, 1)
        }
        assert "cut off" in caplog.text
        caplog.clear()
        assert be.read(names)[names[0]] == Lookup(ptr="b-1.example.test.")
        assert "AXFR" not in caplog.text  # the zone's size is known now: no second try
        # Enough names for the whole zone: transferred.
        assert len(be.read([c.name for c in changes])) == 3000
        assert "AXFR of 8.b.d.0.1.0.0.2.ip6.arpa.:" in caplog.text
