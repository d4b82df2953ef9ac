"""``hostlib traffic``: RRD-backed traffic files, views, totals, percentiles, graphs."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from hostlib.cli._output import fail, print_json, print_table
from hostlib.errors import HostlibError, ValidationError
from hostlib.traffic import Period, TrafficStore

__all__ = ["traffic"]

F = TypeVar("F", bound=Callable[..., Any])
ROOT_ENV = "HOSTLIB_RRD_ROOT"


def _store_options(func: F) -> F:
    func = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")(func)
    func = click.option(
        "--daemon", help="rrdcached address, e.g. unix:/run/rrdcached.sock ($RRDCACHED_ADDRESS)."
    )(func)
    func = click.option(
        "--root",
        type=click.Path(file_okay=False, path_type=Path),
        default=lambda: os.environ.get(ROOT_ENV, "rrd"),
        show_default=f"${ROOT_ENV} or ./rrd",
        help="Directory of the <name>.rrd files.",
    )(func)
    return func


def _time(value: str | None, what: str) -> int | None:
    """Unix seconds or ISO 8601 with a timezone (a trailing Z means UTC)."""
    if value is None:
        return None
    if value.lstrip("-").isdigit():
        return int(value)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            f"{what} {value!r} is not a time: give Unix seconds or ISO 8601 with a "
            "timezone, e.g. 2026-10-31T00:00:00Z"
        ) from None
    if parsed.tzinfo is None:
        raise ValidationError(f"{what} {value!r} has no timezone: add Z or +HH:MM")
    return int(parsed.timestamp())


def _required_time(value: str, what: str) -> int:
    seconds = _time(value, what)
    assert seconds is not None
    return seconds


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


def _bps(value: float | None) -> str:
    if value is None:
        return "unknown"
    for unit, size in (("Gbit/s", 1e9), ("Mbit/s", 1e6), ("kbit/s", 1e3)):
        if value >= size:
            return f"{value / size:.2f} {unit}"
    return f"{value:.0f} bit/s"


def _open(root: Path, daemon: str | None) -> TrafficStore:
    return TrafficStore(root, daemon=daemon)


@click.group()
def traffic() -> None:
    """Traffic accounting over RRD files (one per server)."""


@traffic.command()
@click.argument("name")
@click.option("--start", help="Earliest update time accepted (default: 800 days ago).")
@_store_options
def create(name: str, start: str | None, root: Path, daemon: str | None, as_json: bool) -> None:
    """Create the traffic file of server NAME."""
    try:
        path = _open(root, daemon).create(name, start=_time(start, "--start"))
    except HostlibError as exc:
        fail(exc)
    if as_json:
        print_json({"name": name, "path": str(path)})
    else:
        click.echo(f"created {path}")


@traffic.command()
@click.argument("name")
@click.argument("timestamp")
@click.argument("in_octets", type=int)
@click.argument("out_octets", type=int)
@_store_options
def update(
    name: str,
    timestamp: str,
    in_octets: int,
    out_octets: int,
    root: Path,
    daemon: str | None,
    as_json: bool,
) -> None:
    """Store NAME's octet counters IN_OCTETS and OUT_OCTETS read at TIMESTAMP."""
    try:
        ts = _required_time(timestamp, "TIMESTAMP")
        _open(root, daemon).update(name, ts, in_octets, out_octets)
    except HostlibError as exc:
        fail(exc)
    if as_json:
        print_json({"name": name, "timestamp": ts, "stored": True})


@traffic.command()
@click.argument("name")
@click.option(
    "--period",
    type=click.Choice([p.label for p in Period]),
    default="day",
    show_default=True,
)
@click.option("--end", help="End of the view (default: now).")
@click.option("--rows", is_flag=True, help="Print every row, not only the summary.")
@_store_options
def show(
    name: str,
    period: str,
    end: str | None,
    rows: bool,
    root: Path,
    daemon: str | None,
    as_json: bool,
) -> None:
    """Show NAME's traffic over a day, week, month or year, in bit/s."""
    try:
        series = _open(root, daemon).series(name, Period.parse(period), end=_time(end, "--end"))
    except HostlibError as exc:
        fail(exc)
    triples = list(zip(series.timestamps, series.in_bps, series.out_bps, strict=True))
    summary = {}
    for label, values in (("in", series.in_bps), ("out", series.out_bps)):
        known = [v for v in values if v is not None]
        summary[label] = {
            "average_bps": sum(known) / len(known) if known else None,
            "max_bps": max(known) if known else None,
            "known_rows": len(known),
        }
    if as_json:
        print_json(
            {
                "name": name,
                "period": period,
                "start": _iso(series.start),
                "end": _iso(series.end),
                "step": series.step,
                "summary": summary,
                "rows": [
                    {"end": t.isoformat().replace("+00:00", "Z"), "in_bps": i, "out_bps": o}
                    for t, i, o in zip(
                        series.timestamps, series.in_bps, series.out_bps, strict=True
                    )
                ]
                if rows
                else None,
            }
        )
        return
    click.echo(
        f"{name}: {period} from {_iso(series.start)} to {_iso(series.end)}, "
        f"{len(series)} rows of {series.step} s"
    )
    print_table(
        ("DIRECTION", "AVERAGE", "MAX", "KNOWN ROWS"),
        [
            (d, _bps(s["average_bps"]), _bps(s["max_bps"]), str(s["known_rows"]))
            for d, s in summary.items()
        ],
    )
    if rows:
        print_table(
            ("END (UTC)", "IN", "OUT"),
            [(t.strftime("%Y-%m-%d %H:%M"), _bps(i), _bps(o)) for t, i, o in triples],
        )


_window = [
    click.option("--start", "start", required=True, help="Window start (exclusive)."),
    click.option("--end", "end", required=True, help="Window end (inclusive)."),
]


def _window_options(func: F) -> F:
    for option in reversed(_window):
        func = option(func)
    return func


@traffic.command()
@click.argument("name")
@_window_options
@_store_options
def total(name: str, start: str, end: str, root: Path, daemon: str | None, as_json: bool) -> None:
    """Bytes in and out over the 5-minute samples ending in (START, END]."""
    try:
        totals = _open(root, daemon).total_bytes(
            name, _required_time(start, "--start"), _required_time(end, "--end")
        )
    except HostlibError as exc:
        fail(exc)
    if as_json:
        print_json({"name": name, "inbound": totals.inbound, "outbound": totals.outbound})
    else:
        click.echo(f"{name}: in {totals.inbound:,} bytes, out {totals.outbound:,} bytes")


@traffic.command()
@click.argument("name")
@_window_options
@click.option("-p", "--percent", type=float, default=95.0, show_default=True)
@click.option(
    "--direction",
    type=click.Choice(["in", "out", "max", "sum"]),
    default="max",
    show_default=True,
)
@_store_options
def percentile(
    name: str,
    start: str,
    end: str,
    percent: float,
    direction: str,
    root: Path,
    daemon: str | None,
    as_json: bool,
) -> None:
    """Nearest-rank percentile (bit/s) of the 5-minute samples in (START, END]."""
    try:
        value = _open(root, daemon).percentile(
            name,
            _required_time(start, "--start"),
            _required_time(end, "--end"),
            percent,
            direction,  # type: ignore[arg-type]
        )
    except HostlibError as exc:
        fail(exc)
    if as_json:
        print_json({"name": name, "p": percent, "direction": direction, "bps": value})
    else:
        click.echo(f"{name}: {percent:g}th percentile ({direction}) {_bps(value)}")


@traffic.command()
@click.argument("name")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--period",
    type=click.Choice([p.label for p in Period]),
    default="day",
    show_default=True,
)
@click.option("--end", help="End of the graph (default: now).")
@click.option("--width", type=int, default=800, show_default=True)
@click.option("--height", type=int, default=300, show_default=True)
@click.option("--percentile", "pct", type=float, help="Draw this percentile line, e.g. 95.")
@_store_options
def graph(
    name: str,
    out: Path,
    period: str,
    end: str | None,
    width: int,
    height: int,
    pct: float | None,
    root: Path,
    daemon: str | None,
    as_json: bool,
) -> None:
    """Draw NAME's traffic over a period as a PNG at OUT."""
    try:
        path = _open(root, daemon).graph(
            name,
            Period.parse(period),
            out,
            end=_time(end, "--end"),
            width=width,
            height=height,
            percentile=pct,
        )
    except HostlibError as exc:
        fail(exc)
    if as_json:
        print_json({"name": name, "path": str(path)})
    else:
        click.echo(f"wrote {path}")
