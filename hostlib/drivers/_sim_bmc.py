"""The simulated BMC's state machine: sessions, machine state and faults.

A :class:`BmcCore` takes one datagram and its source address and answers
through the ``send`` callable it was given; it owns no socket and no thread
(see ``_sim_loop.py``). Session setup is implemented here (IPMI 1.5 Get
Session Challenge / Activate Session, RMCP+ Open Session and RAKP 1-4);
command handlers live in ``_sim_commands.py``.

Sessions are keyed by the session ID this BMC handed out, in this BMC's own
table: logins to other BMCs, or from a reused client port, never touch them.
"""

from __future__ import annotations

import collections
import enum
import hmac
import ipaddress
import logging
import os
import secrets
import struct
import time
import uuid
from collections.abc import Callable
from typing import NamedTuple

import attrs

from hostlib.drivers import _rmcp as rmcp
from hostlib.drivers._rmcp import (
    AuthType,
    CipherSuite,
    CompletionCode,
    NetFn,
    PacketError,
    PayloadType,
    Privilege,
    RmcpStatus,
    SessionKeys,
)
from hostlib.drivers._sim_commands import COMMANDS
from hostlib.drivers.base import BootDevice, PowerAction
from hostlib.drivers.faults import FaultPlan
from hostlib.errors import ValidationError

__all__ = ["BmcCore", "LanConfig", "Session", "SessionState", "SimStats"]

log = logging.getLogger("hostlib.drivers.simulator")

Address = tuple[str, int]
Schedule = Callable[[float, Callable[[], None]], None]
Send = Callable[[bytes, Address], None]

# Suites this BMC accepts, most preferred first.
SUPPORTED_SUITES: tuple[CipherSuite, ...] = (rmcp.CIPHER_SUITES[17], rmcp.CIPHER_SUITES[3])

CMD_GET_SESSION_CHALLENGE = 0x39
CMD_ACTIVATE_SESSION = 0x3A

# Half-open logins (challenge sent, RAKP not finished) are forgotten sooner.
PENDING_TIMEOUT = 10.0

_BOOT_SELECTORS = {
    BootDevice.DEFAULT: 0x0,
    BootDevice.PXE: 0x1,
    BootDevice.DISK: 0x2,
    BootDevice.CDROM: 0x5,
    BootDevice.BIOS: 0x6,
}
_SELECTOR_DEVICES = {v: k for k, v in _BOOT_SELECTORS.items()} | {0x3: BootDevice.DISK}

_CONTROL_ACTIONS = {
    0: PowerAction.OFF,
    1: PowerAction.ON,
    2: PowerAction.CYCLE,
    3: PowerAction.RESET,
    5: PowerAction.SOFT_OFF,
}


def _ipv4(value: object) -> ipaddress.IPv4Address:
    try:
        return ipaddress.IPv4Address(value)
    except ValueError as exc:
        raise ValidationError(f"{value!r} is not an IPv4 address: give e.g. '127.0.0.1'") from exc


def _mac(value: object) -> bytes:
    if isinstance(value, bytes) and len(value) == 6:
        return value
    if isinstance(value, str):
        parts = value.replace("-", ":").split(":")
        try:
            raw = bytes(int(p, 16) for p in parts)
        except ValueError:
            raw = b""
        if len(parts) == 6 and len(raw) == 6:
            return raw
    raise ValidationError(f"{value!r} is not a MAC address: give e.g. '02:00:00:00:00:01'")


@attrs.frozen
class LanConfig:
    """What the simulated BMC reports as its LAN configuration (never used to route)."""

    ip_address: ipaddress.IPv4Address = attrs.field(
        default=ipaddress.IPv4Address("127.0.0.1"), converter=_ipv4
    )
    netmask: ipaddress.IPv4Address = attrs.field(
        default=ipaddress.IPv4Address("255.0.0.0"), converter=_ipv4
    )
    gateway: ipaddress.IPv4Address = attrs.field(
        default=ipaddress.IPv4Address("0.0.0.0"), converter=_ipv4
    )
    mac_address: bytes = attrs.field(default=b"\x02\x00\x00\x00\x00\x01", converter=_mac)

    @property
    def mac(self) -> str:
        """The MAC address as ``aa:bb:cc:dd:ee:ff``."""
        return ":".join(f"{b:02x}" for b in self.mac_address)


@attrs.frozen
class SimStats:
    """Counters of one simulated BMC.

    Attributes:
        packets_received: datagrams received, whatever they were.
        replies_sent: datagrams sent back.
        packets_dropped: datagrams not answered (silent or hang fault,
            malformed, failed authentication, unknown session).
        sessions_opened: logins that completed.
        sessions_active: sessions open now.
        auth_failures: logins refused for credentials (or the reject_auth fault).
        commands_handled: in-session commands answered (session setup excluded).
        busy_replies: commands answered "node busy" by the busy fault.
        suites_refused: RMCP+ Open Session requests refused for their cipher
            suite (algorithms not enabled on this BMC).
    """

    packets_received: int = 0
    replies_sent: int = 0
    packets_dropped: int = 0
    sessions_opened: int = 0
    sessions_active: int = 0
    auth_failures: int = 0
    commands_handled: int = 0
    busy_replies: int = 0
    suites_refused: int = 0


class SessionState(enum.Enum):
    OPEN = "open"  # RMCP+ Open Session answered, RAKP 1 expected
    RAKP2 = "rakp2"  # RAKP 2 sent, RAKP 3 expected
    ACTIVE = "active"


class Session:
    """One session of one BMC (IPMI 1.5 or RMCP+)."""

    __slots__ = (
        "auth_type",
        "bmc_random",
        "console_random",
        "console_sid",
        "keys",
        "last_active",
        "max_priv",
        "out_seq",
        "priv",
        "role",
        "sid",
        "state",
        "suite",
        "username",
        "version",
    )

    def __init__(self, sid: int, version: int, max_priv: int, now: float) -> None:
        self.sid = sid
        self.version = version
        self.max_priv = max_priv
        self.priv = min(int(Privilege.USER), max_priv)
        self.state = SessionState.OPEN
        self.last_active = now
        self.out_seq = 1
        self.auth_type = int(AuthType.RMCP_PLUS)
        self.console_sid = 0
        self.suite: CipherSuite | None = None
        self.keys: SessionKeys | None = None
        self.console_random = b""
        self.bmc_random = b""
        self.role = 0
        self.username = b""

    def __repr__(self) -> str:
        return f"<Session {self.sid:#010x} v{self.version} {self.state.value} priv={self.priv}>"


class _Challenge(NamedTuple):
    auth_type: int
    challenge: bytes
    created: float


class BmcCore:
    """State and protocol logic of one simulated BMC (no I/O of its own).

    Every method runs with the owning loop's lock held.
    """

    def __init__(
        self,
        *,
        username: bytes,
        password: bytes,
        faults: FaultPlan,
        schedule: Schedule,
        send: Send,
        power_on: bool = False,
        boot_device: BootDevice = BootDevice.DEFAULT,
        boot_persistent: bool = False,
        soft_off_delay: float = 0.0,
        acpi: bool = True,
        cycle_delay: float = 0.0,
        max_sessions: int = 16,
        session_timeout: float = 60.0,
        consume_boot_override: bool = True,
        lan: LanConfig | None = None,
        suites: tuple[CipherSuite, ...] = SUPPORTED_SUITES,
        claims_suite_17: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._username = username
        self.suites = suites
        self.claims_suite_17 = claims_suite_17
        self._password = password
        self.faults = faults
        self._schedule = schedule
        self._send_raw = send
        self._clock = clock
        self.guid = uuid.uuid4().bytes
        self.power_on = power_on
        self.power_gen = 0
        self.boot_flags = bytearray(5)
        self.set_boot(boot_device, boot_persistent)
        self.boot_params: dict[int, bytearray] = {
            0: bytearray(1),
            1: bytearray(1),
            2: bytearray(1),
            3: bytearray(1),
            4: bytearray(2),
            6: bytearray(9),
            7: bytearray(17),
        }
        self.soft_off_delay = soft_off_delay
        self.acpi = acpi
        self.cycle_delay = cycle_delay
        self.max_sessions = max_sessions
        self.session_timeout = session_timeout
        self.consume_boot_override = consume_boot_override
        self.lan = lan or LanConfig()
        self.sessions: dict[int, Session] = {}
        self._challenges: dict[int, _Challenge] = {}
        self.power_actions: collections.deque[PowerAction] = collections.deque(maxlen=1000)
        self.stats = _Counters()

    # -- machine state ------------------------------------------------------------

    @property
    def boot_device(self) -> BootDevice:
        if not self.boot_flags[0] & 0x80:
            return BootDevice.DEFAULT
        return _SELECTOR_DEVICES.get((self.boot_flags[1] >> 2) & 0x0F, BootDevice.DEFAULT)

    @property
    def boot_persistent(self) -> bool:
        return bool(self.boot_flags[0] & 0x80 and self.boot_flags[0] & 0x40)

    def set_boot(self, device: BootDevice, persistent: bool) -> None:
        if device is BootDevice.DEFAULT:
            self.boot_flags[:] = bytes((0x40 if persistent else 0, 0, 0, 0, 0))
            return
        self.boot_flags[0] = 0x80 | (0x40 if persistent else 0) | (self.boot_flags[0] & 0x20)
        self.boot_flags[1] = (self.boot_flags[1] & ~0x3C & 0xFF) | (_BOOT_SELECTORS[device] << 2)

    def set_power(self, on: bool) -> None:
        """Set the power state now, cancelling pending transitions."""
        self.power_gen += 1
        self.power_on = on

    def _booted(self) -> None:
        # The BIOS consumes a one-time boot override when the server boots.
        if (
            self.consume_boot_override
            and self.boot_flags[0] & 0x80
            and not self.boot_flags[0] & 0x40
        ):
            self.boot_flags[:] = bytes(5)

    def _later(self, delay: float, action: Callable[[], None]) -> None:
        """Run ``action`` after ``delay`` unless the power state changed meanwhile."""
        if delay <= 0:
            action()
            return
        gen = self.power_gen

        def fire() -> None:
            if self.power_gen == gen:
                action()

        self._schedule(delay, fire)

    def chassis_control(self, code: int) -> int:
        """Carry out a Chassis Control request; return its completion code."""
        action = _CONTROL_ACTIONS.get(code)
        if code == 4:  # diagnostic interrupt: accepted, nothing visible happens
            return (
                CompletionCode.OK
                if self.power_on
                else CompletionCode.NOT_SUPPORTED_IN_PRESENT_STATE
            )
        if action is None:
            return CompletionCode.INVALID_DATA_FIELD
        if action in (PowerAction.CYCLE, PowerAction.RESET) and not self.power_on:
            # Spec: cycle has no effect on a server that is off (D5h allowed).
            return CompletionCode.NOT_SUPPORTED_IN_PRESENT_STATE
        self.power_actions.append(action)
        self.power_gen += 1
        if action is PowerAction.ON:
            if not self.power_on:
                self.power_on = True
                self._booted()
        elif action is PowerAction.OFF:
            self.power_on = False
        elif action is PowerAction.RESET:
            self._booted()
        elif action is PowerAction.CYCLE:
            self.power_on = False

            def back_on() -> None:
                self.power_on = True
                self._booted()

            self._later(self.cycle_delay, back_on)
        elif self.power_on and self.acpi:  # SOFT_OFF: the OS shuts down, if it listens

            def off() -> None:
                self.power_on = False

            self._later(self.soft_off_delay, off)
        return CompletionCode.OK

    # -- sessions -------------------------------------------------------------------

    def _new_sid(self) -> int:
        while True:
            sid = secrets.randbits(32)
            if sid and sid not in self.sessions and sid not in self._challenges:
                return sid

    def sweep(self, now: float | None = None) -> None:
        """Forget idle sessions and stale challenges."""
        now = self._clock() if now is None else now
        pending = min(PENDING_TIMEOUT, self.session_timeout)
        for sid, s in list(self.sessions.items()):
            limit = self.session_timeout if s.state is SessionState.ACTIVE else pending
            if now - s.last_active > limit:
                del self.sessions[sid]
        for sid, c in list(self._challenges.items()):
            if now - c.created > pending:
                del self._challenges[sid]

    def _has_slot(self, now: float) -> bool:
        if len(self.sessions) >= self.max_sessions:
            self.sweep(now)
        return len(self.sessions) < self.max_sessions

    def close_session(self, sid: int) -> None:
        self.sessions.pop(sid, None)

    def active_sessions(self) -> int:
        return sum(1 for s in self.sessions.values() if s.state is SessionState.ACTIVE)

    def active_suites(self) -> list[int]:
        """Cipher suites (as served, not as announced) of the active RMCP+ sessions."""
        return sorted(
            s.suite.id
            for s in self.sessions.values()
            if s.state is SessionState.ACTIVE and s.suite is not None
        )

    # -- datagrams ------------------------------------------------------------------

    def datagram(self, data: bytes, addr: Address) -> None:
        """Handle one datagram from ``addr`` and send the reply, if any."""
        stats = self.stats
        stats.packets_received += 1
        faults = self.faults
        if faults.silent:
            stats.packets_dropped += 1
            return
        try:
            reply = self._handle(data)
        except PacketError as exc:
            log.debug("dropping a malformed packet from %s: %s", addr, exc)
            reply = None
        if reply is None:
            stats.packets_dropped += 1
            return
        latency = faults.latency
        if latency > 0:
            self._schedule(latency, lambda: self._send(reply, addr))
        else:
            self._send(reply, addr)

    def _send(self, reply: bytes, addr: Address) -> None:
        self.stats.replies_sent += 1
        self._send_raw(reply, addr)

    def _handle(self, data: bytes) -> bytes | None:
        cls = rmcp.rmcp_class(data)
        if cls == rmcp.RMCP_CLASS_IPMI:
            if data[4] == AuthType.RMCP_PLUS:
                return self._handle_v20(data)
            return self._handle_v15(data)
        if cls == rmcp.RMCP_CLASS_ASF:
            msg_type, tag = rmcp.decode_asf(data)
            return rmcp.encode_asf_pong(tag) if msg_type == rmcp.ASF_PING else None
        return None

    def _dispatch(self, session: Session | None, req: rmcp.IpmiRequest) -> tuple[int, bytes] | None:
        """Run a command; None means "do not answer"."""
        entry = COMMANDS.get((req.netfn, req.cmd))
        if session is None:
            if entry is None or entry.privilege:
                return None  # only pre-session commands outside a session
            return entry.handler(self, None, req.data)
        if entry is None or not entry.setup:
            if self.faults.hang:
                return None
            if entry is None:
                log.debug("invalid command netfn=%#x cmd=%#x", req.netfn, req.cmd)
                return CompletionCode.INVALID_COMMAND, b""
        if session.priv < entry.privilege:
            return CompletionCode.INSUFFICIENT_PRIVILEGE, b""
        if not entry.setup:
            if self.faults.take_busy():
                self.stats.busy_replies += 1
                return CompletionCode.NODE_BUSY, b""
            self.stats.commands_handled += 1
        return entry.handler(self, session, req.data)

    # -- IPMI 1.5 -------------------------------------------------------------------

    def _handle_v15(self, data: bytes) -> bytes | None:
        pkt = rmcp.decode_v15(data)
        req = rmcp.decode_request(pkt.message)
        now = self._clock()
        if pkt.session_id == 0:
            if pkt.auth_type != AuthType.NONE:
                return None
            if (req.netfn, req.cmd) == (NetFn.APP, CMD_GET_SESSION_CHALLENGE):
                result: tuple[int, bytes] | None = self._session_challenge(req.data, now)
            else:
                result = self._dispatch(None, req)
            if result is None:
                return None
            return rmcp.encode_v15(AuthType.NONE, 0, 0, rmcp.encode_response(req, *result))
        challenge = self._challenges.get(pkt.session_id)
        if challenge is not None:
            if (req.netfn, req.cmd) != (NetFn.APP, CMD_ACTIVATE_SESSION):
                return None
            return self._activate(pkt, req, challenge, now)
        session = self.sessions.get(pkt.session_id)
        if session is None or session.version != 15 or pkt.auth_type != session.auth_type:
            return None
        expected = rmcp.v15_auth_code(
            session.auth_type, self._password, pkt.session_id, pkt.message, pkt.seq
        )
        if not hmac.compare_digest(expected, pkt.auth_code):
            return None
        session.last_active = now
        result = self._dispatch(session, req)
        if result is None:
            return None
        return self._v15_reply(session, rmcp.encode_response(req, *result))

    def _v15_reply(self, session: Session, message: bytes) -> bytes:
        seq = session.out_seq
        session.out_seq = (seq + 1) & 0xFFFFFFFF or 1
        return rmcp.encode_v15(session.auth_type, seq, session.sid, message, self._password)

    def _session_challenge(self, data: bytes, now: float) -> tuple[int, bytes]:
        if len(data) != 17:
            return CompletionCode.REQUEST_DATA_LENGTH_INVALID, b""
        auth_type = data[0] & 0x0F
        if auth_type not in (AuthType.MD5, AuthType.PASSWORD):
            return CompletionCode.INVALID_DATA_FIELD, b""
        name = data[1:17].rstrip(b"\x00")
        if not name:
            return 0x82, b""  # null user names are not enabled
        if name != self._username:
            self.stats.auth_failures += 1
            return 0x81, b""  # invalid user name
        if len(self._challenges) >= 2 * self.max_sessions:
            self.sweep(now)
            while len(self._challenges) >= 2 * self.max_sessions:
                del self._challenges[next(iter(self._challenges))]
        sid = self._new_sid()
        challenge = os.urandom(16)
        self._challenges[sid] = _Challenge(auth_type, challenge, now)
        return CompletionCode.OK, struct.pack("<I", sid) + challenge

    def _activate(
        self, pkt: rmcp.V15Packet, req: rmcp.IpmiRequest, challenge: _Challenge, now: float
    ) -> bytes | None:
        temp_sid = pkt.session_id
        d = req.data
        if len(d) != 22 or pkt.auth_type != challenge.auth_type or d[0] & 0x0F != pkt.auth_type:
            return None
        expected = rmcp.v15_auth_code(pkt.auth_type, self._password, temp_sid, pkt.message, pkt.seq)
        if not hmac.compare_digest(expected, pkt.auth_code) or self.faults.reject_auth:
            # Spec: a request with a bad auth code is discarded, not answered.
            del self._challenges[temp_sid]
            self.stats.auth_failures += 1
            return None
        if not hmac.compare_digest(d[2:18], challenge.challenge):
            return None
        del self._challenges[temp_sid]
        max_priv = d[1] & 0x0F

        def refuse(code: int) -> bytes:
            msg = rmcp.encode_response(req, code)
            return rmcp.encode_v15(pkt.auth_type, 0, temp_sid, msg, self._password)

        if not Privilege.CALLBACK <= max_priv <= Privilege.ADMINISTRATOR:
            return refuse(0x86)  # requested privilege exceeds the user's limit
        if self.faults.take_out_of_sessions() or not self._has_slot(now):
            return refuse(0x81)  # no session slot available
        session = Session(self._new_sid(), 15, max_priv, now)
        session.auth_type = pkt.auth_type
        session.state = SessionState.ACTIVE
        (session.out_seq,) = struct.unpack("<I", d[18:22])
        self.sessions[session.sid] = session
        self.stats.sessions_opened += 1
        inbound = secrets.randbits(31) | 1
        data = bytes((pkt.auth_type,)) + struct.pack("<II", session.sid, inbound)
        msg = rmcp.encode_response(req, CompletionCode.OK, data + bytes((max_priv,)))
        return rmcp.encode_v15(pkt.auth_type, 0, session.sid, msg, self._password)

    # -- RMCP+ ----------------------------------------------------------------------

    def _handle_v20(self, data: bytes) -> bytes | None:
        if len(data) < 16:
            raise PacketError("RMCP+ packet shorter than its header")
        ptype = data[5] & 0x3F
        (sid,) = struct.unpack_from("<I", data, 6)
        now = self._clock()
        if ptype == PayloadType.IPMI and sid:
            session = self.sessions.get(sid)
            if session is None or session.keys is None or session.state is not SessionState.ACTIVE:
                return None
            keys = session.keys
            pkt = rmcp.decode_rmcpplus(data, keys.suite.integrity_length)
            req = rmcp.decode_request(rmcp.open_rmcpplus(pkt, keys))
            session.last_active = now
            result = self._dispatch(session, req)
            if result is None:
                return None
            seq = session.out_seq
            session.out_seq = (seq + 1) & 0xFFFFFFFF or 1
            msg = rmcp.encode_response(req, *result)
            return rmcp.encode_rmcpplus(PayloadType.IPMI, session.console_sid, seq, msg, keys)
        pkt = rmcp.decode_rmcpplus(data)
        if pkt.authenticated or pkt.encrypted:
            return None
        if ptype == PayloadType.IPMI:
            req = rmcp.decode_request(pkt.payload)
            result = self._dispatch(None, req)
            if result is None:
                return None
            return rmcp.encode_rmcpplus(PayloadType.IPMI, 0, 0, rmcp.encode_response(req, *result))
        if ptype == PayloadType.OPEN_SESSION_REQUEST:
            payload = self._open_session(rmcp.decode_open_session_request(pkt.payload), now)
            return rmcp.encode_rmcpplus(PayloadType.OPEN_SESSION_RESPONSE, 0, 0, payload)
        if ptype == PayloadType.RAKP_1:
            payload = self._rakp1(rmcp.decode_rakp1(pkt.payload), now)
            return rmcp.encode_rmcpplus(PayloadType.RAKP_2, 0, 0, payload)
        if ptype == PayloadType.RAKP_3:
            reply = self._rakp3(rmcp.decode_rakp3(pkt.payload), now)
            if reply is None:
                return None
            return rmcp.encode_rmcpplus(PayloadType.RAKP_4, 0, 0, reply)
        return None

    def _choose_suite(self, req: rmcp.OpenSessionRequest) -> tuple[CipherSuite, CipherSuite] | int:
        """Return (suite announced, suite used) for the proposal, or the RMCP+ status refusing it.

        The two differ only with ``claims_suite_17``: a suite-17 proposal is
        answered with suite 17's algorithms and then served with suite 3.
        """
        wanted = (req.auth, req.integrity, req.confidentiality)

        def matches(suite: CipherSuite) -> bool:
            offered = (suite.auth, suite.integrity, suite.confidentiality)
            return all(w is None or w == o for w, o in zip(wanted, offered, strict=True))

        suite_17 = rmcp.CIPHER_SUITES[17]
        if self.claims_suite_17 and matches(suite_17):
            return suite_17, rmcp.CIPHER_SUITES[3]
        for suite in self.suites:
            if matches(suite):
                return suite, suite
        # An algorithm this BMC implements in no suite at all is named as
        # such; known algorithms in a combination that is not enabled here
        # are "no matching cipher suite", as BMCs with a suite list answer.
        if req.auth is not None and req.auth not in {s.auth for s in SUPPORTED_SUITES}:
            return RmcpStatus.INVALID_AUTH_ALGORITHM
        if req.integrity is not None and req.integrity not in {
            s.integrity for s in SUPPORTED_SUITES
        }:
            return RmcpStatus.INVALID_INTEGRITY_ALGORITHM
        if req.confidentiality is not None and req.confidentiality not in {
            s.confidentiality for s in SUPPORTED_SUITES
        }:
            return RmcpStatus.INVALID_CONFIDENTIALITY_ALGORITHM
        return RmcpStatus.NO_CIPHER_SUITE_MATCH

    def _open_session(self, req: rmcp.OpenSessionRequest, now: float) -> bytes:
        def refuse(status: int) -> bytes:
            rsp = rmcp.OpenSessionResponse(req.tag, status, 0, req.console_sid)
            return rmcp.encode_open_session_response(rsp)

        chosen = self._choose_suite(req)
        if isinstance(chosen, int):
            self.stats.suites_refused += 1
            return refuse(chosen)
        announced, suite = chosen
        priv = req.max_privilege or Privilege.ADMINISTRATOR
        if priv > Privilege.ADMINISTRATOR:
            return refuse(RmcpStatus.UNAUTHORIZED_ROLE)
        if self.faults.take_out_of_sessions() or not self._has_slot(now):
            return refuse(RmcpStatus.INSUFFICIENT_RESOURCES)
        session = Session(self._new_sid(), 20, priv, now)
        session.console_sid = req.console_sid
        session.suite = suite
        self.sessions[session.sid] = session
        rsp = rmcp.OpenSessionResponse(
            req.tag,
            RmcpStatus.OK,
            priv,
            req.console_sid,
            session.sid,
            announced.auth,
            announced.integrity,
            announced.confidentiality,
        )
        return rmcp.encode_open_session_response(rsp)

    def _rakp1(self, msg: rmcp.Rakp1, now: float) -> bytes:
        session = self.sessions.get(msg.bmc_sid)
        if (
            session is None
            or session.suite is None
            or session.state not in (SessionState.OPEN, SessionState.RAKP2)
        ):
            return rmcp.encode_rakp2(rmcp.Rakp2(msg.tag, RmcpStatus.INVALID_SESSION_ID, 0))
        suite = session.suite

        def refuse(status: int) -> bytes:
            del self.sessions[msg.bmc_sid]
            return rmcp.encode_rakp2(rmcp.Rakp2(msg.tag, status, session.console_sid))

        if msg.username != self._username:
            self.stats.auth_failures += 1
            return refuse(RmcpStatus.UNAUTHORIZED_NAME)
        level = msg.role & 0x0F
        if not Privilege.CALLBACK <= level <= Privilege.OEM:
            return refuse(RmcpStatus.INVALID_ROLE)
        if level > session.max_priv:
            return refuse(RmcpStatus.UNAUTHORIZED_ROLE)
        session.last_active = now
        session.state = SessionState.RAKP2
        session.role = msg.role
        session.username = msg.username
        session.console_random = msg.console_random
        session.bmc_random = os.urandom(16)
        kuid = self._password
        if self.faults.reject_auth:
            # Sign with a key nobody knows: the client sees a wrong password.
            kuid = os.urandom(20)
            self.stats.auth_failures += 1
        code = rmcp.rakp2_auth_code(
            suite,
            kuid,
            session.console_sid,
            session.sid,
            session.console_random,
            session.bmc_random,
            self.guid,
            session.role,
            session.username,
        )
        reply = rmcp.Rakp2(
            msg.tag, RmcpStatus.OK, session.console_sid, session.bmc_random, self.guid, code
        )
        return rmcp.encode_rakp2(reply)

    def _rakp3(self, msg: rmcp.Rakp3, now: float) -> bytes | None:
        session = self.sessions.get(msg.bmc_sid)
        if (
            session is None
            or session.suite is None
            or session.state not in (SessionState.RAKP2, SessionState.ACTIVE)
        ):
            return rmcp.encode_rakp4(rmcp.Rakp4(msg.tag, RmcpStatus.INVALID_SESSION_ID, 0))
        if msg.status != RmcpStatus.OK:
            # The console gave up (it found our RAKP 2 wrong): free the slot.
            del self.sessions[msg.bmc_sid]
            return None
        suite = session.suite
        expected = rmcp.rakp3_auth_code(
            suite,
            self._password,
            session.bmc_random,
            session.console_sid,
            session.role,
            session.username,
        )
        if self.faults.reject_auth or not hmac.compare_digest(expected, msg.auth_code):
            del self.sessions[msg.bmc_sid]
            self.stats.auth_failures += 1
            status = RmcpStatus.INVALID_INTEGRITY_CHECK_VALUE
            return rmcp.encode_rakp4(rmcp.Rakp4(msg.tag, status, session.console_sid))
        if session.state is not SessionState.ACTIVE:
            session.keys = rmcp.derive_session_keys(
                suite,
                self._password,
                session.console_random,
                session.bmc_random,
                session.role,
                session.username,
            )
            session.max_priv = min(session.max_priv, session.role & 0x0F)
            session.priv = min(int(Privilege.USER), session.max_priv)
            session.state = SessionState.ACTIVE
            self.stats.sessions_opened += 1
        session.last_active = now
        assert session.keys is not None
        icv = rmcp.rakp4_icv(
            suite, session.keys.sik, session.console_random, session.sid, self.guid
        )
        return rmcp.encode_rakp4(rmcp.Rakp4(msg.tag, RmcpStatus.OK, session.console_sid, icv))

    # -- stats ----------------------------------------------------------------------

    def snapshot(self) -> SimStats:
        c = self.stats
        return SimStats(
            packets_received=c.packets_received,
            replies_sent=c.replies_sent,
            packets_dropped=c.packets_dropped,
            sessions_opened=c.sessions_opened,
            sessions_active=self.active_sessions(),
            auth_failures=c.auth_failures,
            commands_handled=c.commands_handled,
            busy_replies=c.busy_replies,
            suites_refused=c.suites_refused,
        )


class _Counters:
    __slots__ = (
        "auth_failures",
        "busy_replies",
        "commands_handled",
        "packets_dropped",
        "packets_received",
        "replies_sent",
        "sessions_opened",
        "suites_refused",
    )

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.packets_received = 0
        self.replies_sent = 0
        self.packets_dropped = 0
        self.sessions_opened = 0
        self.auth_failures = 0
        self.commands_handled = 0
        self.busy_replies = 0
        self.suites_refused = 0
