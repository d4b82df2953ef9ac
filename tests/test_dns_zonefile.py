"""ZoneFileBackend against real files, named-checkzone and a real named."""

from __future__ import annotations

import datetime
import ipaddress
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import dns.zone
import pytest

from hostlib.dns.backend import Lookup, PtrBackend
from hostlib.dns.changes import PtrChange
from hostlib.dns.zonefile import ZoneFileBackend, next_serial
from hostlib.errors import ConflictError, DNSError, ValidationError
from tests.bind_support import free_port

ORIGIN = "2.0.192.in-addr.arpa."
DAY = datetime.date(2026, 3, 14)

ZONE_TEXT = textwrap.dedent(
    """\
    ; reverse zone for 192.0.2.0/24
    ; managed by hostlib
    $TTL 7200
    $ORIGIN 2.0.192.in-addr.arpa.
    @       IN SOA ns1.example.test. hostmaster.example.test. (
                    2026031402 ; serial
                    3600 900 604800 300 )
            IN NS  ns1.example.test.
    ; a comment line between records
    10      IN PTR host10.example.com. ; customer 42
    11  300 IN PTR host11.example.com.
    5       IN CNAME 5.0-63
    0-63    IN NS  ns1.example.test.
    info    IN TXT "keep; me"
    """
)


def change(last: int, old: str | None, new: str | None) -> PtrChange:
    return PtrChange(
        ip=ipaddress.IPv4Address(f"192.0.2.{last}"),
        name=f"{last}.{ORIGIN}",
        zone=ORIGIN,
        old=old,
        new=new,
    )


@pytest.fixture
def zone_path(tmp_path: Path) -> Path:
    path = tmp_path / "db.192.0.2"
    path.write_text(ZONE_TEXT)
    return path


@pytest.fixture
def backend(zone_path: Path) -> ZoneFileBackend:
    return ZoneFileBackend(zone_path, origin=ORIGIN, today=lambda: DAY)


def checkzone(path: Path, origin: str = ORIGIN) -> str:
    done = subprocess.run(
        ["named-checkzone", origin, str(path)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def serial_of(path: Path) -> int:
    zone = dns.zone.from_file(str(path), origin=ORIGIN)
    soa = zone.find_rdataset("@", "SOA")[0]
    return int(soa.serial)


def test_is_a_ptr_backend(backend: ZoneFileBackend) -> None:
    assert isinstance(backend, PtrBackend)
    assert "db.192.0.2" in repr(backend)


def test_read_ptr_cname_empty_and_outside(backend: ZoneFileBackend) -> None:
    found = backend.read(
        ["10.2.0.192.in-addr.arpa", "5.2.0.192.IN-ADDR.ARPA.", "12." + ORIGIN, "x.example."]
    )
    assert found == {  # keyed by the names as given
        "10.2.0.192.in-addr.arpa": Lookup(ptr="host10.example.com."),
        "5.2.0.192.IN-ADDR.ARPA.": Lookup(cname="5.0-63." + ORIGIN),
        "12." + ORIGIN: Lookup(),
        "x.example.": Lookup(),
    }
    assert backend.zone_for("10." + ORIGIN) == ORIGIN
    with pytest.raises(ValidationError, match=r"not in zone 2\.0\.192\.in-addr\.arpa\."):
        backend.zone_for("10.3.0.192.in-addr.arpa.")


def test_write_add_change_delete_keeps_the_rest(backend: ZoneFileBackend, zone_path: Path) -> None:
    backend.write(
        [
            change(12, None, "new12.example.com."),
            change(10, "host10.example.com.", "renamed.example.com."),
            change(11, "host11.example.com.", None),
        ]
    )
    found = backend.read([f"{n}.{ORIGIN}" for n in (10, 11, 12, 5)])
    assert found[f"10.{ORIGIN}"].ptr == "renamed.example.com."
    assert found[f"11.{ORIGIN}"] == Lookup()
    assert found[f"12.{ORIGIN}"].ptr == "new12.example.com."
    assert found[f"5.{ORIGIN}"].cname == "5.0-63." + ORIGIN
    text = zone_path.read_text()
    # the header comment block and $TTL survive; other records untouched
    assert text.startswith("; reverse zone for 192.0.2.0/24\n; managed by hostlib\n$TTL 7200\n")
    assert 'info 7200 IN TXT "keep; me"' in text
    assert "0-63 7200 IN NS ns1.example.test." in text
    assert "12 7200 IN PTR new12.example.com." in text  # new record: the file's $TTL
    assert "10 7200 IN PTR renamed.example.com." in text
    assert "11 " not in text
    assert serial_of(zone_path) == 2026031403
    assert "loaded serial 2026031403" in checkzone(zone_path)


def test_end_of_line_comment_kept_on_untouched_record(
    backend: ZoneFileBackend, zone_path: Path
) -> None:
    backend.write([change(20, None, "h20.example.com.")])
    assert "10 7200 IN PTR host10.example.com. ; customer 42" in zone_path.read_text()


def test_changed_ttl_is_kept_for_a_changed_record(
    backend: ZoneFileBackend, zone_path: Path
) -> None:
    backend.write([change(11, "host11.example.com.", "other.example.com.")])
    assert "11 300 IN PTR other.example.com." in zone_path.read_text()


def test_conflict_leaves_the_file_unchanged(backend: ZoneFileBackend, zone_path: Path) -> None:
    before = zone_path.read_bytes()
    with pytest.raises(ConflictError) as info:
        backend.write(
            [
                change(12, None, "new12.example.com."),
                change(10, "someone-else.example.com.", "mine.example.com."),
            ]
        )
    assert "10.2.0.192.in-addr.arpa. is host10.example.com., expected someone-else" in str(
        info.value
    )
    assert "Nothing was written" in str(info.value)
    assert zone_path.read_bytes() == before
    with pytest.raises(ConflictError, match=r"is empty, expected gone\.example\.com\."):
        backend.write([change(13, "gone.example.com.", None)])
    assert zone_path.read_bytes() == before


def test_ptr_at_a_cname_is_refused(backend: ZoneFileBackend, zone_path: Path) -> None:
    before = zone_path.read_bytes()
    with pytest.raises(ValidationError, match=r"is a CNAME to 5\.0-63\.2\.0\.192\.in-addr\.arpa\."):
        backend.write([change(5, None, "h5.example.com.")])
    assert zone_path.read_bytes() == before


def test_name_outside_the_zone_is_refused(backend: ZoneFileBackend) -> None:
    bad = PtrChange(
        ip=ipaddress.IPv4Address("198.51.100.1"),
        name="1.100.51.198.in-addr.arpa.",
        zone="100.51.198.in-addr.arpa.",
        old=None,
        new="x.example.com.",
    )
    with pytest.raises(ValidationError, match="not in zone"):
        backend.write([bad])


def test_edit_by_hand_is_seen_by_the_next_read(backend: ZoneFileBackend, zone_path: Path) -> None:
    assert backend.read(["10." + ORIGIN])["10." + ORIGIN].ptr == "host10.example.com."
    zone_path.write_text(ZONE_TEXT.replace("host10.example.com.", "edited.example.com."))
    assert backend.read(["10." + ORIGIN])["10." + ORIGIN].ptr == "edited.example.com."
    with pytest.raises(ConflictError):
        backend.write([change(10, "host10.example.com.", "mine.example.com.")])


def test_empty_write_touches_nothing(backend: ZoneFileBackend, zone_path: Path) -> None:
    before = zone_path.stat()
    backend.write([])
    after = zone_path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


@pytest.mark.parametrize(
    ("current", "today", "expected"),
    [
        (2026031305, DAY, 2026031401),  # earlier day: today's first
        (2026031401, DAY, 2026031402),  # same day: plus one
        (2026031499, DAY, 2026031500),  # same day, nn exhausted: still monotonic
        (2026040107, DAY, 2026040108),  # already ahead: plus one, never back
        (1, DAY, 2026031401),  # not date-shaped and small: jump to the date form
        (3000000000, DAY, 3000000001),  # far ahead (RFC 1982): plus one
        (4294967295, DAY, 2026031401),  # RFC 1982: the date form is ahead, across the wrap
    ],
)
def test_next_serial(current: int, today: datetime.date, expected: int) -> None:
    assert next_serial(current, today) == expected


def test_serial_bumps_per_write(zone_path: Path) -> None:
    days = iter([DAY, DAY, datetime.date(2026, 3, 15)])
    backend = ZoneFileBackend(zone_path, origin=ORIGIN, today=lambda: next(days))
    backend.write([change(20, None, "a.example.com.")])
    assert serial_of(zone_path) == 2026031403
    backend.write([change(20, "a.example.com.", "b.example.com.")])
    assert serial_of(zone_path) == 2026031404
    backend.write([change(20, "b.example.com.", None)])
    assert serial_of(zone_path) == 2026031501
    checkzone(zone_path)


def test_file_mode_is_kept(backend: ZoneFileBackend, zone_path: Path) -> None:
    zone_path.chmod(0o640)
    backend.write([change(20, None, "a.example.com.")])
    assert zone_path.stat().st_mode & 0o777 == 0o640


def test_unreadable_or_broken_file_is_a_dns_error(tmp_path: Path) -> None:
    missing = ZoneFileBackend(tmp_path / "nope", origin=ORIGIN)
    with pytest.raises(DNSError, match="cannot read zone file"):
        missing.read(["1." + ORIGIN])
    broken = tmp_path / "broken"
    broken.write_text("$ORIGIN 2.0.192.in-addr.arpa.\n@ IN SOA oops\n")
    with pytest.raises(DNSError, match="does not parse"):
        ZoneFileBackend(broken, origin=ORIGIN).read(["1." + ORIGIN])
    included = tmp_path / "included"
    included.write_text(ZONE_TEXT + "$INCLUDE other.db\n")
    with pytest.raises(DNSError, match="INCLUDE"):
        ZoneFileBackend(included, origin=ORIGIN).read(["1." + ORIGIN])


def test_bad_options_are_validation_errors(zone_path: Path) -> None:
    with pytest.raises(ValidationError, match="reload_command"):
        ZoneFileBackend(zone_path, reload_command="rndc reload")
    with pytest.raises(ValidationError, match="ttl"):
        ZoneFileBackend(zone_path, ttl=-1)
    with pytest.raises(ValidationError, match="zone name"):
        ZoneFileBackend(zone_path, origin="a..b")


def test_reload_command_runs_after_a_change(zone_path: Path, tmp_path: Path) -> None:
    marker = tmp_path / "reloaded"
    backend = ZoneFileBackend(
        zone_path, origin=ORIGIN, reload_command=["touch", str(marker)], today=lambda: DAY
    )
    before = zone_path.stat()
    backend.write([change(10, "host10.example.com.", "host10.example.com.")])
    backend.write([])
    assert not marker.exists()  # nothing to change: no write, no reload
    assert zone_path.stat().st_mtime_ns == before.st_mtime_ns
    backend.write([change(20, None, "a.example.com.")])
    assert marker.exists()


def test_reload_failure_is_a_dns_error_but_the_file_is_written(zone_path: Path) -> None:
    backend = ZoneFileBackend(
        zone_path,
        origin=ORIGIN,
        reload_command=[sys.executable, "-c", "import sys; sys.exit('rndc: connection refused')"],
        today=lambda: DAY,
    )
    with pytest.raises(DNSError) as info:
        backend.write([change(20, None, "a.example.com.")])
    message = str(info.value)
    assert "was written (serial 2026031403)" in message
    assert "exited with 1 (rndc: connection refused)" in message
    assert backend.read(["20." + ORIGIN])["20." + ORIGIN].ptr == "a.example.com."
    missing = ZoneFileBackend(zone_path, origin=ORIGIN, reload_command=["/nonexistent/rndc"])
    with pytest.raises(DNSError, match="was not found"):
        missing.write([change(21, None, "b.example.com.")])


def test_concurrent_writers_serialise_on_the_lock(zone_path: Path) -> None:
    errors: list[BaseException] = []

    def writer(first: int) -> None:
        backend = ZoneFileBackend(zone_path, origin=ORIGIN, today=lambda: DAY)
        try:
            for last in range(first, first + 15):
                backend.write([change(last, None, f"h{last}.example.com.")])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(start,)) for start in (100, 150, 200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    backend = ZoneFileBackend(zone_path, origin=ORIGIN)
    names = [f"{n}.{ORIGIN}" for s in (100, 150, 200) for n in range(s, s + 15)]
    assert all(v.ptr for v in backend.read(names).values())
    assert serial_of(zone_path) == 2026031402 + 45
    checkzone(zone_path)


CRASHING_WRITER = textwrap.dedent(
    """\
    import ipaddress, sys
    from hostlib.dns.changes import PtrChange
    from hostlib.dns.zonefile import ZoneFileBackend
    backend = ZoneFileBackend(sys.argv[1], origin="2.0.192.in-addr.arpa.")
    n = 0
    print("ready", flush=True)
    while True:
        n += 1
        last = n % 200 + 20
        name = f"{last}.2.0.192.in-addr.arpa."
        old = backend.read([name])[name].ptr
        new = None if old else f"h{n}.example.com."
        backend.write([PtrChange(ipaddress.ip_address(f"192.0.2.{last}"), name,
                                 "2.0.192.in-addr.arpa.", old, new)])
    """
)


def test_killed_writer_leaves_a_whole_zone(zone_path: Path, tmp_path: Path) -> None:
    """A writer killed at any moment leaves the old or the new file, never half of one."""
    # Make the file big enough that a write is not a single syscall.
    ZoneFileBackend(zone_path, origin=ORIGIN).write(
        [change(n, None, f"{'x' * 50}-{n}.example.com.") for n in range(20, 250)]
    )
    script = tmp_path / "writer.py"
    script.write_text(CRASHING_WRITER)
    for delay in (0.3, 0.45, 0.6):
        proc = subprocess.Popen(
            [sys.executable, str(script), str(zone_path)],
            stdout=subprocess.PIPE,
            cwd=Path(__file__).resolve().parent.parent,
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"ready"
        reads = 0
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline:
            # a concurrent reader always sees a complete zone
            dns.zone.from_file(str(zone_path), origin=ORIGIN)
            reads += 1
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert reads > 0
        checkzone(zone_path)
        assert serial_of(zone_path) > 2026031402
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".db.192.0.2.")]
    # a killed writer may leave its temporary file behind, never a broken zone
    assert all(not (tmp_path / name).samefile(zone_path) for name in leftovers)


# -- BIND loads what the backend writes ---------------------------------------


def _dig(port: int, name: str, rdtype: str, *, probe: bool = False) -> list[str]:
    done = subprocess.run(
        [
            "dig",
            "+tcp",
            "+short",
            "+norecurse",
            "+time=2",
            "+tries=1",
            "@127.0.0.1",
            "-p",
            str(port),
            name,
            rdtype,
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if probe and done.returncode != 0:
        return []
    assert done.returncode == 0, done.stdout + done.stderr
    return sorted(done.stdout.split())


@pytest.fixture
def named_on_zone_file(tmp_path: Path) -> Iterator[tuple[Path, int, int]]:
    """named serving ZONE_TEXT from a plain (non-dynamic) zone file: (path, port, pid)."""
    zone_path = tmp_path / "db.192.0.2"
    zone_path.write_text(ZONE_TEXT)
    port = free_port()
    conf = tmp_path / "named.conf"
    conf.write_text(
        f"""
options {{
    directory "{tmp_path}";
    pid-file "{tmp_path}/named.pid";
    session-keyfile "{tmp_path}/session.key";
    managed-keys-directory "{tmp_path}";
    listen-on port {port} {{ 127.0.0.1; }};
    listen-on-v6 {{ none; }};
    recursion no;
    notify no;
    dnssec-validation no;
}};
controls {{ }};
zone "{ORIGIN}" {{ type primary; file "{zone_path}"; }};
"""
    )
    log = (tmp_path / "named.log").open("wb")
    proc = subprocess.Popen(
        ["named", "-g", "-c", str(conf), "-n", "1"], stdout=log, stderr=subprocess.STDOUT
    )
    log.close()
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            if _dig(port, ORIGIN, "SOA", probe=True):
                break
            time.sleep(0.05)
        else:
            pytest.fail("named did not start:\n" + (tmp_path / "named.log").read_text())
        yield zone_path, port, proc.pid
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_bind_loads_the_written_file(named_on_zone_file: tuple[Path, int, int]) -> None:
    zone_path, port, pid = named_on_zone_file
    assert _dig(port, "10." + ORIGIN, "PTR") == ["host10.example.com."]
    backend = ZoneFileBackend(
        zone_path, origin=ORIGIN, reload_command=["kill", "-HUP", str(pid)], today=lambda: DAY
    )
    backend.write(
        [
            change(10, "host10.example.com.", "changed.example.com."),
            change(12, None, "added.example.com."),
            change(11, "host11.example.com.", None),
        ]
    )
    checkzone(zone_path)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        soa = _dig(port, ORIGIN, "SOA")
        if "2026031403" in soa:
            break
        time.sleep(0.05)
    assert "2026031403" in soa
    assert _dig(port, "10." + ORIGIN, "PTR") == ["changed.example.com."]
    assert _dig(port, "12." + ORIGIN, "PTR") == ["added.example.com."]
    assert _dig(port, "11." + ORIGIN, "PTR") == []
    assert _dig(port, "5." + ORIGIN, "CNAME") == ["5.0-63.2.0.192.in-addr.arpa."]
    assert _dig(port, "info." + ORIGIN, "TXT") == ['"keep;', 'me"']
    assert os.path.exists(zone_path)
