"""Bulk PTR writes into a real named on loopback: hostlib against nsupdate.

named is started like the tests' fixture (``tests.bind_support``), with
TSIG, afresh for every timed run, so each run starts from the same zone
(the seed records only) and the same empty journal. Each arm writes N new
IPv6 PTR records into the reverse zone 8.b.d.0.1.0.0.2.ip6.arpa:

* hostlib: ``ReverseDNS(RFC2136Backend(...)).apply(mapping)`` for all N
  records (read current values, batched and pipelined TSIG updates with
  prerequisites over TCP, read back every name; both reads by one
  TSIG-verified zone transfer, the backend's default above 32 names);
* one ``nsupdate`` process per record, timed once on a sample and scaled
  to N;
* one ``nsupdate`` process sending one update (``send``) per record, for
  all N when that stays under about 60 s, else on a sample and scaled.

hostlib and the single stream are run ``--repeat`` times (default 5), taking
turns, and compared by their best runs, as ``timeit`` does: a busy machine
only ever adds time, and a run of well under a second is easily bent by it.
The medians are printed beside them.

nsupdate gets the zone in its script (no SOA lookup) and its default
transport (UDP), which favours it. Every run's records are counted by AXFR.
Rerun: ``.venv/bin/python -m benchmarks.ptr_bulk`` (see ``--help``).
"""

from __future__ import annotations

import argparse
import ipaddress
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from hostlib.dns.reverse import ReverseDNS
from hostlib.dns.rfc2136 import RFC2136Backend, TsigKey
from tests.bind_support import Bind, axfr, start_named

ZONE = "8.b.d.0.1.0.0.2.ip6.arpa."


def records(subnet: int, count: int) -> dict[str, str]:
    """``count`` addresses of 2001:db8:0:<subnet>::/64 and a hostname for each."""
    net = ipaddress.IPv6Network(f"2001:db8:0:{subnet:x}::/64")
    return {str(net[i]): f"host-{subnet}-{i}.example.test." for i in range(1, count + 1)}


def landed(bind: Bind, mapping: dict[str, str]) -> int:
    """How many of ``mapping``'s PTRs the zone holds (one AXFR)."""
    want = {(ipaddress.ip_address(ip).reverse_pointer + ".", name) for ip, name in mapping.items()}
    return sum(
        1 for owner, kind, value in axfr(bind, ZONE) if kind == "PTR" and (owner, value) in want
    )


def update_lines(ip: str, name: str) -> str:
    return f"update add {ipaddress.ip_address(ip).reverse_pointer}. 3600 PTR {name}\n"


def hostlib_arm(bind: Bind, mapping: dict[str, str]) -> float:
    rdns = ReverseDNS(
        RFC2136Backend(bind.host, bind.port, tsig=TsigKey.from_file(bind.key_file), timeout=10)
    )
    start = time.perf_counter()
    result = rdns.apply(dict(mapping))
    elapsed = time.perf_counter() - start
    if len(result.added) != len(mapping) or result.failed:
        sys.exit(f"hostlib arm: {len(result.added)} added, {len(result.failed)} failed")
    return elapsed


def per_process_arm(bind: Bind, mapping: dict[str, str]) -> float:
    start = time.perf_counter()
    for ip, name in mapping.items():
        script = f"server {bind.host} {bind.port}\nzone {ZONE}\n{update_lines(ip, name)}send\n"
        subprocess.run(["nsupdate", "-k", str(bind.key_file)], input=script, text=True, check=True)
    return time.perf_counter() - start


def stream_arm(bind: Bind, mapping: dict[str, str]) -> float:
    script = [f"server {bind.host} {bind.port}\nzone {ZONE}\n"]
    script += [update_lines(ip, name) + "send\n" for ip, name in mapping.items()]
    start = time.perf_counter()
    subprocess.run(
        ["nsupdate", "-k", str(bind.key_file)], input="".join(script), text=True, check=True
    )
    return time.perf_counter() - start


def on_fresh_named(arm: Callable[[Bind], float]) -> float:
    """Time ``arm`` against a named started for it alone (stopped afterwards)."""
    workdir = Path(tempfile.mkdtemp(prefix="ptr-bulk-"))
    bind = start_named(workdir)
    try:
        return arm(bind)
    finally:
        bind.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def timed(arm: Callable[[Bind, dict[str, str]], float], mapping: dict[str, str]) -> float:
    """One run of ``arm`` writing ``mapping`` on a fresh named; checks that it all landed."""

    def run(bind: Bind) -> float:
        elapsed = arm(bind, mapping)
        count = landed(bind, mapping)
        if count != len(mapping):
            sys.exit(f"{arm.__name__}: {count} of {len(mapping)} records landed")
        return elapsed

    return on_fresh_named(run)


def summary(times: list[float]) -> str:
    runs = ", ".join(f"{t:.2f}" for t in times)
    return f"best of {len(times)}; median {statistics.median(times):.2f} s; runs {runs} s"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=10_000, help="records per run (N)")
    parser.add_argument(
        "--repeat", type=int, default=5, help="runs of hostlib and of the stream, interleaved"
    )
    parser.add_argument(
        "--process-sample", type=int, default=500, help="records timed for nsupdate per record"
    )
    parser.add_argument(
        "--stream-budget", type=float, default=60.0, help="seconds one full stream run may take"
    )
    args = parser.parse_args(argv)
    n = args.records
    print(f"named on 127.0.0.1 (fresh for every run), zone {ZONE}, TSIG hmac-sha256, N = {n:,}")

    probe = records(0x30, min(1000, n))
    probe_s = timed(stream_arm, probe)
    full_stream = probe_s * n / len(probe) <= args.stream_budget
    # hostlib and the stream take turns, so that a busy spell of the machine
    # falls on both. Each run writes other addresses and names: no run finds
    # them in a cache.
    hostlib_runs: list[float] = []
    stream_runs: list[float] = []
    for r in range(args.repeat):
        hostlib_runs.append(timed(hostlib_arm, records(0x10 + r, n)))
        if full_stream:
            stream_runs.append(timed(stream_arm, records(0x40 + r, n)))
    if full_stream:
        how = f"all {n:,}; {summary(stream_runs)}"
    else:
        stream_runs = [probe_s * n / len(probe)]
        how = f"timed once on {len(probe):,}: {probe_s:.2f} s, scaled to {n:,}"
    hostlib_s, stream_s = min(hostlib_runs), min(stream_runs)
    print(
        f"hostlib ReverseDNS.apply   {hostlib_s:8.2f} s  {n / hostlib_s:9,.0f} rec/s  "
        f"(all {n:,}; {summary(hostlib_runs)})"
    )

    sample = records(0x20, min(args.process_sample, n))
    sample_s = timed(per_process_arm, sample)
    per_process_s = sample_s * n / len(sample)
    print(
        f"nsupdate, process/record   {per_process_s:8.2f} s  {n / per_process_s:9,.0f} rec/s  "
        f"(timed once on {len(sample):,}: {sample_s:.2f} s, scaled to {n:,})"
    )
    print(f"nsupdate, one stream       {stream_s:8.2f} s  {n / stream_s:9,.0f} rec/s  ({how})")

    medians = statistics.median(stream_runs) / statistics.median(hostlib_runs)
    print(
        f"ratios: hostlib is {per_process_s / hostlib_s:,.0f}x one process per record "
        f"(target >= 100x), {stream_s / hostlib_s:,.1f}x the single stream (target >= 10x; "
        f"{medians:,.1f}x by medians)"
    )
    print(
        "(best of the runs, as timeit reports: a busy machine only ever adds time; "
        "the medians are shown beside it)"
    )
    print(f"rerun: .venv/bin/python -m benchmarks.ptr_bulk --records {n} --repeat {args.repeat}")


if __name__ == "__main__":
    main()
