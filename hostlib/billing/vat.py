"""VAT for hosting: dated EU standard rates, place-of-supply decisions, VAT IDs.

Rates
    :func:`standard_rate` answers from ``hostlib/billing/data/vat_rates.csv``:
    the standard rate of every EU member state for every day from
    2015-01-01, each row citing its source. The table was verified through
    its horizon (2026-11-26); for later days the rates in force on the
    horizon apply until a data update records a change. The table is read
    once and validated at load (no gap, no overlap, every state present,
    every row sourced).

    Verified for this table (November 2026): DE 16 % 2020-07-01..2020-12-31
    (Zweites Corona-Steuerhilfegesetz); IE 21 % 2020-09-01..2021-02-28;
    GR 23 -> 24 % on 2016-06-01 (Law 4389/2016); RO 24 -> 20 % on
    2016-01-01 and -> 19 % on 2017-01-01 (Law 227/2015), -> 21 % on
    2025-08-01 (Law 141/2025); LU 16 % for 2023 (law of 26 October 2022);
    EE 20 -> 22 % on 2024-01-01 and -> 24 % on 2025-07-01 (made permanent
    in 2025); FI 24 -> 25.5 % on 2024-09-01; SK 20 -> 23 % on 2025-01-01.
    No other standard-rate change between 2015-01-01 and 2026-11-26 was
    found; the 2026 changes announced by member states (BE, CZ, DE, IE,
    NL, SK, FI, LT) concern reduced rates only. The European Commission's
    documents were not fetched live for this table: each row cites the
    official source, and was cross-checked against stored copies of the
    national authorities' notices and professional publications.

    Not modelled: regional rates (Azores, Madeira, the Greek islands that
    keep a reduced rate, Heligoland/Büsingen and other territories outside
    the VAT area such as Åland, the Canary Islands and the French overseas
    departments, which are treated by their own ISO codes as outside the
    EU). Monaco is treated as France and the Isle of Man as the United
    Kingdom (Art. 7 of Council Directive 2006/112/EC).

    The United Kingdom applied EU VAT law until 2020-12-31 (end of the
    Brexit transition period): GB is carried at 20 % and treated as a
    member state up to that day, and as a country outside the EU after it.

Decisions
    :func:`decide` applies the place-of-supply rules of Council Directive
    2006/112/EC for electronically supplied services (hosting): Art. 44
    (business customers: where the customer is established), Art. 58
    (consumers in the EU: where the customer lives, declared through the
    One-Stop Shop), Art. 59 (consumers outside the EU) and Art. 196
    (reverse charge). A customer who gives a valid VAT ID is treated as a
    taxable person (Art. 18(1) of Implementing Regulation (EU) 282/2011);
    a business without a valid VAT ID is treated as a consumer. The
    EUR 10,000 micro-business threshold of Art. 59c is not applied: every
    cross-border consumer sale is taxed where the consumer lives.

    Sellers outside the EU are decided by a pluggable :class:`Jurisdiction`
    registered for their country; without one, the decision is "not
    registered: 0 %". (A non-EU seller supplying EU consumers must register
    under the non-Union OSS scheme, Art. 358a-369; plug that in as a
    Jurisdiction.)

VAT IDs
    :func:`validate_vat_id` and :func:`check_vat_id` check numbers offline
    with python-stdnum. Greece is ``EL`` (a ``GR...`` number is refused with
    a hint), ``XI`` (Northern Ireland, goods only) and ``EU``/``IM``
    (One-Stop-Shop registrations) are not customer VAT IDs for these
    services, and ``GB`` numbers count only for dates up to 2020-12-31.
    An online VIES check is optional, behind the :class:`ViesChecker`
    protocol; hostlib.billing ships no implementation because it does no
    I/O. A checker passed to :func:`decide` is consulted for cross-border
    business sales, and its result (with the consultation reference) is
    recorded in the decision.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Protocol, runtime_checkable

import attrs

from hostlib.billing._vat_countries import EU_MEMBERSHIP, ISO_COUNTRIES, VAT_TERRITORY_OF
from hostlib.billing._vat_data import RatePeriod, rate_table
from hostlib.billing._vat_ids import VatIdCheck, check_vat_id
from hostlib.errors import BillingError, HostlibError, NotFoundError, ValidationError

__all__ = [
    "DIRECTIVE",
    "Jurisdiction",
    "RatePeriod",
    "VatDecision",
    "VatIdCheck",
    "VatRule",
    "ViesChecker",
    "ViesResult",
    "check_vat_id",
    "data_range",
    "decide",
    "is_eu_member",
    "parse_vat_id",
    "rate_periods",
    "register_jurisdiction",
    "registered_jurisdictions",
    "standard_rate",
    "unregister_jurisdiction",
    "validate_vat_id",
]

#: The law the decisions cite.
DIRECTIVE = "Council Directive 2006/112/EC"

_ALIASES = {"EL": "GR"}
_ZERO = Decimal(0)
_HUNDRED = Decimal(100)
#: the Union OSS replaced the Mini One-Stop Shop on this day (Directive (EU) 2017/2455)
_OSS_START = date(2021, 7, 1)


class VatRule(enum.Enum):
    """Which rule a :class:`VatDecision` applied."""

    #: seller and customer in the same member state: seller's rate
    DOMESTIC = "domestic"
    #: business customer in another member state: the customer accounts for VAT
    REVERSE_CHARGE = "reverse_charge"
    #: consumer in another member state: customer's rate, declared through the OSS
    EU_CONSUMER = "eu_consumer"
    #: customer outside the EU: out of scope of EU VAT
    OUTSIDE_EU = "outside_eu"
    #: seller outside the EU with no jurisdiction registered: no VAT charged
    NOT_REGISTERED = "not_registered"
    #: seller outside the EU, decided by its registered :class:`Jurisdiction`
    JURISDICTION = "jurisdiction"


def _aware(_inst: object, _attr: object, value: datetime) -> None:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValidationError("checked_at must be a timezone-aware datetime")


@attrs.frozen
class ViesResult:
    """What the EU VIES service said about a VAT ID.

    Attributes:
        valid: VIES reports the number as valid.
        name: the registered name, if VIES gives it.
        address: the registered address, if VIES gives it.
        consultation_reference: the reference VIES issues as proof of the
            check (``requestIdentifier``), if one was requested.
        checked_at: when the check was made (timezone-aware).
        vat_id: the number checked.
    """

    valid: bool = attrs.field(validator=attrs.validators.instance_of(bool))
    name: str | None
    address: str | None
    consultation_reference: str | None
    checked_at: datetime = attrs.field(validator=_aware)
    vat_id: str | None = attrs.field(default=None, kw_only=True)


@runtime_checkable
class ViesChecker(Protocol):
    """Checks a VAT ID online against VIES.

    ``check`` receives the normalised number (``DE136695976``). It raises a
    :class:`~hostlib.errors.HostlibError` when VIES cannot answer; any
    other exception is reported by :func:`decide` as a BillingError.
    """

    def check(self, vat_id: str) -> ViesResult: ...


def _to_rate(value: Decimal | int | str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise ValidationError(
            f"a VAT rate must be a Decimal, int or str percentage, not {type(value).__name__}"
        )
    try:
        rate = Decimal(value)
    except ArithmeticError as exc:
        raise ValidationError(f"VAT rate {value!r} is not a number") from exc
    if not rate.is_finite() or not _ZERO <= rate < _HUNDRED:
        raise ValidationError(f"VAT rate {value!r} must be a percentage from 0 to below 100")
    return rate


@attrs.frozen
class VatDecision:
    """The VAT treatment of one sale, and why.

    Attributes:
        rate: the percentage to charge (0 for reverse charge and out of scope).
        reverse_charge: the customer accounts for the VAT (Art. 196).
        reason: a sentence that names the rule and the articles applied.
        rule: the rule applied, machine-readable.
        country: the state whose VAT applies (the customer's for a reverse
            charge), None when no VAT applies.
        on: the date of supply the decision is for.
        invoice_note: the wording the invoice must carry, if any
            ("Reverse charge", out-of-scope note).
        customer_vat_id: the customer's normalised VAT ID, when one was
            given and found valid.
        vat_id_check: the offline check of the VAT ID given, if any.
        vies: the VIES answer, when a checker was consulted.
    """

    rate: Decimal = attrs.field(converter=_to_rate)
    reverse_charge: bool
    reason: str
    rule: VatRule = attrs.field(kw_only=True)
    country: str | None = attrs.field(kw_only=True)
    on: date = attrs.field(kw_only=True)
    invoice_note: str | None = attrs.field(default=None, kw_only=True)
    customer_vat_id: str | None = attrs.field(default=None, kw_only=True)
    vat_id_check: VatIdCheck | None = attrs.field(default=None, kw_only=True)
    vies: ViesResult | None = attrs.field(default=None, kw_only=True)

    @property
    def consultation_reference(self) -> str | None:
        """The VIES consultation reference recorded with this decision, if any."""
        return None if self.vies is None else self.vies.consultation_reference

    def tax_on(self, net: Decimal, *, quantum: Decimal, rounding: str = ROUND_HALF_UP) -> Decimal:
        """VAT on ``net`` at this rate, rounded to ``quantum`` with ``rounding``.

        The product is computed exactly (60 significant digits, far above
        any invoice amount) and rounded once.

        Raises:
            ValidationError: ``net`` or ``quantum`` is not a Decimal.
        """
        for name, value in (("net", net), ("quantum", quantum)):
            if not isinstance(value, Decimal) or not value.is_finite():
                raise ValidationError(f"{name} must be a finite Decimal, not {value!r}")
        with localcontext(Context(prec=60)):
            exact = net * self.rate / _HUNDRED
        return exact.quantize(quantum, rounding=rounding)


@runtime_checkable
class Jurisdiction(Protocol):
    """Decides VAT (or sales tax) for a seller established outside the EU."""

    def decide(
        self,
        *,
        seller_country: str,
        customer_country: str,
        customer_vat_id: str | None,
        on: date,
        is_business: bool,
    ) -> VatDecision: ...


_JURISDICTIONS: dict[str, Jurisdiction] = {}


# -- input checks ---------------------------------------------------------------------------


def _check_date(on: object) -> date:
    if not isinstance(on, date) or isinstance(on, datetime):
        raise ValidationError(f"on={on!r} is not valid: give a datetime.date (the supply date)")
    table = rate_table()
    if on < table.start:
        raise NotFoundError(
            f"no VAT data for {on}: hostlib's rate table covers {table.start} onwards "
            f"(verified through {table.horizon})"
        )
    # Past the horizon the rates in force on it still apply: a rate stands until
    # the law changes it, and invoices are dated into the future. Keeping the
    # table current is a data update (hostlib/billing/data/vat_rates.csv).
    return on


def _iso_country(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be a two-letter country code string, not {value!r}")
    code = value.strip().upper()
    code = _ALIASES.get(code, code)
    if code not in ISO_COUNTRIES:
        raise ValidationError(
            f"{what} {value!r} is not an ISO 3166-1 alpha-2 country code (such as DE, FR, US); "
            "EL is accepted for Greece"
        )
    return code


def _known_codes() -> str:
    members = sorted(code for code, (_, end) in EU_MEMBERSHIP.items() if end is None)
    return ", ".join(members) + " (EL is accepted for GR; GB until 2020-12-31)"


def is_eu_member(country: str, on: date) -> bool:
    """True if ``country`` was in the EU VAT area on ``on`` (GB until 2020-12-31).

    Monaco counts as France and the Isle of Man as the United Kingdom.

    Raises:
        ValidationError: not a country code or not a date.
        NotFoundError: ``on`` is outside the data's range.
    """
    day = _check_date(on)
    code = _iso_country(country, "country")
    return _member(VAT_TERRITORY_OF.get(code, code), day)


def _member(code: str, day: date) -> bool:
    span = EU_MEMBERSHIP.get(code)
    return span is not None and span[0] <= day and (span[1] is None or day <= span[1])


# -- rates -----------------------------------------------------------------------------------


def data_range() -> tuple[date, date]:
    """The first day the rate table covers, and the day it was verified through."""
    table = rate_table()
    return table.start, table.horizon


def rate_periods(country: str | None = None) -> list[RatePeriod]:
    """The rows of the rate table, for one country or all, oldest first.

    Raises:
        ValidationError: ``country`` is not in the table.
    """
    table = rate_table()
    if country is None:
        return table.rows()
    code = _rate_country(country)
    return list(table.periods[code])


def _rate_country(country: object) -> str:
    if not isinstance(country, str):
        raise ValidationError(f"country must be a two-letter code string, not {country!r}")
    code = country.strip().upper()
    code = _ALIASES.get(code, code)
    if code not in EU_MEMBERSHIP:
        raise ValidationError(
            f"no EU VAT rates for country {country!r}: known codes are {_known_codes()}"
        )
    return code


def standard_rate(country: str, on: date) -> Decimal:
    """The standard VAT rate of an EU member state on a date, in percent.

    ``standard_rate("DE", on=date(2025, 1, 1))`` is ``Decimal("19")``;
    Finland from 2024-09-01 is ``Decimal("25.5")``.

    Raises:
        ValidationError: ``country`` is not a member state in the table
            (the message lists the known codes) or ``on`` is not a date.
        NotFoundError: ``on`` is before 2015-01-01, or the state was no
            longer in the EU VAT area then (GB after 2020-12-31).
    """
    code = _rate_country(country)
    day = _check_date(on)
    for period in rate_table().periods[code]:
        if period.covers(day):
            return period.rate
    raise NotFoundError(
        f"no EU VAT rate for {code} on {day}: {code} left the EU VAT area on "
        f"{EU_MEMBERSHIP[code][1]} (end of the Brexit transition period); it is a non-EU "
        "country after that"
    )


def _where(code: str, area: str) -> str:
    if code == area:
        return code
    return f"{code} (part of the {area} VAT area, Art. 7 of {DIRECTIVE})"


def _percent(rate: Decimal) -> str:
    return f"{rate} %"


# -- VAT IDs ---------------------------------------------------------------------------------


def validate_vat_id(vat_id: str, *, on: date | None = None) -> bool:
    """True if ``vat_id`` is a valid customer VAT ID for these services (offline check).

    Spaces, dots and dashes are ignored. ``on`` matters only for GB numbers.

    Raises:
        ValidationError: ``vat_id`` is not a string.
    """
    return check_vat_id(vat_id, on=on).valid


def parse_vat_id(vat_id: str, *, on: date | None = None) -> str:
    """The normalised form of a valid VAT ID (``"de 136.695.976"`` -> ``"DE136695976"``).

    Raises:
        ValidationError: it is not a string or not a valid customer VAT ID
            (the message says why).
    """
    result = check_vat_id(vat_id, on=on)
    if not result.valid or result.number is None:
        raise ValidationError(f"VAT ID {vat_id!r} is not valid: {result.reason}")
    return result.number


# -- jurisdictions ---------------------------------------------------------------------------


def register_jurisdiction(country: str, jurisdiction: Jurisdiction) -> None:
    """Use ``jurisdiction`` for sellers established in ``country`` (outside the EU).

    Replaces any jurisdiction registered for that country. GB may be
    registered; it is used for dates after 2020-12-31.

    Raises:
        ValidationError: not a country code, an EU member state, or the
            object does not implement :class:`Jurisdiction`.
    """
    code = _iso_country(country, "country")
    if EU_MEMBERSHIP.get(code, (None, date.max))[1] is None:
        raise ValidationError(
            f"{code} is an EU member state: EU rules apply to its sellers, not a jurisdiction"
        )
    if not isinstance(jurisdiction, Jurisdiction):
        raise ValidationError(
            "a jurisdiction needs a decide(*, seller_country, customer_country, "
            "customer_vat_id, on, is_business) method returning a VatDecision"
        )
    _JURISDICTIONS[code] = jurisdiction


def unregister_jurisdiction(country: str) -> None:
    """Forget the jurisdiction registered for ``country``.

    Raises:
        NotFoundError: none is registered for it.
    """
    code = _iso_country(country, "country")
    if _JURISDICTIONS.pop(code, None) is None:
        raise NotFoundError(f"no jurisdiction is registered for {code}")


def registered_jurisdictions() -> list[str]:
    """Country codes that have a registered jurisdiction, sorted."""
    return sorted(_JURISDICTIONS)


# -- decisions -------------------------------------------------------------------------------


def _outside_seller(
    seller: str,
    customer: str,
    customer_vat_id: str | None,
    on: date,
    is_business: bool,
    jurisdictions: Mapping[str, Jurisdiction] | None,
) -> VatDecision:
    table = _JURISDICTIONS if jurisdictions is None else jurisdictions
    jurisdiction = table.get(seller)
    if jurisdiction is None:
        return VatDecision(
            _ZERO,
            False,
            f"Not registered: the seller is established in {seller}, outside the EU, and no "
            f"VAT jurisdiction is registered for {seller}, so no VAT is charged (0 %). A seller "
            "outside the EU that supplies consumers in the EU must register under the "
            f"non-Union OSS scheme (Art. 358a-369 of {DIRECTIVE}).",
            rule=VatRule.NOT_REGISTERED,
            country=None,
            on=on,
        )
    decision = jurisdiction.decide(
        seller_country=seller,
        customer_country=customer,
        customer_vat_id=customer_vat_id,
        on=on,
        is_business=is_business,
    )
    if not isinstance(decision, VatDecision):
        raise BillingError(
            f"the jurisdiction registered for {seller} returned {type(decision).__name__}, "
            "not a VatDecision: fix its decide() method"
        )
    return decision


def _consult_vies(vies: ViesChecker, number: str) -> ViesResult:
    try:
        result = vies.check(number)
    except HostlibError:
        raise
    except Exception as exc:
        raise BillingError(
            f"the VIES check of {number} failed ({type(exc).__name__}); retry later, or "
            "decide without a checker and re-check the VAT ID before invoicing"
        ) from exc
    if not isinstance(result, ViesResult):
        raise BillingError(
            f"the VIES checker returned {type(result).__name__}, not a ViesResult: fix its "
            "check() method"
        )
    return result


def _domestic(
    seller: str,
    customer: str,
    on: date,
    business: bool,
    check: VatIdCheck | None,
    vies: ViesResult | None,
) -> VatDecision:
    rate = standard_rate(seller, on)
    if business:
        why = (
            f"place of supply to a taxable person is where the customer is established "
            f"(Art. 44 of {DIRECTIVE}), and a domestic sale is not reverse-charged"
        )
    else:
        why = (
            "place of supply of electronically supplied services to a non-taxable person is "
            f"where the customer lives (Art. 58 of {DIRECTIVE})"
        )
    if customer == seller:
        who = f"seller and customer are both in {seller}"
    else:
        number = check.number if check is not None else None
        who = f"the customer in {customer} gave the {seller} VAT ID {number} of the seller's state"
    return VatDecision(
        rate,
        False,
        f"Domestic sale: {who}; the {why}, so {seller} VAT at {_percent(rate)} applies.",
        rule=VatRule.DOMESTIC,
        country=seller,
        on=on,
        customer_vat_id=check.number if check is not None and check.valid else None,
        vat_id_check=check,
        vies=vies,
    )


def decide(
    seller_country: str,
    customer_country: str,
    customer_vat_id: str | None,
    on: date,
    is_business: bool = False,
    *,
    vies: ViesChecker | None = None,
    jurisdictions: Mapping[str, Jurisdiction] | None = None,
) -> VatDecision:
    """Decide the VAT on a hosting (electronically supplied) service sold on ``on``.

    * Customer in the seller's member state: the seller's rate (Art. 44 for
      businesses, Art. 58 for consumers).
    * Business in another member state with a valid VAT ID: reverse charge,
      0 %, invoice note "Reverse charge" (Art. 44 and 196).
    * Consumer in another member state, or a business without a valid VAT
      ID: the customer's state's rate, declared through the OSS (Art. 58).
    * Customer outside the EU: out of scope of EU VAT, 0 % (Art. 44 / 59).
    * Seller outside the EU: the :class:`Jurisdiction` registered for its
      country (``jurisdictions`` overrides the registry), else "not
      registered", 0 %.

    Args:
        seller_country: ISO code of the seller's establishment (EL = GR).
        customer_country: ISO code of where the customer is established or
            lives.
        customer_vat_id: the VAT ID the customer gave, or None. A valid one
            makes the customer a taxable person (Art. 18(1) of Implementing
            Regulation (EU) 282/2011) even without ``is_business``.
        on: the date of supply.
        is_business: the customer says it is a business.
        vies: an optional online checker, consulted for cross-border
            business sales; a "not valid" answer treats the customer as a
            consumer. The result is recorded in the decision.
        jurisdictions: non-EU jurisdictions to use instead of the registry.

    Raises:
        ValidationError: a country is not an ISO code, ``on`` is not a date,
            ``customer_vat_id`` is not a string or None.
        NotFoundError: ``on`` is outside the rate table's range.
        BillingError: a VIES checker or jurisdiction misbehaved.
    """
    day = _check_date(on)
    seller_code = _iso_country(seller_country, "seller_country")
    customer_code = _iso_country(customer_country, "customer_country")
    if not isinstance(is_business, bool):
        raise ValidationError(f"is_business must be True or False, not {is_business!r}")
    if customer_vat_id is not None and not isinstance(customer_vat_id, str):
        raise ValidationError(
            f"customer_vat_id must be a string or None, not {type(customer_vat_id).__name__}"
        )
    seller = VAT_TERRITORY_OF.get(seller_code, seller_code)
    customer = VAT_TERRITORY_OF.get(customer_code, customer_code)
    if not _member(seller, day):
        return _outside_seller(
            seller_code, customer_code, customer_vat_id, day, is_business, jurisdictions
        )
    if not _member(customer, day):
        return VatDecision(
            _ZERO,
            False,
            f"Outside the scope of EU VAT: the customer is in {customer_code}, outside the EU, "
            f"so the place of supply is outside the EU (Art. 44 of {DIRECTIVE} for businesses, "
            "Art. 59 for consumers) and no EU VAT is charged (0 %).",
            rule=VatRule.OUTSIDE_EU,
            country=None,
            on=day,
            invoice_note=(
                "Outside the scope of EU VAT: place of supply outside the EU "
                f"(Art. 44 / Art. 59 of {DIRECTIVE})"
            ),
        )
    check = None if customer_vat_id is None else check_vat_id(customer_vat_id, on=day)
    taxable = check is not None and check.valid
    consulted: ViesResult | None = None
    why_consumer = ""
    if taxable and check is not None and check.number is not None:
        cross_border = customer != seller and check.country != seller
        if vies is not None and cross_border:
            consulted = _consult_vies(vies, check.number)
            if not consulted.valid:
                taxable = False
                why_consumer = f"VIES reports VAT ID {check.number} as not valid" + (
                    f" (consultation {consulted.consultation_reference})"
                    if consulted.consultation_reference
                    else ""
                )
    elif check is not None:
        why_consumer = f"VAT ID {customer_vat_id!r} is not valid: {check.reason}"
    elif is_business:
        why_consumer = "no VAT ID was given"

    if customer == seller or (taxable and check is not None and check.country == seller):
        return _domestic(seller, customer, day, taxable or is_business, check, consulted)
    if taxable and check is not None:
        basis = (
            ""
            if is_business
            else " (a valid VAT ID makes the customer a taxable person, "
            "Art. 18(1) of Implementing Regulation (EU) 282/2011)"
        )
        reference = (
            f"; VIES confirmed it (consultation {consulted.consultation_reference})"
            if consulted is not None and consulted.consultation_reference
            else ""
        )
        return VatDecision(
            _ZERO,
            True,
            f"Reverse charge: the customer is a business in {_where(customer_code, customer)} "
            f"with valid VAT ID "
            f"{check.number}{basis}{reference}; the place of supply is {customer} "
            f"(Art. 44 of {DIRECTIVE}) and the customer accounts for the VAT there "
            "(Art. 196), so the seller charges 0 %.",
            rule=VatRule.REVERSE_CHARGE,
            country=customer,
            on=day,
            invoice_note=f"Reverse charge (Art. 196 of {DIRECTIVE})",
            customer_vat_id=check.number,
            vat_id_check=check,
            vies=consulted,
        )
    rate = standard_rate(customer, day)
    scheme = (
        "the One-Stop Shop (Union scheme, Art. 369a-369k)"
        if day >= _OSS_START
        else "the Mini One-Stop Shop (MOSS, Art. 369a-369k)"
    )
    prefix = (
        f"Treated as a consumer because {why_consumer}. " if (is_business or why_consumer) else ""
    )
    return VatDecision(
        rate,
        False,
        f"{prefix}Consumer in {_where(customer_code, customer)}: electronically supplied "
        "services to a non-taxable person are taxed where the customer lives "
        f"(Art. 58 of {DIRECTIVE}), so {customer} VAT at {_percent(rate)} applies, "
        f"declared through {scheme}.",
        rule=VatRule.EU_CONSUMER,
        country=customer,
        on=day,
        vat_id_check=check,
        vies=consulted,
    )
