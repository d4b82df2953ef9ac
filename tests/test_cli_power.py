"""The ``hostlib power`` command, single BMC and inventory modes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hostlib.cli import main
from hostlib.drivers.base import BootDevice, PowerState
from hostlib.drivers.fake import FakeBMC, FakePowerDriver

ONE = ["--driver", "fake", "--host", "127.0.0.9", "--username", "admin"]


@pytest.fixture(autouse=True)
def fresh_fakes() -> None:
    FakePowerDriver.forget_all()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env={"HOSTLIB_BMC_PASSWORD": "secret"})


def _shared(host: str, port: int = 623) -> FakeBMC:
    return FakePowerDriver(host=host, port=port).bmc


def test_status_json(runner: CliRunner) -> None:
    result = runner.invoke(main, ["power", "status", *ONE, "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["failed"] == 0
    assert doc["results"][0]["value"] == "off"
    assert doc["results"][0]["host"] == "127.0.0.9"


def test_on_then_table(runner: CliRunner) -> None:
    assert runner.invoke(main, ["power", "on", "--wait", *ONE]).exit_code == 0
    result = runner.invoke(main, ["power", "status", *ONE])
    assert result.exit_code == 0
    assert "SERVER" in result.output
    assert "127.0.0.9:623" in result.output
    assert result.output.rstrip().endswith("on")


def test_boot_device_set_and_show(runner: CliRunner) -> None:
    assert runner.invoke(main, ["power", "boot-device", "pxe", "--persistent", *ONE]).exit_code == 0
    assert _shared("127.0.0.9").boot_device is BootDevice.PXE
    assert _shared("127.0.0.9").boot_persistent
    result = runner.invoke(main, ["power", "boot-device", *ONE, "--json"])
    assert json.loads(result.output)["results"][0]["value"] == "pxe"


def test_password_from_file(tmp_path: Path) -> None:
    pw = tmp_path / "pw"
    pw.write_text("secret\n")
    result = CliRunner(env={"HOSTLIB_BMC_PASSWORD": None}).invoke(
        main, ["power", "status", *ONE, "--password-file", str(pw)]
    )
    assert result.exit_code == 0, result.output


def test_no_password_is_bad_input() -> None:
    result = CliRunner(env={"HOSTLIB_BMC_PASSWORD": None}).invoke(main, ["power", "status", *ONE])
    assert result.exit_code == 2
    assert "HOSTLIB_BMC_PASSWORD" in result.output


def test_password_is_not_an_option(runner: CliRunner) -> None:
    result = runner.invoke(main, ["power", "status", *ONE, "--password", "x"])
    assert result.exit_code == 2


def test_wrong_password_fails_without_echoing_it() -> None:
    result = CliRunner(env={"HOSTLIB_BMC_PASSWORD": "not-the-one-123"}).invoke(
        main, ["power", "status", *ONE]
    )
    assert result.exit_code == 1
    assert "AuthenticationError" in result.output
    assert "not-the-one-123" not in result.output


def test_inventory_yaml_with_one_failure(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("secret")
    inv = tmp_path / "rack.yaml"
    inv.write_text(
        "defaults: {driver: fake, username: admin, password_file: pw}\n"
        "servers:\n"
        "  - {name: web-1, host: 127.0.0.11}\n"
        "  - {name: web-2, host: 127.0.0.12}\n"
        "  - {name: db-1, host: 127.0.0.13, username: nobody}\n"
    )
    result = runner.invoke(main, ["power", "on", "--inventory", str(inv), "--json"])
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert [r["name"] for r in doc["results"]] == ["web-1", "web-2", "db-1"]
    assert [r["ok"] for r in doc["results"]] == [True, True, False]
    assert doc["results"][2]["error"]["type"] == "AuthenticationError"
    assert _shared("127.0.0.11").power_state is PowerState.ON


def test_inventory_toml(runner: CliRunner, tmp_path: Path) -> None:
    inv = tmp_path / "rack.toml"
    inv.write_text(
        '[defaults]\ndriver = "fake"\nusername = "admin"\n\n'
        '[[servers]]\nname = "a"\nhost = "127.0.0.21"\n\n'
        '[[servers]]\nname = "b"\nhost = "127.0.0.22"\nport = 624\n'
    )
    result = runner.invoke(main, ["power", "status", "--inventory", str(inv)])
    assert result.exit_code == 0, result.output
    assert "127.0.0.22:624" in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("servers: []\n", "non-empty 'servers'"),
        ("servers:\n  - {name: a, host: 127.0.0.1, password: x}\n", "password_file"),
        ("servers:\n  - {name: a, host: 'bad host'}\n", "host"),
        ("servers:\n  - {name: a, host: 127.0.0.1, port: 99999}\n", "port"),
        ("servers:\n  - {name: a, host: 127.0.0.1, colour: red}\n", "unknown keys colour"),
        ("servers: [\n", "not valid yaml"),
    ],
)
def test_bad_inventory(runner: CliRunner, tmp_path: Path, content: str, message: str) -> None:
    inv = tmp_path / "inv.yaml"
    inv.write_text(content)
    result = runner.invoke(main, ["power", "status", "--inventory", str(inv)])
    assert result.exit_code == 2
    assert message in result.output


def test_unknown_driver_lists_known(runner: CliRunner) -> None:
    result = runner.invoke(main, ["power", "status", "--driver", "nope", "--host", "127.0.0.1"])
    assert result.exit_code == 2
    assert "fake" in result.output
    assert "ipmi" in result.output


def test_bad_host_is_bad_input(runner: CliRunner) -> None:
    result = runner.invoke(main, ["power", "status", "--driver", "fake", "--host", "a b"])
    assert result.exit_code == 2
    assert "host" in result.output
