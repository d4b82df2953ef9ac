"""The ``hostlib billing`` command."""

from __future__ import annotations

import json
import subprocess
from datetime import date
from pathlib import Path

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


def test_invoice_pdf_from_json(tmp_path: Path) -> None:
    from examples.demo_billing import CUSTOMERS, _invoice
    from hostlib.billing import vat

    customer = CUSTOMERS[1]
    decision = vat.decide("NL", customer.country, None, date(2026, 11, 1))
    invoice = _invoice(customer, decision)
    source = tmp_path / "inv.json"
    source.write_text(json.dumps(invoice.to_dict()))
    out = tmp_path / "inv.pdf"
    code, printed = _run("invoice-pdf", str(source), str(out), "--locale", "de", "--json")
    assert code == 0, printed
    summary = json.loads(printed)
    assert summary["number"] == "INV-2026-000042"
    assert summary["gross"] == str(invoice.totals.gross.amount)
    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "INV-2026-000042" in text
    assert "Rechnung" in text
    assert invoice.totals.gross.format("de").replace("\xa0", " ") in text  # pdftotext: plain space
    assert not list(tmp_path.glob(".inv.pdf.*"))  # no temporary file left behind


def test_invoice_pdf_bad_json_leaves_no_file(tmp_path: Path) -> None:
    source = tmp_path / "bad.json"
    source.write_text('{"kind": "invoice", "lines": [}')
    out = tmp_path / "out.pdf"
    code, printed = _run("invoice-pdf", str(source), str(out))
    assert code == 2
    assert "cannot read" in printed
    assert not out.exists()


def test_invoice_pdf_unknown_kind(tmp_path: Path) -> None:
    source = tmp_path / "x.json"
    source.write_text('{"kind": "receipt"}')
    code, printed = _run("invoice-pdf", str(source), str(tmp_path / "x.pdf"))
    assert code == 2
    assert "invoice, quote, credit_note" in printed
