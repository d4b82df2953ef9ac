"""Invoices, quotes and credit notes as frozen values, with exact totals.

Totals follow EU practice:

* each line's net amount is ``quantity * unit price`` rounded half-up to the
  currency's minor unit (the amount printed on the line);
* net amounts are summed per VAT rate; the VAT of each rate is computed on
  that per-rate net total and rounded half-up to the minor unit
  (:attr:`VatRounding.PER_RATE`, the default). :attr:`VatRounding.PER_LINE`
  rounds each line's VAT instead and sums those;
* gross = net + VAT, exactly.

The fields Article 226 of Council Directive 2006/112/EC requires are all
carried: a sequential number (:func:`next_number`), the issue date, the
supplier's and customer's names, addresses and VAT identification numbers,
the quantity and nature of the services, the service period, the unit price,
the taxable amount and VAT per rate, and the reverse-charge wording where it
applies (Art. 226(11a), the customer liable under Article 196).

A document records its VAT treatment twice: ``vat_rule`` (a
:class:`~hostlib.billing.vat.VatRule`) and ``vat_country`` (the member state
whose VAT applied) are machine-readable, so the PDF can print the treatment
in the account's language; ``vat_reason`` keeps the English sentence
``vat.decide`` wrote, as the audit record. Documents built by hand may carry
only a reason (``vat_rule`` None).

A credit note states why it was issued as a :class:`CreditReason` code
(translated on the PDF) plus optional free text.

Status changes return new values: unpaid -> paid, unpaid -> cancelled,
paid -> refunded (which also issues a :class:`CreditNote`); nothing else.
"""

from __future__ import annotations

import decimal
import enum
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final, Protocol, TypeVar

import attrs
from babel import Locale

from hostlib.billing._invoice_numbering import NumberParts, next_number, parse_number
from hostlib.billing.money import Money, UnitPrice, minor_units, to_decimal
from hostlib.billing.money import _new_money as _money  # amounts already exact
from hostlib.billing.vat import VatRule
from hostlib.errors import BillingError, ValidationError

__all__ = [
    "DEFAULT_CREDIT_NOTE_SERIES",
    "DEFAULT_INVOICE_SERIES",
    "DEFAULT_QUOTE_SERIES",
    "REVERSE_CHARGE_NOTE",
    "CreditNote",
    "CreditReason",
    "Invoice",
    "InvoiceLine",
    "InvoiceStatus",
    "NumberParts",
    "Party",
    "Quote",
    "RateTotal",
    "Totals",
    "VatDecisionLike",
    "VatRounding",
    "compute_totals",
    "document_from_dict",
    "next_number",
    "parse_number",
    "service_period_of",
]

DEFAULT_INVOICE_SERIES: Final = "INV-{year}-{seq:06d}"
DEFAULT_CREDIT_NOTE_SERIES: Final = "CN-{year}-{seq:06d}"
DEFAULT_QUOTE_SERIES: Final = "Q-{year}-{seq:06d}"

#: printed on every reverse-charge invoice and credit note (Art. 226(11a))
REVERSE_CHARGE_NOTE: Final = (
    "Reverse charge: VAT to be accounted for by the recipient "
    "(Article 196, Council Directive 2006/112/EC)."
)

_SCHEMA: Final = 1
_T = TypeVar("_T", bound=attrs.AttrsInstance)
_D = TypeVar("_D", "Invoice", "Quote", "CreditNote")
# Exact context for percent arithmetic; rounding happens only in quantize().
_EXACT: Final = decimal.Context(
    prec=60, traps=[decimal.InvalidOperation, decimal.Inexact, decimal.Overflow]
)
_ROUND: Final = decimal.Context(prec=60, traps=[decimal.InvalidOperation, decimal.Overflow])
_HUNDRED: Final = Decimal(100)
_NOT_COUNTRIES: Final = frozenset({"EU", "EZ", "UN", "ZZ", "QO"})
_COUNTRIES: Final = frozenset(
    code
    for code in Locale.parse("en").territories
    if isinstance(code, str) and len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
)


class VatDecisionLike(Protocol):
    """What :meth:`Invoice.with_vat_decision` needs (``vat.VatDecision`` fits).

    ``rule`` (a :class:`~hostlib.billing.vat.VatRule`) and ``country`` are
    read too when the object has them; they let the PDF print the treatment
    in the account's language.
    """

    @property
    def rate(self) -> Decimal: ...

    @property
    def reverse_charge(self) -> bool: ...

    @property
    def reason(self) -> str: ...


class InvoiceStatus(enum.Enum):
    """Where an invoice is in its life."""

    UNPAID = "unpaid"
    PAID = "paid"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


_TRANSITIONS: Final[Mapping[InvoiceStatus, tuple[InvoiceStatus, ...]]] = {
    InvoiceStatus.UNPAID: (InvoiceStatus.PAID, InvoiceStatus.CANCELLED),
    InvoiceStatus.PAID: (InvoiceStatus.REFUNDED,),
    InvoiceStatus.CANCELLED: (),
    InvoiceStatus.REFUNDED: (),
}


class CreditReason(enum.Enum):
    """Why a credit note was issued; the PDF prints it in the account's language."""

    REFUND = "refund"  # money paid back (the default of Invoice.refund)
    CANCELLATION = "cancellation"  # the service was cancelled
    PRICE_CORRECTION = "price_correction"  # the invoiced price was wrong
    OTHER = "other"  # anything else: the free text says what


#: English names of the reason codes, for legacy documents that stored only text
_CREDIT_REASON_TEXT: Final[Mapping[str, CreditReason]] = {
    "refund": CreditReason.REFUND,
    "cancellation": CreditReason.CANCELLATION,
    "price correction": CreditReason.PRICE_CORRECTION,
}

#: rules whose decisions never reverse-charge
_NOT_REVERSE_CHARGED: Final = frozenset(
    {VatRule.DOMESTIC, VatRule.EU_CONSUMER, VatRule.OUTSIDE_EU, VatRule.NOT_REGISTERED}
)


class VatRounding(enum.Enum):
    """Where VAT is rounded to the minor unit."""

    PER_RATE = "per_rate"  # on each rate's net total (default, EU practice)
    PER_LINE = "per_line"  # on each line, then summed


# -- converters and validators --------------------------------------------------


def _nonempty(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{what} {value!r} must be a non-empty string")
    return value.strip()


def _party_name(value: object) -> str:
    return _nonempty(value, "party name")


def _description(value: object) -> str:
    return _nonempty(value, "line description")


def _doc_number(value: object) -> str:
    return _nonempty(value, "document number")


def _optional_text(value: object) -> str | None:
    return None if value is None else _nonempty(value, "document number")


def _country(value: object) -> str:
    code = value.strip().upper() if isinstance(value, str) else ""
    if code not in _COUNTRIES:
        hint = " (EL is Greece's VAT prefix; its country code is GR)" if code == "EL" else ""
        raise ValidationError(
            f"country {value!r} is not an ISO 3166-1 alpha-2 code{hint}: give e.g. 'DE', 'FR'"
        )
    return code


def _vat_id(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(f"VAT ID {value!r} must be a string such as 'DE136695976'")
    cleaned = "".join(ch for ch in value if ch not in " .-").upper()
    if len(cleaned) < 4 or not cleaned[:2].isalpha() or not cleaned.isalnum():
        raise ValidationError(
            f"VAT ID {value!r} must start with a two-letter prefix and hold letters "
            "and digits, e.g. 'DE136695976'"
        )
    return cleaned


def _address(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, Iterable):
        raise ValidationError(f"address {value!r} must be a list of lines")
    lines = tuple(_nonempty(line, "address line") for line in value)
    if not lines:
        raise ValidationError("address needs at least one line (street, city)")
    return lines


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"flag {value!r} must be True or False (JSON true/false)")
    return value


def _date(value: object) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise ValidationError(f"date {value!r} is not an ISO date (YYYY-MM-DD)") from exc
    raise ValidationError(f"date {value!r} must be a datetime.date or an ISO string")


def _optional_country(value: object) -> str | None:
    return None if value is None else _country(value)


_E = TypeVar("_E", bound=enum.Enum)


def _member(kind: type[_E], value: object, what: str, hint: str = "") -> _E:
    """``value`` as a member of ``kind`` (a member or its value), else ValidationError."""
    if isinstance(value, kind):
        return value
    try:
        return kind(value)
    except ValueError as exc:
        raise ValidationError(
            f"{what} {value!r} is not one of {', '.join(m.value for m in kind)}{hint}"
        ) from exc


def _vat_rule(value: object) -> VatRule | None:
    if value is None:
        return None
    return _member(VatRule, value, "VAT rule", " (or null for a document built by hand)")


def _credit_reason(value: object) -> CreditReason:
    return _member(CreditReason, value, "credit note reason code")


def _optional_date(value: object) -> date | None:
    return None if value is None else _date(value)


def _reason(value: object) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"reason {value!r} must be a string")
    return value


def _reason_text(value: object) -> str:
    return _reason(value).strip()


def _texts(value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError(f"notes {value!r} must be a list of strings")
    return tuple(_nonempty(v, "note") for v in value)


def _quantity(value: object) -> Decimal:
    quantity = to_decimal(value, "quantity")
    if quantity < 0:
        raise ValidationError(
            f"quantity {quantity} is negative: invoice lines take quantities >= 0; "
            "refund with a credit note (Invoice.refund) instead"
        )
    return quantity


def _rate(value: object) -> Decimal:
    rate = to_decimal(value, "VAT rate")
    if not 0 <= rate < 100:
        raise ValidationError(f"VAT rate {rate} must be a percentage from 0 to below 100")
    return rate


def _period(value: object) -> tuple[date, date] | None:
    if value is None:
        return None
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise ValidationError(f"period {value!r} must be (start date, end date) or None")
    start, end = (_date(v) for v in value)
    if end < start:
        raise ValidationError(f"period {start} to {end} ends before it starts")
    return (start, end)


def _unit_price(value: object) -> UnitPrice:
    if isinstance(value, UnitPrice | Money):
        return UnitPrice.of(value)
    raise ValidationError(
        f"unit price {value!r} must be Money or UnitPrice, e.g. Money('10.00', 'EUR')"
    )


def _status(value: object) -> InvoiceStatus:
    return _member(InvoiceStatus, value, "status")


def _rounding(value: object) -> VatRounding:
    return _member(VatRounding, value, "VAT rounding")


def _currency(value: object) -> str:
    return Money.zero(value).currency  # type: ignore[arg-type]


# -- values ---------------------------------------------------------------------


@attrs.frozen
class Party:
    """A seller or customer as the invoice names them (Art. 226(3)-(5)).

    Args:
        name: full legal name.
        address: address lines (street, postcode and city, ...).
        country: ISO 3166-1 alpha-2 code ("DE", "GR"; not the VAT prefix "EL").
        vat_id: VAT identification number with its prefix, if any. Only its
            shape is checked here; ``vat.validate_vat_id`` checks it.
        is_business: a taxable person (B2B) rather than a consumer.
    """

    name: str = attrs.field(converter=_party_name)
    address: tuple[str, ...] = attrs.field(converter=_address)
    country: str = attrs.field(converter=_country)
    vat_id: str | None = attrs.field(default=None, converter=_vat_id)
    is_business: bool = attrs.field(default=False, converter=_flag)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "address": list(self.address),
            "country": self.country,
            "vat_id": self.vat_id,
            "is_business": self.is_business,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Party:
        return _build(cls, data, "party", ("name", "address", "country"))


@attrs.frozen
class InvoiceLine:
    """One line: what was supplied, how much, at what price and VAT rate.

    ``net`` is ``quantity * unit_price`` rounded half-up to the minor unit.
    """

    description: str = attrs.field(converter=_description)
    quantity: Decimal = attrs.field(converter=_quantity)
    unit_price: UnitPrice = attrs.field(converter=_unit_price)
    vat_rate: Decimal = attrs.field(converter=_rate)
    period: tuple[date, date] | None = attrs.field(default=None, converter=_period)
    unit: str = attrs.field(default="", validator=attrs.validators.instance_of(str))
    net: Money = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(
            self, "net", self.unit_price.times(self.quantity, rounding=ROUND_HALF_UP)
        )

    @property
    def currency(self) -> str:
        return self.unit_price.currency

    def with_rate(self, rate: Decimal) -> InvoiceLine:
        """The same line at another VAT rate."""
        return attrs.evolve(self, vat_rate=rate)

    def to_dict(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "quantity": str(self.quantity),
            "unit": self.unit,
            "unit_price": str(self.unit_price.amount),
            "vat_rate": str(self.vat_rate),
            "period": None if self.period is None else [d.isoformat() for d in self.period],
            "net": str(self.net.amount),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], currency: str) -> InvoiceLine:
        if not isinstance(data, Mapping):
            raise ValidationError(f"line {data!r} must be an object")
        fields = {k: v for k, v in data.items() if k != "net"}
        price = fields.get("unit_price")
        if isinstance(price, str | int):
            fields["unit_price"] = UnitPrice(price, currency)
        line = _build(cls, fields, "line", ("description", "quantity", "unit_price", "vat_rate"))
        if "net" in data and str(data["net"]) != str(line.net.amount):
            raise ValidationError(
                f"line {line.description!r}: net {data['net']} does not match "
                f"quantity x unit price = {line.net.amount}; fix the line or drop 'net'"
            )
        return line


@attrs.frozen
class RateTotal:
    """Taxable amount and VAT at one rate (Art. 226(8) and (10))."""

    rate: Decimal
    net: Money
    vat: Money

    @property
    def gross(self) -> Money:
        return self.net + self.vat

    def to_dict(self) -> dict[str, str]:
        return {"rate": str(self.rate), "net": str(self.net.amount), "vat": str(self.vat.amount)}


@attrs.frozen
class Totals:
    """Net, VAT and gross of a document, and the breakdown per VAT rate."""

    net: Money
    vat: Money
    gross: Money
    by_rate: tuple[RateTotal, ...]

    def negated(self) -> Totals:
        """The same totals with every amount's sign flipped (for credit notes)."""
        return Totals(
            -self.net,
            -self.vat,
            -self.gross,
            tuple(RateTotal(r.rate, -r.net, -r.vat) for r in self.by_rate),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "net": str(self.net.amount),
            "vat": str(self.vat.amount),
            "gross": str(self.gross.amount),
            "by_rate": [r.to_dict() for r in self.by_rate],
        }


def _vat_amount(net: Decimal, rate: Decimal, quantum: Decimal) -> Decimal:
    # net * rate / 100 is exact; the one rounding is half-up to the minor unit.
    exact = _EXACT.divide(_EXACT.multiply(net, rate), _HUNDRED)
    return exact.quantize(quantum, rounding=ROUND_HALF_UP, context=_ROUND)


def compute_totals(
    lines: Iterable[InvoiceLine], currency: str, rounding: VatRounding = VatRounding.PER_RATE
) -> Totals:
    """Net per rate, VAT per rate (rounded as ``rounding`` says) and the totals.

    Rates are listed in ascending order. ``gross == net + vat`` exactly.
    """
    zero = Money.zero(currency)
    quantum = Decimal(1).scaleb(-minor_units(currency))
    per_line = rounding is VatRounding.PER_LINE
    nets: dict[Decimal, Decimal] = {}
    vats: dict[Decimal, Decimal] = {}
    add = _EXACT.add
    for line in lines:
        rate = line.vat_rate
        net = line.net.amount
        nets[rate] = add(nets[rate], net) if rate in nets else net
        if per_line:
            vat = _vat_amount(net, rate, quantum)
            vats[rate] = add(vats[rate], vat) if rate in vats else vat
    by_rate = []
    net_total = vat_total = zero.amount
    for rate in sorted(nets):
        net = nets[rate]
        vat = vats[rate] if per_line else _vat_amount(net, rate, quantum)
        by_rate.append(RateTotal(rate, _money(net, currency), _money(vat, currency)))
        net_total = add(net_total, net)
        vat_total = add(vat_total, vat)
    return Totals(
        _money(net_total, currency),
        _money(vat_total, currency),
        _money(add(net_total, vat_total), currency),
        tuple(by_rate),
    )


def service_period_of(lines: Iterable[InvoiceLine]) -> tuple[date, date] | None:
    """The span of all line periods (Art. 226(7)): earliest start, latest end.

    None when no line carries a period. Invoices, quotes and credit notes
    all answer their ``service_period`` with this.
    """
    start: date | None = None
    end: date | None = None
    for line in lines:
        if line.period is None:
            continue
        first, last = line.period
        start = first if start is None or first < start else start
        end = last if end is None or last > end else end
    if start is None or end is None:
        return None
    return (start, end)


def _lines(value: object) -> tuple[InvoiceLine, ...]:
    if not isinstance(value, Iterable):
        raise ValidationError("lines must be a sequence of InvoiceLine")
    lines = tuple(value)
    if not lines:
        raise ValidationError("a document needs at least one line")
    for line in lines:
        if not isinstance(line, InvoiceLine):
            raise ValidationError(f"line {line!r} is not an InvoiceLine")
    return lines


def _check_document(doc: Invoice | Quote | CreditNote) -> None:
    for line in doc.lines:
        if line.currency != doc.currency:
            raise ValidationError(
                f"line {line.description!r} is priced in {line.currency}, the document in "
                f"{doc.currency}: price every line in the document's currency"
            )
    if doc.reverse_charge:
        if any(line.vat_rate != 0 for line in doc.lines):
            raise ValidationError(
                "a reverse-charge document must have 0 % VAT on every line: the customer "
                "accounts for the VAT (Article 196, Directive 2006/112/EC)"
            )
        if doc.customer.vat_id is None or doc.seller.vat_id is None:
            raise ValidationError(
                "a reverse-charge document needs the VAT IDs of both seller and customer "
                "(Art. 226(3)-(4), Directive 2006/112/EC)"
            )
    if doc.vat_rule is VatRule.REVERSE_CHARGE and not doc.reverse_charge:
        raise ValidationError(
            "VAT rule reverse_charge needs reverse_charge=True: apply the VAT decision with "
            "with_vat_decision() rather than setting the fields one by one"
        )
    if doc.reverse_charge and doc.vat_rule in _NOT_REVERSE_CHARGED:
        raise ValidationError(
            f"VAT rule {doc.vat_rule.value} is never a reverse charge, but "
            "reverse_charge=True: apply the VAT decision with with_vat_decision()"
        )
    if doc.seller.vat_id is None and any(line.vat_rate != 0 for line in doc.lines):
        raise ValidationError(
            "the seller charges VAT but has no VAT ID: set seller.vat_id "
            "(Art. 226(3), Directive 2006/112/EC)"
        )


def _evolve(doc: _D, **changes: Any) -> _D:
    """attrs.evolve that keeps computed totals when lines and rounding stay."""
    new = attrs.evolve(doc, **changes)
    if doc._totals is not None and not changes.keys() & {"lines", "currency", "vat_rounding"}:
        object.__setattr__(new, "_totals", doc._totals)
    return new


def _legal_notes(doc: Invoice | Quote | CreditNote) -> tuple[str, ...]:
    notes: list[str] = []
    if doc.reverse_charge:
        notes.append(REVERSE_CHARGE_NOTE)
    if doc.vat_reason:
        notes.append(doc.vat_reason)
    return tuple(notes)


def _decided(doc: Any, decision: VatDecisionLike) -> dict[str, Any]:
    try:
        rate, reverse, reason = decision.rate, decision.reverse_charge, decision.reason
    except AttributeError as exc:
        raise ValidationError(
            f"{decision!r} is not a VAT decision: it needs rate, reverse_charge and reason"
        ) from exc
    rate = _rate(rate)
    lines = tuple(line if line.vat_rate == rate else line.with_rate(rate) for line in doc.lines)
    # A vat.VatDecision also names its rule and the state whose VAT applies;
    # a hand-made decision may not, and then only its reason is kept.
    return {
        "lines": lines,
        "reverse_charge": _flag(reverse),
        "vat_reason": _nonempty(reason, "VAT reason"),
        "vat_rule": _vat_rule(getattr(decision, "rule", None)),
        "vat_country": _optional_country(getattr(decision, "country", None)),
    }


_DOC_FIELDS: Final = (
    "seller",
    "customer",
    "currency",
    "lines",
    "reverse_charge",
    "vat_reason",
    "vat_rule",
    "vat_country",
    "vat_rounding",
)


class _FromLines:
    """What every document derives from its lines: totals (computed once) and period."""

    __slots__ = ()
    lines: tuple[InvoiceLine, ...]
    currency: str
    vat_rounding: VatRounding
    _totals: Totals | None

    def _compute_totals(self) -> Totals:
        return compute_totals(self.lines, self.currency, self.vat_rounding)

    @property
    def totals(self) -> Totals:
        """Net per rate, VAT per rate, net, VAT and gross (computed once)."""
        totals = self._totals
        if totals is None:
            totals = self._compute_totals()
            object.__setattr__(self, "_totals", totals)
        return totals

    @property
    def service_period(self) -> tuple[date, date] | None:
        """The span of all line periods (Art. 226(7)), if lines carry periods."""
        return service_period_of(self.lines)


@attrs.frozen
class Invoice(_FromLines):
    """An invoice: a frozen value; every change returns a new one.

    An invoice may be built without a number (a draft plan) and numbered
    with :meth:`numbered` or :meth:`with_number` when it is issued; it must
    be numbered before it is paid, cancelled or refunded.

    Raises:
        ValidationError: bad fields; lines in another currency; a
            reverse-charge invoice with VAT or without both VAT IDs; VAT
            charged without a seller VAT ID; a due date before the issue date.
    """

    seller: Party = attrs.field(validator=attrs.validators.instance_of(Party))
    customer: Party = attrs.field(validator=attrs.validators.instance_of(Party))
    currency: str = attrs.field(converter=_currency)
    lines: tuple[InvoiceLine, ...] = attrs.field(converter=_lines)
    issue_date: date = attrs.field(converter=_date)
    due_date: date = attrs.field(converter=_date)
    number: str | None = attrs.field(default=None, converter=_optional_text)
    series: str = DEFAULT_INVOICE_SERIES
    status: InvoiceStatus = attrs.field(default=InvoiceStatus.UNPAID, converter=_status)
    reverse_charge: bool = attrs.field(default=False, converter=_flag)
    vat_reason: str = attrs.field(default="", converter=_reason)
    vat_rounding: VatRounding = attrs.field(default=VatRounding.PER_RATE, converter=_rounding)
    vat_rule: VatRule | None = attrs.field(default=None, converter=_vat_rule)
    vat_country: str | None = attrs.field(default=None, converter=_optional_country)
    supply_date: date | None = attrs.field(default=None, converter=_optional_date)
    paid_on: date | None = attrs.field(default=None, converter=_optional_date)
    quote_number: str | None = None
    credit_note_number: str | None = None
    notes: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    _totals: Totals | None = attrs.field(init=False, default=None, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if self.due_date < self.issue_date:
            raise ValidationError(
                f"due date {self.due_date} is before issue date {self.issue_date}"
            )
        if self.number is not None:
            parse_number(self.series, self.number)
        _check_document(self)

    @classmethod
    def create(
        cls,
        *,
        seller: Party,
        customer: Party,
        currency: str,
        lines: Iterable[InvoiceLine],
        issue_date: date,
        payment_days: int = 14,
        **fields: Any,
    ) -> Invoice:
        """An unpaid invoice due ``payment_days`` after ``issue_date``."""
        if isinstance(payment_days, bool) or not isinstance(payment_days, int) or payment_days < 0:
            raise ValidationError(f"payment_days {payment_days!r} must be an int >= 0")
        return cls(
            seller=seller,
            customer=customer,
            currency=currency,
            lines=tuple(lines),
            issue_date=issue_date,
            due_date=issue_date + timedelta(days=payment_days),
            **fields,
        )

    @property
    def legal_notes(self) -> tuple[str, ...]:
        """Texts the invoice must print: reverse-charge wording, VAT reason."""
        return _legal_notes(self)

    # -- numbering and VAT ---------------------------------------------------

    def with_number(self, number: str) -> Invoice:
        """This invoice with ``number`` (which must follow its series).

        Raises:
            BillingError: already numbered; a number is never changed.
        """
        if self.number is not None:
            raise BillingError(
                f"invoice {self.number} is already numbered: numbers are never changed; "
                "cancel it and issue a new one"
            )
        return _evolve(self, number=number)

    def numbered(self, last: str | None) -> Invoice:
        """This invoice numbered as the one after ``last`` in its series."""
        return self.with_number(next_number(self.series, last, self.issue_date))

    def with_vat_decision(self, decision: VatDecisionLike) -> Invoice:
        """Apply a VAT decision: every line's rate, the reverse-charge flag, the reason.

        ``decision`` is a ``vat.VatDecision`` or anything with ``rate``
        (percent), ``reverse_charge`` and ``reason``. Its ``rule`` and
        ``country``, where it has them, are kept as ``vat_rule`` and
        ``vat_country`` (otherwise both become None).
        """
        self._require(InvoiceStatus.UNPAID, "change its VAT")
        return attrs.evolve(self, **_decided(self, decision))

    # -- status ----------------------------------------------------------------

    def _require(self, status: InvoiceStatus, action: str) -> None:
        if self.status is not status:
            raise BillingError(
                f"invoice {self.number or '(draft)'} is {self.status.value}: "
                f"only an {status.value} invoice can {action}"
            )

    def _transition(self, target: InvoiceStatus) -> None:
        allowed = _TRANSITIONS[self.status]
        if target not in allowed:
            names = ", ".join(s.value for s in allowed) or "nothing (it is final)"
            raise BillingError(
                f"invoice {self.number or '(draft)'} cannot go from {self.status.value} to "
                f"{target.value}: from {self.status.value} it may go to {names}"
            )
        if self.number is None:
            raise BillingError("a draft invoice has no number: number it before changing status")

    def transition(self, target: InvoiceStatus | str) -> Invoice:
        """A copy in status ``target`` if the change is allowed.

        Prefer :meth:`mark_paid`, :meth:`cancel` and :meth:`refund`, which
        also record what the change needs.

        Raises:
            BillingError: the change is not allowed; the message names the
                allowed ones.
        """
        status = _status(target.value if isinstance(target, InvoiceStatus) else target)
        if status is InvoiceStatus.REFUNDED:
            raise BillingError("a refund issues a credit note: use invoice.refund(...)")
        if status is InvoiceStatus.PAID:
            raise BillingError("record the payment date: use invoice.mark_paid(on=date)")
        self._transition(status)
        return _evolve(self, status=status)

    def mark_paid(self, on: date) -> Invoice:
        """unpaid -> paid, recording the payment date."""
        self._transition(InvoiceStatus.PAID)
        return _evolve(self, status=InvoiceStatus.PAID, paid_on=on)

    def cancel(self) -> Invoice:
        """unpaid -> cancelled."""
        self._transition(InvoiceStatus.CANCELLED)
        return _evolve(self, status=InvoiceStatus.CANCELLED)

    def refund(
        self,
        *,
        number: str,
        issue_date: date,
        reason_code: CreditReason | str = CreditReason.REFUND,
        reason: str = "",
        series: str = DEFAULT_CREDIT_NOTE_SERIES,
    ) -> tuple[Invoice, CreditNote]:
        """paid -> refunded, with the credit note that reverses this invoice.

        The credit note has its own ``number`` in its own ``series``, refers
        to this invoice's number, repeats its lines and VAT treatment, and
        carries the negated totals.

        Args:
            reason_code: why, as a :class:`CreditReason` (translated on the PDF).
            reason: optional free text printed after it as written (required
                for :attr:`CreditReason.OTHER`).
        """
        self._transition(InvoiceStatus.REFUNDED)
        note = CreditNote(
            number=number,
            series=series,
            issue_date=issue_date,
            invoice_number=self.number,
            reason_code=reason_code,
            reason=reason,
            **{name: getattr(self, name) for name in _DOC_FIELDS},
        )
        return _evolve(self, status=InvoiceStatus.REFUNDED, credit_note_number=note.number), note

    # -- serialisation -----------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: Decimals as strings, dates ISO, computed totals included."""
        data = _doc_dict(self, "invoice")
        data.update(
            number=self.number,
            series=self.series,
            issue_date=self.issue_date.isoformat(),
            due_date=self.due_date.isoformat(),
            supply_date=_iso(self.supply_date),
            status=self.status.value,
            paid_on=_iso(self.paid_on),
            quote_number=self.quote_number,
            credit_note_number=self.credit_note_number,
            notes=list(self.notes),
        )
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Invoice:
        """Inverse of :meth:`to_dict`; stated totals must match the computed ones."""
        return _doc_from_dict(cls, data, "invoice", ("issue_date", "due_date"))


@attrs.frozen
class CreditNote(_FromLines):
    """A credit note reversing a refunded invoice; its totals are negative.

    ``reason_code`` says why (a :class:`CreditReason`, translated on the PDF);
    ``reason`` is optional free text printed as written, required when the
    code is :attr:`CreditReason.OTHER`. A text that only repeats the code's
    English name ("Refund", the old default) is dropped.
    """

    number: str = attrs.field(converter=_doc_number)
    issue_date: date = attrs.field(converter=_date)
    invoice_number: str = attrs.field(converter=_doc_number)
    seller: Party = attrs.field(validator=attrs.validators.instance_of(Party))
    customer: Party = attrs.field(validator=attrs.validators.instance_of(Party))
    currency: str = attrs.field(converter=_currency)
    lines: tuple[InvoiceLine, ...] = attrs.field(converter=_lines)
    series: str = DEFAULT_CREDIT_NOTE_SERIES
    reason_code: CreditReason = attrs.field(default=CreditReason.REFUND, converter=_credit_reason)
    reason: str = attrs.field(default="", converter=_reason_text)
    reverse_charge: bool = attrs.field(default=False, converter=_flag)
    vat_reason: str = attrs.field(default="", converter=_reason)
    vat_rounding: VatRounding = attrs.field(default=VatRounding.PER_RATE, converter=_rounding)
    vat_rule: VatRule | None = attrs.field(default=None, converter=_vat_rule)
    vat_country: str | None = attrs.field(default=None, converter=_optional_country)
    _totals: Totals | None = attrs.field(init=False, default=None, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if _CREDIT_REASON_TEXT.get(self.reason.casefold()) is self.reason_code:
            object.__setattr__(self, "reason", "")
        if self.reason_code is CreditReason.OTHER and not self.reason:
            raise ValidationError(
                "credit note reason code 'other' needs a free-text reason saying why"
            )
        parse_number(self.series, self.number)
        _check_document(self)

    def _compute_totals(self) -> Totals:
        """The reversed invoice's totals, negated."""
        return compute_totals(self.lines, self.currency, self.vat_rounding).negated()

    @property
    def legal_notes(self) -> tuple[str, ...]:
        return (f"Credit note for invoice {self.invoice_number}.", *_legal_notes(self))

    def to_dict(self) -> dict[str, Any]:
        data = _doc_dict(self, "credit_note")
        data.update(
            number=self.number,
            series=self.series,
            issue_date=self.issue_date.isoformat(),
            invoice_number=self.invoice_number,
            reason_code=self.reason_code.value,
            reason=self.reason,
        )
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CreditNote:
        """Inverse of :meth:`to_dict`.

        A document written before reason codes existed carries only
        ``reason`` text: an English code name ("Refund") becomes that code,
        any other text is kept with the code ``other``.
        """
        if isinstance(data, Mapping) and "reason_code" not in data:
            text = data.get("reason", "")
            if isinstance(text, str) and text.strip():
                code = _CREDIT_REASON_TEXT.get(text.strip().casefold(), CreditReason.OTHER)
                data = {**data, "reason_code": code.value}
        return _doc_from_dict(cls, data, "credit_note", ("number", "issue_date", "invoice_number"))


@attrs.frozen
class Quote(_FromLines):
    """An offer valid until a date; it converts once into an invoice."""

    number: str = attrs.field(converter=_doc_number)
    issue_date: date = attrs.field(converter=_date)
    valid_until: date = attrs.field(converter=_date)
    seller: Party = attrs.field(validator=attrs.validators.instance_of(Party))
    customer: Party = attrs.field(validator=attrs.validators.instance_of(Party))
    currency: str = attrs.field(converter=_currency)
    lines: tuple[InvoiceLine, ...] = attrs.field(converter=_lines)
    series: str = DEFAULT_QUOTE_SERIES
    reverse_charge: bool = attrs.field(default=False, converter=_flag)
    vat_reason: str = attrs.field(default="", converter=_reason)
    vat_rounding: VatRounding = attrs.field(default=VatRounding.PER_RATE, converter=_rounding)
    vat_rule: VatRule | None = attrs.field(default=None, converter=_vat_rule)
    vat_country: str | None = attrs.field(default=None, converter=_optional_country)
    converted_to: str | None = None
    _totals: Totals | None = attrs.field(init=False, default=None, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if self.valid_until < self.issue_date:
            raise ValidationError(
                f"quote valid until {self.valid_until} is before its issue date {self.issue_date}"
            )
        parse_number(self.series, self.number)
        _check_document(self)

    @property
    def legal_notes(self) -> tuple[str, ...]:
        return _legal_notes(self)

    def is_expired(self, on: date) -> bool:
        """True after the last day of validity."""
        return on > self.valid_until

    def with_vat_decision(self, decision: VatDecisionLike) -> Quote:
        """Apply a VAT decision (rates, reverse charge, reason) to every line."""
        return attrs.evolve(self, **_decided(self, decision))

    def to_invoice(
        self,
        *,
        number: str,
        on: date,
        payment_days: int = 14,
        series: str = DEFAULT_INVOICE_SERIES,
    ) -> tuple[Quote, Invoice]:
        """Accept the quote on ``on``: the converted quote and the new invoice.

        The invoice repeats the quote's lines and VAT treatment. If VAT rates
        may have changed since the quote, apply a fresh decision for ``on``
        with :meth:`Invoice.with_vat_decision`.

        Raises:
            BillingError: the quote expired before ``on`` or was converted already.
        """
        if self.converted_to is not None:
            raise BillingError(
                f"quote {self.number} was already converted into invoice {self.converted_to}"
            )
        if self.is_expired(on):
            raise BillingError(
                f"quote {self.number} expired on {self.valid_until}: issue a new quote "
                f"(asked on {on})"
            )
        invoice = Invoice.create(
            number=number,
            series=series,
            issue_date=on,
            payment_days=payment_days,
            quote_number=self.number,
            **{name: getattr(self, name) for name in _DOC_FIELDS},
        )
        return _evolve(self, converted_to=number), invoice

    def to_dict(self) -> dict[str, Any]:
        data = _doc_dict(self, "quote")
        data.update(
            number=self.number,
            series=self.series,
            issue_date=self.issue_date.isoformat(),
            valid_until=self.valid_until.isoformat(),
            converted_to=self.converted_to,
        )
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Quote:
        return _doc_from_dict(cls, data, "quote", ("number", "issue_date", "valid_until"))


# -- JSON -----------------------------------------------------------------------


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _doc_dict(doc: Invoice | Quote | CreditNote, kind: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "schema": _SCHEMA,
        "currency": doc.currency,
        "minor_units": minor_units(doc.currency),
        "seller": doc.seller.to_dict(),
        "customer": doc.customer.to_dict(),
        "lines": [line.to_dict() for line in doc.lines],
        "reverse_charge": doc.reverse_charge,
        "vat_reason": doc.vat_reason,
        "vat_rule": None if doc.vat_rule is None else doc.vat_rule.value,
        "vat_country": doc.vat_country,
        "vat_rounding": doc.vat_rounding.value,
        "legal_notes": list(doc.legal_notes),
        "totals": doc.totals.to_dict(),
    }


def _build(cls: type[_T], data: Mapping[str, Any], what: str, required: tuple[str, ...]) -> _T:
    if not isinstance(data, Mapping):
        raise ValidationError(f"{what} {data!r} must be an object")
    missing = [key for key in required if key not in data]
    if missing:
        raise ValidationError(f"{what} is missing {', '.join(missing)}")
    known = {a.name.lstrip("_") for a in attrs.fields(cls) if a.init}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValidationError(f"{what} has unknown keys {', '.join(unknown)}")
    try:
        return cls(**data)
    except TypeError as exc:
        raise ValidationError(f"{what} is malformed: {exc}") from exc


_COMPUTED: Final = frozenset({"kind", "schema", "minor_units", "legal_notes", "totals"})


def _doc_from_dict(
    cls: type[_D], data: Mapping[str, Any], kind: str, required: tuple[str, ...]
) -> _D:
    if not isinstance(data, Mapping):
        raise ValidationError(f"{kind} must be a JSON object")
    if data.get("kind", kind) != kind:
        raise ValidationError(f"document is a {data.get('kind')!r}, expected {kind!r}")
    if data.get("schema", _SCHEMA) != _SCHEMA:
        raise ValidationError(f"{kind} schema {data.get('schema')!r} is not supported")
    fields = {k: v for k, v in data.items() if k not in _COMPUTED}
    currency = fields.get("currency")
    if not isinstance(currency, str):
        raise ValidationError(f"{kind} needs a 'currency' such as 'EUR'")
    for role in ("seller", "customer"):
        if role in fields:
            fields[role] = Party.from_dict(fields[role])
    raw_lines = fields.get("lines")
    if not isinstance(raw_lines, list):
        raise ValidationError(f"{kind} needs 'lines', a list of line objects")
    fields["lines"] = tuple(InvoiceLine.from_dict(line, currency) for line in raw_lines)
    if isinstance(fields.get("notes"), list):
        fields["notes"] = tuple(fields["notes"])
    doc = _build(cls, fields, kind, ("seller", "customer", "currency", "lines", *required))
    stated = data.get("totals")
    if stated is not None and stated != doc.totals.to_dict():
        raise ValidationError(
            f"{kind} totals {stated!r} do not match the lines ({doc.totals.to_dict()!r}): "
            "fix the lines or drop 'totals' to have them computed"
        )
    return doc


def document_from_dict(data: Mapping[str, Any]) -> Invoice | Quote | CreditNote:
    """Build an invoice, quote or credit note from its ``to_dict()`` form by ``kind``."""
    kinds: dict[str, Any] = {"invoice": Invoice, "quote": Quote, "credit_note": CreditNote}
    kind = data.get("kind") if isinstance(data, Mapping) else None
    if kind not in kinds:
        raise ValidationError(
            f"document kind {kind!r} is not one of {', '.join(kinds)}: set 'kind'"
        )
    result: Invoice | Quote | CreditNote = kinds[kind].from_dict(data)
    return result
