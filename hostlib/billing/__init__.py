"""Billing: money, VAT, invoices, quotes, credit notes and usage lines (pure, no I/O)."""
