"""Driver registry: entry points, names, settings checks."""

from __future__ import annotations

import pytest

from hostlib.drivers import driver_class, power_driver, registered_drivers
from hostlib.drivers.base import BasePowerDriver, BootDevice, PowerDriver, PowerState
from hostlib.drivers.fake import FakePowerDriver
from hostlib.errors import ValidationError


def test_builtin_power_drivers_are_registered() -> None:
    assert {"ipmi", "pyipmi", "fake"} <= set(registered_drivers("power"))


@pytest.mark.parametrize("name", ["ipmi", "pyipmi", "fake"])
def test_every_registered_power_driver_loads(name: str) -> None:
    cls = driver_class("power", name)
    assert issubclass(cls, BasePowerDriver)
    assert cls.name == name


def test_unknown_family() -> None:
    with pytest.raises(ValidationError, match="power, console, reinstall"):
        registered_drivers("toaster")


def test_unknown_driver_names_the_registered_ones() -> None:
    with pytest.raises(ValidationError, match=r"registered power drivers: .*fake.*ipmi"):
        power_driver("redfish-ish", host="127.0.0.1")


def test_unknown_setting_lists_accepted_ones() -> None:
    with pytest.raises(ValidationError, match=r"does not take colour; it accepts: .*timeout"):
        power_driver("fake", host="127.0.0.1", colour="red")


def test_missing_required_setting() -> None:
    with pytest.raises(ValidationError, match="needs host"):
        power_driver("fake")


def test_driver_object_passes_through() -> None:
    drv = FakePowerDriver(host="127.0.0.1")
    assert power_driver(drv) is drv
    assert isinstance(drv, PowerDriver)


def test_driver_object_with_settings_is_rejected() -> None:
    with pytest.raises(ValidationError, match="settings cannot be given"):
        power_driver(FakePowerDriver(host="127.0.0.1"), timeout=3)


def test_non_driver_object_is_rejected() -> None:
    with pytest.raises(ValidationError, match="not a power driver"):
        power_driver(object())  # type: ignore[arg-type]


def test_third_party_style_driver_object_works() -> None:
    class Minimal(BasePowerDriver):
        name = "minimal"

        def __init__(self) -> None:
            super().__init__(host="127.0.0.1")
            self.on = False

        def _get_power(self, deadline: object) -> PowerState:
            return PowerState.ON if self.on else PowerState.OFF

        def _send_power(self, action: object, deadline: object) -> None:
            self.on = True

        def _get_boot(self, deadline: object) -> BootDevice:
            raise NotImplementedError

        def _set_boot(self, device: object, persistent: bool, deadline: object) -> None:
            raise NotImplementedError

    drv = power_driver(Minimal())
    drv.power_on(wait=True)
    assert drv.status() is PowerState.ON
