"""Bulk driver actions: one call, many BMCs, one result per host.

:func:`run_bulk` runs the same action on many drivers from a pool of
worker threads. Each host's call is bounded by its driver's own timeout,
so a dead BMC holds one worker for at most that long and never holds up
the others; ``timeout=`` additionally bounds the whole run. One host's
failure never raises: it is returned in that host's :class:`BulkResult`.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from hostlib.drivers.base import BootDevice, PowerDriver
from hostlib.errors import OperationTimeout, ValidationError

__all__ = ["ACTIONS", "BulkResult", "Progress", "run_bulk"]

#: action name -> whether it takes keyword arguments from ``run_bulk(kwargs=)``
ACTIONS: Mapping[str, frozenset[str]] = {
    "status": frozenset(),
    "power_on": frozenset({"wait"}),
    "power_off": frozenset({"wait"}),
    "shutdown": frozenset({"wait", "hard_after"}),
    "reboot": frozenset({"wait"}),
    "power_cycle": frozenset({"wait"}),
    "boot_device": frozenset(),
    "set_boot_device": frozenset({"device", "persistent"}),
    "lan_settings": frozenset({"channel"}),
}


@attrs.frozen
class BulkResult:
    """The outcome of one host's action.

    Attributes:
        host: the driver's host.
        port: the driver's port, where it has one.
        ok: True when the action succeeded.
        value: what the action returned (a PowerState, a BootDevice or None).
        error: the exception the action raised, never re-raised.
        elapsed: seconds the host's call took.
    """

    host: str
    ok: bool
    value: Any = None
    error: BaseException | None = None
    port: int | None = None
    elapsed: float = 0.0


Progress = Callable[[int, int, BulkResult], None]


def _check(action: str, kwargs: Mapping[str, Any], concurrency: int) -> dict[str, Any]:
    if action not in ACTIONS:
        raise ValidationError(f"unknown action {action!r}: use one of {', '.join(ACTIONS)}")
    extra = set(kwargs) - ACTIONS[action]
    if extra:
        allowed = ", ".join(sorted(ACTIONS[action])) or "none"
        raise ValidationError(
            f"action {action!r} does not take {', '.join(sorted(extra))}; it takes: {allowed}"
        )
    if action == "set_boot_device" and "device" not in kwargs:
        raise ValidationError("set_boot_device needs device= (pxe, disk, cdrom, bios, default)")
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValidationError(f"concurrency={concurrency!r} is not valid: give an integer >= 1")
    checked = dict(kwargs)
    if "device" in checked:
        checked["device"] = BootDevice.parse(checked["device"])
    return checked


def run_bulk(
    drivers: Sequence[PowerDriver],
    action: str,
    *,
    kwargs: Mapping[str, Any] | None = None,
    concurrency: int = 64,
    timeout: float | None = None,
    progress: Progress | None = None,
) -> list[BulkResult]:
    """Run ``action`` on every driver; return one result per driver, in order.

    Args:
        drivers: the drivers to act through (any :class:`PowerDriver`).
        action: one of :data:`ACTIONS`, e.g. ``"status"`` or ``"power_cycle"``.
        kwargs: keyword arguments for the action, e.g. ``{"device": "pxe"}``.
        concurrency: how many hosts are worked on at once.
        timeout: bound on the whole run in seconds; hosts not finished by
            then get an ``OperationTimeout`` result. By default each host
            is bounded only by its driver's own timeout.
        progress: called as ``progress(done, total, result)`` after each host.

    Raises:
        ValidationError: unknown action or bad arguments; nothing is sent.
    """
    call_kwargs = _check(action, kwargs or {}, concurrency)
    if timeout is not None and (isinstance(timeout, bool) or not timeout > 0):
        raise ValidationError(f"timeout={timeout!r} is not valid: give seconds > 0")
    total = len(drivers)
    results: list[BulkResult | None] = [None] * total
    done: queue.SimpleQueue[tuple[int, BulkResult]] = queue.SimpleQueue()
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for index in range(total):
        todo.put(index)

    def work() -> None:
        while True:
            try:
                index = todo.get_nowait()
            except queue.Empty:
                return
            done.put((index, _one(drivers[index], action, call_kwargs)))

    # Daemon workers: a call stuck past the run's timeout is abandoned, never
    # waited for, and cannot keep the interpreter from exiting.
    for _ in range(min(concurrency, total)):
        threading.Thread(target=work, name="hostlib-bulk", daemon=True).start()

    end = None if timeout is None else time.monotonic() + timeout
    for count in range(1, total + 1):
        try:
            wait = None if end is None else max(0.0, end - time.monotonic())
            index, result = done.get(timeout=wait)
        except queue.Empty:
            break
        results[index] = result
        if progress is not None:
            progress(count, total, result)
    return [
        result if result is not None else _timed_out(drivers[i], action, timeout)
        for i, result in enumerate(results)
    ]


def _one(driver: PowerDriver, action: str, kwargs: dict[str, Any]) -> BulkResult:
    port = getattr(driver, "port", None)
    start = time.monotonic()
    try:
        value = getattr(driver, action)(**kwargs)
    except Exception as exc:  # one host's failure is its result, whatever it is
        return BulkResult(driver.host, False, None, exc, port, time.monotonic() - start)
    return BulkResult(driver.host, True, value, None, port, time.monotonic() - start)


def _timed_out(driver: PowerDriver, action: str, timeout: float | None) -> BulkResult:
    error = OperationTimeout(
        f"{action} on {driver.host} did not finish within the bulk timeout of {timeout:g} s",
        host=driver.host,
    )
    return BulkResult(driver.host, False, None, error, getattr(driver, "port", None), timeout or 0)
