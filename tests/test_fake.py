"""The fake driver through the conformance suite, plus what only the fake does."""

from __future__ import annotations

from typing import Any

import pytest

from hostlib.drivers import power_driver
from hostlib.drivers.base import PowerState
from hostlib.drivers.fake import FakeBMC, FakePowerDriver
from hostlib.drivers.faults import FaultPlan
from hostlib.errors import UnreachableError
from hostlib.testing.conformance import FaultConformance, MakeDriver


@pytest.fixture
def bmc() -> FakeBMC:
    return FakeBMC(username="admin", password="secret")


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
