"""The power driver contract, and a base class that derives it from four primitives.

Callers program against :class:`PowerDriver`, a short protocol. Driver
authors subclass :class:`BasePowerDriver` and implement four primitives
(read power, send a power action, read and set the boot device); the base
class adds everything that must behave the same in every driver:

* ``timeout`` is a wall-clock bound for each public call, retries and
  waiting included. Primitives receive the :class:`Deadline` and must not
  block past it.
* Retryable failures (``DriverError.retryable``: busy, lost packets) are
  retried with exponential backoff while time remains.
* Commands to one BMC (host and port) are spaced by at least
  ``min_interval`` seconds, across every driver object of the process.
* ``wait=True`` polls until the state is confirmed; ``shutdown(hard_after=)``
  falls back to a hard power off.

Reading the BMC's own LAN settings (:meth:`BasePowerDriver.lan_settings`)
is an optional capability, not part of :class:`PowerDriver`: a driver that
can read them implements ``_get_lan``; the others raise
:class:`~hostlib.errors.UnsupportedOperation`.
"""

from __future__ import annotations

import abc
import enum
import ipaddress
import logging
import random
import threading
import time
from collections.abc import Callable
from typing import ClassVar, Protocol, TypeVar, runtime_checkable

from hostlib.errors import DriverError, OperationTimeout, UnsupportedOperation, ValidationError
from hostlib.inventory import NetworkInterface, Secret, validate_host, validate_port

__all__ = [
    "BasePowerDriver",
    "BootDevice",
    "Deadline",
    "PowerAction",
    "PowerDriver",
    "PowerState",
]

T = TypeVar("T")

log = logging.getLogger(__name__)

# Get LAN Configuration Parameters (IPMI 2.0 section 23.2): NetFn Transport,
# and the parameters hostlib reads, with the length of each value.
NETFN_TRANSPORT = 0x0C
CMD_GET_LAN_CONFIG = 0x02
LAN_IP_ADDRESS = 3
LAN_MAC_ADDRESS = 5
LAN_SUBNET_MASK = 6
LAN_DEFAULT_GATEWAY = 12
LAN_PARAMETERS: dict[int, tuple[str, int]] = {
    LAN_IP_ADDRESS: ("IP address", 4),
    LAN_SUBNET_MASK: ("subnet mask", 4),
    LAN_DEFAULT_GATEWAY: ("default gateway address", 4),
    LAN_MAC_ADDRESS: ("MAC address", 6),
}


def lan_request(channel: int, parameter: int) -> bytes:
    """The request data of Get LAN Configuration Parameters for one parameter."""
    return bytes((channel & 0x0F, parameter, 0x00, 0x00))  # set selector 0, block 0


def validate_channel(channel: object) -> int:
    """Return ``channel`` if it is an IPMI channel number (an int from 0 to 15).

    Raises:
        ValidationError: anything else.
    """
    if isinstance(channel, bool) or not isinstance(channel, int) or not 0 <= channel <= 15:
        raise ValidationError(
            f"channel={channel!r} is not valid: give an IPMI channel number from 0 to 15 "
            "(the LAN channel is usually 1)"
        )
    return channel


def lan_interface(replies: dict[int, bytes], *, where: str, channel: int) -> NetworkInterface:
    """Build a NetworkInterface from Get LAN Configuration Parameters replies.

    Args:
        replies: parameter number -> response data after the completion
            code (parameter revision byte first) for each of
            :data:`LAN_PARAMETERS`.
        where: the BMC, for messages (``host:port``).
        channel: the channel read, for messages.

    The prefix comes from the subnet mask. A gateway of 0.0.0.0 means none.
    A gateway the address cannot reach (outside the network, or the BMC's
    own address) is dropped with a warning: the address and MAC are still
    worth having. A MAC of all zeros means unknown (None).

    Raises:
        UnsupportedOperation: the channel has no IP address (0.0.0.0), so
            there are no settings to report.
        DriverError: a reply is too short or the mask is not a netmask.
    """
    values: dict[int, bytes] = {}
    for param, (label, size) in LAN_PARAMETERS.items():
        data = replies[param]
        if len(data) < 1 + size:
            raise DriverError(
                f"{where} answered Get LAN Configuration Parameters {param} ({label}) with "
                f"{len(data)} bytes ({data.hex()}), too short for a {size}-byte value; the BMC "
                "is misbehaving"
            )
        values[param] = data[1 : 1 + size]
    ip = ipaddress.IPv4Address(values[LAN_IP_ADDRESS])
    if ip.is_unspecified:
        raise UnsupportedOperation(
            f"{where} reports no IP address on LAN channel {channel} (0.0.0.0): the channel is "
            "not configured, or still waiting for DHCP; check the channel number and the "
            "BMC's network setup"
        )
    mask = ipaddress.IPv4Address(values[LAN_SUBNET_MASK])
    try:
        address = ipaddress.IPv4Interface(f"{ip}/{mask}")
    except ValueError as exc:
        raise DriverError(
            f"{where} reports subnet mask {mask} on LAN channel {channel}, which is not a "
            "netmask; fix the BMC's network setup"
        ) from exc
    raw_mac = values[LAN_MAC_ADDRESS]
    mac = raw_mac.hex(":") if any(raw_mac) else None
    gateway: ipaddress.IPv4Address | None = ipaddress.IPv4Address(values[LAN_DEFAULT_GATEWAY])
    if gateway is not None and gateway.is_unspecified:
        gateway = None
    try:
        return NetworkInterface(address=address, gateway=gateway, mac=mac)
    except ValidationError as exc:
        log.warning(
            "%s reports default gateway %s on LAN channel %d, unusable with %s (%s); "
            "reporting no gateway",
            where,
            gateway,
            channel,
            address,
            exc,
        )
        return NetworkInterface(address=address, gateway=None, mac=mac)


class PowerState(enum.Enum):
    """Chassis power state as the BMC reports it."""

    ON = "on"
    OFF = "off"


class BootDevice(enum.Enum):
    """Boot device override. ``DEFAULT`` means no override is set."""

    DEFAULT = "default"
    PXE = "pxe"
    DISK = "disk"
    CDROM = "cdrom"
    BIOS = "bios"

    @classmethod
    def parse(cls, value: BootDevice | str) -> BootDevice:
        """Return the member for ``value`` (a member or its name/value, any case).

        Raises:
            ValidationError: not a known boot device.
        """
        if isinstance(value, BootDevice):
            return value
        if isinstance(value, str):
            try:
                return cls(value.lower())
            except ValueError:
                pass
        accepted = ", ".join(m.value for m in cls)
        raise ValidationError(f"unknown boot device {value!r}: use one of {accepted}")


class PowerAction(enum.Enum):
    """The chassis control commands a driver sends."""

    ON = "on"
    OFF = "off"
    SOFT_OFF = "soft"
    RESET = "reset"
    CYCLE = "cycle"


@runtime_checkable
class PowerDriver(Protocol):
    """What callers may rely on from any power driver."""

    @property
    def host(self) -> str: ...

    def status(self) -> PowerState: ...

    def power_on(self, *, wait: bool = False) -> None: ...

    def power_off(self, *, wait: bool = False) -> None: ...

    def shutdown(self, *, wait: bool = False, hard_after: float | None = None) -> None: ...

    def reboot(self, *, wait: bool = False) -> None: ...

    def power_cycle(self, *, wait: bool = False) -> None: ...

    def set_boot_device(self, device: BootDevice | str, *, persistent: bool = False) -> None: ...

    def boot_device(self) -> BootDevice: ...

    def close(self) -> None: ...


class Deadline:
    """A point on the monotonic clock that an operation must finish by."""

    __slots__ = ("at", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self.at - time.monotonic())

    def expired(self) -> bool:
        return time.monotonic() >= self.at

    def check(self, what: str, host: str | None = None) -> float:
        """Return the seconds left, or raise OperationTimeout if none are."""
        left = self.remaining()
        if left <= 0:
            raise OperationTimeout(
                f"{what} did not complete within {self.seconds:g} s; "
                "raise timeout= if the device is slow",
                host=host,
            )
        return left


def _positive(name: str, value: object, *, allow_zero: bool = False) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if ok and (value > 0 or (allow_zero and value == 0)):  # type: ignore[operator]
        return float(value)  # type: ignore[arg-type]
    bound = ">= 0" if allow_zero else "> 0"
    raise ValidationError(f"{name}={value!r} is not valid: give a number of seconds {bound}")


class _Throttle:
    """Keeps commands to one BMC at least ``interval`` seconds apart, process-wide."""

    _lock = threading.Lock()
    _next: ClassVar[dict[tuple[str, int], float]] = {}

    @classmethod
    def wait(cls, key: tuple[str, int], interval: float, deadline: Deadline) -> None:
        if interval <= 0:
            return
        with cls._lock:
            now = time.monotonic()
            slot = max(now, cls._next.get(key, 0.0))
            cls._next[key] = slot + interval
        delay = slot - now
        if delay > 0:
            if delay > deadline.remaining():
                raise OperationTimeout(
                    f"no command slot for {key[0]}:{key[1]} before the timeout "
                    f"(min_interval={interval:g} s)",
                    host=key[0],
                )
            time.sleep(delay)


class BasePowerDriver(abc.ABC):
    """Base for power drivers: subclasses implement the four ``_`` primitives.

    Args:
        host: BMC address (IP or DNS name).
        port: BMC port, 623 by default.
        username: BMC user.
        password: BMC password (str or :class:`~hostlib.inventory.Secret`).
        timeout: wall-clock bound of each public call, in seconds.
        retries: how many times a retryable failure is tried again.
        min_interval: least spacing of two commands to this BMC, in seconds.
        poll_interval: spacing of status reads while waiting for a state.
    """

    #: registered driver name, set by each subclass
    name: ClassVar[str] = ""

    def __init__(
        self,
        *,
        host: str,
        port: int = 623,
        username: str = "",
        password: str | Secret = "",
        timeout: float = 10.0,
        retries: int = 3,
        min_interval: float = 0.0,
        poll_interval: float = 1.0,
    ) -> None:
        self._host = validate_host(host)
        self.port = validate_port(port)
        if not isinstance(username, str):
            raise ValidationError("username must be a string")
        self.username = username
        self._password = password if isinstance(password, Secret) else Secret(password)
        self.timeout = _positive("timeout", timeout)
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValidationError(f"retries={retries!r} is not valid: give an integer >= 0")
        self.retries = retries
        self.min_interval = _positive("min_interval", min_interval, allow_zero=True)
        self.poll_interval = _positive("poll_interval", poll_interval)

    # -- primitives ---------------------------------------------------------

    @abc.abstractmethod
    def _get_power(self, deadline: Deadline) -> PowerState:
        """Read the chassis power state once."""

    @abc.abstractmethod
    def _send_power(self, action: PowerAction, deadline: Deadline) -> None:
        """Send one chassis control command."""

    @abc.abstractmethod
    def _get_boot(self, deadline: Deadline) -> BootDevice:
        """Read the boot device override once."""

    @abc.abstractmethod
    def _set_boot(self, device: BootDevice, persistent: bool, deadline: Deadline) -> None:
        """Set the boot device override once."""

    def _get_lan(self, channel: int, deadline: Deadline) -> NetworkInterface:
        """Read the BMC's own LAN settings on ``channel`` once (optional primitive)."""
        raise UnsupportedOperation(
            f"driver {self.name or type(self).__name__!r} cannot read BMC LAN settings; "
            "use an IPMI driver (ipmi, pyipmi) for that",
            host=self._host,
        )

    def close(self) -> None:
        """Release sessions and sockets; the driver may be used again afterwards."""
        return None

    # -- public contract ----------------------------------------------------

    @property
    def host(self) -> str:
        return self._host

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self.name or '?'} {self._host}:{self.port} "
            f"user={self.username!r}>"
        )

    def __enter__(self: T) -> T:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def status(self) -> PowerState:
        deadline = Deadline(self.timeout)
        return self._retry("status", self._get_power, deadline)

    def power_on(self, *, wait: bool = False) -> None:
        self._act(PowerAction.ON, PowerState.ON if wait else None)

    def power_off(self, *, wait: bool = False) -> None:
        self._act(PowerAction.OFF, PowerState.OFF if wait else None)

    def reboot(self, *, wait: bool = False) -> None:
        self._act(PowerAction.RESET, PowerState.ON if wait else None)

    def power_cycle(self, *, wait: bool = False) -> None:
        self._act(PowerAction.CYCLE, PowerState.ON if wait else None)

    def shutdown(self, *, wait: bool = False, hard_after: float | None = None) -> None:
        """Ask the OS to shut down (ACPI soft off).

        With ``hard_after=s`` the driver waits up to ``s`` seconds for the
        server to be off, then powers it off hard. The call is then bounded
        by ``hard_after + timeout``.
        """
        if hard_after is None:
            self._act(PowerAction.SOFT_OFF, PowerState.OFF if wait else None)
            return
        grace = _positive("hard_after", hard_after, allow_zero=True)
        deadline = Deadline(self.timeout + grace)
        self._retry("shutdown", lambda d: self._send_power(PowerAction.SOFT_OFF, d), deadline)
        if self._wait_for(PowerState.OFF, deadline, give_up_at=time.monotonic() + grace):
            return
        self._retry("power off", lambda d: self._send_power(PowerAction.OFF, d), deadline)
        if wait:
            self._confirm(PowerState.OFF, deadline, "power off")

    def set_boot_device(self, device: BootDevice | str, *, persistent: bool = False) -> None:
        dev = BootDevice.parse(device)
        if not isinstance(persistent, bool):
            raise ValidationError("persistent must be True or False")
        deadline = Deadline(self.timeout)
        self._retry("set boot device", lambda d: self._set_boot(dev, persistent, d), deadline)

    def boot_device(self) -> BootDevice:
        deadline = Deadline(self.timeout)
        return self._retry("boot device", self._get_boot, deadline)

    def lan_settings(self, channel: int = 1) -> NetworkInterface:
        """Return the BMC's own address/prefix, default gateway and MAC on ``channel``.

        An optional capability: it is not part of :class:`PowerDriver`, and
        drivers that cannot read LAN settings raise UnsupportedOperation.
        The call is bounded by ``timeout`` and retried like the others.

        Args:
            channel: the BMC's LAN channel number (0-15), usually 1.

        Raises:
            ValidationError: ``channel`` is not 0-15; nothing was sent.
            UnsupportedOperation: the driver or the BMC cannot report LAN
                settings, the channel is not a LAN channel, or it has no
                IP address.
        """
        number = validate_channel(channel)
        deadline = Deadline(self.timeout)
        return self._retry("lan settings", lambda d: self._get_lan(number, d), deadline)

    # -- machinery ----------------------------------------------------------

    def _act(self, action: PowerAction, expect: PowerState | None) -> None:
        deadline = Deadline(self.timeout)
        what = f"power {action.value}"
        self._retry(what, lambda d: self._send_power(action, d), deadline)
        if expect is not None:
            self._confirm(expect, deadline, what)

    def _confirm(self, expect: PowerState, deadline: Deadline, what: str) -> None:
        if not self._wait_for(expect, deadline, give_up_at=deadline.at):
            raise OperationTimeout(
                f"{what} was sent but the server was not {expect.value} within "
                f"{deadline.seconds:g} s; raise timeout= or call without wait=True",
                host=self._host,
            )

    def _wait_for(self, expect: PowerState, deadline: Deadline, *, give_up_at: float) -> bool:
        """Poll until the state is ``expect``; False once ``give_up_at`` passes."""
        while True:
            if self._retry("status", self._get_power, deadline) is expect:
                return True
            pause = min(self.poll_interval, give_up_at - time.monotonic())
            if pause <= 0:
                return False
            time.sleep(pause)

    def _retry(self, what: str, op: Callable[[Deadline], T], deadline: Deadline) -> T:
        key = (self._host, self.port)
        attempt = 0
        while True:
            deadline.check(what, self._host)
            _Throttle.wait(key, self.min_interval, deadline)
            try:
                return op(deadline)
            except DriverError as exc:
                if exc.host is None:
                    exc.host = self._host
                if not exc.retryable or attempt >= self.retries:
                    raise
                # Exponential backoff with jitter, never past the deadline.
                pause = min(0.05 * 2**attempt, 1.0) * (0.5 + random.random())
                if pause >= deadline.remaining():
                    raise
                time.sleep(pause)
                attempt += 1
