"""The loopback BMC simulator against real clients: ipmitool, pyghmi, python-ipmi."""

from __future__ import annotations

import os
import selectors
import socket
import struct
import subprocess
import time
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hostlib.drivers import _rmcp as rmcp
from hostlib.drivers.base import BootDevice, PowerAction, PowerState
from hostlib.drivers.faults import FaultPlan
from hostlib.drivers.simulator import LanConfig, SimulatedBMC, SimulatedRack
from hostlib.errors import ConflictError, ValidationError

USER = "admin"
PASSWORD = "secret"

LANPLUS_3 = ("-I", "lanplus", "-C", "3")
LANPLUS_17 = ("-I", "lanplus", "-C", "17")
LAN_MD5 = ("-I", "lan", "-A", "MD5")
LAN_PASSWORD = ("-I", "lan", "-A", "PASSWORD")
INTERFACES = [
    pytest.param(LANPLUS_3, id="lanplus-C3"),
    pytest.param(LANPLUS_17, id="lanplus-C17"),
    pytest.param(LAN_MD5, id="lan-md5"),
    pytest.param(LAN_PASSWORD, id="lan-password"),
]


def ipmitool(
    bmc: SimulatedBMC,
    *args: str,
    interface: Sequence[str] = LANPLUS_17,
    password: str = PASSWORD,
    extra: Sequence[str] = (),
) -> subprocess.CompletedProcess[str]:
    cmd = ["ipmitool", *interface, "-H", bmc.host, "-p", str(bmc.port), "-U", USER]
    cmd += ["-P", password, "-N", "1", "-R", "1", *extra, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def pyghmi_command(bmc: SimulatedBMC, password: str = PASSWORD) -> Any:
    from pyghmi.ipmi import command

    return command.Command(
        bmc=bmc.host, port=bmc.port, userid=USER, password=password, keepalive=False
    )


def pyipmi_connection(
    bmc: SimulatedBMC, interface: str = "rmcp", password: str = PASSWORD, **options: Any
) -> Any:
    import pyipmi
    import pyipmi.interfaces

    intf = pyipmi.interfaces.create_interface(interface, keep_alive_interval=0, **options)
    ipmi = pyipmi.create_connection(intf)
    ipmi.session.set_session_type_rmcp(bmc.host, port=bmc.port)
    ipmi.session.set_auth_type_user(USER, password)
    ipmi.target = pyipmi.Target(ipmb_address=0x20)
    intf.open()
    intf.set_timeout(0.5)
    return ipmi


@pytest.fixture
def bmc() -> Iterator[SimulatedBMC]:
    with SimulatedBMC(username=USER, password=PASSWORD) as sim:
        yield sim


def power_of(sim: SimulatedBMC) -> PowerState:
    """Read the power state (a call, so type checkers do not narrow it between reads)."""
    return sim.power_state


def wait_for(predicate: Any, timeout: float = 3.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return bool(predicate())


# -- ipmitool ---------------------------------------------------------------------------


@pytest.mark.parametrize("interface", INTERFACES)
def test_ipmitool_power_state_both_ways(bmc: SimulatedBMC, interface: Sequence[str]) -> None:
    assert ok(ipmitool(bmc, "power", "status", interface=interface)).strip() == (
        "Chassis Power is off"
    )
    bmc.power_state = PowerState.ON
    assert "Chassis Power is on" in ok(ipmitool(bmc, "power", "status", interface=interface))

    ok(ipmitool(bmc, "power", "off", interface=interface))
    assert power_of(bmc) is PowerState.OFF
    ok(ipmitool(bmc, "power", "on", interface=interface))
    assert power_of(bmc) is PowerState.ON
    ok(ipmitool(bmc, "power", "cycle", interface=interface))
    assert power_of(bmc) is PowerState.ON
    ok(ipmitool(bmc, "power", "reset", interface=interface))
    assert power_of(bmc) is PowerState.ON
    ok(ipmitool(bmc, "power", "soft", interface=interface))
    assert power_of(bmc) is PowerState.OFF
    assert bmc.power_actions == [
        PowerAction.OFF,
        PowerAction.ON,
        PowerAction.CYCLE,
        PowerAction.RESET,
        PowerAction.SOFT_OFF,
    ]
    stats = bmc.stats
    assert stats.sessions_opened == 7
    assert stats.sessions_active == 0  # ipmitool closes its sessions
    assert stats.auth_failures == 0


@pytest.mark.parametrize("interface", INTERFACES)
def test_ipmitool_bootdev(bmc: SimulatedBMC, interface: Sequence[str]) -> None:
    ok(ipmitool(bmc, "chassis", "bootdev", "pxe", interface=interface))
    assert bmc.boot_device is BootDevice.PXE
    assert not bmc.boot_persistent
    out = ok(ipmitool(bmc, "chassis", "bootparam", "get", "5", interface=interface))
    assert "Force PXE" in out
    assert "Options apply to only next boot" in out

    ok(ipmitool(bmc, "chassis", "bootdev", "disk", "options=persistent", interface=interface))
    assert (bmc.boot_device, bmc.boot_persistent) == (BootDevice.DISK, True)

    bmc.boot_device = BootDevice.CDROM
    out = ok(ipmitool(bmc, "chassis", "bootparam", "get", "5", interface=interface))
    assert "Force Boot from CD/DVD" in out
    assert "Options apply to all future boots" in out
    bmc.boot_persistent = False
    bmc.boot_device = BootDevice.BIOS
    assert "Force Boot into BIOS Setup" in ok(
        ipmitool(bmc, "chassis", "bootparam", "get", "5", interface=interface)
    )


def test_one_time_boot_override_is_consumed_by_a_boot(bmc: SimulatedBMC) -> None:
    ok(ipmitool(bmc, "chassis", "bootdev", "pxe"))
    ok(ipmitool(bmc, "power", "on"))
    assert bmc.boot_device is BootDevice.DEFAULT
    ok(ipmitool(bmc, "chassis", "bootdev", "pxe", "options=persistent"))
    ok(ipmitool(bmc, "power", "reset"))
    assert (bmc.boot_device, bmc.boot_persistent) == (BootDevice.PXE, True)


def test_cycle_and_reset_of_a_server_that_is_off_are_refused(bmc: SimulatedBMC) -> None:
    result = ipmitool(bmc, "power", "reset")
    assert result.returncode != 0
    assert "not supported in present state" in result.stderr
    assert power_of(bmc) is PowerState.OFF
    assert bmc.power_actions == []


def test_ipmitool_lan_print_chassis_status_and_mc_info(bmc: SimulatedBMC) -> None:
    bmc.lan = LanConfig(
        ip_address="127.0.0.2",
        netmask="255.255.255.0",
        gateway="127.0.0.1",
        mac_address="02:aa:bb:cc:dd:ee",
    )
    out = ok(ipmitool(bmc, "lan", "print", "1"))
    assert "127.0.0.2" in out
    assert "255.255.255.0" in out
    assert "02:aa:bb:cc:dd:ee" in out
    bmc.power_state = PowerState.ON
    assert "System Power         : on" in ok(ipmitool(bmc, "chassis", "status"))
    assert "IPMI Version              : 2.0" in ok(ipmitool(bmc, "mc", "info"))
    out = ok(ipmitool(bmc, "channel", "getciphers", "ipmi", interface=("-I", "lanplus")))
    assert "hmac_sha256" in out
    assert "hmac_sha1" in out


def test_completion_codes_for_bad_requests(bmc: SimulatedBMC) -> None:
    assert "rsp=0xc1" in ipmitool(bmc, "raw", "0x06", "0x99").stderr  # unknown command
    assert "rsp=0xc7" in ipmitool(bmc, "raw", "0x00", "0x02").stderr  # no data
    low = ipmitool(bmc, "power", "on", extra=("-L", "USER"))
    assert "Insufficient privilege level" in low.stderr
    assert power_of(bmc) is PowerState.OFF


def test_unsupported_suites_and_auth_none_are_refused(bmc: SimulatedBMC) -> None:
    suite1 = ipmitool(bmc, "power", "status", interface=("-I", "lanplus", "-C", "1"))
    assert suite1.returncode != 0
    assert "invalid integrity algorithm" in suite1.stderr
    none = ipmitool(bmc, "power", "status", interface=("-I", "lan", "-A", "NONE"))
    assert none.returncode != 0
    assert bmc.stats.sessions_opened == 0


@pytest.mark.parametrize(("enabled", "other"), [(3, 17), (17, 3)])
def test_cipher_suites_restrict_what_is_accepted(enabled: int, other: int) -> None:
    with SimulatedBMC(username=USER, password=PASSWORD, cipher_suites=(enabled,)) as sim:
        assert sim.cipher_suites == (enabled,)
        lanplus = ("-I", "lanplus", "-C")
        refused = ipmitool(sim, "power", "status", interface=(*lanplus, str(other)))
        assert refused.returncode != 0
        assert "no matching cipher suite" in refused.stderr
        assert sim.stats.suites_refused == 1
        assert sim.stats.sessions_opened == 0
        accepted = ipmitool(sim, "power", "status", interface=(*lanplus, str(enabled)))
        assert "Chassis Power is off" in ok(accepted)
        assert sim.stats.sessions_opened == 1
        # IPMI 1.5 is not an RMCP+ cipher suite: still there.
        assert "off" in ok(ipmitool(sim, "power", "status", interface=LAN_MD5))


def test_claims_suite_17_accepts_it_and_then_speaks_sha1() -> None:
    """What FIELD_NOTES.md reports of pyghmi's own BMC server."""
    with SimulatedBMC(
        username=USER, password=PASSWORD, cipher_suites=(3,), claims_suite_17=True
    ) as sim:
        assert sim.claims_suite_17
        fooled = ipmitool(sim, "power", "status", interface=LANPLUS_17)
        assert fooled.returncode != 0
        assert "no matching cipher suite" not in fooled.stderr  # it said "accepted"
        assert sim.stats.suites_refused == 0
        assert sim.stats.sessions_opened == 0
        assert "off" in ok(ipmitool(sim, "power", "status", interface=LANPLUS_3))
        # The lie itself: Open Session answers with suite 17's algorithms.
        reply = _open_session_reply(sim, rmcp.CIPHER_SUITES[17])
        assert reply.status == rmcp.RmcpStatus.OK
        assert (reply.auth, reply.integrity) == (
            rmcp.AUTH_RAKP_HMAC_SHA256,
            rmcp.INTEGRITY_HMAC_SHA256_128,
        )


def _open_session_reply(sim: SimulatedBMC, suite: rmcp.CipherSuite) -> rmcp.OpenSessionResponse:
    req = rmcp.OpenSessionRequest(7, 4, 0x1234, suite.auth, suite.integrity, suite.confidentiality)
    payload = rmcp.encode_open_session_request(req)
    packet = rmcp.encode_rmcpplus(rmcp.PayloadType.OPEN_SESSION_REQUEST, 0, 0, payload)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2.0)
        sock.sendto(packet, (sim.host, sim.port))
        data, _ = sock.recvfrom(512)
    return rmcp.decode_open_session_response(rmcp.decode_rmcpplus(data).payload)


def test_cipher_suites_validated_and_passed_through_a_rack() -> None:
    for bad in ((), (17, 17), (2,), (True,), "17", (17, "3")):
        with pytest.raises(ValidationError, match="cipher_suites"):
            SimulatedBMC(username=USER, password=PASSWORD, cipher_suites=bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="claims_suite_17"):
        SimulatedBMC(username=USER, password=PASSWORD, claims_suite_17=1)  # type: ignore[arg-type]
    with SimulatedRack(
        2, username=USER, password=PASSWORD, cipher_suites=(3,), claims_suite_17=True
    ) as rack:
        assert [(b.cipher_suites, b.claims_suite_17) for b in rack] == [((3,), True)] * 2
        assert "off" in ok(ipmitool(rack[1], "power", "status", interface=LANPLUS_3))
        assert rack[1].session_suites == []  # ipmitool closed its session


# -- pyghmi and python-ipmi -----------------------------------------------------------


def test_pyghmi_power_and_boot(bmc: SimulatedBMC) -> None:
    cmd = pyghmi_command(bmc)
    try:
        assert cmd.get_power() == {"powerstate": "off"}
        cmd.set_power("on", wait=True)
        assert power_of(bmc) is PowerState.ON
        bmc.power_state = PowerState.OFF
        assert cmd.get_power() == {"powerstate": "off"}
        cmd.set_bootdev("network")
        assert bmc.boot_device is BootDevice.PXE
        assert cmd.get_bootdev()["bootdev"] == "network"
        cmd.set_bootdev("hd", persist=True)
        assert cmd.get_bootdev() == {"bootdev": "hd", "persistent": True, "uefimode": False}
        assert (bmc.boot_device, bmc.boot_persistent) == (BootDevice.DISK, True)
    finally:
        cmd.ipmi_session.logout()
    assert wait_for(lambda: bmc.stats.sessions_active == 0)


@pytest.mark.parametrize(
    ("interface", "options"),
    [
        pytest.param("rmcp", {}, id="rmcp"),
        # python-ipmi 0.6.1 derives SHA-256 K1/K2 from 32-byte constants where
        # ipmitool and pyghmi use 20 bytes, so only suite 3 interoperates.
        pytest.param("rmcpplus", {"cipher_suite": 3}, id="rmcpplus-C3"),
    ],
)
def test_python_ipmi(bmc: SimulatedBMC, interface: str, options: dict[str, Any]) -> None:
    bmc.power_state = PowerState.ON
    ipmi = pyipmi_connection(bmc, interface, **options)
    ipmi.session.establish()
    try:
        assert ipmi.get_chassis_status().power_on is True
        ipmi.chassis_control_power_down()
        assert power_of(bmc) is PowerState.OFF
    finally:
        ipmi.session.close()
    assert bmc.stats.sessions_active == 0


# -- wrong password -------------------------------------------------------------------


@pytest.mark.parametrize("interface", INTERFACES)
def test_ipmitool_wrong_password(bmc: SimulatedBMC, interface: Sequence[str]) -> None:
    result = ipmitool(bmc, "power", "on", interface=interface, password="wrong")
    assert result.returncode != 0
    assert "Unable to establish" in result.stderr
    assert power_of(bmc) is PowerState.OFF
    assert bmc.stats.sessions_opened == 0
    assert bmc.stats.commands_handled == 0


def test_pyghmi_wrong_password(bmc: SimulatedBMC) -> None:
    from pyghmi import exceptions

    with pytest.raises(exceptions.IpmiException, match="Incorrect password"):
        pyghmi_command(bmc, password="wrong")
    assert bmc.stats.sessions_opened == 0


@pytest.mark.parametrize(
    ("interface", "options"),
    [pytest.param("rmcp", {}, id="rmcp"), pytest.param("rmcpplus", {"cipher_suite": 3}, id="C3")],
)
def test_python_ipmi_wrong_password(interface: str, options: dict[str, Any]) -> None:
    with SimulatedBMC(username=USER, password=PASSWORD) as sim:
        ipmi = pyipmi_connection(sim, interface, password="wrong", **options)
        with pytest.raises(Exception) as info:  # noqa: PT011 - python-ipmi's own errors
            ipmi.session.establish()
        assert type(info.value).__module__.startswith("pyipmi")
        assert sim.stats.sessions_opened == 0


# -- faults -----------------------------------------------------------------------------


def test_fault_busy(bmc: SimulatedBMC) -> None:
    bmc.faults.busy = 3
    result = ipmitool(bmc, "power", "on")
    assert result.returncode != 0
    assert "Node busy" in result.stderr
    assert power_of(bmc) is PowerState.OFF
    assert bmc.stats.busy_replies >= 2
    bmc.faults.busy = 0
    ok(ipmitool(bmc, "power", "on"))
    assert power_of(bmc) is PowerState.ON


def test_fault_out_of_sessions(bmc: SimulatedBMC) -> None:
    bmc.faults.out_of_sessions = 1
    result = ipmitool(bmc, "power", "status")
    assert "insufficient resources" in result.stderr
    bmc.faults.out_of_sessions = 1
    result = ipmitool(bmc, "power", "status", interface=LAN_MD5)
    assert "No session slot available" in result.stderr
    assert bmc.faults.out_of_sessions == 0
    ok(ipmitool(bmc, "power", "status"))


def test_max_sessions() -> None:
    with SimulatedBMC(username=USER, password=PASSWORD, max_sessions=2) as sim:
        first = pyipmi_connection(sim)
        first.session.establish()
        second = pyipmi_connection(sim)
        second.session.establish()
        assert sim.stats.sessions_active == 2
        assert (
            "No session slot available"
            in ipmitool(sim, "power", "status", interface=LAN_MD5).stderr
        )
        second.session.close()
        ok(ipmitool(sim, "power", "status", interface=LAN_MD5))
        first.session.close()


def test_fault_silent(bmc: SimulatedBMC) -> None:
    bmc.faults.silent = True
    import pyipmi.errors

    ipmi = pyipmi_connection(bmc)
    with pytest.raises(pyipmi.errors.IpmiConnectionError):
        ipmi.session.establish()
    stats = bmc.stats
    assert stats.packets_received >= 1
    assert stats.replies_sent == 0


def test_fault_hang(bmc: SimulatedBMC) -> None:
    bmc.faults.hang = True
    bmc.power_state = PowerState.ON
    ipmi = pyipmi_connection(bmc)
    ipmi.session.establish()  # session setup is answered
    try:
        with pytest.raises(Exception) as info:  # noqa: PT011 - python-ipmi's timeout
            ipmi.chassis_control_power_down()
        assert "retry" in str(info.value).lower() or "timeout" in repr(info.value).lower()
        assert power_of(bmc) is PowerState.ON  # never carried out
        assert bmc.stats.sessions_opened == 1
        assert bmc.stats.commands_handled == 0
    finally:
        bmc.faults.hang = False
        ipmi.session.close()


def test_fault_reject_auth(bmc: SimulatedBMC) -> None:
    from pyghmi import exceptions

    bmc.faults.reject_auth = True
    for interface in (LANPLUS_3, LANPLUS_17, LAN_MD5):
        assert ipmitool(bmc, "power", "status", interface=interface).returncode != 0
    with pytest.raises(exceptions.IpmiException, match="Incorrect password"):
        pyghmi_command(bmc)
    assert bmc.stats.sessions_opened == 0
    assert bmc.stats.auth_failures >= 4
    bmc.faults.reject_auth = False
    ok(ipmitool(bmc, "power", "status"))


def test_fault_latency(bmc: SimulatedBMC) -> None:
    ipmi = pyipmi_connection(bmc)
    ipmi.session.establish()
    try:
        bmc.latency = 0.2
        assert bmc.faults.latency == 0.2
        start = time.monotonic()
        ipmi.get_chassis_status()
        assert time.monotonic() - start >= 0.19
        bmc.latency = 0.0
        start = time.monotonic()
        ipmi.get_chassis_status()
        assert time.monotonic() - start < 0.15
    finally:
        ipmi.session.close()


def test_fault_plan_shared_with_constructor() -> None:
    plan = FaultPlan(busy=1)
    with SimulatedBMC(username=USER, password=PASSWORD, faults=plan, latency=0.01) as sim:
        assert sim.faults is plan
        assert plan.latency == 0.01
        ok(ipmitool(sim, "power", "status"))  # Get Device ID eats the busy reply
        assert plan.busy == 0
        assert sim.stats.busy_replies == 1
        sim.reset_stats()
        assert sim.stats.busy_replies == 0


# -- simulated machine timing ------------------------------------------------------------


def test_soft_off_delay_and_acpi() -> None:
    with SimulatedBMC(
        username=USER, password=PASSWORD, power_state=PowerState.ON, soft_off_delay=0.3
    ) as sim:
        ok(ipmitool(sim, "power", "soft"))
        assert power_of(sim) is PowerState.ON
        assert wait_for(lambda: power_of(sim) is PowerState.OFF)
        sim.power_state = PowerState.ON
        sim.acpi = False
        ok(ipmitool(sim, "power", "soft"))
        time.sleep(0.4)
        assert power_of(sim) is PowerState.ON


def test_cycle_delay_and_cancelled_transition() -> None:
    with SimulatedBMC(
        username=USER, password=PASSWORD, power_state=PowerState.ON, cycle_delay=0.3
    ) as sim:
        ok(ipmitool(sim, "power", "cycle"))
        assert power_of(sim) is PowerState.OFF
        assert wait_for(lambda: power_of(sim) is PowerState.ON)
        sim.soft_off_delay = 0.3
        ok(ipmitool(sim, "power", "soft"))
        ok(ipmitool(sim, "power", "on"))  # a new command cancels the pending soft off
        time.sleep(0.4)
        assert power_of(sim) is PowerState.ON


def test_idle_sessions_are_freed() -> None:
    with SimulatedBMC(username=USER, password=PASSWORD, session_timeout=0.2) as sim:
        ipmi = pyipmi_connection(sim)
        ipmi.session.establish()
        assert sim.stats.sessions_active == 1
        assert wait_for(lambda: sim.stats.sessions_active == 0, timeout=2.0)


# -- many BMCs --------------------------------------------------------------------------


def _rss_kib() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")


def _ping_all(bmcs: Sequence[SimulatedBMC], timeout: float) -> set[int]:
    """Send one ASF ping to every BMC from one socket; return the ports that answered."""
    answered: set[int] = set()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 21)
        sock.setblocking(False)
        for i, sim in enumerate(bmcs):
            sock.sendto(rmcp.encode_asf_ping(i & 0xFF), (sim.host, sim.port))
        sel = selectors.DefaultSelector()
        sel.register(sock, selectors.EVENT_READ)
        end = time.monotonic() + timeout
        while len(answered) < len(bmcs) and time.monotonic() < end:
            sel.select(0.05)
            while True:
                try:
                    data, addr = sock.recvfrom(512)
                except BlockingIOError:
                    break
                if rmcp.decode_asf(data)[0] == 0x40:
                    answered.add(addr[1])
        sel.close()
    return answered


def test_rack_of_1000() -> None:
    before = _rss_kib()
    start = time.monotonic()
    with SimulatedRack(1000, username=USER, password=PASSWORD, latency=0.2) as rack:
        built = time.monotonic() - start
        growth_mib = (_rss_kib() - before) / 1024
        assert len(rack) == 1000
        assert len({b.port for b in rack.bmcs}) == 1000
        assert growth_mib < 200, growth_mib

        # 1,000 replies each delayed 0.2 s arrive together, not one after another.
        start = time.monotonic()
        answered = _ping_all(rack.bmcs, timeout=5.0)
        elapsed = time.monotonic() - start
        assert answered == {b.port for b in rack.bmcs}
        assert elapsed < 1.5, elapsed

        rack.bmcs[0].latency = 0.0
        rack.bmcs[999].latency = 0.0
        rack.bmcs[500].latency = 0.0
        rack.bmcs[500].power_state = PowerState.ON
        assert "off" in ok(ipmitool(rack[0], "power", "status"))
        assert "on" in ok(ipmitool(rack[500], "power", "status"))
        ok(ipmitool(rack[999], "power", "on", interface=LAN_MD5))
        assert rack[999].power_state is PowerState.ON
        assert rack[998].power_state is PowerState.OFF
        assert sum(b.stats.sessions_opened for b in rack) == 3
        growth_mib = (_rss_kib() - before) / 1024
        assert growth_mib < 200, growth_mib
    print(f"rack of 1000: built in {built:.2f} s, RSS growth {growth_mib:.1f} MiB")


def _pyipmi_from_port(sim: SimulatedBMC, source_port: int) -> Any:
    ipmi = pyipmi_connection(sim)
    sock = ipmi.interface._sock
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", source_port))
    ipmi.session.establish()
    return ipmi


def test_two_bmcs_and_a_client_reusing_its_source_port() -> None:
    # pyghmi's own BMC server keys sessions by client address across ports: a
    # fresh login from a reused source port drops that client's sessions
    # everywhere. Here every session belongs to one BMC and one session ID.
    with SimulatedRack(2, username=USER, password=PASSWORD) as rack:
        a, b = rack.bmcs
        b.power_state = PowerState.ON
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]

        first_a = _pyipmi_from_port(a, port)
        first_a.interface._sock.close()  # the client vanishes, its session stays
        to_b = _pyipmi_from_port(b, port)
        again_a = _pyipmi_from_port(a, port)  # fresh login from the same source port
        assert to_b.get_chassis_status().power_on is True
        again_a.chassis_control_power_up()
        to_b.chassis_control_power_down()
        assert (a.power_state, b.power_state) == (PowerState.ON, PowerState.OFF)
        assert (a.stats.sessions_active, b.stats.sessions_active) == (2, 1)
        for ipmi in (to_b, again_a):
            ipmi.session.close()
            ipmi.interface.close()

        # pyghmi sends to both BMCs from its one shared socket, interleaved.
        to_a = pyghmi_command(a)
        to_b = pyghmi_command(b)
        assert to_a.get_power() == {"powerstate": "on"}
        assert to_b.get_power() == {"powerstate": "off"}
        to_b.set_power("on")
        to_a.set_power("off")
        assert (a.power_state, b.power_state) == (PowerState.OFF, PowerState.ON)
        to_a.ipmi_session.logout()
        to_b.ipmi_session.logout()


# -- public API ---------------------------------------------------------------------------


def test_validation_and_secrets() -> None:
    with pytest.raises(ValidationError, match="loopback"):
        SimulatedBMC(username=USER, password=PASSWORD, host="192.0.2.1")
    with pytest.raises(ValidationError, match="password"):
        SimulatedBMC(username=USER, password="x" * 21)
    with pytest.raises(ValidationError, match="latency"):
        SimulatedBMC(username=USER, password=PASSWORD, latency=-1)
    with SimulatedBMC(username=USER, password="hunter2") as sim:
        with pytest.raises(ConflictError, match="port=0"):
            SimulatedBMC(username=USER, password=PASSWORD, port=sim.port)
        for text in (repr(sim), str(sim), repr(sim.credentials), repr(sim.endpoint())):
            assert "hunter2" not in text
        assert sim.endpoint().port == sim.port
        assert sim.credentials.password.reveal() == "hunter2"


def test_ipv6_loopback() -> None:
    with SimulatedBMC(username=USER, password=PASSWORD, host="::1") as sim:
        assert sim.host == "::1"
        assert "off" in ok(ipmitool(sim, "power", "status"))


# -- codec ------------------------------------------------------------------------------


@given(
    netfn=st.integers(0, 0x3F),
    cmd=st.integers(0, 0xFF),
    data=st.binary(max_size=64),
    seq=st.integers(0, 0x3F),
)
def test_ipmi_message_round_trip(netfn: int, cmd: int, data: bytes, seq: int) -> None:
    req = rmcp.IpmiRequest(netfn, cmd, data, rq_seq=seq)
    assert rmcp.decode_request(rmcp.encode_request(req)) == req
    rsp = rmcp.decode_response(rmcp.encode_response(req, 0xC0, data))
    assert (rsp.netfn, rsp.cmd, rsp.code, rsp.data, rsp.rq_seq) == (netfn | 1, cmd, 0xC0, data, seq)


@given(payload=st.binary(max_size=80), suite_id=st.sampled_from([3, 17]))
def test_rmcpplus_round_trip(payload: bytes, suite_id: int) -> None:
    suite = rmcp.CIPHER_SUITES[suite_id]
    keys = rmcp.derive_session_keys(suite, b"secret", os.urandom(16), os.urandom(16), 4, b"admin")
    packet = rmcp.encode_rmcpplus(rmcp.PayloadType.IPMI, 0x1234, 7, payload, keys)
    parsed = rmcp.decode_rmcpplus(packet, suite.integrity_length)
    assert (parsed.session_id, parsed.seq) == (0x1234, 7)
    assert rmcp.open_rmcpplus(parsed, keys) == payload
    tampered = packet[:-1] + bytes((packet[-1] ^ 1,))
    with pytest.raises(rmcp.PacketError):
        rmcp.open_rmcpplus(rmcp.decode_rmcpplus(tampered, suite.integrity_length), keys)


def test_malformed_packets_are_dropped(bmc: SimulatedBMC) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for junk in (b"", b"\x06\x00\xff\x07", b"\x06\x00\xff\x07\x06" + bytes(30), os.urandom(40)):
            sock.sendto(junk, (bmc.host, bmc.port))
        caps = rmcp.encode_request(rmcp.IpmiRequest(0x06, 0x38, b"\x8e\x04"))
        v15 = rmcp.encode_v15(0, 0, 0, caps)
        sock.sendto(v15, (bmc.host, bmc.port))
        sock.settimeout(2.0)
        data, _ = sock.recvfrom(512)  # only the last, valid, request is answered
    rsp = rmcp.decode_response(rmcp.decode_v15(data).message)
    assert (rsp.cmd, rsp.code) == (0x38, 0)
    assert struct.unpack_from("B", rsp.data, 1)[0] & 0x14 == 0x14  # MD5 and password
    assert wait_for(lambda: bmc.stats.packets_dropped == 4)


def test_pyghmi_reads_the_lan_config(bmc: SimulatedBMC) -> None:
    bmc.lan = LanConfig(
        ip_address="192.0.2.10",
        netmask="255.255.255.0",
        gateway="192.0.2.1",
        mac_address="52:54:00:12:34:56",
    )
    cmd = pyghmi_command(bmc)
    try:
        net = cmd.get_net_configuration(channel=1, gateway_macs=False)
    finally:
        cmd.ipmi_session.logout()
    assert net["ipv4_address"] == "192.0.2.10/24"
    assert net["ipv4_gateway"] == "192.0.2.1"
    assert net["mac_address"] == "52:54:00:12:34:56"
    assert net["ipv4_configuration"] == "Static"
