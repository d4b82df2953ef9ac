"""The fake driver through the conformance suite, plus what only the fake does."""

from __future__ import annotations

from typing import Any

import pytest

from hostlib.drivers import power_driver
from hostlib.drivers.base import (
    BasePowerDriver,
    BootDevice,
    Deadline,
    PowerAction,
    PowerDriver,
    PowerState,
)
from hostlib.drivers.fake import FakeBMC, FakePowerDriver
from hostlib.drivers.faults import FaultPlan
from hostlib.errors import UnreachableError, UnsupportedOperation, ValidationError
from hostlib.testing.conformance import PEER_LAN, FaultConformance, MakeDriver


@pytest.fixture
def bmc() -> FakeBMC:
    return FakeBMC(username="admin", password="secret", lan=PEER_LAN)


@pytest.fixture
def make_driver(bmc: FakeBMC) -> MakeDriver:
    def make(**overrides: Any) -> FakePowerDriver:
        settings: dict[str, Any] = {
            "host": "127.0.0.1",
            "username": "admin",
            "password": "secret",
            "timeout": 2.0,
            "bmc": bmc,
        }
        settings.update(overrides)
        if "port" in overrides:
            # A closed port: no fake BMC listens there.
            settings["bmc"] = FakeBMC(faults=FaultPlan(silent=True))
        return FakePowerDriver(**settings)

    return make


class TestFakeConformance(FaultConformance):
    timeout = 0.5

    @pytest.fixture
    def faults(self, bmc: FakeBMC) -> FaultPlan:
        return bmc.faults


def test_registered_by_name_shares_state_per_host() -> None:
    FakePowerDriver.forget_all()
    a = power_driver("fake", host="127.0.0.2", username="admin", password="secret")
    b = power_driver("fake", host="127.0.0.2", username="admin", password="secret")
    a.power_on()
    assert b.status() is PowerState.ON
    other = power_driver("fake", host="127.0.0.3", username="admin", password="secret")
    assert other.status() is PowerState.OFF


def test_acpi_ignored_falls_back_to_hard_off(bmc: FakeBMC, make_driver: MakeDriver) -> None:
    bmc.acpi = False
    drv = make_driver()
    drv.power_on()
    drv.shutdown(wait=True, hard_after=0.1)
    assert drv.status() is PowerState.OFF
    assert bmc.calls.index("power soft") < bmc.calls.index("power off")


def test_soft_shutdown_honoured_needs_no_hard_off(bmc: FakeBMC, make_driver: MakeDriver) -> None:
    bmc.soft_off_delay = 0.1
    drv = make_driver()
    drv.power_on()
    drv.shutdown(wait=True, hard_after=5)
    assert drv.status() is PowerState.OFF
    assert "power off" not in bmc.calls


def test_silent_counts_as_unreachable_not_retried_past_timeout(make_driver: MakeDriver) -> None:
    drv = make_driver(timeout=0.3, port=1)
    with pytest.raises(UnreachableError, match="no answer"):
        drv.status()


def test_lan_settings_unsupported_without_lan(make_driver: MakeDriver, bmc: FakeBMC) -> None:
    bmc.lan = None
    drv = make_driver()
    with pytest.raises(UnsupportedOperation, match="no LAN settings") as info:
        drv.lan_settings()  # type: ignore[attr-defined]
    assert info.value.host == "127.0.0.1"
    assert bmc.calls == ["lan settings"]


def test_lan_settings_of_another_channel_unsupported(make_driver: MakeDriver) -> None:
    drv = make_driver()
    with pytest.raises(UnsupportedOperation, match="LAN channel is 1"):
        drv.lan_settings(channel=2)  # type: ignore[attr-defined]


def test_lan_settings_follow_faults(make_driver: MakeDriver, bmc: FakeBMC) -> None:
    drv = make_driver(timeout=0.3, retries=3)
    bmc.faults.busy = 2
    assert drv.lan_settings() == PEER_LAN  # type: ignore[attr-defined]
    bmc.faults.silent = True
    with pytest.raises(UnreachableError):
        drv.lan_settings()  # type: ignore[attr-defined]


def test_bad_lan_channel_reaches_no_bmc(make_driver: MakeDriver, bmc: FakeBMC) -> None:
    drv = make_driver()
    with pytest.raises(ValidationError, match="0 to 15"):
        drv.lan_settings(channel=16)  # type: ignore[attr-defined]
    assert bmc.calls == []


class _NoLanDriver(BasePowerDriver):
    """A driver with the four primitives only."""

    name = "no-lan"

    def _get_power(self, deadline: Deadline) -> PowerState:
        return PowerState.OFF

    def _send_power(self, action: PowerAction, deadline: Deadline) -> None:
        return None

    def _get_boot(self, deadline: Deadline) -> BootDevice:
        return BootDevice.DEFAULT

    def _set_boot(self, device: BootDevice, persistent: bool, deadline: Deadline) -> None:
        return None


def test_base_driver_without_lan_primitive_is_unsupported() -> None:
    drv = _NoLanDriver(host="127.0.0.1")
    with pytest.raises(UnsupportedOperation, match="'no-lan' cannot read BMC LAN settings"):
        drv.lan_settings()
    assert not hasattr(PowerDriver, "lan_settings")  # optional: not in the protocol
