"""Billing: money, VAT, invoices, quotes, credit notes and usage pricing.

Pure: nothing here does I/O, touches a database or the network. Every
public name is importable from this package; ``vat`` is the VAT module::

    from hostlib.billing import Money, vat
"""

from hostlib.billing import vat
from hostlib.billing.invoices import (
    CreditNote,
    CreditReason,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Party,
    Quote,
    RateTotal,
    Totals,
    VatRounding,
    document_from_dict,
    next_number,
)
from hostlib.billing.money import ExchangeRate, ExchangeRates, Money, UnitPrice, sum_money
from hostlib.billing.pdf import PDF_LANGUAGES, render_pdf
from hostlib.billing.usage import DataUnit, commit_overage_line, volume_overage_line
from hostlib.billing.vat import VatDecision

__all__ = [
    "CreditNote",
    "CreditReason",
    "DataUnit",
    "ExchangeRate",
    "ExchangeRates",
    "Invoice",
    "InvoiceLine",
    "InvoiceStatus",
    "Money",
    "PDF_LANGUAGES",
    "Party",
    "Quote",
    "RateTotal",
    "Totals",
    "UnitPrice",
    "VatDecision",
    "VatRounding",
    "commit_overage_line",
    "document_from_dict",
    "next_number",
    "render_pdf",
    "sum_money",
    "vat",
    "volume_overage_line",
]
