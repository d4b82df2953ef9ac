"""Money in one ISO 4217 currency, exact to its minor unit.

* Amounts are :class:`decimal.Decimal` only; floats are refused everywhere.
* A :class:`Money` amount is always an exact multiple of its currency's minor
  unit (JPY 1, EUR 0.01, BHD 0.001) and is stored with exactly that many
  decimal places, so ``money.amount.as_tuple().exponent == -minor_units``.
* Arithmetic never rounds silently. Adding, subtracting and multiplying by an
  integer are exact. Anything that may leave a sub-minor remainder
  (multiplying by a fraction, converting, pricing with a :class:`UnitPrice`)
  takes an explicit ``rounding=`` mode, and :meth:`Money.allocate` splits an
  amount into parts that add up to the whole exactly.
* Every rounding names its quantum and mode; no operation here depends on the
  ambient :mod:`decimal` context.
"""

from __future__ import annotations

import copy
import decimal
import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from decimal import (
    ROUND_05UP,
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
)
from fractions import Fraction
from typing import Any, Final

import attrs
from babel import Locale, UnknownLocaleError
from babel.numbers import NumberPattern, format_currency

from hostlib.billing._currencies import CURRENCIES
from hostlib.errors import NotFoundError, ValidationError

__all__ = [
    "ROUNDING_MODES",
    "ExchangeRate",
    "ExchangeRates",
    "Money",
    "UnitPrice",
    "currency_name",
    "minor_units",
    "round_to_minor",
    "sum_money",
    "to_decimal",
]

#: the rounding modes of :mod:`decimal`, all accepted wherever ``rounding=`` is
ROUNDING_MODES: Final = frozenset(
    {
        ROUND_05UP,
        ROUND_CEILING,
        ROUND_DOWN,
        ROUND_FLOOR,
        ROUND_HALF_DOWN,
        ROUND_HALF_EVEN,
        ROUND_HALF_UP,
        ROUND_UP,
    }
)

# Enough digits for any real amount; bigger values are refused, not rounded.
_PREC: Final = 60
# Exact arithmetic: any operation that would have to round raises instead.
_EXACT: Final = decimal.Context(
    prec=_PREC,
    rounding=ROUND_HALF_EVEN,
    traps=[
        decimal.InvalidOperation,
        decimal.DivisionByZero,
        decimal.Overflow,
        decimal.Inexact,
    ],
)
# Quantizing with an explicit rounding mode: rounding is wanted here, so only
# the signals meaning "not a number" or "too big" trap.
_ROUNDING: Final = decimal.Context(
    prec=_PREC,
    rounding=ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)
# Quanta per number of minor units: 0 -> 1, 2 -> 0.01, 3 -> 0.001.
_QUANTA: Final = {n: Decimal(1).scaleb(-n) for n in range(0, 10)}


def minor_units(currency: str) -> int:
    """Return the ISO 4217 minor units of ``currency`` (EUR 2, JPY 0, BHD 3).

    Raises:
        ValidationError: not an active ISO 4217 code.
    """
    return CURRENCIES[_check_currency(currency)][0]


def currency_name(currency: str) -> str:
    """Return the ISO 4217 English name of ``currency`` ("Euro")."""
    return CURRENCIES[_check_currency(currency)][1]


def _check_currency(currency: object) -> str:
    if isinstance(currency, str):
        if currency in CURRENCIES:
            return currency
        upper = currency.strip().upper()
        if upper in CURRENCIES:
            return upper
    raise ValidationError(
        f"currency {currency!r} is not an active ISO 4217 code: give a three-letter "
        "code such as 'EUR', 'USD', 'JPY'"
    )


def to_decimal(value: object, what: str = "amount") -> Decimal:
    """Convert an exact input (Decimal, int or numeric str) to a finite Decimal.

    Raises:
        ValidationError: a float, bool, non-numeric string, NaN or infinity.
    """
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise ValidationError(f"{what} {value!r} is a bool: give a Decimal, int or str")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip().replace("_", ""))
        except decimal.InvalidOperation as exc:
            raise ValidationError(
                f"{what} {value!r} is not a number: give digits like '12.50'"
            ) from exc
    elif isinstance(value, float):
        raise ValidationError(
            f"{what} {value!r} is a float, which cannot hold money exactly: "
            f"pass a string or Decimal instead, e.g. Decimal({str(value)!r})"
        )
    else:
        raise ValidationError(
            f"{what} {value!r} has type {type(value).__name__}: give a Decimal, int or str"
        )
    if not result.is_finite():
        raise ValidationError(f"{what} {value!r} is not finite: give a real number")
    return result


def _check_rounding(rounding: object) -> str:
    if rounding not in ROUNDING_MODES:
        raise ValidationError(
            f"rounding {rounding!r} is not a decimal rounding mode: use one of "
            f"{', '.join(sorted(ROUNDING_MODES))} (e.g. decimal.ROUND_HALF_UP)"
        )
    return str(rounding)


def round_to_minor(amount: Decimal, currency: str, *, rounding: str) -> Decimal:
    """Round ``amount`` to the minor unit of ``currency`` with ``rounding``.

    The result has exactly ``minor_units(currency)`` decimal places.
    """
    quantum = _QUANTA[minor_units(currency)]
    return _quantize(amount, quantum, _check_rounding(rounding))


def _quantize(amount: Decimal, quantum: Decimal, rounding: str) -> Decimal:
    try:
        result = amount.quantize(quantum, rounding=rounding, context=_ROUNDING)
    except decimal.DecimalException as exc:
        raise ValidationError(
            f"amount {amount} is too large to hold: amounts are limited to {_PREC} digits"
        ) from exc
    return result.copy_abs() if result.is_zero() else result


def _exact(op: str, a: Decimal, b: Decimal) -> Decimal:
    try:
        result: Decimal = getattr(_EXACT, op)(a, b)
    except decimal.DecimalException as exc:
        raise ValidationError(
            f"{op} of {a} and {b} cannot be computed exactly within {_PREC} digits"
        ) from exc
    return result


def _new_money(amount: Decimal, currency: str) -> Money:
    # Internal fast path: amount already has the currency's exact exponent.
    money = object.__new__(Money)
    object.__setattr__(money, "amount", amount.copy_abs() if amount.is_zero() else amount)
    object.__setattr__(money, "currency", currency)
    return money


def _convert_currency(value: object) -> str:
    return _check_currency(value)


@attrs.frozen(eq=True, order=False, repr=False)
class Money:
    """An exact amount in one ISO 4217 currency.

    ``Money("1234.50", "EUR")``; ``Money(Decimal("12"), "JPY")``. The amount
    must already be a multiple of the minor unit: round other values with
    :meth:`Money.rounded`. Equal amounts in different currencies compare
    unequal; ordering and arithmetic across currencies raise.

    Raises:
        ValidationError: a float or non-numeric amount, an unknown currency,
            or more decimal places than the currency has.
    """

    amount: Decimal = attrs.field(converter=to_decimal)
    currency: str = attrs.field(converter=_convert_currency)

    def __attrs_post_init__(self) -> None:
        amount = self.amount
        quantum = _QUANTA[CURRENCIES[self.currency][0]]
        exact = _quantize(amount, quantum, ROUND_HALF_EVEN)
        if exact != amount:
            raise ValidationError(
                f"amount {amount} has more decimal places than {self.currency} allows "
                f"({CURRENCIES[self.currency][0]}): round it explicitly with "
                f"Money.rounded({str(amount)!r}, {self.currency!r}, rounding=ROUND_HALF_UP)"
            )
        object.__setattr__(self, "amount", exact)

    # -- constructors -------------------------------------------------------

    @classmethod
    def rounded(cls, amount: Decimal | int | str, currency: str, *, rounding: str) -> Money:
        """Round ``amount`` to the currency's minor unit with the mode given.

        ``Money.rounded("0.125", "EUR", rounding=ROUND_HALF_UP) == Money("0.13", "EUR")``
        """
        code = _check_currency(currency)
        return _new_money(round_to_minor(to_decimal(amount), code, rounding=rounding), code)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Zero in ``currency`` (``Money.zero("EUR")`` is EUR 0.00)."""
        code = _check_currency(currency)
        return _new_money(_QUANTA[CURRENCIES[code][0]] * 0, code)

    @classmethod
    def from_minor(cls, units: int, currency: str) -> Money:
        """Build from an integer count of minor units (cents): ``from_minor(150, "EUR")``."""
        if isinstance(units, bool) or not isinstance(units, int):
            raise ValidationError(f"minor units {units!r} must be an int")
        code = _check_currency(currency)
        return _new_money(Decimal(units).scaleb(-CURRENCIES[code][0]), code)

    # -- properties ---------------------------------------------------------

    @property
    def minor_units(self) -> int:
        """Decimal places of this currency's minor unit."""
        return CURRENCIES[self.currency][0]

    @property
    def in_minor_units(self) -> int:
        """The amount as an integer number of minor units (EUR 12.34 -> 1234)."""
        return int(self.amount.scaleb(self.minor_units, context=_EXACT))

    @property
    def is_zero(self) -> bool:
        return self.amount.is_zero()

    @property
    def is_negative(self) -> bool:
        return self.amount < 0

    # -- arithmetic ---------------------------------------------------------

    def _same(self, other: object, op: str) -> Money:
        if not isinstance(other, Money):
            raise ValidationError(
                f"cannot {op} {self!r} and {other!r}: both operands must be Money"
            )
        if other.currency != self.currency:
            raise ValidationError(
                f"cannot {op} {self.currency} and {other.currency} amounts: convert one "
                "with ExchangeRates.convert(...) first"
            )
        return other

    def __add__(self, other: Money) -> Money:
        other = self._same(other, "add")
        return _new_money(_exact("add", self.amount, other.amount), self.currency)

    def __radd__(self, other: object) -> Money:
        raise ValidationError(
            f"cannot add {other!r} and {self!r}: use sum_money(items, currency) "
            "or start sum() at Money.zero(currency)"
        )

    def __sub__(self, other: Money) -> Money:
        other = self._same(other, "subtract")
        return _new_money(_exact("subtract", self.amount, other.amount), self.currency)

    def __neg__(self) -> Money:
        return _new_money(-self.amount, self.currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return _new_money(self.amount.copy_abs(), self.currency)

    def __mul__(self, factor: int | Decimal) -> Money:
        """Multiply exactly; a factor that leaves a sub-minor remainder raises.

        Use :meth:`multiply` with a rounding mode for such factors.
        """
        if isinstance(factor, bool) or not isinstance(factor, int | Decimal):
            raise ValidationError(
                f"cannot multiply {self!r} by {factor!r}: give an int or Decimal "
                "(floats are refused; pass Decimal('1.5'))"
            )
        product = _exact("multiply", self.amount, Decimal(factor))
        quantum = _QUANTA[self.minor_units]
        exact = _quantize(product, quantum, ROUND_HALF_EVEN)
        if exact != product:
            raise ValidationError(
                f"{self!r} * {factor} = {product} has a fraction of the minor unit: use "
                f"money.multiply({factor!r}, rounding=ROUND_HALF_UP) to round explicitly"
            )
        return _new_money(exact, self.currency)

    __rmul__ = __mul__

    def multiply(self, factor: int | Decimal | str, *, rounding: str) -> Money:
        """Multiply by ``factor`` and round to the minor unit with ``rounding``."""
        product = _exact("multiply", self.amount, to_decimal(factor, "factor"))
        return _new_money(round_to_minor(product, self.currency, rounding=rounding), self.currency)

    def __truediv__(self, other: object) -> Money:
        raise ValidationError(
            "Money cannot be divided directly, a remainder would be lost: use "
            "money.split(n) or money.allocate(ratios) (exact), or "
            "money.multiply(factor, rounding=...)"
        )

    __floordiv__ = __truediv__

    def allocate(self, ratios: Sequence[int | Decimal | str]) -> tuple[Money, ...]:
        """Split into parts proportional to ``ratios`` that sum exactly to ``self``.

        Largest-remainder method on whole minor units: every part first gets
        the floor of its exact share; the minor units left over go one each to
        the parts with the largest fractional remainders, ties to the earlier
        part. Deterministic; a negative amount is allocated as its absolute
        value and negated, so parts of equal ratio differ by at most one minor
        unit either way.

        Raises:
            ValidationError: no ratios, a negative or float ratio, or all zero.
        """
        if not ratios:
            raise ValidationError("allocate needs at least one ratio, e.g. [1, 1, 2]")
        exact = [Fraction(to_decimal(r, "ratio")) for r in ratios]
        if any(r < 0 for r in exact):
            raise ValidationError(f"ratios {list(ratios)!r} must not be negative")
        whole = sum(exact, Fraction(0))
        if whole == 0:
            raise ValidationError(f"ratios {list(ratios)!r} must not all be zero")
        units = self.in_minor_units
        sign = -1 if units < 0 else 1
        total = abs(units)
        shares = [total * r / whole for r in exact]
        floors = [s.numerator // s.denominator for s in shares]
        left = total - sum(floors)
        order = sorted(range(len(shares)), key=lambda i: (-(shares[i] - floors[i]), i))
        for i in order[:left]:
            floors[i] += 1
        places = self.minor_units
        return tuple(_new_money(Decimal(sign * f).scaleb(-places), self.currency) for f in floors)

    def split(self, parts: int) -> tuple[Money, ...]:
        """Split into ``parts`` near-equal amounts that sum exactly to ``self``."""
        if isinstance(parts, bool) or not isinstance(parts, int) or parts < 1:
            raise ValidationError(f"parts {parts!r} must be an int >= 1")
        return self.allocate([1] * parts)

    # -- comparisons --------------------------------------------------------

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other, "compare").amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other, "compare").amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other, "compare").amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other, "compare").amount

    # -- text -----------------------------------------------------------------

    def __repr__(self) -> str:
        return f"Money('{self.amount}', '{self.currency}')"

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

    def format(self, locale: str = "en") -> str:
        """Format with Babel for ``locale``: "€1,234.50" (en), "1.234,50 €" (de).

        Always shows exactly the ISO 4217 minor units. Babel uses no-break
        spaces (U+00A0) where the locale separates with a space ("ru":
        "1 234,50 €").

        Raises:
            ValidationError: an unknown locale.
        """
        return _format(self.amount, self.currency, locale, self.minor_units, self.minor_units)

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form: ``{"amount": "12.50", "currency": "EUR"}``."""
        return {"amount": str(self.amount), "currency": self.currency}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Money:
        """Inverse of :meth:`to_dict`."""
        try:
            return cls(data["amount"], data["currency"])
        except (KeyError, TypeError) as exc:
            raise ValidationError(
                f"money {data!r} needs 'amount' (a string) and 'currency' keys"
            ) from exc


@functools.lru_cache(maxsize=256)
def _pattern(locale: str, min_frac: int, max_frac: int) -> tuple[Locale, NumberPattern]:
    try:
        loc = Locale.parse(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise ValidationError(
            f"locale {locale!r} is unknown: give a CLDR locale such as 'en', 'de', 'ru', 'de_AT'"
        ) from exc
    pattern = copy.copy(loc.currency_formats["standard"])
    pattern.frac_prec = (min_frac, max_frac)
    return loc, pattern


def _format(amount: Decimal, currency: str, locale: str, min_frac: int, max_frac: int) -> str:
    if not isinstance(locale, str):
        raise ValidationError(f"locale {locale!r} must be a string such as 'en'")
    loc, pattern = _pattern(locale, min_frac, max_frac)
    return format_currency(amount, currency, format=pattern, locale=loc, currency_digits=False)


def sum_money(items: Iterable[Money], currency: str) -> Money:
    """Sum ``items`` exactly; an empty iterable gives zero in ``currency``.

    Raises:
        ValidationError: an item is not Money or is in another currency.
    """
    total = Money.zero(currency)
    for item in items:
        total = total + item
    return total


def _convert_amount(value: object) -> Decimal:
    return to_decimal(value, "unit price")


@attrs.frozen(repr=False)
class UnitPrice:
    """A price per unit that may be finer than the minor unit (EUR 0.0045 per GB).

    It becomes :class:`Money` only through an explicit rounding:
    ``UnitPrice("0.0045", "EUR").times(Decimal("1500"), rounding=ROUND_HALF_UP)``.
    Up to 10 decimal places are kept.
    """

    amount: Decimal = attrs.field(converter=_convert_amount)
    currency: str = attrs.field(converter=_convert_currency)

    def __attrs_post_init__(self) -> None:
        exponent = self.amount.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -10:
            raise ValidationError(
                f"unit price {self.amount} has more than 10 decimal places: round it first"
            )

    @classmethod
    def of(cls, price: Money | UnitPrice) -> UnitPrice:
        """A unit price from Money (exact) or a UnitPrice (returned as is)."""
        if isinstance(price, UnitPrice):
            return price
        if isinstance(price, Money):
            return cls(price.amount, price.currency)
        raise ValidationError(f"price {price!r} must be Money or UnitPrice, not a number")

    def extend(self, quantity: Decimal | int | str) -> Decimal:
        """The exact, unrounded ``quantity * price`` as a Decimal."""
        return _exact("multiply", self.amount, to_decimal(quantity, "quantity"))

    def times(self, quantity: Decimal | int | str, *, rounding: str) -> Money:
        """``quantity * price`` rounded to the minor unit with ``rounding``."""
        return _new_money(
            round_to_minor(self.extend(quantity), self.currency, rounding=rounding),
            self.currency,
        )

    def to_money(self, *, rounding: str) -> Money:
        """This price itself, rounded to the minor unit with ``rounding``."""
        return self.times(1, rounding=rounding)

    def __repr__(self) -> str:
        return f"UnitPrice('{self.amount}', '{self.currency}')"

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

    def format(self, locale: str = "en") -> str:
        """Format with Babel, showing at least the minor units and every finer digit."""
        minor = CURRENCIES[self.currency][0]
        exponent = self.amount.as_tuple().exponent
        places = max(minor, -exponent if isinstance(exponent, int) else 0)
        return _format(self.amount, self.currency, locale, minor, places)


def _convert_rate(value: object) -> Decimal:
    rate = to_decimal(value, "exchange rate")
    if rate <= 0:
        raise ValidationError(f"exchange rate {value!r} must be positive")
    return rate


@attrs.frozen
class ExchangeRate:
    """One explicit rate: 1 unit of ``source`` = ``rate`` units of ``target``."""

    source: str = attrs.field(converter=_convert_currency)
    target: str = attrs.field(converter=_convert_currency)
    rate: Decimal = attrs.field(converter=_convert_rate)
    as_of: date = attrs.field(validator=attrs.validators.instance_of(date))


def _rates_tuple(rates: Iterable[ExchangeRate]) -> tuple[ExchangeRate, ...]:
    return tuple(rates)


@attrs.frozen
class ExchangeRates:
    """A table of explicit exchange rates; no network, no implied inverses.

    ``ExchangeRates([ExchangeRate("EUR", "USD", "1.0832", date(2025, 1, 2))])``.
    Only the pairs given convert; the inverse of a pair is used only with
    ``allow_inverse=True`` (dividing by the rate, then rounding once).
    """

    rates: tuple[ExchangeRate, ...] = attrs.field(converter=_rates_tuple)
    allow_inverse: bool = False
    _index: dict[tuple[str, str], ExchangeRate] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        index: dict[tuple[str, str], ExchangeRate] = {}
        for rate in self.rates:
            if not isinstance(rate, ExchangeRate):
                raise ValidationError(f"{rate!r} is not an ExchangeRate")
            key = (rate.source, rate.target)
            if key in index:
                raise ValidationError(
                    f"two rates for {rate.source}->{rate.target}: give one rate per pair"
                )
            index[key] = rate
        object.__setattr__(self, "_index", index)

    def __iter__(self) -> Iterator[ExchangeRate]:
        return iter(self.rates)

    def _lookup(self, source: str, target: str) -> tuple[Decimal, bool]:
        # (rate, is_inverse): an inverse rate is divided by instead of multiplied.
        direct = self._index.get((source, target))
        if direct is not None:
            return direct.rate, False
        inverse = self._index.get((target, source))
        if inverse is not None and self.allow_inverse:
            return inverse.rate, True
        hint = " (the inverse pair exists: pass allow_inverse=True)" if inverse else ""
        raise NotFoundError(
            f"no exchange rate {source}->{target} in the table{hint}: add "
            f"ExchangeRate({source!r}, {target!r}, rate, as_of)"
        )

    def rate(self, source: str, target: str) -> Decimal:
        """Units of ``target`` per unit of ``source`` (exactly 1 if the same).

        An inverse rate is given to 60 significant digits.

        Raises:
            NotFoundError: no rate for the pair.
        """
        src, dst = _check_currency(source), _check_currency(target)
        if src == dst:
            return Decimal(1)
        rate, inverse = self._lookup(src, dst)
        return _ROUNDING.divide(Decimal(1), rate) if inverse else rate

    def convert(self, money: Money, to: str, *, rounding: str) -> Money:
        """Convert ``money`` into ``to`` and round once with ``rounding``.

        Raises:
            NotFoundError: no rate for the pair.
        """
        if not isinstance(money, Money):
            raise ValidationError(f"{money!r} is not Money")
        dst = _check_currency(to)
        if money.currency == dst:
            return money
        rate, inverse = self._lookup(money.currency, dst)
        if inverse:
            value = _ROUNDING.divide(money.amount, rate)
        else:
            value = _exact("multiply", money.amount, rate)
        return _new_money(round_to_minor(value, dst, rounding=rounding), dst)
