"""The README's examples, type-checked by mypy and run against a simulated BMC."""

from __future__ import annotations

from hostlib import run_bulk
from hostlib.drivers import power_driver, registered_drivers
from hostlib.drivers.base import BootDevice, PowerState
from hostlib.testing import SimulatedBMC


def test_power_control_example() -> None:
    with SimulatedBMC(username="admin", password="secret", latency=0.0) as bmc:
        drv = power_driver(
            "ipmi", host=bmc.host, port=bmc.port, username="admin", password="secret", timeout=10.0
        )
        assert drv.status() is PowerState.OFF
        drv.power_on(wait=True)
        drv.power_cycle(wait=True)
        drv.set_boot_device(BootDevice.PXE, persistent=False)
        assert drv.boot_device() is BootDevice.PXE
        assert bmc.power_state is PowerState.ON

        results = run_bulk([drv], "power_cycle", kwargs={"wait": True}, concurrency=64)
        for r in results:
            expected = (bmc.host, bmc.port, True, None, None)
            assert (r.host, r.port, r.ok, r.value, r.error) == expected
        drv.close()
    assert {"ipmi", "pyipmi", "fake"} <= set(registered_drivers("power"))
