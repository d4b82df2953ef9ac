"""Start OpenIPMI's ``ipmi_sim`` on loopback as a real IPMI peer for tests.

``run_ipmi_sim(workdir)`` writes a ``lan.conf``, an emulator command file, a
chassis-control script and a LAN-configuration script into ``workdir``, starts
``ipmi_sim -n -c lan.conf -f cmds -s state``, waits until the BMC answers an
RMCP presence ping and ``ipmitool -I lanplus -C 3``, and kills it on exit. The
pytest fixture ``ipmi_sim`` does the same in ``tmp_path``::

    from tests.openipmi import ipmi_sim  # noqa: F401

    def test_x(ipmi_sim: IpmiSim) -> None:
        ipmi_sim.ipmitool("power", "on")
        assert ipmi_sim.power_on

What this ipmi_sim (OpenIPMI 2.0.33, "IPMI Simulator version 1.0.13") can do
here, measured:

* LAN channel 1 on ``127.0.0.1`` and a random free UDP port; one admin user
  (user 2). IPMI 1.5 (``ipmitool -I lan``, MD5 or straight password) and
  RMCP+ (``-I lanplus``) both answer.
* RMCP+ cipher suites 0-3 and 6-11 (SHA-1 / MD5). Suite 17 (SHA-256) is
  refused at Open Session ("invalid authentication algorithm"), so a client
  proposing 17 must fall back to 3 itself. Suite 0 (no authentication) is
  accepted too: do not use ipmi_sim to test that a client refuses it.
* Chassis power really keeps state: ipmi_sim has no power model of its own,
  so lan.conf names a ``chassis_control`` program (a shell script written
  here) that ipmi_sim runs for every Get Chassis Status, Chassis Control and
  boot-flags command (``<prog> get power``, ``<prog> set power 1``, ...). The
  script keeps the state in ``workdir/chassis/`` and logs every ``set``
  (``chassis_log()``). The BMC starts powered off with no boot override.

  - power on (1) / off (0) set the state; ``power status`` reads it back.
  - power cycle (2): ipmi_sim turns power off at once and back on by itself
    one second later (its own timer), so "off" may be read in between.
  - hard reset (3) is logged as ``reset 1``; the power state is unchanged.
  - soft off (5) is logged as ``shutdown 1``; the script plays an OS that
    obeys ACPI at once and turns power off.
  - pulse diagnostic interrupt (4) answers 0xCC (invalid data field).

What it cannot do:

* Boot device: Set System Boot Options parameter 5 keeps only the 4-bit
  device selector (none, PXE, disk = "default", CD/DVD, BIOS setup; every
  other selector is refused with 0xFF). It drops the "valid" and
  "persistent" bits: Get System Boot Options always answers data1 = 0x00,
  i.e. "boot flag invalid, next boot only". A client that follows the
  specification (pyghmi's ``get_bootdev``) therefore reads "no override"
  whatever was set; check the selector with ``boot_selector`` or
  ``ipmitool chassis bootparam get 5``. Parameters other than 1, 3, 4 and 5
  (e.g. 0, set-in-progress) answer 0xCC.
* Almost no fault injection (busy 0xC0, out of sessions, a BMC that stays
  silent during login): use ``hostlib.drivers.simulator.SimulatedBMC`` for
  those. What this launcher can do: ``set_chassis_delay(s)`` makes every
  chassis command take ``s`` seconds (logins still work: a BMC that hangs
  after login); ``stop()`` gives "nothing listening" (ICMP port
  unreachable); ``run_ipmi_sim(same workdir, port=old port)`` restarts the
  BMC in place, which forgets every session.
* Every chassis command forks the script through ``popen``: about 2-5 ms a
  command, so do not benchmark against it.

The BMC's own LAN settings (Get LAN Configuration Parameters, ``ipmitool lan
print 1``): by itself ipmi_sim answers address, mask, gateway and MAC with
zeros. ``lan_config_program`` in the ``startlan`` block (not in ipmi_lan(5) of
this version) names a program that ipmi_sim runs as ``<prog> get <parm>``, one
parameter a run, each time a client asks for one of ``ip_addr_src``,
``ip_addr``, ``subnet_mask``, ``mac_addr``, ``default_gw_ip_addr`` or
``default_gw_mac_addr`` (never at start-up). It parses a ``<parm>:<value>``
line; a program that fails on any one of them makes the whole Get fail. The
script written here answers every one of them from the files in
``workdir/lan/`` (``set_lan`` rewrites them; no restart needed). Address
sources ipmi_sim accepts: ``LAN_IP_SOURCES`` (not "none"). Setting LAN
parameters from a client is not supported: ipmi_sim runs ``<prog> set <parm>
<value>`` or ``<prog> check <parm> <value>``, which the script refuses; then
``ipmitool lan set 1 ipaddr`` still says it succeeded (nothing changes) and
``lan set 1 ipsrc`` hangs until ipmitool's timeout.

By default the BMC reports 192.0.2.10/24, gateway 192.0.2.1, MAC
52:54:00:12:34:56, static (``PEER_LAN`` of the conformance suite). These are
only values the simulator reports: ipmi_sim still listens on loopback only,
and nothing is ever sent to them. ``lan_ip=None`` leaves the program out, so
the BMC reports ipmi_sim's own 0.0.0.0.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import shlex
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

__all__ = ["LAN_IP_SOURCES", "IpmiSim", "ipmi_sim", "run_ipmi_sim"]

HOST = "127.0.0.1"

# Chassis control program: "<script> <statedir> get|set <parm> [<value> ...]".
# ipmi_sim parses the "get" output as "<parm>:<value>" lines.
_CHASSIS_SCRIPT = """\
#!/bin/sh
dir=$1
op=$2
shift 2
if [ -s "$dir/delay" ]; then
    sleep "$(cat "$dir/delay")"
fi
case $op in
get)
    for parm in "$@"; do
        case $parm in
        power) val=$(cat "$dir/power") ;;
        boot) val=$(cat "$dir/boot") ;;
        *) echo "no such parameter: $parm"; exit 1 ;;
        esac
        echo "$parm:$val"
    done
    ;;
set)
    echo "$*" >> "$dir/log"
    while [ $# -ge 2 ]; do
        parm=$1
        val=$2
        shift 2
        case $parm in
        power) echo "$val" > "$dir/power" ;;
        shutdown) echo 0 > "$dir/power" ;;
        reset) ;;
        boot) echo "$val" > "$dir/boot" ;;
        identify) shift ;;
        *) echo "no such parameter: $parm"; exit 1 ;;
        esac
    done
    ;;
*)
    exit 1
    ;;
esac
"""

# LAN configuration program: "<script> <landir> get <parm>"; ipmi_sim parses
# "<parm>:<value>". Every parameter it may ask for has a file in <landir>.
_LAN_CONFIG_SCRIPT = """\
#!/bin/sh
dir=$1
op=$2
shift 2
[ "$op" = get ] || exit 1
for parm in "$@"; do
    case $parm in
    ip_addr_src | ip_addr | subnet_mask | mac_addr | default_gw_ip_addr | \\
    default_gw_mac_addr | backup_gw_ip_addr | backup_gw_mac_addr) ;;
    *) echo "no such parameter: $parm"; exit 1 ;;
    esac
    echo "$parm:$(cat "$dir/$parm")"
done
"""

# ipmi_sim's words for the IP address source (parameter 4).
LAN_IP_SOURCES = ("static", "dhcp", "bios", "other")

_EMULATOR_COMMANDS = """\
mc_setbmc 0x20
mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr
mc_enable 0x20
"""

# RMCP/ASF presence ping (IANA 4542, message type 0x80); ipmi_sim answers 0x40.
_ASF_PING = bytes([0x06, 0x00, 0xFF, 0x06, 0x00, 0x00, 0x11, 0xBE, 0x80, 0x01, 0x00, 0x00])


@attrs.frozen
class IpmiSim:
    """A running ipmi_sim: where it listens and the admin user's credentials."""

    host: str
    port: int
    username: str
    password: str = attrs.field(repr=False)
    workdir: Path
    _proc: subprocess.Popen[bytes] = attrs.field(repr=False, eq=False)
    #: Whether lan.conf names the LAN configuration program (``lan_ip`` given).
    lan_program: bool = False

    @property
    def chassis_dir(self) -> Path:
        return self.workdir / "chassis"

    @property
    def lan_dir(self) -> Path:
        """Where the LAN configuration program reads its answers from."""
        return self.workdir / "lan"

    def set_lan(
        self,
        ip: str = "192.0.2.10",
        *,
        netmask: str = "255.255.255.0",
        gateway: str | None = "192.0.2.1",
        mac: str = "52:54:00:12:34:56",
        ip_source: str = "static",
    ) -> None:
        """Change what the BMC reports as its LAN settings from the next Get on.

        Raises:
            RuntimeError: the BMC was started with ``lan_ip=None``.
            ValueError: a value ipmi_sim could not report.
        """
        if not self.lan_program:
            raise RuntimeError("started with lan_ip=None: ipmi_sim has no LAN program")
        _write_lan(self.lan_dir, ip, netmask, gateway, mac, ip_source)

    @property
    def power_on(self) -> bool:
        """The power state the BMC keeps (read from the chassis state file)."""
        return (self.chassis_dir / "power").read_text().strip() == "1"

    @property
    def boot_selector(self) -> str:
        """The stored boot selector: none, pxe, default (disk), cdrom or bios."""
        return (self.chassis_dir / "boot").read_text().strip()

    def set_chassis_delay(self, seconds: float) -> None:
        """Make every chassis command take ``seconds`` (0 for none).

        ipmi_sim is single-threaded: while the chassis program sleeps it
        answers nothing, but session setup (no chassis command) still works,
        so this plays a BMC that logs in and then hangs.
        """
        (self.chassis_dir / "delay").write_text(f"{seconds:g}\n" if seconds > 0 else "")

    def chassis_log(self) -> list[str]:
        """Every ``set`` ipmi_sim passed to the chassis program, oldest first."""
        log = self.chassis_dir / "log"
        return log.read_text().splitlines() if log.exists() else []

    def ipmitool(
        self,
        *args: str,
        interface: str = "lanplus",
        cipher: int = 3,
        password: str | None = None,
        timeout: float = 10.0,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``ipmitool`` against this BMC (password passed by environment)."""
        cmd = ["ipmitool", "-I", interface, "-H", self.host, "-p", str(self.port)]
        if interface == "lanplus":
            cmd += ["-C", str(cipher)]
        cmd += ["-U", self.username, "-E", "-N", "1", "-R", "2", *args]
        env = dict(os.environ, IPMI_PASSWORD=self.password if password is None else password)
        return subprocess.run(
            cmd, env=env, capture_output=True, text=True, timeout=timeout, check=check
        )

    def lan_print(self, channel: int = 1) -> dict[str, str]:
        """``ipmitool -I lanplus -C 3 lan print <channel>`` as {field: value}.

        Fields are ipmitool's own, e.g. "IP Address", "Subnet Mask", "MAC
        Address", "Default Gateway IP", "IP Address Source"; continuation
        lines (no field name) are skipped.
        """
        out = self.ipmitool("lan", "print", str(channel)).stdout
        fields: dict[str, str] = {}
        for line in out.splitlines():
            key, sep, value = line.partition(":")
            if sep and key.strip() and key.strip() not in fields:
                fields[key.strip()] = value.strip()
        return fields

    @property
    def running(self) -> bool:
        return self._proc.poll() is None

    def stop(self) -> None:
        """Stop the simulator; the port then answers ICMP port unreachable."""
        _terminate(self._proc)


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _free_udp_port(host: str) -> int:
    with socket.socket(_family(host), socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _conf_string(what: str, value: str) -> str:
    if any(c in value for c in '"\n\\') or not value.isprintable():
        raise ValueError(f"{what} must be printable and contain no quote or backslash")
    return f'"{value}"'


_MAC = re.compile(r"[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}")


def _ipv4(what: str, value: str) -> str:
    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError as exc:
        raise ValueError(f"{what} must be an IPv4 address, got {value!r}") from exc


def _write_lan(
    landir: Path, ip: str, netmask: str, gateway: str | None, mac: str, ip_source: str
) -> None:
    """Write the answers of the LAN configuration program (validated first)."""
    if ip_source not in LAN_IP_SOURCES:
        raise ValueError(f"lan_ip_source must be one of {LAN_IP_SOURCES}, got {ip_source!r}")
    if not _MAC.fullmatch(mac):
        raise ValueError(f"lan_mac must look like 52:54:00:12:34:56, got {mac!r}")
    values = {
        "ip_addr_src": ip_source,
        "ip_addr": _ipv4("lan_ip", ip),
        # Any IPv4 value, even a non-contiguous mask: tests may want a bad one.
        "subnet_mask": _ipv4("lan_netmask", netmask),
        "mac_addr": mac.lower(),
        "default_gw_ip_addr": "0.0.0.0" if gateway is None else _ipv4("lan_gateway", gateway),
        "default_gw_mac_addr": "00:00:00:00:00:00",
        "backup_gw_ip_addr": "0.0.0.0",
        "backup_gw_mac_addr": "00:00:00:00:00:00",
    }
    landir.mkdir(parents=True, exist_ok=True)
    for parm, value in values.items():
        tmp = landir / f".{parm}.tmp"
        tmp.write_text(f"{value}\n")
        tmp.replace(landir / parm)  # atomic: a concurrent Get never reads half a file


def _lan_conf(
    host: str,
    port: int,
    username: str,
    password: str,
    chassis_prog: str,
    lan_prog: str | None,
) -> str:
    auths = "md5 straight"
    lan_line = (
        ""
        if lan_prog is None
        else f"    lan_config_program {_conf_string('LAN program', lan_prog)}\n"
    )
    return f"""\
name "hostlib-sim"
set_working_mc 0x20
  startlan 1
    addr {host} {port}
    priv_limit admin
    allowed_auths_callback {auths}
    allowed_auths_user {auths}
    allowed_auths_operator {auths}
    allowed_auths_admin {auths}
    guid a123456789abcdefa123456789abcdef
{lan_line}  endlan
  chassis_control {_conf_string("chassis program", chassis_prog)}
  user 2 true {_conf_string("username", username)} {_conf_string("password", password)} \
admin 10 {auths}
"""


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=2.0)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5.0)


def _pinged(host: str, port: int, until: float, proc: subprocess.Popen[bytes]) -> bool:
    with socket.socket(_family(host), socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.05)
        while time.monotonic() < until and proc.poll() is None:
            sock.sendto(_ASF_PING, (host, port))
            try:
                data, _ = sock.recvfrom(512)
            except OSError:  # timeout, or ICMP port unreachable reported late
                time.sleep(0.02)
                continue
            if len(data) > 8 and data[8] == 0x40:
                return True
    return False


@contextlib.contextmanager
def run_ipmi_sim(
    workdir: Path,
    *,
    username: str = "admin",
    password: str = "secret",
    port: int | None = None,
    host: str = HOST,
    startup_timeout: float = 10.0,
    lan_ip: str | None = "192.0.2.10",
    lan_netmask: str = "255.255.255.0",
    lan_gateway: str | None = "192.0.2.1",
    lan_mac: str = "52:54:00:12:34:56",
    lan_ip_source: str = "static",
) -> Iterator[IpmiSim]:
    """Run ipmi_sim on 127.0.0.1 and a free UDP port until the block ends.

    The BMC starts powered off with no boot override. ``workdir`` is created
    if needed and holds the configuration, state and ``ipmi_sim.log``. Give
    ``port`` to listen on a known port (e.g. to restart a BMC in place);
    the chassis state files in ``workdir`` are then kept. ``host`` may be
    ``"::1"`` for IPv6 loopback.

    The ``lan_*`` values are what the BMC reports as its own LAN settings on
    channel 1 (Get LAN Configuration Parameters, ``ipmitool lan print 1``);
    the defaults are the conformance suite's ``PEER_LAN``: 192.0.2.10/24,
    gateway 192.0.2.1, MAC 52:54:00:12:34:56, address source static. They
    are only reported, never used: the BMC listens on ``host`` alone.
    ``lan_gateway=None`` reports gateway 0.0.0.0 (none); ``lan_netmask``
    takes any IPv4 value, so a non-contiguous mask can be reported;
    ``lan_ip_source`` is one of ``LAN_IP_SOURCES``. ``lan_ip=None`` leaves
    the LAN program out of lan.conf: ipmi_sim then reports 0.0.0.0 for
    address, mask and gateway and 00:00:00:00:00:00 for the MAC.
    ``IpmiSim.set_lan`` changes the values while the BMC runs.

    Raises:
        RuntimeError: ipmi_sim did not come up (its log is in the message).
        ValueError: a ``lan_*`` value ipmi_sim could not report.
    """
    workdir = Path(workdir).resolve()
    chassis = workdir / "chassis"
    state = workdir / "state"
    chassis.mkdir(parents=True, exist_ok=True)
    state.mkdir(exist_ok=True)
    if port is None or not (chassis / "power").exists():
        (chassis / "power").write_text("0\n")
        (chassis / "boot").write_text("none\n")
    script = workdir / "chassis_control.sh"
    script.write_text(_CHASSIS_SCRIPT)
    script.chmod(0o755)
    (workdir / "cmds").write_text(_EMULATOR_COMMANDS)
    prog = f"{shlex.quote(str(script))} {shlex.quote(str(chassis))}"
    lan_prog: str | None = None
    if lan_ip is not None:
        landir = workdir / "lan"
        _write_lan(landir, lan_ip, lan_netmask, lan_gateway, lan_mac, lan_ip_source)
        lan_script = workdir / "lan_config.sh"
        lan_script.write_text(_LAN_CONFIG_SCRIPT)
        lan_script.chmod(0o755)
        lan_prog = f"{shlex.quote(str(lan_script))} {shlex.quote(str(landir))}"
    log_path = workdir / "ipmi_sim.log"

    last_error = "not started"
    fixed_port = port
    for _attempt in range(5 if fixed_port is None else 1):
        port = _free_udp_port(host) if fixed_port is None else fixed_port
        (workdir / "lan.conf").write_text(_lan_conf(host, port, username, password, prog, lan_prog))
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                ["ipmi_sim", "-n", "-c", "lan.conf", "-f", "cmds", "-s", str(state)],
                cwd=workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            sim = IpmiSim(host, port, username, password, workdir, proc, lan_ip is not None)
            if _pinged(host, port, time.monotonic() + startup_timeout, proc):
                probe = sim.ipmitool("power", "status", check=False)
                if probe.returncode == 0 and "Chassis Power is" in probe.stdout:
                    break
                last_error = f"ipmitool: {probe.stdout}{probe.stderr}".strip()
            else:
                last_error = f"no presence pong, exit code {proc.poll()}"
        except BaseException:
            _terminate(proc)
            raise
        _terminate(proc)
    else:
        raise RuntimeError(
            f"ipmi_sim did not start in {workdir}: {last_error}; log: "
            f"{log_path.read_text(errors='replace')[-2000:]!r}"
        )
    try:
        yield sim
    finally:
        _terminate(proc)


@pytest.fixture
def ipmi_sim(tmp_path: Path) -> Iterator[IpmiSim]:
    """A running ipmi_sim (user admin / secret), powered off, no boot override."""
    with run_ipmi_sim(tmp_path / "ipmi_sim") as sim:
        yield sim
