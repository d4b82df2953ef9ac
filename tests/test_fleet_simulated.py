"""Bulk actions through the real IPMI drivers against a simulated rack, and the
``hostlib`` command end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hostlib import BootDevice, PowerState, power_driver, run_bulk
from hostlib.drivers.base import PowerDriver
from hostlib.errors import UnreachableError
from hostlib.testing import SimulatedRack

PASSWORD = "rack-pass-5150"


@pytest.fixture(scope="module")
def rack() -> Iterator[SimulatedRack]:
    with SimulatedRack(40, username="admin", password=PASSWORD, latency=0.002) as r:
        yield r


@pytest.fixture(autouse=True)
def reset(rack: SimulatedRack) -> None:
    for bmc in rack.bmcs:
        bmc.faults.clear()
        bmc.power_state = PowerState.OFF
        bmc.boot_device = BootDevice.DEFAULT


def _drivers(rack: SimulatedRack, name: str, timeout: float = 3.0) -> list[PowerDriver]:
    return [
        power_driver(
            name,
            host=bmc.host,
            port=bmc.port,
            username="admin",
            password=PASSWORD,
            timeout=timeout,
        )
        for bmc in rack.bmcs
    ]


@pytest.mark.parametrize("driver", ["ipmi", "pyipmi"])
def test_bulk_power_on_reaches_every_bmc(rack: SimulatedRack, driver: str) -> None:
    drivers = _drivers(rack, driver)
    results = run_bulk(drivers, "power_on", kwargs={"wait": True}, concurrency=16)
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    assert all(b.power_state is PowerState.ON for b in rack.bmcs)
    assert [r.port for r in results] == [b.port for b in rack.bmcs]
    for d in drivers:
        d.close()


@pytest.mark.parametrize("driver", ["ipmi", "pyipmi"])
def test_dead_and_busy_bmcs_do_not_hold_up_the_rack(rack: SimulatedRack, driver: str) -> None:
    rack.bmcs[0].faults.silent = True
    rack.bmcs[1].faults.busy = 2
    drivers = _drivers(rack, driver, timeout=2.0)
    finished: list[float] = []
    start = time.monotonic()
    results = run_bulk(
        drivers,
        "status",
        concurrency=8,
        progress=lambda done, total, r: finished.append(time.monotonic() - start),
    )
    assert isinstance(results[0].error, UnreachableError)
    assert all(r.ok for r in results[1:])
    # 39 healthy hosts were all done long before the dead one's 2 s timeout.
    assert sorted(finished)[38] < 1.5
    assert time.monotonic() - start < 2.0 + 1.0
    for d in drivers:
        d.close()


def test_cli_against_simulated_rack(rack: SimulatedRack, tmp_path: Path) -> None:
    rack.bmcs[3].power_state = PowerState.ON
    (tmp_path / "pw").write_text(PASSWORD)
    servers = "\n".join(
        f"  - {{name: n{i}, host: {b.host}, port: {b.port}}}" for i, b in enumerate(rack.bmcs[:5])
    )
    inv = tmp_path / "rack.yaml"
    inv.write_text(
        f"defaults: {{driver: ipmi, username: admin, password_file: pw}}\nservers:\n{servers}\n"
    )
    hostlib = [sys.executable, "-m", "hostlib.cli", "power"]
    env = {k: v for k, v in os.environ.items() if k != "HOSTLIB_BMC_PASSWORD"}
    out = subprocess.run(
        [*hostlib, "status", "--inventory", str(inv), "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    values = [r["value"] for r in json.loads(out.stdout)["results"]]
    assert values == ["off", "off", "off", "on", "off"]
    assert PASSWORD not in out.stdout + out.stderr

    bmc = rack.bmcs[4]
    single = ["--host", bmc.host, "--port", str(bmc.port), "--username", "admin"]
    env["HOSTLIB_BMC_PASSWORD"] = PASSWORD
    subprocess.run([*hostlib, "boot-device", "pxe", *single], env=env, check=True)
    assert bmc.boot_device is BootDevice.PXE

    bmc.faults.reject_auth = True
    failed = subprocess.run(
        [*hostlib, "on", *single, "--timeout", "2"], capture_output=True, text=True, env=env
    )
    assert failed.returncode == 1
    assert "AuthenticationError" in failed.stdout


def test_cli_power_lan_reads_the_bmc_lan_settings(rack: SimulatedRack) -> None:
    bmc = rack.bmcs[6]
    env = {**os.environ, "HOSTLIB_BMC_PASSWORD": PASSWORD}
    single = ["--host", bmc.host, "--port", str(bmc.port), "--username", "admin"]
    done = subprocess.run(
        [sys.executable, "-m", "hostlib.cli", "power", "lan", *single, "--json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    value = json.loads(done.stdout)["results"][0]["value"]
    assert value == {
        "address": "127.0.0.1",
        "prefix": 8,
        "netmask": "255.0.0.0",
        "gateway": None,
        "mac": "02:00:00:00:00:01",
    }
