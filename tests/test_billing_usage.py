"""Usage quantities priced into invoice lines."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hostlib.billing.invoices import Invoice, Party
from hostlib.billing.money import Money, UnitPrice
from hostlib.billing.usage import DataUnit, commit_overage_line, volume_overage_line
from hostlib.errors import ValidationError

MARCH = (date(2025, 3, 1), date(2025, 3, 31))
PER_GB = UnitPrice("0.0045", "EUR")
VAT = Decimal("19")


def test_volume_overage_per_gb() -> None:
    line = volume_overage_line(
        used_bytes=1_012_345_678_901,
        included_bytes=1_000 * 10**9,
        price=PER_GB,
        period=MARCH,
        vat_rate=VAT,
    )
    assert line is not None
    assert line.quantity == Decimal("12.346")  # 12.345678901 GB rounded up
    assert line.net == Money("0.06", "EUR")  # 12.346 x 0.0045 = 0.055557
    assert line.unit == "GB"
    assert line.period == MARCH
    assert "12.346 GB over 1000 GB included" in line.description
    assert "1 GB = 10^9 bytes" in line.description
    assert "2025-03-01 to 2025-03-31" in line.description


def test_volume_overage_per_gib_and_whole_units() -> None:
    line = volume_overage_line(
        used_bytes=3 * 2**40 + 1,
        included_bytes=2 * 2**40,
        price=Money("1.00", "EUR"),
        period=MARCH,
        vat_rate=VAT,
        unit=DataUnit.GIB,
        quantity_places=0,
    )
    assert line is not None
    assert line.quantity == Decimal("1025")  # 1024 GiB and one byte: a started GiB counts
    assert line.net == Money("1025.00", "EUR")
    assert "1 GiB = 2^30 bytes" in line.description
    assert "over 2048 GiB included" in line.description


def test_within_allowance_gives_no_line() -> None:
    assert (
        volume_overage_line(
            used_bytes=10**12, included_bytes=10**12, price=PER_GB, period=MARCH, vat_rate=VAT
        )
        is None
    )
    assert (
        commit_overage_line(
            percentile_bps=250_000_000,
            commit_mbps=250,
            price_per_mbps=Money("0.90", "EUR"),
            period=MARCH,
            vat_rate=VAT,
        )
        is None
    )


def test_commit_overage_per_mbit() -> None:
    line = commit_overage_line(
        percentile_bps=263_421_000,
        commit_mbps=250,
        price_per_mbps=Money("0.90", "EUR"),
        period=MARCH,
        vat_rate=VAT,
    )
    assert line is not None
    assert line.quantity == Decimal("13.43")  # 13.421 Mbit/s rounded up
    assert line.net == Money("12.09", "EUR")  # 13.43 x 0.90 = 12.087
    assert line.unit == "Mbit/s"
    assert "above the 250 Mbit/s commit" in line.description
    assert "1 Mbit/s = 10^6 bit/s" in line.description


def test_usage_lines_on_an_invoice() -> None:
    seller = Party("Hostlib GmbH", ("Nürnberg",), "DE", "DE136695976", True)
    customer = Party("Erika Mustermann", ("Köln",), "DE")
    lines = [
        volume_overage_line(
            used_bytes=1_012_345_678_901,
            included_bytes=10**12,
            price=PER_GB,
            period=MARCH,
            vat_rate=VAT,
        ),
        commit_overage_line(
            percentile_bps=Decimal("263421000.5"),
            commit_mbps=Decimal("250"),
            price_per_mbps=Money("0.90", "EUR"),
            period=MARCH,
            vat_rate=VAT,
        ),
    ]
    invoice = Invoice.create(
        seller=seller,
        customer=customer,
        currency="EUR",
        lines=[ln for ln in lines if ln is not None],
        issue_date=date(2025, 4, 1),
    )
    assert invoice.totals.net == Money("12.15", "EUR")
    assert invoice.totals.vat == Money("2.31", "EUR")  # 2.3085
    assert invoice.totals.gross == Money("14.46", "EUR")


FLOAT: Any = 1.5e12


@pytest.mark.parametrize(
    "call",
    [
        lambda: volume_overage_line(
            used_bytes=FLOAT, included_bytes=0, price=PER_GB, period=MARCH, vat_rate=VAT
        ),
        lambda: volume_overage_line(
            used_bytes=-1, included_bytes=0, price=PER_GB, period=MARCH, vat_rate=VAT
        ),
        lambda: volume_overage_line(
            used_bytes=2,
            included_bytes=0,
            price=PER_GB,
            period=MARCH,
            vat_rate=VAT,
            unit=cast(Any, "GB"),
        ),
        lambda: volume_overage_line(
            used_bytes=2,
            included_bytes=0,
            price=PER_GB,
            period=MARCH,
            vat_rate=VAT,
            quantity_places=9,
        ),
        lambda: commit_overage_line(
            percentile_bps=FLOAT,
            commit_mbps=1,
            price_per_mbps=PER_GB,
            period=MARCH,
            vat_rate=VAT,
        ),
        lambda: commit_overage_line(
            percentile_bps=10**9,
            commit_mbps=1,
            price_per_mbps=PER_GB,
            period=(MARCH[1], MARCH[0]),
            vat_rate=VAT,
        ),
    ],
)
def test_bad_usage_input(call: Any) -> None:
    with pytest.raises(ValidationError):
        call()


@given(
    used=st.integers(min_value=0, max_value=10**16),
    included=st.integers(min_value=0, max_value=10**16),
    unit=st.sampled_from(list(DataUnit)),
    places=st.integers(min_value=0, max_value=6),
)
def test_volume_quantity_is_never_below_usage(
    used: int, included: int, unit: DataUnit, places: int
) -> None:
    line = volume_overage_line(
        used_bytes=used,
        included_bytes=included,
        price=PER_GB,
        period=MARCH,
        vat_rate=VAT,
        unit=unit,
        quantity_places=places,
    )
    if used <= included:
        assert line is None
        return
    assert line is not None
    exact = Fraction(used - included, unit.value)
    step = Fraction(1, 10**places)
    assert exact <= Fraction(line.quantity) < exact + step
    exponent = line.quantity.as_tuple().exponent
    assert isinstance(exponent, int)
    assert exponent >= -places
    assert line.net.amount.as_tuple().exponent == -2
