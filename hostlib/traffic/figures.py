"""Billing figures from the 5-minute samples: volume, 95th percentile, windows, overage.

Which samples count
    A window ``(start, end]`` (Unix seconds) holds the 5-minute samples whose
    300-second slot *ends* after ``start`` and at or before ``end``: a sample
    ending exactly at ``start`` belongs to the previous window, one ending
    exactly at ``end`` to this one, so consecutive windows never share or
    drop a sample.

How gaps count
    A slot the RRD holds as unknown (no update within the 600-s heartbeat,
    a counter reset, a rate above link speed) counts nothing: it adds no
    bytes to a total and is left out of the percentile, which is taken over
    the known samples only. A gap is never read as zero traffic nor filled
    in. For the ``max`` and ``sum`` directions a slot is known only when
    both directions are known in it.

Volume
    ``total_bytes`` sums rate x 300 s over the known samples, per direction,
    exactly as librrd's ``VDEF TOTAL`` does (left to right, then x 300), and
    rounds the sum to the nearest whole byte (halves to even; the rates come
    from whole octet counters, so the rounding only removes floating-point
    noise).

Percentile: the billing convention
    Sort the known samples ascending, drop the top ``(100 - p)`` percent and
    bill the highest sample left: nearest rank, 1-based rank
    ``ceil(p/100 x n)`` (at least 1) over the ``n`` known samples. For
    ``p=95`` and a 30-day month of 8,640 samples that is rank 8,208: the 432
    highest samples are free. The result is in bits per second (bytes/s x 8)
    and is always one of the measured samples, never an interpolation.
    Directions: ``in``, ``out``, ``max`` (per slot, the larger of the two)
    and ``sum`` (per slot, in + out).

    rrdtool's own ``VDEF PERCENT``/``PERCENTNAN`` use another rank rule
    (index ``round(p x (n-1) / 100)``, see FIELD_NOTES.md): for ``p=95`` the
    two agree unless ``n mod 20`` is 12 to 19 (for 12 samples rrdtool takes
    the 11th, nearest rank the 12th).

How it is computed
    Fast path: the rows of the 5-minute archive are read from the file
    itself and the figures computed with numpy (``_figures_direct``; no
    lock is taken, a concurrent update is detected and the read retried).
    Whenever that path declines (a file of another layout, a window older
    than the 5-minute archive, a file librrd must report on, writers that
    keep the file busy) one ``rrdtool.graphv`` computes the same figures in
    librrd, with a percentile parameter chosen so librrd's rank rule lands
    on the nearest-rank sample (``_figures_rrd``). Both give the same
    doubles; the tests compare them bit for bit.

Billing windows and projections
    :func:`billing_window` anchors a window to an order's period end in UTC
    calendar months; :func:`projected_usage` extrapolates month-to-date totals
    linearly; :func:`volume_overage` and :func:`commit_overage` give the
    plain quantities ``hostlib.billing.usage`` prices.
"""

from __future__ import annotations

import calendar
import math
from datetime import UTC, datetime
from fractions import Fraction
from typing import Literal

import attrs

from hostlib.errors import NotFoundError, ValidationError
from hostlib.traffic._figures_direct import direct_figures
from hostlib.traffic._figures_rank import check_p
from hostlib.traffic._figures_rrd import Direction, RawFigures, graph_figures, slot_bounds
from hostlib.traffic.layout import STEP

__all__ = [
    "BillingFigures",
    "Direction",
    "TrafficTotals",
    "VolumeDirection",
    "Window",
    "billing_figures",
    "billing_window",
    "commit_overage",
    "percentile",
    "projected_usage",
    "total_bytes",
    "volume_overage",
]

VolumeDirection = Literal["in", "out", "sum", "max"]

_DIRECTIONS: tuple[Direction, ...] = ("in", "out", "max", "sum")


def _nonnegative_int(_inst: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(
            f"{attribute.name} must be a whole number of bytes >= 0, not {value!r}"
        )


@attrs.frozen
class TrafficTotals:
    """Bytes transferred in a window, per direction (whole bytes)."""

    inbound: int = attrs.field(validator=_nonnegative_int)
    outbound: int = attrs.field(validator=_nonnegative_int)

    @property
    def total(self) -> int:
        """Inbound plus outbound bytes."""
        return self.inbound + self.outbound


@attrs.frozen
class BillingFigures:
    """Volume and percentile of one window, computed together in one pass.

    Attributes:
        totals: bytes per direction.
        percentile_bps: the nearest-rank ``p``-th percentile in bit/s, or
            None when no sample of that direction is known in the window.
        p: the percentile asked for.
        direction: the series the percentile was taken over.
        samples: known samples that percentile was taken over.
        slots: 5-minute slots in the window; ``slots - samples`` were unknown.
    """

    totals: TrafficTotals
    percentile_bps: float | None
    p: float
    direction: Direction
    samples: int
    slots: int


def _time(value: object, what: str) -> int:
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValidationError(
                f"{what} {value.isoformat()} has no time zone: give an aware datetime "
                "(e.g. tzinfo=datetime.UTC) or Unix seconds"
            )
        return math.floor(value.timestamp())
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(
            f"{what} must be Unix seconds (int) or an aware datetime, not {value!r}"
        )
    return value


def _window(start: object, end: object) -> tuple[int, int]:
    s, e = _time(start, "start"), _time(end, "end")
    if s >= e:
        raise ValidationError(f"window start {s} is not before its end {e}: give start < end")
    return s, e


def _direction(direction: object, allowed: tuple[str, ...]) -> None:
    if direction not in allowed:
        raise ValidationError(
            f"direction {direction!r} is not one of {', '.join(repr(d) for d in allowed)}"
        )


def _path(path: object) -> str:
    if not isinstance(path, str) or not path.startswith("/"):
        raise ValidationError(
            f"traffic file path {path!r} must be an absolute path (rrdcached refuses relative ones)"
        )
    return path


def _totals(total_in: float, total_out: float) -> TrafficTotals:
    return TrafficTotals(inbound=round(total_in), outbound=round(total_out))


def _figures(
    path: str, s: int, e: int, *, p: Fraction | None, direction: Direction, daemon: str | None
) -> RawFigures:
    # the file's own rows first; librrd whenever that path declines (another
    # layout, a window before the 5-minute archive, a file librrd must judge)
    raw = direct_figures(path, s, e, p=p, direction=direction, daemon=daemon)
    if raw is not None:
        return raw
    return graph_figures(path, s, e, p=p, direction=direction, daemon=daemon)


def total_bytes(
    path: str, start: int | datetime, end: int | datetime, *, daemon: str | None = None
) -> TrafficTotals:
    """Bytes in and out over the known 5-minute samples ending in ``(start, end]``.

    Args:
        path: absolute path of the server's RRD file.
        start, end: the window, Unix seconds (or aware datetimes).
        daemon: rrdcached address (``unix:/path``); reads then see queued writes.

    Raises:
        ValidationError: bad path or window.
        NotFoundError: no such file, not a hostlib traffic file, or the window
            is older than the 5-minute archive.
        HostlibError: the file or rrdcached cannot be read.
    """
    s, e = _window(start, end)
    raw = _figures(_path(path), s, e, p=None, direction="in", daemon=daemon)
    return _totals(raw.total_in, raw.total_out)


def billing_figures(
    path: str,
    start: int | datetime,
    end: int | datetime,
    p: float = 95,
    direction: Direction = "max",
    *,
    daemon: str | None = None,
) -> BillingFigures:
    """Totals and the ``p``-th percentile of one window in one pass.

    The monthly invoice needs both; this reads the window's rows once (or,
    on librrd's path, costs one ``rrdtool.graphv`` call in the common case,
    two when gaps move the nearest-rank sample).

    Raises:
        ValidationError: bad path, window, ``p`` or direction.
        NotFoundError: as for :func:`total_bytes`.
        HostlibError: the file or rrdcached cannot be read.
    """
    s, e = _window(start, end)
    exact_p = check_p(p)
    _direction(direction, _DIRECTIONS)
    raw = _figures(_path(path), s, e, p=exact_p, direction=direction, daemon=daemon)
    bps = None if raw.percentile is None else raw.percentile * 8
    return BillingFigures(
        totals=_totals(raw.total_in, raw.total_out),
        percentile_bps=bps,
        p=p,
        direction=direction,
        samples=raw.samples,
        slots=raw.slots,
    )


def percentile(
    path: str,
    start: int | datetime,
    end: int | datetime,
    p: float = 95,
    direction: Direction = "max",
    *,
    daemon: str | None = None,
) -> float:
    """The nearest-rank ``p``-th percentile of the known samples in ``(start, end]``, bit/s.

    ``direction`` is ``"in"``, ``"out"``, ``"max"`` (larger of the two per
    slot; the default) or ``"sum"``; see the module docstring for the rank
    rule and how gaps count.

    Raises:
        ValidationError: bad path, window, ``p`` or direction.
        NotFoundError: no known sample in the window (nothing to bill a
            percentile on), or as for :func:`total_bytes`.
        HostlibError: the file or rrdcached cannot be read.
    """
    figures = billing_figures(path, start, end, p, direction, daemon=daemon)
    if figures.percentile_bps is None:
        s, e, _ = slot_bounds(_time(start, "start"), _time(end, "end"))
        raise NotFoundError(
            f"no known {direction!r} 5-minute sample in ({s}, {e}] in {path} "
            f"({figures.slots} slots, all unknown): there is no percentile to bill; "
            "check that traffic is being recorded for this server"
        )
    return figures.percentile_bps


@attrs.frozen
class Window:
    """A half-open billing window ``(start, end]`` in Unix seconds."""

    start: int
    end: int

    def __attrs_post_init__(self) -> None:
        _window(self.start, self.end)

    @property
    def start_datetime(self) -> datetime:
        """``start`` as an aware UTC datetime."""
        return datetime.fromtimestamp(self.start, UTC)

    @property
    def end_datetime(self) -> datetime:
        """``end`` as an aware UTC datetime."""
        return datetime.fromtimestamp(self.end, UTC)

    @property
    def seconds(self) -> int:
        """Length of the window in seconds."""
        return self.end - self.start


def _months_back(moment: datetime, months: int, anchor_day: int) -> datetime:
    index = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    day = min(anchor_day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def billing_window(
    period_end: int | datetime, months: int = 1, *, anchor_day: int | None = None
) -> Window:
    """The window ``(period_end - months, period_end]`` in UTC calendar months.

    The start keeps the time of day of ``period_end`` and moves back
    ``months`` calendar months; a day the month does not have is clamped to
    its last day: the month ending 2025-01-31 starts 2024-12-31, the one
    ending 2024-03-31 starts 2024-02-29, the one ending 2023-03-31 starts
    2023-02-28.

    An order anchored on the 29th-31st has shorter period ends in short
    months (Jan 31, Feb 28, Mar 31). Pass its ``anchor_day`` (e.g. 31) so
    each window starts where the previous one ended: with ``anchor_day=31``
    the window ending 2025-02-28 starts 2025-01-31, not 2025-01-28.
    Without it, the day of ``period_end`` is the anchor.

    Raises:
        ValidationError: naive datetime, bad ``months`` or ``anchor_day``.
    """
    end = _time(period_end, "period_end")
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 120:
        raise ValidationError(f"months={months!r} must be an int from 1 to 120")
    moment = datetime.fromtimestamp(end, UTC)
    if anchor_day is None:
        anchor_day = moment.day
    if isinstance(anchor_day, bool) or not isinstance(anchor_day, int) or not 1 <= anchor_day <= 31:
        raise ValidationError(f"anchor_day={anchor_day!r} must be an int from 1 to 31")
    start = _months_back(moment, months, anchor_day)
    return Window(start=math.floor(start.timestamp()), end=end)


def projected_usage(
    totals_so_far: TrafficTotals, window: Window, now: int | datetime
) -> TrafficTotals:
    """Month-end bytes if traffic goes on at the average rate seen so far.

    Linear on time covered by samples: ``so_far x slots(window) /
    slots(window.start, now)``, where ``slots`` counts the 5-minute slots
    ending in the interval (the samples ``so_far`` was summed over). Gaps
    so far therefore lower the projection, as they lower the bill. Rounded
    to the nearest byte (halves up). Once ``now`` is at or past the window
    end, the totals are returned unchanged.

    Raises:
        ValidationError: ``now`` before the first sample of the window ends
            (nothing to extrapolate from), naive datetime.
    """
    moment = _time(now, "now")
    if moment >= window.end:
        return totals_so_far
    _, _, whole = slot_bounds(window.start, window.end)
    _, _, elapsed = slot_bounds(window.start, moment)
    if elapsed == 0:
        first = window.start - window.start % STEP + STEP
        raise ValidationError(
            f"no 5-minute sample of the window has ended at {moment} (the first ends at "
            f"{first}): nothing to project from yet"
        )

    def scale(value: int) -> int:
        return (2 * value * whole + elapsed) // (2 * elapsed)

    return TrafficTotals(
        inbound=scale(totals_so_far.inbound), outbound=scale(totals_so_far.outbound)
    )


def volume_overage(
    totals: TrafficTotals, allowance_bytes: int, direction: VolumeDirection = "sum"
) -> int:
    """Bytes over an included volume allowance (0 when within it).

    ``direction`` picks what the allowance applies to: ``in``, ``out``,
    ``sum`` (in + out; the default) or ``max`` (the larger direction).

    Raises:
        ValidationError: allowance not a whole number >= 0, bad direction.
    """
    if isinstance(allowance_bytes, bool) or not isinstance(allowance_bytes, int):
        raise ValidationError(
            f"allowance_bytes must be a whole number of bytes, not {allowance_bytes!r}"
        )
    if allowance_bytes < 0:
        raise ValidationError(f"allowance_bytes {allowance_bytes} must not be negative")
    _direction(direction, ("in", "out", "sum", "max"))
    used = {
        "in": totals.inbound,
        "out": totals.outbound,
        "sum": totals.total,
        "max": max(totals.inbound, totals.outbound),
    }[direction]
    return max(0, used - allowance_bytes)


def _rate(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(f"{what} must be a number of bits per second, not {value!r}")
    rate = float(value)
    if not math.isfinite(rate) or rate < 0:
        raise ValidationError(f"{what} {value!r} must be a finite number >= 0 (bit/s)")
    return rate


def commit_overage(p95_bps: float, commit_bps: float) -> float:
    """Bits per second of the percentile over a committed rate (0.0 when within it).

    Raises:
        ValidationError: either value negative, infinite or not a number.
    """
    measured = _rate(p95_bps, "p95_bps")
    commit = _rate(commit_bps, "commit_bps")
    return max(0.0, measured - commit)
