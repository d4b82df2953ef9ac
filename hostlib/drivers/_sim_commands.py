"""Command handlers of the simulated BMC.

Each handler takes the BMC, the session (None for pre-session commands) and
the request data, and returns ``(completion code, response data)``.
:data:`COMMANDS` maps ``(netfn, cmd)`` to a handler, the least session
privilege it needs (0: allowed before a session exists) and whether it is
part of session setup (answered even by a hung or busy BMC).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from hostlib.drivers._rmcp import CIPHER_SUITES, CompletionCode, NetFn, Privilege

if TYPE_CHECKING:
    from hostlib.drivers._sim_bmc import BmcCore, Session

__all__ = ["COMMANDS", "Command"]

Result = tuple[int, bytes]
Handler = Callable[["BmcCore", "Session | None", bytes], Result]

CHANNEL = 0x01  # the LAN channel number this BMC reports
THIS_CHANNEL = 0x0E

_EMPTY = b""
_BAD_LENGTH: Result = (CompletionCode.REQUEST_DATA_LENGTH_INVALID, _EMPTY)
_BAD_FIELD: Result = (CompletionCode.INVALID_DATA_FIELD, _EMPTY)
_NO_PARAM: Result = (CompletionCode.PARAMETER_NOT_SUPPORTED, _EMPTY)


class Command(NamedTuple):
    handler: Handler
    privilege: int
    setup: bool = False


# -- App ------------------------------------------------------------------------------


def get_device_id(bmc: BmcCore, session: Session | None, data: bytes) -> Result:
    if data:
        return _BAD_LENGTH
    # device 0x20 rev 1, firmware 1.00, IPMI 2.0, chassis device, no manufacturer
    return CompletionCode.OK, bytes((0x20, 0x01, 0x01, 0x00, 0x02, 0x80)) + bytes(9)


def get_guid(bmc: BmcCore, session: Session | None, data: bytes) -> Result:
    if data:
        return _BAD_LENGTH
    return CompletionCode.OK, bmc.guid


def get_channel_auth_capabilities(bmc: BmcCore, session: Session | None, data: bytes) -> Result:
    if len(data) != 2:
        return _BAD_LENGTH
    channel = data[0] & 0x0F
    ipmi20 = bool(data[0] & 0x80)
    level = data[1] & 0x0F
    if channel not in (THIS_CHANNEL, CHANNEL) or not Privilege.CALLBACK <= level <= Privilege.OEM:
        return _BAD_FIELD
    # MD5 and straight password for IPMI 1.5 (none refused); bit 7: IPMI 2.0 data follows
    auth = 0x14 | (0x80 if ipmi20 else 0)
    status = 0x04  # non-null user names enabled, per-message and user-level auth on
    extended = 0x03 if ipmi20 else 0x00  # IPMI 1.5 and 2.0 connections
    return CompletionCode.OK, bytes((CHANNEL, auth, status, extended, 0, 0, 0, 0))


def get_channel_cipher_suites(bmc: BmcCore, session: Session | None, data: bytes) -> Result:
    if len(data) != 3:
        return _BAD_LENGTH
    if data[0] & 0x0F not in (THIS_CHANNEL, CHANNEL):
        return _BAD_FIELD
    suites = [CIPHER_SUITES[17], CIPHER_SUITES[3]]
    if data[2] & 0x80:  # list by cipher suite
        records = b"".join(
            bytes((0xC0, s.id, s.auth, 0x40 | s.integrity, 0x80 | s.confidentiality))
            for s in suites
        )
    else:  # list of supported algorithms
        records = bytes(
            sorted({s.auth for s in suites})
            + sorted({0x40 | s.integrity for s in suites})
            + sorted({0x80 | s.confidentiality for s in suites})
        )
    index = data[2] & 0x3F
    return CompletionCode.OK, bytes((CHANNEL,)) + records[16 * index : 16 * index + 16]


def get_channel_info(bmc: BmcCore, session: Session | None, data: bytes) -> Result:
    if len(data) != 1:
        return _BAD_LENGTH
    if data[0] & 0x0F not in (THIS_CHANNEL, CHANNEL):
        return _BAD_FIELD
    active = min(bmc.active_sessions(), 0x3F)
    # 802.3 LAN, IPMB-1.0 protocol, multi-session; IPMI IANA 7154; no aux info
    return CompletionCode.OK, bytes((CHANNEL, 0x04, 0x01, 0x80 | active, 0xF2, 0x1B, 0, 0, 0))


def get_channel_access(bmc: BmcCore, session: Session | None, data: bytes) -> Result:
    if len(data) != 2:
        return _BAD_LENGTH
    if data[0] & 0x0F not in (THIS_CHANNEL, CHANNEL) or data[1] & 0xC0 not in (0x40, 0x80):
        return _BAD_FIELD
    # always available, alerting and per-message auth enabled; Administrator limit
    return CompletionCode.OK, bytes((0x02, Privilege.ADMINISTRATOR))


def set_session_privilege(bmc: BmcCore, session: Session | None, data: bytes) -> Result:
    assert session is not None
    if len(data) != 1:
        return _BAD_LENGTH
    level = data[0] & 0x0F
    if level == 0:
        return CompletionCode.OK, bytes((session.priv,))
    if level > Privilege.OEM:
        return _BAD_FIELD
    if level == Privilege.OEM:
        return 0x80, _EMPTY  # requested level not available for this user
    if level > session.max_priv:
        return 0x81, _EMPTY  # requested level exceeds the user's or session's limit
    session.priv = level
    return CompletionCode.OK, bytes((level,))


def close_session(bmc: BmcCore, session: Session | None, data: bytes) -> Result:
    assert session is not None
    if len(data) not in (4, 5):
        return _BAD_LENGTH
    (sid,) = struct.unpack_from("<I", data)
    target = bmc.sessions.get(sid)
    if target is None:
        return 0x87, _EMPTY  # invalid session ID
    if target is not session and session.priv < Privilege.ADMINISTRATOR:
        return CompletionCode.INSUFFICIENT_PRIVILEGE, _EMPTY
    bmc.close_session(sid)
    return CompletionCode.OK, _EMPTY


# -- Chassis --------------------------------------------------------------------------


def get_chassis_status(bmc: BmcCore, session: Session | None, data: bytes) -> Result:
    if data:
        return _BAD_LENGTH
    # power restore policy "always off" (00b); no faults, no last event, no intrusion
    return CompletionCode.OK, bytes((0x01 if bmc.power_on else 0x00, 0x00, 0x00))


def chassis_control(bmc: BmcCore, session: Session | None, data: bytes) -> Result:
    if len(data) != 1:
        return _BAD_LENGTH
    return bmc.chassis_control(data[0] & 0x0F), _EMPTY


# Data length of each boot option parameter this BMC keeps.
_BOOT_PARAM_LENGTHS = {0: 1, 1: 1, 2: 1, 3: 1, 4: 2, 5: 5, 6: 9, 7: 17}


def set_boot_options(bmc: BmcCore, session: Session | None, data: bytes) -> Result:
    if not data:
        return _BAD_LENGTH
    param = data[0] & 0x7F
    value = data[1:]
    expected = _BOOT_PARAM_LENGTHS.get(param)
    if expected is None:
        return _NO_PARAM
    if len(value) != expected:
        return _BAD_LENGTH
    if param == 0:
        if value[0] & 0x03 == 0x03:
            return _BAD_FIELD
        # "commit write" completes the set, like "set complete"
        bmc.boot_params[0][0] = 0 if value[0] & 0x03 == 0x02 else value[0] & 0x03
    elif param == 4:
        mask, bits = value[0], value[1]
        old = bmc.boot_params[4][1]
        bmc.boot_params[4][1] = (old & ~mask & 0xFF) | (bits & mask)
    elif param == 5:
        bmc.boot_flags[:] = value
    else:
        bmc.boot_params[param][:] = value
    return CompletionCode.OK, _EMPTY


def get_boot_options(bmc: BmcCore, session: Session | None, data: bytes) -> Result:
    if len(data) != 3:
        return _BAD_LENGTH
    param = data[0] & 0x7F
    if param not in _BOOT_PARAM_LENGTHS:
        return _NO_PARAM
    if param == 5:
        value = bytes(bmc.boot_flags)
    elif param == 4:
        value = bytes((0x00, bmc.boot_params[4][1]))
    else:
        value = bytes(bmc.boot_params[param])
    # parameter version 1; bit 7 of the selector clear: the parameter is valid
    return CompletionCode.OK, bytes((0x01, param)) + value


# -- Transport ------------------------------------------------------------------------


def get_lan_config(bmc: BmcCore, session: Session | None, data: bytes) -> Result:
    if len(data) != 4:
        return _BAD_LENGTH
    if data[0] & 0x0F not in (THIS_CHANNEL, CHANNEL):
        return _BAD_FIELD
    revision = b"\x11"
    if data[0] & 0x80:  # revision only
        return CompletionCode.OK, revision
    lan = bmc.lan
    values = {
        0: b"\x00",  # set complete
        1: b"\x14",  # auth types supported: MD5, straight password
        2: b"\x14" * 5,  # auth types enabled per privilege level
        3: lan.ip_address.packed,
        4: b"\x01",  # static address
        5: lan.mac_address,
        6: lan.netmask.packed,
        12: lan.gateway.packed,
        13: bytes(6),
        14: bytes(4),
        15: bytes(6),
    }
    value = values.get(data[1])
    if value is None:
        return _NO_PARAM
    return CompletionCode.OK, revision + value


_P = Privilege
COMMANDS: dict[tuple[int, int], Command] = {
    (NetFn.APP, 0x01): Command(get_device_id, _P.USER),
    (NetFn.APP, 0x08): Command(get_guid, _P.USER),  # Get Device GUID
    (NetFn.APP, 0x37): Command(get_guid, _P.USER),  # Get System GUID
    (NetFn.APP, 0x38): Command(get_channel_auth_capabilities, 0, setup=True),
    (NetFn.APP, 0x3B): Command(set_session_privilege, _P.CALLBACK, setup=True),
    (NetFn.APP, 0x3C): Command(close_session, _P.CALLBACK, setup=True),
    (NetFn.APP, 0x41): Command(get_channel_access, _P.USER),
    (NetFn.APP, 0x42): Command(get_channel_info, _P.USER),
    (NetFn.APP, 0x54): Command(get_channel_cipher_suites, 0, setup=True),
    (NetFn.CHASSIS, 0x01): Command(get_chassis_status, _P.USER),
    (NetFn.CHASSIS, 0x02): Command(chassis_control, _P.OPERATOR),
    (NetFn.CHASSIS, 0x08): Command(set_boot_options, _P.OPERATOR),
    (NetFn.CHASSIS, 0x09): Command(get_boot_options, _P.OPERATOR),
    (NetFn.TRANSPORT, 0x02): Command(get_lan_config, _P.OPERATOR),
}
