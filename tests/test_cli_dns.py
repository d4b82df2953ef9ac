"""The ``hostlib dns ptr`` command against a real named and a zone file."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from click.testing import CliRunner

from hostlib.cli import main
from tests.bind_support import Bind, dig, named

__all__ = ["named"]  # the fixture, re-exported for pytest


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["dns", "ptr", *args])
    return result.exit_code, result.output


def _server(bind: Bind) -> list[str]:
    return ["--server", bind.host, "--port", str(bind.port), "--tsig-key-file", str(bind.key_file)]


def test_set_get_delete_against_named(named: Bind) -> None:
    named.reset()
    code, out = _run("set", "192.0.2.200", "web-1.example.com", *_server(named), "--json")
    assert code == 0, out
    assert [r["new"] for r in json.loads(out)["added"]] == ["web-1.example.com."]
    assert dig(named, "200.2.0.192.in-addr.arpa.", "PTR") == ["web-1.example.com."]
    code, out = _run("get", "192.0.2.200", *_server(named))
    assert (code, out) == (0, "web-1.example.com.\n")
    code, out = _run("set", "192.0.2.200", "web-1.example.com.", *_server(named), "--json")
    assert json.loads(out)["changed"] is False
    code, out = _run("delete", "192.0.2.200", *_server(named))
    assert code == 0, out
    assert dig(named, "200.2.0.192.in-addr.arpa.", "PTR") == []


def test_plan_then_apply_a_file(named: Bind, tmp_path: Path) -> None:
    named.reset()
    mapping = tmp_path / "ptr.yaml"
    mapping.write_text('"192.0.2.201": a.example.com\n"2001:db8::5": b.example.com.\n')
    code, out = _run("plan", str(mapping), *_server(named), "--json")
    assert code == 0, out
    assert len(json.loads(out)["added"]) == 2
    assert dig(named, "201.2.0.192.in-addr.arpa.", "PTR") == []  # plan wrote nothing
    code, out = _run("apply", str(mapping), *_server(named))
    assert code == 0, out
    assert "add" in out
    assert dig(named, "201.2.0.192.in-addr.arpa.", "PTR") == ["a.example.com."]


def test_wrong_key_is_refused(named: Bind, tmp_path: Path) -> None:
    named.reset()
    bad = tmp_path / "bad.key"
    bad.write_text(
        f'key "{named.key.name}" {{ algorithm hmac-sha256; '
        'secret "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="; };\n'
    )
    code, out = _run(
        "set", "192.0.2.202", "x.example.com", "--server", named.host,
        "--port", str(named.port), "--tsig-key-file", str(bad),
    )  # fmt: skip
    assert code == 1
    assert "AAAAAAAA" not in out
    assert dig(named, "202.2.0.192.in-addr.arpa.", "PTR") == []


def test_zone_file_backend(tmp_path: Path) -> None:
    zone = tmp_path / "rev.zone"
    zone.write_text(
        "$TTL 3600\n"
        "@ IN SOA ns1.example.com. hostmaster.example.com. 2026010101 3600 600 604800 300\n"
        "@ IN NS ns1.example.com.\n"
    )
    opts = ["--zone-file", str(zone), "--origin", "2.0.192.in-addr.arpa."]
    code, out = _run("set", "192.0.2.10", "host.example.com", *opts)
    assert code == 0, out
    check = subprocess.run(
        ["named-checkzone", "2.0.192.in-addr.arpa", str(zone)], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout
    assert _run("get", "192.0.2.10", *opts) == (0, "host.example.com.\n")


def test_bad_input() -> None:
    assert _run("get", "192.0.2.10")[0] == 2  # no backend
    code, out = _run("get", "not-an-ip", "--zone-file", "/nonexistent", "--origin", "x.arpa.")
    assert code == 2
    assert "not-an-ip" in out
