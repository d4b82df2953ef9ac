"""The ``hostlib billing`` command."""

from __future__ import annotations

import json

from click.testing import CliRunner

from hostlib.cli import main


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["billing", *args])
    return result.exit_code, result.output


def test_vat_rate_on_a_date() -> None:
    assert _run("vat-rate", "FI", "--on", "2024-08-31") == (0, "FI 2024-08-31: 24 %\n")
    assert _run("vat-rate", "FI", "--on", "2024-09-01") == (0, "FI 2024-09-01: 25.5 %\n")


def test_vat_rate_json_accepts_el_for_greece() -> None:
    code, out = _run("vat-rate", "EL", "--on", "2016-06-01", "--json")
    assert code == 0
    assert json.loads(out) == {"country": "EL", "on": "2016-06-01", "rate": "24"}


def test_vat_rate_defaults_to_today() -> None:
    code, out = _run("vat-rate", "DE", "--json")
    assert code == 0
    assert json.loads(out)["rate"] == "19"


def test_vat_rate_unknown_country_is_bad_input() -> None:
    code, out = _run("vat-rate", "XX")
    assert code == 2
    assert "known codes are AT, BE" in out


def test_vat_rate_bad_date() -> None:
    code, out = _run("vat-rate", "DE", "--on", "1.1.2025")
    assert code == 2
    assert "does not match the format" in out


def test_vat_decide_reverse_charge() -> None:
    code, out = _run(
        "vat-decide", "--seller", "DE", "--customer", "FR", "--vat-id", "FR40303265045",
        "--on", "2025-03-01", "--json",
    )  # fmt: skip
    assert code == 0
    doc = json.loads(out)
    assert doc["rate"] == "0"
    assert doc["reverse_charge"] is True
    assert doc["rule"] == "reverse_charge"
    assert "Art. 196" in doc["reason"]


def test_vat_decide_consumer_table() -> None:
    code, out = _run("vat-decide", "--seller", "NL", "--customer", "DE", "--on", "2025-01-01")
    assert code == 0
    assert out.splitlines()[1].split() == ["19", "%", "no", "eu_consumer"]
    assert "Art. 58" in out


def test_vat_decide_outside_eu() -> None:
    code, out = _run("vat-decide", "--seller", "NL", "--customer", "US", "--json")
    assert code == 0
    assert json.loads(out)["rule"] == "outside_eu"
