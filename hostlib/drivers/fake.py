"""In-memory power driver for tests, demos and notebooks (registered as "fake").

A :class:`FakeBMC` holds one server's power state, boot device and
credentials, and a :class:`~hostlib.drivers.faults.FaultPlan`. Drivers made
by name (``power_driver("fake", host=...)``) share one FakeBMC per host and
port for the life of the process, so two driver objects see the same
server, as they would on real hardware.
"""

from __future__ import annotations

import threading
import time
from typing import ClassVar

import attrs

from hostlib.drivers.base import BasePowerDriver, BootDevice, Deadline, PowerAction, PowerState
from hostlib.drivers.faults import FaultPlan
from hostlib.errors import (
    AuthenticationError,
    BmcBusy,
    OperationTimeout,
    UnreachableError,
    UnsupportedOperation,
)
from hostlib.inventory import NetworkInterface, Secret

__all__ = ["FakeBMC", "FakePowerDriver"]


@attrs.define(eq=False)
class FakeBMC:
    """The server behind a fake driver: state, credentials and faults.

    Attributes:
        soft_off_delay: seconds the simulated OS takes to honour ACPI shutdown.
        acpi: False makes the OS ignore soft shutdown (tests ``hard_after``).
        lan: the BMC's own LAN settings, as ``lan_settings()`` reports them;
            None makes that call UnsupportedOperation, as for a BMC that
            cannot report them.
        lan_channel: the one channel number that has those settings.
        calls: every operation received, in order, e.g. ``"power on"``.
    """

    username: str = "admin"
    password: Secret = attrs.field(default=Secret("secret"), converter=Secret)
    power: PowerState = PowerState.OFF
    boot_device: BootDevice = BootDevice.DEFAULT
    boot_persistent: bool = False
    soft_off_delay: float = 0.0
    acpi: bool = True
    lan: NetworkInterface | None = None
    lan_channel: int = 1
    faults: FaultPlan = attrs.Factory(FaultPlan)
    calls: list[str] = attrs.Factory(list)
    _off_at: float | None = attrs.field(default=None, repr=False)
    _lock: threading.Lock = attrs.field(factory=threading.Lock, repr=False)

    @property
    def power_state(self) -> PowerState:
        with self._lock:
            if self._off_at is not None and time.monotonic() >= self._off_at:
                self.power, self._off_at = PowerState.OFF, None
            return self.power

    @power_state.setter
    def power_state(self, value: PowerState) -> None:
        with self._lock:
            self.power, self._off_at = value, None

    def apply(self, action: PowerAction) -> None:
        """Carry out one chassis control command."""
        with self._lock:
            if action is PowerAction.SOFT_OFF:
                if self.acpi and self.power is PowerState.ON and self._off_at is None:
                    self._off_at = time.monotonic() + self.soft_off_delay
                return
            self._off_at = None
            if action is PowerAction.OFF:
                self.power = PowerState.OFF
            elif action in (PowerAction.ON, PowerAction.CYCLE):
                self.power = PowerState.ON
            # RESET leaves an off server off, as real chassis do.


class FakePowerDriver(BasePowerDriver):
    """Power driver over a :class:`FakeBMC`, with the same errors as real drivers.

    Args:
        bmc: the fake server to drive; by default the process-wide FakeBMC
            of ``(host, port)``, created on first use.
        (other keywords as :class:`~hostlib.drivers.base.BasePowerDriver`)
    """

    name = "fake"
    _shared: ClassVar[dict[tuple[str, int], FakeBMC]] = {}
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        *,
        host: str,
        port: int = 623,
        username: str = "admin",
        password: str | Secret = "secret",
        timeout: float = 10.0,
        retries: int = 3,
        min_interval: float = 0.0,
        poll_interval: float = 0.05,
        bmc: FakeBMC | None = None,
    ) -> None:
        super().__init__(
            host=host,
            port=port,
            username=username,
            password=password,
            timeout=timeout,
            retries=retries,
            min_interval=min_interval,
            poll_interval=poll_interval,
        )
        if bmc is None:
            with self._shared_lock:
                bmc = self._shared.setdefault((self.host, self.port), FakeBMC())
        self.bmc = bmc

    @classmethod
    def forget_all(cls) -> None:
        """Drop every shared FakeBMC (for test isolation)."""
        with cls._shared_lock:
            cls._shared.clear()

    def _exchange(self, what: str, deadline: Deadline) -> None:
        """Play the faults of one request/response exchange, then log it."""
        faults = self.bmc.faults
        if faults.silent or faults.latency >= deadline.remaining():
            time.sleep(deadline.remaining())
            raise UnreachableError(
                f"no answer from {self.host}:{self.port} within {deadline.seconds:g} s; "
                "check the address and that the BMC is powered and on the network"
            )
        if faults.latency:
            time.sleep(faults.latency)
        if faults.reject_auth or (
            self.username != self.bmc.username or self._password != self.bmc.password
        ):
            raise AuthenticationError(
                f"{self.host}:{self.port} refused user {self.username!r}: check the "
                "user name and password"
            )
        if faults.take_out_of_sessions():
            raise BmcBusy(f"{self.host}:{self.port} has no free session slot")
        if faults.hang:
            time.sleep(deadline.remaining())
            raise OperationTimeout(
                f"{what} on {self.host}:{self.port} got no reply within "
                f"{deadline.seconds:g} s; raise timeout= if the BMC is slow"
            )
        if faults.take_busy():
            raise BmcBusy(f"{self.host}:{self.port} answered node busy to {what}")
        self.bmc.calls.append(what)

    def _get_power(self, deadline: Deadline) -> PowerState:
        self._exchange("status", deadline)
        return self.bmc.power_state

    def _send_power(self, action: PowerAction, deadline: Deadline) -> None:
        self._exchange(f"power {action.value}", deadline)
        self.bmc.apply(action)

    def _get_boot(self, deadline: Deadline) -> BootDevice:
        self._exchange("get boot device", deadline)
        return self.bmc.boot_device

    def _set_boot(self, device: BootDevice, persistent: bool, deadline: Deadline) -> None:
        self._exchange("set boot device", deadline)
        self.bmc.boot_device = device
        self.bmc.boot_persistent = persistent

    def _get_lan(self, channel: int, deadline: Deadline) -> NetworkInterface:
        self._exchange("lan settings", deadline)
        lan = self.bmc.lan
        if lan is None or channel != self.bmc.lan_channel:
            which = "reports no LAN settings" if lan is None else "has no LAN channel"
            raise UnsupportedOperation(
                f"{self.host}:{self.port} {which} on channel {channel}"
                + (f"; its LAN channel is {self.bmc.lan_channel}" if lan is not None else "")
            )
        return lan
