"""Bulk actions over many drivers."""

from __future__ import annotations

import time

import pytest

from hostlib.drivers.base import BootDevice, PowerState
from hostlib.drivers.fake import FakeBMC, FakePowerDriver
from hostlib.errors import BmcBusy, OperationTimeout, UnreachableError, ValidationError
from hostlib.fleet import BulkResult, run_bulk


def _rack(n: int, **driver_settings: float) -> tuple[list[FakeBMC], list[FakePowerDriver]]:
    bmcs = [FakeBMC() for _ in range(n)]
    drivers = [
        FakePowerDriver(host=f"127.0.0.{i + 1}", bmc=bmc, **driver_settings)  # type: ignore[arg-type]
        for i, bmc in enumerate(bmcs)
    ]
    return bmcs, drivers


def test_status_of_many_in_input_order() -> None:
    bmcs, drivers = _rack(20)
    for bmc in bmcs[::2]:
        bmc.power_state = PowerState.ON
    results = run_bulk(drivers, "status", concurrency=4)
    assert [r.host for r in results] == [d.host for d in drivers]
    assert all(r.ok and r.error is None for r in results)
    assert [r.value for r in results] == [
        PowerState.ON if i % 2 == 0 else PowerState.OFF for i in range(20)
    ]


def test_one_host_failing_is_a_result_not_an_exception() -> None:
    bmcs, drivers = _rack(5, timeout=1.0)
    bmcs[2].faults.reject_auth = True
    bmcs[3].faults.busy = 100
    results = run_bulk(drivers, "power_on")
    assert [r.ok for r in results] == [True, True, False, False, True]
    assert type(results[2].error).__name__ == "AuthenticationError"
    assert isinstance(results[3].error, BmcBusy)
    assert bmcs[4].power_state is PowerState.ON


def test_dead_bmc_does_not_hold_up_the_others() -> None:
    bmcs, drivers = _rack(30, timeout=1.5)
    bmcs[0].faults.silent = True
    start = time.monotonic()
    seen: list[tuple[float, BulkResult]] = []
    results = run_bulk(
        drivers,
        "status",
        concurrency=4,
        progress=lambda done, total, r: seen.append((time.monotonic() - start, r)),
    )
    assert isinstance(results[0].error, UnreachableError)
    healthy_done = [t for t, r in seen if r.ok]
    assert len(healthy_done) == 29
    assert max(healthy_done) < 1.0  # finished long before the dead host's timeout


def test_progress_reports_every_host() -> None:
    _, drivers = _rack(7)
    calls: list[tuple[int, int]] = []
    run_bulk(drivers, "status", progress=lambda done, total, r: calls.append((done, total)))
    assert calls == [(i, 7) for i in range(1, 8)]


def test_overall_timeout_returns_timeouts_for_unfinished_hosts() -> None:
    bmcs, drivers = _rack(3, timeout=5.0)
    bmcs[1].faults.hang = True
    start = time.monotonic()
    results = run_bulk(drivers, "status", timeout=0.5)
    assert time.monotonic() - start < 1.5
    assert results[0].ok
    assert results[2].ok
    assert isinstance(results[1].error, OperationTimeout)
    assert "bulk timeout" in str(results[1].error)


def test_set_boot_device_with_arguments() -> None:
    bmcs, drivers = _rack(3)
    results = run_bulk(drivers, "set_boot_device", kwargs={"device": "pxe", "persistent": True})
    assert all(r.ok for r in results)
    assert all(b.boot_device is BootDevice.PXE and b.boot_persistent for b in bmcs)


@pytest.mark.parametrize(
    ("action", "kwargs"),
    [
        ("explode", {}),
        ("status", {"wait": True}),
        ("set_boot_device", {}),
        ("set_boot_device", {"device": "floppy"}),
        ("power_on", {"colour": "red"}),
    ],
)
def test_bad_requests_send_nothing(action: str, kwargs: dict[str, object]) -> None:
    bmcs, drivers = _rack(2)
    with pytest.raises(ValidationError):
        run_bulk(drivers, action, kwargs=kwargs)
    assert all(not b.calls for b in bmcs)


@pytest.mark.parametrize("concurrency", [0, -1, True, 2.5])
def test_bad_concurrency(concurrency: object) -> None:
    _, drivers = _rack(1)
    with pytest.raises(ValidationError, match="concurrency"):
        run_bulk(drivers, "status", concurrency=concurrency)  # type: ignore[arg-type]


def test_empty_fleet() -> None:
    assert run_bulk([], "status") == []
