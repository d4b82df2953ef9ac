"""``hostlib power``: power and boot control of one BMC or an inventory of them."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from hostlib.cli._output import fail, jsonable, print_json, print_table
from hostlib.drivers import power_driver
from hostlib.drivers.base import BootDevice, PowerDriver
from hostlib.errors import HostlibError, ValidationError
from hostlib.fleet import BulkResult, run_bulk
from hostlib.inventory import PASSWORD_ENV, NetworkInterface, Secret, load_inventory

__all__ = ["power"]

F = TypeVar("F", bound=Callable[..., Any])


@click.group()
def power() -> None:
    """Power and boot control over IPMI (or any registered power driver)."""


def _target_options(func: F) -> F:
    options = [
        click.option("--driver", default="ipmi", show_default=True, help="Power driver name."),
        click.option("--host", help="BMC address (single-BMC mode)."),
        click.option("--port", type=int, default=623, show_default=True, help="BMC port."),
        click.option("--username", default="", help="BMC user."),
        click.option(
            "--password-file",
            type=click.Path(dir_okay=False, path_type=Path),
            help=f"File holding the BMC password (else ${PASSWORD_ENV}).",
        ),
        click.option(
            "--inventory",
            type=click.Path(dir_okay=False, path_type=Path),
            help="TOML or YAML inventory: act on every server in it.",
        ),
        click.option("--timeout", type=float, default=10.0, show_default=True, help="Seconds."),
        click.option("--concurrency", type=int, default=64, show_default=True),
        click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _read_password(password_file: Path | None) -> Secret:
    if password_file is not None:
        try:
            return Secret(password_file.read_text(encoding="utf-8").rstrip("\r\n"))
        except OSError as exc:
            raise ValidationError(
                f"cannot read --password-file {password_file}: {exc.strerror}"
            ) from exc
    if PASSWORD_ENV in os.environ:
        return Secret(os.environ[PASSWORD_ENV])
    raise ValidationError(f"no BMC password: give --password-file or set {PASSWORD_ENV}")


def _targets(opts: dict[str, Any]) -> list[tuple[str, PowerDriver]]:
    common = {"timeout": opts["timeout"]}
    if opts["inventory"] is not None:
        if opts["host"]:
            raise ValidationError("give either --host or --inventory, not both")
        return [
            (
                server.name,
                power_driver(
                    server.bmc.driver,
                    host=server.bmc.host,
                    port=server.bmc.port,
                    username=server.bmc.credentials.username,
                    password=server.bmc.credentials.password,
                    **common,
                ),
            )
            for server in load_inventory(opts["inventory"])
            if server.bmc is not None
        ]
    if not opts["host"]:
        raise ValidationError("give --host (one BMC) or --inventory FILE (many)")
    driver = power_driver(
        opts["driver"],
        host=opts["host"],
        port=opts["port"],
        username=opts["username"],
        password=_read_password(opts["password_file"]),
        **common,
    )
    return [(driver.host, driver)]


def _describe(result: BulkResult) -> str:
    if result.ok:
        if isinstance(result.value, NetworkInterface):
            nic = result.value
            return f"{nic.address} gw {nic.gateway or '-'} mac {nic.mac or '-'}"
        return "ok" if result.value is None else str(jsonable(result.value))
    return f"{type(result.error).__name__}: {result.error}"


def _bulk(
    action: str, drivers: list[PowerDriver], opts: dict[str, Any], kwargs: dict[str, Any]
) -> list[BulkResult]:
    """Run the action, with a progress bar on an interactive stderr."""
    if opts["as_json"] or len(drivers) < 2 or not sys.stderr.isatty():
        return run_bulk(drivers, action, kwargs=kwargs, concurrency=opts["concurrency"])
    with click.progressbar(length=len(drivers), label=action, file=sys.stderr) as bar:
        return run_bulk(
            drivers,
            action,
            kwargs=kwargs,
            concurrency=opts["concurrency"],
            progress=lambda done, total, result: bar.update(1),
        )


def _run(action: str, opts: dict[str, Any], kwargs: dict[str, Any] | None = None) -> None:
    try:
        targets = _targets(opts)
    except HostlibError as exc:
        fail(exc)
    try:
        results = _bulk(action, [driver for _, driver in targets], opts, kwargs or {})
    except HostlibError as exc:
        fail(exc)
    finally:
        for _, driver in targets:
            driver.close()
    failed = sum(not r.ok for r in results)
    names = [name for name, _ in targets]
    if opts["as_json"]:
        print_json(
            {
                "action": action,
                "failed": failed,
                "results": [
                    {
                        "name": name,
                        "host": r.host,
                        "port": r.port,
                        "ok": r.ok,
                        "value": r.value,
                        "error": r.error,
                        "elapsed": round(r.elapsed, 4),
                    }
                    for name, r in zip(names, results, strict=True)
                ],
            }
        )
    else:
        rows = [
            (name, f"{r.host}:{r.port}", _describe(r))
            for name, r in zip(names, results, strict=True)
        ]
        print_table(("SERVER", "BMC", "RESULT"), rows)
        if failed:
            click.echo(f"{failed} of {len(results)} failed", err=True)
    if failed:
        raise SystemExit(1)


_wait = click.option("--wait", is_flag=True, help="Confirm the state was reached.")


def _waiting(wait: bool) -> dict[str, Any]:
    return {"wait": True} if wait else {}


@power.command()
@_target_options
def status(**opts: Any) -> None:
    """Show the power state."""
    _run("status", opts)


@power.command()
@_wait
@_target_options
def on(wait: bool, **opts: Any) -> None:
    """Power on."""
    _run("power_on", opts, _waiting(wait))


@power.command()
@_wait
@_target_options
def off(wait: bool, **opts: Any) -> None:
    """Power off hard, without an OS shutdown."""
    _run("power_off", opts, _waiting(wait))


@power.command()
@_wait
@click.option("--hard-after", type=float, help="Power off hard if still on after SECONDS.")
@_target_options
def shutdown(wait: bool, hard_after: float | None, **opts: Any) -> None:
    """Ask the OS to shut down (ACPI soft off)."""
    kwargs = _waiting(wait)
    if hard_after is not None:
        kwargs["hard_after"] = hard_after
    _run("shutdown", opts, kwargs)


@power.command()
@_wait
@_target_options
def reboot(wait: bool, **opts: Any) -> None:
    """Hard reset."""
    _run("reboot", opts, _waiting(wait))


@power.command()
@_wait
@_target_options
def cycle(wait: bool, **opts: Any) -> None:
    """Power off, then on again."""
    _run("power_cycle", opts, _waiting(wait))


@power.command("boot-device")
@click.argument("device", required=False, type=click.Choice([d.value for d in BootDevice]))
@click.option("--persistent", is_flag=True, help="Keep for every boot, not only the next.")
@_target_options
def boot_device(device: str | None, persistent: bool, **opts: Any) -> None:
    """Show the boot device, or set it to DEVICE."""
    if device is None:
        if persistent:
            fail(ValidationError("--persistent needs a DEVICE to set"))
        _run("boot_device", opts)
    else:
        _run("set_boot_device", opts, {"device": device, "persistent": persistent})


@power.command("lan")
@click.option("--channel", type=int, default=1, show_default=True, help="BMC LAN channel.")
@_target_options
def lan(channel: int, **opts: Any) -> None:
    """Show the BMC's own LAN settings: address, netmask, gateway, MAC."""
    _run("lan_settings", opts, {"channel": channel})
