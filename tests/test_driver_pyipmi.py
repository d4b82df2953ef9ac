"""Tests of the pyipmi power driver against real IPMI peers on loopback."""

from __future__ import annotations

import time

from tests.openipmi import IpmiSim, ipmi_sim  # noqa: F401


def test_ipmi_sim_keeps_power_state_for_ipmitool(ipmi_sim: IpmiSim) -> None:  # noqa: F811
    assert "password" not in repr(ipmi_sim)
    assert ipmi_sim.password not in repr(ipmi_sim)
    assert not ipmi_sim.power_on
    ipmi_sim.ipmitool("power", "on")
    assert "is on" in ipmi_sim.ipmitool("power", "status", interface="lan").stdout
    ipmi_sim.ipmitool("power", "off", interface="lan")
    assert "is off" in ipmi_sim.ipmitool("power", "status").stdout
    ipmi_sim.ipmitool("chassis", "bootdev", "cdrom")
    assert ipmi_sim.boot_selector == "cdrom"
    assert ipmi_sim.chassis_log() == ["power 1", "power 0", "boot cdrom"]


def test_ipmi_sim_power_cycle_comes_back_on_by_itself(ipmi_sim: IpmiSim) -> None:  # noqa: F811
    ipmi_sim.ipmitool("power", "cycle")
    end = time.monotonic() + 3.0
    while not ipmi_sim.power_on and time.monotonic() < end:
        time.sleep(0.05)
    assert ipmi_sim.power_on
