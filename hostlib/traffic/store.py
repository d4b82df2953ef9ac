"""The traffic store: one RRD file per server, written and read by name.

``TrafficStore(root)`` keeps ``<root>/<name>.rrd`` files of the layout in
:mod:`hostlib.traffic.layout` (step 300 s, ``in``/``out`` DERIVE data
sources in bytes/s, every 5-minute sample for 40 days, hourly and daily
AVERAGE and MAX archives for 100 and 800 days).

Time is Unix seconds (``int``) or a timezone-aware ``datetime``; a naive
``datetime`` is refused. Windows are half-open: a 5-minute sample counts when
its interval ends in ``(start, end]``. Times before 2000-01-01 are refused,
and so is a window that ends in the future (pass ``end=None`` for "up to
now"): a bill or view of time that has not happened is a mistake, and
clamping it would hide that.

With ``daemon=`` (an rrdcached address such as ``unix:/run/rrdcached.sock``;
when not given, the ``RRDCACHED_ADDRESS`` environment variable, which librrd
honours anyway), every create and update goes through the daemon and every
read first flushes the file through it, so reads see queued updates and no
direct write races a queued one (a direct update while values are queued
makes the later flush drop them silently). The daemon must see the files
at the same absolute paths; with ``rrdcached -B`` the root must lie under
its ``-b`` base directory.

Updates: counters are the interface's octet counters (non-negative
integers below 2**64, or ``None`` for "not polled"). A timestamp not after
the file's last update is refused with :class:`~hostlib.errors.ValidationError`
and nothing is written; a timestamp more than one step in the future is
refused too (it would lock out every real update until then).

Writes through rrdcached use its text protocol directly
(:mod:`hostlib.traffic._store_rrdcached`), not the bindings' ``--daemon``:
with librrd 1.7.2 the bindings' update returns without an error and writes
nothing when the daemon cannot be reached. Measured with 1,000 files on 2
cores: ``update_many`` 0.03-0.05 ms a file directly; through rrdcached one
BATCH 0.05 ms a file, about the same as one UPDATE per file on the kept
connection (0.02-0.04 ms) or the bindings' ``--daemon`` (0.04-0.05 ms): a
unix-socket round trip is cheap, so BATCH buys little here. A FLUSH before
a read costs 0.08-0.12 ms a file.
"""

from __future__ import annotations

import enum
import itertools
import math
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from hostlib.errors import HostlibError, NotFoundError, ValidationError
from hostlib.traffic import figures, layout
from hostlib.traffic._store_errors import (
    DaemonError,
    DamagedFileError,
    StorageError,
    map_rrd_error,
)
from hostlib.traffic._store_rrdcached import RRDCachedClient
from hostlib.traffic.figures import BillingFigures, Direction, TrafficTotals

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DaemonError",
    "DamagedFileError",
    "Period",
    "Sample",
    "Series",
    "StorageError",
    "TrafficStore",
    "TrafficTotals",
    "UpdateFailure",
    "UpdateReport",
    "to_epoch",
]

#: earliest time accepted anywhere: 2000-01-01T00:00:00Z
MIN_TIME = 946_684_800
#: latest time accepted anywhere: 2100-01-01T00:00:00Z
MAX_TIME = 4_102_444_800
#: how far back ``create()`` starts a file by default: the daily archives' span
DEFAULT_BACKFILL = 800 * 86_400
_COUNTER_LIMIT = 2**64

Counter = int | None
Row = tuple[str, "int | datetime", Counter, Counter]


_F = TypeVar("_F")


class Period(enum.Enum):
    """A view's length; its value is the length in seconds."""

    DAY = 86_400
    WEEK = 7 * 86_400
    MONTH = 31 * 86_400
    YEAR = 365 * 86_400

    @property
    def seconds(self) -> int:
        return int(self.value)

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: Period | str) -> Period:
        """Return the member for ``value`` (a member or its name, any case).

        Raises:
            ValidationError: not a period.
        """
        if isinstance(value, Period):
            return value
        if isinstance(value, str) and value.upper() in cls.__members__:
            return cls[value.upper()]
        raise ValidationError(f"unknown period {value!r}: use one of day, week, month, year")


def to_epoch(value: object, what: str = "time") -> int:
    """Return ``value`` (Unix seconds or an aware datetime) as Unix seconds.

    Raises:
        ValidationError: not an int or aware datetime, or before 2000 / after 2100.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValidationError(
                f"{what} {value.isoformat()} has no timezone: give an aware datetime "
                "(e.g. datetime.now(UTC)) or Unix seconds"
            )
        seconds = math.floor(value.timestamp())
    elif isinstance(value, int) and not isinstance(value, bool):
        seconds = value
    else:
        raise ValidationError(
            f"{what} {value!r} is not valid: give Unix seconds (int) or an aware datetime"
        )
    if not MIN_TIME <= seconds <= MAX_TIME:
        raise ValidationError(
            f"{what} {value!r} is out of range: give a time from 2000-01-01 to 2100-01-01 UTC"
        )
    return seconds


def _utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _counter(value: object, what: str) -> str:
    if value is None:
        return "U"
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < _COUNTER_LIMIT:
        raise ValidationError(
            f"{what} {value!r} is not valid: give the octet counter as an integer "
            "from 0 to 2**64-1, or None when it could not be read"
        )
    return str(value)


@attrs.frozen
class Sample:
    """One 5-minute sample as stored: bytes/s over the interval ending at ``end``.

    ``None`` means unknown (no data, gap over the heartbeat, counter reset
    or wrap, rate above the link speed).
    """

    end: int
    in_bytes_s: float | None
    out_bytes_s: float | None

    @property
    def start(self) -> int:
        return self.end - layout.STEP


def _bits(value: float | None) -> float | None:
    return None if value is None else value * 8.0


@attrs.frozen
class Series:
    """A traffic view: rows of bit/s over a period, from the finest archive covering it.

    ``timestamps[i]`` (UTC) is the end of row ``i``'s interval of ``step``
    seconds; ``in_bps[i]``/``out_bps[i]`` its average rate in bit/s, or
    ``None`` when unknown (never 0 in its place).
    """

    name: str
    period: Period
    start: int
    end: int
    step: int
    timestamps: tuple[datetime, ...]
    in_bps: tuple[float | None, ...]
    out_bps: tuple[float | None, ...]

    def __len__(self) -> int:
        return len(self.timestamps)

    def to_pandas(self) -> pd.DataFrame:
        """Return a DataFrame with a UTC DatetimeIndex and columns ``in_bps``, ``out_bps``.

        Unknown values are NaN. Needs pandas (``pip install hostlib[notebook]``).

        Raises:
            HostlibError: pandas is not installed.
        """
        try:
            import pandas as pd
        except ImportError as exc:
            raise HostlibError("to_pandas() needs pandas: pip install 'hostlib[notebook]'") from exc
        index = pd.DatetimeIndex(list(self.timestamps), name="time")
        if index.tz is None:
            index = index.tz_localize("UTC")

        def column(values: tuple[float | None, ...]) -> list[float]:
            return [math.nan if v is None else v for v in values]

        return pd.DataFrame(
            {"in_bps": column(self.in_bps), "out_bps": column(self.out_bps)},
            index=index,
            dtype="float64",
        )


@attrs.frozen
class UpdateFailure:
    """A server whose updates in a batch were refused; nothing was written for it."""

    name: str
    error: HostlibError


@attrs.frozen
class UpdateReport:
    """What :meth:`TrafficStore.update_many` wrote and which servers failed."""

    written: tuple[str, ...]
    failures: tuple[UpdateFailure, ...]

    @property
    def ok(self) -> bool:
        return not self.failures


@attrs.frozen
class _ArchiveInfo:
    cf: str
    resolution: int
    rows: int
    last_row_end: int

    @property
    def first_row_end(self) -> int:
        return self.last_row_end - (self.rows - 1) * self.resolution


class TrafficStore:
    """Traffic files of many servers under one root directory.

    Args:
        root: directory of the ``<name>.rrd`` files (made absolute).
        daemon: rrdcached address (``unix:/path`` or ``host:port``), or
            ``None`` to use ``$RRDCACHED_ADDRESS`` if set, else the files
            directly.
        link_speed_bps: link speed in bits/s for files this store creates;
            a rate above it is stored as unknown. 10 Gbit/s by default.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        daemon: str | None = None,
        link_speed_bps: int = layout.DEFAULT_LINK_SPEED_BPS,
    ) -> None:
        self.root = Path(root).absolute()
        layout.definitions(link_speed_bps=link_speed_bps)  # validates
        self.link_speed_bps = link_speed_bps
        if daemon is None:
            daemon = os.environ.get("RRDCACHED_ADDRESS") or None
        self.daemon = daemon
        self._client: RRDCachedClient | None = None
        if daemon is not None:
            if not isinstance(daemon, str):
                raise ValidationError(f"daemon={daemon!r} must be an address string")
            if any(ch.isspace() for ch in str(self.root)):
                raise ValidationError(
                    f"root {str(self.root)!r} contains white space, which the rrdcached "
                    "protocol cannot carry: choose a root without spaces"
                )
            try:
                self._client = RRDCachedClient(daemon)
            except DaemonError as exc:
                raise ValidationError(str(exc)) from exc

    def __repr__(self) -> str:
        via = f" daemon={self.daemon}" if self.daemon else ""
        return f"<TrafficStore {self.root}{via}>"

    def close(self) -> None:
        """Close the connection to rrdcached, if any (reopened when needed)."""
        if self._client is not None:
            self._client.close()

    def __enter__(self) -> TrafficStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- files ------------------------------------------------------------

    def path(self, name: str) -> Path:
        """Return the absolute path of ``name``'s file (which may not exist).

        Raises:
            ValidationError: bad server name.
        """
        return layout.rrd_path(self.root, name)

    def exists(self, name: str) -> bool:
        return self.path(name).is_file()

    def names(self) -> list[str]:
        """Return the sorted names of the servers that have a traffic file."""
        if not self.root.is_dir():
            return []
        return sorted(p.stem for p in self.root.glob("*.rrd") if p.is_file())

    def _existing(self, name: str) -> Path:
        path = self.path(name)
        if not path.is_file():
            raise NotFoundError(
                f"no traffic file for server {name!r} (looked for {path}): create it with "
                "TrafficStore.create(name) or check the name and the store's root"
            )
        return path

    def create(
        self,
        name: str,
        *,
        start: int | datetime | None = None,
        exist_ok: bool = False,
    ) -> Path:
        """Create ``name``'s traffic file and return its path.

        Args:
            start: updates must be later than this; by default 800 days ago,
                so history can be backfilled as far as the archives reach.
            exist_ok: an existing file is kept as it is instead of an error.

        Raises:
            ValidationError: bad name or start.
            ConflictError: the file exists and ``exist_ok`` is false.
            StorageError: rrdtool or rrdcached failed.
        """
        path = self.path(name)
        begin = int(time.time()) - DEFAULT_BACKFILL if start is None else to_epoch(start, "start")
        if exist_ok and path.is_file():
            return path
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot create directory {self.root}: {exc.strerror}") from exc
        args = layout.create_args(link_speed_bps=self.link_speed_bps, start=begin)
        if self._client is None:
            try:
                layout.create(path, link_speed_bps=self.link_speed_bps, start=begin)
            except HostlibError as exc:
                if exist_ok and path.is_file():
                    return path
                raise exc
            return path
        # rrdcached's CREATE takes -b/-s/-O instead of the long options.
        line = " ".join(
            ["CREATE", str(path), "-b", str(begin), "-s", str(layout.STEP), "-O"]
            + [a for a in args if a.startswith(("DS:", "RRA:"))]
        )
        status, message, _ = self._client.command(line)
        if status < 0:
            error = map_rrd_error(message, path, "create")
            if exist_ok and path.is_file():
                return path
            raise error
        return path

    # -- writing ----------------------------------------------------------

    def update(
        self,
        name: str,
        ts: int | datetime,
        in_octets: int | None,
        out_octets: int | None,
    ) -> None:
        """Store one reading of ``name``'s octet counters taken at ``ts``.

        Raises:
            ValidationError: bad name, time or counter; ``ts`` not after the
                last update or in the future. Nothing is written.
            NotFoundError: no file for ``name``.
            StorageError: rrdtool or rrdcached failed (DamagedFileError for
                a damaged file, DaemonError when rrdcached is unreachable).
        """
        path = self.path(name)
        value = self._value(name, ts, in_octets, out_octets, time.time())
        error = self._write([(path, [value])]).get(0)
        if error is not None:
            raise error

    def update_many(self, rows: Iterable[Row]) -> UpdateReport:
        """Store readings of many servers at once: ``(name, ts, in_octets, out_octets)``.

        All rows are checked before anything is written (a bad row raises
        :class:`~hostlib.errors.ValidationError` and nothing is written).
        Each server's rows are sorted by time and written in one update of
        its file; through rrdcached, the whole round is one BATCH. A server
        whose file refuses its update (missing, damaged, a time not after
        its last update) is reported in ``failures`` with nothing written
        for it; the others are written.
        """
        now = time.time()
        per_file: dict[str, list[tuple[int, str]]] = {}
        for number, row in enumerate(rows, 1):
            if not isinstance(row, tuple | list) or len(row) != 4:
                raise ValidationError(
                    f"row #{number} {row!r} is not (name, ts, in_octets, out_octets)"
                )
            name, ts, inbound, outbound = row
            layout.validate_name(name)
            value = self._value(name, ts, inbound, outbound, now)
            per_file.setdefault(name, []).append((int(value.split(":", 1)[0]), value))
        jobs: list[tuple[Path, list[str]]] = []
        names: list[str] = []
        for name, values in per_file.items():
            values.sort()
            for (t1, _), (t2, _) in itertools.pairwise(values):
                if t1 == t2:
                    raise ValidationError(
                        f"server {name!r} has two rows at {t1} in one batch; nothing was written"
                    )
            jobs.append((self.path(name), [v for _, v in values]))
            names.append(name)
        errors = self._write(jobs)
        return UpdateReport(
            written=tuple(n for i, n in enumerate(names) if i not in errors),
            failures=tuple(UpdateFailure(names[i], e) for i, e in sorted(errors.items())),
        )

    def _value(self, name: str, ts: object, inbound: object, outbound: object, now: float) -> str:
        seconds = to_epoch(ts, f"time of the reading for {name!r}")
        if seconds > now + layout.STEP:
            raise ValidationError(
                f"reading for {name!r} at {seconds} is in the future (now {int(now)}): "
                "check the poller's clock; a future update would block every later one"
            )
        in_text = _counter(inbound, f"in_octets for {name!r}")
        out_text = _counter(outbound, f"out_octets for {name!r}")
        return f"{seconds}:{in_text}:{out_text}"

    def _write(self, jobs: Sequence[tuple[Path, list[str]]]) -> dict[int, HostlibError]:
        errors: dict[int, HostlibError] = {}
        if self._client is not None:
            # rrdcached drops the connection on a line over 4 KiB: long value
            # lists go in several UPDATE commands, in time order.
            lines: list[str] = []
            owner: list[int] = []
            for index, (path, values) in enumerate(jobs):
                for chunk in _chunks(f"UPDATE {path}", values):
                    lines.append(chunk)
                    owner.append(index)
            if len(lines) == 1:
                status, message, _ = self._client.command(lines[0])
                failed = {0: message} if status < 0 else {}
            else:
                failed = self._client.batch(lines)
            for number, message in sorted(failed.items()):
                index = owner[number]
                if index not in errors:
                    errors[index] = map_rrd_error(message, jobs[index][0], "update")
            return errors
        import rrdtool

        for index, (path, values) in enumerate(jobs):
            # The bindings crash the process (SIGSEGV) on one update with
            # about 120,000 values; a backfill goes in slices.
            try:
                for first in range(0, len(values), _VALUES_PER_CALL):
                    _update_file(rrdtool, path, values[first : first + _VALUES_PER_CALL])
            except rrdtool.OperationalError as exc:
                errors[index] = map_rrd_error(exc, path, "update")
        return errors

    # -- reading ----------------------------------------------------------

    def flush(self, name: str) -> Path:
        """Make queued updates of ``name`` reach its file (no-op without a daemon).

        Raises:
            ValidationError, NotFoundError, DaemonError.
        """
        path = self._existing(name)
        if self._client is not None:
            status, message, _ = self._client.command(f"FLUSH {path}")
            if status < 0:
                raise map_rrd_error(message, path, "flush")
        return path

    def _window(self, start: object, end: object) -> tuple[int, int]:
        begin = to_epoch(start, "start")
        finish = to_epoch(end, "end")
        if begin >= finish:
            raise ValidationError(f"start {begin} is not before end {finish}: swap them")
        now = int(time.time())
        if finish > now:
            raise ValidationError(
                f"the window ends at {finish}, in the future (now {now}): give an end "
                "up to now (end=None in series() and graph() means now)"
            )
        return begin, finish

    def _archives(self, path: Path) -> list[_ArchiveInfo]:
        import rrdtool

        try:
            info: dict[str, Any] = rrdtool.info(str(path))
        except rrdtool.OperationalError as exc:
            raise map_rrd_error(exc, path, "read") from exc
        try:
            step = int(info["step"])
            last = int(info["last_update"])
            found = {k.split("]", 1)[0][4:] for k in info if k.startswith("rra[")}
            result = []
            for index in sorted(found, key=int):
                resolution = step * int(info[f"rra[{index}].pdp_per_row"])
                result.append(
                    _ArchiveInfo(
                        cf=str(info[f"rra[{index}].cf"]),
                        resolution=resolution,
                        rows=int(info[f"rra[{index}].rows"]),
                        last_row_end=last - last % resolution,
                    )
                )
            names = {k[3:-7] for k in info if k.startswith("ds[") and k.endswith("].index")}
        except (KeyError, ValueError, TypeError) as exc:
            raise DamagedFileError(
                f"traffic file {path} has an unreadable header ({exc}); restore it from a "
                "backup or create it again"
            ) from exc
        if step != layout.STEP or not {layout.DS_IN, layout.DS_OUT} <= names:
            raise StorageError(
                f"{path} is not a traffic file of this layout (step {step}, data sources "
                f"{sorted(names)}): expected step {layout.STEP} with data sources "
                f"{layout.DS_IN!r} and {layout.DS_OUT!r}"
            )
        return sorted(result, key=lambda a: a.resolution)

    def _fetch(
        self, path: Path, archive: _ArchiveInfo, first_end: int, last_end: int
    ) -> dict[int, tuple[float | None, float | None]]:
        """Return {row end: (in, out)} of ``archive`` for row ends in [first_end, last_end]."""
        import rrdtool

        last_end = min(last_end, archive.last_row_end)
        if last_end < first_end:
            return {}
        try:
            (begin, _end, step), ds_names, rows = rrdtool.fetch(
                str(path),
                archive.cf,
                "--resolution",
                str(archive.resolution),
                "--start",
                str(first_end - archive.resolution),
                "--end",
                str(last_end - 1),
            )
        except rrdtool.OperationalError as exc:
            raise map_rrd_error(exc, path, "read") from exc
        if step != archive.resolution:
            raise StorageError(
                f"rrdtool read {path} at {step} s rows where {archive.resolution} s were "
                "asked; the file's archives do not match the traffic layout"
            )
        i_in, i_out = ds_names.index(layout.DS_IN), ds_names.index(layout.DS_OUT)
        result: dict[int, tuple[float | None, float | None]] = {}
        for number, row in enumerate(rows):
            row_end = int(begin) + (number + 1) * step
            if first_end <= row_end <= last_end:
                result[row_end] = (row[i_in], row[i_out])
        return result

    def samples(self, name: str, start: int | datetime, end: int | datetime) -> list[Sample]:
        """Return the stored 5-minute samples whose interval ends in ``(start, end]``.

        Rates are bytes/s as stored; unknown is ``None``.

        Raises:
            ValidationError: bad name or window, or the window starts before
                the oldest 5-minute sample kept (40 days back from the last
                update).
            NotFoundError: no file for ``name``.
            StorageError: damaged file (DamagedFileError) or daemon failure.
        """
        begin, finish = self._window(start, end)
        path = self.flush(name)
        fine = next(
            (a for a in self._archives(path) if a.cf == "AVERAGE" and a.resolution == layout.STEP),
            None,
        )
        if fine is None:
            raise StorageError(f"{path} has no 5-minute AVERAGE archive")
        first_end = begin - begin % layout.STEP + layout.STEP
        last_end = finish - finish % layout.STEP
        if first_end < fine.first_row_end:
            raise ValidationError(
                f"5-minute samples of {name!r} are kept from {fine.first_row_end - layout.STEP} "
                f"on ({fine.rows} samples); the window starts at {begin}: ask for a later start"
            )
        rows = self._fetch(path, fine, first_end, last_end)
        return [
            Sample(t, *rows.get(t, (None, None)))
            for t in range(first_end, last_end + 1, layout.STEP)
        ]

    def series(self, name: str, period: Period | str, end: int | datetime | None = None) -> Series:
        """Return ``name``'s traffic over ``period`` up to ``end`` (now by default).

        Rows come from the finest AVERAGE archive that still holds the
        period's first row: 5-minute rows for a day, week or month (up to 40
        days back), hourly rows up to 100 days back, daily rows beyond
        (800 days). ``end`` is rounded down to a whole row.

        Raises:
            ValidationError: bad name, period or end (naive, future).
            NotFoundError: no file for ``name``.
            StorageError: damaged file (DamagedFileError) or daemon failure.
        """
        view = Period.parse(period)
        finish = int(time.time()) if end is None else to_epoch(end, "end")
        self._window(finish - view.seconds, finish)
        path = self.flush(name)
        candidates = [a for a in self._archives(path) if a.cf == "AVERAGE"]
        if not candidates:
            raise StorageError(f"{path} has no AVERAGE archive")
        archive = candidates[-1]
        for candidate in candidates:
            last_row = finish - finish % candidate.resolution
            if last_row - view.seconds + candidate.resolution >= candidate.first_row_end:
                archive = candidate
                break
        res = archive.resolution
        last_end = finish - finish % res
        first_end = last_end - view.seconds + res
        first_end += (-first_end) % res  # periods are whole days; keep rows aligned
        rows = self._fetch(path, archive, first_end, last_end)
        ends = range(first_end, last_end + 1, res)
        values = [rows.get(t, (None, None)) for t in ends]
        return Series(
            name=name,
            period=view,
            start=first_end - res,
            end=last_end,
            step=res,
            timestamps=tuple(_utc(t) for t in ends),
            in_bps=tuple(_bits(v[0]) for v in values),
            out_bps=tuple(_bits(v[1]) for v in values),
        )

    # -- graphs -----------------------------------------------------------

    def graph(
        self,
        name: str,
        period: Period | str,
        path: str | os.PathLike[str],
        *,
        end: int | datetime | None = None,
        width: int = 800,
        height: int = 300,
        percentile: float | None = None,
        direction: Direction = "max",
    ) -> Path:
        """Draw ``name``'s traffic over ``period`` into a PNG of ``width`` x ``height`` pixels.

        Inbound is drawn as an area, outbound as a line, in bit/s. With
        ``percentile=95`` a horizontal line marks the billing percentile
        (nearest rank over the known 5-minute samples, ``direction`` as in
        :meth:`percentile`), labelled with its rule; it needs 5-minute
        samples, so it is refused for a year view.

        Returns:
            The absolute path of the PNG written.

        Raises:
            ValidationError: bad name, period, size, percentile or end.
            NotFoundError: no file for ``name``.
            StorageError: damaged file, daemon failure, or rrdtool could not draw.
        """
        import rrdtool

        view = Period.parse(period)
        for label, value, low in (("width", width, 100), ("height", height, 60)):
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= 10000:
                raise ValidationError(
                    f"{label}={value!r} is not valid: give pixels from {low} to 10000"
                )
        finish = int(time.time()) if end is None else to_epoch(end, "end")
        begin, finish = self._window(finish - view.seconds, finish)
        if percentile is not None and view is Period.YEAR:
            raise ValidationError(
                "a percentile line needs 5-minute samples, kept for 40 days: "
                "draw it on a day, week or month view"
            )
        source = self.flush(name)
        out = Path(path).absolute()
        rule: list[str] = []
        if percentile is not None:
            try:
                line = self.percentile(name, begin, finish, percentile, direction)
            except NotFoundError:  # the file exists: no known sample in the window
                rule = [f"COMMENT:{percentile:g}th percentile\\: no known 5-minute sample"]
            else:
                rule = [
                    f"HRULE:{line!r}#CC0000:{percentile:g}th percentile "
                    f"({direction}, nearest rank of 5-min samples)\\: {_human_bps(line)}"
                ]
        args = [
            str(out),
            "--imgformat",
            "PNG",
            "--start",
            str(begin),
            "--end",
            str(finish),
            "--width",
            str(width),
            "--height",
            str(height),
            "--full-size-mode",
            "--title",
            f"{name}: traffic, last {view.label} (to {_utc(finish):%Y-%m-%d %H:%M} UTC)",
            "--vertical-label",
            "bit/s",
            "--base",
            "1000",
            "--lower-limit",
            "0",
            f"DEF:in_B={_escape(source)}:{layout.DS_IN}:AVERAGE",
            f"DEF:out_B={_escape(source)}:{layout.DS_OUT}:AVERAGE",
            "CDEF:in_b=in_B,8,*",
            "CDEF:out_b=out_B,8,*",
            "AREA:in_b#2E7D32:Inbound",
            "LINE1:out_b#1565C0:Outbound",
            *rule,
        ]
        try:
            rrdtool.graph(*args)
        except rrdtool.OperationalError as exc:
            raise map_rrd_error(exc, source, "graph") from exc
        return out

    # -- billing figures (hostlib.traffic.figures) ---------------------------

    def total_bytes(self, name: str, start: int | datetime, end: int | datetime) -> TrafficTotals:
        """Bytes in and out over the known 5-minute samples ending in ``(start, end]``.

        Unknown samples (gaps, resets, wraps, spikes) count as no traffic;
        see :func:`hostlib.traffic.figures.total_bytes`.

        Raises:
            ValidationError: bad name or window (start not before end, future
                end, naive datetime).
            NotFoundError: no file for ``name``, or the window is older than
                the 5-minute archive.
            StorageError: damaged file (DamagedFileError) or daemon failure.
        """
        return self._figure(
            name, start, end, lambda path, s, e: figures.total_bytes(path, s, e, daemon=self.daemon)
        )

    def percentile(
        self,
        name: str,
        start: int | datetime,
        end: int | datetime,
        p: float = 95,
        direction: Direction = "max",
    ) -> float:
        """The ``p``-th percentile in bit/s of ``name``'s 5-minute samples in ``(start, end]``.

        Nearest rank over the known samples (the billing convention: drop
        the top ``100 - p`` %, bill the highest left); ``direction`` is
        ``"in"``, ``"out"``, ``"max"`` (the larger of the two per sample, the
        default) or ``"sum"``. See :func:`hostlib.traffic.figures.percentile`.

        Raises:
            ValidationError: bad name, window, ``p`` or direction.
            NotFoundError: no file for ``name``, or no known sample in the window.
            StorageError: damaged file (DamagedFileError) or daemon failure.
        """
        return self._figure(
            name,
            start,
            end,
            lambda path, s, e: figures.percentile(path, s, e, p, direction, daemon=self.daemon),
        )

    def billing_figures(
        self,
        name: str,
        start: int | datetime,
        end: int | datetime,
        p: float = 95,
        direction: Direction = "max",
    ) -> BillingFigures:
        """Totals and the ``p``-th percentile of ``(start, end]`` together, in one pass.

        What a monthly invoice needs, at the cost of one rrdtool call where
        :meth:`total_bytes` plus :meth:`percentile` cost two. See
        :func:`hostlib.traffic.figures.billing_figures`.

        Raises:
            as :meth:`percentile`.
        """
        return self._figure(
            name,
            start,
            end,
            lambda path, s, e: figures.billing_figures(
                path, s, e, p, direction, daemon=self.daemon
            ),
        )

    def _figure(
        self,
        name: str,
        start: int | datetime,
        end: int | datetime,
        compute: Callable[[str, int, int], _F],
    ) -> _F:
        """Validate the window, flush, and compute a figure of ``name``'s file."""
        begin, finish = self._window(start, end)
        path = self.flush(name)
        try:
            return compute(str(path), begin, finish)
        except (NotFoundError, ValidationError):
            raise
        except HostlibError:
            self._archives(path)  # a damaged file raises DamagedFileError here
            raise


#: how long an update waits for a reader's lock on the file before failing
_LOCK_WAIT = 0.5


def _update_file(rrdtool: Any, path: Path, values: Sequence[str]) -> None:
    """One ``rrdtool.update``, retried while a reader holds the file's lock.

    librrd refuses an update at once ("could not lock RRD") while another
    reader or writer holds the file; the figures' direct reader holds it for
    tens of microseconds, so a short wait always gets through.
    """
    deadline = time.monotonic() + _LOCK_WAIT
    pause = 0.0005
    while True:
        try:
            rrdtool.update(str(path), *values)
            return
        except rrdtool.OperationalError as exc:
            if "could not lock" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.02)


_LINE_LIMIT = 4000
_VALUES_PER_CALL = 10_000


def _chunks(head: str, values: list[str]) -> Iterator[str]:
    line = head
    for value in values:
        if line != head and len(line) + 1 + len(value) > _LINE_LIMIT:
            yield line
            line = head
        line = f"{line} {value}"
    yield line


def _escape(path: Path) -> str:
    # rrdtool graph splits DEF arguments on ':'; the name itself has none.
    return str(path).replace(":", "\\:")


def _human_bps(value: float) -> str:
    if math.isnan(value):
        return "unknown"
    for factor, unit in ((1e9, "Gbit/s"), (1e6, "Mbit/s"), (1e3, "kbit/s")):
        if value >= factor:
            return f"{value / factor:.2f} {unit}"
    return f"{value:.0f} bit/s"
