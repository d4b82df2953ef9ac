"""``hostlib billing``: VAT rates and decisions, invoice documents."""

from __future__ import annotations

from datetime import date

import click

from hostlib.billing import vat
from hostlib.cli._output import fail, print_json, print_table
from hostlib.errors import HostlibError

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
