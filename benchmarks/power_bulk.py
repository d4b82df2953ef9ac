"""Bulk ``power status`` over simulated BMCs: hostlib against ipmitool.

The simulated rack runs in a child process (its own core), with a reply
latency like a real BMC's. Three arms ask every BMC for its power state:

* hostlib: ``run_bulk(drivers, "status")`` in this process;
* ipmitool run sequentially, one process per BMC (a shell loop);
* ``xargs -P 16 ipmitool``, sixteen processes at a time.

A last arm times hostlib over a large rack, simulator start included.
Rerun: ``.venv/bin/python -m benchmarks.power_bulk`` (see ``--help``).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from hostlib import power_driver, run_bulk

RACK_SCRIPT = """
import json, sys
from hostlib.drivers.simulator import SimulatedRack
count, latency, password = int(sys.argv[1]), float(sys.argv[2]), sys.stdin.readline().strip()
with SimulatedRack(count, username="admin", password=password, latency=latency) as rack:
    print(json.dumps([bmc.port for bmc in rack.bmcs]), flush=True)
    sys.stdin.readline()
"""


@contextmanager
def rack(count: int, latency: float, password: str) -> Iterator[list[int]]:
    """Run a SimulatedRack in a child process; yield its ports."""
    proc = subprocess.Popen(
        [sys.executable, "-c", RACK_SCRIPT, str(count), str(latency)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    proc.stdin.write(password + "\n")
    proc.stdin.flush()
    ports: list[int] = json.loads(proc.stdout.readline())
    try:
        yield ports
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)


def hostlib_arm(driver: str, ports: list[int], password: str, concurrency: int) -> float:
    drivers = [
        power_driver(
            driver, host="127.0.0.1", port=p, username="admin", password=password, timeout=10.0
        )
        for p in ports
    ]
    start = time.perf_counter()
    results = run_bulk(drivers, "status", concurrency=concurrency)
    took = time.perf_counter() - start
    for drv in drivers:
        drv.close()
    failed = [r for r in results if not r.ok]
    if failed:
        raise SystemExit(f"hostlib arm: {len(failed)} failed, first: {failed[0].error!r}")
    return took


def ipmitool_command(port: str) -> list[str]:
    return [
        "ipmitool", "-I", "lanplus", "-C", "3", "-H", "127.0.0.1", "-p", port,
        "-U", "admin", "-E", "power", "status",
    ]  # fmt: skip


def ipmitool_sequential(ports: list[int], env: dict[str, str]) -> float:
    start = time.perf_counter()
    for port in ports:
        subprocess.run(ipmitool_command(str(port)), env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def ipmitool_xargs(ports: list[int], env: dict[str, str], parallel: int) -> float:
    line = " ".join(shlex.quote(a) for a in ipmitool_command("{}"))
    start = time.perf_counter()
    subprocess.run(
        f"xargs -P {parallel} -I{{}} {line}",
        shell=True,
        input="\n".join(map(str, ports)),
        text=True,
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bmcs", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.020, help="reply latency, seconds")
    parser.add_argument("--driver", default="ipmi", help="hostlib power driver")
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--large", type=int, default=1000, help="BMCs in the large-rack arm")
    args = parser.parse_args()
    password = secrets.token_urlsafe(12)
    env = {**os.environ, "IPMI_PASSWORD": password}

    print(
        f"{args.bmcs} simulated BMCs, {args.latency * 1000:g} ms reply latency, "
        f"driver {args.driver}"
    )
    with rack(args.bmcs, args.latency, password) as ports:
        ours = hostlib_arm(args.driver, ports, password, args.concurrency)
        seq = ipmitool_sequential(ports, env)
        par = ipmitool_xargs(ports, env, 16)
    print(f"  hostlib run_bulk (concurrency {args.concurrency}): {ours:7.3f} s")
    print(f"  ipmitool sequential:           {seq:7.3f} s   hostlib is {seq / ours:6.1f}x faster")
    print(f"  xargs -P 16 ipmitool:          {par:7.3f} s   hostlib is {par / ours:6.1f}x faster")

    start = time.perf_counter()
    with rack(args.large, args.latency, password) as ports:
        started = time.perf_counter() - start
        bulk = hostlib_arm(args.driver, ports, password, args.concurrency)
    print(
        f"  {args.large} BMCs: simulator start {started:.3f} s + hostlib bulk status "
        f"{bulk:.3f} s = {started + bulk:.3f} s"
    )
    print(
        "rerun: .venv/bin/python -m benchmarks.power_bulk "
        f"--bmcs {args.bmcs} --latency {args.latency} --driver {args.driver} "
        f"--concurrency {args.concurrency} --large {args.large}"
    )


if __name__ == "__main__":
    main()
