"""The pyghmi power driver against real IPMI peers on loopback.

Peers: ``SimulatedBMC`` (scripted faults, cipher suites 3 and 17), OpenIPMI's
``ipmi_sim`` (refuses suite 17, so pyghmi falls back to 3), and ipmitool as
an independent client reading back what the driver set, and the reverse.
"""

from __future__ import annotations

import gc
import logging
import re
import socket
import statistics
import threading
import time
import weakref
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from hostlib.drivers import _pyghmi_io, power_driver, registered_drivers
from hostlib.drivers.base import BootDevice, PowerDriver, PowerState
from hostlib.drivers.faults import FaultPlan
from hostlib.drivers.ipmi import IpmiPowerDriver, _first_to_answer
from hostlib.drivers.simulator import LanConfig, SimulatedBMC, SimulatedRack
from hostlib.errors import (
    AuthenticationError,
    BmcBusy,
    DriverError,
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
)
from tests.openipmi import IpmiSim, ipmi_sim, run_ipmi_sim

__all__ = ["ipmi_sim"]  # the fixture, imported for pytest

GRACE = 1.0
SIM_BOOT = {
    BootDevice.PXE: "pxe",
    BootDevice.DISK: "default",
    BootDevice.CDROM: "cdrom",
    BootDevice.BIOS: "bios",
}


# What the simulated BMCs report as their own LAN settings (PEER_LAN).
SIM_LAN = LanConfig(
    ip_address="192.0.2.10",
    netmask="255.255.255.0",
    gateway="192.0.2.1",
    mac_address="52:54:00:12:34:56",
)


@pytest.fixture
def bmc() -> Iterator[SimulatedBMC]:
    with SimulatedBMC(username="admin", password="secret", lan=SIM_LAN) as sim:
        yield sim


def _maker(host: str, port: int, username: str, password: str, timeout: float) -> MakeDriver:
    made: list[IpmiPowerDriver] = []

    def make(**overrides: Any) -> IpmiPowerDriver:
        settings: dict[str, Any] = {
            "host": host,
            "port": port,
            "username": username,
            "password": password,
            "timeout": timeout,
            "poll_interval": 0.1,
        }
        settings.update(overrides)
        drv = IpmiPowerDriver(**settings)
        made.append(drv)
        return drv

    return make


@pytest.fixture
def sim_driver(bmc: SimulatedBMC) -> MakeDriver:
    return _maker(bmc.host, bmc.port, "admin", "secret", 2.0)


class TestSimulatedBmc(FaultConformance):
    timeout = 1.5

    @pytest.fixture
    def make_driver(self, sim_driver: MakeDriver) -> MakeDriver:
        return sim_driver

    @pytest.fixture
    def faults(self, bmc: SimulatedBMC) -> FaultPlan:
        return bmc.faults


class TestIpmiSim(PowerDriverConformance):
    """ipmi_sim stores the boot selector but drops the valid/persistent bits.

    Its LAN settings come from the launcher's LAN program: PEER_LAN by default.
    """

    timeout = 2.0

    @pytest.fixture
    def make_driver(self, ipmi_sim: IpmiSim) -> MakeDriver:
        return _maker(ipmi_sim.host, ipmi_sim.port, ipmi_sim.username, ipmi_sim.password, 5.0)

    @pytest.mark.parametrize(
        "device", [BootDevice.PXE, BootDevice.DISK, BootDevice.CDROM, BootDevice.BIOS]
    )
    @pytest.mark.parametrize("persistent", [False, True])
    def test_boot_device_round_trip(  # type: ignore[override]
        self, driver: PowerDriver, device: BootDevice, persistent: bool, ipmi_sim: IpmiSim
    ) -> None:
        driver.set_boot_device(device, persistent=persistent)
        assert ipmi_sim.boot_selector == SIM_BOOT[device]
        # Spec reading of ipmi_sim's answer (flags "invalid"): no override.
        assert driver.boot_device() is BootDevice.DEFAULT

    def test_boot_device_by_name(  # type: ignore[override]
        self, driver: PowerDriver, ipmi_sim: IpmiSim
    ) -> None:
        driver.set_boot_device("PXE")
        assert ipmi_sim.boot_selector == "pxe"

    def test_power_cycle_ends_on(self, driver: PowerDriver) -> None:
        driver.power_on(wait=True)
        driver.power_cycle()
        deadline = time.monotonic() + 4
        while driver.status() is not PowerState.ON or time.monotonic() < deadline - 2.5:
            assert time.monotonic() < deadline, "ipmi_sim did not come back on"
            time.sleep(0.1)


# -- cross-checks with ipmitool ----------------------------------------------


def test_registered_and_made_by_name(bmc: SimulatedBMC) -> None:
    assert "ipmi" in registered_drivers("power")
    drv = power_driver(
        "ipmi", host=bmc.host, port=bmc.port, username="admin", password="secret", timeout=2.0
    )
    assert isinstance(drv, IpmiPowerDriver)
    assert drv.status() is PowerState.OFF
    drv.close()


def test_ipmitool_reads_what_the_driver_set(ipmi_sim: IpmiSim) -> None:
    drv = IpmiPowerDriver(
        host=ipmi_sim.host,
        port=ipmi_sim.port,
        username=ipmi_sim.username,
        password=ipmi_sim.password,
        timeout=5.0,
    )
    drv.power_on()
    assert "Chassis Power is on" in ipmi_sim.ipmitool("power", "status").stdout
    drv.set_boot_device(BootDevice.CDROM)
    assert "Force Boot from CD/DVD" in ipmi_sim.ipmitool("chassis", "bootparam", "get", "5").stdout
    drv.power_off()
    assert "Chassis Power is off" in ipmi_sim.ipmitool("power", "status").stdout
    assert ipmi_sim.chassis_log() == ["power 1", "boot cdrom", "power 0"]
    drv.close()


def test_driver_reads_what_ipmitool_set(ipmi_sim: IpmiSim) -> None:
    drv = IpmiPowerDriver(
        host=ipmi_sim.host,
        port=ipmi_sim.port,
        username=ipmi_sim.username,
        password=ipmi_sim.password,
        timeout=5.0,
    )
    assert drv.status() is PowerState.OFF
    ipmi_sim.ipmitool("power", "on")
    assert drv.status() is PowerState.ON
    drv.close()


@pytest.mark.parametrize("cipher", [3, 17])
@pytest.mark.parametrize("persistent", [False, True])
def test_boot_flags_cross_checked_with_ipmitool(
    bmc: SimulatedBMC, cipher: int, persistent: bool
) -> None:
    drv = IpmiPowerDriver(
        host=bmc.host, port=bmc.port, username="admin", password="secret", timeout=2.0
    )
    drv.set_boot_device(BootDevice.PXE, persistent=persistent)
    out = _ipmitool(bmc, cipher, "chassis", "bootparam", "get", "5")
    assert "Force PXE" in out
    assert ("Options apply to all future boots" in out) is persistent
    _ipmitool(bmc, cipher, "chassis", "bootdev", "bios", *(["options=persistent"] * persistent))
    assert drv.boot_override() == (BootDevice.BIOS, persistent)
    _ipmitool(bmc, cipher, "power", "on")
    assert drv.status() is PowerState.ON
    drv.close()


def _ipmitool(bmc: SimulatedBMC, cipher: int, *args: str) -> str:
    import os
    import subprocess

    cmd = ["ipmitool", "-I", "lanplus", "-C", str(cipher), "-H", bmc.host, "-p", str(bmc.port)]
    cmd += ["-U", "admin", "-E", "-N", "1", "-R", "2", *args]
    env = dict(os.environ, IPMI_PASSWORD="secret")
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=10, check=True)
    return done.stdout


# -- cipher suites ------------------------------------------------------------


@pytest.mark.parametrize("only", [3, 17])
def test_bmc_with_one_cipher_suite(only: int) -> None:
    with SimulatedBMC(username="admin", password="secret", cipher_suites=(only,)) as sim:
        drv = IpmiPowerDriver(
            host=sim.host, port=sim.port, username="admin", password="secret", timeout=2.0
        )
        drv.power_on()
        assert drv.status() is PowerState.ON
        assert sim.session_suites == [only]
        # pyghmi proposes 17 first: a 3-only BMC refused it once, then 3 was used.
        assert sim.stats.suites_refused == (1 if only == 3 else 0)
        drv.close()


@pytest.mark.parametrize(("only", "allowed"), [(3, (17,)), (17, (3,))])
def test_no_common_cipher_suite_is_unsupported(only: int, allowed: tuple[int, ...]) -> None:
    with SimulatedBMC(username="admin", password="secret", cipher_suites=(only,)) as sim:
        drv = IpmiPowerDriver(
            host=sim.host,
            port=sim.port,
            username="admin",
            password="secret",
            timeout=2.0,
            cipher_suites=allowed,
        )
        start = time.monotonic()
        with pytest.raises(UnsupportedOperation, match="cipher suite"):
            drv.status()
        assert time.monotonic() - start < 1.0
        # The driver logs out of the session pyghmi opened with the refused
        # suite; the BMC thread handles that Close Session a moment later.
        deadline = time.monotonic() + 1.0
        while sim.stats.sessions_active and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sim.stats.sessions_active == 0


def test_bmc_that_claims_suite_17_but_speaks_sha1() -> None:
    """pyghmi's own BMC server: "accepts" 17, answers RAKP 2 with SHA-1."""
    with SimulatedBMC(
        username="admin", password="secret", cipher_suites=(3,), claims_suite_17=True
    ) as sim:
        drv = IpmiPowerDriver(
            host=sim.host, port=sim.port, username="admin", password="secret", timeout=2.0
        )
        start = time.monotonic()
        assert drv.status() is PowerState.OFF
        assert time.monotonic() - start < 1.0
        assert sim.session_suites == [3]
        assert drv._suite == 3
        drv.close()
        # The suite that worked is tried first next time: one login, no detour.
        opened = sim.stats.sessions_opened
        drv.power_on()
        assert sim.stats.sessions_opened == opened + 1
        assert sim.session_suites == [3]
        drv.close()

        strict = IpmiPowerDriver(
            host=sim.host,
            port=sim.port,
            username="admin",
            password="secret",
            timeout=2.0,
            cipher_suites=(17,),
        )
        with pytest.raises(UnsupportedOperation, match=r"SHA-1.*cipher_suites=\(17, 3\)"):
            strict.status()
        # The failed suite-17 login left nothing behind in pyghmi.
        assert not [s for s in _pyghmi_sessions() if s.port == sim.port and not s.broken]


def _pyghmi_sessions() -> list[Any]:
    return [sess for _, sess in _pyghmi_tables()]


def _pyghmi_tables() -> list[tuple[str, Any]]:
    """(table, session) for every session in pyghmi's class-level tables."""
    from pyghmi.ipmi.private import session

    cls = session.Session
    found = [("keepalive_sessions", s) for s in list(cls.keepalive_sessions)]
    found += [("waiting_sessions", s) for s in list(cls.waiting_sessions)]
    found += [("initting_sessions", s) for s in list(cls.initting_sessions.values())]
    for by_port in list(cls.bmc_handlers.values()):
        found += [("bmc_handlers", s) for s in list(by_port.values())]
    return found


def _tables_holding(sess: Any) -> list[str]:
    return [table for table, s in _pyghmi_tables() if s is sess]


# -- errors -------------------------------------------------------------------


def test_ipmi_sim_stopped_is_unreachable_fast(ipmi_sim: IpmiSim) -> None:
    drv = IpmiPowerDriver(
        host=ipmi_sim.host,
        port=ipmi_sim.port,
        username=ipmi_sim.username,
        password=ipmi_sim.password,
        timeout=1.5,
    )
    ipmi_sim.stop()
    start = time.monotonic()
    with pytest.raises(UnreachableError, match="no answer"):
        drv.status()
    assert time.monotonic() - start <= 1.5 + GRACE


def test_ipmi_sim_hang_after_login_is_operation_timeout(ipmi_sim: IpmiSim) -> None:
    drv = IpmiPowerDriver(
        host=ipmi_sim.host,
        port=ipmi_sim.port,
        username=ipmi_sim.username,
        password=ipmi_sim.password,
        timeout=1.5,
        retries=0,
    )
    assert drv.status() is PowerState.OFF
    ipmi_sim.set_chassis_delay(5)
    start = time.monotonic()
    with pytest.raises(OperationTimeout):
        drv.status()
    assert time.monotonic() - start <= 1.5 + GRACE


def test_wrong_username_is_authentication_error(bmc: SimulatedBMC) -> None:
    drv = IpmiPowerDriver(host=bmc.host, port=bmc.port, username="nobody", password="secret")
    with pytest.raises(AuthenticationError, match="nobody") as info:
        drv.status()
    assert "secret" not in str(info.value)
    assert info.value.__cause__ is None or "pyghmi" not in type(info.value.__cause__).__module__


def test_out_of_sessions_then_fine(bmc: SimulatedBMC) -> None:
    bmc.faults.out_of_sessions = 2
    drv = IpmiPowerDriver(
        host=bmc.host, port=bmc.port, username="admin", password="secret", timeout=2.0
    )
    assert drv.status() is PowerState.OFF
    assert bmc.faults.out_of_sessions == 0
    drv.close()


def test_out_of_sessions_beyond_retries_is_busy(bmc: SimulatedBMC) -> None:
    bmc.faults.out_of_sessions = 100
    drv = IpmiPowerDriver(
        host=bmc.host, port=bmc.port, username="admin", password="secret", retries=1
    )
    with pytest.raises(BmcBusy, match="session slot"):
        drv.status()


def test_cycle_of_server_that_is_off_is_unsupported(bmc: SimulatedBMC) -> None:
    drv = IpmiPowerDriver(
        host=bmc.host, port=bmc.port, username="admin", password="secret", timeout=2.0
    )
    with pytest.raises(UnsupportedOperation, match="0xd5"):
        drv.power_cycle()
    drv.close()


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"host": "bad host!"}, "host"),
        ({"port": 0}, "port"),
        ({"port": 65536}, "port"),
        ({"username": "u" * 17}, "16 bytes"),
        ({"cipher_suites": (17, 2)}, "cipher_suites"),
        ({"cipher_suites": ()}, "cipher_suites"),
        ({"session_idle": 0}, "session_idle"),
    ],
)
def test_bad_settings_send_nothing(
    bmc: SimulatedBMC, overrides: dict[str, Any], match: str
) -> None:
    settings: dict[str, Any] = {
        "host": bmc.host,
        "port": bmc.port,
        "username": "admin",
        "password": "secret",
    }
    settings.update(overrides)
    with pytest.raises(ValidationError, match=match):
        IpmiPowerDriver(**settings)
    assert bmc.stats.packets_received == 0


def test_unknown_boot_device_sends_nothing(bmc: SimulatedBMC) -> None:
    drv = IpmiPowerDriver(host=bmc.host, port=bmc.port, username="admin", password="secret")
    with pytest.raises(ValidationError, match="boot device"):
        drv.set_boot_device("floppy")
    assert bmc.stats.packets_received == 0


def test_password_never_shown(bmc: SimulatedBMC) -> None:
    drv = IpmiPowerDriver(
        host=bmc.host, port=bmc.port, username="admin", password="Hunter2-pw", timeout=1.0
    )
    assert "Hunter2-pw" not in repr(drv) + str(drv)
    with pytest.raises(AuthenticationError) as info:
        drv.status()
    chain: BaseException | None = info.value
    while chain is not None:
        assert "Hunter2-pw" not in str(chain)
        chain = chain.__cause__


# -- host names -----------------------------------------------------------------


def test_host_name_is_resolved_by_the_driver(bmc: SimulatedBMC) -> None:
    drv = IpmiPowerDriver(
        host="localhost", port=bmc.port, username="admin", password="secret", timeout=2.0
    )
    assert drv.status() is PowerState.OFF  # /etc/hosts: no DNS traffic
    assert drv.host == "localhost"
    assert drv._session.bmc == "127.0.0.1"  # pyghmi got the address, not the name
    drv.close()
    assert not [s for s in _pyghmi_sessions() if s.bmc == "localhost"]


def test_unresolvable_host_name_is_unreachable_at_once() -> None:
    # .invalid never resolves (RFC 6761): at most one query to the local resolver.
    drv = IpmiPowerDriver(
        host="no-such-bmc.invalid", port=623, username="admin", password="secret", timeout=5.0
    )
    start = time.monotonic()
    with pytest.raises(UnreachableError, match=r"resolve.*'no-such-bmc\.invalid'") as info:
        drv.status()
    assert time.monotonic() - start < 1.0
    assert not info.value.retryable  # the resolver's answer; not retried
    assert "secret" not in str(info.value)
    _eventually(lambda: not [t for t in _workers() if "no-such-bmc" in t.name], within=0.5)


def test_first_address_to_answer_a_ping_is_used(bmc: SimulatedBMC) -> None:
    # What pyghmi did for a name with several addresses: keep the one that answers.
    v4, v6 = (socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")
    assert _first_to_answer([v6, v4], bmc.port, 1.0) == "127.0.0.1"
    assert _first_to_answer([v4, v6], bmc.port, 1.0) == "127.0.0.1"
    with SimulatedBMC(username="admin", password="secret", host="::1") as v6_bmc:
        assert _first_to_answer([v4, v6], v6_bmc.port, 1.0) == "::1"
    # Nobody answers: the first, and the login says what is wrong.
    start = time.monotonic()
    assert _first_to_answer([v6, (socket.AF_INET, "127.0.0.2")], bmc.port, 0.2) == "::1"
    assert time.monotonic() - start < 0.5


# -- sessions ------------------------------------------------------------------


def test_session_reused_between_calls_and_logged_out_on_close(bmc: SimulatedBMC) -> None:
    drv = IpmiPowerDriver(host=bmc.host, port=bmc.port, username="admin", password="secret")
    for _ in range(5):
        drv.status()
    assert bmc.stats.sessions_opened == 1
    assert bmc.stats.sessions_active == 1
    drv.close()
    _eventually(lambda: bmc.stats.sessions_active == 0)
    assert drv.status() is PowerState.OFF  # usable again after close
    assert bmc.stats.sessions_opened == 2
    drv.close()


@pytest.mark.parametrize("action", ["power_on", "status"])
def test_reconnects_when_the_bmc_dropped_the_session(bmc: SimulatedBMC, action: str) -> None:
    drv = IpmiPowerDriver(
        host=bmc.host, port=bmc.port, username="admin", password="secret", timeout=3.0
    )
    drv.status()
    old = drv._session
    bmc.drop_sessions()
    start = time.monotonic()
    getattr(drv, action)()
    took = time.monotonic() - start
    # The kept session gets a short wait (_PROBE_MIN, 0.25 s) to answer,
    # then the driver logs in again: 0.25 s measured; relying on pyghmi's
    # own retry timers took 6-7 s.
    assert took < 0.6, f"reconnect took {took:.2f} s"
    assert bmc.power_state is (PowerState.ON if action == "power_on" else PowerState.OFF)
    assert bmc.stats.sessions_opened == 2
    assert old not in _pyghmi_sessions() or old.broken
    assert drv.status() is bmc.power_state  # the new session is kept
    assert bmc.stats.sessions_opened == 2
    drv.close()


def test_slow_bmc_keeps_its_session(bmc: SimulatedBMC) -> None:
    drv = IpmiPowerDriver(
        host=bmc.host, port=bmc.port, username="admin", password="secret", timeout=3.0
    )
    bmc.latency = 0.15
    for _ in range(3):
        assert drv.status() is PowerState.OFF
    drv.power_on()
    assert bmc.stats.sessions_opened == 1
    drv.close()


def test_driver_dropped_without_close_logs_out(bmc: SimulatedBMC) -> None:
    drv = IpmiPowerDriver(host=bmc.host, port=bmc.port, username="admin", password="secret")
    drv.status()
    sess = drv._session
    assert sess in _pyghmi_sessions()
    assert bmc.stats.sessions_active == 1
    dropped = weakref.ref(drv)
    del drv
    gc.collect()
    assert dropped() is None
    _eventually(lambda: bmc.stats.sessions_active == 0)
    _eventually(lambda: not _tables_holding(sess))
    assert sess.broken


def test_close_leaves_nothing_in_pyghmi_tables(bmc: SimulatedBMC) -> None:
    drv = IpmiPowerDriver(host=bmc.host, port=bmc.port, username="admin", password="secret")
    drv.status()
    sess = drv._session
    drv.close()
    # pyghmi's tables are also worked on by whichever thread runs its I/O loop.
    _eventually(lambda: not _tables_holding(sess))
    _eventually(lambda: bmc.stats.sessions_active == 0)  # Close Session is not awaited


def test_dropping_one_driver_leaves_the_other_alone(bmc: SimulatedBMC) -> None:
    def make() -> IpmiPowerDriver:
        return IpmiPowerDriver(host=bmc.host, port=bmc.port, username="admin", password="secret")

    first, second = make(), make()
    first.status()
    second.status()
    opened = bmc.stats.sessions_opened
    del first
    gc.collect()
    _eventually(lambda: bmc.stats.sessions_active == opened - 1)
    assert second.status() is PowerState.OFF
    assert bmc.stats.sessions_opened == opened  # no new login
    second.close()
    _eventually(lambda: bmc.stats.sessions_active == 0)


def test_idle_session_is_replaced(bmc: SimulatedBMC) -> None:
    drv = IpmiPowerDriver(
        host=bmc.host, port=bmc.port, username="admin", password="secret", session_idle=0.2
    )
    drv.status()
    time.sleep(0.3)
    drv.status()
    assert bmc.stats.sessions_opened == 2
    drv.close()


def test_no_worker_threads_left(bmc: SimulatedBMC) -> None:
    drv = IpmiPowerDriver(
        host=bmc.host, port=bmc.port, username="admin", password="secret", timeout=1.0
    )
    drv.status()
    bmc.faults.hang = True
    with pytest.raises(OperationTimeout):
        drv.power_on()
    bmc.faults.hang = False
    # The abandoned pyghmi call gives up at its next retry (< 1.5 s).
    _eventually(lambda: not _workers(), within=3.0)
    assert drv.status() is PowerState.OFF
    drv.close()
    assert not _workers()


def _workers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("hostlib-ipmi")]


def _eventually(check: Any, within: float = 2.0) -> None:
    end = time.monotonic() + within
    while not check():
        assert time.monotonic() < end, "condition not reached in time"
        time.sleep(0.02)


# -- pyghmi's lost wakeup ------------------------------------------------------


def _bulk_status(rack: SimulatedRack, threads: int) -> tuple[float, float]:
    """Status of every BMC with a fresh driver each, from a pool; (wall, worst call)."""

    def one(port: int) -> float:
        start = time.monotonic()
        drv = IpmiPowerDriver(
            host="127.0.0.1", port=port, username="admin", password="secret", timeout=5.0
        )
        assert drv.status() is PowerState.OFF
        took = time.monotonic() - start
        drv.close()
        return took

    start = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        worst = max(pool.map(one, [b.port for b in rack.bmcs]))
    return time.monotonic() - start, worst


def test_no_stalls_under_threads() -> None:
    assert _pyghmi_io.installed()
    with SimulatedRack(50, username="admin", password="secret") as rack:
        runs = [_bulk_status(rack, 16) for _ in range(3)]
    walls = [wall for wall, _ in runs]
    worst = max(w for _, w in runs)
    # A lost wakeup costs 0.5-1.0 s per hit; 50 logins + commands without one
    # take well under that.
    assert worst < 0.45, f"slowest call {worst:.2f} s, runs {walls}"
    assert statistics.median(walls) < 1.0


# -- the BMC's own LAN settings ---------------------------------------------------


def _lan_print(bmc: SimulatedBMC) -> NetworkInterface:
    """What ``ipmitool lan print 1`` reports, as a NetworkInterface."""
    fields: dict[str, str] = {}
    for line in _ipmitool(bmc, 3, "lan", "print", "1").splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() not in fields:
            fields[key.strip()] = value.strip()
    gateway = fields["Default Gateway IP"]
    return NetworkInterface(
        address=f"{fields['IP Address']}/{fields['Subnet Mask']}",
        gateway=None if gateway == "0.0.0.0" else gateway,
        mac=fields["MAC Address"],
    )


def _lan_driver(bmc: SimulatedBMC, **overrides: Any) -> IpmiPowerDriver:
    settings: dict[str, Any] = {
        "host": bmc.host,
        "port": bmc.port,
        "username": "admin",
        "password": "secret",
        "timeout": 2.0,
    }
    settings.update(overrides)
    return IpmiPowerDriver(**settings)


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
def test_lan_settings_agree_with_ipmitool(bmc: SimulatedBMC, lan: LanConfig) -> None:
    bmc.lan = lan
    drv = _lan_driver(bmc)
    read = drv.lan_settings()
    assert read == _lan_print(bmc)
    assert str(read.ip) == str(lan.ip_address)
    assert str(read.netmask) == str(lan.netmask)
    assert read.mac == lan.mac
    expected_gateway = None if lan.gateway.is_unspecified else str(lan.gateway)
    assert (None if read.gateway is None else str(read.gateway)) == expected_gateway
    drv.close()


def test_lan_settings_gateway_outside_the_network_is_dropped_with_a_warning(
    bmc: SimulatedBMC, caplog: pytest.LogCaptureFixture
) -> None:
    bmc.lan = LanConfig(
        ip_address="192.0.2.10",
        netmask="255.255.255.0",
        gateway="198.51.100.1",
        mac_address="52:54:00:12:34:56",
    )
    drv = _lan_driver(bmc)
    with caplog.at_level(logging.WARNING, logger="hostlib.drivers.base"):
        lan = drv.lan_settings()
    assert lan == NetworkInterface("192.0.2.10/24", gateway=None, mac="52:54:00:12:34:56")
    assert "198.51.100.1" in caplog.text
    assert "outside the network" in caplog.text
    drv.close()


def test_lan_settings_gateway_equal_to_own_address_is_dropped(bmc: SimulatedBMC) -> None:
    bmc.lan = LanConfig(ip_address="192.0.2.10", netmask="255.255.255.0", gateway="192.0.2.10")
    drv = _lan_driver(bmc)
    assert drv.lan_settings().gateway is None
    drv.close()


def test_lan_settings_unconfigured_channel_is_unsupported(bmc: SimulatedBMC) -> None:
    bmc.lan = LanConfig(ip_address="0.0.0.0", netmask="0.0.0.0")
    drv = _lan_driver(bmc)
    with pytest.raises(UnsupportedOperation, match=r"no IP address .*0\.0\.0\.0") as info:
        drv.lan_settings()
    assert info.value.host == bmc.host
    assert drv.status() is PowerState.OFF  # the session is still fine
    drv.close()


def test_lan_settings_bad_netmask_is_a_driver_error(bmc: SimulatedBMC) -> None:
    bmc.lan = LanConfig(ip_address="192.0.2.10", netmask="255.0.255.0")
    drv = _lan_driver(bmc)
    with pytest.raises(DriverError, match=r"255\.0\.255\.0 .*not a netmask"):
        drv.lan_settings()
    drv.close()


def test_lan_settings_of_a_channel_that_is_not_lan_is_unsupported(bmc: SimulatedBMC) -> None:
    drv = _lan_driver(bmc)
    # The simulator knows channel 1 only: Get LAN Configuration answers 0xCC.
    with pytest.raises(UnsupportedOperation, match="0xcc"):
        drv.lan_settings(channel=5)
    assert drv.lan_settings(channel=1) == PEER_LAN
    drv.close()


def test_lan_settings_retried_when_busy(bmc: SimulatedBMC) -> None:
    drv = _lan_driver(bmc, retries=3)
    drv.status()
    bmc.faults.busy = 2
    assert drv.lan_settings() == PEER_LAN
    assert bmc.faults.busy == 0
    drv.close()


@pytest.mark.parametrize("channel", [16, -1, "1"])
def test_bad_lan_channel_sends_nothing(bmc: SimulatedBMC, channel: Any) -> None:
    drv = _lan_driver(bmc)
    with pytest.raises(ValidationError, match="channel"):
        drv.lan_settings(channel=channel)
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


def _sim_driver(sim: IpmiSim) -> IpmiPowerDriver:
    return IpmiPowerDriver(
        host=sim.host, port=sim.port, username=sim.username, password=sim.password, timeout=5.0
    )


def test_ipmi_sim_lan_settings_agree_with_ipmitool(ipmi_sim: IpmiSim) -> None:
    assert ipmi_sim.lan_print()["IP Address Source"] == "Static Address"
    assert _sim_lan_print(ipmi_sim) == PEER_LAN
    drv = _sim_driver(ipmi_sim)
    assert drv.lan_settings() == PEER_LAN
    # Changed while running: the LAN program reads its files on every Get.
    ipmi_sim.set_lan("198.51.100.7", netmask="255.255.240.0", gateway=None, mac="02:AA:bb:cc:dd:0e")
    expected = NetworkInterface("198.51.100.7/20", gateway=None, mac="02:aa:bb:cc:dd:0e")
    assert _sim_lan_print(ipmi_sim) == expected
    assert drv.lan_settings() == expected
    drv.close()


def test_ipmi_sim_without_lan_address_is_unsupported(tmp_path: Path) -> None:
    with run_ipmi_sim(tmp_path / "sim", lan_ip=None) as sim:
        out = sim.ipmitool("lan", "print", "1").stdout
        assert re.search(r"^IP Address\s+: 0\.0\.0\.0$", out, re.MULTILINE)
        drv = _sim_driver(sim)
        try:
            with pytest.raises(UnsupportedOperation, match=r"0\.0\.0\.0"):
                drv.lan_settings()
            assert drv.status() is PowerState.OFF
        finally:
            drv.close()
