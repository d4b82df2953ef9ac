"""Inventory values: hosts, ports, secrets."""

from __future__ import annotations

import ipaddress
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hostlib.errors import ValidationError
from hostlib.inventory import (
    BmcEndpoint,
    Credentials,
    NetworkInterface,
    Secret,
    normalize_mac,
    validate_host,
    validate_port,
)


def test_secret_never_shows() -> None:
    s = Secret("p4ssw0rd")
    creds = Credentials(username="admin", password="p4ssw0rd")
    endpoint = BmcEndpoint(host="127.0.0.1", credentials=creds)
    for text in (repr(s), str(s), repr(creds), str(creds), repr(endpoint), f"{s}"):
        assert "p4ssw0rd" not in text
    assert s.reveal() == "p4ssw0rd"
    assert creds.password == Secret("p4ssw0rd")


def test_secret_survives_pickle_for_worker_processes() -> None:
    assert pickle.loads(pickle.dumps(Secret("x"))).reveal() == "x"


@pytest.mark.parametrize(
    ("given_host", "expected"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("::1", "::1"),
        ("[::1]", "::1"),
        ("BMC-01.Example.com.", "bmc-01.example.com"),
        ("localhost", "localhost"),
    ],
)
def test_valid_hosts(given_host: str, expected: str) -> None:
    assert validate_host(given_host) == expected


@pytest.mark.parametrize(
    "bad", ["", "a b", "-bad.example", "bad-.example", "x" * 64 + ".com", "1.2.3.999", None, 5]
)
def test_invalid_hosts(bad: object) -> None:
    with pytest.raises(ValidationError, match="host"):
        validate_host(bad)


@given(st.ip_addresses())
def test_any_ip_address_is_a_valid_host(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    assert ipaddress.ip_address(validate_host(str(ip))) == ip


@given(st.text(alphabet=" !@#$%^&*()_+=/\\,;'\"", min_size=1))
def test_punctuation_is_never_a_host(text: str) -> None:
    with pytest.raises(ValidationError):
        validate_host(text)


@pytest.mark.parametrize("bad", [0, -1, 65536, "623", 1.5, True])
def test_invalid_ports(bad: object) -> None:
    with pytest.raises(ValidationError, match="port"):
        validate_port(bad)


@pytest.mark.parametrize(
    "notation",
    [
        "aa:bb:cc:dd:ee:ff",
        "AA-BB-CC-DD-EE-FF",
        "aabb.ccdd.eeff",
        "AABBCCDDEEFF",
        " aa:bb:cc:dd:ee:ff ",
    ],
)
def test_mac_notations_normalise(notation: str) -> None:
    assert normalize_mac(notation) == "aa:bb:cc:dd:ee:ff"


@pytest.mark.parametrize(
    "bad", ["", "aa:bb:cc:dd:ee", "aa:bb:cc:dd:ee:gg", "aabb.ccdd", "aa:bb:cc:dd:ee:ff:00", 5, None]
)
def test_bad_macs(bad: object) -> None:
    with pytest.raises(ValidationError, match="MAC address"):
        normalize_mac(bad)


@given(st.binary(min_size=6, max_size=6))
def test_any_mac_round_trips_through_every_notation(raw: bytes) -> None:
    canonical = ":".join(f"{b:02x}" for b in raw)
    for text in (
        canonical.upper().replace(":", "-"),
        raw.hex(),
        f"{raw.hex()[:4]}.{raw.hex()[4:8]}.{raw.hex()[8:]}",
    ):
        assert normalize_mac(text) == canonical


def test_ipv4_interface_details() -> None:
    nic = NetworkInterface(address="192.0.2.10/26", gateway="192.0.2.1", mac="AA-BB-CC-00-11-22")
    assert str(nic.netmask) == "255.255.255.192"
    assert str(nic.network) == "192.0.2.0/26"
    assert str(nic.broadcast) == "192.0.2.63"
    assert nic.prefix == 26
    assert nic.mac == "aa:bb:cc:00:11:22"


def test_ipv6_interface_details() -> None:
    nic = NetworkInterface(address="2001:db8:1::10/64", gateway="fe80::1")
    assert nic.broadcast is None
    assert str(nic.network) == "2001:db8:1::/64"
    assert str(nic.netmask) == "ffff:ffff:ffff:ffff::"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"address": "192.0.2.10"}, None),
        ({"address": "192.0.2.300/24"}, "address"),
        ({"address": "192.0.2.10/24", "gateway": "198.51.100.1"}, "outside the network"),
        ({"address": "192.0.2.10/24", "gateway": "192.0.2.10"}, "own address"),
        ({"address": "192.0.2.10/24", "gateway": "2001:db8::1"}, "IPv4"),
        ({"address": "192.0.2.10/24", "gateway": "gw"}, "gateway"),
    ],
)
def test_interface_validation(kwargs: dict[str, str], message: str | None) -> None:
    if message is None:  # a bare address is a /32 host route
        assert NetworkInterface(**kwargs).prefix == 32
        return
    with pytest.raises(ValidationError, match=message):
        NetworkInterface(**kwargs)
