"""Money: exactness, currencies, allocation, formatting, conversion."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hostlib.billing._currencies import CURRENCIES
from hostlib.billing.money import (
    ExchangeRate,
    ExchangeRates,
    Money,
    UnitPrice,
    currency_name,
    minor_units,
    sum_money,
)
from hostlib.errors import NotFoundError, ValidationError

CODES = sorted(CURRENCIES)
FLOAT: Any = 1.5  # typed Any: these tests pass floats on purpose


def assert_exact(money: Money) -> None:
    """A Money value holds a Decimal with exactly the currency's decimal places."""
    assert type(money) is Money
    assert type(money.amount) is Decimal
    assert money.amount.as_tuple().exponent == -minor_units(money.currency)


@st.composite
def moneys(draw: st.DrawFn, currency: str | None = None) -> Money:
    code = currency or draw(st.sampled_from(CODES))
    units = draw(st.integers(min_value=-(10**15), max_value=10**15))
    return Money.from_minor(units, code)


# -- construction -------------------------------------------------------------


def test_minor_units_from_iso_4217() -> None:
    assert minor_units("EUR") == 2
    assert minor_units("JPY") == 0
    assert minor_units("BHD") == 3
    assert minor_units("KWD") == 3
    assert minor_units("CLF") == 4
    assert minor_units("ISK") == 0
    assert currency_name("EUR") == "Euro"
    assert "HRK" not in CURRENCIES  # withdrawn 2023, Croatia uses EUR


@pytest.mark.parametrize(
    ("amount", "currency", "stored"),
    [
        ("10", "EUR", "10.00"),
        ("10.5", "EUR", "10.50"),
        ("10.000", "EUR", "10.00"),
        (Decimal("1E+2"), "JPY", "100"),
        (7, "BHD", "7.000"),
        ("-0.00", "EUR", "0.00"),
        ("1.2345", "CLF", "1.2345"),
        (" 12.30 ", "eur", "12.30"),
    ],
)
def test_amount_normalised_to_minor_unit(amount: Any, currency: str, stored: str) -> None:
    money = Money(amount, currency)
    assert str(money.amount) == stored
    assert money.currency == currency.upper()
    assert_exact(money)


@pytest.mark.parametrize(
    ("amount", "currency", "words"),
    [
        (1.5, "EUR", "pass a string or Decimal"),
        (True, "EUR", "bool"),
        ("abc", "EUR", "not a number"),
        ("NaN", "EUR", "not finite"),
        ("Infinity", "EUR", "not finite"),
        ([1], "EUR", "type list"),
        ("1.005", "EUR", "Money.rounded"),
        ("1.5", "JPY", "Money.rounded"),
        ("1.0005", "BHD", "Money.rounded"),
        ("1", "XXX", "ISO 4217"),
        ("1", "EURO", "ISO 4217"),
        ("1", 978, "ISO 4217"),
    ],
)
def test_bad_money_is_a_validation_error(amount: Any, currency: Any, words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        Money(amount, currency)


def test_rounded_names_its_mode() -> None:
    assert Money.rounded("0.125", "EUR", rounding=ROUND_HALF_UP) == Money("0.13", "EUR")
    assert Money.rounded("0.125", "EUR", rounding=ROUND_HALF_EVEN) == Money("0.12", "EUR")
    assert Money.rounded("2.5", "JPY", rounding=ROUND_HALF_UP) == Money("3", "JPY")
    assert Money.rounded("1.0005", "BHD", rounding=ROUND_DOWN) == Money("1.000", "BHD")
    with pytest.raises(ValidationError, match="rounding"):
        Money.rounded("1", "EUR", rounding="nearest")


# -- arithmetic ---------------------------------------------------------------


def test_arithmetic_within_one_currency() -> None:
    a, b = Money("10.25", "EUR"), Money("0.80", "EUR")
    assert a + b == Money("11.05", "EUR")
    assert a - b == Money("9.45", "EUR")
    assert b - a == Money("-9.45", "EUR")
    assert -a == Money("-10.25", "EUR")
    assert abs(Money("-3", "EUR")) == Money("3", "EUR")
    assert a * 3 == Money("30.75", "EUR")
    assert 3 * a == Money("30.75", "EUR")
    assert a * Decimal("2") == Money("20.50", "EUR")
    assert Money("1.00", "EUR") * Decimal("0.5") == Money("0.50", "EUR")
    assert Money("1.01", "EUR").multiply(Decimal("0.5"), rounding=ROUND_HALF_UP) == Money(
        "0.51", "EUR"
    )
    assert b < a
    assert a >= b
    assert sorted([a, b]) == [b, a]
    assert sum([a, b], Money.zero("EUR")) == Money("11.05", "EUR")
    assert sum_money([a, b], "EUR") == Money("11.05", "EUR")
    assert sum_money([], "JPY") == Money("0", "JPY")
    assert Money("1", "EUR") != Money("1", "USD")
    assert {Money("1.0", "EUR"), Money("1.00", "EUR")} == {Money("1", "EUR")}


@pytest.mark.parametrize(
    "operation",
    [
        lambda: Money("1", "EUR") + Money("1", "USD"),
        lambda: Money("1", "EUR") - Money("1", "USD"),
        lambda: Money("1", "EUR") < Money("1", "USD"),
        lambda: Money("1", "EUR") + cast(Any, 1),
        lambda: 0 + Money("1", "EUR"),
        lambda: Money("1", "EUR") * FLOAT,
        lambda: FLOAT * Money("1", "EUR"),
        lambda: Money("1", "EUR") * True,
        lambda: Money("1.01", "EUR") * Decimal("0.5"),
        lambda: Money("1", "EUR") / 3,
        lambda: Money("1", "EUR").multiply(FLOAT, rounding=ROUND_HALF_UP),
        lambda: sum_money([Money("1", "EUR"), Money("1", "USD")], "EUR"),
        lambda: Money("1", "EUR").split(0),
        lambda: Money("1", "EUR").allocate([]),
        lambda: Money("1", "EUR").allocate([0, 0]),
        lambda: Money("1", "EUR").allocate([1, -1]),
        lambda: Money("1", "EUR").allocate([FLOAT, FLOAT]),
        lambda: Money("1" + "0" * 70, "EUR"),
    ],
)
def test_forbidden_operations_raise_validation_error(operation: Any) -> None:
    with pytest.raises(ValidationError):
        operation()


# -- allocation ---------------------------------------------------------------


def test_allocation_worked_examples() -> None:
    eur = Money("100.00", "EUR")
    assert eur.split(3) == (Money("33.34", "EUR"), Money("33.33", "EUR"), Money("33.33", "EUR"))
    assert Money("-100.00", "EUR").split(3) == (
        Money("-33.34", "EUR"),
        Money("-33.33", "EUR"),
        Money("-33.33", "EUR"),
    )
    assert Money("0.05", "EUR").allocate([3, 7]) == (Money("0.02", "EUR"), Money("0.03", "EUR"))
    assert Money("10", "JPY").allocate([1, 0, 1]) == (
        Money("5", "JPY"),
        Money("0", "JPY"),
        Money("5", "JPY"),
    )
    assert Money("1.000", "BHD").allocate([Decimal("0.7"), "0.3"]) == (
        Money("0.700", "BHD"),
        Money("0.300", "BHD"),
    )


@given(
    money=moneys(),
    ratios=st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=12).filter(any),
)
def test_allocation_sums_to_the_whole(money: Money, ratios: list[int]) -> None:
    parts = money.allocate(ratios)
    assert len(parts) == len(ratios)
    assert sum_money(parts, money.currency) == money
    for part in parts:
        assert_exact(part)
    for ratio, part in zip(ratios, parts, strict=True):
        if ratio == 0:
            assert part.is_zero
    # parts of equal ratio differ by at most one minor unit
    for ratio in set(ratios):
        same = [p.in_minor_units for r, p in zip(ratios, parts, strict=True) if r == ratio]
        assert max(same) - min(same) <= 1
    # each part is within one minor unit of its exact share
    whole = sum(ratios)
    for ratio, part in zip(ratios, parts, strict=True):
        exact = Decimal(money.in_minor_units) * ratio / whole
        assert abs(Decimal(part.in_minor_units) - exact) < 1


@given(money=moneys(), parts=st.integers(min_value=1, max_value=50))
def test_split_is_deterministic_and_exact(money: Money, parts: int) -> None:
    first = money.split(parts)
    assert first == money.split(parts)
    assert sum_money(first, money.currency) == money
    units = [p.in_minor_units for p in first]
    assert max(units) - min(units) <= 1


@given(
    a=moneys("EUR"),
    b=moneys("EUR"),
    k=st.integers(min_value=-1000, max_value=1000),
    factor=st.decimals(min_value=-1000, max_value=1000, places=6, allow_nan=False),
    mode=st.sampled_from([ROUND_HALF_UP, ROUND_HALF_EVEN, ROUND_DOWN]),
)
def test_no_operation_produces_a_float_or_sub_minor_amount(
    a: Money, b: Money, k: int, factor: Decimal, mode: str
) -> None:
    for result in (a + b, a - b, -a, abs(a), a * k, a.multiply(factor, rounding=mode)):
        assert_exact(result)
    price = UnitPrice(factor, "EUR")
    assert_exact(price.times(k, rounding=mode))
    assert type(price.extend(k)) is Decimal


@given(amount=st.decimals(min_value=-(10**12), max_value=10**12, places=4, allow_nan=False))
def test_rounded_is_within_half_a_minor_unit(amount: Decimal) -> None:
    money = Money.rounded(amount, "EUR", rounding=ROUND_HALF_UP)
    assert_exact(money)
    assert abs(money.amount - amount) <= Decimal("0.005")


# -- unit prices --------------------------------------------------------------


def test_unit_price_needs_explicit_rounding() -> None:
    per_gb = UnitPrice("0.0045", "EUR")
    assert per_gb.extend(1234) == Decimal("5.5530")
    assert per_gb.times(1234, rounding=ROUND_HALF_UP) == Money("5.55", "EUR")
    assert per_gb.times(1, rounding=ROUND_HALF_UP) == Money("0.00", "EUR")
    assert UnitPrice.of(Money("2.50", "EUR")) == UnitPrice("2.50", "EUR")
    with pytest.raises(ValidationError, match="float"):
        UnitPrice(FLOAT, "EUR")
    with pytest.raises(ValidationError, match="10 decimal places"):
        UnitPrice("0.00000000001", "EUR")


# -- formatting ---------------------------------------------------------------

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("money", "locale", "text"),
    [
        (Money("1234.5", "EUR"), "en", "€1,234.50"),
        (Money("1234.5", "EUR"), "de", f"1.234,50{NBSP}€"),
        (Money("1234.5", "EUR"), "ru", f"1{NBSP}234,50{NBSP}€"),
        (Money("-1234.5", "EUR"), "de", f"-1.234,50{NBSP}€"),
        (Money("1234", "JPY"), "en", "¥1,234"),
        (Money("1234", "JPY"), "de", f"1.234{NBSP}¥"),
        (Money("1.5", "BHD"), "en", "BHD1.500"),
        (Money("1234.5", "USD"), "en_US", "$1,234.50"),
    ],
)
def test_format_with_babel(money: Money, locale: str, text: str) -> None:
    assert money.format(locale) == text


def test_format_unit_price_keeps_fine_digits() -> None:
    assert UnitPrice("0.0045", "EUR").format("en") == "€0.0045"
    assert UnitPrice("3", "EUR").format("de") == f"3,00{NBSP}€"


def test_unknown_locale() -> None:
    with pytest.raises(ValidationError, match="locale"):
        Money("1", "EUR").format("xx_YY")


# -- conversion ---------------------------------------------------------------


def test_conversion_by_explicit_rates() -> None:
    table = ExchangeRates(
        [
            ExchangeRate("EUR", "USD", "1.0832", date(2025, 1, 2)),
            ExchangeRate("EUR", "JPY", "162.81", date(2025, 1, 2)),
        ]
    )
    assert table.convert(Money("100", "EUR"), "USD", rounding=ROUND_HALF_UP) == Money(
        "108.32", "USD"
    )
    assert table.convert(Money("10.05", "EUR"), "JPY", rounding=ROUND_HALF_UP) == Money(
        "1636", "JPY"
    )
    assert table.convert(Money("5", "EUR"), "EUR", rounding=ROUND_HALF_UP) == Money("5", "EUR")
    with pytest.raises(NotFoundError, match="allow_inverse"):
        table.convert(Money("1", "USD"), "EUR", rounding=ROUND_HALF_UP)
    with pytest.raises(NotFoundError, match="GBP"):
        table.convert(Money("1", "EUR"), "GBP", rounding=ROUND_HALF_UP)
    inverse = ExchangeRates(table.rates, allow_inverse=True)
    assert inverse.convert(Money("108.32", "USD"), "EUR", rounding=ROUND_HALF_UP) == Money(
        "100.00", "EUR"
    )


def test_bad_exchange_rates() -> None:
    with pytest.raises(ValidationError, match="positive"):
        ExchangeRate("EUR", "USD", "0", date(2025, 1, 1))
    with pytest.raises(ValidationError, match="float"):
        ExchangeRate("EUR", "USD", FLOAT, date(2025, 1, 1))
    rate = ExchangeRate("EUR", "USD", "1.08", date(2025, 1, 1))
    with pytest.raises(ValidationError, match="one rate per pair"):
        ExchangeRates([rate, rate])


def test_money_dict_round_trip() -> None:
    money = Money("12.5", "EUR")
    assert money.to_dict() == {"amount": "12.50", "currency": "EUR"}
    assert Money.from_dict(money.to_dict()) == money
    with pytest.raises(ValidationError):
        Money.from_dict({"amount": "1"})
