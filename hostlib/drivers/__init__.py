"""Pluggable drivers, found by name through entry points.

Every driver, built-in or third-party, is registered in the entry-point
group of its family (``hostlib.power``, ``hostlib.console``,
``hostlib.reinstall``). A driver's module, and the heavy library it stands
on, is imported only when that driver is asked for.
"""

from __future__ import annotations

import inspect
from importlib.metadata import entry_points
from typing import Any

from hostlib.drivers.base import BootDevice, PowerDriver, PowerState
from hostlib.errors import ValidationError

__all__ = [
    "BootDevice",
    "PowerDriver",
    "PowerState",
    "FAMILIES",
    "driver_class",
    "power_driver",
    "registered_drivers",
]

FAMILIES = ("power", "console", "reinstall")


def _group(family: str) -> str:
    if family not in FAMILIES:
        raise ValidationError(f"unknown driver family {family!r}: use one of {', '.join(FAMILIES)}")
    return f"hostlib.{family}"


def registered_drivers(family: str = "power") -> list[str]:
    """Return the sorted names of the drivers registered for ``family``."""
    return sorted({ep.name for ep in entry_points(group=_group(family))})


def driver_class(family: str, name: str) -> type[Any]:
    """Load and return the class registered as ``name`` in ``family``.

    Raises:
        ValidationError: no driver of that name is registered.
    """
    matches = [ep for ep in entry_points(group=_group(family)) if ep.name == name]
    if not matches:
        known = ", ".join(registered_drivers(family)) or "none"
        raise ValidationError(
            f"no {family} driver named {name!r}; registered {family} drivers: {known}"
        )
    cls: type[Any] = matches[0].load()
    return cls


def _instantiate(family: str, name: str, config: dict[str, Any]) -> Any:
    cls = driver_class(family, name)
    params = inspect.signature(cls).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    if not takes_any:
        unknown = sorted(set(config) - set(params))
        if unknown:
            accepted = ", ".join(sorted(p for p in params if p != "self"))
            raise ValidationError(
                f"{family} driver {name!r} does not take {', '.join(unknown)}; "
                f"it accepts: {accepted}"
            )
        missing = sorted(
            p.name
            for p in params.values()
            if p.default is inspect.Parameter.empty
            and p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
            and p.name not in config
        )
        if missing:
            raise ValidationError(f"{family} driver {name!r} needs {', '.join(missing)}")
    return cls(**config)


def power_driver(name: str | PowerDriver, **config: Any) -> PowerDriver:
    """Return a power driver.

    Args:
        name: a registered driver name (see :func:`registered_drivers`), or a
            driver object, which is returned as it is.
        **config: the driver's settings (host, port, username, password,
            timeout, ...).

    Raises:
        ValidationError: unknown driver name or bad settings; nothing is sent.
    """
    if not isinstance(name, str):
        if config:
            raise ValidationError("settings cannot be given with a driver object")
        if not isinstance(name, PowerDriver):
            raise ValidationError(f"{name!r} is not a power driver (see hostlib.drivers.base)")
        return name
    driver: PowerDriver = _instantiate("power", name, config)
    return driver
