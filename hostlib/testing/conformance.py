"""The conformance suite every power driver runs.

Subclass :class:`PowerDriverConformance` in a test module, once per peer
the driver is tested against, or :class:`FaultConformance` (which adds the
failure tests) where the peer's faults can be scripted, and provide the
fixtures::

    class TestFakeDriver(PowerDriverConformance):
        @pytest.fixture
        def make_driver(self) -> MakeDriver:
            ...   # returns a callable: make_driver(**overrides) -> PowerDriver

    class TestFakeDriverFaults(FaultConformance):
        ...   # the same make_driver, plus:

        @pytest.fixture
        def faults(self) -> FaultPlan:
            ...   # the peer's FaultPlan

``make_driver(**overrides)`` returns a fresh driver to a BMC that starts
powered off with no boot override; overrides are driver settings such as
``timeout``, ``password``, ``port`` or ``retries``.

LAN settings (``lan_settings()``, an optional capability) are checked
against the fixture ``peer_lan``: by default :data:`PEER_LAN`
(192.0.2.10/24, gateway 192.0.2.1, MAC 52:54:00:12:34:56), so configure the
peer to report that on channel 1 (``FakeBMC(lan=PEER_LAN)``, or a
``SimulatedBMC`` with ``lan=LanConfig(ip_address="192.0.2.10",
netmask="255.255.255.0", gateway="192.0.2.1", mac_address=...)``), or
override the fixture with what the peer reports. A peer that cannot report LAN settings sets
``lan_settings_supported = False``; the suite then checks that the driver
says so with ``UnsupportedOperation`` (or has no ``lan_settings`` at all).

The error rules checked here are the contract of every driver:
refused credentials give ``AuthenticationError``; no answer at all within
the timeout (nothing listening, a dead BMC, replies slower than the whole
timeout) gives ``UnreachableError``; a BMC that answered but did not finish
in time gives ``OperationTimeout``; each within ``timeout`` + 1 s.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import pytest

from hostlib.drivers.base import BootDevice, PowerDriver, PowerState
from hostlib.drivers.faults import FaultPlan
from hostlib.errors import (
    AuthenticationError,
    BmcBusy,
    OperationTimeout,
    UnreachableError,
    UnsupportedOperation,
    ValidationError,
)
from hostlib.inventory import NetworkInterface

__all__ = [
    "PEER_LAN",
    "FaultConformance",
    "MakeDriver",
    "PowerDriverConformance",
    "closed_udp_port",
]

MakeDriver = Callable[..., PowerDriver]

#: slack allowed past ``timeout`` for an error to be raised
GRACE = 1.0

#: the LAN settings a peer reports by default in the suite (documentation
#: addresses only; nothing is ever sent to them)
PEER_LAN = NetworkInterface(address="192.0.2.10/24", gateway="192.0.2.1", mac="52:54:00:12:34:56")


def closed_udp_port() -> int:
    """Return a loopback UDP port that nothing listens on (just released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@contextmanager
def _within(seconds: float) -> Iterator[None]:
    start = time.monotonic()
    yield
    took = time.monotonic() - start
    assert took <= seconds, f"took {took:.2f} s, allowed {seconds:.2f} s"


def _lan_settings(driver: PowerDriver) -> Callable[..., NetworkInterface] | None:
    # An optional capability, not part of the PowerDriver protocol.
    method: Callable[..., NetworkInterface] | None = getattr(driver, "lan_settings", None)
    return method


class PowerDriverConformance:
    """Behaviour every power driver shows against a real or simulated BMC."""

    timeout = 2.0
    #: False for a peer that cannot report its LAN settings
    lan_settings_supported: ClassVar[bool] = True

    @pytest.fixture
    def driver(self, make_driver: MakeDriver) -> Iterator[PowerDriver]:
        drv = make_driver()
        yield drv
        drv.close()

    @pytest.fixture
    def peer_lan(self) -> NetworkInterface:
        """What the peer reports as its LAN settings on channel 1."""
        return PEER_LAN

    # -- state ------------------------------------------------------------

    def test_starts_off(self, driver: PowerDriver) -> None:
        assert driver.status() is PowerState.OFF

    def test_power_on_and_off(self, driver: PowerDriver) -> None:
        driver.power_on(wait=True)
        assert driver.status() is PowerState.ON
        driver.power_off(wait=True)
        assert driver.status() is PowerState.OFF

    def test_power_cycle_ends_on(self, driver: PowerDriver) -> None:
        driver.power_on(wait=True)
        driver.power_cycle(wait=True)
        assert driver.status() is PowerState.ON

    def test_reboot_keeps_running_server_on(self, driver: PowerDriver) -> None:
        driver.power_on(wait=True)
        driver.reboot(wait=True)
        assert driver.status() is PowerState.ON

    def test_shutdown_with_hard_fallback_ends_off(self, driver: PowerDriver) -> None:
        driver.power_on(wait=True)
        driver.shutdown(wait=True, hard_after=0.5)
        assert driver.status() is PowerState.OFF

    def test_repeated_power_on_is_harmless(self, driver: PowerDriver) -> None:
        driver.power_on(wait=True)
        driver.power_on(wait=True)
        assert driver.status() is PowerState.ON

    @pytest.mark.parametrize(
        "device", [BootDevice.PXE, BootDevice.DISK, BootDevice.CDROM, BootDevice.BIOS]
    )
    @pytest.mark.parametrize("persistent", [False, True])
    def test_boot_device_round_trip(
        self, driver: PowerDriver, device: BootDevice, persistent: bool
    ) -> None:
        driver.set_boot_device(device, persistent=persistent)
        assert driver.boot_device() is device

    def test_boot_device_by_name(self, driver: PowerDriver) -> None:
        driver.set_boot_device("PXE")
        assert driver.boot_device() is BootDevice.PXE

    def test_lan_settings(self, driver: PowerDriver, peer_lan: NetworkInterface) -> None:
        read = _lan_settings(driver)
        if self.lan_settings_supported:
            assert read is not None, "the driver has no lan_settings()"
            lan = read()
            assert isinstance(lan, NetworkInterface)
            assert lan == peer_lan
            assert read(channel=1) == peer_lan
        elif read is not None:
            with pytest.raises(UnsupportedOperation) as info:
                read()
            assert info.value.host is not None
        # Either way the driver still works afterwards.
        assert driver.status() is PowerState.OFF

    def test_driver_reusable_after_close(self, driver: PowerDriver) -> None:
        driver.power_on()
        driver.close()
        assert driver.status() is PowerState.ON

    # -- bad input --------------------------------------------------------

    def test_unknown_boot_device_rejected(self, driver: PowerDriver) -> None:
        with pytest.raises(ValidationError, match="boot device"):
            driver.set_boot_device("floppy")

    @pytest.mark.parametrize("channel", [-1, 16, 1.0, "1", True, None])
    def test_bad_lan_channel_rejected(self, make_driver: MakeDriver, channel: object) -> None:
        drv = make_driver(port=closed_udp_port(), timeout=self.timeout)
        read = _lan_settings(drv)
        if read is None:
            return  # no such capability: nothing to validate
        # Rejected before anything is sent: no time spent on the closed port.
        with _within(0.5), pytest.raises(ValidationError, match="channel"):
            read(channel=channel)

    @pytest.mark.parametrize(
        "overrides",
        [
            {"host": "not a host!"},
            {"host": ""},
            {"port": 0},
            {"port": 70000},
            {"timeout": 0},
            {"timeout": -1},
            {"retries": -1},
        ],
    )
    def test_bad_settings_rejected(
        self, make_driver: MakeDriver, overrides: dict[str, Any]
    ) -> None:
        with pytest.raises(ValidationError):
            make_driver(**overrides)

    def test_repr_hides_password(self, make_driver: MakeDriver) -> None:
        drv = make_driver(password="hunter2-secret")
        assert "hunter2-secret" not in repr(drv)
        assert "hunter2-secret" not in str(drv)

    # -- failures any peer can show --------------------------------------

    def test_wrong_password(self, make_driver: MakeDriver) -> None:
        drv = make_driver(password="wrong-password", timeout=self.timeout)
        with _within(self.timeout + GRACE), pytest.raises(AuthenticationError) as info:
            drv.status()
        assert "wrong-password" not in str(info.value)
        assert info.value.host is not None

    def test_nothing_listening(self, make_driver: MakeDriver) -> None:
        drv = make_driver(port=closed_udp_port(), timeout=self.timeout)
        with _within(self.timeout + GRACE), pytest.raises(UnreachableError):
            drv.status()


class FaultConformance(PowerDriverConformance):
    """Failure behaviour, for peers whose faults can be scripted.

    Subclasses also provide the fixture ``faults``: the peer's FaultPlan.
    """

    def test_silent_bmc(self, make_driver: MakeDriver, faults: FaultPlan) -> None:
        faults.silent = True
        drv = make_driver(timeout=self.timeout)
        with _within(self.timeout + GRACE), pytest.raises(UnreachableError):
            drv.status()

    def test_hanging_bmc(self, make_driver: MakeDriver, faults: FaultPlan) -> None:
        faults.hang = True
        drv = make_driver(timeout=self.timeout)
        with _within(self.timeout + GRACE), pytest.raises(OperationTimeout):
            drv.power_on()

    def test_latency_above_timeout(self, make_driver: MakeDriver, faults: FaultPlan) -> None:
        faults.latency = self.timeout * 2
        drv = make_driver(timeout=self.timeout)
        with _within(self.timeout + GRACE), pytest.raises(UnreachableError):
            drv.status()

    def test_busy_twice_then_fine(self, make_driver: MakeDriver, faults: FaultPlan) -> None:
        drv = make_driver(timeout=self.timeout, retries=3)
        drv.status()  # log in first: busy is answered to commands
        faults.busy = 2
        with _within(self.timeout + GRACE):
            drv.power_on()
        assert faults.busy == 0
        assert drv.status() is PowerState.ON

    def test_busy_beyond_retries(self, make_driver: MakeDriver, faults: FaultPlan) -> None:
        drv = make_driver(timeout=self.timeout, retries=1)
        drv.status()
        faults.busy = 100
        with _within(self.timeout + GRACE), pytest.raises(BmcBusy):
            drv.power_on()

    def test_auth_rejected_by_fault(self, make_driver: MakeDriver, faults: FaultPlan) -> None:
        faults.reject_auth = True
        drv = make_driver(timeout=self.timeout)
        with _within(self.timeout + GRACE), pytest.raises(AuthenticationError):
            drv.status()
