"""rrdtool side of the billing figures: the librrd fast path and the fetch reference.

Window arithmetic: samples are 300-s slots labelled by their end time. The
slots whose end lies in ``(start, end]`` are those ending at
``s + 300, ..., e`` with ``s`` and ``e`` the window ends rounded down to a
multiple of 300. Both rrdtool graph and fetch return exactly these slots
for ``--start s --end e-1`` (``--end e`` adds the slot ending at ``e+300``).

Fast path (:func:`graph_figures`): one ``rrdtool.graphv`` that draws
nothing (only PRINTs, so librrd renders no image) and computes in C:

* ``VDEF TOTAL`` of ``in`` and ``out`` (sum of known rates times 300 s);
* the number of known samples of the percentile series, as
  ``TOTAL / 300 / AVERAGE`` (both skip unknowns; exact after rounding, and
  checked; an explicit counting CDEF is the fallback, e.g. all-zero data);
* ``VDEF PERCENT`` of the percentile series with a parameter chosen so
  librrd's index (unknowns sorted lowest, ``round(q*(rows-1)/100)``) is the
  nearest-rank sample assuming the window has no gaps. ``PERCENT`` rather
  than ``PERCENTNAN``: librrd 1.7.2 reads ``array[-1]`` of an empty buffer
  when ``PERCENTNAN`` meets no known value; ``PERCENT`` always sorts every
  row. If the window has gaps and the index missed, a second call asks for
  the exact index now that the count is known;
* with rrdcached, an explicit flush first: librrd 1.7.2 reads the file
  directly, without the queued updates and without an error, when the
  daemon cannot be reached; the flush fails loudly instead;
* a one-row probe DEF whose ``STEPWIDTH`` must be 300: if librrd took the
  rows from a coarser archive (window older than the 5-minute archive
  keeps), the figures would be computed on consolidated data, so that is
  an error, never a number.

``--width`` is the number of slots, so one pixel never spans more than one
sample (``rrdtool graph`` otherwise consolidates silently, FIELD_NOTES.md).

Reference (:func:`fetch_figures`): ``rrdtool.fetch`` of the same slots and
plain Python, used by the tests to cross-check the fast path.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction
from typing import Any, Literal

import attrs

from hostlib.errors import DaemonError, HostlibError, NotFoundError, StorageError
from hostlib.traffic._figures_rank import (
    nearest_rank_index,
    nearest_rank_value,
    rrd_param_for_index,
    rrd_percent_index,
)
from hostlib.traffic.layout import DS_IN, DS_OUT, STEP

__all__ = [
    "Direction",
    "RawFigures",
    "Sample",
    "fetch_figures",
    "fetch_samples",
    "flush",
    "graph_figures",
    "slot_bounds",
]

Direction = Literal["in", "out", "max", "sum"]

#: librrd refuses narrower graphs; wider than the slot count is harmless
#: (a pixel then spans less than 300 s and librrd still reads 300-s rows)
_MIN_WIDTH = 10
#: second graphv calls allowed when data changes between calls (live updates)
_MAX_CALLS = 4


@attrs.frozen
class RawFigures:
    """Figures as librrd or Python computed them, before rounding.

    Attributes:
        slots: 5-minute slots in the window (known or not).
        total_in: sum of known inbound rates times 300 s (bytes, a double).
        total_out: the same for outbound.
        samples: known samples of the percentile series (0 if none was asked).
        percentile: the nearest-rank value in bytes/s, None if not asked or
            no sample is known.
        calls: rrdtool calls made (1 on the fast path's common case).
    """

    slots: int
    total_in: float
    total_out: float
    samples: int
    percentile: float | None
    calls: int = 1


@attrs.frozen
class Sample:
    """One 5-minute slot: its end time and rates in bytes/s (None = unknown)."""

    end: int
    inbound: float | None
    outbound: float | None


def slot_bounds(start: int, end: int) -> tuple[int, int, int]:
    """``(s, e, slots)``: the window ``(start, end]`` snapped to slot ends."""
    s = start - start % STEP
    e = end - end % STEP
    return s, e, max(0, (e - s) // STEP)


def _rrd() -> Any:
    import rrdtool  # the bindings load librrd; only traffic modules pay for it

    return rrdtool


def map_rrd_error(exc: Exception, path: str, daemon: str | None) -> HostlibError:
    """The hostlib error for an rrdtool binding error on ``path``."""
    text = str(exc).strip()
    if "Unable to connect" in text:
        return DaemonError(
            f"rrdcached at {daemon!r} failed reading {path}: {text}; check that the daemon "
            "runs and that its address is right"
        )
    if "No such file" in text:
        return NotFoundError(
            f"traffic file {path} does not exist: create it first (TrafficStore.create)"
        )
    if "No DS called" in text:
        return NotFoundError(
            f"traffic file {path} has no data source {DS_IN!r} or {DS_OUT!r} ({text}): "
            "it was not created by hostlib; recreate it with TrafficStore.create"
        )
    via = "" if daemon is None else f" through rrdcached at {daemon!r}"
    return StorageError(
        f"rrdtool cannot read traffic file {path}{via}: {text}; if the file is damaged, "
        "restore it from backup or recreate it"
    )


def flush(path: str, daemon: str | None) -> None:
    # librrd 1.7.2 graph and fetch fall back to reading the file silently
    # when the daemon cannot be reached, i.e. without the queued updates; an
    # explicit flush fails loudly instead (and leaves nothing queued to miss)
    if daemon is None:
        return
    rrdtool = _rrd()
    try:
        rrdtool.flushcached("--daemon", daemon, path)
    except (rrdtool.OperationalError, rrdtool.ProgrammingError) as exc:
        if "Unable to connect" in str(exc):
            raise map_rrd_error(exc, path, daemon) from exc
        # anything else (e.g. no such file, garbled by the bindings) is
        # reported precisely by the read that follows


def _escape(path: str) -> str:
    # rrdtool splits DEF arguments on ':'; a literal colon is written '\:'
    return path.replace("\\", "\\\\").replace(":", "\\:")


def _number(text: object) -> float:
    # PRINT with %.17le gives 18 significant digits: the double round-trips
    # exactly; unknown prints as "nan" or "-nan", which float() reads as NaN.
    try:
        return float(str(text))
    except ValueError as exc:
        raise StorageError(f"rrdtool printed {text!r} where a number was expected") from exc


def _series(direction: Direction) -> tuple[str, list[str]]:
    """The vname of the percentile series and the CDEFs that build it."""
    if direction == "in":
        return "i", []
    if direction == "out":
        return "o", []
    if direction == "max":
        return "x", ["CDEF:x=i,o,MAX"]  # MAX is unknown if either side is
    return "x", ["CDEF:x=i,o,+"]  # so is '+'


def _graphv(
    path: str,
    s: int,
    e: int,
    slots: int,
    daemon: str | None,
    tail: Sequence[str],
) -> dict[str, float]:
    src = _escape(path)
    args = [
        "-",
        "--start",
        str(s),
        "--end",
        str(e - 1),
        "--step",
        str(STEP),
        "--width",
        str(max(slots, _MIN_WIDTH)),
    ]
    if daemon is not None:
        args += ["--daemon", daemon]
    args += [
        f"DEF:i={src}:{DS_IN}:AVERAGE",
        f"DEF:o={src}:{DS_OUT}:AVERAGE",
        # one-row probe fetched from the archive librrd picks for this start
        f"DEF:probe={src}:{DS_IN}:AVERAGE:start={s}:end={s + STEP - 1}",
        "CDEF:pstep=probe,POP,STEPWIDTH",
        "VDEF:step=pstep,MAXIMUM",
        "VDEF:ti=i,TOTAL",
        "VDEF:to=o,TOTAL",
        *tail,
        "PRINT:step:%.0lf",
        "PRINT:ti:%.17le",
        "PRINT:to:%.17le",
    ]
    names = ["step", "ti", "to"]
    for item in tail:
        if item.startswith("VDEF:"):
            names.append(item[5:].split("=", 1)[0])
    args += [f"PRINT:{name}:%.17le" for name in names[3:]]
    rrdtool = _rrd()
    try:
        info = rrdtool.graphv(*args)
    except (rrdtool.OperationalError, rrdtool.ProgrammingError) as exc:
        raise map_rrd_error(exc, path, daemon) from exc
    try:
        values = {name: _number(info[f"print[{k}]"]) for k, name in enumerate(names)}
    except KeyError as exc:
        raise StorageError(f"rrdtool graphv returned no {exc} for {path}") from exc
    if values["step"] != STEP:
        raise NotFoundError(
            f"traffic file {path} keeps no 5-minute samples for ({s}, {e}] (rrdtool "
            f"offered {values['step']:.0f}-second rows): billing figures need the "
            "5-minute samples; ask for a window inside the 5-minute archive"
        )
    return values


def _known(total: float, average: float, slots: int) -> int | None:
    """Known samples from TOTAL (sum*300) and AVERAGE (sum/n), or None if unsure."""
    if math.isnan(average):
        return 0
    if average == 0 or math.isnan(total):
        return None
    ratio = total / STEP / average
    count = round(ratio)
    if not 1 <= count <= slots or abs(ratio - count) > 1e-6:
        return None
    return count


def graph_figures(
    path: str,
    start: int,
    end: int,
    *,
    p: Fraction | None,
    direction: Direction,
    daemon: str | None,
) -> RawFigures:
    """Totals and (when ``p`` is given) the nearest-rank percentile, computed in librrd."""
    s, e, slots = slot_bounds(start, end)
    flush(path, daemon)
    if slots == 0:
        # no slot ends in the window; still open the file so a missing or
        # damaged one is reported the same way
        _graphv(path, s, s + STEP, 1, daemon, [])
        return RawFigures(0, 0.0, 0.0, 0, None, 1)
    if p is None:
        values = _graphv(path, s, e, slots, daemon, [])
        return RawFigures(slots, _zero(values["ti"]), _zero(values["to"]), 0, None, 1)

    series, cdefs = _series(direction)
    total = {"i": "ti", "o": "to"}.get(series, "tx")
    base = [*cdefs]
    if total == "tx":
        base.append(f"VDEF:tx={series},TOTAL")
    base.append(f"VDEF:ax={series},AVERAGE")

    # first guess: no gaps, so every slot is a known sample
    index = nearest_rank_index(slots, p)
    count_explicitly = False
    for calls in range(1, _MAX_CALLS + 1):
        q = rrd_param_for_index(index, slots)
        tail = [*base, f"VDEF:px={series},{q!r},PERCENT"]
        if count_explicitly:
            tail += [f"CDEF:kx={series},UN,0,1,IF", "VDEF:nx=kx,TOTAL"]
        values = _graphv(path, s, e, slots, daemon, tail)
        if count_explicitly:
            known: int | None = round(values["nx"] / STEP)
        else:
            known = _known(values[total], values["ax"], slots)
        if known is None:
            count_explicitly = True
            continue
        if known == 0:
            return RawFigures(slots, _zero(values["ti"]), _zero(values["to"]), 0, None, calls)
        # unknown slots sort lowest in PERCENT: the k-th known value sits after them
        wanted = slots - known + nearest_rank_index(known, p)
        if rrd_percent_index(q, slots) == wanted and not math.isnan(values["px"]):
            return RawFigures(
                slots, _zero(values["ti"]), _zero(values["to"]), known, values["px"], calls
            )
        index = wanted
    raise StorageError(
        f"traffic file {path} kept changing while its figures were computed "
        f"({_MAX_CALLS} attempts); try again"
    )


def _zero(total: float) -> float:
    # TOTAL of a series without a known value is unknown: it counts nothing
    return 0.0 if math.isnan(total) else total


def fetch_samples(path: str, start: int, end: int, *, daemon: str | None) -> list[Sample]:
    """The 5-minute samples whose slot ends in ``(start, end]``, via ``rrdtool.fetch``.

    Raises:
        NotFoundError: missing file, missing data source, or the window is
            not covered by 5-minute rows.
        HostlibError: the file cannot be read.
    """
    s, e, slots = slot_bounds(start, end)
    flush(path, daemon)
    if slots == 0:
        return []
    args = ["AVERAGE", "--start", str(s), "--end", str(e - 1)]
    if daemon is not None:
        args += ["--daemon", daemon]
    rrdtool = _rrd()
    try:
        (first, _last, step), names, rows = rrdtool.fetch(path, *args)
    except (rrdtool.OperationalError, rrdtool.ProgrammingError) as exc:
        raise map_rrd_error(exc, path, daemon) from exc
    if step != STEP or first != s or len(rows) != slots:
        raise NotFoundError(
            f"traffic file {path} keeps no 5-minute samples for ({s}, {e}] (rrdtool "
            f"offered {len(rows)} rows of {step} s from {first}): billing figures need "
            "the 5-minute samples; ask for a window inside the 5-minute archive"
        )
    try:
        col_in, col_out = names.index(DS_IN), names.index(DS_OUT)
    except ValueError as exc:
        raise NotFoundError(
            f"traffic file {path} has no data source {DS_IN!r} or {DS_OUT!r} "
            f"(it has {', '.join(names)}): recreate it with TrafficStore.create"
        ) from exc
    return [Sample(s + (k + 1) * STEP, row[col_in], row[col_out]) for k, row in enumerate(rows)]


def _combine(sample: Sample, direction: Direction) -> float | None:
    a, b = sample.inbound, sample.outbound
    if direction == "in":
        return a
    if direction == "out":
        return b
    if a is None or b is None:
        return None
    return max(a, b) if direction == "max" else a + b


def _rrd_total(rates: Sequence[float | None]) -> float:
    # the same sum, in the same order, as librrd's VDEF TOTAL: sum, then * step
    acc = 0.0
    for rate in rates:
        if rate is not None:
            acc += rate
    return acc * STEP


def fetch_figures(
    path: str,
    start: int,
    end: int,
    *,
    p: Fraction | None,
    direction: Direction,
    daemon: str | None,
) -> RawFigures:
    """Reference for :func:`graph_figures`: ``rrdtool.fetch`` plus plain Python."""
    s, _, slots = slot_bounds(start, end)
    if slots == 0:
        fetch_samples(path, s, s + STEP, daemon=daemon)
        return RawFigures(0, 0.0, 0.0, 0, None, 1)
    samples = fetch_samples(path, start, end, daemon=daemon)
    total_in = _rrd_total([x.inbound for x in samples])
    total_out = _rrd_total([x.outbound for x in samples])
    if p is None:
        return RawFigures(slots, total_in, total_out, 0, None, 1)
    known = [v for v in (_combine(x, direction) for x in samples) if v is not None]
    value = nearest_rank_value(known, p) if known else None
    return RawFigures(slots, total_in, total_out, len(known), value, 1)
