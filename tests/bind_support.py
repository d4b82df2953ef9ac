"""A real BIND 9 ``named`` for tests, plus the ``dig`` and ``nsupdate`` commands.

``start_named(workdir)`` writes a config, zone files and two TSIG keys into
``workdir`` and runs ``named -g`` listening on 127.0.0.1 and ::1 at one
random free port (TCP and UDP). Zones (all primary, dynamic)::

    2.0.192.in-addr.arpa.        IPv4 reverse; .0-.63 are RFC 2317 CNAMEs
                                 into the child zone below; 192.0.2.100 has
                                 a PTR (seed.example.test.)
    0-63.2.0.192.in-addr.arpa.   the RFC 2317 child zone (192.0.2.0/26)
    8.b.d.0.1.0.0.2.ip6.arpa.    IPv6 reverse for 2001:db8::/48
    example.test.                forward zone (A/AAAA for forward checks)

Keys: ``key`` may update every zone and transfer (AXFR) every zone;
``narrow_key`` may update only the RFC 2317 child zone, and transfer
nothing. Both are hmac-sha256 and are also written as BIND key files
(``key_file``, ``narrow_key_file``) for ``dig -k`` / ``nsupdate -k``.

Fixtures: ``named`` (one server per test module; call ``bind.reset()`` to
put every zone back to its seed contents) and ``fresh_named`` (one per
test)::

    from tests.bind_support import Bind, named  # noqa: F401

    def test_x(named: Bind) -> None:
        named.reset()
        assert dig(named, "100.2.0.192.in-addr.arpa", "PTR") == ["seed.example.test."]
"""

from __future__ import annotations

import base64
import contextlib
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

__all__ = [
    "FORWARD_RECORDS",
    "Bind",
    "BindKey",
    "axfr",
    "dig",
    "free_port",
    "fresh_named",
    "named",
    "nsupdate",
    "start_named",
]

IPV4_ZONE = "2.0.192.in-addr.arpa."
CLASSLESS_ZONE = "0-63.2.0.192.in-addr.arpa."
CLASSLESS_NETWORK = "192.0.2.0/26"
IPV6_ZONE = "8.b.d.0.1.0.0.2.ip6.arpa."
IPV6_NETWORK = "2001:db8::/48"
FORWARD_ZONE = "example.test."

#: Forward records of example.test. (name, type, value), for forward-confirmation tests.
FORWARD_RECORDS: tuple[tuple[str, str, str], ...] = (
    ("ns.example.test.", "A", "127.0.0.1"),
    ("host1.example.test.", "A", "192.0.2.10"),
    ("host1.example.test.", "AAAA", "2001:db8::10"),
    ("host2.example.test.", "A", "192.0.2.100"),
    ("host3.example.test.", "AAAA", "2001:db8:0:1::3"),
    ("multi.example.test.", "A", "192.0.2.10"),
    ("multi.example.test.", "A", "192.0.2.11"),
    ("seed.example.test.", "A", "192.0.2.100"),
)

_SOA = "@ 3600 IN SOA ns.example.test. hostmaster.example.test. 1 3600 600 86400 300\n"
_NS = "@ 3600 IN NS ns.example.test.\n"


@attrs.frozen
class BindKey:
    """A TSIG key as named knows it. ``secret`` is base64."""

    name: str
    secret: str = attrs.field(repr=False)
    algorithm: str = "hmac-sha256"

    def conf(self) -> str:
        """The key as a BIND ``key`` statement (also a valid key file)."""
        return (
            f'key "{self.name}" {{\n\talgorithm {self.algorithm};\n\tsecret "{self.secret}";\n}};\n'
        )


def _new_key(name: str) -> BindKey:
    return BindKey(name=name, secret=base64.b64encode(secrets.token_bytes(32)).decode())


def _zone_texts() -> dict[str, str]:
    parent = _SOA + _NS
    # RFC 2317: delegate 0-63 to the child zone (served by this same named)
    # and alias every address of 192.0.2.0/26 into it.
    parent += "0-63 3600 IN NS ns.example.test.\n"
    parent += "$GENERATE 0-63 $ 3600 IN CNAME $.0-63\n"
    parent += "100 3600 IN PTR seed.example.test.\n"
    forward = _SOA + _NS
    for name, rdtype, value in FORWARD_RECORDS:
        forward += f"{name} 3600 IN {rdtype} {value}\n"
    return {
        IPV4_ZONE: parent,
        CLASSLESS_ZONE: _SOA + _NS,
        IPV6_ZONE: _SOA + _NS,
        FORWARD_ZONE: forward,
    }


@attrs.define
class Bind:
    """A running named: where it listens, its keys, zones and working directory."""

    host: str
    host6: str
    port: int
    key: BindKey
    narrow_key: BindKey
    workdir: Path
    process: subprocess.Popen[bytes]
    ipv4_zone: str = IPV4_ZONE
    classless_zone: str = CLASSLESS_ZONE
    classless_network: str = CLASSLESS_NETWORK
    ipv6_zone: str = IPV6_ZONE
    ipv6_network: str = IPV6_NETWORK
    forward_zone: str = FORWARD_ZONE

    @property
    def zones(self) -> tuple[str, ...]:
        return (self.ipv4_zone, self.classless_zone, self.ipv6_zone, self.forward_zone)

    @property
    def key_file(self) -> Path:
        return self.workdir / "key.conf"

    @property
    def narrow_key_file(self) -> Path:
        return self.workdir / "narrow.conf"

    def log(self) -> str:
        return (self.workdir / "named.log").read_text(errors="replace")

    def reset(self) -> None:
        """Put every zone back to its seed contents (one nsupdate per zone).

        Deletes every name the zone holds beyond its seed, then re-adds the
        seed records, so a test starts from the documented contents.
        """
        seeds = _zone_texts()
        for zone in self.zones:
            current = axfr(self, zone)
            lines = [f"zone {zone}"]
            seen: set[tuple[str, str]] = set()
            for name, rdtype, _value in current:
                if rdtype in ("SOA", "NS") and name == zone:
                    continue
                if (name, rdtype) not in seen:
                    seen.add((name, rdtype))
                    lines.append(f"update delete {name} {rdtype}")
            lines.extend(_seed_updates(zone, seeds[zone]))
            nsupdate(self, "\n".join(lines))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _seed_updates(zone: str, text: str) -> list[str]:
    """``update add`` lines for a seed zone text (expanding our one $GENERATE)."""
    out = []
    for line in text.splitlines():
        if line.startswith("@"):
            continue
        if line.startswith("$GENERATE"):
            _, span, owner, ttl, klass, rdtype, target = line.split()
            low, high = (int(x) for x in span.split("-"))
            for i in range(low, high + 1):
                name = owner.replace("$", str(i))
                value = target.replace("$", str(i))
                out.append(f"update add {name}.{zone} {ttl} {klass} {rdtype} {value}.{zone}")
            continue
        name, ttl, klass, rdtype, value = line.split()
        owner = name if name.endswith(".") else f"{name}.{zone}"
        out.append(f"update add {owner} {ttl} {klass} {rdtype} {value}")
    return out


def free_port() -> int:
    """A port free for TCP and UDP on both 127.0.0.1 and ::1 (at the time of asking)."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        try:
            for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
                for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
                    with socket.socket(family, kind) as sock:
                        sock.bind((host, port))
        except OSError:
            continue
        return port
    raise RuntimeError("no port free on both 127.0.0.1 and ::1 for TCP and UDP")


def _named_conf(workdir: Path, port: int, key: BindKey, narrow: BindKey) -> str:
    zones = ""
    for zone in _zone_texts():
        policy = f"grant {key.name} zonesub ANY;"
        if zone == CLASSLESS_ZONE:
            policy += f" grant {narrow.name} zonesub ANY;"
        zones += (
            f'zone "{zone}" {{\n\ttype primary;\n\tfile "{workdir / zone}db";\n'
            f"\tupdate-policy {{ {policy} }};\n"
            f"\tallow-transfer {{ key {key.name}; }};\n}};\n"
        )
    return f"""
options {{
\tdirectory "{workdir}";
\tpid-file "{workdir}/named.pid";
\tsession-keyfile "{workdir}/session.key";
\tmanaged-keys-directory "{workdir}";
\tlisten-on port {port} {{ 127.0.0.1; }};
\tlisten-on-v6 port {port} {{ ::1; }};
\trecursion no;
\tnotify no;
\tdnssec-validation no;
\tallow-query {{ any; }};
\ttcp-clients 1000;
\treuseport no;  // else a second named could share the port and answer for us
}};
controls {{ }};
logging {{
\tchannel default {{ stderr; severity info; print-time yes; print-category yes; }};
\tcategory default {{ default; }};
\tcategory update {{ default; }};
\tcategory lame-servers {{ null; }};
}};
{key.conf()}{narrow.conf()}{zones}"""


def start_named(workdir: Path, *, attempts: int = 5) -> Bind:
    """Start named in ``workdir`` (config, zones, keys, log there) at a random port.

    Retries on another port when the chosen one was taken meanwhile.

    Raises:
        RuntimeError: named did not answer ``dig SOA`` within 10 s (log in the message).
    """
    key = _new_key("hostlib-test.")
    narrow = _new_key("narrow.")
    (workdir / "key.conf").write_text(key.conf())
    (workdir / "narrow.conf").write_text(narrow.conf())
    last_log = ""
    for _ in range(attempts):
        for zone, text in _zone_texts().items():
            (workdir / f"{zone}db").write_text(f"$ORIGIN {zone}\n$TTL 3600\n{text}")
            (workdir / f"{zone}db.jnl").unlink(missing_ok=True)
        port = free_port()
        conf = workdir / "named.conf"
        conf.write_text(_named_conf(workdir, port, key, narrow))
        log = (workdir / "named.log").open("wb")
        process = subprocess.Popen(
            ["named", "-g", "-c", str(conf), "-n", "1"], stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        bind = Bind(
            host="127.0.0.1",
            host6="::1",
            port=port,
            key=key,
            narrow_key=narrow,
            workdir=workdir,
            process=process,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and process.poll() is None:
            if "address in use" in bind.log():
                break  # taken since free_port() looked: try another
            if _answers(bind):
                return bind
            time.sleep(0.02)
        bind.stop()
        last_log = bind.log()
        if "address in use" not in last_log:
            break
    raise RuntimeError(f"named did not start in {workdir}:\n{last_log}")


def _answers(bind: Bind) -> bool:
    """Whether *this* named answers: the answer must verify with this run's own key."""
    done = subprocess.run(
        [*_DIG, "+time=1", "-k", str(bind.key_file), *_at(bind), bind.ipv6_zone, "SOA"],
        capture_output=True,
        text=True,
        check=False,
    )
    # An answer from another server does not verify: dig prints an error, no records.
    return done.returncode == 0 and "SOA" in done.stdout.split() and ";;" not in done.stdout


def _at(bind: Bind, host: str | None = None) -> list[str]:
    return [f"@{host or bind.host}", "-p", str(bind.port)]


@contextlib.contextmanager
def _running_named(prefix: str) -> Iterator[Bind]:
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    bind = start_named(workdir)
    try:
        yield bind
    finally:
        bind.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def named() -> Iterator[Bind]:
    """A real named shared by the tests of one module; ``reset()`` restores the seeds."""
    with _running_named("named-") as bind:
        yield bind


@pytest.fixture
def fresh_named() -> Iterator[Bind]:
    """A real named for one test only."""
    with _running_named("named-") as bind:
        yield bind


_DIG = ("dig", "+tcp", "+noall", "+answer", "+tries=1")


def dig(bind: Bind, name: str, rdtype: str, *, host: str | None = None) -> list[str]:
    """Run ``dig`` (TCP, no recursion); return the answer's ``rdtype`` values at ``name``.

    Values are as dig prints them (absolute names with a trailing dot),
    sorted. named does not follow a CNAME into another zone (the RFC 2317
    child): ask for the target name to see its PTR.
    """
    done = subprocess.run(
        [
            "dig",
            "+tcp",
            "+norecurse",
            "+noall",
            "+answer",
            "+time=2",
            "+tries=1",
            *_at(bind, host),
            name,
            rdtype,
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, f"dig {name} {rdtype} failed: {done.stdout} {done.stderr}"
    values = []
    for line in done.stdout.splitlines():
        parts = line.split(None, 4)
        if len(parts) == 5 and parts[3].upper() == rdtype.upper():
            values.append(parts[4].strip())
    return sorted(values)


def axfr(bind: Bind, zone: str) -> list[tuple[str, str, str]]:
    """``dig AXFR`` of ``zone`` signed with the main key: (owner, type, value) per record."""
    done = subprocess.run(
        [
            "dig",
            "+tcp",
            "+noall",
            "+answer",
            "+time=5",
            "+tries=1",
            "-k",
            str(bind.key_file),
            *_at(bind),
            zone,
            "AXFR",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, f"dig AXFR {zone} failed: {done.stdout} {done.stderr}"
    records = []
    for line in done.stdout.splitlines():
        parts = line.split(None, 4)
        if len(parts) == 5 and not line.startswith(";"):
            records.append((parts[0].lower(), parts[3].upper(), parts[4].strip()))
    if records and records[-1][1] == "SOA":
        records.pop()  # AXFR repeats the SOA at the end
    return records


def nsupdate(
    bind: Bind, script: str, *, key: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run ``nsupdate -k <key file>`` (TCP) with ``script`` against the server.

    A ``server`` line is put first and a ``send`` last (unless the script
    ends with one). ``key`` is a key file (default: the main key's).

    Raises:
        AssertionError: ``check`` and nsupdate exited non-zero.
    """
    body = script.strip()
    if not body.endswith("send"):
        body += "\nsend"
    text = f"server {bind.host} {bind.port}\n{body}\n"
    done = subprocess.run(
        ["nsupdate", "-v", "-k", str(key or bind.key_file)],
        input=text,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check:
        assert done.returncode == 0, f"nsupdate failed: {done.stdout} {done.stderr}"
    return done
