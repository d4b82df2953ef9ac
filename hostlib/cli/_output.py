"""Rendering results for people (tables) and for scripts (JSON)."""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from hostlib.errors import HostlibError, ValidationError
from hostlib.inventory import NetworkInterface

__all__ = ["fail", "jsonable", "print_json", "print_table"]


def jsonable(value: Any) -> Any:
    """Turn result values (enums, exceptions, None) into JSON types."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, BaseException):
        return {"type": type(value).__name__, "message": str(value)}
    if isinstance(value, NetworkInterface):
        return {
            "address": str(value.ip),
            "prefix": value.prefix,
            "netmask": str(value.netmask),
            "gateway": None if value.gateway is None else str(value.gateway),
            "mac": value.mac,
        }
    return value


def print_json(document: Any) -> None:
    click.echo(json.dumps(document, indent=2, default=jsonable))


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    click.echo(click.style(line.rstrip(), bold=True))
    for row in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def fail(exc: HostlibError) -> NoReturn:
    """Report a hostlib error on stderr and leave with status 2 (bad input) or 1."""
    click.echo(f"error: {exc}", err=True)
    raise SystemExit(2 if isinstance(exc, ValidationError) else 1)
