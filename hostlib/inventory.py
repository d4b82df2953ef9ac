"""Inventory values: servers, their BMC endpoints and credentials.

All values are frozen attrs classes. Secrets are held in :class:`Secret`,
whose ``repr`` and ``str`` never show the value; read it with
:meth:`Secret.reveal` at the one place that sends it.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
import yaml

from hostlib.errors import ValidationError

__all__ = [
    "PASSWORD_ENV",
    "BmcEndpoint",
    "Credentials",
    "NetworkInterface",
    "Secret",
    "Server",
    "load_inventory",
    "normalize_mac",
    "validate_host",
    "validate_port",
]

#: environment variable holding the BMC password when no other source is given
PASSWORD_ENV = "HOSTLIB_BMC_PASSWORD"

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


_MAC_HEX = re.compile(r"^[0-9a-f]{12}$")
_MAC_DOTTED = re.compile(r"^[0-9a-f]{4}(\.[0-9a-f]{4}){2}$")


def normalize_mac(value: object) -> str:
    """Return a MAC address as ``aa:bb:cc:dd:ee:ff``.

    Accepts colons or hyphens between octets (``AA-BB-CC-DD-EE-FF``), dotted
    groups of four (``aabb.ccdd.eeff``) and bare hex (``aabbccddeeff``).

    Raises:
        ValidationError: not one of those notations of six octets.
    """
    if isinstance(value, str):
        text = value.strip().lower()
        octets = re.split(r"[:-]", text)
        if len(octets) == 6 and all(re.fullmatch(r"[0-9a-f]{1,2}", o) for o in octets):
            return ":".join(o.zfill(2) for o in octets)
        bare = (
            text.replace(".", "") if re.fullmatch(r"[0-9a-f]{4}(\.[0-9a-f]{4}){2}", text) else text
        )
        if _MAC_HEX.match(bare):
            return ":".join(bare[i : i + 2] for i in range(0, 12, 2))
    raise ValidationError(
        f"MAC address {value!r} is not valid: give six octets, e.g. aa:bb:cc:dd:ee:ff, "
        "AA-BB-CC-DD-EE-FF or aabb.ccdd.eeff"
    )


def _interface(value: object) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface:
    if isinstance(value, ipaddress.IPv4Interface | ipaddress.IPv6Interface):
        return value
    try:
        return ipaddress.ip_interface(value)  # type: ignore[arg-type]
    except ValueError:
        raise ValidationError(
            f"address {value!r} is not valid: give address/prefix, e.g. 192.0.2.10/24 or "
            "2001:db8::10/64"
        ) from None


def _optional_ip(value: object) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if value is None or isinstance(value, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return value
    try:
        return ipaddress.ip_address(value)  # type: ignore[arg-type]
    except ValueError:
        raise ValidationError(f"gateway {value!r} is not an IP address") from None


def _optional_mac(value: object) -> str | None:
    return None if value is None else normalize_mac(value)


@attrs.frozen
class NetworkInterface:
    """One address of a server or BMC: address/prefix, gateway, MAC.

    ``netmask``, ``network`` and ``broadcast`` are derived from the address
    and prefix (``broadcast`` is None for IPv6, which has none).
    """

    address: ipaddress.IPv4Interface | ipaddress.IPv6Interface = attrs.field(converter=_interface)
    gateway: ipaddress.IPv4Address | ipaddress.IPv6Address | None = attrs.field(
        default=None, converter=_optional_ip
    )
    mac: str | None = attrs.field(default=None, converter=_optional_mac)
    name: str = ""

    def __attrs_post_init__(self) -> None:
        gw = self.gateway
        if gw is None:
            return
        if gw.version != self.address.version:
            raise ValidationError(f"gateway {gw} is not IPv{self.address.version} like {self}")
        if gw not in self.network and not gw.is_link_local:
            raise ValidationError(f"gateway {gw} is outside the network {self.network}")
        if gw == self.ip:
            raise ValidationError(f"gateway {gw} is the interface's own address")

    @property
    def ip(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
        return self.address.ip

    @property
    def prefix(self) -> int:
        return self.address.network.prefixlen

    @property
    def netmask(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
        return self.address.netmask

    @property
    def network(self) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        return self.address.network

    @property
    def broadcast(self) -> ipaddress.IPv4Address | None:
        net = self.address.network
        if isinstance(net, ipaddress.IPv4Network) and net.prefixlen < 31:
            return net.broadcast_address
        return None

    def __str__(self) -> str:
        return str(self.address)


@attrs.frozen
class Server:
    """One dedicated server of the inventory."""

    name: str = attrs.field(validator=attrs.validators.min_len(1))
    bmc: BmcEndpoint | None = None


def _load_mapping(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(f"cannot read inventory {path}: {exc.strerror}") from exc
    try:
        if path.suffix == ".toml":
            data: object = tomllib.loads(text)
        elif path.suffix in (".yaml", ".yml"):
            data = yaml.safe_load(text)
        else:
            raise ValidationError(f"inventory {path} must end in .toml, .yaml or .yml")
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ValidationError(f"inventory {path} is not valid {path.suffix[1:]}: {exc}") from exc
    if not isinstance(data, dict):
        raise ValidationError(f"inventory {path} must be a mapping with a 'servers' list")
    return data


def _password(entry: Mapping[str, Any], base: Path, where: str) -> Secret:
    if "password" in entry:
        raise ValidationError(
            f"{where}: passwords are not kept in inventory files; "
            "use password_file (a path) or password_env (a variable name)"
        )
    if "password_file" in entry:
        pw_path = base / str(entry["password_file"])
        try:
            return Secret(pw_path.read_text(encoding="utf-8").rstrip("\r\n"))
        except OSError as exc:
            raise ValidationError(
                f"{where}: cannot read password_file {pw_path}: {exc.strerror}"
            ) from exc
    var = str(entry.get("password_env", PASSWORD_ENV))
    if var not in os.environ:
        raise ValidationError(
            f"{where}: no password: set password_file or password_env, or the "
            f"environment variable {var}"
        )
    return Secret(os.environ[var])


_SERVER_KEYS = {"name", "host", "port", "driver", "username", "password_file", "password_env"}


def load_inventory(path: str | Path) -> list[Server]:
    """Read servers and their BMCs from a TOML or YAML inventory file.

    The file has an optional ``defaults`` mapping and a ``servers`` list;
    each server has ``name`` and ``host`` and may set ``port``, ``driver``,
    ``username`` and ``password_file`` (relative to the file) or
    ``password_env``. Without either, the password comes from the
    ``HOSTLIB_BMC_PASSWORD`` environment variable.

    Raises:
        ValidationError: unreadable file, bad syntax or a bad entry (named).
    """
    path = Path(path)
    data = _load_mapping(path)
    defaults = data.get("defaults", {})
    servers = data.get("servers")
    if not isinstance(defaults, dict) or not isinstance(servers, list) or not servers:
        raise ValidationError(
            f"inventory {path} needs a non-empty 'servers' list (and 'defaults' a mapping)"
        )
    result: list[Server] = []
    names: set[str] = set()
    for number, raw in enumerate(servers, 1):
        where = f"inventory {path}, server #{number}"
        if not isinstance(raw, dict):
            raise ValidationError(f"{where}: must be a mapping with name and host")
        entry = {**defaults, **raw}
        unknown = sorted(set(entry) - _SERVER_KEYS)
        if unknown:
            raise ValidationError(
                f"{where}: unknown keys {', '.join(unknown)}; "
                f"known keys: {', '.join(sorted(_SERVER_KEYS))}"
            )
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise ValidationError(f"{where}: needs a name")
        if name in names:
            raise ValidationError(f"{where}: server name {name!r} is used twice")
        names.add(name)
        try:
            endpoint = BmcEndpoint(
                host=entry.get("host", ""),
                port=entry.get("port", 623),
                driver=str(entry.get("driver", "ipmi")),
                credentials=Credentials(
                    username=str(entry.get("username", "")),
                    password=_password(entry, path.parent, where),
                ),
            )
        except ValidationError as exc:
            raise ValidationError(f"{where} ({name}): {exc}") from exc
        result.append(Server(name=name, bmc=endpoint))
    return result
