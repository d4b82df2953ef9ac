"""Demo, billing: VAT decisions for a few customers and one invoice PDF.

A Dutch hosting company bills customers in the Netherlands, Germany,
France (a business with a VAT ID) and the United States; the VAT rule and
rate of each are decided by EU place-of-supply rules. The French
customer's monthly invoice (server, extra IPv4 addresses, traffic over the
allowance) is numbered, totalled and written as JSON and as a PDF.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from examples._demo_util import heading
from hostlib.billing import (
    Invoice,
    InvoiceLine,
    Money,
    Party,
    UnitPrice,
    render_pdf,
    vat,
    volume_overage_line,
)

SELLER = Party(
    name="Example Hosting B.V.",
    address=("Datacenterweg 1", "1234 AB Amsterdam"),
    country="NL",
    vat_id="NL004495445B01",
    is_business=True,
)
CUSTOMERS = [
    Party(name="Jan de Vries", address=("Kerkstraat 5", "Utrecht"), country="NL"),
    Party(name="Erika Mustermann", address=("Hauptstr. 1", "10115 Berlin"), country="DE"),
    Party(
        name="Exemple SARL",
        address=("1 rue de la Paix", "75002 Paris"),
        country="FR",
        vat_id="FR40303265045",
        is_business=True,
    ),
    Party(
        name="Example Corp.",
        address=("1 Main St", "Springfield, IL 62701"),
        country="US",
        is_business=True,
    ),
]
PERIOD = (date(2026, 10, 1), date(2026, 10, 31))
ISSUED = date(2026, 11, 1)


def _invoice(customer: Party, decision: vat.VatDecision) -> Invoice:
    rate = decision.rate
    lines = [
        InvoiceLine("Dedicated server DS-4 (October 2026)", 1, Money("89.00", "EUR"), rate, PERIOD),
        InvoiceLine("Additional IPv4 address", 4, Money("1.50", "EUR"), rate, PERIOD),
    ]
    overage = volume_overage_line(
        used_bytes=42_345_678_901_234,
        included_bytes=30 * 10**12,
        price=UnitPrice(Decimal("0.0045"), "EUR"),
        period=PERIOD,
        vat_rate=rate,
        description="Traffic over the 30 TB allowance",
    )
    if overage is not None:
        lines.append(overage)
    draft = Invoice.create(
        seller=SELLER, customer=customer, currency="EUR", lines=lines, issue_date=ISSUED
    )
    return draft.with_vat_decision(decision).numbered(last="INV-2026-000041")


def run(out: Path) -> None:
    """Run the billing part of the demo, writing its files under ``out``."""
    heading(f"6. VAT decisions for {SELLER.name} (NL) on {ISSUED}")
    print(f"{'CUSTOMER':18}  {'COUNTRY':7}  {'RATE':>6}  {'RULE':15}  NET 100.00 -> VAT")
    decisions = {}
    for customer in CUSTOMERS:
        decision = vat.decide(
            seller_country=SELLER.country,
            customer_country=customer.country,
            customer_vat_id=customer.vat_id,
            on=ISSUED,
            is_business=customer.is_business,
        )
        decisions[customer.name] = decision
        tax = decision.tax_on(Decimal("100.00"), quantum=Decimal("0.01"))
        print(
            f"{customer.name:18}  {customer.country:7}  {decision.rate:>5} %  "
            f"{decision.rule.value:15}  {tax}"
        )

    customer = CUSTOMERS[2]
    invoice = _invoice(customer, decisions[customer.name])
    heading(f"7. Invoice {invoice.number} for {customer.name} (reverse charge)")
    for line in invoice.lines:
        amount = f"{line.quantity} x {line.unit_price.amount}"
        print(f"  {amount:>22} = {line.net.format('en'):>8}  {line.description}")
    totals = invoice.totals
    print(
        f"  net {totals.net.format('en')}, VAT {totals.vat.format('en')}, "
        f"gross {totals.gross.format('en')}"
    )
    for note in invoice.legal_notes:
        print(f"  note: {note}")
    json_path = out / f"{invoice.number}.json"
    json_path.write_text(json.dumps(invoice.to_dict(), indent=2) + "\n", encoding="utf-8")
    for locale in ("en", "de"):
        pdf_path = out / f"{invoice.number}.{locale}.pdf"
        pdf_path.write_bytes(render_pdf(invoice, locale=locale))
        print(f"  wrote {pdf_path} ({pdf_path.stat().st_size} bytes)")
    print(f"  wrote {json_path}  (render again: hostlib billing invoice-pdf {json_path} OUT.pdf)")
