"""The pyipmi power driver against real IPMI peers on loopback.

Peers: OpenIPMI's ipmi_sim (``tests/openipmi.py``) over IPMI 1.5 (``lan``)
and RMCP+ (``lanplus``), cross-checked with ipmitool; a UDP socket that
never answers; and, for scripted faults, ``SimulatedBMC``.
"""

from __future__ import annotations

import gc
import logging
import re
import socket
import subprocess
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import pytest

from hostlib.drivers import power_driver, registered_drivers
from hostlib.drivers.base import BootDevice, PowerDriver, PowerState
from hostlib.drivers.faults import FaultPlan
from hostlib.drivers.pyipmi import PyIpmiPowerDriver
from hostlib.drivers.simulator import LanConfig, SimulatedBMC
from hostlib.errors import (
    AuthenticationError,
    BmcBusy,
    OperationTimeout,
    UnreachableError,
    UnsupportedOperation,
    ValidationError,
)
from hostlib.inventory import NetworkInterface
from hostlib.testing.conformance import (
    PEER_LAN,
    FaultConformance,
    MakeDriver,
    PowerDriverConformance,
    closed_udp_port,
)
from tests.openipmi import IpmiSim, ipmi_sim, run_ipmi_sim

__all__ = ["ipmi_sim"]  # the fixture, imported for pytest

Interface = Literal["lanplus", "lan"]
INTERFACES: list[Interface] = ["lanplus", "lan"]
GRACE = 1.0

# ipmi_sim's names for the boot device selectors it stores.
SIM_BOOT = {
    BootDevice.PXE: "pxe",
    BootDevice.DISK: "default",
    BootDevice.CDROM: "cdrom",
    BootDevice.BIOS: "bios",
    BootDevice.DEFAULT: "none",
}


def _driver_for(sim: IpmiSim, **overrides: Any) -> PyIpmiPowerDriver:
    settings: dict[str, Any] = {
        "host": sim.host,
        "port": sim.port,
        "username": sim.username,
        "password": sim.password,
        "timeout": 5.0,
        "poll_interval": 0.1,
    }
    settings.update(overrides)
    return PyIpmiPowerDriver(**settings)


@contextmanager
def within(seconds: float) -> Iterator[None]:
    start = time.monotonic()
    yield
    took = time.monotonic() - start
    assert took <= seconds, f"took {took:.2f} s, allowed {seconds:.2f} s"


@pytest.fixture
def made() -> Iterator[list[PyIpmiPowerDriver]]:
    drivers: list[PyIpmiPowerDriver] = []
    yield drivers
    for drv in drivers:
        drv.close()


@pytest.fixture(params=INTERFACES)
def interface(request: pytest.FixtureRequest) -> Interface:
    value: Interface = request.param
    return value


@pytest.fixture
def drv(
    ipmi_sim: IpmiSim, interface: Interface, made: list[PyIpmiPowerDriver]
) -> PyIpmiPowerDriver:
    d = _driver_for(ipmi_sim, interface=interface)
    made.append(d)
    return d


# -- the conformance suite, against ipmi_sim over both interfaces -------------


class _IpmiSimConformance(PowerDriverConformance):
    interface: Interface = "lanplus"
    sim: IpmiSim

    @pytest.fixture(autouse=True)
    def _keep_sim(self, ipmi_sim: IpmiSim) -> None:
        self.sim = ipmi_sim

    @pytest.fixture
    def make_driver(self, ipmi_sim: IpmiSim, made: list[PyIpmiPowerDriver]) -> MakeDriver:
        def make(**overrides: Any) -> PowerDriver:
            d = _driver_for(ipmi_sim, interface=self.interface, **overrides)
            made.append(d)
            return d

        return make

    # ipmi_sim stores only the boot device selector and always reports the
    # override as invalid (see tests/openipmi.py), so a driver that follows
    # the specification reads "no override" back. These two tests replace
    # the generic round trip: the selector must arrive, the read must say
    # DEFAULT.
    @pytest.mark.parametrize(
        "device", [BootDevice.PXE, BootDevice.DISK, BootDevice.CDROM, BootDevice.BIOS]
    )
    @pytest.mark.parametrize("persistent", [False, True])
    def test_boot_device_round_trip(
        self, driver: PowerDriver, device: BootDevice, persistent: bool
    ) -> None:
        driver.set_boot_device(device, persistent=persistent)
        assert self.sim.boot_selector == SIM_BOOT[device]
        assert driver.boot_device() is BootDevice.DEFAULT

    def test_boot_device_by_name(self, driver: PowerDriver) -> None:
        driver.set_boot_device("PXE")
        assert self.sim.boot_selector == "pxe"
        assert driver.boot_device() is BootDevice.DEFAULT


class TestIpmiSimLanplus(_IpmiSimConformance):
    interface = "lanplus"


class TestIpmiSimLan(_IpmiSimConformance):
    interface = "lan"


# -- registry and settings ----------------------------------------------------


def test_registered_and_built_by_name(ipmi_sim: IpmiSim) -> None:
    assert "pyipmi" in registered_drivers("power")
    d = power_driver(
        "pyipmi",
        host=ipmi_sim.host,
        port=ipmi_sim.port,
        username="admin",
        password="secret",
        interface="lan",
    )
    assert isinstance(d, PyIpmiPowerDriver)
    with d:
        assert d.status() is PowerState.OFF


@pytest.mark.parametrize(
    "overrides",
    [
        {"interface": "serial"},
        {"cipher_suites": ()},
        {"cipher_suites": (99,)},
        {"cipher_suites": (0,)},
        {"cipher_suites": (True,)},
        {"cipher_suites": "17"},
        {"password": "x" * 21},
        {"password": "x" * 17, "interface": "lan"},
        {"username": "u" * 17},
    ],
)
def test_bad_settings_rejected(overrides: dict[str, Any]) -> None:
    settings: dict[str, Any] = {"host": "127.0.0.1", "password": "secret", **overrides}
    with pytest.raises(ValidationError) as info:
        PyIpmiPowerDriver(**settings)
    assert "x" * 16 not in str(info.value)


def test_repr_and_errors_hide_the_password(ipmi_sim: IpmiSim, interface: Interface) -> None:
    secret = "Sup3r-s3cret-pw"
    d = _driver_for(ipmi_sim, password=secret, interface=interface, timeout=2.0)
    assert secret not in repr(d)
    assert secret not in str(d)
    with pytest.raises(AuthenticationError) as info:
        d.status()
    assert secret not in str(info.value)
    assert secret not in repr(info.value)
    cause: BaseException | None = info.value
    while cause is not None:
        assert secret not in str(cause)
        cause = cause.__cause__ or cause.__context__


# -- cross-checks with ipmitool ------------------------------------------------


def test_power_set_by_driver_is_read_by_ipmitool(drv: PyIpmiPowerDriver, ipmi_sim: IpmiSim) -> None:
    drv.power_on()
    assert "Chassis Power is on" in ipmi_sim.ipmitool("power", "status").stdout
    assert "Chassis Power is on" in ipmi_sim.ipmitool("power", "status", interface="lan").stdout
    drv.power_off()
    assert "Chassis Power is off" in ipmi_sim.ipmitool("power", "status").stdout


def test_power_set_by_ipmitool_is_read_by_driver(drv: PyIpmiPowerDriver, ipmi_sim: IpmiSim) -> None:
    assert drv.status() is PowerState.OFF
    ipmi_sim.ipmitool("power", "on")
    assert drv.status() is PowerState.ON
    ipmi_sim.ipmitool("power", "off", interface="lan")
    assert drv.status() is PowerState.OFF


@pytest.mark.parametrize(
    ("device", "shown"),
    [
        (BootDevice.PXE, "Force PXE"),
        (BootDevice.DISK, "Force Boot from default Hard-Drive"),
        (BootDevice.CDROM, "Force Boot from CD/DVD"),
        (BootDevice.BIOS, "Force Boot into BIOS Setup"),
        (BootDevice.DEFAULT, "No override"),
    ],
)
def test_boot_device_set_by_driver_is_read_by_ipmitool(
    ipmi_sim: IpmiSim, made: list[PyIpmiPowerDriver], device: BootDevice, shown: str
) -> None:
    d = _driver_for(ipmi_sim)
    made.append(d)
    d.set_boot_device(device, persistent=True)
    out = ipmi_sim.ipmitool("chassis", "bootparam", "get", "5").stdout
    assert f"Boot Device Selector : {shown}" in out
    # ipmi_sim drops the valid and persistent bits (tests/openipmi.py).
    assert "Boot Flag Invalid" in out


def test_boot_device_set_by_ipmitool_reads_as_no_override(
    drv: PyIpmiPowerDriver, ipmi_sim: IpmiSim
) -> None:
    ipmi_sim.ipmitool("chassis", "bootdev", "pxe", "options=persistent")
    assert ipmi_sim.boot_selector == "pxe"
    # The BMC reports the flags invalid, so there is no override in effect.
    assert drv.boot_override() == (BootDevice.DEFAULT, False)


def test_power_actions_send_the_chassis_control_codes(
    drv: PyIpmiPowerDriver, ipmi_sim: IpmiSim
) -> None:
    drv.power_on(wait=True)  # 1
    drv.reboot()  # 3: hard reset
    drv.shutdown(wait=True)  # 5: soft off (the simulated OS obeys at once)
    drv.power_cycle(wait=True)  # 2: off now, on again after 1 s
    drv.power_off(wait=True)  # 0
    assert ipmi_sim.chassis_log() == [
        "power 1",
        "reset 1",
        "shutdown 1",
        "power 0",
        "power 1",
        "power 0",
    ]


# -- sessions --------------------------------------------------------------------


def test_session_is_reused_between_calls(drv: PyIpmiPowerDriver) -> None:
    drv.status()
    link = drv._link
    assert link is not None
    drv.power_on()
    drv.boot_device()
    assert drv._link is link
    drv.close()
    assert drv._link is None
    assert drv.status() is PowerState.ON


def test_lanplus_falls_back_from_suite_17_to_3(
    ipmi_sim: IpmiSim, made: list[PyIpmiPowerDriver]
) -> None:
    # ipmi_sim refuses suite 17 at Open Session.
    d = _driver_for(ipmi_sim, cipher_suites=(17, 3))
    made.append(d)
    d.status()
    assert d._link is not None
    assert d._link.suite == 3
    d.close()
    d.status()  # the suite that worked is tried first
    assert d._link is not None
    assert d._link.suite == 3


def test_lanplus_with_only_refused_suites_is_unsupported(
    ipmi_sim: IpmiSim, made: list[PyIpmiPowerDriver]
) -> None:
    d = _driver_for(ipmi_sim, cipher_suites=(17,), timeout=2.0)
    made.append(d)
    with within(2.0 + GRACE), pytest.raises(UnsupportedOperation, match="cipher_suites"):
        d.status()


def test_reconnects_transparently_after_bmc_restart(
    ipmi_sim: IpmiSim, interface: Interface, made: list[PyIpmiPowerDriver]
) -> None:
    d = _driver_for(ipmi_sim, interface=interface, timeout=3.0, retries=0)
    made.append(d)
    d.power_on()
    ipmi_sim.stop()
    # Same port, same chassis state; the new process knows no session.
    with run_ipmi_sim(ipmi_sim.workdir, port=ipmi_sim.port):
        with within(3.0 + GRACE):
            assert d.status() is PowerState.ON  # retries=0: the reconnect is internal
        d.power_off()
    assert not ipmi_sim.power_on


# -- failures --------------------------------------------------------------------


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A loopback UDP port that receives everything and answers nothing."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def test_bmc_that_never_answers_is_unreachable(black_hole: int, interface: Interface) -> None:
    d = PyIpmiPowerDriver(
        host="127.0.0.1", port=black_hole, password="secret", interface=interface, timeout=1.5
    )
    with within(1.5 + GRACE), pytest.raises(UnreachableError, match="nothing answered"):
        d.status()


def test_nothing_listening_fails_fast(interface: Interface) -> None:
    d = PyIpmiPowerDriver(
        host="127.0.0.1",
        port=closed_udp_port(),
        password="secret",
        interface=interface,
        timeout=5.0,
        retries=1,
    )
    with within(1.0), pytest.raises(UnreachableError):
        d.status()


def test_bmc_that_hangs_after_login_times_out(
    ipmi_sim: IpmiSim, interface: Interface, made: list[PyIpmiPowerDriver]
) -> None:
    d = _driver_for(ipmi_sim, interface=interface, timeout=1.5)
    made.append(d)
    ipmi_sim.set_chassis_delay(5)
    with within(1.5 + GRACE), pytest.raises(OperationTimeout):
        d.status()


def test_bmc_silent_on_a_reused_session_is_unreachable_within_the_bound(
    ipmi_sim: IpmiSim, interface: Interface, made: list[PyIpmiPowerDriver]
) -> None:
    d = _driver_for(ipmi_sim, interface=interface, timeout=1.5)
    made.append(d)
    d.status()
    # ipmi_sim blocks in the chassis program: in this call nothing answers,
    # neither the old session nor a new login.
    ipmi_sim.set_chassis_delay(5)
    with within(1.5 + GRACE), pytest.raises(UnreachableError):
        d.power_on()


def test_slow_bmc_within_the_timeout_succeeds(
    ipmi_sim: IpmiSim, made: list[PyIpmiPowerDriver]
) -> None:
    d = _driver_for(ipmi_sim, timeout=3.0)
    made.append(d)
    ipmi_sim.set_chassis_delay(0.3)
    assert d.status() is PowerState.OFF


def test_unknown_user_is_refused(ipmi_sim: IpmiSim, interface: Interface) -> None:
    d = _driver_for(ipmi_sim, username="nobody", interface=interface, timeout=2.0)
    with within(2.0 + GRACE), pytest.raises(AuthenticationError, match="nobody"):
        d.status()


def test_host_name_is_resolved(ipmi_sim: IpmiSim, made: list[PyIpmiPowerDriver]) -> None:
    d = _driver_for(ipmi_sim, host="localhost")  # /etc/hosts, no DNS traffic
    made.append(d)
    assert d.status() is PowerState.OFF


def test_unresolvable_host_name_is_unreachable_at_once(interface: Interface) -> None:
    # .invalid never resolves (RFC 6761): at most one query to the local resolver.
    d = PyIpmiPowerDriver(
        host="no-such-bmc.invalid", password="secret", interface=interface, timeout=5.0
    )
    with within(1.0), pytest.raises(UnreachableError, match="resolve") as info:
        d.status()
    assert not info.value.retryable


def test_ipv6_loopback(tmp_path: Path, interface: Interface) -> None:
    with run_ipmi_sim(tmp_path / "v6", host="::1") as sim:
        with _driver_for(sim, interface=interface) as d:
            d.power_on()
            assert d.status() is PowerState.ON
        assert sim.power_on


# -- SimulatedBMC: the conformance suite with scripted faults --------------------


# What the simulated BMCs report as their own LAN settings (PEER_LAN).
SIM_LAN = LanConfig(
    ip_address="192.0.2.10",
    netmask="255.255.255.0",
    gateway="192.0.2.1",
    mac_address="52:54:00:12:34:56",
)


@pytest.fixture
def bmc() -> Iterator[SimulatedBMC]:
    with SimulatedBMC(username="admin", password="secret", latency=0.0, lan=SIM_LAN) as sim:
        yield sim


def _driver_for_bmc(sim: SimulatedBMC, **overrides: Any) -> PyIpmiPowerDriver:
    settings: dict[str, Any] = {
        "host": sim.host,
        "port": sim.port,
        "username": "admin",
        "password": "secret",
        "timeout": 5.0,
        "poll_interval": 0.1,
    }
    settings.update(overrides)
    return PyIpmiPowerDriver(**settings)


class _SimulatedBmcConformance(FaultConformance):
    interface: Interface = "lanplus"

    @pytest.fixture
    def make_driver(self, bmc: SimulatedBMC, made: list[PyIpmiPowerDriver]) -> MakeDriver:
        def make(**overrides: Any) -> PowerDriver:
            d = _driver_for_bmc(bmc, interface=self.interface, **overrides)
            made.append(d)
            return d

        return make

    @pytest.fixture
    def faults(self, bmc: SimulatedBMC) -> FaultPlan:
        return bmc.faults


class TestSimulatedBmcLanplus(_SimulatedBmcConformance):
    interface = "lanplus"


class TestSimulatedBmcLan(_SimulatedBmcConformance):
    interface = "lan"


@pytest.mark.parametrize("persistent", [False, True])
def test_persistent_flag_both_ways(
    bmc: SimulatedBMC, interface: Interface, made: list[PyIpmiPowerDriver], persistent: bool
) -> None:
    d = _driver_for_bmc(bmc, interface=interface)
    made.append(d)
    d.set_boot_device(BootDevice.CDROM, persistent=persistent)
    assert bmc.boot_device is BootDevice.CDROM
    assert bmc.boot_persistent is persistent
    bmc.boot_device = BootDevice.PXE
    bmc.boot_persistent = not persistent
    assert d.boot_override() == (BootDevice.PXE, not persistent)
    d.set_boot_device(BootDevice.DEFAULT)
    assert d.boot_override() == (BootDevice.DEFAULT, False)


def test_lanplus_uses_suite_17_where_offered(
    bmc: SimulatedBMC, made: list[PyIpmiPowerDriver]
) -> None:
    d = _driver_for_bmc(bmc)
    made.append(d)
    d.status()
    assert d._link is not None
    assert d._link.suite == 17


@pytest.mark.parametrize("only", [3, 17])
def test_lanplus_with_a_one_suite_bmc(only: int, made: list[PyIpmiPowerDriver]) -> None:
    with SimulatedBMC(username="admin", password="secret", cipher_suites=(only,)) as sim:
        d = _driver_for_bmc(sim, timeout=2.0)
        made.append(d)
        d.power_on()
        assert d.status() is PowerState.ON
        assert d._link is not None
        assert d._link.suite == only
        assert sim.session_suites == [only]
        assert sim.stats.suites_refused == (1 if only == 3 else 0)
        d.close()
        assert sim.stats.sessions_active == 0


@pytest.mark.parametrize(("only", "allowed"), [(3, (17,)), (17, (3,))])
def test_lanplus_without_a_common_suite_is_unsupported(
    only: int, allowed: tuple[int, ...], made: list[PyIpmiPowerDriver]
) -> None:
    with SimulatedBMC(username="admin", password="secret", cipher_suites=(only,)) as sim:
        d = _driver_for_bmc(sim, timeout=2.0, cipher_suites=allowed)
        made.append(d)
        with within(1.0), pytest.raises(UnsupportedOperation, match="0x11"):
            d.status()


def test_lanplus_with_a_bmc_that_claims_suite_17_but_speaks_sha1(
    made: list[PyIpmiPowerDriver],
) -> None:
    """pyghmi's own BMC server: "accepts" 17, answers RAKP 2 with SHA-1."""
    with SimulatedBMC(
        username="admin", password="secret", cipher_suites=(3,), claims_suite_17=True
    ) as sim:
        d = _driver_for_bmc(sim, timeout=2.0)
        made.append(d)
        with within(1.0):
            assert d.status() is PowerState.OFF
        assert d._link is not None
        assert d._link.suite == 3
        assert sim.session_suites == [3]
        d.close()
        strict = _driver_for_bmc(sim, timeout=2.0, cipher_suites=(17,))
        made.append(strict)
        with pytest.raises(UnsupportedOperation, match=r"SHA-1.*cipher_suites=\(17, 3\)"):
            strict.status()


def test_out_of_sessions_is_busy_then_retried(
    bmc: SimulatedBMC, interface: Interface, made: list[PyIpmiPowerDriver]
) -> None:
    d = _driver_for_bmc(bmc, interface=interface, timeout=2.0, retries=3)
    made.append(d)
    bmc.faults.out_of_sessions = 2
    with within(2.0 + GRACE):
        assert d.status() is PowerState.OFF
    assert bmc.faults.out_of_sessions == 0


def test_out_of_sessions_beyond_retries_is_bmc_busy(
    bmc: SimulatedBMC, interface: Interface, made: list[PyIpmiPowerDriver]
) -> None:
    d = _driver_for_bmc(bmc, interface=interface, timeout=2.0, retries=1)
    made.append(d)
    bmc.faults.out_of_sessions = 100
    with within(2.0 + GRACE), pytest.raises(BmcBusy):
        d.status()


def test_reconnects_after_bmc_forgot_the_session(
    bmc: SimulatedBMC, interface: Interface, made: list[PyIpmiPowerDriver]
) -> None:
    d = _driver_for_bmc(bmc, interface=interface, timeout=2.0, retries=0)
    made.append(d)
    d.power_on()
    bmc.drop_sessions()
    with within(2.0 + GRACE):
        assert d.status() is PowerState.ON


def test_latency_below_timeout_succeeds(
    bmc: SimulatedBMC, interface: Interface, made: list[PyIpmiPowerDriver]
) -> None:
    bmc.faults.latency = 0.05
    d = _driver_for_bmc(bmc, interface=interface, timeout=2.0)
    made.append(d)
    d.power_on()
    assert bmc.power_state is PowerState.ON


def test_close_ends_the_session_on_the_bmc(
    bmc: SimulatedBMC, interface: Interface, made: list[PyIpmiPowerDriver]
) -> None:
    d = _driver_for_bmc(bmc, interface=interface)
    made.append(d)
    d.status()
    assert len(bmc._core.sessions) == 1
    d.close()
    assert len(bmc._core.sessions) == 0


def test_driver_dropped_without_close_closes_its_session(
    bmc: SimulatedBMC, interface: Interface
) -> None:
    d = _driver_for_bmc(bmc, interface=interface)
    d.status()
    link = d._link
    assert link is not None
    assert bmc.stats.sessions_active == 1
    dropped = weakref.ref(d)
    del d
    gc.collect()
    assert dropped() is None
    deadline = time.monotonic() + 2.0
    while bmc.stats.sessions_active or link.intf._sock.fileno() != -1:
        assert time.monotonic() < deadline, "the dropped driver's session is still open"
        time.sleep(0.01)


@pytest.mark.parametrize("cipher", [17, 3])
def test_simulated_bmc_cross_check_with_ipmitool(
    bmc: SimulatedBMC, made: list[PyIpmiPowerDriver], cipher: int
) -> None:
    d = _driver_for_bmc(bmc, cipher_suites=(cipher,))
    made.append(d)
    base = ["ipmitool", "-I", "lanplus", "-C", str(cipher), "-H", bmc.host]
    base += ["-p", str(bmc.port), "-U", "admin", "-E", "-N", "1", "-R", "2"]
    env = {"IPMI_PASSWORD": "secret", "PATH": "/usr/bin:/bin"}

    def ipmitool(*args: str) -> str:
        run = subprocess.run([*base, *args], env=env, capture_output=True, text=True, check=True)
        return run.stdout

    d.power_on()
    assert "Chassis Power is on" in ipmitool("power", "status")
    ipmitool("power", "off")
    assert d.status() is PowerState.OFF
    d.set_boot_device(BootDevice.PXE, persistent=True)
    out = ipmitool("chassis", "bootparam", "get", "5")
    assert "Force PXE" in out
    assert "Options apply to all future boots" in out
    ipmitool("chassis", "bootdev", "bios")
    assert d.boot_override() == (BootDevice.BIOS, False)


# -- the BMC's own LAN settings ---------------------------------------------------


def _lan_print(bmc: SimulatedBMC) -> NetworkInterface:
    """What ``ipmitool -I lanplus lan print 1`` reports, as a NetworkInterface."""
    out = subprocess.run(
        [
            "ipmitool",
            "-I",
            "lanplus",
            "-C",
            "3",
            "-H",
            bmc.host,
            "-p",
            str(bmc.port),
            "-U",
            "admin",
            "-E",
            "-N",
            "1",
            "-R",
            "2",
            "lan",
            "print",
            "1",
        ],
        env={"IPMI_PASSWORD": "secret", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    ).stdout
    fields: dict[str, str] = {}
    for line in out.splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() not in fields:
            fields[key.strip()] = value.strip()
    gateway = fields["Default Gateway IP"]
    return NetworkInterface(
        address=f"{fields['IP Address']}/{fields['Subnet Mask']}",
        gateway=None if gateway == "0.0.0.0" else gateway,
        mac=fields["MAC Address"],
    )


@pytest.mark.parametrize(
    "lan",
    [
        SIM_LAN,
        LanConfig(
            ip_address="10.1.2.3",
            netmask="255.255.240.0",
            gateway="10.1.0.1",
            mac_address="02:AA:bb:cc:dd:0e",
        ),
        LanConfig(ip_address="198.51.100.7", netmask="255.255.255.255", gateway="0.0.0.0"),
    ],
)
def test_lan_settings_agree_with_ipmitool(
    bmc: SimulatedBMC, interface: Interface, made: list[PyIpmiPowerDriver], lan: LanConfig
) -> None:
    bmc.lan = lan
    d = _driver_for_bmc(bmc, interface=interface)
    made.append(d)
    read = d.lan_settings()
    assert read == _lan_print(bmc)
    assert str(read.ip) == str(lan.ip_address)
    assert str(read.netmask) == str(lan.netmask)
    assert read.mac == lan.mac


def test_lan_settings_gateway_outside_the_network_is_dropped_with_a_warning(
    bmc: SimulatedBMC,
    interface: Interface,
    made: list[PyIpmiPowerDriver],
    caplog: pytest.LogCaptureFixture,
) -> None:
    bmc.lan = LanConfig(
        ip_address="192.0.2.10",
        netmask="255.255.255.0",
        gateway="198.51.100.1",
        mac_address="52:54:00:12:34:56",
    )
    d = _driver_for_bmc(bmc, interface=interface)
    made.append(d)
    with caplog.at_level(logging.WARNING, logger="hostlib.drivers.base"):
        lan = d.lan_settings()
    assert lan == NetworkInterface("192.0.2.10/24", gateway=None, mac="52:54:00:12:34:56")
    assert "198.51.100.1" in caplog.text


def test_lan_settings_errors(
    bmc: SimulatedBMC, interface: Interface, made: list[PyIpmiPowerDriver]
) -> None:
    d = _driver_for_bmc(bmc, interface=interface, timeout=2.0)
    made.append(d)
    # Channel 5 is not the simulator's LAN channel: 0xCC, invalid data field.
    with pytest.raises(UnsupportedOperation, match="0xcc"):
        d.lan_settings(channel=5)
    bmc.faults.busy = 2
    assert d.lan_settings() == PEER_LAN
    assert bmc.faults.busy == 0
    bmc.lan = LanConfig(ip_address="0.0.0.0", netmask="0.0.0.0")
    with pytest.raises(UnsupportedOperation, match="no IP address"):
        d.lan_settings()
    assert d.status() is PowerState.OFF


@pytest.mark.parametrize("channel", [16, -1, "1"])
def test_bad_lan_channel_sends_nothing(bmc: SimulatedBMC, channel: Any) -> None:
    d = _driver_for_bmc(bmc)
    with pytest.raises(ValidationError, match="channel"):
        d.lan_settings(channel=channel)
    assert bmc.stats.packets_received == 0


def _sim_lan_print(sim: IpmiSim) -> NetworkInterface:
    """What ``ipmitool -I lanplus -C 3 lan print 1`` says ipmi_sim reports."""
    fields = sim.lan_print()
    gateway = fields["Default Gateway IP"]
    return NetworkInterface(
        address=f"{fields['IP Address']}/{fields['Subnet Mask']}",
        gateway=None if gateway == "0.0.0.0" else gateway,
        mac=fields["MAC Address"],
    )


def test_ipmi_sim_lan_settings_agree_with_ipmitool(
    drv: PyIpmiPowerDriver, ipmi_sim: IpmiSim
) -> None:
    assert ipmi_sim.lan_print()["IP Address Source"] == "Static Address"
    assert _sim_lan_print(ipmi_sim) == PEER_LAN
    assert drv.lan_settings() == PEER_LAN
    # Changed while running: the LAN program reads its files on every Get.
    ipmi_sim.set_lan("198.51.100.7", netmask="255.255.240.0", gateway=None, mac="02:AA:bb:cc:dd:0e")
    expected = NetworkInterface("198.51.100.7/20", gateway=None, mac="02:aa:bb:cc:dd:0e")
    assert _sim_lan_print(ipmi_sim) == expected
    assert drv.lan_settings() == expected


def test_ipmi_sim_without_lan_address_is_unsupported(tmp_path: Path, interface: Interface) -> None:
    with run_ipmi_sim(tmp_path / "sim", lan_ip=None) as sim:
        out = sim.ipmitool("lan", "print", "1").stdout
        assert re.search(r"^IP Address\s+: 0\.0\.0\.0$", out, re.MULTILINE)
        d = _driver_for(sim, interface=interface)
        try:
            with pytest.raises(UnsupportedOperation, match=r"0\.0\.0\.0"):
                d.lan_settings()
            assert d.status() is PowerState.OFF
        finally:
            d.close()
