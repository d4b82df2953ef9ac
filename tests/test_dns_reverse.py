"""ReverseDNS over a zone file and over a real named (RFC 2136 + TSIG).

The facade tests run against both backends; RFC 2317, IPv6, narrow keys
and forward confirmation use the named of tests/bind_support.py (forward
checks ask its example.test zone).
"""

from __future__ import annotations

import ipaddress
import logging
import subprocess
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path

import attrs
import pytest

from hostlib.dns.backend import Lookup, PtrBackend
from hostlib.dns.changes import ChangeSet, PtrChange
from hostlib.dns.names import ClasslessMap, reverse_name
from hostlib.dns.reverse import ReadBackError, ReverseDNS
from hostlib.dns.rfc2136 import RFC2136Backend, TsigKey
from hostlib.dns.zonefile import ZoneFileBackend
from hostlib.errors import (
    ConflictError,
    DNSError,
    DNSUpdateRefused,
    PermissionDenied,
    ValidationError,
)
from tests.bind_support import Bind, axfr, dig, free_port, named, nsupdate

__all__ = ["named"]  # the fixture, imported for pytest

PARENT = "2.0.192.in-addr.arpa."
CHILD = "0-63.2.0.192.in-addr.arpa."

PARENT_ZONE_TEXT = textwrap.dedent(
    """\
    $TTL 3600
    $ORIGIN 2.0.192.in-addr.arpa.
    @ IN SOA ns.example.test. hostmaster.example.test. 1 3600 600 86400 300
    @ IN NS ns.example.test.
    100 IN PTR seed.example.test.
    """
)
CHILD_ZONE_TEXT = PARENT_ZONE_TEXT.replace(PARENT, CHILD).replace(
    "100 IN PTR seed.example.test.\n", ""
)


@attrs.define
class Env:
    """One backend under test, with a way around it for a second writer."""

    kind: str
    backend: PtrBackend
    snapshot: Callable[[], object]
    external_set: Callable[[str, str | None], None]

    def rdns(self, **kwargs: object) -> ReverseDNS:
        return ReverseDNS(self.backend, **kwargs)  # type: ignore[arg-type]


def _tsig(bind: Bind) -> TsigKey:
    return TsigKey(bind.key.name, bind.key.secret, bind.key.algorithm)


def _zonefile_env(tmp_path: Path) -> Env:
    path = tmp_path / "db.parent"
    path.write_text(PARENT_ZONE_TEXT)
    backend = ZoneFileBackend(path, origin=PARENT)

    def external_set(ip: str, target: str | None) -> None:
        other = ZoneFileBackend(path, origin=PARENT)
        name = reverse_name(ip)
        old = other.read([name])[name].ptr
        other.write([PtrChange(ipaddress.ip_address(ip), name, PARENT, old, target)])

    return Env("zonefile", backend, path.read_bytes, external_set)


def _named_env(bind: Bind) -> Env:
    bind.reset()
    backend = RFC2136Backend(bind.host, bind.port, tsig=_tsig(bind), timeout=5.0)

    def external_set(ip: str, target: str | None) -> None:
        name = reverse_name(ip)
        script = f"update delete {name} PTR"
        if target is not None:
            script += f"\nupdate add {name} 3600 IN PTR {target}"
        nsupdate(bind, script)

    def snapshot() -> object:
        return (axfr(bind, PARENT), axfr(bind, CHILD), axfr(bind, bind.ipv6_zone))

    return Env("rfc2136", backend, snapshot, external_set)


@pytest.fixture(params=["zonefile", "rfc2136"])
def env(request: pytest.FixtureRequest, tmp_path: Path) -> Env:
    if request.param == "zonefile":
        return _zonefile_env(tmp_path)
    bind: Bind = request.getfixturevalue("named")
    return _named_env(bind)


@pytest.fixture
def zone_env(tmp_path: Path) -> Env:
    return _zonefile_env(tmp_path)


@pytest.fixture
def bind(named: Bind) -> Bind:
    named.reset()
    return named


def names_of(changes: Sequence[PtrChange]) -> list[tuple[str, str | None, str | None]]:
    return [(str(c.ip), c.old, c.new) for c in changes]


# -- the facade on both backends ----------------------------------------------


def test_set_get_delete(env: Env) -> None:
    rdns = env.rdns()
    assert rdns.get_ptr("192.0.2.100") == "seed.example.test."
    assert rdns.get_ptr("192.0.2.200") is None
    result = rdns.set_ptr("192.0.2.200", "Web-1.Example.COM")
    assert names_of(result.added) == [("192.0.2.200", None, "web-1.example.com.")]
    assert result.added[0].name == "200." + PARENT
    assert result.added[0].zone == PARENT
    assert rdns.get_ptr("192.0.2.200") == "web-1.example.com."
    result = rdns.set_ptr(ipaddress.IPv4Address("192.0.2.200"), "web-2.example.com.")
    assert names_of(result.changed) == [("192.0.2.200", "web-1.example.com.", "web-2.example.com.")]
    result = rdns.delete_ptr("192.0.2.200")
    assert names_of(result.deleted) == [("192.0.2.200", "web-2.example.com.", None)]
    assert rdns.get_ptr("192.0.2.200") is None
    assert rdns.delete_ptr("192.0.2.200") == ChangeSet(
        unchanged=(
            PtrChange(ipaddress.IPv4Address("192.0.2.200"), "200." + PARENT, PARENT, None, None),
        )
    )


def test_setting_the_current_value_writes_nothing(env: Env) -> None:
    rdns = env.rdns()
    before = env.snapshot()
    result = rdns.set_ptr("192.0.2.100", "SEED.example.test")
    assert not result.has_changes
    assert names_of(result.unchanged) == [
        ("192.0.2.100", "seed.example.test.", "seed.example.test.")
    ]
    assert env.snapshot() == before  # same bytes / same zone incl. SOA serial


def test_plan_never_writes_and_matches_apply(env: Env) -> None:
    rdns = env.rdns()
    rdns.set_ptr("192.0.2.150", "old150.example.com")
    rdns.set_ptr("192.0.2.151", "gone151.example.com")
    mapping: dict[ipaddress.IPv4Address | str, str | None] = {
        "192.0.2.152": "new152.example.com",
        "192.0.2.150": "new150.example.com",
        "192.0.2.151": None,
        "192.0.2.100": "seed.example.test",
        "192.0.2.153": None,
    }
    before = env.snapshot()
    planned = rdns.plan(mapping)
    assert env.snapshot() == before
    assert names_of(planned.added) == [("192.0.2.152", None, "new152.example.com.")]
    assert names_of(planned.changed) == [
        ("192.0.2.150", "old150.example.com.", "new150.example.com.")
    ]
    assert names_of(planned.deleted) == [("192.0.2.151", "gone151.example.com.", None)]
    assert names_of(planned.unchanged) == [
        ("192.0.2.100", "seed.example.test.", "seed.example.test."),
        ("192.0.2.153", None, None),
    ]
    applied = rdns.apply(mapping)
    assert applied == planned
    assert applied.failed == ()
    assert rdns.plan(mapping).pending == ()
    assert rdns.get_ptr("192.0.2.150") == "new150.example.com."
    assert rdns.get_ptr("192.0.2.151") is None
    assert rdns.get_ptr("192.0.2.152") == "new152.example.com."


def test_changeset_is_ordered_by_address(env: Env) -> None:
    rdns = env.rdns()
    lasts = [230, 201, 255, 199, 210, 64]
    result = rdns.apply({f"192.0.2.{n}": f"h{n}.example.com" for n in lasts})
    assert [int(c.ip.packed[3]) for c in result.added] == sorted(lasts)


def test_change_between_plan_and_apply_is_a_conflict(env: Env) -> None:
    rdns = env.rdns()
    planned = rdns.plan({"192.0.2.100": "mine.example.com", "192.0.2.201": "x.example.com"})
    env.external_set("192.0.2.100", "theirs.example.com.")
    before = env.snapshot()
    with pytest.raises(ConflictError):
        rdns.apply(planned)
    assert env.snapshot() == before  # nothing of the batch was written
    assert rdns.get_ptr("192.0.2.100") == "theirs.example.com."
    assert rdns.get_ptr("192.0.2.201") is None
    # applying the mapping afresh reads the new value and succeeds
    result = rdns.apply({"192.0.2.100": "mine.example.com"})
    assert names_of(result.changed) == [("192.0.2.100", "theirs.example.com.", "mine.example.com.")]


def test_apply_a_plan(env: Env) -> None:
    rdns = env.rdns()
    planned = rdns.plan({"192.0.2.100": None, "192.0.2.202": "p.example.com"})
    result = rdns.apply(planned)
    assert result == planned
    assert rdns.get_ptr("192.0.2.100") is None
    assert rdns.get_ptr("192.0.2.202") == "p.example.com."


def test_bad_input_is_refused_before_anything_is_sent(env: Env) -> None:
    rdns = env.rdns()
    before = env.snapshot()
    with pytest.raises(ValidationError, match=r"'192\.0\.2\.300' is not an IP address"):
        rdns.apply({"192.0.2.201": "ok.example.com", "192.0.2.300": "x.example.com"})
    with pytest.raises(ValidationError, match=r"PTR for 192\.0\.2\.201: .*'bad_label'"):
        rdns.apply({"192.0.2.202": "ok.example.com", "192.0.2.201": "bad_label.example.com"})
    with pytest.raises(ValidationError, match="given twice"):
        rdns.apply(
            {"2001:db8::1": "a.example.com", ipaddress.ip_address("2001:DB8::1"): "b.example.com"}
        )
    with pytest.raises(ValidationError, match="delete_ptr"):
        rdns.set_ptr("192.0.2.201", None)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="mapping"):
        rdns.apply([("192.0.2.201", "x.example.com")])  # type: ignore[arg-type]
    assert env.snapshot() == before


def test_allowed_networks(env: Env) -> None:
    rdns = env.rdns(allowed_networks=["192.0.2.192/26", "2001:db8:1::/64"])
    before = env.snapshot()
    with pytest.raises(PermissionDenied, match=r"192\.0\.2\.100 are outside the allowed"):
        rdns.apply({"192.0.2.200": "mine.example.com", "192.0.2.100": "stolen.example.com"})
    with pytest.raises(PermissionDenied):
        rdns.delete_ptr("192.0.2.100")
    with pytest.raises(PermissionDenied):
        rdns.get_ptr("192.0.2.100")
    assert env.snapshot() == before
    assert rdns.set_ptr("192.0.2.200", "mine.example.com").added
    with pytest.raises(ValidationError, match=r"allowed network '192\.0\.2\.1/24'"):
        env.rdns(allowed_networks=["192.0.2.1/24"])


# -- read-back ----------------------------------------------------------------


@attrs.define
class LossyBackend:
    """A real backend that silently drops every other change it is given."""

    inner: PtrBackend

    def zone_for(self, name: str) -> str:
        return self.inner.zone_for(name)

    def read(self, names: Sequence[str]) -> dict[str, Lookup]:
        return self.inner.read(names)

    def write(self, changes: Sequence[PtrChange]) -> None:
        self.inner.write(list(changes)[::2])


def test_changes_that_do_not_take_are_reported(env: Env) -> None:
    rdns = ReverseDNS(LossyBackend(env.backend))
    mapping = {f"192.0.2.{n}": f"h{n}.example.com" for n in range(200, 206)}
    with pytest.raises(ReadBackError) as info:
        rdns.apply(mapping)
    assert isinstance(info.value, DNSError)
    failed = info.value.changeset.failed
    assert [str(c.ip) for c in failed] == ["192.0.2.201", "192.0.2.203", "192.0.2.205"]
    assert "3 of 6 PTR changes did not take" in str(info.value)
    assert "192.0.2.201 (201.2.0.192.in-addr.arpa.: wanted h201.example.com., found no PTR)" in (
        str(info.value)
    )
    assert len(info.value.changeset.added) == 6
    result = rdns.apply(
        {f"192.0.2.{n}": f"h{n}.example.com" for n in range(200, 206)}, strict=False
    )
    # the second round: 3 still missing, of which every other one is dropped again
    assert [str(c.ip) for c in result.added] == ["192.0.2.201", "192.0.2.203", "192.0.2.205"]
    assert [str(c.ip) for c in result.failed] == ["192.0.2.203"]


# -- zone file specifics ------------------------------------------------------


def test_zone_file_stays_valid_and_serial_moves_once_per_apply(zone_env: Env) -> None:
    backend = zone_env.backend
    assert isinstance(backend, ZoneFileBackend)
    rdns = zone_env.rdns()
    rdns.apply({f"192.0.2.{n}": f"h{n}.example.com" for n in range(1, 60)})
    rdns.apply({"192.0.2.1": None, "192.0.2.2": "again.example.com"})
    done = subprocess.run(
        ["named-checkzone", PARENT, str(backend.path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout
    text = backend.path.read_text()
    assert "SOA" in text
    serial_line = next(line for line in text.splitlines() if " SOA " in line)
    serial = int(serial_line.split()[6])
    assert serial % 100 == 2  # two applies, two bumps on one day (from serial 1)


def test_zone_file_classless_child(tmp_path: Path) -> None:
    path = tmp_path / "db.child"
    path.write_text(CHILD_ZONE_TEXT)
    rdns = ReverseDNS(ZoneFileBackend(path, origin=CHILD), classless={"192.0.2.0/26": CHILD})
    result = rdns.set_ptr("192.0.2.10", "ten.example.com")
    assert result.added[0].name == "10." + CHILD
    assert result.added[0].zone == CHILD
    assert rdns.get_ptr("192.0.2.10") == "ten.example.com."
    assert "10 3600 IN PTR ten.example.com." in path.read_text()
    with pytest.raises(ValidationError, match="not in zone"):
        rdns.set_ptr("192.0.2.100", "out.example.com")


# -- against named only -------------------------------------------------------


def test_records_written_by_nsupdate_are_read(bind: Bind) -> None:
    nsupdate(
        bind,
        f"update add 77.{PARENT} 300 IN PTR by-nsupdate.example.com.\nsend\n"
        f"update add {reverse_name('2001:db8::77')} 300 IN PTR six.example.com.\nsend\n"
        f"update add 7.{CHILD} 300 IN PTR seven.example.com.",
    )
    rdns = ReverseDNS(RFC2136Backend(bind.host, bind.port, tsig=_tsig(bind)))
    assert rdns.get_ptr("192.0.2.77") == "by-nsupdate.example.com."
    assert rdns.get_ptr("2001:db8::77") == "six.example.com."
    assert rdns.get_ptr("192.0.2.7") == "seven.example.com."  # through the RFC 2317 CNAME


@pytest.mark.parametrize("with_map", [False, True])
def test_rfc2317_writes_to_the_cname_target(bind: Bind, with_map: bool) -> None:
    classless = ClasslessMap({bind.classless_network: CHILD}) if with_map else None
    rdns = ReverseDNS(RFC2136Backend(bind.host, bind.port, tsig=_tsig(bind)), classless=classless)
    result = rdns.apply({"192.0.2.10": "ten.example.com", "192.0.2.200": "p200.example.com"})
    assert [(str(c.ip), c.name, c.zone) for c in result.added] == [
        ("192.0.2.10", "10." + CHILD, CHILD),
        ("192.0.2.200", "200." + PARENT, PARENT),
    ]
    assert result.failed == ()
    assert dig(bind, "10." + CHILD, "PTR") == ["ten.example.com."]
    assert dig(bind, "10." + PARENT, "CNAME") == ["10." + CHILD]
    assert dig(bind, "10." + PARENT, "PTR") == []
    assert dig(bind, "200." + PARENT, "PTR") == ["p200.example.com."]
    assert rdns.get_ptr("192.0.2.10") == "ten.example.com."
    assert rdns.delete_ptr("192.0.2.10").deleted
    assert dig(bind, "10." + CHILD, "PTR") == []


def test_rfc2317_map_that_disagrees_with_the_parent_is_refused(bind: Bind) -> None:
    wrong = "0/26." + PARENT
    rdns = ReverseDNS(
        RFC2136Backend(bind.host, bind.port, tsig=_tsig(bind)),
        classless={bind.classless_network: wrong},
    )
    with pytest.raises(DNSError, match=r"is a CNAME to 10\.0-63\.2\.0\.192\.in-addr\.arpa\."):
        rdns.set_ptr("192.0.2.10", "ten.example.com")
    assert dig(bind, "10." + CHILD, "PTR") == []


@attrs.define
class PlainNameBackend:
    """A real backend used the naive way: updates go to the plain reverse name."""

    inner: RFC2136Backend

    def zone_for(self, name: str) -> str:
        return self.inner.zone_for(name)

    def read(self, names: Sequence[str]) -> dict[str, Lookup]:
        return self.inner.read(names)

    def write(self, changes: Sequence[PtrChange]) -> None:
        plain = [attrs.evolve(c, name=reverse_name(c.ip), zone=PARENT, old=None) for c in changes]
        self.inner.write(plain)


def test_rfc2317_noerror_that_changed_nothing_is_caught_by_read_back(bind: Bind) -> None:
    """FIELD_NOTES: named answers NOERROR to a PTR at the CNAME'd name and adds nothing."""
    rdns = ReverseDNS(PlainNameBackend(RFC2136Backend(bind.host, bind.port, tsig=_tsig(bind))))
    with pytest.raises(ReadBackError) as info:
        rdns.apply({"192.0.2.11": "eleven.example.com", "192.0.2.12": "twelve.example.com"})
    assert [str(c.ip) for c in info.value.changeset.failed] == ["192.0.2.11", "192.0.2.12"]
    assert dig(bind, "11." + CHILD, "PTR") == []
    assert dig(bind, "11." + PARENT, "CNAME") == ["11." + CHILD]


def test_rfc2317_trap_caught_by_read_back_through_a_zone_transfer(bind: Bind) -> None:
    """The same trap with more names than the backend's AXFR threshold."""
    backend = RFC2136Backend(bind.host, bind.port, tsig=_tsig(bind), axfr_threshold=8)
    mapping = {f"192.0.2.{n}": f"lost{n}.example.com" for n in range(20, 60)}
    mapping.update({f"192.0.2.{n}": f"kept{n}.example.com" for n in range(150, 170)})
    with pytest.raises(ReadBackError) as info:
        ReverseDNS(PlainNameBackend(backend)).apply(mapping)
    assert [str(c.ip) for c in info.value.changeset.failed] == list(mapping)[:40]
    assert len(info.value.changeset.added) == 60
    assert dig(bind, "160." + PARENT, "PTR") == ["kept160.example.com."]
    # Written properly (with the map), the same changes read back complete.
    rdns = ReverseDNS(backend, classless={bind.classless_network: CHILD})
    result = rdns.apply(mapping)
    assert result.failed == ()
    assert len(result.added) == 40
    assert len(result.unchanged) == 20
    assert rdns.plan(mapping).pending == ()


def test_ipv6(bind: Bind) -> None:
    rdns = ReverseDNS(RFC2136Backend(bind.host6, bind.port, tsig=_tsig(bind)))
    result = rdns.apply(
        {
            "2001:db8::10": "host1.example.test",
            "2001:db8:0:1::3": "host3.example.test",
            "2001:db8::abcd": None,
        }
    )
    assert [str(c.ip) for c in result.added] == ["2001:db8::10", "2001:db8:0:1::3"]
    assert result.added[0].zone == bind.ipv6_zone
    assert dig(bind, reverse_name("2001:db8::10"), "PTR") == ["host1.example.test."]
    assert dig(bind, reverse_name("2001:db8:0:1::3"), "PTR", host="::1") == ["host3.example.test."]
    assert rdns.get_ptr("2001:DB8::10") == "host1.example.test."
    assert rdns.delete_ptr("2001:db8::10").deleted
    assert dig(bind, reverse_name("2001:db8::10"), "PTR") == []


def test_narrow_key_may_update_only_its_zone(bind: Bind) -> None:
    narrow = TsigKey(bind.narrow_key.name, bind.narrow_key.secret, bind.narrow_key.algorithm)
    rdns = ReverseDNS(
        RFC2136Backend(bind.host, bind.port, tsig=narrow),
        classless={bind.classless_network: CHILD},
    )
    assert rdns.set_ptr("192.0.2.20", "twenty.example.com").added
    assert dig(bind, "20." + CHILD, "PTR") == ["twenty.example.com."]
    with pytest.raises(DNSUpdateRefused):
        rdns.set_ptr("192.0.2.120", "x.example.com")
    assert dig(bind, "120." + PARENT, "PTR") == []


def test_bulk_apply_reads_back_everything(bind: Bind) -> None:
    rdns = ReverseDNS(RFC2136Backend(bind.host, bind.port, tsig=_tsig(bind)))
    mapping = {f"2001:db8::{n:x}": f"bulk{n}.example.com" for n in range(1, 401)}
    mapping.update({f"192.0.2.{n}": f"v4-{n}.example.com" for n in range(0, 256)})
    result = rdns.apply(mapping)
    assert len(result.added) == 655  # 192.0.2.100 had seed.example.test. already
    assert len(result.changed) == 1
    assert result.failed == ()
    assert dig(bind, "33." + CHILD, "PTR") == ["v4-33.example.com."]
    assert dig(bind, reverse_name("2001:db8::190"), "PTR") == ["bulk400.example.com."]
    assert rdns.plan(mapping).pending == ()


# -- forward confirmation (asks named's example.test) -------------------------


def test_forward_check_require(zone_env: Env, bind: Bind) -> None:
    rdns = zone_env.rdns(forward_check="require", resolver=(bind.host, bind.port))
    before = zone_env.snapshot()
    with pytest.raises(
        ValidationError,
        match=r"192\.0\.2\.101 -> host2\.example\.test\.: .*has A 192\.0\.2\.100, "
        r"not 192\.0\.2\.101",
    ):
        rdns.apply({"192.0.2.100": "host2.example.test", "192.0.2.101": "host2.example.test"})
    with pytest.raises(ValidationError, match=r"nowhere\.example\.test\. has A no records"):
        rdns.set_ptr("192.0.2.102", "nowhere.example.test")
    with pytest.raises(ValidationError, match=r"not 192\.0\.2\.12"):
        rdns.plan({"192.0.2.12": "multi.example.test"})
    assert zone_env.snapshot() == before
    result = rdns.apply({"192.0.2.10": "multi.example.test", "192.0.2.11": "multi.example.test"})
    assert len(result.added) == 2
    assert rdns.set_ptr("192.0.2.100", "host2.example.test").changed
    # an unchanged PTR is not checked again; deletes are never checked
    assert not rdns.set_ptr("192.0.2.100", "host2.example.test").has_changes
    assert rdns.delete_ptr("192.0.2.10").deleted


def test_forward_check_warn(zone_env: Env, bind: Bind, caplog: pytest.LogCaptureFixture) -> None:
    rdns = zone_env.rdns(forward_check="warn", resolver=(bind.host, bind.port))
    with caplog.at_level(logging.WARNING, logger="hostlib.dns.reverse"):
        result = rdns.apply(
            {"192.0.2.101": "host2.example.test", "192.0.2.100": "host2.example.test"}
        )
    assert len(result.changed) + len(result.added) == 2
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1
    assert "192.0.2.101 -> host2.example.test." in messages[0]
    assert rdns.get_ptr("192.0.2.101") == "host2.example.test."


def test_forward_check_with_a_dead_resolver(
    zone_env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    dead = ("127.0.0.1", free_port())
    strict = zone_env.rdns(forward_check="require", resolver=dead, timeout=0.5)
    with pytest.raises(DNSError, match=r"cannot confirm host2\.example\.test\."):
        strict.set_ptr("192.0.2.101", "host2.example.test")
    assert strict.get_ptr("192.0.2.101") is None
    lenient = zone_env.rdns(forward_check="warn", resolver=dead, timeout=0.5)
    with caplog.at_level(logging.WARNING, logger="hostlib.dns.reverse"):
        assert lenient.set_ptr("192.0.2.101", "host2.example.test").added
    assert any("cannot confirm" in r.getMessage() for r in caplog.records)


def test_bad_options(zone_env: Env) -> None:
    with pytest.raises(ValidationError, match="forward_check 'maybe'"):
        zone_env.rdns(forward_check="maybe")
    with pytest.raises(ValidationError, match="resolver"):
        zone_env.rdns(forward_check="warn", resolver=("127.0.0.1",))
    with pytest.raises(ValidationError, match="not an IP address"):
        zone_env.rdns(resolver=("localhost", 53))
    with pytest.raises(ValidationError, match="overlap"):
        zone_env.rdns(classless={"192.0.2.0/26": CHILD, "192.0.2.0/27": "0-31." + PARENT})


def test_repr_shows_no_secret(bind: Bind) -> None:
    rdns = ReverseDNS(RFC2136Backend(bind.host, bind.port, tsig=_tsig(bind)))
    assert bind.key.secret not in repr(rdns)
