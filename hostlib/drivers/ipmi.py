"""IPMI-over-LAN power driver built on pyghmi (registered as ``"ipmi"``).

How it uses pyghmi
------------------
* Sessions come from pyghmi's ``Session`` (RMCP+, suite 17 first; pyghmi
  itself falls back to suite 3 when a BMC *rejects* 17). Some BMCs (pyghmi's
  own server among them) accept 17 at Open Session and then answer RAKP 2
  with a SHA-1 hash: pyghmi would crash on the short reply (``struct.error``
  in whatever thread reads it) or, with a padded one, report "Incorrect
  password provided". :class:`_Session` turns the short reply into a login
  error; on either the driver logs in again with suite 3 and, if that
  works, keeps using 3 for this driver. ``cipher_suites`` orders and
  restricts the suites tried; with 17 alone such a BMC is
  :class:`UnsupportedOperation`.
* The four primitives are the chassis commands themselves, sent with
  ``Session.raw_command``: Get Chassis Status, Chassis Control, and
  Get/Set System Boot Options parameter 5. pyghmi's ``Command.set_power``
  was not used: it first asks Get Device ID to pick an OEM handler, reads
  the power state before every change, loses the completion code of a
  failure (so "node busy" and "invalid command" look alike), and its
  ``"boot"`` is "on, or reset if on", not a power cycle. The codes and
  names still come from pyghmi's tables: ``power_states`` for on / off /
  shutdown / reset (cycle is Chassis Control 0x02) and ``boot_devices`` for
  network / hd / cd / setup / default. The UEFI/legacy bit is left as
  pyghmi leaves it (not set).
* ``lan_settings()`` sends Get LAN Configuration Parameters (NetFn 0x0C,
  command 0x02) for parameters 3, 6, 12 and 5 (address, mask, gateway,
  MAC) in one worker on the same session, rather than pyghmi's
  ``get_net_configuration``, which asks more, hides completion codes and
  returns strings.
* One pyghmi session per driver object is kept between calls and replaced
  when it broke or sat idle longer than ``session_idle`` seconds (BMCs drop
  idle sessions after about 60 s, and pyghmi only sends keepalives while
  some thread is inside pyghmi). A BMC that forgot a session (reboot,
  its own idle timeout) drops its packets without a word, and pyghmi would
  notice only through its retry timers and log in again by itself, about
  6 s later. So the first command of a call on a kept session is a
  read-only one sent with a short wait (4x the slowest recent reply, 0.25
  to 1.5 s; a write is preceded by Get Chassis Status); no reply means the
  session is dropped and the driver logs in again at once, within the same
  deadline: 0.25 s on loopback. pyghmi hands the same
  session object to every driver with equal host, port and credentials;
  the driver counts those users and logs out only when the last one closes.

Time bound
----------
pyghmi calls block for as long as pyghmi's own retry logic decides (a
login that never completes takes about 5 s; a hung command with pyghmi's
automatic re-login well over 10 s), and parts of a login run synchronously
inside whatever thread processes the reply. So every pyghmi call runs in a
short-lived worker thread and the caller waits at most
``deadline.remaining()``. When the deadline passes, the caller tells the
session to give up at its next retry (``maxtimeout`` and ``logontries`` set
to zero), so the worker ends within one pyghmi retry interval (under
1.5 s) and then discards the session. At most one pyghmi call per BMC
endpoint runs at a time (a process-wide lock per host and port, held by the
worker), so abandoned workers cannot pile up: a call that finds the
previous one still running waits for it within its own deadline. No
thread outlives its pyghmi call, and no session outlives its driver.

Error mapping
-------------
==========================================  =========================
pyghmi / BMC                                 hostlib
==========================================  =========================
"Incorrect password", "Unauthorized name",   AuthenticationError
role refused, completion code 0xD4
not a single reply (closed port, dead BMC,   UnreachableError
replies slower than the whole timeout)
answered, then did not finish in time        OperationTimeout
completion code 0xC1, 0xC2, 0xC9, 0xCC,      UnsupportedOperation
0xD5, 0xD6, 0x80; no common cipher suite
0xC0 node busy, 0xC3, 0xCE, 0xCF; "no free   BmcBusy (retried by base)
session slot" at Open Session
anything else                                DriverError
==========================================  =========================

pyghmi's lost wakeup
--------------------
pyghmi's shared I/O thread can leave a reply that already arrived unseen
until the 0.5-1.0 s retry timer fires, and it toggles the shared socket's
blocking flag from two threads. :mod:`hostlib.drivers._pyghmi_io` replaces
the three I/O helpers involved (nothing else) the first time a driver is
made; see its docstring for the reasoning. Measured here (2 cores, 50
SimulatedBMCs in one rack, ``status`` through 50 fresh drivers from 16
threads, 20 runs each): without the repair 6 of 20 runs had a call stalled
0.5-1.0 s (mean 0.30 s, worst 1.01 s a run); with it none (mean 0.09 s,
worst 0.12 s). ``tests/test_driver_ipmi.py::test_no_stalls_under_threads``
keeps it so.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import select
import socket
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, TypeVar

from pyghmi import exceptions as pyghmi_exceptions
from pyghmi.ipmi import command as pyghmi_command
from pyghmi.ipmi.private import session as pyghmi_session
from pyghmi.ipmi.private import util as pyghmi_util

from hostlib._resolve import NO_SUCH_NAME, resolve
from hostlib.drivers import _pyghmi_io
from hostlib.drivers import _rmcp as rmcp
from hostlib.drivers.base import (
    CMD_GET_LAN_CONFIG,
    LAN_PARAMETERS,
    NETFN_TRANSPORT,
    BasePowerDriver,
    BootDevice,
    Deadline,
    PowerAction,
    PowerState,
    lan_interface,
    lan_request,
)
from hostlib.errors import (
    AuthenticationError,
    BmcBusy,
    DriverError,
    OperationTimeout,
    UnreachableError,
    UnsupportedOperation,
    ValidationError,
)
from hostlib.inventory import NetworkInterface, Secret

__all__ = ["IpmiPowerDriver"]

log = logging.getLogger(__name__)

T = TypeVar("T")

_NETFN_CHASSIS = 0x00
_CMD_CHASSIS_STATUS = 0x01
_CMD_CHASSIS_CONTROL = 0x02
_CMD_SET_BOOT_OPTIONS = 0x08
_CMD_GET_BOOT_OPTIONS = 0x09
_BOOT_FLAGS = 5
_BOOT_INFO_ACK = 3

_POWER_CODES: dict[PowerAction, int] = {
    PowerAction.ON: pyghmi_command.power_states["on"],
    PowerAction.OFF: pyghmi_command.power_states["off"],
    PowerAction.SOFT_OFF: pyghmi_command.power_states["shutdown"],
    PowerAction.RESET: pyghmi_command.power_states["reset"],
    # pyghmi's "boot" is "on, or reset if on"; a real cycle is code 2.
    PowerAction.CYCLE: 0x02,
}

_BOOT_NAMES: dict[BootDevice, str] = {
    BootDevice.DEFAULT: "default",
    BootDevice.PXE: "network",
    BootDevice.DISK: "hd",
    BootDevice.CDROM: "cd",
    BootDevice.BIOS: "setup",
}
_FROM_PYGHMI_NAME: dict[str, BootDevice] = {
    "default": BootDevice.DEFAULT,
    "network": BootDevice.PXE,
    "hd": BootDevice.DISK,
    "safe": BootDevice.DISK,
    "optical": BootDevice.CDROM,
    "setup": BootDevice.BIOS,
}

# Commands that change nothing: safe to send again on a new session.
_READ_ONLY = frozenset(
    {
        (_NETFN_CHASSIS, _CMD_CHASSIS_STATUS),
        (_NETFN_CHASSIS, _CMD_GET_BOOT_OPTIONS),
        (NETFN_TRANSPORT, CMD_GET_LAN_CONFIG),
    }
)
# How long a session kept from an earlier call gets to answer before it is
# taken for forgotten by the BMC (see IpmiPowerDriver._probe).
_PROBE_MIN = 0.25
_PROBE_MAX = 1.5

_UNSUPPORTED_CODES = frozenset({0x80, 0xC1, 0xC2, 0xC9, 0xCC, 0xD5, 0xD6})
_BUSY_CODES = frozenset({0xC0, 0xC3, 0xCE, 0xCF})
_PRIVILEGE_CODE = 0xD4
_PYGHMI_TIMEOUT_CODE = 0xFFFF

_AUTH_HINTS = (
    "password",
    "unauthorized name",
    "invalid name",
    "unauthorized role",
    "invalid role",
    "invalid integrity check value",
    "rakp4 integrity",
    "username length",
)
_SUITE_HINTS = (
    "cipher suite",
    "authentication algorithm",
    "integrity algorithm",
    "no matching integrity",
    "confidentiality algorithm",
    "md5 required",
)
# Failures that mean "this suite does not work here", so the next may.
_RETRY_OTHER_SUITE = ("incorrect password", "rakp4 integrity", "sha-1", *_SUITE_HINTS)


_SHORT_RAKP2 = (
    "RAKP 2 carried a SHA-1 (20-byte) code under cipher suite 17: the BMC accepted "
    "suite 17 but speaks suite 3"
)
_RAKP2_FIXED = 40  # tag, status, reserved, console session ID, BMC random, GUID


class _Session(pyghmi_session.Session):  # type: ignore[misc]
    """pyghmi's session, proposing suite 17 first, that survives a short RAKP 2.

    A BMC that accepts suite 17 and then answers RAKP 2 with a SHA-1 code
    (pyghmi's own BMC server does) makes pyghmi's ``_got_rakp2`` raise
    ``struct.error`` in whichever thread happens to process the packet,
    possibly another driver's, and leaves the half-made session retrying.
    Here that reply ends the login with an error instead, which the driver
    answers by logging in with suite 3.
    """

    def _got_rakp2(self, data: Any) -> Any:
        hashlib_ = getattr(self, "currhashlib", None)
        if (
            hashlib_ is not None
            and getattr(self, "sessioncontext", None) == "EXPECTINGRAKP2"
            and len(data) >= 2
            and data[0] == self.rmcptag
            and data[1] == 0
            and len(data) < _RAKP2_FIXED + hashlib_().digest_size
        ):
            self.sessioncontext = "FAILED"
            self.onlogon({"error": _SHORT_RAKP2})
            return -9
        return super()._got_rakp2(data)


class _Suite3Session(_Session):
    """A pyghmi session that proposes cipher suite 3 (SHA-1) from the start."""

    def _initsession(self) -> None:
        super()._initsession()
        self.attemptedhash = 1


class _SessionLost(Exception):
    """The pyghmi session stopped working during a command."""


class _Call:
    """One pyghmi call running in a worker thread."""

    __slots__ = ("cancelled", "done", "error", "phase", "session", "value", "verified")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: Any = None
        self.error: BaseException | None = None
        self.session: Any = None
        self.phase = "waiting"
        self.cancelled = False
        # The session answered during this call: no need to check it again.
        self.verified = False


_registry_lock = threading.Lock()
_endpoint_locks: dict[tuple[str, int], threading.Lock] = {}
_session_users: dict[Any, int] = {}


def _endpoint_lock(host: str, port: int) -> threading.Lock:
    with _registry_lock:
        lock = _endpoint_locks.get((host, port))
        if lock is None:
            lock = _endpoint_locks[(host, port)] = threading.Lock()
        return lock


def _session_dead(sess: Any) -> bool:
    return bool(sess.broken) or not sess.logged


def _release(sess: Any) -> bool:
    """Drop one driver's claim on ``sess``; True if it was the last one."""
    with _registry_lock:
        users = _session_users.get(sess, 0) - 1
        if users > 0:
            _session_users[sess] = users
            return False
        _session_users.pop(sess, None)
        return True


def _unfile(sess: Any) -> None:
    """Remove ``sess`` from pyghmi's table of logins in progress.

    pyghmi files each session there under (host, user, password, port, kg)
    and never takes it out (it deletes with the user name as bytes), so a
    closed session, password included, would stay referenced until the
    next login with the same key.
    """
    table = pyghmi_session.Session.initting_sessions
    for key, value in list(table.items()):
        if value is sess:
            table.pop(key, None)


def _first_to_answer(candidates: Sequence[tuple[int, str]], port: int, wait: float) -> str:
    """Return the address among ``candidates`` whose BMC answers an ASF ping first.

    pyghmi, given a name, sends its first packet to every address and keeps
    the one that answers; given an address from the driver it cannot, so
    the driver does the same with an RMCP presence ping. Without any answer
    within ``wait``, the first address is returned (the login then reports
    what is wrong).
    """
    if len(candidates) == 1:
        return candidates[0][1]
    socks: dict[socket.socket, str] = {}
    try:
        for tag, (family, address) in enumerate(candidates):
            sock = socket.socket(family, socket.SOCK_DGRAM)
            socks[sock] = address
            with contextlib.suppress(OSError):  # e.g. no IPv6 route
                sock.sendto(rmcp.encode_asf_ping(tag), (address, port))
        end = time.monotonic() + wait
        while (left := end - time.monotonic()) > 0:
            ready, _, _ = select.select(list(socks), (), (), left)
            for sock in ready:
                try:
                    data = sock.recv(512)
                    msg_type, _ = rmcp.decode_asf(data)
                except (OSError, rmcp.PacketError):
                    continue  # ICMP port unreachable, or not a pong
                if msg_type == rmcp.ASF_PONG:
                    return socks[sock]
            if not ready:
                break
    finally:
        for sock in socks:
            sock.close()
    return candidates[0][1]


class _Slot:
    """The driver's pyghmi session, kept apart so a finalizer can reach it."""

    __slots__ = ("session",)

    def __init__(self) -> None:
        self.session: Any = None


def _abandoned(slot: _Slot, endpoint: tuple[str, int], wait: float) -> None:
    """Finalizer of a driver dropped without close(): log its session out.

    Runs wherever the garbage collector runs, so the logout (a packet and
    a reply, or pyghmi's 1 s wait for none) happens in a short-lived
    thread; pyghmi's keepalive tables then no longer hold the session.
    """
    sess, slot.session = slot.session, None
    if sess is None or not _release(sess):
        return

    def logout() -> None:
        lock = _endpoint_lock(*endpoint)
        got = lock.acquire(timeout=wait)
        try:
            if not sess.broken:
                if not got:
                    sess.logged = 0  # no slot for a Close Session: just forget it
                    sess.incommand = False
                    sess._mark_broken("driver dropped without close()")
                else:
                    sess.logout()
        except Exception as exc:
            log.debug("logout of an abandoned session to %s:%s: %s", *endpoint, exc)
        finally:
            if got:
                lock.release()
            _unfile(sess)

    if _session_dead(sess):
        _unfile(sess)
        return
    with contextlib.suppress(RuntimeError):  # interpreter shutting down
        threading.Thread(target=logout, name="hostlib-logout", daemon=True).start()


def _check_suites(value: object) -> tuple[int, ...]:
    suites: list[int] = []
    if isinstance(value, Sequence) and not isinstance(value, str):
        suites = [s for s in value if isinstance(s, int) and not isinstance(s, bool)]
        if len(suites) != len(value) or any(s not in (3, 17) for s in suites):
            suites = []
    if not suites or len(set(suites)) != len(suites):
        raise ValidationError(
            f"cipher_suites={value!r} is not valid: give a non-empty sequence of 17 "
            "(SHA-256) and/or 3 (SHA-1), most preferred first, e.g. (17, 3)"
        )
    return tuple(suites)


class IpmiPowerDriver(BasePowerDriver):
    """Power and boot-device control over IPMI 2.0 (RMCP+) with pyghmi.

    Args:
        cipher_suites: RMCP+ cipher suites to log in with, most preferred
            first; 17 (SHA-256) and 3 (SHA-1) are supported.
        session_idle: seconds a session may sit unused before the next call
            replaces it with a fresh login.
        **base: host, port, username, password, timeout, retries,
            min_interval, poll_interval as in
            :class:`~hostlib.drivers.base.BasePowerDriver`.
    """

    name: ClassVar[str] = "ipmi"

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
        cipher_suites: Sequence[int] = (17, 3),
        session_idle: float = 20.0,
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
        if len(self.username.encode("utf-8")) > 16:
            raise ValidationError(
                f"username {self.username!r} is too long for IPMI: at most 16 bytes"
            )
        if len(self._password.reveal().encode("utf-8")) > 20:
            raise ValidationError("the password is too long for IPMI 2.0: at most 20 bytes")
        self.cipher_suites = _check_suites(cipher_suites)
        ok = isinstance(session_idle, int | float) and not isinstance(session_idle, bool)
        if not ok or session_idle <= 0:
            raise ValidationError(
                f"session_idle={session_idle!r} is not valid: give a number of seconds > 0"
            )
        self.session_idle = float(session_idle)
        self._state = threading.Lock()
        self._slot = _Slot()
        # A driver dropped without close() still logs its session out.
        finalizer = weakref.finalize(
            self, _abandoned, self._slot, (self._host, self.port), min(self.timeout, 2.0)
        )
        finalizer.atexit = False
        self._suite: int | None = None
        self._last_used = 0.0
        self._reply_time = 0.0
        # What pyghmi is given: the host itself if it is an address, else
        # the address it resolved to at the last login.
        self._bmc_address = self._host
        _pyghmi_io.install()

    @property
    def _session(self) -> Any:
        return self._slot.session

    @_session.setter
    def _session(self, sess: Any) -> None:
        self._slot.session = sess

    # -- primitives ---------------------------------------------------------

    def _get_power(self, deadline: Deadline) -> PowerState:
        data = self._run("status", deadline, _NETFN_CHASSIS, _CMD_CHASSIS_STATUS, b"")
        if not data:
            raise DriverError(
                f"{self._endpoint()} sent an empty chassis status; the BMC is misbehaving",
                host=self._host,
            )
        return PowerState.ON if data[0] & 0x01 else PowerState.OFF

    def _send_power(self, action: PowerAction, deadline: Deadline) -> None:
        code = _POWER_CODES[action]
        what = f"power {action.value}"
        self._run(what, deadline, _NETFN_CHASSIS, _CMD_CHASSIS_CONTROL, bytes([code]))

    def _get_boot(self, deadline: Deadline) -> BootDevice:
        return self._read_boot(deadline)[0]

    def _set_boot(self, device: BootDevice, persistent: bool, deadline: Deadline) -> None:
        devnum = pyghmi_command.boot_devices[_BOOT_NAMES[device]]
        flags = 0x80 | (0x40 if persistent else 0)
        if devnum == 0:
            flags = 0  # "valid" bit clear: no override at all
        payload = bytes([_BOOT_FLAGS, flags, devnum, 0, 0, 0])

        def steps(call: _Call) -> None:
            # As pyghmi does: keep the flags valid across a chassis control
            # (parameter 3, bit 3). Optional in the specification.
            with contextlib.suppress(UnsupportedOperation):
                self._on_session(
                    call,
                    deadline,
                    _NETFN_CHASSIS,
                    _CMD_SET_BOOT_OPTIONS,
                    bytes([_BOOT_INFO_ACK, 0x08]),
                    "set boot device",
                )
            self._on_session(
                call, deadline, _NETFN_CHASSIS, _CMD_SET_BOOT_OPTIONS, payload, "set boot device"
            )

        self._in_worker("set boot device", deadline, steps)

    def _get_lan(self, channel: int, deadline: Deadline) -> NetworkInterface:
        def steps(call: _Call) -> dict[int, bytes]:
            # One worker, one session: four Get LAN Configuration Parameters.
            return {
                param: self._on_session(
                    call,
                    deadline,
                    NETFN_TRANSPORT,
                    CMD_GET_LAN_CONFIG,
                    lan_request(channel, param),
                    f"lan settings ({label}, channel {channel})",
                )
                for param, (label, _size) in LAN_PARAMETERS.items()
            }

        replies = self._in_worker("lan settings", deadline, steps)
        return lan_interface(replies, where=self._endpoint(), channel=channel)

    # -- public extras ------------------------------------------------------

    def boot_override(self) -> tuple[BootDevice, bool]:
        """Return the boot device override and whether it is persistent.

        ``(BootDevice.DEFAULT, False)`` means no override is set.
        """
        deadline = Deadline(self.timeout)
        return self._retry("boot device", self._read_boot, deadline)

    def close(self) -> None:
        """Log out of the BMC (unless another driver still shares the session)."""
        with self._state:
            sess, self._session = self._session, None
        if sess is None or not self._release(sess):
            return
        if not _session_dead(sess):
            deadline = Deadline(min(self.timeout, 2.0))
            try:
                self._in_worker("log out", deadline, lambda call: sess.logout(), session=False)
            except DriverError as exc:
                log.debug("logout from %s failed: %s", self._endpoint(), exc)
        _unfile(sess)

    # -- machinery ----------------------------------------------------------

    def _endpoint(self) -> str:
        return f"{self._host}:{self.port}"

    def _read_boot(self, deadline: Deadline) -> tuple[BootDevice, bool]:
        data = self._run(
            "boot device",
            deadline,
            _NETFN_CHASSIS,
            _CMD_GET_BOOT_OPTIONS,
            bytes([_BOOT_FLAGS, 0, 0]),
        )
        if len(data) < 4 or data[1] & 0x7F != _BOOT_FLAGS:
            raise DriverError(
                f"{self._endpoint()} answered Get System Boot Options with {data.hex()}, "
                "not boot flags; the BMC is misbehaving",
                host=self._host,
            )
        if data[1] & 0x80 or not data[2] & 0x80:
            return BootDevice.DEFAULT, False  # parameter locked or flags not valid
        persistent = bool(data[2] & 0x40)
        selector = (data[3] >> 2) & 0x0F
        name = pyghmi_command.boot_devices.get(selector)
        device = _FROM_PYGHMI_NAME.get(name) if isinstance(name, str) else None
        if device is None:
            raise UnsupportedOperation(
                f"{self._endpoint()} reports boot device selector {selector:#x} "
                f"({name or 'unknown'}), which hostlib cannot represent; "
                "set one of pxe, disk, cdrom, bios, default",
                host=self._host,
            )
        return device, persistent if device is not BootDevice.DEFAULT else False

    def _run(self, what: str, deadline: Deadline, netfn: int, cmd: int, data: bytes) -> bytes:
        return self._in_worker(
            what, deadline, lambda call: self._on_session(call, deadline, netfn, cmd, data, what)
        )

    def _in_worker(
        self,
        what: str,
        deadline: Deadline,
        work: Callable[[_Call], T],
        *,
        session: bool = True,
    ) -> T:
        """Run ``work`` in a worker thread; wait for it at most until ``deadline``."""
        lock = _endpoint_lock(self._host, self.port)
        if not lock.acquire(timeout=deadline.remaining()):
            raise OperationTimeout(
                f"{what} on {self._endpoint()}: an earlier IPMI call to this BMC did not "
                f"finish within {deadline.seconds:g} s; retry later or raise timeout=",
                host=self._host,
            )
        call = _Call()

        def body() -> None:
            try:
                call.value = work(call)
            except BaseException as exc:
                call.error = exc
            finally:
                if call.cancelled and call.session is not None:
                    self._discard(call.session)
                lock.release()
                call.done.set()

        try:
            name = f"hostlib-ipmi {self._endpoint()}"
            threading.Thread(target=body, name=name, daemon=True).start()
        except RuntimeError as exc:
            lock.release()
            raise DriverError(
                f"{what} on {self._endpoint()}: cannot start a worker thread ({exc}); "
                "lower the concurrency",
                host=self._host,
            ) from exc
        if not call.done.wait(deadline.remaining()):
            self._cancel(call)
            raise self._late(what, call, deadline, session)
        if call.error is not None:
            if isinstance(call.error, DriverError):
                raise call.error
            raise DriverError(
                f"{what} on {self._endpoint()} failed inside pyghmi: "
                f"{type(call.error).__name__}: {call.error}",
                host=self._host,
            ) from call.error
        value: T = call.value
        return value

    def _late(self, what: str, call: _Call, deadline: Deadline, session: bool) -> DriverError:
        if call.phase == "resolve":
            return self._unresolved(f"no answer from the resolver within {deadline.seconds:g} s")
        sess = call.session if call.session is not None else self._initting()
        answered = sess is not None and getattr(sess, "sockaddr", None) is not None
        if session and call.phase == "login" and not answered:
            return UnreachableError(
                f"no answer from {self._endpoint()} within {deadline.seconds:g} s: check the "
                "address and port, that the BMC is powered and IPMI over LAN is enabled",
                host=self._host,
            )
        return OperationTimeout(
            f"{what} on {self._endpoint()} did not complete within {deadline.seconds:g} s "
            f"(the BMC answered, then stopped during {call.phase}); raise timeout= if the "
            "BMC is slow",
            host=self._host,
        )

    def _cancel(self, call: _Call) -> None:
        """Make pyghmi give up the call at its next retry."""
        call.cancelled = True
        sess = call.session if call.session is not None else self._initting()
        if sess is not None:
            sess.maxtimeout = 0
            sess.logontries = 0
            # pyghmi breaks a session from its retry timer while holding its
            # process-wide WAITING_SESSIONS lock; with ``logged`` set it would
            # first wait there for the hung command's slot to expire (many
            # seconds), stalling every other pyghmi user. Not logged and not
            # in a command, it just drops the session.
            sess.logged = 0
            sess.incommand = False
            call.session = sess
        with self._state:
            if self._session is sess:
                self._session = None

    def _initting(self) -> Any:
        key = (self._bmc_address, self.username, self._password.reveal(), self.port, None)
        return pyghmi_session.Session.initting_sessions.get(key)

    def _forget_initting(self) -> None:
        # pyghmi files a session under this key while it logs in and never
        # removes it (it deletes with the user name as bytes); a later login
        # with the same credentials would be handed that dead session.
        key = (self._bmc_address, self.username, self._password.reveal(), self.port, None)
        stale = pyghmi_session.Session.initting_sessions.get(key)
        if stale is not None and (stale.broken or stale.logged):
            pyghmi_session.Session.initting_sessions.pop(key, None)

    def _discard(self, sess: Any) -> None:
        with self._state:
            if self._session is sess:
                self._session = None
        self._release(sess)
        try:
            if not sess.broken:
                sess.incommand = False
                sess._mark_broken("given up by hostlib")
        except Exception as exc:
            log.debug("discarding a pyghmi session for %s: %s", self._endpoint(), exc)
        _unfile(sess)

    def _release(self, sess: Any) -> bool:
        """Drop this driver's claim on ``sess``; True if it was the last one."""
        return _release(sess)

    # -- in the worker thread ------------------------------------------------

    def _on_session(
        self, call: _Call, deadline: Deadline, netfn: int, cmd: int, data: bytes, what: str
    ) -> bytes:
        sess, reused = self._current_session(call, deadline)
        try:
            if reused and not call.verified:
                # A session kept from an earlier call may have been forgotten
                # by the BMC (reboot, idle timeout); it then drops our packets
                # without a word, and pyghmi would find out only through its
                # retry timers (about 6 s). Find out within a short wait, with
                # a command that is safe to send twice.
                if (netfn, cmd) in _READ_ONLY:
                    return self._reply_data(
                        self._probe(call, sess, deadline, netfn, cmd, data), what
                    )
                self._probe(call, sess, deadline, _NETFN_CHASSIS, _CMD_CHASSIS_STATUS, b"")
            return self._command(call, sess, netfn, cmd, data, what)
        except _SessionLost as lost:
            self._discard(sess)
            exc = lost
            if reused and not call.cancelled and deadline.remaining() > 0:
                sess, _ = self._current_session(call, deadline)
                try:
                    return self._command(call, sess, netfn, cmd, data, what)
                except _SessionLost as again:
                    self._discard(sess)
                    exc = again
            raise OperationTimeout(
                f"{what} on {self._endpoint()}: the BMC answered, then stopped answering "
                f"({exc}); check the BMC, or raise timeout= if it is slow",
                host=self._host,
            ) from exc

    def _probe(
        self, call: _Call, sess: Any, deadline: Deadline, netfn: int, cmd: int, data: bytes
    ) -> dict[str, Any]:
        """Send a read-only command on a reused session; wait briefly for the reply.

        The wait is a few times the slowest recent reply (at least
        :data:`_PROBE_MIN`, at most :data:`_PROBE_MAX`, below pyghmi's own
        second retry). No reply in that time means the BMC no longer knows
        the session: it is dropped from pyghmi's tables without a Close
        Session (nothing would answer it) and :class:`_SessionLost` raised,
        so the caller logs in again at once. A BMC that is merely slow costs
        one extra login.

        Returns:
            pyghmi's response dict (``code``, ``data``).
        """
        call.phase = "command"
        wait = min(max(_PROBE_MIN, 4 * self._reply_time), _PROBE_MAX, deadline.remaining() / 2)
        replies: list[dict[str, Any]] = []
        start = time.monotonic()
        try:
            sess.raw_command(netfn=netfn, command=cmd, data=tuple(data), callback=replies.append)
        except Exception as exc:
            raise _SessionLost(str(exc) or type(exc).__name__) from exc
        end = start + wait
        try:
            while not replies and not sess.broken and not call.cancelled:
                left = end - time.monotonic()
                if left <= 0:
                    break
                pyghmi_session.Session.wait_for_rsp(timeout=min(left, _pyghmi_io.WAIT_SLICE))
        finally:
            # What raw_command does after a synchronous call; with a callback
            # it is the caller's job.
            if not replies:
                sess.lastpayload = None  # no retransmission, no re-login of its own
            sess.incommand = False
            while sess.evq:
                sess.evq.popleft().set()
        if not replies or int(replies[0].get("code", 0) or 0) == _PYGHMI_TIMEOUT_CODE:
            sess.logged = 0  # nothing to log out of: the BMC forgot it
            raise _SessionLost(f"no reply within {wait:.2f} s on a session kept from earlier")
        self._note_reply(time.monotonic() - start)
        call.verified = True
        return replies[0]

    def _note_reply(self, seconds: float) -> None:
        with self._state:
            # The slowest recent reply; an old slow one fades out.
            self._reply_time = max(seconds, self._reply_time * 0.5)
            self._last_used = time.monotonic()

    def _current_session(self, call: _Call, deadline: Deadline) -> tuple[Any, bool]:
        now = time.monotonic()
        with self._state:
            sess = self._session
            if sess is not None and (
                _session_dead(sess) or now - self._last_used > self.session_idle
            ):
                self._session = None
            else:
                if sess is not None:
                    call.session = sess
                    return sess, True
        if sess is not None and not _session_dead(sess) and self._release(sess):
            try:
                sess.logout()
            except Exception as exc:
                log.debug("logout of an idle session to %s: %s", self._endpoint(), exc)
        start = time.monotonic()
        sess = self._login(call, deadline)
        with self._state:
            self._session = sess
            self._last_used = time.monotonic()
            # A login is about five round trips; a fresh estimate of one.
            self._reply_time = (self._last_used - start) / 4
        return sess, False

    def _resolve(self, call: _Call, deadline: Deadline) -> str:
        """Return the address to give pyghmi, resolving the host within ``deadline``.

        pyghmi resolves names itself, unbounded, inside its constructor.

        Raises:
            UnreachableError: the name does not resolve, or not in time.
        """
        try:
            ipaddress.ip_address(self._host)
        except ValueError:
            pass
        else:
            return self._host
        call.phase = "resolve"
        try:
            found = resolve(self._host, self.port, deadline.remaining(), socktype=socket.SOCK_DGRAM)
        except TimeoutError as exc:
            raise self._unresolved(
                f"no answer from the resolver within {deadline.seconds:g} s"
            ) from exc
        except OSError as exc:
            error = self._unresolved(exc.strerror or str(exc))
            if isinstance(exc, socket.gaierror) and exc.errno in NO_SUCH_NAME:
                error.retryable = False  # the resolver's answer, not a failure to get one
            raise error from exc
        # A short share of what is left: a BMC answers a ping within milliseconds.
        return _first_to_answer(found, self.port, min(0.5, deadline.remaining() / 4))

    def _unresolved(self, why: str) -> UnreachableError:
        return UnreachableError(
            f"cannot resolve the BMC host name {self._host!r} ({why}): check the name "
            "and the resolver, or give the BMC's IP address",
            host=self._host,
        )

    def _login(self, call: _Call, deadline: Deadline) -> Any:
        address = self._resolve(call, deadline)
        self._bmc_address = address
        call.phase = "login"
        suites = list(self.cipher_suites)
        if self._suite in suites:
            suites.remove(self._suite)
            suites.insert(0, self._suite)
        failures: list[str] = []
        for index, suite in enumerate(suites):
            if call.cancelled:
                break
            self._forget_initting()
            cls = _Session if suite == 17 else _Suite3Session
            sess: Any = None
            try:
                sess = cls(
                    bmc=address,
                    userid=self.username,
                    password=self._password.reveal(),
                    port=self.port,
                )
            except pyghmi_exceptions.PyghmiException as exc:
                message = str(exc) or "session setup failed"
            except Exception as exc:
                message = f"{type(exc).__name__}: {exc}"
            else:
                call.session = sess
                if not _session_dead(sess):
                    with _registry_lock:
                        _session_users[sess] = _session_users.get(sess, 0) + 1
                    if suite == 17 and 3 not in self.cipher_suites and sess.integrityalgo == 1:
                        # pyghmi fell back to suite 3 by itself; not allowed here.
                        if self._release(sess):
                            try:
                                sess.logout()
                            except Exception as exc:
                                log.debug("logout from %s: %s", self._endpoint(), exc)
                        raise UnsupportedOperation(
                            f"{self._endpoint()} does not do cipher suite 17 (SHA-256); "
                            "allow suite 3 with cipher_suites=(17, 3)",
                            host=self._host,
                        )
                    self._suite = suite
                    # pyghmi waits for 4 retries (about 9 s) before it logs
                    # in again when an established session stops answering
                    # (e.g. the BMC restarted); 2, as during login, re-logs
                    # after about 2.5 s.
                    sess.maxtimeout = min(sess.maxtimeout, 2)
                    call.phase = "command"
                    return sess
                message = str(getattr(sess, "errormsg", None) or "session setup failed")
            if call.session is None:
                call.session = self._initting()
            answered = call.session is not None and call.session.sockaddr is not None
            failures.append(f"suite {suite}: {message}")
            retry_other = any(h in message.lower() for h in _RETRY_OTHER_SUITE)
            if retry_other and index + 1 < len(suites):
                call.session = None
                continue
            raise self._login_error(failures, answered)
        raise OperationTimeout(
            f"session setup with {self._endpoint()} was given up at the timeout",
            host=self._host,
        )

    def _login_error(self, failures: list[str], answered: bool) -> DriverError:
        text = "; ".join(failures).lower()
        where = self._endpoint()
        if any(h in text for h in _AUTH_HINTS):
            return AuthenticationError(
                f"{where} refused the credentials of user {self.username!r}: check the "
                "user name and password, and that the user may log in over LAN",
                host=self._host,
            )
        if "insufficient resources" in text:
            return BmcBusy(
                f"{where} has no free session slot; wait for idle sessions to expire "
                "(about 60 s) or log other clients out",
                host=self._host,
            )
        if _SHORT_RAKP2.lower() in text:
            return UnsupportedOperation(
                f"{where} accepted cipher suite 17 (SHA-256) but answered RAKP 2 with a SHA-1 "
                "code, so it really does suite 3 only; allow suite 3 with cipher_suites=(17, 3)",
                host=self._host,
            )
        if any(h in text for h in _SUITE_HINTS):
            tried = ", ".join(str(s) for s in self.cipher_suites)
            return UnsupportedOperation(
                f"{where} accepts none of the cipher suites tried ({tried}): {'; '.join(failures)}",
                host=self._host,
            )
        if not answered:
            return UnreachableError(
                f"no answer from {where}: check the address and port, that the BMC is "
                "powered and IPMI over LAN is enabled",
                host=self._host,
            )
        if "timeout" in text or "no longer connected" in text:
            return OperationTimeout(
                f"{where} answered, then stopped during session setup; check the BMC, "
                "or raise timeout= if it is slow",
                host=self._host,
            )
        return DriverError(
            f"IPMI session setup with {where} failed: {'; '.join(failures)}",
            host=self._host,
        )

    def _command(
        self, call: _Call, sess: Any, netfn: int, cmd: int, data: bytes, what: str
    ) -> bytes:
        call.phase = "command"
        start = time.monotonic()
        try:
            rsp = sess.raw_command(netfn=netfn, command=cmd, data=tuple(data))
        except Exception as exc:
            # IpmiException("Session no longer connected"), or pyghmi's own
            # KeyError when its retries ran out.
            raise _SessionLost(str(exc) or type(exc).__name__) from exc
        if not isinstance(rsp, dict):
            raise _SessionLost("no response")
        if int(rsp.get("code", 0) or 0) == _PYGHMI_TIMEOUT_CODE:
            raise _SessionLost("retries exhausted")
        self._note_reply(time.monotonic() - start)
        call.verified = True
        return self._reply_data(rsp, what)

    def _reply_data(self, rsp: dict[str, Any], what: str) -> bytes:
        code = int(rsp.get("code", 0) or 0)
        if code or "error" in rsp:
            text = rsp.get("error") or pyghmi_util.get_ipmi_error(rsp) or ""
            raise self._completion_error(what, code, str(text))
        return bytes(rsp.get("data", b""))

    def _completion_error(self, what: str, code: int, text: str) -> DriverError:
        where = self._endpoint()
        detail = f"completion code {code:#04x}" + (f" ({text})" if text else "")
        if code in _BUSY_CODES:
            return BmcBusy(
                f"{where} is busy and refused {what}: {detail}; try again later",
                host=self._host,
            )
        if code in _UNSUPPORTED_CODES:
            return UnsupportedOperation(
                f"{where} cannot do {what}: {detail}",
                host=self._host,
            )
        if code == _PRIVILEGE_CODE:
            return AuthenticationError(
                f"user {self.username!r} may not do {what} on {where}: {detail}; "
                "use an operator or administrator account",
                host=self._host,
            )
        return DriverError(f"{what} on {where} failed: {detail}", host=self._host)
