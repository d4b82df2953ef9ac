"""Real rrdtool peers for tests: an rrdcached daemon and the ``rrdtool`` command.

The pytest fixture ``rrdcached`` starts ``rrdcached`` in the foreground on a
unix socket in a fresh short temporary directory (unix socket paths are
limited to 107 bytes, pytest's ``tmp_path`` can be longer)::

    from tests.rrd_support import RRDCached, rrdcached  # noqa: F401

    def test_x(rrdcached: RRDCached) -> None:
        store = TrafficStore(rrdcached.base_dir, daemon=rrdcached.address)

The daemon runs with ``-B -b <base_dir>`` (it refuses files outside that
directory and relative paths), a journal, and ``-w 3600 -f 7200``: values
stay queued for an hour unless flushed, so a reader that does not flush
sees stale data, which is what the tests want to catch. It is stopped
(SIGTERM, then SIGKILL) and its directory removed when the test ends.

The helpers run the ``rrdtool`` command itself, as an independent
cross-check of files written through the bindings or the daemon.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

__all__ = [
    "RRDCached",
    "cli_fetch",
    "cli_info",
    "cli_last",
    "cli_lastupdate",
    "png_size",
    "rrdcached",
    "rrdtool_cli",
    "start_rrdcached",
]


@attrs.define
class RRDCached:
    """A running rrdcached: its address, base directory and process."""

    workdir: Path
    base_dir: Path
    socket_path: Path
    process: subprocess.Popen[bytes]

    @property
    def address(self) -> str:
        return f"unix:{self.socket_path}"

    def command(self, line: str) -> list[str]:
        """Send one protocol command on a fresh connection; return the reply lines."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(10)
            sock.connect(str(self.socket_path))
            sock.sendall(line.encode() + b"\n")
            data = b""
            while True:
                chunk = sock.recv(65536)
                data += chunk
                lines = data.decode().split("\n")
                if len(lines) > 1:
                    count = int(lines[0].split(" ", 1)[0])
                    if len(lines) - 1 >= 1 + max(count, 0):
                        return lines[: 1 + max(count, 0)]
                if not chunk:
                    return lines

    def pending(self, path: Path) -> list[str]:
        """Return the updates queued in the daemon for ``path`` (not yet written)."""
        reply = self.command(f"PENDING {path}")
        return reply[1:] if int(reply[0].split(" ", 1)[0]) > 0 else []

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_rrdcached(workdir: Path, base_dir: Path | None = None) -> RRDCached:
    """Start rrdcached in ``workdir`` (socket, journal, pid file, log there).

    Raises:
        RuntimeError: it did not come up within 10 s (its log is in the message).
    """
    base = base_dir if base_dir is not None else workdir / "rrd"
    base.mkdir(parents=True, exist_ok=True)
    journal = workdir / "journal"
    journal.mkdir(exist_ok=True)
    sock = workdir / "sock"
    log = (workdir / "rrdcached.log").open("wb")
    cmd = [
        "rrdcached",
        "-g",
        "-l",
        f"unix:{sock}",
        "-B",
        "-b",
        str(base),
        "-j",
        str(journal),
        "-p",
        str(workdir / "pid"),
        "-w",
        "3600",
        "-f",
        "7200",
        "-F",
    ]
    process = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    daemon = RRDCached(workdir=workdir, base_dir=base, socket_path=sock, process=process)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        if sock.exists():
            try:
                if daemon.command("STATS")[0].split(" ", 1)[0].isdigit():
                    return daemon
            except OSError:
                pass
        time.sleep(0.01)
    daemon.stop()
    text = (workdir / "rrdcached.log").read_text(errors="replace")
    raise RuntimeError(f"rrdcached did not start: {' '.join(cmd)}\n{text}")


@pytest.fixture
def rrdcached() -> Iterator[RRDCached]:
    """A real rrdcached on a unix socket, stopped after the test."""
    workdir = Path(tempfile.mkdtemp(prefix="rrdc-"))
    daemon = start_rrdcached(workdir)
    try:
        yield daemon
    finally:
        daemon.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def rrdtool_cli(*args: str) -> str:
    """Run the ``rrdtool`` command with ``args``; return stdout.

    The environment's RRDCACHED_ADDRESS is removed unless ``--daemon`` is
    among the arguments, so the command reads the file itself.

    Raises:
        AssertionError: it exited non-zero (stderr in the message).
    """
    env = {k: v for k, v in os.environ.items() if k != "RRDCACHED_ADDRESS"}
    done = subprocess.run(
        ["rrdtool", *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert done.returncode == 0, f"rrdtool {' '.join(args)} failed: {done.stderr.strip()}"
    return done.stdout


def _number(text: str) -> float | None:
    value = float(text)
    return None if math.isnan(value) else value


def cli_fetch(
    path: Path, start: int, end: int, *, cf: str = "AVERAGE", resolution: int = 300
) -> list[tuple[int, float | None, float | None]]:
    """Rows ``(interval end, in, out)`` that ``rrdtool fetch`` prints for ``(start, end]``.

    Asks for ``--end end-1`` (``--end T`` would add the row after T) and
    keeps the rows whose interval ends in ``(start, end]``.
    """
    out = rrdtool_cli(
        "fetch", str(path), cf, "-r", str(resolution), "-s", str(start), "-e", str(end - 1)
    )
    lines = out.splitlines()
    header = lines[0].split()
    i_in, i_out = header.index("in"), header.index("out")
    rows = []
    for line in lines[1:]:
        if ":" not in line:
            continue
        stamp, _, rest = line.partition(":")
        values = rest.split()
        row_end = int(stamp)
        if start < row_end <= end:
            rows.append((row_end, _number(values[i_in]), _number(values[i_out])))
    return rows


def cli_info(path: Path) -> dict[str, str]:
    """``rrdtool info`` as a mapping of keys to raw value strings."""
    info = {}
    for line in rrdtool_cli("info", str(path)).splitlines():
        key, _, value = line.partition(" = ")
        info[key] = value.strip().strip('"')
    return info


def cli_last(path: Path) -> int:
    """``rrdtool last``: the time of the last update."""
    return int(rrdtool_cli("last", str(path)).strip())


def cli_lastupdate(path: Path) -> tuple[int, dict[str, str]]:
    """``rrdtool lastupdate``: time and raw last values by data source name."""
    lines = [line for line in rrdtool_cli("lastupdate", str(path)).splitlines() if line.strip()]
    names = lines[0].split()
    stamp, _, rest = lines[-1].partition(":")
    return int(stamp), dict(zip(names, rest.split(), strict=True))


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (asserting it is a PNG)."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert head[12:16] == b"IHDR", f"{path} has no IHDR chunk first"
    width, height = struct.unpack(">II", head[16:24])
    return width, height
