"""Usage quantities priced into invoice lines (plain inputs; no traffic import).

Two models, each returning an :class:`~hostlib.billing.invoices.InvoiceLine`
for the overage, or ``None`` when usage stays within what is included (no
zero-amount line clutters the invoice; the caller may print the allowance
elsewhere):

* volume overage: bytes transferred over an included allowance, priced per
  GB (10^9 bytes, decimal SI) or per GiB (2^30 bytes, binary) as chosen by
  ``unit``;
* committed-rate overage: the 95th percentile in bit/s over a committed
  rate, priced per Mbit/s (10^6 bit/s).

Quantity rule: the overage in billing units is rounded UP (ROUND_CEILING) to
``quantity_places`` decimal places (3 by default for volume, i.e. whole MB
for GB; 2 for Mbit/s), so a customer is never billed for less than used and
at most one step more. The line amount is then quantity x unit price rounded
half-up to the minor unit, like every invoice line.
"""

from __future__ import annotations

import decimal
import enum
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal
from typing import Final

from hostlib.billing.invoices import InvoiceLine
from hostlib.billing.money import Money, UnitPrice, to_decimal
from hostlib.errors import ValidationError

__all__ = ["DataUnit", "commit_overage_line", "volume_overage_line"]

_MBIT: Final = Decimal(10**6)
# Divisions round toward +infinity, so rounding the quotient up again later
# can never bill less than was used; the quantize names its own mode.
_UP: Final = decimal.Context(
    prec=60, rounding=ROUND_CEILING, traps=[decimal.InvalidOperation, decimal.Overflow]
)


class DataUnit(enum.Enum):
    """The unit volume is priced in, with its size in bytes."""

    GB = 10**9  # decimal gigabyte (SI)
    GIB = 2**30  # binary gibibyte (IEC)

    @property
    def label(self) -> str:
        return "GB" if self is DataUnit.GB else "GiB"

    @property
    def definition(self) -> str:
        return "1 GB = 10^9 bytes" if self is DataUnit.GB else "1 GiB = 2^30 bytes"


def _nonnegative(value: object, what: str) -> Decimal:
    number = to_decimal(value, what)
    if number < 0:
        raise ValidationError(f"{what} {number} must not be negative")
    return number


def _places(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 6:
        raise ValidationError(f"quantity_places {value!r} must be an int from 0 to 6")
    return value


def _round_up(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_CEILING, context=_UP)


def _span(period: tuple[date, date]) -> str:
    return f"{period[0].isoformat()} to {period[1].isoformat()}"


def _plain(value: Decimal) -> str:
    # 1000.000 -> "1000", 12.340 -> "12.34": readable, still exact
    return f"{value.normalize(context=_UP):f}"


def volume_overage_line(
    *,
    used_bytes: int | Decimal,
    included_bytes: int | Decimal,
    price: Money | UnitPrice,
    period: tuple[date, date],
    vat_rate: Decimal,
    unit: DataUnit = DataUnit.GB,
    quantity_places: int = 3,
    description: str = "Traffic over allowance",
) -> InvoiceLine | None:
    """Price the bytes used beyond ``included_bytes`` per ``unit``.

    Example: 1,012,345,678,901 bytes used, 1,000 GB included, EUR 0.0045 per
    GB -> quantity 12.346 GB (12.345678901 rounded up), amount EUR 0.06.

    Returns:
        The overage line, or None when ``used_bytes <= included_bytes``.

    Raises:
        ValidationError: negative or float quantities, a bad unit or price.
    """
    used = _nonnegative(used_bytes, "used bytes")
    included = _nonnegative(included_bytes, "included bytes")
    places = _places(quantity_places)
    if not isinstance(unit, DataUnit):
        raise ValidationError(f"unit {unit!r} must be DataUnit.GB or DataUnit.GIB")
    if used <= included:
        return None
    size = Decimal(unit.value)
    quantity = _round_up(_UP.divide(_UP.subtract(used, included), size), places)
    allowance = _plain(
        _UP.divide(included, size).quantize(
            Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN, context=_UP
        )
    )
    return InvoiceLine(
        description=(
            f"{description}: {_plain(quantity)} {unit.label} over {allowance} {unit.label} "
            f"included, {_span(period)} ({unit.definition}; rounded up to "
            f"{places} decimals)"
        ),
        quantity=quantity,
        unit_price=price,
        vat_rate=vat_rate,
        period=period,
        unit=unit.label,
    )


def commit_overage_line(
    *,
    percentile_bps: int | Decimal,
    commit_mbps: int | Decimal,
    price_per_mbps: Money | UnitPrice,
    period: tuple[date, date],
    vat_rate: Decimal,
    quantity_places: int = 2,
    description: str = "95th percentile over commit",
) -> InvoiceLine | None:
    """Price the 95th-percentile rate beyond the committed rate per Mbit/s.

    ``percentile_bps`` is in bit/s (as ``TrafficStore.percentile`` returns;
    pass it as ``Decimal(str(value))`` if it is a float). Example: 95th
    percentile 263,421,000 bit/s, commit 250 Mbit/s, EUR 0.90 per Mbit/s ->
    13.43 Mbit/s (13.421 rounded up), EUR 12.09.

    Returns:
        The overage line, or None when the percentile is within the commit.
    """
    rate = _nonnegative(percentile_bps, "95th percentile (bit/s)")
    commit = _nonnegative(commit_mbps, "commit (Mbit/s)")
    places = _places(quantity_places)
    measured = _UP.divide(rate, _MBIT)
    if measured <= commit:
        return None
    quantity = _round_up(_UP.subtract(measured, commit), places)
    return InvoiceLine(
        description=(
            f"{description}: {_plain(quantity)} Mbit/s above the {_plain(commit)} Mbit/s "
            f"commit (95th percentile {_plain(_round_up(measured, places))} Mbit/s), "
            f"{_span(period)} (1 Mbit/s = 10^6 bit/s; rounded up to {places} decimals)"
        ),
        quantity=quantity,
        unit_price=price_per_mbps,
        vat_rate=vat_rate,
        period=period,
        unit="Mbit/s",
    )
