"""The traffic store against real RRD files, the rrdtool command and rrdcached.

Every file is written through ``TrafficStore`` (bindings, or rrdcached's
protocol) and checked with the ``rrdtool`` command (``fetch``, ``info``,
``lastupdate``) as an independent reader. Times are whole 5-minute slots
some days before now, so each test's samples are exact.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest

from hostlib.errors import ConflictError, NotFoundError, ValidationError
from hostlib.traffic import layout
from hostlib.traffic.figures import Direction
from hostlib.traffic.store import (
    DaemonError,
    DamagedFileError,
    Period,
    Sample,
    StorageError,
    TrafficStore,
)
from tests.rrd_support import (
    RRDCached,
    cli_fetch,
    cli_info,
    cli_last,
    cli_lastupdate,
    png_size,
    rrdcached,
)

__all__ = ["rrdcached"]  # the fixture, imported for pytest

DAY = 86_400
STEP = layout.STEP
NOW = int(time.time())
#: a whole day, three days back: updates at T + k*STEP are in the past
T = NOW - NOW % DAY - 3 * DAY
KB = 1000


def feed(
    store: TrafficStore, name: str, rates: list[tuple[float | None, float | None]], *, at: int = T
) -> list[tuple[str, int, int | None, int | None]]:
    """Rows that make counters grow by ``rate * STEP`` per slot from ``at`` (0 at ``at``)."""
    rows: list[tuple[str, int, int | None, int | None]] = [(name, at, 0, 0)]
    c_in = c_out = 0
    for number, (r_in, r_out) in enumerate(rates, 1):
        c_in += int((r_in or 0) * STEP)
        c_out += int((r_out or 0) * STEP)
        rows.append((name, at + number * STEP, c_in, c_out))
    return rows


@pytest.fixture
def store(tmp_path: Path) -> Iterator[TrafficStore]:
    with TrafficStore(tmp_path / "rrd") as s:
        yield s


def values(samples: list[Sample]) -> list[tuple[float | None, float | None]]:
    return [(s.in_bytes_s, s.out_bytes_s) for s in samples]


# -- layout -------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["", ".hidden", "a/b", "../x", "x" * 101, "a b", "srv\n", "é", 7, None]
)
def test_bad_names_are_refused(store: TrafficStore, name: object) -> None:
    with pytest.raises(ValidationError, match="not valid for a traffic file"):
        store.path(name)  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        store.create(name)  # type: ignore[arg-type]
    assert not store.root.exists() or not any(store.root.iterdir())


def test_rrd_path_is_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = layout.rrd_path(Path("rel"), "srv-1.a_b")
    assert path == tmp_path / "rel" / "srv-1.a_b.rrd"
    assert path.is_absolute()
    assert layout.rrd_path(tmp_path, "x" * 100).name == "x" * 100 + ".rrd"


def test_file_layout_as_documented(tmp_path: Path) -> None:
    store = TrafficStore(tmp_path, link_speed_bps=1_000_000_000)
    path = store.create("srv-1")
    info = cli_info(path)
    assert info["step"] == "300"
    for ds in ("in", "out"):
        assert info[f"ds[{ds}].type"] == "DERIVE"
        assert info[f"ds[{ds}].minimal_heartbeat"] == "600"
        assert float(info[f"ds[{ds}].min"]) == 0.0
        assert float(info[f"ds[{ds}].max"]) == 125_000_000.0  # 1 Gbit/s in bytes/s
    rras = [
        (info[f"rra[{i}].cf"], int(info[f"rra[{i}].pdp_per_row"]), int(info[f"rra[{i}].rows"]))
        for i in range(len(layout.ARCHIVES))
    ]
    assert rras == [(a.cf, a.steps, a.rows) for a in layout.ARCHIVES]
    assert f"rra[{len(layout.ARCHIVES)}].cf" not in info
    assert os.path.getsize(path) == layout.FILE_SIZE
    spans = {a.cf: a.span for a in layout.ARCHIVES}
    assert layout.ARCHIVES[0].span >= 35 * DAY
    assert spans["MAX"] >= 2 * 365 * DAY


def test_bad_link_speed() -> None:
    with pytest.raises(ValidationError, match="link_speed_bps"):
        TrafficStore("/tmp/x", link_speed_bps=0)
    with pytest.raises(ValidationError, match="link_speed_bps"):
        layout.definitions(link_speed_bps=1.5)  # type: ignore[arg-type]


# -- create -------------------------------------------------------------------


def test_create_conflict_and_exist_ok(store: TrafficStore) -> None:
    path = store.create("srv-1", start=T)
    store.update("srv-1", T + STEP, 1, 1)
    before = path.read_bytes()
    with pytest.raises(ConflictError, match="exist_ok=True"):
        store.create("srv-1")
    assert store.create("srv-1", exist_ok=True) == path
    assert path.read_bytes() == before
    assert store.names() == ["srv-1"]


def test_create_accepts_backfill(store: TrafficStore) -> None:
    store.create("srv-1")
    long_ago = NOW - NOW % STEP - 700 * DAY
    store.update("srv-1", long_ago, 0, 0)
    assert cli_last(store.path("srv-1")) == long_ago


def test_create_start_bounds_updates(store: TrafficStore) -> None:
    store.create("srv-1", start=datetime.fromtimestamp(T, UTC))
    with pytest.raises(ValidationError, match="not after its last update"):
        store.update("srv-1", T, 0, 0)
    store.update("srv-1", T + 1, 0, 0)


# -- update -------------------------------------------------------------------


def test_update_matches_rrdtool_fetch_and_lastupdate(store: TrafficStore) -> None:
    store.create("srv-1", start=T - STEP)
    rows = feed(store, "srv-1", [(1 * KB, 2 * KB), (3 * KB, 4 * KB), (5 * KB, 0)])
    for _, ts, c_in, c_out in rows:
        store.update("srv-1", ts, c_in, c_out)
    expected = [(1000.0, 2000.0), (3000.0, 4000.0), (5000.0, 0.0)]
    assert values(store.samples("srv-1", T, T + 3 * STEP)) == expected
    assert [(a, b) for _, a, b in cli_fetch(store.path("srv-1"), T, T + 3 * STEP)] == expected
    stamp, last = cli_lastupdate(store.path("srv-1"))
    assert stamp == T + 3 * STEP
    assert last == {"in": str(rows[-1][2]), "out": str(rows[-1][3])}


def test_update_with_aware_datetime(store: TrafficStore) -> None:
    store.create("srv-1", start=T - STEP)
    zone = datetime.fromtimestamp(T, UTC).astimezone(timezone(timedelta(hours=3)))
    store.update("srv-1", zone, 0, 0)
    store.update("srv-1", zone + timedelta(seconds=STEP), 300, 600)
    assert values(store.samples("srv-1", T, T + STEP)) == [(1.0, 2.0)]


def test_not_after_last_update_writes_nothing(store: TrafficStore) -> None:
    path = store.create("srv-1", start=T - STEP)
    store.update("srv-1", T, 0, 0)
    store.update("srv-1", T + STEP, 300, 300)
    before = path.read_bytes()
    for ts in (T + STEP, T):
        with pytest.raises(ValidationError, match="not after its last update") as info:
            store.update("srv-1", ts, 999_999, 999_999)
        assert "nothing was written" in str(info.value)
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("ts", "c_in", "c_out", "match"),
    [
        (datetime(2026, 1, 1), 0, 0, "no timezone"),
        (float(T), 0, 0, "Unix seconds"),
        (True, 0, 0, "Unix seconds"),
        (100, 0, 0, "out of range"),
        (NOW + 2 * STEP, 0, 0, "in the future"),
        (T, -1, 0, "in_octets"),
        (T, 0, 2**64, "out_octets"),
        (T, 1.5, 0, "in_octets"),
        (T, 0, "5", "out_octets"),
    ],
)
def test_bad_updates_are_refused(
    store: TrafficStore, ts: object, c_in: object, c_out: object, match: str
) -> None:
    path = store.create("srv-1", start=T - STEP)
    before = path.read_bytes()
    with pytest.raises(ValidationError, match=match):
        store.update("srv-1", ts, c_in, c_out)  # type: ignore[arg-type]
    assert path.read_bytes() == before


def test_update_unknown_server(store: TrafficStore) -> None:
    with pytest.raises(NotFoundError, match="does not exist"):
        store.update("nobody", T, 0, 0)
    assert not (store.root / "nobody.rrd").exists()


# -- counters: resets, wraps, spikes, gaps -------------------------------------


def run(store: TrafficStore, name: str, points: list[tuple[int, int | None, int | None]]) -> None:
    for ts, c_in, c_out in points:
        store.update(name, ts, c_in, c_out)


def test_counter_reset_is_unknown_not_traffic(store: TrafficStore) -> None:
    store.create("r", start=T - STEP)
    big = 5_000_000_000
    run(
        store,
        "r",
        [
            (T, big, big),
            (T + STEP, big + 300_000, big + 300_000),
            (T + 2 * STEP, 1_000, 1_000),  # rebooted: counter restarted
            (T + 3 * STEP, 301_000, 601_000),
        ],
    )
    expected = [(1000.0, 1000.0), (None, None), (1000.0, 2000.0)]
    assert values(store.samples("r", T, T + 3 * STEP)) == expected
    assert [(a, b) for _, a, b in cli_fetch(store.path("r"), T, T + 3 * STEP)] == expected


@pytest.mark.parametrize("bits", [32, 64])
def test_counter_wrap_is_unknown_for_one_interval(store: TrafficStore, bits: int) -> None:
    store.create("w", start=T - STEP)
    top = 2**bits
    run(
        store,
        "w",
        [
            (T, top - 400_000, top - 400_000),
            (T + STEP, top - 100_000, top - 100_000),  # +300,000: 1000 B/s
            (T + 2 * STEP, 200_000, 200_000),  # wrapped: 300,000 more, stored unknown
            (T + 3 * STEP, 500_000, 800_000),
        ],
    )
    expected = [(1000.0, 1000.0), (None, None), (1000.0, 2000.0)]
    assert values(store.samples("w", T, T + 3 * STEP)) == expected
    assert [(a, b) for _, a, b in cli_fetch(store.path("w"), T, T + 3 * STEP)] == expected


def test_64_bit_counters_keep_every_octet(store: TrafficStore) -> None:
    store.create("h", start=T - STEP)
    base = 2**64 - 10**12
    run(store, "h", [(T, base, base), (T + STEP, base + 300, base + 299_999_700)])
    assert values(store.samples("h", T, T + STEP)) == [(1.0, 999_999.0)]
    assert cli_lastupdate(store.path("h"))[1] == {
        "in": str(base + 300),
        "out": str(base + 299_999_700),
    }


def test_spike_above_link_speed_is_unknown(tmp_path: Path) -> None:
    store = TrafficStore(tmp_path, link_speed_bps=8_000_000)  # 1,000,000 bytes/s
    store.create("s", start=T - STEP)
    run(
        store,
        "s",
        [
            (T, 0, 0),
            (T + STEP, 300 * 1_000_000, 300 * 999_999),  # exactly the link speed: kept
            (T + 2 * STEP, 300 * 3_000_001, 300 * 1_999_999),  # 2,000,001 B/s: unknown
            (T + 3 * STEP, 300 * 3_000_002, 300 * 2_000_000),
        ],
    )
    expected = [(1_000_000.0, 999_999.0), (None, 1_000_000.0), (1.0, 1.0)]
    assert values(store.samples("s", T, T + 3 * STEP)) == expected
    assert [(a, b) for _, a, b in cli_fetch(store.path("s"), T, T + 3 * STEP)] == expected


def test_gap_longer_than_heartbeat_is_unknown(store: TrafficStore) -> None:
    store.create("g", start=T - STEP)
    run(
        store,
        "g",
        [
            (T, 0, 0),
            (T + STEP, 300_000, 300_000),
            # 600 s = heartbeat: still known, spread over both slots
            (T + 3 * STEP, 300_000 + 600 * 2_000, 300_000),
            # 900 s > heartbeat: the three slots are unknown, nothing is guessed
            (T + 6 * STEP, 9_999_999_999, 9_999_999_999),
            (T + 7 * STEP, 9_999_999_999 + 300, 9_999_999_999),
            (T + 8 * STEP, None, None),  # not polled
            (T + 9 * STEP, 9_999_999_999 + 600, 9_999_999_999),
        ],
    )
    expected: list[tuple[float | None, float | None]] = [
        (1000.0, 1000.0),
        (2000.0, 0.0),
        (2000.0, 0.0),
        (None, None),
        (None, None),
        (None, None),
        (1.0, 0.0),
        (None, None),
        (None, None),
    ]
    assert values(store.samples("g", T, T + 9 * STEP)) == expected
    assert [(a, b) for _, a, b in cli_fetch(store.path("g"), T, T + 9 * STEP)] == expected


# -- batches ------------------------------------------------------------------


def test_update_many_writes_each_file_once(store: TrafficStore) -> None:
    names = [f"srv-{i}" for i in range(20)]
    for name in names:
        store.create(name, start=T - STEP)
    rows = [row for i, n in enumerate(names) for row in feed(store, n, [(i * KB, KB)] * 3)]
    rows.reverse()  # any order: each server's rows are sorted by time
    report = store.update_many(rows)
    assert report.ok
    assert sorted(report.written) == sorted(names)
    for i, name in enumerate(names):
        assert values(store.samples(name, T, T + 3 * STEP)) == [(i * 1000.0, 1000.0)] * 3


def test_update_many_reports_failed_servers(store: TrafficStore) -> None:
    store.create("a", start=T - STEP)
    store.create("b", start=T + STEP)
    report = store.update_many(
        feed(store, "a", [(KB, KB)]) + feed(store, "b", [(KB, KB)]) + [("nobody", T, 0, 0)]
    )
    assert not report.ok
    assert report.written == ("a",)
    failed = {f.name: type(f.error) for f in report.failures}
    assert failed == {"b": ValidationError, "nobody": NotFoundError}
    assert cli_last(store.path("b")) == T + STEP  # nothing written for b


def test_update_many_checks_every_row_first(store: TrafficStore) -> None:
    path = store.create("a", start=T - STEP)
    before = path.read_bytes()
    with pytest.raises(ValidationError, match="two rows at"):
        store.update_many([("a", T, 0, 0), ("a", T, 1, 1)])
    with pytest.raises(ValidationError, match="not valid"):
        store.update_many([("a", T, 0, 0), ("a", T + STEP, -5, 0)])
    with pytest.raises(ValidationError, match="is not"):
        store.update_many([("a", T, 0)])  # type: ignore[list-item]
    assert path.read_bytes() == before


# -- rrdcached ----------------------------------------------------------------


def test_rrdcached_gives_the_same_samples(tmp_path: Path, rrdcached: RRDCached) -> None:
    direct = TrafficStore(tmp_path)
    cached = TrafficStore(rrdcached.base_dir, daemon=rrdcached.address)
    rates: list[tuple[float | None, float | None]] = [
        (KB * (i % 7), KB * (i % 5)) for i in range(40)
    ]
    rates[10] = (None, None)
    for store in (direct, cached):
        store.create("srv-1", start=T - STEP)
        store.create("srv-2", start=T - STEP)
        rows = feed(store, "srv-1", rates)
        rows[12] = ("srv-1", rows[12][1], None, None)
        for row in rows:
            store.update(*row)
        assert store.update_many(feed(store, "srv-2", rates[:5])).ok
    path = cached.path("srv-1")
    assert path.parent == rrdcached.base_dir
    assert len(rrdcached.pending(path)) == 41  # queued, not yet in the file
    assert all(a is None and b is None for _, a, b in cli_fetch(path, T, T + 40 * STEP))
    for name, n in (("srv-1", 40), ("srv-2", 5)):
        want = direct.samples(name, T, T + n * STEP)
        assert any(s.in_bytes_s for s in want)
        assert cached.samples(name, T, T + n * STEP) == want  # flushed first
        assert [(s.end, s.in_bytes_s, s.out_bytes_s) for s in want] == cli_fetch(
            cached.path(name), T, T + n * STEP
        )
    assert rrdcached.pending(path) == []
    assert cached.series("srv-1", Period.DAY, end=T + DAY) == direct.series(
        "srv-1", Period.DAY, end=T + DAY
    )


def test_rrdcached_refusals(rrdcached: RRDCached) -> None:
    store = TrafficStore(rrdcached.base_dir, daemon=rrdcached.address)
    store.create("a", start=T - STEP)
    with pytest.raises(ConflictError):
        store.create("a")
    store.create("a", exist_ok=True)
    store.update("a", T, 0, 0)
    with pytest.raises(ValidationError, match="not after its last update"):
        store.update("a", T, 1, 1)
    with pytest.raises(NotFoundError):
        store.update("nobody", T, 1, 1)
    long_rows = [("a", T + i * STEP, i * 300, i * 300) for i in range(1, 500)]
    assert store.update_many(long_rows).ok  # > 4 KiB of values for one file
    assert store.samples("a", T, T + 499 * STEP)[-1] == Sample(T + 499 * STEP, 1.0, 1.0)
    outside = TrafficStore(rrdcached.workdir / "elsewhere", daemon=rrdcached.address)
    with pytest.raises(StorageError, match="base directory"):
        outside.create("x")


def test_rrdcached_down_is_an_error(rrdcached: RRDCached) -> None:
    store = TrafficStore(rrdcached.base_dir, daemon=rrdcached.address)
    store.create("a", start=T - STEP)
    store.update("a", T, 0, 0)
    rrdcached.stop()
    with pytest.raises(DaemonError, match="cannot reach rrdcached"):
        store.update("a", T + STEP, 300, 300)
    with pytest.raises(DaemonError, match="cannot reach rrdcached"):
        store.samples("a", T, T + STEP)


def test_environment_address_is_honoured(
    rrdcached: RRDCached, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RRDCACHED_ADDRESS", rrdcached.address)
    store = TrafficStore(rrdcached.base_dir)
    assert store.daemon == rrdcached.address
    store.create("a", start=T - STEP)
    store.update("a", T, 0, 0)
    assert rrdcached.pending(store.path("a")) == [f"{T}:0:0"]


# -- views --------------------------------------------------------------------


@pytest.fixture(scope="module")
def year_store(tmp_path_factory: pytest.TempPathFactory) -> TrafficStore:
    """400 days of data: day ``d`` at ``(d % 7 + 1)`` KB/s in, twice that out."""
    store = TrafficStore(tmp_path_factory.mktemp("year"))
    end = NOW - NOW % DAY - DAY
    start = end - 400 * DAY
    store.create("y", start=start - STEP)
    rows: list[tuple[str, int, int | None, int | None]] = []
    c = 0
    for ts in range(start, end + 1, STEP):
        rows.append(("y", ts, c, 2 * c))
        c += STEP * KB * ((ts // DAY) % 7 + 1)
    assert store.update_many(rows).ok
    return store


def day_rate(row_end: int) -> float:
    return 8.0 * KB * (((row_end - 1) // DAY) % 7 + 1)


@pytest.mark.parametrize(
    ("period", "rows", "step"),
    [
        (Period.DAY, 288, 300),
        (Period.WEEK, 2016, 300),
        (Period.MONTH, 31 * 288, 300),
        (Period.YEAR, 365, 86_400),
    ],
)
def test_series_per_period(year_store: TrafficStore, period: Period, rows: int, step: int) -> None:
    end = NOW - NOW % DAY - DAY
    series = year_store.series("y", period, end=end)
    assert (len(series), series.step, series.period) == (rows, step, period)
    assert (series.start, series.end) == (end - period.seconds, end)
    stamps = [int(t.timestamp()) for t in series.timestamps]
    assert stamps == list(range(end - period.seconds + step, end + 1, step))
    assert all(t.tzinfo is UTC for t in series.timestamps)
    assert list(series.in_bps) == [day_rate(t) for t in stamps]
    assert list(series.out_bps) == [2 * day_rate(t) for t in stamps]
    assert year_store.series("y", period.name.lower(), end=end) == series


def test_series_picks_coarser_rows_further_back(year_store: TrafficStore) -> None:
    end = NOW - NOW % DAY - DAY
    assert year_store.series("y", Period.WEEK, end=end - 60 * DAY).step == 3600
    assert year_store.series("y", Period.WEEK, end=end - 150 * DAY).step == 86_400
    assert year_store.series("y", Period.DAY, end=end - 30 * DAY).step == 300


def test_series_unknown_stays_unknown(store: TrafficStore) -> None:
    store.create("u", start=T - STEP)
    run(store, "u", [(T, 0, 0), (T + STEP, 300, 300)])
    series = store.series("u", Period.DAY, end=T + DAY)
    assert series.in_bps[0] == 8.0
    assert series.in_bps[1:] == (None,) * 287
    frame = series.to_pandas()
    assert list(frame.columns) == ["in_bps", "out_bps"]
    assert isinstance(frame.index, pd.DatetimeIndex)
    assert str(frame.index.tz) == "UTC"
    assert frame.index[0] == datetime.fromtimestamp(T + STEP, UTC)
    assert frame["in_bps"].iloc[0] == 8.0
    assert frame["in_bps"].iloc[1:].isna().all()
    assert len(frame) == 288
    assert str(frame["out_bps"].dtype) == "float64"


def test_series_default_end_is_now(store: TrafficStore) -> None:
    store.create("n")
    series = store.series("n", Period.DAY)
    assert NOW - STEP <= series.end <= int(time.time())
    assert all(v is None for v in series.in_bps)


# -- graph --------------------------------------------------------------------


def test_graph_png_of_the_asked_size(year_store: TrafficStore, tmp_path: Path) -> None:
    end = NOW - NOW % DAY - DAY
    for period, (width, height) in ((Period.DAY, (640, 240)), (Period.YEAR, (1000, 400))):
        out = year_store.graph(
            "y", period, tmp_path / f"{period.label}.png", end=end, width=width, height=height
        )
        assert out.is_absolute()
        assert png_size(out) == (width, height)
    out = year_store.graph("y", Period.MONTH, tmp_path / "p95.png", end=end, percentile=95)
    assert png_size(out) == (800, 300)
    with pytest.raises(ValidationError, match="5-minute samples"):
        year_store.graph("y", Period.YEAR, tmp_path / "no.png", end=end, percentile=95)
    with pytest.raises(ValidationError, match="width"):
        year_store.graph("y", Period.DAY, tmp_path / "no.png", end=end, width=10)
    assert not (tmp_path / "no.png").exists()


def test_graph_through_rrdcached(rrdcached: RRDCached, tmp_path: Path) -> None:
    store = TrafficStore(rrdcached.base_dir, daemon=rrdcached.address)
    store.create("a", start=T - STEP)
    store.update_many(feed(store, "a", [(KB, KB)] * 20))
    out = store.graph("a", Period.DAY, tmp_path / "a.png", end=T + DAY, percentile=95)
    assert png_size(out) == (800, 300)
    assert rrdcached.pending(store.path("a")) == []


# -- errors on read -----------------------------------------------------------


def test_missing_file_is_not_found(store: TrafficStore, tmp_path: Path) -> None:
    for call in (
        lambda: store.series("ghost", Period.DAY),
        lambda: store.samples("ghost", T, T + STEP),
        lambda: store.graph("ghost", Period.DAY, tmp_path / "g.png"),
        lambda: store.flush("ghost"),
        lambda: store.total_bytes("ghost", T, T + STEP),
        lambda: store.percentile("ghost", T, T + STEP),
    ):
        with pytest.raises(NotFoundError, match="no traffic file for server 'ghost'"):
            call()
    assert not store.path("ghost").exists()
    assert not (tmp_path / "g.png").exists()


@pytest.mark.parametrize("damage", ["random", "truncated", "empty"])
def test_damaged_file_is_reported_and_left_alone(store: TrafficStore, damage: str) -> None:
    path = store.create("d", start=T - STEP)
    store.update("d", T, 0, 0)
    if damage == "random":
        path.write_bytes(os.urandom(4096))
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:100_000])
    else:
        path.write_bytes(b"")
    before = (path.read_bytes(), os.stat(path).st_mtime_ns)
    listing = sorted(store.root.iterdir())
    for call in (
        lambda: store.series("d", Period.DAY, end=T + DAY),
        lambda: store.samples("d", T, T + STEP),
        lambda: store.graph("d", Period.DAY, store.root / "d.png", end=T + DAY),
        lambda: store.update("d", T + STEP, 1, 1),
        lambda: store.total_bytes("d", T, T + STEP),
        lambda: store.percentile("d", T, T + STEP),
    ):
        with pytest.raises(DamagedFileError, match="is damaged"):
            call()
    assert (path.read_bytes(), os.stat(path).st_mtime_ns) == before
    assert sorted(store.root.iterdir()) == listing


def test_window_errors(store: TrafficStore) -> None:
    store.create("w", start=T - STEP)
    with pytest.raises(ValidationError, match="not before end"):
        store.samples("w", T + STEP, T)
    with pytest.raises(ValidationError, match="not before end"):
        store.samples("w", T, T)
    with pytest.raises(ValidationError, match="in the future"):
        store.samples("w", T, NOW + DAY)
    with pytest.raises(ValidationError, match="in the future"):
        store.series("w", Period.DAY, end=NOW + DAY)
    with pytest.raises(ValidationError, match="no timezone"):
        store.series("w", Period.DAY, end=datetime(2026, 1, 1))
    with pytest.raises(ValidationError, match="unknown period"):
        store.series("w", "fortnight")
    with pytest.raises(ValidationError, match="kept from"):
        store.samples("w", T - 60 * DAY, T)


def test_samples_window_is_half_open(store: TrafficStore) -> None:
    store.create("h", start=T - STEP)
    store.update_many(feed(store, "h", [(KB * (i + 1), 0) for i in range(6)]))
    got = store.samples("h", T + STEP, T + 3 * STEP)
    assert [s.end for s in got] == [T + 2 * STEP, T + 3 * STEP]
    assert [s.in_bytes_s for s in got] == [2000.0, 3000.0]
    # unaligned bounds: the sample ending at T+2*STEP starts before T+STEP+1
    got = store.samples("h", T + STEP + 1, T + 4 * STEP - 1)
    assert [s.end for s in got] == [T + 2 * STEP, T + 3 * STEP]
    assert math.isclose(sum(s.in_bytes_s or 0 for s in got) * STEP, 1_500_000)


# -- billing figures through the store ----------------------------------------


def pick(sample: Sample, direction: Direction) -> float:
    a, b = sample.in_bytes_s, sample.out_bytes_s
    assert a is not None
    assert b is not None
    return {"in": a, "out": b, "max": max(a, b), "sum": a + b}[direction]


def nearest_rank(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)), 1) - 1]


@pytest.mark.parametrize("daemon", [False, True])
def test_figures_agree_with_the_samples(tmp_path: Path, rrdcached: RRDCached, daemon: bool) -> None:
    store = (
        TrafficStore(rrdcached.base_dir, daemon=rrdcached.address)
        if daemon
        else TrafficStore(tmp_path)
    )
    store.create("f", start=T - STEP)
    rates: list[tuple[float | None, float | None]] = [
        (KB * ((i * 37) % 101), KB * ((i * 53) % 89)) for i in range(288)
    ]
    rows = feed(store, "f", rates)
    for k in (50, 51, 52, 200):  # unknown slots: counters not read
        rows[k] = ("f", rows[k][1], None, None)
    assert store.update_many(rows).ok
    for start, end in ((T, T + DAY), (T + 7 * STEP, T + 100 * STEP), (T + 1, T + DAY - 1)):
        got = cli_fetch(store.path("f"), start, end) if not daemon else None
        samples = store.samples("f", start, end)
        if got is not None:
            assert [(s.end, s.in_bytes_s, s.out_bytes_s) for s in samples] == got
        known = [s for s in samples if s.in_bytes_s is not None and s.out_bytes_s is not None]
        assert len(known) < len(samples)
        totals = store.total_bytes("f", start, end)
        assert totals.inbound == round(sum(s.in_bytes_s or 0 for s in samples) * STEP)
        assert totals.outbound == round(sum(s.out_bytes_s or 0 for s in samples) * STEP)
        directions: tuple[Direction, ...] = ("in", "out", "max", "sum")
        for direction in directions:
            want = nearest_rank([8 * pick(s, direction) for s in known], 95)
            assert store.percentile("f", start, end, 95, direction) == pytest.approx(want)
            both = store.billing_figures("f", start, end, 95, direction)
            assert both.totals == totals
            assert both.percentile_bps == pytest.approx(want)
    assert store.percentile("f", T, T + DAY) == store.percentile("f", T, T + DAY, 95, "max")
    with pytest.raises(ValidationError, match="in the future"):
        store.total_bytes("f", T, NOW + DAY)
    with pytest.raises(ValidationError, match="not before end"):
        store.percentile("f", T + DAY, T)


def test_update_waits_for_a_readers_lock(tmp_path: Path) -> None:
    """librrd refuses an update while a reader locks the file; the store waits briefly."""
    import threading

    from hostlib.traffic import _figures_direct

    store = TrafficStore(tmp_path)
    path = store.create("locked", start=T - STEP)
    store.update("locked", T, 0, 0)
    fd = os.open(path, os.O_RDONLY)
    assert _figures_direct._try_read_lock(fd)
    release = threading.Timer(0.05, os.close, args=(fd,))
    release.start()
    started = time.monotonic()
    store.update("locked", T + STEP, 300_000, 300_000)
    release.join()
    assert time.monotonic() - started >= 0.04
    assert [s.in_bytes_s for s in store.samples("locked", T, T + STEP)] == [1000.0]
