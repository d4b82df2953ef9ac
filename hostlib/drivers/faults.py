"""Scriptable faults shared by the fake driver and the BMC simulator.

A :class:`FaultPlan` is consulted by the in-memory fake before each
operation and by :class:`~hostlib.drivers.simulator.SimulatedBMC` before
each reply, so a test can script the same failure against either.
"""

from __future__ import annotations

import threading

import attrs

__all__ = ["FaultPlan"]


@attrs.define
class FaultPlan:
    """What a simulated BMC should get wrong, changeable at any time.

    Attributes:
        busy: the next N commands answer "node busy" (completion code 0xC0).
        out_of_sessions: the next N session opens fail for want of a free
            session slot.
        silent: nothing is answered at all, as if the BMC were dead.
        hang: session setup is answered, commands never are.
        reject_auth: every login is refused, whatever the password.
        latency: seconds added before every reply.
    """

    busy: int = 0
    out_of_sessions: int = 0
    silent: bool = False
    hang: bool = False
    reject_auth: bool = False
    latency: float = 0.0
    _lock: threading.Lock = attrs.field(factory=threading.Lock, repr=False, eq=False)

    def take_busy(self) -> bool:
        """Consume one scripted "node busy"; True if this command must fail so."""
        with self._lock:
            if self.busy > 0:
                self.busy -= 1
                return True
            return False

    def take_out_of_sessions(self) -> bool:
        """Consume one scripted session-open failure."""
        with self._lock:
            if self.out_of_sessions > 0:
                self.out_of_sessions -= 1
                return True
            return False

    def clear(self) -> None:
        """Forget every scripted fault."""
        with self._lock:
            self.busy = self.out_of_sessions = 0
            self.silent = self.hang = self.reject_auth = False
            self.latency = 0.0
