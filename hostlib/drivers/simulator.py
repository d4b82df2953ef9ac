"""A real IPMI-over-LAN BMC on loopback, for tests, notebooks and benchmarks.

:class:`SimulatedBMC` answers ``ipmitool -I lanplus`` (cipher suites 3 and
17), ``ipmitool -I lan`` (IPMI 1.5, MD5 or straight password), pyghmi and
python-ipmi, on a UDP port of 127.0.0.1 (or ::1). Its power state, boot
override and scripted faults (:class:`~hostlib.drivers.faults.FaultPlan`)
can be read and changed at any time::

    from hostlib.drivers.simulator import SimulatedBMC, SimulatedRack

    with SimulatedBMC(username="admin", password="secret") as bmc:
        bmc.power_state = PowerState.ON        # what every client will now read
        bmc.faults.busy = 2                    # the next two commands answer 0xC0
        ...                                    # talk to bmc.host, bmc.port

    with SimulatedRack(1000, username="admin", password="secret", latency=0.02) as rack:
        ports = [b.port for b in rack.bmcs]    # one I/O thread serves them all

Behaviour worth knowing:

* A session starts at User privilege; clients raise it with Set Session
  Privilege Level (all the clients above do). Chassis Control, boot options
  and LAN parameters need Operator.
* Power cycle and hard reset of a server that is off answer completion code
  0xD5 (not supported in present state), as the IPMI spec allows.
* A one-time boot override (not persistent) is consumed when the server
  boots (power on, reset, end of a power cycle), as a BIOS does; pass
  ``consume_boot_override=False`` to keep it.
* With IPMI 1.5 a wrong password is not answered at all (the spec discards
  packets with a bad auth code); with RMCP+ the client detects it in RAKP 2.
* ``cipher_suites=(3,)`` or ``(17,)`` makes a BMC that refuses the other
  suite ("no matching cipher suite"); ``claims_suite_17=True`` one that
  "accepts" 17 and then speaks SHA-1, as pyghmi's own BMC server does.
* Inbound session sequence numbers are not checked against a replay window.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator, Sequence
from typing import Any

from hostlib.drivers._rmcp import CIPHER_SUITES
from hostlib.drivers._sim_bmc import BmcCore, LanConfig, SimStats
from hostlib.drivers._sim_loop import IoLoop
from hostlib.drivers.base import BootDevice, PowerAction, PowerState
from hostlib.drivers.faults import FaultPlan
from hostlib.errors import ConflictError, ValidationError
from hostlib.inventory import BmcEndpoint, Credentials, Secret

__all__ = ["LanConfig", "SimStats", "SimulatedBMC", "SimulatedRack"]

_SWEEP_INTERVAL = 5.0


def _seconds(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValidationError(f"{name}={value!r} is not valid: give a number of seconds >= 0")
    return float(value)


def _cipher_suites(value: object) -> tuple[int, ...]:
    suites: list[int] = []
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        suites = [s for s in value if isinstance(s, int) and not isinstance(s, bool)]
        if len(suites) != len(value) or any(s not in CIPHER_SUITES for s in suites):
            suites = []
    if not suites or len(set(suites)) != len(suites):
        known = " and/or ".join(str(s) for s in sorted(CIPHER_SUITES, reverse=True))
        raise ValidationError(
            f"cipher_suites={value!r} is not valid: give a non-empty sequence of {known}, "
            "without repeats, e.g. (17, 3) or (3,)"
        )
    return tuple(suites)


def _loopback(host: object) -> str:
    try:
        addr = ipaddress.ip_address(str(host).strip("[]"))
    except ValueError as exc:
        raise ValidationError(
            f"host={host!r} is not valid: give a loopback address such as 127.0.0.1 or ::1"
        ) from exc
    if not addr.is_loopback:
        raise ValidationError(
            f"host={host!r} is not a loopback address: the simulator only listens on "
            "127.0.0.0/8 or ::1"
        )
    return str(addr)


class _Server:
    """The I/O loop and the BMCs it serves; shared by a rack, private to a lone BMC."""

    def __init__(self, name: str) -> None:
        self.loop = IoLoop(name)
        self.bmcs: list[SimulatedBMC] = []
        self._started = False
        self._closed = False

    def start(self) -> None:
        with self.loop.lock:
            if self._closed:
                raise ConflictError("this simulator was closed; create a new one")
            if self._started:
                return
            self._started = True
        self.loop.start()
        self._schedule_sweep()

    def _schedule_sweep(self) -> None:
        timeouts = [b._core.session_timeout for b in self.bmcs] or [60.0]
        interval = max(0.05, min(_SWEEP_INTERVAL, min(timeouts) / 4))

        def sweep() -> None:
            if self._closed:
                return
            for bmc in self.bmcs:
                if bmc._core.sessions:
                    bmc._core.sweep()
            self.loop.call_later(interval, sweep)

        self.loop.call_later(interval, sweep)

    def close(self) -> None:
        with self.loop.lock:
            if self._closed:
                return
            self._closed = True
        self.loop.stop()
        for bmc in self.bmcs:
            bmc._sock.close()


class SimulatedBMC:
    """One simulated BMC listening on a loopback UDP port.

    Args:
        username: the one user this BMC knows (1-16 bytes).
        password: that user's password (up to 20 bytes; IPMI 1.5 uses the first 16).
        host: loopback address to listen on.
        port: UDP port; 0 picks a free one (see :attr:`port`).
        latency: seconds added before every reply (same as ``faults.latency``).
        power_state: initial power state.
        boot_device: initial boot override; ``boot_persistent`` its persistence.
        faults: the fault plan to follow; a fresh one by default.
        soft_off_delay: seconds the simulated OS takes to honour an ACPI soft off.
        acpi: False makes the OS ignore soft shutdown requests.
        cycle_delay: seconds the server stays off during a power cycle.
        max_sessions: sessions (including half-open logins) this BMC holds at once;
            further logins get "insufficient resources".
        session_timeout: seconds after which an idle session is forgotten.
        consume_boot_override: a one-time boot override is cleared when the
            server boots.
        lan: what Get LAN Configuration Parameters reports.
        cipher_suites: the RMCP+ cipher suites this BMC accepts, out of 17
            (SHA-256) and 3 (SHA-1); a proposal of any other is refused with
            RMCP+ status 0x11 "no matching cipher suite" (or "invalid
            algorithm" for an algorithm no suite here uses).
        claims_suite_17: reproduce pyghmi's own BMC server: a suite-17
            proposal is "accepted" (answered with suite 17's algorithms), but
            RAKP and the session then use SHA-1 as in suite 3, whether or
            not ``cipher_suites`` lists 17. Clients that believe the answer fail
            RAKP 2 ("incorrect password"); ipmitool ``-C 17`` fails the same way.

    Raises:
        ValidationError: a bad setting.
        ConflictError: ``port`` is already in use.
    """

    def __init__(
        self,
        *,
        username: str,
        password: str | Secret,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        power_state: PowerState = PowerState.OFF,
        boot_device: BootDevice | str = BootDevice.DEFAULT,
        boot_persistent: bool = False,
        faults: FaultPlan | None = None,
        soft_off_delay: float = 0.0,
        acpi: bool = True,
        cycle_delay: float = 0.0,
        max_sessions: int = 16,
        session_timeout: float = 60.0,
        consume_boot_override: bool = True,
        lan: LanConfig | None = None,
        cipher_suites: Sequence[int] = (17, 3),
        claims_suite_17: bool = False,
        _server: _Server | None = None,
    ) -> None:
        if not isinstance(username, str) or not 1 <= len(username.encode()) <= 16:
            raise ValidationError("username must be a string of 1 to 16 bytes")
        secret = password if isinstance(password, Secret) else Secret(password)
        if len(secret.reveal().encode()) > 20:
            raise ValidationError("password must be at most 20 bytes (the IPMI limit)")
        if not isinstance(power_state, PowerState):
            raise ValidationError("power_state must be a PowerState")
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValidationError(f"port={port!r} is not valid: give 0 (any free port) to 65535")
        if isinstance(max_sessions, bool) or not isinstance(max_sessions, int) or max_sessions < 1:
            raise ValidationError(f"max_sessions={max_sessions!r} is not valid: give an int >= 1")
        suites = _cipher_suites(cipher_suites)
        if not isinstance(claims_suite_17, bool):
            raise ValidationError("claims_suite_17 must be True or False")
        timeout = _seconds("session_timeout", session_timeout)
        if timeout <= 0:
            raise ValidationError("session_timeout must be > 0 seconds")
        self._username = username
        self._password = secret
        plan = faults if faults is not None else FaultPlan()
        if not isinstance(plan, FaultPlan):
            raise ValidationError("faults must be a hostlib.drivers.faults.FaultPlan")
        plan.latency = _seconds("latency", latency) or plan.latency
        self._own_server = _server is None
        self._server = _server if _server is not None else _Server("hostlib-sim-bmc")
        self._lock = self._server.loop.lock

        addr = _loopback(host)
        family = socket.AF_INET6 if ":" in addr else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            self._sock.bind((addr, port))
        except OSError as exc:
            self._sock.close()
            raise ConflictError(
                f"cannot listen on {addr} port {port} ({exc.strerror}); pass port=0 "
                "to use a free port"
            ) from exc
        self._host = addr
        self._port: int = self._sock.getsockname()[1]
        sock = self._sock

        def send(data: bytes, to: tuple[str, int]) -> None:
            try:  # noqa: SIM105 (per packet: cheaper than contextlib.suppress)
                sock.sendto(data, to)
            except OSError:
                pass  # a full buffer or a closed socket: lost, as UDP may be

        self._core = BmcCore(
            username=username.encode(),
            password=secret.reveal().encode(),
            faults=plan,
            schedule=self._server.loop.call_later,
            send=send,
            power_on=power_state is PowerState.ON,
            boot_device=BootDevice.parse(boot_device),
            boot_persistent=bool(boot_persistent),
            soft_off_delay=_seconds("soft_off_delay", soft_off_delay),
            acpi=bool(acpi),
            cycle_delay=_seconds("cycle_delay", cycle_delay),
            max_sessions=max_sessions,
            session_timeout=timeout,
            consume_boot_override=bool(consume_boot_override),
            lan=lan,
            suites=tuple(CIPHER_SUITES[s] for s in suites),
            claims_suite_17=claims_suite_17,
        )
        self._server.bmcs.append(self)
        self._server.loop.add_socket(self._sock, self._core.datagram)

    # -- lifecycle ------------------------------------------------------------------

    def start(self) -> SimulatedBMC:
        """Start answering (``with`` does this); returns self."""
        self._server.start()
        return self

    def close(self) -> None:
        """Stop answering and free the port (a rack's BMCs close with the rack)."""
        if self._own_server:
            self._server.close()

    def __enter__(self) -> SimulatedBMC:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<SimulatedBMC {self._host}:{self._port} user={self._username!r}>"

    # -- where and who --------------------------------------------------------------

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        return self._port

    @property
    def username(self) -> str:
        return self._username

    @property
    def cipher_suites(self) -> tuple[int, ...]:
        """The RMCP+ cipher suites this BMC accepts, most preferred first."""
        return tuple(s.id for s in self._core.suites)

    @property
    def claims_suite_17(self) -> bool:
        """Whether suite 17 is "accepted" and then served with SHA-1 (see the constructor)."""
        return self._core.claims_suite_17

    @property
    def session_suites(self) -> list[int]:
        """The cipher suite each active RMCP+ session really uses, sorted."""
        with self._lock:
            return self._core.active_suites()

    @property
    def credentials(self) -> Credentials:
        return Credentials(self._username, self._password)

    def endpoint(self, driver: str = "ipmi") -> BmcEndpoint:
        """Return the inventory endpoint of this BMC, for ``driver``."""
        return BmcEndpoint(
            host=self._host, port=self._port, credentials=self.credentials, driver=driver
        )

    # -- machine state --------------------------------------------------------------

    @property
    def power_state(self) -> PowerState:
        return PowerState.ON if self._core.power_on else PowerState.OFF

    @power_state.setter
    def power_state(self, state: PowerState) -> None:
        if not isinstance(state, PowerState):
            raise ValidationError("power_state must be PowerState.ON or PowerState.OFF")
        with self._lock:
            self._core.set_power(state is PowerState.ON)

    @property
    def boot_device(self) -> BootDevice:
        with self._lock:
            return self._core.boot_device

    @boot_device.setter
    def boot_device(self, device: BootDevice | str) -> None:
        dev = BootDevice.parse(device)
        with self._lock:
            self._core.set_boot(dev, self._core.boot_persistent)

    @property
    def boot_persistent(self) -> bool:
        with self._lock:
            return self._core.boot_persistent

    @boot_persistent.setter
    def boot_persistent(self, persistent: bool) -> None:
        with self._lock:
            self._core.set_boot(self._core.boot_device, bool(persistent))

    @property
    def boot_flags(self) -> bytes:
        """The raw five bytes of boot option parameter 5 (boot flags)."""
        with self._lock:
            return bytes(self._core.boot_flags)

    @property
    def lan(self) -> LanConfig:
        return self._core.lan

    @lan.setter
    def lan(self, value: LanConfig) -> None:
        if not isinstance(value, LanConfig):
            raise ValidationError("lan must be a LanConfig")
        self._core.lan = value

    @property
    def acpi(self) -> bool:
        return self._core.acpi

    @acpi.setter
    def acpi(self, value: bool) -> None:
        self._core.acpi = bool(value)

    @property
    def soft_off_delay(self) -> float:
        return self._core.soft_off_delay

    @soft_off_delay.setter
    def soft_off_delay(self, value: float) -> None:
        self._core.soft_off_delay = _seconds("soft_off_delay", value)

    @property
    def cycle_delay(self) -> float:
        return self._core.cycle_delay

    @cycle_delay.setter
    def cycle_delay(self, value: float) -> None:
        self._core.cycle_delay = _seconds("cycle_delay", value)

    @property
    def power_actions(self) -> list[PowerAction]:
        """Chassis Control actions received and carried out, oldest first (last 1,000)."""
        with self._lock:
            return list(self._core.power_actions)

    # -- faults and counters ----------------------------------------------------------

    @property
    def faults(self) -> FaultPlan:
        return self._core.faults

    @faults.setter
    def faults(self, plan: FaultPlan) -> None:
        if not isinstance(plan, FaultPlan):
            raise ValidationError("faults must be a hostlib.drivers.faults.FaultPlan")
        with self._lock:
            self._core.faults = plan

    @property
    def latency(self) -> float:
        return self._core.faults.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self._core.faults.latency = _seconds("latency", seconds)

    @property
    def stats(self) -> SimStats:
        with self._lock:
            return self._core.snapshot()

    def reset_stats(self) -> None:
        """Set every counter to zero (open sessions stay open)."""
        with self._lock:
            self._core.stats.reset()

    def drop_sessions(self) -> None:
        """Forget every session, as a BMC reboot would."""
        with self._lock:
            self._core.sessions.clear()


class SimulatedRack:
    """``count`` simulated BMCs on distinct ports, served by one I/O thread.

    Keyword arguments other than those shown are passed to every
    :class:`SimulatedBMC` (``power_state``, ``soft_off_delay``, ...).
    """

    def __init__(
        self,
        count: int,
        *,
        username: str,
        password: str | Secret,
        latency: float = 0.0,
        host: str = "127.0.0.1",
        **bmc_options: Any,
    ) -> None:
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValidationError(f"count={count!r} is not valid: give an int >= 0")
        for key in ("port", "faults", "_server"):
            if key in bmc_options:
                raise ValidationError(f"{key}= cannot be given to a rack; set it per BMC")
        self._server = _Server("hostlib-sim-rack")
        try:
            for _ in range(count):
                SimulatedBMC(
                    username=username,
                    password=password,
                    latency=latency,
                    host=host,
                    _server=self._server,
                    **bmc_options,
                )
        except BaseException:
            self._server.close()
            raise

    @property
    def bmcs(self) -> list[SimulatedBMC]:
        return list(self._server.bmcs)

    def __len__(self) -> int:
        return len(self._server.bmcs)

    def __iter__(self) -> Iterator[SimulatedBMC]:
        return iter(list(self._server.bmcs))

    def __getitem__(self, index: int) -> SimulatedBMC:
        return self._server.bmcs[index]

    def start(self) -> SimulatedRack:
        self._server.start()
        return self

    def close(self) -> None:
        self._server.close()

    def __enter__(self) -> SimulatedRack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<SimulatedRack of {len(self._server.bmcs)} BMCs>"
