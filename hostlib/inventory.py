"""Inventory values: servers, their BMC endpoints and credentials.

All values are frozen attrs classes. Secrets are held in :class:`Secret`,
whose ``repr`` and ``str`` never show the value; read it with
:meth:`Secret.reveal` at the one place that sends it.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

import attrs

from hostlib.errors import ValidationError

__all__ = [
    "BmcEndpoint",
    "Credentials",
    "Secret",
    "Server",
    "validate_host",
    "validate_port",
]

_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def validate_host(value: object) -> str:
    """Return ``value`` as a host string if it is an IP address or DNS name.

    Raises:
        ValidationError: it is neither.
    """
    if not isinstance(value, str) or not value or len(value) > 253:
        raise ValidationError(
            f"host {value!r} is not valid: give an IPv4/IPv6 address or a DNS name"
        )
    try:
        return str(ipaddress.ip_address(value.strip("[]")))
    except ValueError:
        pass
    name = value[:-1] if value.endswith(".") else value
    labels = name.split(".")
    if all(_LABEL.match(label) for label in labels) and not labels[-1].isdigit():
        return name.lower()
    raise ValidationError(
        f"host {value!r} is not valid: give an IPv4/IPv6 address or a DNS name "
        "made of letters, digits and hyphens"
    )


def validate_port(value: object) -> int:
    """Return ``value`` as a UDP/TCP port number (1-65535).

    Raises:
        ValidationError: not an integer in range.
    """
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ValidationError(f"port {value!r} is not valid: give an integer from 1 to 65535")
    return value


class Secret:
    """A string that never shows itself in ``repr``, ``str``, logs or errors."""

    __slots__ = ("_value",)

    def __init__(self, value: str | Secret) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        if not isinstance(value, str):
            raise ValidationError("a secret must be a string")
        self._value = value

    def reveal(self) -> str:
        """Return the secret value; call only where it is sent."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> Any:
        return (Secret, (self._value,))


def _to_secret(value: str | Secret) -> Secret:
    return value if isinstance(value, Secret) else Secret(value)


def _check_port(_inst: object, _attr: object, value: int) -> None:
    validate_port(value)


@attrs.frozen
class Credentials:
    """A user name and its password; the password is never shown."""

    username: str = attrs.field(validator=attrs.validators.instance_of(str))
    password: Secret = attrs.field(converter=_to_secret)


@attrs.frozen
class BmcEndpoint:
    """Where and how to reach one server's BMC."""

    host: str = attrs.field(converter=validate_host)
    credentials: Credentials
    port: int = attrs.field(default=623, validator=_check_port)
    driver: str = "ipmi"


@attrs.frozen
class Server:
    """One dedicated server of the inventory."""

    name: str = attrs.field(validator=attrs.validators.min_len(1))
    bmc: BmcEndpoint | None = None
