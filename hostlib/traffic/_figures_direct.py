"""Billing figures read straight from the RRD file's 5-minute archive, with numpy.

Why
    librrd's ``graphv`` spends most of a monthly figure sorting every row
    for ``PERCENT`` (about 1 ms of 1.3 ms on 8,640 rows), and even a bare
    ``rrdtool.fetch`` costs 0.8-1 ms. Reading the rows of the one archive the
    figures need (138 KB for 30 days) and selecting the nearest-rank sample
    with ``np.partition`` costs a small fraction of that. librrd's
    ``graphv`` path (:mod:`hostlib.traffic._figures_rrd`) stays the fallback
    and the reference the tests compare this path with, bit for bit.

What is read (rrdtool 1.7 on-disk format, native LP64 little-endian)
    ====================  =====  ==========================================
    part                  bytes  fields used
    ====================  =====  ==========================================
    stat_head             128    cookie ``RRD\\0``, version, float cookie,
                                 ds_cnt, rra_cnt, pdp_step (``par`` skipped)
    ds_def x ds_cnt       120    ds_nam (20 bytes), dst (20), par
    rra_def x rra_cnt     120    cf_nam (20), 4 padding, row_cnt, pdp_cnt, par
    live_head             16     last_up (time_t), last_up_usec
    pdp_prep x ds_cnt     112    (not used)
    cdp_prep x rra*ds     80     (not used)
    rra_ptr x rra_cnt     8      cur_row
    rows                         each RRA in turn: row_cnt x ds_cnt doubles
    ====================  =====  ==========================================

    Everything is checked, and any difference means "let librrd do it"
    (never an error from here): cookie, version ``0003``/``0004`` (what
    librrd 1.7.2 writes), the float cookie 8.642135e130 (also proves the
    byte order), two data sources named ``in`` and ``out``, step 300, the
    first archive ``AVERAGE`` of one primary point per row, ``cur_row``
    inside it, and the file size equal to the size these counts give. A
    host that is not little-endian LP64, or lacks open-file-description
    locks, never takes this path.

Which rows
    As ``rrd_fetch`` computes them: the newest row of the 5-minute archive
    is the slot ending at ``last_up - last_up % 300`` (an update between two
    step boundaries is still a primary point in preparation, not a row), and
    sits at ``cur_row``; the slot ending ``k`` steps earlier sits at
    ``(cur_row - k) mod row_cnt`` (the ring wraps). Slots after the newest
    row are unknown. librrd takes the 5-minute archive when its span
    (``row_cnt`` slots back from the newest) covers the window start; when
    it does not, librrd would consolidate from a coarser archive, and the
    graphv path reports that as :class:`~hostlib.errors.NotFoundError`: this
    path returns None and leaves it to librrd.

Concurrency
    librrd updates a file in place, through a shared mapping, holding a
    non-blocking ``fcntl`` write lock (``F_SETLK``, whole file) for the
    whole update; its readers (fetch, graph) take a read lock the same way,
    so an update that meets a reader fails with "could not lock RRD". This
    path takes the same shared read lock for the ~30 us of its read, as an
    open-file-description lock (``F_OFD_SETLK``): unlike librrd's classic
    lock it also excludes writer threads of this process, so rows are never
    torn and never shifted against a half-written header (a test caught
    that with the lock-free probe-and-compare this replaced). A writer at
    work makes the read wait and retry (up to ~50 ms), then leave it to
    librrd. The header is still read twice and compared, for writers that
    take no lock. A descriptor is closed only while the read lock is held
    (or no writer is active): POSIX drops all of a process's classic locks
    on a file when any descriptor of it is closed, which would unlock a
    writer thread of this process mid-update. With rrdcached the caller
    flushes first, as the graphv path does.

Figures
    Computed exactly as the graphv path computes them: a total is the
    left-to-right sum of the known rates (librrd's ``VDEF TOTAL`` loop,
    reproduced with ``np.cumsum``, which is sequential, unlike the pairwise
    ``np.sum``) times 300; ``max`` and ``sum`` are unknown where either
    direction is; the percentile is the nearest-rank known value.
"""

from __future__ import annotations

import errno
import fcntl
import os
import struct
import sys
import threading
import time
from fractions import Fraction
from typing import Final

import attrs
import numpy as np
import numpy.typing as npt

from hostlib.traffic._figures_rank import nearest_rank_index
from hostlib.traffic._figures_rrd import Direction, RawFigures, flush, slot_bounds
from hostlib.traffic.layout import DS_IN, DS_OUT, STEP

__all__ = ["SUPPORTED", "direct_figures", "read_rows", "write_locked"]

Rates = npt.NDArray[np.float64]

_F_OFD_GETLK: Final[int | None] = getattr(fcntl, "F_OFD_GETLK", None)
_F_OFD_SETLK: Final[int | None] = getattr(fcntl, "F_OFD_SETLK", None)

#: this host can read the files librrd writes here, and probe their locks
SUPPORTED: Final = (
    sys.byteorder == "little"
    and struct.calcsize("@l") == 8
    and struct.calcsize("@P") == 8
    and _F_OFD_GETLK is not None
    and _F_OFD_SETLK is not None
)

_STAT_HEAD: Final = struct.Struct("<4s5s7xd3Q80x")
_DS_DEF: Final = struct.Struct("<20s20s80x")
_RRA_DEF: Final = struct.Struct("<20s4xQQ80x")
_LIVE_HEAD: Final = struct.Struct("<qq")
_PDP_PREP_SIZE: Final = 112
_CDP_PREP_SIZE: Final = 80
_RRA_PTR: Final = struct.Struct("<Q")
_VALUE_SIZE: Final = 8
_COOKIE: Final = b"RRD\0"
_VERSIONS: Final = (b"0003\0", b"0004\0")
_FLOAT_COOKIE: Final = 8.642135e130
#: struct flock on Linux LP64: l_type, l_whence, l_start, l_len, l_pid
_FLOCK: Final = struct.Struct("@hhqqi4x")
#: bytes read for the header in one call; hostlib's layout needs 2,048
_HEAD_READ: Final = 4096
#: reads attempted while writers are active (~50 ms), before leaving it to librrd
ATTEMPTS: Final = 60
_PAUSE: Final = 0.0001
_MAX_PARKED: Final = 256


@attrs.frozen
class Header:
    """What the figures need from an RRD header, already checked."""

    size: int  # bytes of the header: the first archive's rows start here
    rows: int  # row_cnt of the 5-minute archive
    col_in: int
    col_out: int
    last_up: int
    cur_row: int

    @property
    def newest(self) -> int:
        """End of the newest 5-minute row (the slot being filled is not a row yet)."""
        return self.last_up - self.last_up % STEP

    @property
    def oldest_start(self) -> int:
        """Start of the oldest slot the archive spans (librrd's ``cal_start``)."""
        return self.newest - STEP * self.rows


def _text(raw: bytes) -> bytes:
    return raw.split(b"\0", 1)[0]


def parse_header(buf: bytes, file_size: int) -> Header | None:
    """The checked header of a hostlib traffic file, or None when anything differs."""
    if len(buf) < _STAT_HEAD.size:
        return None
    cookie, version, float_cookie, ds_cnt, rra_cnt, pdp_step = _STAT_HEAD.unpack_from(buf)
    if (
        cookie != _COOKIE
        or version not in _VERSIONS
        or float_cookie != _FLOAT_COOKIE
        or ds_cnt != 2
        or not 1 <= rra_cnt <= 64
        or pdp_step != STEP
    ):
        return None
    offset = _STAT_HEAD.size
    ds_offset = offset
    offset += _DS_DEF.size * ds_cnt
    rra_offset = offset
    offset += _RRA_DEF.size * rra_cnt
    live_offset = offset
    offset += _LIVE_HEAD.size + _PDP_PREP_SIZE * ds_cnt + _CDP_PREP_SIZE * rra_cnt * ds_cnt
    ptr_offset = offset
    size = offset + _RRA_PTR.size * rra_cnt
    if len(buf) < size:
        return None
    names = [_text(_DS_DEF.unpack_from(buf, ds_offset + i * _DS_DEF.size)[0]) for i in range(2)]
    want = [DS_IN.encode(), DS_OUT.encode()]
    if sorted(names) != sorted(want):
        return None
    total_rows = 0
    first: tuple[bytes, int, int] | None = None
    for i in range(rra_cnt):
        cf, row_cnt, pdp_cnt = _RRA_DEF.unpack_from(buf, rra_offset + i * _RRA_DEF.size)
        if first is None:
            first = (_text(cf), row_cnt, pdp_cnt)
        total_rows += row_cnt
    if first is None or first[0] != b"AVERAGE" or first[2] != 1 or first[1] < 1:
        return None
    if size + total_rows * ds_cnt * _VALUE_SIZE != file_size:
        return None
    last_up, _usec = _LIVE_HEAD.unpack_from(buf, live_offset)
    (cur_row,) = _RRA_PTR.unpack_from(buf, ptr_offset)
    if last_up < 0 or cur_row >= first[1]:
        return None
    return Header(
        size=size,
        rows=first[1],
        col_in=names.index(want[0]),
        col_out=names.index(want[1]),
        last_up=last_up,
        cur_row=cur_row,
    )


def _lock_call(fd: int, command: int, kind: int) -> bytes:
    return fcntl.fcntl(fd, command, _FLOCK.pack(kind, os.SEEK_SET, 0, 0, 0))


def write_locked(fd: int) -> bool:
    """True if any process, this one included, holds a write lock on ``fd``'s file."""
    assert _F_OFD_GETLK is not None  # callers check SUPPORTED
    answer = _lock_call(fd, _F_OFD_GETLK, fcntl.F_RDLCK)
    return bool(_FLOCK.unpack(answer)[0] != fcntl.F_UNLCK)


def _try_read_lock(fd: int) -> bool:
    """Take a shared open-file-description lock on the whole file, without waiting."""
    assert _F_OFD_SETLK is not None
    try:
        _lock_call(fd, _F_OFD_SETLK, fcntl.F_RDLCK)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


#: descriptors not closed yet: closing one while a writer thread of this
#: process holds librrd's lock would drop that lock (POSIX: a close drops all
#: of the process's classic locks on the file)
_parked: list[int] = []
_parked_lock = threading.Lock()


def _close(fd: int, *, locked: bool) -> None:
    """Close ``fd``; without our read lock held, park it until no writer is active."""
    if locked:
        os.close(fd)  # no writer can hold a write lock now: nothing to drop
        return
    with _parked_lock:
        _parked.append(fd)
        keep = []
        for parked in _parked:
            if _try_read_lock(parked) or len(_parked) > _MAX_PARKED:
                os.close(parked)
            else:
                keep.append(parked)
        _parked[:] = keep


def _rows(fd: int, head: Header, s: int, e: int) -> Rates:
    """Rows (in, out columns as stored) of the slots ending ``s+300 .. min(e, newest)``."""
    first, last = s + STEP, min(e, head.newest)
    count = (last - first) // STEP + 1 if last >= first else 0
    if count <= 0:
        return np.empty((0, 2), dtype=np.float64)
    start_row = (head.cur_row - (head.newest - first) // STEP) % head.rows
    row_size = 2 * _VALUE_SIZE
    head_part = min(count, head.rows - start_row)
    data = os.pread(fd, head_part * row_size, head.size + start_row * row_size)
    if head_part < count:  # the ring wraps: the rest starts at row 0
        data += os.pread(fd, (count - head_part) * row_size, head.size)
    if len(data) != count * row_size:
        raise OSError("short read")
    return np.frombuffer(data, dtype="<f8").reshape(count, 2)


def read_rows(path: str, start: int, end: int) -> tuple[int, Rates] | None:
    """``(slots, rows)`` for the window ``(start, end]``, or None to ask librrd.

    ``rows`` has one row per slot from the first of the window to the newest
    row of the archive (or the window end, if earlier), columns inbound and
    outbound rates; the window's later slots are not rows yet and are
    unknown. None: the file is missing, unreadable, not of the checked
    layout, the window starts before the 5-minute archive, or writers kept
    the rows changing.
    """
    if not SUPPORTED:
        return None
    s, e, slots = slot_bounds(start, end)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    locked = False
    try:
        for attempt in range(ATTEMPTS):
            if attempt:
                time.sleep(_PAUSE * min(attempt, 10))
            locked = _try_read_lock(fd)
            if not locked:
                continue  # a writer is at work: librrd's update takes ~0.1 ms
            buf = os.pread(fd, _HEAD_READ, 0)
            head = parse_header(buf, os.fstat(fd).st_size)
            if head is None:
                return None
            if head.oldest_start > s:
                return None  # librrd would use a coarser archive: its error to give
            rows = _rows(fd, head, s, e)
            if os.pread(fd, head.size, 0) != buf[: head.size]:
                # someone wrote without librrd's lock: read again
                _lock_call(fd, _F_OFD_SETLK, fcntl.F_UNLCK)  # type: ignore[arg-type]
                locked = False
                continue
            return slots, rows if head.col_in == 0 else rows[:, ::-1]
    except OSError:
        return None
    finally:
        _close(fd, locked=locked)
    return None


def _librrd_totals(rows: Rates) -> tuple[float, float]:
    """``VDEF TOTAL`` per column: the left-to-right sum of the finite rates, times the step."""
    if rows.shape[0] == 0:
        return 0.0, 0.0
    finite = np.where(np.isfinite(rows), rows, 0.0)
    # accumulate is sequential by definition (np.sum is pairwise and differs
    # in the last bits); adding 0.0 for a skipped value leaves a running sum
    # unchanged, so the last partial sums are bit for bit librrd's loop
    sums = np.add.accumulate(finite, axis=0)[-1] * float(STEP)
    return float(sums[0]), float(sums[1])


def _series(rows: Rates, direction: Direction) -> Rates:
    if direction == "in":
        return rows[:, 0]
    if direction == "out":
        return rows[:, 1]
    if direction == "max":
        return np.maximum(rows[:, 0], rows[:, 1])  # NaN if either is, like librrd's MAX
    return rows[:, 0] + rows[:, 1]


def direct_figures(
    path: str,
    start: int,
    end: int,
    *,
    p: Fraction | None,
    direction: Direction,
    daemon: str | None,
) -> RawFigures | None:
    """The graphv path's figures from the file itself, or None to ask librrd."""
    flush(path, daemon)
    got = read_rows(path, start, end)
    if got is None:
        return None
    slots, rows = got
    total_in, total_out = _librrd_totals(rows)
    if p is None or slots == 0:
        return RawFigures(slots, total_in, total_out, 0, None, 0)
    series = _series(rows, direction)
    known = series[~np.isnan(series)]
    if known.size == 0:
        return RawFigures(slots, total_in, total_out, 0, None, 0)
    index = nearest_rank_index(int(known.size), p)
    value = float(np.partition(known, index)[index])
    return RawFigures(slots, total_in, total_out, int(known.size), value, 0)
