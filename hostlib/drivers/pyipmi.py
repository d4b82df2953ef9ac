"""IPMI over LAN with python-ipmi (registered as "pyipmi").

:class:`PyIpmiPowerDriver` speaks to a BMC with python-ipmi's native
interfaces: ``interface="lanplus"`` is RMCP+ (IPMI 2.0, python-ipmi's
``rmcpplus``), ``interface="lan"`` is IPMI 1.5 (``rmcp``, MD5 or straight
password), which pyghmi cannot reach. python-ipmi is used for the session
and the transport; the four chassis commands are sent as raw requests so
that every completion code is seen here, not retried or hidden below.

How the contract of :class:`~hostlib.drivers.base.BasePowerDriver` is kept:

* Time: every packet wait is bounded by the call's deadline (the socket
  timeout is set from ``deadline.remaining()`` before each receive) and by a
  per-attempt share of ``timeout``, so a lost packet leaves time for the
  base class to retry. python-ipmi's own retransmission, node-busy retry
  and keep-alive thread are switched off: retries happen in one place, and
  no background thread holds the socket lock past a deadline.
* Errors: python-ipmi exceptions are mapped here, never passed on.
  Nothing received at all during session setup (no presence pong, ICMP
  port unreachable, an unresolvable name) is :class:`UnreachableError`;
  an answer but no finished session or command in time is
  :class:`OperationTimeout`; refused credentials are
  :class:`AuthenticationError` (IPMI 1.5 BMCs drop an Activate Session
  with a wrong password without answering, so a silent Activate Session
  counts as refused); node busy (0xC0) and "no free session" are
  :class:`BmcBusy`; invalid command (0xC1), invalid data (0xCC) and
  parameter not supported (0x80) are :class:`UnsupportedOperation`.
* Sessions: one session per driver object, reused by later calls while
  it was used in the last 20 s; a reused session that stops answering is
  replaced once within the same call. :meth:`close` sends Close Session.
* RMCP+ cipher suites are tried in ``cipher_suites`` order (17, then 3):
  the next one is tried when the BMC rejects the algorithms, and also when
  a SHA-256 suite fails RAKP 2, which is what a BMC that claims suite 17
  but speaks SHA-1 produces. The suite that worked is tried first later.
  With no SHA-1 suite allowed, such a BMC (RAKP 2 code of 20 bytes under
  a SHA-256 suite) is :class:`UnsupportedOperation`, not a wrong password.
  python-ipmi 0.6.1 derives the SHA-256 session keys K1/K2 differently
  from ipmitool (see :class:`_BoundedRmcpPlus`); this driver corrects
  them, so suite 17 works wherever ``ipmitool -C 17`` does.
* LAN settings (``lan_settings()``): Get LAN Configuration Parameters
  (NetFn 0x0C, command 0x02) for parameters 3, 6, 12 and 5, sent raw on
  the same session with the same error mapping.
* Boot device: Set System Boot Options parameter 5 with the valid bit, the
  persistent bit and the device selector; parameter 3 is set first (where
  supported) so the BMC does not clear the override after 60 s. Reading
  follows the specification: a cleared valid bit means no override
  (``BootDevice.DEFAULT``), as pyghmi reads it too.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import ipaddress
import socket
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar, Literal

import attrs
import pyipmi
import pyipmi.errors as pyipmi_errors
from pyipmi.interfaces.rmcp import Rmcp
from pyipmi.interfaces.rmcpplus import (
    AUTH_ALGO_RAKP_HMAC_SHA256,
    CIPHER_SUITES,
    PAYLOAD_TYPE_RAKP_2,
    RmcpPlus,
)

from hostlib._resolve import NO_SUCH_NAME, resolve
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

__all__ = ["PyIpmiPowerDriver"]

_BMC_ADDRESS = 0x20

_NETFN_CHASSIS = 0x00
_GET_CHASSIS_STATUS = 0x01
_CHASSIS_CONTROL = 0x02
_SET_BOOT_OPTIONS = 0x08
_GET_BOOT_OPTIONS = 0x09

_GET_SESSION_CHALLENGE = 0x39
_ACTIVATE_SESSION = 0x3A
_SET_SESSION_PRIVILEGE = 0x3B

_BOOT_FLAGS = 5
_BOOT_FLAG_VALID_BIT_CLEARING = 3
_KEEP_OVERRIDE_PAST_60_S = 0x08
_BOOT_VALID = 0x80
_BOOT_PERSISTENT = 0x40

_CONTROL = {
    PowerAction.OFF: 0,
    PowerAction.ON: 1,
    PowerAction.CYCLE: 2,
    PowerAction.RESET: 3,
    PowerAction.SOFT_OFF: 5,
}

_SELECTOR = {
    BootDevice.DEFAULT: 0x0,
    BootDevice.PXE: 0x1,
    BootDevice.DISK: 0x2,
    BootDevice.CDROM: 0x5,
    BootDevice.BIOS: 0x6,
}
# 0x3 is "hard drive, safe mode": still the disk.
_DEVICE = {**{sel: dev for dev, sel in _SELECTOR.items()}, 0x3: BootDevice.DISK}

# Completion codes that mean "try again later" or "cannot do that".
_CC_BUSY = {
    0xC0: "node busy",
    0xCF: "duplicate request",
    0xD0: "SDR update in progress",
    0xD1: "firmware update in progress",
    0xD2: "BMC initialisation in progress",
}
_CC_UNSUPPORTED = {0x80: "parameter not supported", 0xC1: "invalid command",
                   0xC2: "command invalid for this LUN", 0xC9: "parameter out of range",
                   0xCC: "invalid data field", 0xD5: "not supported in the present state",
                   0xD6: "command disabled"}  # fmt: skip

# RMCP+ message status codes (IPMI 2.0 table 13-15).
_MSC_NO_RESOURCES = {0x01, 0x0B}
_MSC_REFUSED = {0x09, 0x0A, 0x0C, 0x0D, 0x0E, 0x0F, 0x12}
_MSC_ALGORITHM = {0x04, 0x05, 0x06, 0x07, 0x10, 0x11}
_SHA256_SUITES = {15, 16, 17}
_RAKP2_FIXED = 40  # tag, status, reserved, console session ID, BMC random, GUID
_SHA1_LENGTH = 20

# A session idle longer than this may have been dropped by the BMC
# (the IPMI default inactivity timeout is 60 s); open a new one instead.
_MAX_IDLE = 20.0
_MAX_NAME = 16
_MAX_PASSWORD = {"lanplus": 20, "lan": 16}


class _BoundedRmcp(Rmcp):  # type: ignore[misc]
    """python-ipmi's RMCP interface with a hard deadline on every receive.

    Also records whether anything was received (to tell "unreachable" from
    "too slow") and which request was sent last (to tell which step of the
    session setup failed), and opens an IPv6 socket where needed.
    """

    family: int = socket.AF_INET
    deadline_at: float = 0.0
    replies: int = 0
    last_cmd: int | None = None

    def open(self) -> None:
        self._sock = socket.socket(self.family, socket.SOCK_DGRAM)
        self.set_timeout(1.0)

    def send_and_receive(self, req: Any) -> Any:
        self.last_cmd = req.cmdid
        return super().send_and_receive(req)

    def _receive_rmcp_msg(self) -> Any:
        left = self.deadline_at - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline reached")
        self._sock.settimeout(min(left, self._timeout or left))
        msg = super()._receive_rmcp_msg()
        self.replies += 1
        return msg


class _BoundedRmcpPlus(_BoundedRmcp, RmcpPlus):  # type: ignore[misc]
    """python-ipmi's RMCP+ interface with the same bounds, and SHA-256 keys fixed.

    python-ipmi 0.6.1 derives K1 and K2 of the SHA-256 suites (15-17) from
    32-byte constants; ipmitool, and the BMCs that work with it, use the
    20-byte constants of IPMI 2.0 section 13.32 for every hash. With
    python-ipmi's keys the first authenticated message fails the BMC's
    integrity check and is dropped, so every suite-17 session hangs. The
    keys are recomputed between RAKP and the first authenticated message
    (Set Session Privilege Level); for SHA-1 suites nothing changes.
    """

    _sik: bytes = b""
    #: length of the key exchange code in the last RAKP 2 received, if any
    rakp2_code_length: int | None = None

    def _handshake(self, request_type: int, request: bytes, response_type: int) -> bytes:
        payload: bytes = super()._handshake(request_type, request, response_type)
        if response_type == PAYLOAD_TYPE_RAKP_2:
            self.rakp2_code_length = len(payload) - _RAKP2_FIXED
        return payload

    def sha1_under_sha256(self) -> bool:
        """True if a SHA-256 suite was agreed and RAKP 2 then carried a SHA-1 code."""
        return self.cipher_suites[0] in _SHA256_SUITES and self.rakp2_code_length == _SHA1_LENGTH

    def _rakp(self, session: Any, suite: Any, managed_session_id: int) -> bytes:
        sik: bytes = super()._rakp(session, suite, managed_session_id)
        self._sik = sik
        return sik

    def _set_session_privilege_level(self, level: int) -> Any:
        keys = self._keys
        if keys is not None and keys.suite.authentication == AUTH_ALGO_RAKP_HMAC_SHA256:
            keys.k1 = hmac.new(self._sik, b"\x01" * 20, hashlib.sha256).digest()
            keys.k2 = hmac.new(self._sik, b"\x02" * 20, hashlib.sha256).digest()
        return super()._set_session_privilege_level(level)


@attrs.define
class _Link:
    """One open session to the BMC."""

    ipmi: Any
    intf: _BoundedRmcp
    suite: int | None
    last_used: float


@attrs.frozen
class _Addr:
    family: int
    ip: str


def _shut(link: _Link, *, polite: bool, wait: float) -> None:
    """Close the session (Close Session if ``polite``, best effort) and the socket."""
    try:
        if polite:
            link.intf.deadline_at = time.monotonic() + wait
            link.intf.set_timeout(wait)
            link.ipmi.session.close()
    except Exception:  # noqa: S110 - best effort: the BMC frees it on its own timeout
        pass
    finally:
        link.intf.close()


class _Slot:
    """The driver's open session, kept apart so a finalizer can reach it."""

    __slots__ = ("link",)

    def __init__(self) -> None:
        self.link: _Link | None = None


def _abandoned(slot: _Slot, wait: float) -> None:
    """Finalizer of a driver dropped without close(): close its session.

    The garbage collector may run this in any thread, even one holding a
    lock; the Close Session exchange (up to ``wait``) runs in a short-lived
    thread of its own.
    """
    link, slot.link = slot.link, None
    if link is None:
        return
    closer = threading.Thread(
        target=_shut, args=(link,), kwargs={"polite": True, "wait": wait}, daemon=True
    )
    try:
        closer.start()
    except RuntimeError:  # interpreter shutting down: at least free the socket
        link.intf.close()


class _LinkDead(Exception):
    """The session stopped answering; carries the error to raise."""

    def __init__(self, error: DriverError) -> None:
        super().__init__(str(error))
        self.error = error


class PyIpmiPowerDriver(BasePowerDriver):
    """Power driver speaking IPMI over LAN through python-ipmi.

    Args:
        interface: ``"lanplus"`` (RMCP+, IPMI 2.0) or ``"lan"`` (IPMI 1.5).
        cipher_suites: RMCP+ cipher suites to propose, in order (lanplus
            only); python-ipmi implements 1, 2, 3, 15, 16 and 17.
        **base: host, port, username, password, timeout, retries,
            min_interval, poll_interval as for
            :class:`~hostlib.drivers.base.BasePowerDriver`.

    Raises:
        ValidationError: a setting is invalid; nothing was sent.
    """

    name: ClassVar[str] = "pyipmi"

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
        interface: Literal["lanplus", "lan"] = "lanplus",
        cipher_suites: Sequence[int] = (17, 3),
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
        if interface not in ("lanplus", "lan"):
            raise ValidationError(
                f"interface={interface!r} is not valid: "
                "use 'lanplus' (IPMI 2.0) or 'lan' (IPMI 1.5)"
            )
        self.interface: Literal["lanplus", "lan"] = interface
        suites = tuple(cipher_suites) if not isinstance(cipher_suites, str | bytes) else ()
        known = sorted(CIPHER_SUITES)
        if not suites or any(
            isinstance(s, bool) or not isinstance(s, int) or s not in CIPHER_SUITES for s in suites
        ):
            raise ValidationError(
                f"cipher_suites={cipher_suites!r} is not valid: give a non-empty sequence of "
                f"suite numbers out of {', '.join(map(str, known))}"
            )
        self.cipher_suites: tuple[int, ...] = suites
        if len(username.encode()) > _MAX_NAME:
            raise ValidationError(f"username is longer than {_MAX_NAME} bytes, the IPMI limit")
        limit = _MAX_PASSWORD[interface]
        if len(self._password.reveal().encode()) > limit:
            raise ValidationError(
                f"the password is longer than {limit} bytes, the limit of interface={interface!r}"
            )
        self._lock = threading.Lock()
        self._slot = _Slot()
        # A driver dropped without close() still closes its session.
        finalizer = weakref.finalize(self, _abandoned, self._slot, min(1.0, self.timeout))
        finalizer.atexit = False
        self._good_suite: int | None = None
        # The public call (its Deadline) in which the BMC last answered.
        self._answered: Deadline | None = None

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self.name} {self.host}:{self.port} "
            f"interface={self.interface} user={self.username!r}>"
        )

    @property
    def _link(self) -> _Link | None:
        return self._slot.link

    @_link.setter
    def _link(self, link: _Link | None) -> None:
        self._slot.link = link

    # -- primitives ---------------------------------------------------------

    def _get_power(self, deadline: Deadline) -> PowerState:
        data = self._command(deadline, "status", _GET_CHASSIS_STATUS)
        if not data:
            raise DriverError(
                f"BMC {self.host}:{self.port} sent an empty Get Chassis Status reply",
                host=self.host,
            )
        return PowerState.ON if data[0] & 0x01 else PowerState.OFF

    def _send_power(self, action: PowerAction, deadline: Deadline) -> None:
        self._command(deadline, f"power {action.value}", _CHASSIS_CONTROL, _CONTROL[action])

    def _get_boot(self, deadline: Deadline) -> BootDevice:
        return self._read_boot(deadline)[0]

    def _set_boot(self, device: BootDevice, persistent: bool, deadline: Deadline) -> None:
        # Optional parameter: without it the override still applies to the next boot.
        with contextlib.suppress(UnsupportedOperation):
            self._command(
                deadline,
                "keep boot override",
                _SET_BOOT_OPTIONS,
                _BOOT_FLAG_VALID_BIT_CLEARING,
                _KEEP_OVERRIDE_PAST_60_S,
            )
        flags = _BOOT_VALID | (_BOOT_PERSISTENT if persistent else 0)
        self._command(
            deadline,
            "set boot device",
            _SET_BOOT_OPTIONS,
            _BOOT_FLAGS,
            flags,
            _SELECTOR[device] << 2,
            0,
            0,
            0,
        )

    def _get_lan(self, channel: int, deadline: Deadline) -> NetworkInterface:
        replies = {
            param: self._command(
                deadline,
                f"lan settings ({label}, channel {channel})",
                CMD_GET_LAN_CONFIG,
                *lan_request(channel, param),
                netfn=NETFN_TRANSPORT,
            )
            for param, (label, _size) in LAN_PARAMETERS.items()
        }
        return lan_interface(replies, where=self._where(), channel=channel)

    def boot_override(self) -> tuple[BootDevice, bool]:
        """Return the boot device override and whether it is persistent."""
        return self._retry("boot device", self._read_boot, Deadline(self.timeout))

    def _read_boot(self, deadline: Deadline) -> tuple[BootDevice, bool]:
        data = self._command(deadline, "boot device", _GET_BOOT_OPTIONS, _BOOT_FLAGS, 0, 0)
        if len(data) < 4 or data[1] & 0x7F != _BOOT_FLAGS:
            raise DriverError(
                f"BMC {self.host}:{self.port} sent a malformed boot flags reply "
                f"({bytes(data).hex(' ')})",
                host=self.host,
            )
        locked, flags, selector = data[1] & 0x80, data[2], (data[3] >> 2) & 0x0F
        if locked or not flags & _BOOT_VALID:
            return BootDevice.DEFAULT, False
        device = _DEVICE.get(selector)
        if device is None:
            raise UnsupportedOperation(
                f"BMC {self.host}:{self.port} reports boot device selector 0x{selector:x}, "
                "which hostlib does not model; set one of "
                + ", ".join(d.value for d in BootDevice),
                host=self.host,
            )
        return device, bool(flags & _BOOT_PERSISTENT)

    def close(self) -> None:
        """Close the session (Close Session, best effort) and the socket."""
        if not self._lock.acquire(timeout=self.timeout):
            return
        try:
            link, self._link = self._link, None
            if link is not None:
                self._shut(link, polite=True)
        finally:
            self._lock.release()

    # -- session ------------------------------------------------------------

    @contextmanager
    def _locked(self, deadline: Deadline, what: str) -> Iterator[None]:
        if not self._lock.acquire(timeout=deadline.remaining()):
            raise OperationTimeout(
                f"{what}: another call on this driver object held it past the "
                f"{self.timeout:g} s timeout; use one driver object per thread",
                host=self.host,
            )
        try:
            yield
        finally:
            self._lock.release()

    def _attempt_timeout(self, deadline: Deadline, *, reused: bool = False) -> float:
        share = max(0.5, self.timeout / (self.retries + 1))
        left = deadline.remaining()
        if reused:
            # A live session answers at once; keep half for a reconnect.
            left /= 2
        return max(0.001, min(left, share))

    def _command(
        self, deadline: Deadline, what: str, cmd: int, *data: int, netfn: int = _NETFN_CHASSIS
    ) -> bytes:
        raw = bytes((cmd, *data))
        with self._locked(deadline, what):
            link = self._link
            if link is not None and time.monotonic() - link.last_used > _MAX_IDLE:
                self._drop()
                link = None
            reused = link is not None
            if link is None:
                link = self._establish(deadline)
            try:
                rsp = self._exchange(link, deadline, what, raw, netfn, reused=reused)
            except _LinkDead as dead:
                self._drop()
                if not reused or deadline.remaining() <= 0:
                    raise dead.error from dead.__cause__
                # The reused session died (BMC restarted or expired it): once more.
                link = self._establish(deadline)
                try:
                    rsp = self._exchange(link, deadline, what, raw, netfn)
                except _LinkDead as again:
                    self._drop()
                    raise again.error from again.__cause__
        if not rsp:
            raise DriverError(f"BMC {self.host}:{self.port} sent an empty reply to {what}")
        if rsp[0] != 0:
            raise self._cc_error(rsp[0], what)
        return rsp[1:]

    def _exchange(
        self,
        link: _Link,
        deadline: Deadline,
        what: str,
        raw: bytes,
        netfn: int,
        *,
        reused: bool = False,
    ) -> bytes:
        intf = link.intf
        intf.deadline_at = deadline.at
        intf.set_timeout(self._attempt_timeout(deadline, reused=reused))
        try:
            rsp: bytes = link.ipmi.send_raw(0, netfn, raw)
        except (TimeoutError, pyipmi_errors.RetryError) as exc:
            raise _LinkDead(
                OperationTimeout(
                    f"{what}: BMC {self.host}:{self.port} did not answer within "
                    f"{self.timeout:g} s; raise timeout= if it is slow",
                    host=self.host,
                )
            ) from exc
        except OSError as exc:
            raise _LinkDead(
                UnreachableError(
                    f"{what}: BMC {self.host}:{self.port} stopped answering "
                    f"({type(exc).__name__}); check that it is up",
                    host=self.host,
                )
            ) from exc
        except Exception as exc:  # python-ipmi's decoding/integrity errors
            raise _LinkDead(
                DriverError(
                    f"{what}: the reply of BMC {self.host}:{self.port} was not understood "
                    f"({type(exc).__name__}); the session was reset",
                    host=self.host,
                )
            ) from exc
        link.last_used = time.monotonic()
        self._answered = deadline
        return bytes(rsp)

    def _establish(self, deadline: Deadline) -> _Link:
        addr = self._resolve(deadline)
        suites: list[int | None]
        if self.interface == "lan":
            suites = [None]
        else:
            suites = list(self.cipher_suites)
            if self._good_suite in suites:
                suites.remove(self._good_suite)
                suites.insert(0, self._good_suite)
        for i, suite in enumerate(suites):
            more = i + 1 < len(suites)
            deadline.check("session setup", self.host)
            intf = self._new_interface(suite, addr, deadline)
            ipmi = pyipmi.create_connection(intf)
            ipmi.session.set_session_type_rmcp(addr.ip, self.port)
            ipmi.session.set_auth_type_user(self.username, self._password.reveal())
            ipmi.session.set_priv_level("administrator")
            ipmi.target = pyipmi.Target(ipmb_address=_BMC_ADDRESS)
            try:
                intf.open()
                intf.set_timeout(self._attempt_timeout(deadline))
                ipmi.session.establish()
            except Exception as exc:
                intf.close()
                if more and self._next_suite_may_work(exc, suite):
                    continue
                raise self._setup_error(exc, intf, deadline) from exc
            self._good_suite = suite
            self._answered = deadline
            link = _Link(ipmi=ipmi, intf=intf, suite=suite, last_used=time.monotonic())
            self._link = link
            return link
        raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover

    @staticmethod
    def _new_interface(suite: int | None, addr: _Addr, deadline: Deadline) -> _BoundedRmcp:
        intf: _BoundedRmcp
        if suite is None:
            intf = _BoundedRmcp(keep_alive_interval=0, max_retries=0)
        else:
            intf = _BoundedRmcpPlus(keep_alive_interval=0, max_retries=0, cipher_suite=suite)
        intf.family = addr.family
        intf.deadline_at = deadline.at
        return intf

    @staticmethod
    def _next_suite_may_work(exc: Exception, suite: int | None) -> bool:
        if isinstance(exc, pyipmi_errors.MessageStatusCodeError):
            return exc.msc in _MSC_ALGORITHM
        # A BMC that accepts a SHA-256 suite but answers RAKP 2 with SHA-1.
        return isinstance(exc, pyipmi_errors.AuthenticationError) and suite in _SHA256_SUITES

    def _drop(self) -> None:
        link, self._link = self._link, None
        if link is not None:
            self._shut(link, polite=False)

    def _shut(self, link: _Link, *, polite: bool) -> None:
        _shut(link, polite=polite, wait=min(1.0, self.timeout))

    def _resolve(self, deadline: Deadline) -> _Addr:
        try:
            ip = ipaddress.ip_address(self.host)
        except ValueError:
            pass
        else:
            family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
            return _Addr(family, str(ip))
        try:
            found = resolve(self.host, self.port, deadline.remaining(), socktype=socket.SOCK_DGRAM)
        except TimeoutError as exc:
            raise UnreachableError(
                f"cannot resolve BMC host name {self.host!r} within {self.timeout:g} s "
                "(no answer from the resolver); check the resolver or give an IP address",
                host=self.host,
            ) from exc
        except OSError as exc:
            error = UnreachableError(
                f"cannot resolve BMC host name {self.host!r} ({exc.strerror or exc}); check "
                "the name or give an IP address",
                host=self.host,
            )
            if isinstance(exc, socket.gaierror):
                # "No such name" is the resolver's answer: trying again cannot help.
                error.retryable = exc.errno not in NO_SUCH_NAME
            raise error from exc
        return _Addr(*found[0])

    # -- error mapping ------------------------------------------------------

    def _where(self) -> str:
        return f"BMC {self.host}:{self.port} ({self.interface})"

    def _setup_error(self, exc: Exception, intf: _BoundedRmcp, deadline: Deadline) -> DriverError:
        where, host = self._where(), self.host
        user = self.username
        refused = isinstance(exc, ConnectionError) or isinstance(exc.__context__, ConnectionError)
        if refused:
            return UnreachableError(
                f"nothing listens at {where} (ICMP port unreachable); check host, port and "
                "that IPMI over LAN is enabled",
                host=host,
            )
        no_reply = isinstance(
            exc, TimeoutError | pyipmi_errors.RetryError | pyipmi_errors.IpmiConnectionError
        )
        if no_reply and intf.replies == 0:
            if self._answered is deadline:
                # It answered earlier in this call, then hung: slow, not unreachable.
                return OperationTimeout(
                    f"{where} answered, then stopped answering; the call did not finish "
                    f"within {self.timeout:g} s; raise timeout= if the BMC is slow",
                    host=host,
                )
            return UnreachableError(
                f"nothing answered at {where} within {self.timeout:g} s; check host, port "
                "and that IPMI over LAN is enabled",
                host=host,
            )
        if no_reply:
            if self.interface == "lan" and intf.last_cmd == _ACTIVATE_SESSION:
                return AuthenticationError(
                    f"{where} did not answer Activate Session for user {user!r}: IPMI 1.5 "
                    "BMCs drop logins with a wrong password; check username and password",
                    host=host,
                )
            return OperationTimeout(
                f"{where} answered but the session was not set up within {self.timeout:g} s; "
                "raise timeout= if the BMC is slow",
                host=host,
            )
        if (
            isinstance(exc, pyipmi_errors.AuthenticationError)
            and isinstance(intf, _BoundedRmcpPlus)
            and intf.sha1_under_sha256()
        ):
            return UnsupportedOperation(
                f"{where} accepted cipher suite {intf.cipher_suites[0]} (SHA-256) but answered "
                "RAKP 2 with a SHA-1 code, so it really does SHA-1 suites only; allow suite 3 "
                "with cipher_suites=(17, 3)",
                host=host,
            )
        if isinstance(exc, pyipmi_errors.AuthenticationError):
            return AuthenticationError(
                f"{where} refused the login of user {user!r} (RAKP check failed: wrong "
                "password, or a BMC key K_G is set); check username and password",
                host=host,
            )
        if isinstance(exc, pyipmi_errors.MessageStatusCodeError):
            msc = exc.msc
            if msc in _MSC_NO_RESOURCES:
                return BmcBusy(
                    f"{where} has no free session (RMCP+ status 0x{msc:02x}); close other "
                    "sessions or try again later",
                    host=host,
                )
            if msc in _MSC_REFUSED:
                return AuthenticationError(
                    f"{where} refused user {user!r} at administrator privilege (RMCP+ status "
                    f"0x{msc:02x}: {exc.msc_desc}); check username, password and privilege",
                    host=host,
                )
            if msc in _MSC_ALGORITHM:
                return UnsupportedOperation(
                    f"{where} accepts none of the cipher suites {self.cipher_suites} (status "
                    f"0x{msc:02x}); pass cipher_suites= with one the BMC supports",
                    host=host,
                )
            return DriverError(
                f"{where} refused the session (RMCP+ status 0x{msc:02x}: {exc.msc_desc})",
                host=host,
            )
        if isinstance(exc, pyipmi_errors.CompletionCodeError):
            cc, step = exc.cc, intf.last_cmd
            if cc in _CC_BUSY:
                return BmcBusy(f"{where} is busy ({_CC_BUSY[cc]}); try again later", host=host)
            if step == _GET_SESSION_CHALLENGE and cc in (0x81, 0x82):
                return AuthenticationError(
                    f"{where} does not know user {user!r} (completion code 0x{cc:02x}); "
                    "check the username",
                    host=host,
                )
            if step == _ACTIVATE_SESSION and cc in (0x81, 0x82, 0x83):
                return BmcBusy(
                    f"{where} has no free session (completion code 0x{cc:02x}); close other "
                    "sessions or try again later",
                    host=host,
                )
            if step in (_ACTIVATE_SESSION, _SET_SESSION_PRIVILEGE):
                return AuthenticationError(
                    f"{where} refused administrator privilege to user {user!r} (completion "
                    f"code 0x{cc:02x}); give the user the administrator role",
                    host=host,
                )
            return DriverError(
                f"{where} refused the session setup (completion code 0x{cc:02x})", host=host
            )
        if isinstance(exc, pyipmi_errors.NotSupportedError):
            hint = (
                "use interface='lan'" if self.interface == "lanplus" else "use interface='lanplus'"
            )
            return UnsupportedOperation(
                f"{where}: the BMC offers no session type python-ipmi can use; {hint}",
                host=host,
            )
        if isinstance(exc, OSError):
            return UnreachableError(
                f"cannot reach {where} ({type(exc).__name__}); check host and port", host=host
            )
        return DriverError(
            f"session setup with {where} failed: the reply was not understood "
            f"({type(exc).__name__})",
            host=host,
        )

    def _cc_error(self, cc: int, what: str) -> DriverError:
        where, host = self._where(), self.host
        if cc in _CC_BUSY:
            return BmcBusy(f"{what}: {where} is busy ({_CC_BUSY[cc]})", host=host)
        if cc in _CC_UNSUPPORTED:
            return UnsupportedOperation(
                f"{what} is not supported by {where} (completion code 0x{cc:02x}, "
                f"{_CC_UNSUPPORTED[cc]})",
                host=host,
            )
        if cc == 0xD4:
            return AuthenticationError(
                f"{what}: user {self.username!r} lacks the privilege on {where} (completion "
                "code 0xd4); use an administrator or operator account",
                host=host,
            )
        if cc == 0xC3:
            return OperationTimeout(
                f"{what}: {where} timed out while processing (completion code 0xc3)", host=host
            )
        return DriverError(f"{what} failed on {where} with completion code 0x{cc:02x}", host=host)
