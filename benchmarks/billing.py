"""Build, total and number invoices of 3 lines for customers in many countries.

Each invoice: a German seller, a customer drawn in turn from a fixed list
(domestic consumers, EU consumers, EU businesses with VAT IDs, non-EU), the
VAT decided with ``vat.decide`` for that customer on the issue date, three
lines (server, IPv4 addresses, traffic at a sub-cent unit price), totals
computed (net per rate, VAT per rate half-up), then numbered from the
previous invoice's number with ``Invoice.numbered``. Phases are timed
separately; every run is the same input, so the figures compare.

Rerun: ``.venv/bin/python -m benchmarks.billing`` (``--count N`` for another size).
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from datetime import date, timedelta
from decimal import Decimal

from hostlib.billing import vat
from hostlib.billing.invoices import Invoice, InvoiceLine, Party
from hostlib.billing.money import Money, UnitPrice, sum_money

SELLER = Party(
    "Hostlib Hosting GmbH", ("Rechenzentrumstr. 1", "90402 Nürnberg"), "DE", "DE136695976", True
)
CUSTOMERS = [
    Party("Erika Mustermann", ("Heidestr. 17", "51147 Köln"), "DE"),
    Party("Jan Jansen", ("Damrak 1", "1012 LG Amsterdam"), "NL"),
    Party("Exemple SARL", ("1 rue de la Paix", "75002 Paris"), "FR", "FR40303265045", True),
    Party("Anna Rossi", ("Via Roma 1", "00100 Roma"), "IT"),
    Party("Muster GmbH", ("Ring 1", "1010 Wien"), "AT", "ATU13585627", True),
    Party("Example Inc.", ("1 Main St", "Springfield"), "US", None, True),
    Party("Oy Esimerkki", ("Katu 1", "00100 Helsinki"), "FI"),
    Party("Musterfirma AG", ("Hauptstr. 1", "10115 Berlin"), "DE", "DE136695976", True),
]
SERIES = "INV-{year}-{seq:06d}"


def build(index: int, start: date) -> Invoice:
    customer = CUSTOMERS[index % len(CUSTOMERS)]
    issued = start + timedelta(days=index % 300)
    decision = vat.decide(
        seller_country=SELLER.country,
        customer_country=customer.country,
        customer_vat_id=customer.vat_id,
        on=issued,
        is_business=customer.is_business,
    )
    period = (issued - timedelta(days=30), issued - timedelta(days=1))
    rate = decision.rate
    lines = (
        InvoiceLine("Dedicated server EX44", Decimal(1), Money("39.00", "EUR"), rate, period),
        InvoiceLine("Additional IPv4", Decimal(index % 4), Money("1.70", "EUR"), rate, period),
        InvoiceLine(
            "Traffic over allowance",
            Decimal(index % 997) + Decimal("0.123"),
            UnitPrice("0.0045", "EUR"),
            rate,
            period,
            "GB",
        ),
    )
    return Invoice(
        seller=SELLER,
        customer=customer,
        currency="EUR",
        lines=lines,
        issue_date=issued,
        due_date=issued + timedelta(days=14),
        reverse_charge=decision.reverse_charge,
        vat_reason=decision.reason,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000, help="invoices (default 100000)")
    args = parser.parse_args(argv)
    count: int = args.count
    start = date(2025, 1, 1)

    t0 = time.perf_counter()
    drafts = [build(i, start) for i in range(count)]
    t1 = time.perf_counter()
    gross = sum_money((inv.totals.gross for inv in drafts), "EUR")
    vat_total = sum_money((inv.totals.vat for inv in drafts), "EUR")
    t2 = time.perf_counter()
    last: str | None = None
    numbered = []
    for inv in sorted(drafts, key=lambda i: i.issue_date):
        inv = inv.numbered(last)
        last = inv.number
        numbered.append(inv)
    t3 = time.perf_counter()

    total = t3 - t0
    print(f"python {platform.python_version()} on {platform.machine()}, {count} invoices x 3 lines")
    print(
        f"  build (vat.decide, lines, invoice):   {t1 - t0:7.2f} s  {count / (t1 - t0):10,.0f} /s"
    )
    print(f"  total (per-rate VAT, cached):        {t2 - t1:7.2f} s  {count / (t2 - t1):10,.0f} /s")
    print(f"  number (next_number, evolve):        {t3 - t2:7.2f} s  {count / (t3 - t2):10,.0f} /s")
    print(
        f"  all:                                 {total:7.2f} s  {count / total:10,.0f} invoices/s"
    )
    print(f"  last number {last}; gross {gross.format('en')}; VAT {vat_total.format('en')}")
    print(
        "rerun: .venv/bin/python -m benchmarks.billing"
        + (f" --count {count}" if count != 100_000 else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
