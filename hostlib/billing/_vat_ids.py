"""Offline VAT identification number checks with python-stdnum.

python-stdnum's ``stdnum.eu.vat`` accepts more than a supplier of
electronically supplied services may take as a customer's VAT ID, so the
prefix is judged here first:

* Greece's VAT prefix is ``EL``. stdnum also accepts ``GR``, but a number
  written ``GR...`` is not the form VIES and invoices use; it is refused
  with a hint to write ``EL``.
* ``XI`` numbers identify Northern Ireland traders for trade in goods only
  (Windsor Framework); services to them follow UK rules, so an ``XI``
  number never makes a customer an EU business for these services.
* ``EU`` (and ``IM``) numbers are One-Stop-Shop registrations of non-EU
  sellers, not the VAT ID of a customer.
* ``GB`` numbers were EU VAT IDs until 2020-12-31 (end of the Brexit
  transition period) and are accepted only for dates up to then.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import attrs
from stdnum import exceptions as stdnum_errors
from stdnum.eu import vat as eu_vat
from stdnum.gb import vat as gb_vat

from hostlib.billing._vat_countries import EU_MEMBERSHIP, VAT_PREFIX
from hostlib.errors import ValidationError

__all__ = ["VatIdCheck", "check_vat_id"]

_SEPARATORS = re.compile(r"[\s.\-/,:]+")
_MAX_LENGTH = 40
_GB_LAST_DAY = date(2020, 12, 31)
#: prefix -> ISO country for every EU VAT prefix, Greece as EL
_PREFIX_COUNTRY: dict[str, str] = {VAT_PREFIX.get(code, code): code for code in EU_MEMBERSHIP}


@attrs.frozen
class VatIdCheck:
    """The outcome of an offline VAT ID check.

    Attributes:
        vat_id: the text as given.
        valid: whether it is a valid customer VAT ID for these services.
        number: the normalised number with its prefix (``DE136695976``),
            when it could be read.
        country: the ISO country code of the number's state (``GR`` for an
            ``EL`` number), when the prefix names an EU state.
        reason: why it is not valid (None when valid).
    """

    vat_id: str
    valid: bool
    number: str | None = None
    country: str | None = None
    reason: str | None = None


_STDNUM_REASONS: list[tuple[type[Exception], str]] = [
    (stdnum_errors.InvalidChecksum, "its check digits are wrong for a {} VAT number (mistyped?)"),
    (stdnum_errors.InvalidLength, "it has the wrong length for a {} VAT number"),
    (stdnum_errors.InvalidFormat, "it does not have the format of a {} VAT number"),
]


def _stdnum_reason(exc: Exception, prefix: str) -> str:
    for kind, text in _STDNUM_REASONS:
        if isinstance(exc, kind):
            return text.format(prefix)
    return f"it is not a valid {prefix} VAT number"


def _invalid(
    given: str, reason: str, number: str | None = None, country: str | None = None
) -> VatIdCheck:
    return VatIdCheck(vat_id=given, valid=False, number=number, country=country, reason=reason)


def _check_gb(given: str, compact: str, on: date | None) -> VatIdCheck:
    if on is None or on > _GB_LAST_DAY:
        when = "under current rules" if on is None else f"on {on}"
        return _invalid(
            given,
            f"GB numbers stopped being EU VAT IDs after {_GB_LAST_DAY} (end of the Brexit "
            f"transition period), so it is not one {when}: treat the customer as outside the EU",
            number=compact,
        )
    try:
        gb_vat.validate(compact[2:])
    except stdnum_errors.ValidationError as exc:
        return _invalid(given, f"{compact} is not valid: {_stdnum_reason(exc, 'GB')}", compact)
    return VatIdCheck(vat_id=given, valid=True, number=compact, country="GB")


def check_vat_id(vat_id: str, *, on: date | None = None) -> VatIdCheck:
    """Check ``vat_id`` offline (format and check digits) and say why it fails.

    Spaces, dots, dashes, slashes, commas and colons are ignored, and case
    does not matter. ``on`` matters only for ``GB`` numbers (valid EU VAT
    IDs until 2020-12-31); without it today's rules apply.

    Raises:
        ValidationError: ``vat_id`` is not a string or ``on`` is not a date.
    """
    if not isinstance(vat_id, str):
        raise ValidationError(
            f"a VAT ID must be a string such as 'DE136695976', not {type(vat_id).__name__}"
        )
    if on is not None and (not isinstance(on, date) or isinstance(on, datetime)):
        raise ValidationError(f"on={on!r} is not valid: give a datetime.date")
    compact = _SEPARATORS.sub("", vat_id).upper()
    if not compact:
        return _invalid(vat_id, "it is empty: give the number with its country prefix")
    if len(compact) > _MAX_LENGTH:
        return _invalid(vat_id, f"it is longer than {_MAX_LENGTH} characters")
    prefix = compact[:2]
    if not (len(compact) > 2 and prefix.isascii() and prefix.isalpha()):
        return _invalid(
            vat_id,
            "it does not start with a two-letter country prefix: write it as e.g. DE136695976",
        )
    if prefix == "GR":
        hint = ""
        if eu_vat.is_valid("EL" + compact[2:]):
            hint = f"; EL{compact[2:]} is valid"
        return _invalid(
            vat_id,
            f"Greek VAT numbers carry the prefix EL, not the ISO code GR{hint}",
            number=compact,
            country="GR",
        )
    if prefix == "XI":
        return _invalid(
            vat_id,
            "XI numbers identify Northern Ireland traders for goods only; for services the "
            "customer is in the United Kingdom, outside the EU",
            number=compact,
        )
    if prefix in ("EU", "IM"):
        return _invalid(
            vat_id,
            f"{prefix} numbers are One-Stop-Shop registrations of sellers outside the EU, "
            "not a customer's VAT ID",
            number=compact,
        )
    if prefix == "GB":
        return _check_gb(vat_id, compact, on)
    country = _PREFIX_COUNTRY.get(prefix)
    if country is None or country == "GB":
        return _invalid(vat_id, f"{prefix} is not the VAT prefix of an EU member state")
    try:
        number = eu_vat.validate(compact)
    except stdnum_errors.ValidationError as exc:
        return _invalid(vat_id, _stdnum_reason(exc, prefix), number=compact, country=country)
    return VatIdCheck(vat_id=vat_id, valid=True, number=number, country=country)
