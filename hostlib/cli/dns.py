"""``hostlib dns ptr``: reverse DNS through RFC 2136 (TSIG) or a zone file."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
import yaml

from hostlib.cli._output import fail, print_json, print_table
from hostlib.dns import ChangeSet, ReverseDNS, RFC2136Backend, TsigKey, ZoneFileBackend
from hostlib.dns.backend import PtrBackend
from hostlib.errors import HostlibError, ValidationError

__all__ = ["dns"]

F = TypeVar("F", bound=Callable[..., Any])


def _backend_options(func: F) -> F:
    options = [
        click.option(
            "--server", help="DNS server taking RFC 2136 updates (IP address or host name)."
        ),
        click.option("--port", type=int, default=53, show_default=True),
        click.option(
            "--tsig-key-file",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            help='BIND key file (key "name" { algorithm ...; secret ...; };).',
        ),
        click.option(
            "--zone-file",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Edit this zone file instead of talking to a server.",
        ),
        click.option("--origin", help="The zone file's origin, e.g. 2.0.192.in-addr.arpa."),
        click.option(
            "--classless",
            multiple=True,
            metavar="CIDR=ZONE",
            help="RFC 2317 delegation, e.g. 192.0.2.0/26=0-63.2.0.192.in-addr.arpa (repeatable).",
        ),
        click.option("--timeout", type=float, default=5.0, show_default=True, help="Seconds."),
        click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _reverse_dns(opts: dict[str, Any]) -> ReverseDNS:
    backend: PtrBackend
    if opts["zone_file"] is not None:
        if opts["server"] or opts["tsig_key_file"]:
            raise ValidationError("give --zone-file or --server/--tsig-key-file, not both")
        if not opts["origin"]:
            raise ValidationError("--zone-file needs --origin (the zone's name)")
        backend = ZoneFileBackend(opts["zone_file"], origin=opts["origin"])
    elif opts["server"]:
        tsig = TsigKey.from_file(opts["tsig_key_file"]) if opts["tsig_key_file"] else None
        backend = RFC2136Backend(opts["server"], opts["port"], tsig=tsig, timeout=opts["timeout"])
    else:
        raise ValidationError("give --server (RFC 2136) or --zone-file and --origin")
    classless = {}
    for item in opts["classless"]:
        cidr, sep, zone = item.partition("=")
        if not sep:
            raise ValidationError(f"--classless {item!r} is not CIDR=ZONE")
        classless[cidr] = zone
    return ReverseDNS(backend, classless=classless or None, timeout=opts["timeout"])


def _read_mapping(path: Path) -> dict[str, str | None]:
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            data: object = json.loads(text)
        elif path.suffix == ".toml":
            data = tomllib.loads(text)
        else:
            data = yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ValidationError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in data.items()
    ):
        raise ValidationError(
            f"{path} must map IP addresses to hostnames (or null to delete), "
            'e.g. {"192.0.2.10": "host.example.com."}'
        )
    return data


def _changes_document(changes: ChangeSet) -> dict[str, Any]:
    def rows(items: tuple[Any, ...]) -> list[dict[str, Any]]:
        return [{"ip": str(c.ip), "name": c.name, "old": c.old, "new": c.new} for c in items]

    return {
        "changed": changes.has_changes,
        "added": rows(changes.added),
        "changed_records": rows(changes.changed),
        "deleted": rows(changes.deleted),
        "unchanged": rows(changes.unchanged),
        "failed": rows(changes.failed),
    }


def _report(changes: ChangeSet, as_json: bool) -> None:
    if as_json:
        print_json(_changes_document(changes))
        return
    table = [
        (kind, str(c.ip), c.old or "-", c.new or "-")
        for kind, items in (
            ("add", changes.added),
            ("change", changes.changed),
            ("delete", changes.deleted),
            ("keep", changes.unchanged),
            ("FAILED", changes.failed),
        )
        for c in items
    ]
    print_table(("ACTION", "IP", "OLD", "NEW"), table)


@click.group()
def dns() -> None:
    """Reverse DNS."""


@dns.group()
def ptr() -> None:
    """Read and change PTR records."""


@ptr.command("get")
@click.argument("ip")
@_backend_options
def get(ip: str, **opts: Any) -> None:
    """Show the hostname IP points at."""
    try:
        target = _reverse_dns(opts).get_ptr(ip)
    except HostlibError as exc:
        fail(exc)
    if opts["as_json"]:
        print_json({"ip": ip, "ptr": target})
    else:
        click.echo(target or "(no PTR)")


@ptr.command("set")
@click.argument("ip")
@click.argument("hostname")
@_backend_options
def set_(ip: str, hostname: str, **opts: Any) -> None:
    """Point IP at HOSTNAME (nothing is written if it already does)."""
    try:
        changes = _reverse_dns(opts).set_ptr(ip, hostname)
    except HostlibError as exc:
        fail(exc)
    _report(changes, opts["as_json"])


@ptr.command()
@click.argument("ip")
@_backend_options
def delete(ip: str, **opts: Any) -> None:
    """Remove IP's PTR record."""
    try:
        changes = _reverse_dns(opts).delete_ptr(ip)
    except HostlibError as exc:
        fail(exc)
    _report(changes, opts["as_json"])


@ptr.command()
@click.argument("mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_backend_options
def apply(mapping: Path, **opts: Any) -> None:
    """Apply MAPPING (YAML/JSON/TOML: IP -> hostname, or null to delete)."""
    _mapping_command(mapping, opts, write=True)


@ptr.command()
@click.argument("mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_backend_options
def plan(mapping: Path, **opts: Any) -> None:
    """Show what applying MAPPING would change; change nothing."""
    _mapping_command(mapping, opts, write=False)


def _mapping_command(mapping: Path, opts: dict[str, Any], *, write: bool) -> None:
    try:
        rdns = _reverse_dns(opts)
        wanted = _read_mapping(mapping)
        changes = rdns.apply(wanted) if write else rdns.plan(wanted)
    except HostlibError as exc:
        fail(exc)
    _report(changes, opts["as_json"])
