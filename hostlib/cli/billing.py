"""``hostlib billing``: VAT rates and decisions, invoice documents."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import date
from pathlib import Path

import click

from hostlib.billing import document_from_dict, render_pdf, vat
from hostlib.cli._output import fail, print_json, print_table
from hostlib.errors import HostlibError, ValidationError

__all__ = ["billing"]


@click.group()
def billing() -> None:
    """VAT rates and decisions, invoice PDFs."""


_on = click.option(
    "--on",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Date of supply, YYYY-MM-DD (default: today).",
)
_json = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def _day(value: object) -> date:
    return value.date() if hasattr(value, "date") else date.today()


@billing.command("vat-rate")
@click.argument("country")
@_on
@_json
def vat_rate(country: str, on: object, as_json: bool) -> None:
    """Show the standard VAT rate of COUNTRY (ISO code; EL or GR for Greece)."""
    day = _day(on)
    try:
        rate = vat.standard_rate(country, on=day)
    except HostlibError as exc:
        fail(exc)
    if as_json:
        print_json({"country": country.upper(), "on": day.isoformat(), "rate": str(rate)})
    else:
        click.echo(f"{country.upper()} {day.isoformat()}: {rate} %")


@billing.command("vat-decide")
@click.option("--seller", required=True, help="Seller's country (ISO code).")
@click.option("--customer", required=True, help="Customer's country (ISO code).")
@click.option("--vat-id", default=None, help="Customer's VAT ID, if any.")
@click.option("--business", is_flag=True, help="The customer is a business.")
@_on
@_json
def vat_decide(
    seller: str, customer: str, vat_id: str | None, business: bool, on: object, as_json: bool
) -> None:
    """Decide the VAT on a hosting service sold by SELLER to CUSTOMER."""
    day = _day(on)
    try:
        decision = vat.decide(
            seller_country=seller,
            customer_country=customer,
            customer_vat_id=vat_id,
            on=day,
            is_business=business,
        )
    except HostlibError as exc:
        fail(exc)
    if as_json:
        print_json(
            {
                "on": day.isoformat(),
                "rate": str(decision.rate),
                "reverse_charge": decision.reverse_charge,
                "rule": decision.rule,
                "country": decision.country,
                "customer_vat_id": decision.customer_vat_id,
                "invoice_note": decision.invoice_note,
                "reason": decision.reason,
            }
        )
        return
    print_table(
        ("RATE", "REVERSE CHARGE", "RULE"),
        [(f"{decision.rate} %", "yes" if decision.reverse_charge else "no", decision.rule.value)],
    )
    click.echo(decision.reason)


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers never see a partial file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent or Path("."), prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


@billing.command("invoice-pdf")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("out", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--locale", default="en", show_default=True, help="Language and formats: en, de, ru.")
@_json
def invoice_pdf(source: Path, out: Path, locale: str, as_json: bool) -> None:
    """Render the invoice, quote or credit note in SOURCE (JSON) as an A4 PDF at OUT."""
    try:
        try:
            data = json.loads(source.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValidationError(f"cannot read {source} as JSON: {exc}") from exc
        document = document_from_dict(data)
        pdf = render_pdf(document, locale=locale)
        _write_atomically(out, pdf)
    except HostlibError as exc:
        fail(exc)
    summary = {
        "kind": data["kind"],
        "number": document.number,
        "gross": str(document.totals.gross.amount),
        "currency": document.currency,
        "path": str(out),
        "bytes": len(pdf),
    }
    if as_json:
        print_json(summary)
    else:
        click.echo(
            f"{summary['kind']} {document.number}: {document.totals.gross.format(locale)} "
            f"-> {out} ({len(pdf)} bytes)"
        )
