"""Demo, power: a simulated rack of BMCs on loopback.

It starts eight simulated BMCs that real IPMI clients can talk to, then:

1. shows the power state of every server with one bulk call,
2. power-cycles one server and waits until it is back on,
3. sets a one-time PXE boot on another, and reads it back,
4. runs the ``hostlib power status`` command on an inventory file,
5. prints the final table.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
from pathlib import Path

from examples._demo_util import heading
from hostlib import BootDevice, PowerState, power_driver, run_bulk
from hostlib.drivers.base import PowerDriver
from hostlib.drivers.simulator import SimulatedRack

NAMES = [f"srv-{i:02d}" for i in range(1, 9)]


def table(drivers: dict[str, PowerDriver]) -> None:
    power = run_bulk(list(drivers.values()), "status")
    boot = run_bulk(list(drivers.values()), "boot_device")
    print(f"{'SERVER':8}  {'BMC':17}  {'POWER':5}  BOOT")
    for name, p, b in zip(drivers, power, boot, strict=True):
        shown_p = p.value.value if p.ok else f"error: {p.error}"
        shown_b = b.value.value if b.ok else f"error: {b.error}"
        print(f"{name:8}  {p.host}:{p.port:<7}  {shown_p:5}  {shown_b}")


def run(out: Path) -> None:
    """Run the power part of the demo, writing its files under ``out``."""
    password = secrets.token_urlsafe(12)
    # A real chassis stays off a moment during a power cycle; so does this one.
    with SimulatedRack(
        len(NAMES), username="admin", password=password, latency=0.005, cycle_delay=1.0
    ) as rack:
        for bmc in rack.bmcs[::3]:
            bmc.power_state = PowerState.ON
        drivers: dict[str, PowerDriver] = {
            name: power_driver(
                "ipmi",
                host=bmc.host,
                port=bmc.port,
                username="admin",
                password=password,
                timeout=5.0,
                poll_interval=0.25,
            )
            for name, bmc in zip(NAMES, rack.bmcs, strict=True)
        }
        print(f"Started {len(rack.bmcs)} simulated BMCs on loopback (IPMI 2.0, RMCP+).")

        heading("1. Bulk power status")
        start = time.monotonic()
        results = run_bulk(list(drivers.values()), "status", concurrency=16)
        took = time.monotonic() - start
        for name, result in zip(drivers, results, strict=True):
            print(f"{name}: {result.value.value if result.ok else result.error}")
        print(f"({len(results)} BMCs in {took:.2f} s)")

        heading("2. Power-cycle srv-01 and wait until it is on again")
        start = time.monotonic()
        drivers["srv-01"].power_cycle(wait=True)
        print(f"srv-01 is {drivers['srv-01'].status().value} ({time.monotonic() - start:.2f} s)")

        heading("3. One-time PXE boot for srv-02 (for a reinstall)")
        drivers["srv-02"].set_boot_device(BootDevice.PXE, persistent=False)
        print(f"srv-02 boot device: {drivers['srv-02'].boot_device().value}")

        heading("4. The same through the CLI: hostlib power status --inventory")
        (out / "bmc.pass").write_text(password + "\n")
        (out / "bmc.pass").chmod(0o600)
        lines = ["defaults: {driver: ipmi, username: admin, password_file: bmc.pass}", "servers:"]
        lines += [
            f"  - {{name: {name}, host: {bmc.host}, port: {bmc.port}}}"
            for name, bmc in zip(NAMES, rack.bmcs, strict=True)
        ]
        inventory = out / "rack.yaml"
        inventory.write_text("\n".join(lines) + "\n")
        command = [sys.executable, "-m", "hostlib.cli", "power", "status", "--inventory"]
        print("$ hostlib power status --inventory", inventory)
        subprocess.run([*command, str(inventory)], check=True)

        heading("5. Final state")
        table(drivers)
        for drv in drivers.values():
            drv.close()
