"""Inventory values: hosts, ports, secrets."""

from __future__ import annotations

import ipaddress
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hostlib.errors import ValidationError
from hostlib.inventory import BmcEndpoint, Credentials, Secret, validate_host, validate_port


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
