"""IPMI over LAN packet codec: RMCP, IPMI 1.5 and RMCP+ (IPMI 2.0) framing.

Pure functions on bytes: no sockets, no clocks, no global state. The loopback
BMC simulator uses them as a server; a client can use the same functions in
the other direction (every message has an ``encode_*`` and a ``decode_*``).

Layers, outermost first::

    RMCP header (4 bytes)            version 6, sequence 0xFF, class ASF or IPMI
    ├── ASF presence ping / pong
    ├── IPMI 1.5 session wrapper     auth type, seq, session ID, [auth code], length
    │   └── IPMI message             rsSA netFn chk1 rqSA rqSeq cmd data chk2
    └── RMCP+ session wrapper        auth type 6, payload type, session ID, seq,
        │                            length, payload, [pad, pad length, 0x07, auth code]
        ├── IPMI message             (AES-CBC-128 encrypted inside a session)
        └── Open Session, RAKP 1-4   session setup payloads

References are to the IPMI v2.0 rev 1.1 specification. Multi-byte fields of
the session wrappers and payloads are little-endian.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import os
import struct
from typing import NamedTuple

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from hostlib.errors import DriverError

__all__ = [
    "ASF_IANA",
    "CIPHER_SUITES",
    "RMCP_CLASS_ASF",
    "RMCP_CLASS_IPMI",
    "AuthType",
    "CipherSuite",
    "CompletionCode",
    "IpmiRequest",
    "IpmiResponse",
    "NetFn",
    "OpenSessionRequest",
    "OpenSessionResponse",
    "PacketError",
    "PayloadType",
    "Privilege",
    "Rakp1",
    "Rakp2",
    "Rakp3",
    "Rakp4",
    "RmcpPlusPacket",
    "RmcpStatus",
    "SessionKeys",
    "V15Packet",
    "checksum",
    "decode_asf",
    "decode_open_session_request",
    "decode_open_session_response",
    "decode_rakp1",
    "decode_rakp2",
    "decode_rakp3",
    "decode_rakp4",
    "decode_request",
    "decode_response",
    "decode_rmcpplus",
    "decode_v15",
    "derive_session_keys",
    "encode_asf_ping",
    "encode_asf_pong",
    "encode_open_session_request",
    "encode_open_session_response",
    "encode_rakp1",
    "encode_rakp2",
    "encode_rakp3",
    "encode_rakp4",
    "encode_request",
    "encode_response",
    "encode_rmcpplus",
    "encode_v15",
    "open_rmcpplus",
    "rakp2_auth_code",
    "rakp3_auth_code",
    "rakp4_icv",
    "rmcp_class",
    "v15_auth_code",
]

RMCP_VERSION = 0x06
RMCP_CLASS_ASF = 0x06
RMCP_CLASS_IPMI = 0x07
_RMCP_IPMI = bytes((RMCP_VERSION, 0x00, 0xFF, RMCP_CLASS_IPMI))
_RMCP_ASF = bytes((RMCP_VERSION, 0x00, 0xFF, RMCP_CLASS_ASF))

ASF_IANA = 4542
ASF_PING = 0x80
ASF_PONG = 0x40

BMC_ADDRESS = 0x20
CONSOLE_ADDRESS = 0x81


class PacketError(DriverError):
    """A packet is malformed, truncated or fails its integrity check."""


class AuthType(enum.IntEnum):
    """Session authentication types (section 13.6); RMCP_PLUS marks IPMI 2.0."""

    NONE = 0
    MD2 = 1
    MD5 = 2
    PASSWORD = 4
    OEM = 5
    RMCP_PLUS = 6


class PayloadType(enum.IntEnum):
    """RMCP+ payload types (table 13-16)."""

    IPMI = 0x00
    SOL = 0x01
    OPEN_SESSION_REQUEST = 0x10
    OPEN_SESSION_RESPONSE = 0x11
    RAKP_1 = 0x12
    RAKP_2 = 0x13
    RAKP_3 = 0x14
    RAKP_4 = 0x15


class Privilege(enum.IntEnum):
    """Session privilege levels."""

    CALLBACK = 1
    USER = 2
    OPERATOR = 3
    ADMINISTRATOR = 4
    OEM = 5


class NetFn(enum.IntEnum):
    """Request network functions (responses are ``netfn | 1``)."""

    CHASSIS = 0x00
    APP = 0x06
    TRANSPORT = 0x0C


class RmcpStatus(enum.IntEnum):
    """RMCP+ and RAKP message status codes (table 13-15)."""

    OK = 0x00
    INSUFFICIENT_RESOURCES = 0x01
    INVALID_SESSION_ID = 0x02
    INVALID_PAYLOAD_TYPE = 0x03
    INVALID_AUTH_ALGORITHM = 0x04
    INVALID_INTEGRITY_ALGORITHM = 0x05
    NO_MATCHING_AUTH_PAYLOAD = 0x06
    NO_MATCHING_INTEGRITY_PAYLOAD = 0x07
    INACTIVE_SESSION_ID = 0x08
    INVALID_ROLE = 0x09
    UNAUTHORIZED_ROLE = 0x0A
    INSUFFICIENT_RESOURCES_FOR_ROLE = 0x0B
    INVALID_NAME_LENGTH = 0x0C
    UNAUTHORIZED_NAME = 0x0D
    UNAUTHORIZED_GUID = 0x0E
    INVALID_INTEGRITY_CHECK_VALUE = 0x0F
    INVALID_CONFIDENTIALITY_ALGORITHM = 0x10
    NO_CIPHER_SUITE_MATCH = 0x11
    ILLEGAL_PARAMETER = 0x12


class CompletionCode(enum.IntEnum):
    """IPMI completion codes used here (section 5.2)."""

    OK = 0x00
    # command specific codes 0x80-0xBE, e.g. "parameter not supported"
    PARAMETER_NOT_SUPPORTED = 0x80
    NODE_BUSY = 0xC0
    INVALID_COMMAND = 0xC1
    REQUEST_DATA_LENGTH_INVALID = 0xC7
    INVALID_DATA_FIELD = 0xCC
    INSUFFICIENT_PRIVILEGE = 0xD4
    NOT_SUPPORTED_IN_PRESENT_STATE = 0xD5
    UNSPECIFIED = 0xFF


# -- cipher suites and keys ------------------------------------------------------

AUTH_RAKP_HMAC_SHA1 = 0x01
AUTH_RAKP_HMAC_SHA256 = 0x03
INTEGRITY_HMAC_SHA1_96 = 0x01
INTEGRITY_HMAC_SHA256_128 = 0x04
CONFIDENTIALITY_AES_CBC_128 = 0x01


class CipherSuite(NamedTuple):
    """One cipher suite (table 22-20) with the parameters its algorithms imply.

    Attributes:
        id: cipher suite ID.
        auth: authentication (RAKP) algorithm number.
        integrity: integrity algorithm number.
        confidentiality: confidentiality algorithm number.
        digest: hashlib name of the hash used by RAKP, key derivation and integrity.
        icv_length: length of the RAKP 4 integrity check value.
        integrity_length: length of the per-packet auth code.
    """

    id: int
    auth: int
    integrity: int
    confidentiality: int
    digest: str
    icv_length: int
    integrity_length: int


CIPHER_SUITES: dict[int, CipherSuite] = {
    3: CipherSuite(
        3,
        AUTH_RAKP_HMAC_SHA1,
        INTEGRITY_HMAC_SHA1_96,
        CONFIDENTIALITY_AES_CBC_128,
        "sha1",
        12,
        12,
    ),
    17: CipherSuite(
        17,
        AUTH_RAKP_HMAC_SHA256,
        INTEGRITY_HMAC_SHA256_128,
        CONFIDENTIALITY_AES_CBC_128,
        "sha256",
        16,
        16,
    ),
}

# K1 and K2 are HMACs of 20 bytes of 0x01 / 0x02 for every hash (section 13.32);
# ipmitool, pyghmi and BMCs use 20 bytes for SHA-256 too.
_CONST_1 = b"\x01" * 20
_CONST_2 = b"\x02" * 20


class SessionKeys:
    """Keys of an established RMCP+ session: SIK, K1 (integrity), K2 (AES key)."""

    __slots__ = ("_aes", "integrity_key", "sik", "suite")

    def __init__(self, suite: CipherSuite, sik: bytes) -> None:
        self.suite = suite
        self.sik = sik
        self.integrity_key = hmac.digest(sik, _CONST_1, suite.digest)
        k2 = hmac.digest(sik, _CONST_2, suite.digest)
        self._aes = algorithms.AES(k2[:16])

    def __repr__(self) -> str:
        return f"<SessionKeys suite={self.suite.id}>"

    def auth_code(self, data: bytes) -> bytes:
        """Return the truncated HMAC-K1 of ``data`` (auth type up to next header)."""
        return hmac.digest(self.integrity_key, data, self.suite.digest)[
            : self.suite.integrity_length
        ]

    def encrypt(self, payload: bytes, iv: bytes | None = None) -> bytes:
        """Return IV + AES-CBC-128 of ``payload`` with the confidentiality pad."""
        pad = 15 - len(payload) % 16
        data = payload + bytes(range(1, pad + 1)) + bytes((pad,))
        iv = os.urandom(16) if iv is None else iv
        enc = Cipher(self._aes, modes.CBC(iv)).encryptor()
        return iv + enc.update(data) + enc.finalize()

    def decrypt(self, data: bytes) -> bytes:
        """Return the payload of IV + AES-CBC-128 ciphertext, pad removed.

        Raises:
            PacketError: wrong length or a bad confidentiality pad.
        """
        if len(data) < 32 or len(data) % 16:
            raise PacketError(f"encrypted payload of {len(data)} bytes is not IV + blocks")
        dec = Cipher(self._aes, modes.CBC(data[:16])).decryptor()
        plain = dec.update(data[16:]) + dec.finalize()
        pad = plain[-1]
        if pad > 15 or plain[-1 - pad : -1] != bytes(range(1, pad + 1)):
            raise PacketError("bad confidentiality pad (wrong session key?)")
        return plain[: -1 - pad]


def _role_block(role: int, username: bytes) -> bytes:
    return bytes((role, len(username))) + username


def rakp2_auth_code(
    suite: CipherSuite,
    kuid: bytes,
    console_sid: int,
    bmc_sid: int,
    console_random: bytes,
    bmc_random: bytes,
    bmc_guid: bytes,
    role: int,
    username: bytes,
) -> bytes:
    """Key exchange auth code of RAKP 2: HMAC-Kuid(SIDm, SIDc, Rm, Rc, GUIDc, role, name)."""
    data = (
        struct.pack("<II", console_sid, bmc_sid)
        + console_random
        + bmc_random
        + bmc_guid
        + _role_block(role, username)
    )
    return hmac.digest(kuid, data, suite.digest)


def rakp3_auth_code(
    suite: CipherSuite,
    kuid: bytes,
    bmc_random: bytes,
    console_sid: int,
    role: int,
    username: bytes,
) -> bytes:
    """Key exchange auth code of RAKP 3: HMAC-Kuid(Rc, SIDm, role, name)."""
    data = bmc_random + struct.pack("<I", console_sid) + _role_block(role, username)
    return hmac.digest(kuid, data, suite.digest)


def derive_session_keys(
    suite: CipherSuite,
    kg: bytes,
    console_random: bytes,
    bmc_random: bytes,
    role: int,
    username: bytes,
) -> SessionKeys:
    """Return the session keys: SIK = HMAC-Kg(Rm, Rc, role, name), then K1 and K2.

    ``kg`` is the BMC key, or the user's password on a BMC without one.
    """
    sik = hmac.digest(kg, console_random + bmc_random + _role_block(role, username), suite.digest)
    return SessionKeys(suite, sik)


def rakp4_icv(
    suite: CipherSuite, sik: bytes, console_random: bytes, bmc_sid: int, bmc_guid: bytes
) -> bytes:
    """Integrity check value of RAKP 4: HMAC-SIK(Rm, SIDc, GUIDc), truncated."""
    data = console_random + struct.pack("<I", bmc_sid) + bmc_guid
    return hmac.digest(sik, data, suite.digest)[: suite.icv_length]


# -- IPMI messages ------------------------------------------------------------------


def checksum(data: bytes) -> int:
    """Two's complement checksum: ``sum(data) + checksum`` is 0 modulo 256."""
    return -sum(data) & 0xFF


class IpmiRequest(NamedTuple):
    """A request message (rsSA, netFn/rsLUN, rqSA, rqSeq/rqLUN, cmd, data)."""

    netfn: int
    cmd: int
    data: bytes
    rq_seq: int = 0
    rs_addr: int = BMC_ADDRESS
    rq_addr: int = CONSOLE_ADDRESS
    rs_lun: int = 0
    rq_lun: int = 0


class IpmiResponse(NamedTuple):
    """A response message; ``netfn`` is the response netFn (request netFn | 1)."""

    netfn: int
    cmd: int
    code: int
    data: bytes
    rq_seq: int = 0
    rq_addr: int = CONSOLE_ADDRESS
    rs_addr: int = BMC_ADDRESS
    rq_lun: int = 0
    rs_lun: int = 0


def encode_request(req: IpmiRequest) -> bytes:
    """Return the bytes of a request message, checksums included."""
    head = bytes((req.rs_addr, (req.netfn << 2) | (req.rs_lun & 3)))
    body = bytes((req.rq_addr, ((req.rq_seq & 0x3F) << 2) | (req.rq_lun & 3), req.cmd)) + req.data
    return head + bytes((checksum(head),)) + body + bytes((checksum(body),))


def decode_request(msg: bytes) -> IpmiRequest:
    """Parse a request message.

    Raises:
        PacketError: too short or a checksum is wrong.
    """
    if len(msg) < 7:
        raise PacketError(f"IPMI request of {len(msg)} bytes is shorter than 7")
    if sum(msg[:3]) & 0xFF or sum(msg[3:]) & 0xFF:
        raise PacketError("IPMI request checksum mismatch")
    return IpmiRequest(
        netfn=msg[1] >> 2,
        cmd=msg[5],
        data=msg[6:-1],
        rq_seq=msg[4] >> 2,
        rs_addr=msg[0],
        rq_addr=msg[3],
        rs_lun=msg[1] & 3,
        rq_lun=msg[4] & 3,
    )


def encode_response(req: IpmiRequest, code: int, data: bytes = b"") -> bytes:
    """Return the response message answering ``req`` with ``code`` and ``data``."""
    head = bytes((req.rq_addr, ((req.netfn | 1) << 2) | req.rq_lun))
    body = bytes((req.rs_addr, (req.rq_seq << 2) | req.rs_lun, req.cmd, code)) + data
    return head + bytes((checksum(head),)) + body + bytes((checksum(body),))


def decode_response(msg: bytes) -> IpmiResponse:
    """Parse a response message.

    Raises:
        PacketError: too short or a checksum is wrong.
    """
    if len(msg) < 8:
        raise PacketError(f"IPMI response of {len(msg)} bytes is shorter than 8")
    if sum(msg[:3]) & 0xFF or sum(msg[3:]) & 0xFF:
        raise PacketError("IPMI response checksum mismatch")
    return IpmiResponse(
        netfn=msg[1] >> 2,
        cmd=msg[5],
        code=msg[6],
        data=msg[7:-1],
        rq_seq=msg[4] >> 2,
        rq_addr=msg[0],
        rs_addr=msg[3],
        rq_lun=msg[1] & 3,
        rs_lun=msg[4] & 3,
    )


# -- RMCP and ASF ---------------------------------------------------------------------


def rmcp_class(packet: bytes) -> int | None:
    """Return the RMCP message class (ASF 6, IPMI 7) or None if not an RMCP packet."""
    if len(packet) < 5 or packet[0] != RMCP_VERSION:
        return None
    return packet[3] & 0x1F if not packet[3] & 0x80 else None


def encode_asf_ping(tag: int) -> bytes:
    """Return an ASF presence ping."""
    return _RMCP_ASF + struct.pack(">IBBBB", ASF_IANA, ASF_PING, tag & 0xFF, 0, 0)


def encode_asf_pong(tag: int) -> bytes:
    """Return the presence pong: IPMI supported, no OEM data."""
    data = struct.pack(">II", ASF_IANA, 0) + bytes((0x81, 0)) + bytes(6)
    return _RMCP_ASF + struct.pack(">IBBBB", ASF_IANA, ASF_PONG, tag & 0xFF, 0, len(data)) + data


def decode_asf(packet: bytes) -> tuple[int, int]:
    """Return (message type, tag) of an ASF message (ping 0x80, pong 0x40).

    Raises:
        PacketError: too short or not ASF.
    """
    if len(packet) < 12:
        raise PacketError("ASF message shorter than 12 bytes")
    iana, msg_type, tag = struct.unpack_from(">IBB", packet, 4)
    if iana != ASF_IANA:
        raise PacketError(f"ASF message with IANA {iana}, expected {ASF_IANA}")
    return msg_type, tag


# -- IPMI 1.5 session wrapper ----------------------------------------------------


class V15Packet(NamedTuple):
    """An IPMI 1.5 session packet (RMCP header stripped)."""

    auth_type: int
    seq: int
    session_id: int
    auth_code: bytes
    message: bytes


def v15_auth_code(
    auth_type: int, password: bytes, session_id: int, message: bytes, seq: int
) -> bytes:
    """Return the 16-byte auth code of an IPMI 1.5 packet (section 22.17.1).

    ``password`` is the user's password; it is zero padded to 16 bytes.

    Raises:
        PacketError: unsupported auth type (only MD5 and straight password).
    """
    key = password.ljust(16, b"\x00")[:16]
    if auth_type == AuthType.PASSWORD:
        return key
    if auth_type == AuthType.MD5:
        ids = struct.pack("<I", session_id)
        # MD5 is what IPMI 1.5 mandates; clients that can, use RMCP+ instead.
        return hashlib.md5(  # noqa: S324
            key + ids + message + struct.pack("<I", seq) + key
        ).digest()
    raise PacketError(f"IPMI 1.5 auth type {auth_type} is not supported")


def encode_v15(
    auth_type: int, seq: int, session_id: int, message: bytes, password: bytes = b""
) -> bytes:
    """Return an RMCP packet carrying ``message`` in an IPMI 1.5 session wrapper."""
    head = _RMCP_IPMI + struct.pack("<BII", auth_type, seq, session_id)
    if auth_type != AuthType.NONE:
        head += v15_auth_code(auth_type, password, session_id, message, seq)
    return head + bytes((len(message),)) + message


def decode_v15(packet: bytes) -> V15Packet:
    """Parse an RMCP packet with an IPMI 1.5 session wrapper.

    Trailing bytes after the message (the legacy pad some clients add) are ignored.

    Raises:
        PacketError: truncated.
    """
    if len(packet) < 14:
        raise PacketError("IPMI 1.5 packet shorter than its header")
    auth_type, seq, sid = struct.unpack_from("<BII", packet, 4)
    pos = 13
    code = b""
    if auth_type != AuthType.NONE:
        code = packet[13:29]
        pos = 29
    if len(packet) <= pos:
        raise PacketError("IPMI 1.5 packet shorter than its header")
    length = packet[pos]
    message = packet[pos + 1 : pos + 1 + length]
    if len(message) != length:
        raise PacketError("IPMI 1.5 packet shorter than its message length")
    return V15Packet(auth_type, seq, sid, code, message)


# -- RMCP+ session wrapper ---------------------------------------------------------

_V20_HEAD = struct.Struct("<BBIIH")


class RmcpPlusPacket(NamedTuple):
    """An RMCP+ packet as parsed, before integrity check and decryption.

    ``payload`` is the raw (possibly encrypted) payload; ``signed`` the bytes an
    auth code covers (auth type up to next header); ``auth_code`` the trailer's code.
    """

    payload_type: int
    encrypted: bool
    authenticated: bool
    session_id: int
    seq: int
    payload: bytes
    signed: bytes
    auth_code: bytes


def encode_rmcpplus(
    payload_type: int,
    session_id: int,
    seq: int,
    payload: bytes,
    keys: SessionKeys | None = None,
) -> bytes:
    """Return an RMCP packet carrying ``payload`` in an RMCP+ session wrapper.

    With ``keys`` the payload is encrypted and authenticated as the keys'
    cipher suite requires; without, it is sent in the clear.
    """
    ptype = payload_type
    if keys is not None:
        payload = keys.encrypt(payload)
        ptype |= 0xC0
    body = _V20_HEAD.pack(AuthType.RMCP_PLUS, ptype, session_id, seq, len(payload)) + payload
    if keys is None:
        return _RMCP_IPMI + body
    pad = -(len(body) + 2) % 4
    body += b"\xff" * pad + bytes((pad, 0x07))
    return _RMCP_IPMI + body + keys.auth_code(body)


def decode_rmcpplus(packet: bytes, integrity_length: int = 0) -> RmcpPlusPacket:
    """Parse an RMCP packet with an RMCP+ session wrapper.

    ``integrity_length`` is the auth code length of the session the packet
    belongs to (0 if none); it is only used when the packet says it is
    authenticated.

    Raises:
        PacketError: truncated or inconsistent lengths.
    """
    if len(packet) < 16:
        raise PacketError("RMCP+ packet shorter than its header")
    _auth, ptype, sid, seq, length = _V20_HEAD.unpack_from(packet, 4)
    end = 16 + length
    if len(packet) < end:
        raise PacketError("RMCP+ packet shorter than its payload length")
    authenticated = bool(ptype & 0x40)
    signed = b""
    code = b""
    if authenticated and integrity_length:
        if len(packet) < end + 2 + integrity_length:
            raise PacketError("RMCP+ packet without a complete session trailer")
        signed = packet[4:-integrity_length]
        code = packet[-integrity_length:]
        if signed[-1] != 0x07 or end + signed[-2] + 2 + integrity_length != len(packet):
            raise PacketError("RMCP+ session trailer is inconsistent")
    return RmcpPlusPacket(
        ptype & 0x3F,
        bool(ptype & 0x80),
        authenticated,
        sid,
        seq,
        packet[16:end],
        signed,
        code,
    )


def open_rmcpplus(pkt: RmcpPlusPacket, keys: SessionKeys) -> bytes:
    """Verify and decrypt a packet of an established session; return the payload.

    Raises:
        PacketError: not authenticated or encrypted as the suite requires, a
            wrong auth code, or a bad confidentiality pad.
    """
    if not pkt.authenticated or not pkt.auth_code:
        raise PacketError("unauthenticated payload inside an authenticated session")
    if not hmac.compare_digest(keys.auth_code(pkt.signed), pkt.auth_code):
        raise PacketError("RMCP+ integrity check failed (wrong session key?)")
    if not pkt.encrypted:
        raise PacketError("unencrypted payload inside an encrypted session")
    return keys.decrypt(pkt.payload)


# -- Open Session and RAKP payloads (sections 13.17-13.23) ---------------------------


class OpenSessionRequest(NamedTuple):
    """Open Session Request; an algorithm of None is a wildcard (empty record)."""

    tag: int
    max_privilege: int
    console_sid: int
    auth: int | None
    integrity: int | None
    confidentiality: int | None


class OpenSessionResponse(NamedTuple):
    """Open Session Response; on error only tag, status and console_sid are sent."""

    tag: int
    status: int
    max_privilege: int
    console_sid: int
    bmc_sid: int = 0
    auth: int = 0
    integrity: int = 0
    confidentiality: int = 0


def _algo_record(kind: int, algo: int | None) -> bytes:
    if algo is None:
        return struct.pack("<BxxBxxxx", kind, 0)
    return struct.pack("<BxxBBxxx", kind, 8, algo)


def encode_open_session_request(req: OpenSessionRequest) -> bytes:
    return (
        struct.pack("<BBxxI", req.tag, req.max_privilege, req.console_sid)
        + _algo_record(0, req.auth)
        + _algo_record(1, req.integrity)
        + _algo_record(2, req.confidentiality)
    )


def decode_open_session_request(payload: bytes) -> OpenSessionRequest:
    """Parse an Open Session Request.

    Raises:
        PacketError: truncated or malformed algorithm records.
    """
    if len(payload) < 8:
        raise PacketError("Open Session Request shorter than 8 bytes")
    tag, priv, console_sid = struct.unpack_from("<BBxxI", payload)
    algos: list[int | None] = [None, None, None]
    for kind in range(3):
        pos = 8 + 8 * kind
        record = payload[pos : pos + 8]
        if len(record) < 4:
            break
        if record[0] != kind:
            raise PacketError("Open Session Request has algorithm records out of order")
        if record[3] and len(record) > 4:
            algos[kind] = record[4] & 0x3F
    return OpenSessionRequest(tag, priv & 0x0F, console_sid, algos[0], algos[1], algos[2])


def encode_open_session_response(rsp: OpenSessionResponse) -> bytes:
    head = struct.pack("<BBBxI", rsp.tag, rsp.status, rsp.max_privilege, rsp.console_sid)
    if rsp.status != RmcpStatus.OK:
        return head
    return (
        head
        + struct.pack("<I", rsp.bmc_sid)
        + _algo_record(0, rsp.auth)
        + _algo_record(1, rsp.integrity)
        + _algo_record(2, rsp.confidentiality)
    )


def decode_open_session_response(payload: bytes) -> OpenSessionResponse:
    """Parse an Open Session Response.

    Raises:
        PacketError: truncated.
    """
    if len(payload) < 8:
        raise PacketError("Open Session Response shorter than 8 bytes")
    tag, status, priv, console_sid = struct.unpack_from("<BBBxI", payload)
    if status != RmcpStatus.OK:
        return OpenSessionResponse(tag, status, priv, console_sid)
    if len(payload) < 36:
        raise PacketError("Open Session Response shorter than 36 bytes")
    (bmc_sid,) = struct.unpack_from("<I", payload, 8)
    return OpenSessionResponse(
        tag, status, priv, console_sid, bmc_sid, payload[16], payload[24], payload[32]
    )


class Rakp1(NamedTuple):
    tag: int
    bmc_sid: int
    console_random: bytes
    role: int
    username: bytes


class Rakp2(NamedTuple):
    tag: int
    status: int
    console_sid: int
    bmc_random: bytes = bytes(16)
    bmc_guid: bytes = bytes(16)
    auth_code: bytes = b""


class Rakp3(NamedTuple):
    tag: int
    status: int
    bmc_sid: int
    auth_code: bytes = b""


class Rakp4(NamedTuple):
    tag: int
    status: int
    console_sid: int
    icv: bytes = b""


def encode_rakp1(msg: Rakp1) -> bytes:
    return (
        struct.pack("<BxxxI", msg.tag, msg.bmc_sid)
        + msg.console_random
        + bytes((msg.role, 0, 0, len(msg.username)))
        + msg.username
    )


def decode_rakp1(payload: bytes) -> Rakp1:
    """Parse RAKP message 1.

    Raises:
        PacketError: truncated or a user name longer than 16 bytes.
    """
    if len(payload) < 28:
        raise PacketError("RAKP 1 shorter than 28 bytes")
    tag, bmc_sid = struct.unpack_from("<BxxxI", payload)
    length = payload[27]
    name = payload[28 : 28 + length]
    if length > 16 or len(name) != length:
        raise PacketError("RAKP 1 has a bad user name length")
    return Rakp1(tag, bmc_sid, payload[8:24], payload[24], name)


def encode_rakp2(msg: Rakp2) -> bytes:
    head = struct.pack("<BBxxI", msg.tag, msg.status, msg.console_sid)
    if msg.status != RmcpStatus.OK:
        return head
    return head + msg.bmc_random + msg.bmc_guid + msg.auth_code


def decode_rakp2(payload: bytes) -> Rakp2:
    """Parse RAKP message 2.

    Raises:
        PacketError: truncated.
    """
    if len(payload) < 8:
        raise PacketError("RAKP 2 shorter than 8 bytes")
    tag, status, sid = struct.unpack_from("<BBxxI", payload)
    if status != RmcpStatus.OK:
        return Rakp2(tag, status, sid)
    if len(payload) < 40:
        raise PacketError("RAKP 2 shorter than 40 bytes")
    return Rakp2(tag, status, sid, payload[8:24], payload[24:40], payload[40:])


def encode_rakp3(msg: Rakp3) -> bytes:
    return struct.pack("<BBxxI", msg.tag, msg.status, msg.bmc_sid) + msg.auth_code


def decode_rakp3(payload: bytes) -> Rakp3:
    """Parse RAKP message 3.

    Raises:
        PacketError: truncated.
    """
    if len(payload) < 8:
        raise PacketError("RAKP 3 shorter than 8 bytes")
    tag, status, sid = struct.unpack_from("<BBxxI", payload)
    return Rakp3(tag, status, sid, payload[8:])


def encode_rakp4(msg: Rakp4) -> bytes:
    return struct.pack("<BBxxI", msg.tag, msg.status, msg.console_sid) + msg.icv


def decode_rakp4(payload: bytes) -> Rakp4:
    """Parse RAKP message 4.

    Raises:
        PacketError: truncated.
    """
    if len(payload) < 8:
        raise PacketError("RAKP 4 shorter than 8 bytes")
    tag, status, sid = struct.unpack_from("<BBxxI", payload)
    return Rakp4(tag, status, sid, payload[8:])
