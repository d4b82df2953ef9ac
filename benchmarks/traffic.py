"""Traffic: one update round and monthly billing figures, hostlib against rrdtool.

(a) One update round for many RRD files (default 10,000):
    hostlib ``TrafficStore.update_many``, against one ``rrdtool update``
    process per file (timed on a sample and scaled, as the output says),
    and against a plain loop over the bindings' ``rrdtool.update`` (the floor).
(b) Monthly volume and 95th percentile for many files (default 1,000) of
    32 days of 5-minute data: hostlib ``TrafficStore.billing_figures``,
    against one ``rrdtool graph`` process per file computing the same with
    VDEFs (sampled and scaled), and against a plain loop over
    ``rrdtool.fetch`` of the same window (the floor: reading, no figures).

Rerun: ``.venv/bin/python -m benchmarks.traffic`` (see ``--help``).
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import rrdtool

from hostlib.traffic import TrafficStore

STEP = 300
DAY = 86_400


def timed(label: str, count: int, func: Callable[[], object], scale: float = 1.0) -> float:
    start = time.perf_counter()
    func()
    took = (time.perf_counter() - start) * scale
    note = f" (measured on {count / scale:.0f}, scaled x{scale:g})" if scale != 1 else ""
    print(f"  {label:44} {took:8.3f} s  {took / count * 1e3:7.3f} ms/file{note}")
    return took


def clone(template: Path, root: Path, names: list[str]) -> None:
    for name in names:
        shutil.copyfile(template, root / f"{name}.rrd")


def update_round(args: argparse.Namespace, work: Path, end: int) -> None:
    print(f"(a) one update round for {args.files} files")
    root = work / "a"
    root.mkdir()
    store = TrafficStore(root)
    template = store.create("template", start=end - 4 * STEP)
    names = [f"srv-{i:05d}" for i in range(args.files)]
    clone(template, root, names)
    paths = [str(root / f"{n}.rrd") for n in names]
    counters = [random.randrange(10**12) for _ in names]

    ts1, ts2, ts3 = end - 3 * STEP, end - 2 * STEP, end - STEP
    rows = [(n, ts1, c, c) for n, c in zip(names, counters, strict=True)]
    ours = timed("hostlib TrafficStore.update_many", args.files, lambda: store.update_many(rows))

    sample = paths[: args.cli_sample]

    def cli() -> None:
        for p, c in zip(sample, counters, strict=False):
            subprocess.run(["rrdtool", "update", p, f"{ts2}:{c}:{c}"], check=True)

    scale = args.files / len(sample)
    cli_time = timed("one `rrdtool update` process per file", args.files, cli, scale)
    # the files the CLI arm skipped still need ts2 so that ts3 is later for all
    for p, c in zip(paths[len(sample) :], counters[len(sample) :], strict=True):
        rrdtool.update(p, f"{ts2}:{c}:{c}")

    def floor() -> None:
        for p, c in zip(paths, counters, strict=True):
            rrdtool.update(p, f"{ts3}:{c}:{c}")

    floor_time = timed("plain loop over rrdtool.update (floor)", args.files, floor)
    print(f"  hostlib: {cli_time / ours:6.1f}x the CLI, {ours / floor_time:5.2f}x the floor's time")


def monthly_figures(args: argparse.Namespace, work: Path, end: int) -> None:
    print(f"(b) 30-day volume + 95th percentile for {args.figure_files} files of 32 days")
    root = work / "b"
    root.mkdir()
    store = TrafficStore(root)
    template_name = "template"
    start_data = end - 32 * DAY
    template = store.create(template_name, start=start_data - STEP)
    rng = random.Random(7)
    c_in = c_out = 0
    for ts in range(start_data, end + 1, STEP):
        c_in += rng.randrange(10**6, 10**9)
        c_out += rng.randrange(10**6, 10**9)
        store.update(template_name, ts, c_in, c_out)
    names = [f"srv-{i:05d}" for i in range(args.figure_files)]
    clone(template, root, names)
    start, finish = end - 30 * DAY, end

    results: list[object] = []

    def ours() -> None:
        for n in names:
            results.append(store.billing_figures(n, start, finish, 95, "max"))

    ours_time = timed("hostlib TrafficStore.billing_figures", len(names), ours)
    slots = (finish - start) // STEP
    sample = names[: args.cli_sample // 2]

    def cli() -> None:
        for n in sample:
            p = root / f"{n}.rrd"
            subprocess.run(
                [
                    "rrdtool",
                    "graph",
                    "/dev/null",
                    "--start",
                    str(start),
                    "--end",
                    str(finish - 1),
                    "--width",
                    str(slots + 10),
                    f"DEF:i={p}:in:AVERAGE",
                    f"DEF:o={p}:out:AVERAGE",
                    "CDEF:m=i,o,MAX",
                    "VDEF:ti=i,TOTAL",
                    "VDEF:to=o,TOTAL",
                    "VDEF:pm=m,95,PERCENTNAN",
                    "PRINT:ti:%.0lf",
                    "PRINT:to:%.0lf",
                    "PRINT:pm:%.3lf",
                ],
                check=True,
                capture_output=True,
            )

    cli_time = timed("one `rrdtool graph` VDEF process per file", len(names), cli,
                     len(names) / len(sample))  # fmt: skip

    def floor() -> None:
        for n in names:
            rrdtool.fetch(str(root / f"{n}.rrd"), "AVERAGE", "-r", "300",
                          "-s", str(start), "-e", str(finish - 1))  # fmt: skip

    floor_time = timed("plain loop over rrdtool.fetch (floor)", len(names), floor)
    print(
        f"  hostlib: {cli_time / ours_time:6.1f}x the CLI, "
        f"{ours_time / floor_time:5.2f}x the floor's time"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000, help="files in the update round")
    parser.add_argument("--figure-files", type=int, default=1_000, help="files in (b)")
    parser.add_argument("--cli-sample", type=int, default=500, help="files timed for CLI arms")
    args = parser.parse_args()
    end = (int(time.time()) // STEP - 2) * STEP
    with tempfile.TemporaryDirectory(prefix="hostlib-bench-") as tmp:
        update_round(args, Path(tmp), end)
        monthly_figures(args, Path(tmp), end)
    print(
        "rerun: .venv/bin/python -m benchmarks.traffic "
        f"--files {args.files} --figure-files {args.figure_files} --cli-sample {args.cli_sample}"
    )


if __name__ == "__main__":
    main()
