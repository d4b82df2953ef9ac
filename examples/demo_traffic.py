"""Demo, traffic: a month of synthetic traffic for three servers in RRD files.

Each server gets 31 days of 5-minute octet counters (a daily curve, noise,
one counter reset and, for one server, an evening burst), written through
``TrafficStore``. The demo then shows a month view, the billing month's
volume and 95th percentile, prices them as invoice lines, and draws a graph.
"""

from __future__ import annotations

import math
import random
import shutil
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from examples._demo_util import heading
from hostlib.billing import Money, UnitPrice, commit_overage_line, volume_overage_line
from hostlib.traffic import Period, TrafficStore, billing_window

STEP = 300
SERVERS = {"srv-01": 120e6, "srv-02": 400e6, "srv-03": 40e6}  # mean bit/s out


def _fill(store: TrafficStore, name: str, mean_bps: float, start: int, end: int) -> None:
    """Write 5-minute counters from ``start`` to ``end`` (a daily curve, noise, a reset)."""
    rng = random.Random(name)
    out_octets = in_octets = 0
    reset_at = start + 9 * 86_400 + 3_600
    for ts in range(start, end + 1, STEP):
        hour = (ts % 86_400) / 3_600
        daily = 1 + 0.6 * math.sin((hour - 14) / 24 * 2 * math.pi)
        burst = 3.0 if name == "srv-02" and 19 <= hour < 21 and (ts // 86_400) % 7 == 2 else 1.0
        rate_out = mean_bps / 8 * daily * burst * rng.uniform(0.8, 1.2)
        out_octets += int(rate_out * STEP)
        in_octets += int(rate_out * 0.15 * STEP)
        if ts == reset_at:  # the switch rebooted: counters start again at zero
            out_octets = in_octets = 0
        store.update(name, ts, in_octets, out_octets)


def _gb(octets: int) -> str:
    return f"{octets / 1e9:,.1f} GB"


def _mbps(bps: float | None) -> str:
    return "unknown" if bps is None else f"{bps / 1e6:,.1f} Mbit/s"


def run(out: Path) -> None:
    """Run the traffic part of the demo, writing its files under ``out``."""
    root = out / "rrd"
    shutil.rmtree(root, ignore_errors=True)  # a rerun starts from fresh files
    root.mkdir()
    store = TrafficStore(root)
    end = (int(time.time()) // STEP - 1) * STEP
    start = end - 31 * 86_400
    heading(f"8. A month of synthetic traffic for {len(SERVERS)} servers in {root}")
    began = time.perf_counter()
    for name, mean in SERVERS.items():
        store.create(name, start=start - STEP)
        _fill(store, name, mean, start, end)
    print(
        f"  {len(SERVERS) * (end - start) // STEP:,} updates in {time.perf_counter() - began:.1f} s"
    )

    window = billing_window(end, months=1)
    since = datetime.fromtimestamp(window.start, UTC).strftime("%Y-%m-%d %H:%M")
    heading(f"9. Billing month ({since} UTC to now): volume and 95th percentile (out)")
    print(f"  {'SERVER':8}  {'IN':>12}  {'OUT':>12}  {'95TH OUT':>14}  {'MONTH AVG OUT':>14}")
    figures = {}
    for name in SERVERS:
        f = store.billing_figures(name, window.start, window.end, 95, "out")
        figures[name] = f
        series = store.series(name, Period.MONTH, end=end)
        known = [v for v in series.out_bps if v is not None]
        print(
            f"  {name:8}  {_gb(f.totals.inbound):>12}  {_gb(f.totals.outbound):>12}  "
            f"{_mbps(f.percentile_bps):>14}  {_mbps(sum(known) / len(known)):>14}"
        )
    print("  (95th: nearest rank over the known 5-minute samples; the reset's sample is unknown)")

    heading("10. Priced for srv-02: 30 TB included, 250 Mbit/s committed")
    period = (
        datetime.fromtimestamp(window.start, UTC).date(),
        datetime.fromtimestamp(window.end, UTC).date(),
    )
    f = figures["srv-02"]
    lines = [
        volume_overage_line(
            used_bytes=f.totals.inbound + f.totals.outbound,
            included_bytes=30 * 10**12,
            price=UnitPrice(Decimal("0.0045"), "EUR"),
            period=period,
            vat_rate=Decimal(21),
        ),
        commit_overage_line(
            percentile_bps=Decimal(str(round(f.percentile_bps or 0))),
            commit_mbps=250,
            price_per_mbps=Money("0.90", "EUR"),
            period=period,
            vat_rate=Decimal(21),
        ),
    ]
    for line in lines:
        if line is None:
            print("  within the allowance: no line")
        else:
            print(f"  {line.quantity} {line.unit or 'x'} x {line.unit_price.amount} EUR "
                  f"= {line.net.format('en')}  ({line.description.split(':')[0]})")  # fmt: skip

    png = out / "srv-02-month.png"
    store.graph("srv-02", Period.MONTH, png, end=end, percentile=95, direction="out")
    print(f"  graph: {png}")

    frame = store.series("srv-01", Period.WEEK, end=end).to_pandas()
    daily = (frame.resample("1D").mean() / 1e6).round(1).tail(3)
    print("  srv-01, last days' average in Mbit/s (pandas):")
    print("\n".join(f"    {line}" for line in daily.to_string().splitlines()))
