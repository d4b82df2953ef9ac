"""The VAT treatment a PDF prints, per rule, in the account's language.

``vat.decide`` explains its decision in an English sentence; documents keep
that sentence as the audit record (``vat_reason``) and also the rule and the
state whose VAT applied (``vat_rule``, ``vat_country``). From those two this
module writes the printed wording in en, de or ru, citing Council Directive
2006/112/EC (German: Richtlinie 2006/112/EG, MwStSystRL; Russian: Директива
Совета 2006/112/ЕС):

* domestic supply: the seller's state's VAT at the rates shown (place of
  supply Art. 44 for a business customer, Art. 58 for a consumer);
* reverse charge: place of supply where the customer is established
  (Art. 44), the customer liable for the VAT (Art. 196). The fixed
  "Reverse charge" marker is printed separately (``Labels.reverse_charge``);
* consumer in another member state: taxed where the customer lives
  (Art. 58), declared through the One-Stop Shop (from 2021-07-01) or the
  Mini One-Stop Shop before it (Art. 369a-369k);
* customer outside the EU: out of scope of EU VAT (Art. 44 business,
  Art. 59 consumer);
* seller outside the EU without a registered jurisdiction: no VAT charged.

A decision of a registered non-EU jurisdiction (``VatRule.JURISDICTION``),
or an EU rule on a document whose seller was not in the EU on the supply
date (a jurisdiction reusing the EU rule names), has no wording here: the
renderer prints the reason the jurisdiction wrote. So does a document built
by hand without a rule.
"""

# Cyrillic "ЕС" (the Russian abbreviation of the EU) and en dashes in ranges are meant.
# ruff: noqa: RUF001, RUF002, RUF003

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Final

import attrs
from babel import Locale

from hostlib.billing import vat
from hostlib.billing.invoices import CreditNote, Invoice, Party, Quote
from hostlib.billing.vat import VatRule
from hostlib.errors import HostlibError

__all__ = ["VAT_WORDING", "VatWording", "vat_treatment"]

#: the Union One-Stop Shop replaced the Mini One-Stop Shop (Directive (EU) 2017/2455)
_OSS_START: Final = date(2021, 7, 1)


@attrs.frozen
class VatWording:
    """One language's sentence per VAT rule; ``{country}`` is a localised country name."""

    domestic_business: str
    domestic_consumer: str
    reverse_charge: str
    eu_consumer_oss: str
    eu_consumer_moss: str
    outside_eu_business: str
    outside_eu_consumer: str
    not_registered: str


_EN: Final = VatWording(
    domestic_business=(
        "Domestic supply: VAT of {country} charged at the rates shown; the place of supply "
        "is where the business customer is established (Art. 44 of Council Directive "
        "2006/112/EC)."
    ),
    domestic_consumer=(
        "Domestic supply: VAT of {country} charged at the rates shown; the place of supply "
        "is where the customer lives (Art. 58 of Council Directive 2006/112/EC)."
    ),
    reverse_charge=(
        "Place of supply: {country}, where the customer is established (Art. 44 of Council "
        "Directive 2006/112/EC); the customer accounts for the VAT (Art. 196), so no VAT is "
        "charged."
    ),
    eu_consumer_oss=(
        "Supply to a consumer in {country}: taxed where the customer lives (Art. 58 of "
        "Council Directive 2006/112/EC); VAT of {country} charged at the rates shown and "
        "declared through the One-Stop Shop (Union scheme, Art. 369a-369k)."
    ),
    eu_consumer_moss=(
        "Supply to a consumer in {country}: taxed where the customer lives (Art. 58 of "
        "Council Directive 2006/112/EC); VAT of {country} charged at the rates shown and "
        "declared through the Mini One-Stop Shop (MOSS, Art. 369a-369k)."
    ),
    outside_eu_business=(
        "Outside the scope of EU VAT: the customer is established in {country}, outside the "
        "EU, so the place of supply is outside the EU (Art. 44 of Council Directive "
        "2006/112/EC); no VAT is charged."
    ),
    outside_eu_consumer=(
        "Outside the scope of EU VAT: the customer lives in {country}, outside the EU, so "
        "the place of supply is outside the EU (Art. 59 of Council Directive 2006/112/EC); "
        "no VAT is charged."
    ),
    not_registered=(
        "No VAT charged: the seller is established in {country}, outside the EU, and is not "
        "registered for VAT."
    ),
)

_DE: Final = VatWording(
    domestic_business=(
        "Inländische Leistung: Umsatzsteuer ({country}) zu den ausgewiesenen Sätzen; "
        "Leistungsort ist der Sitz des unternehmerischen Leistungsempfängers (Art. 44 der "
        "Richtlinie 2006/112/EG des Rates)."
    ),
    domestic_consumer=(
        "Inländische Leistung: Umsatzsteuer ({country}) zu den ausgewiesenen Sätzen; "
        "Leistungsort ist der Wohnsitz des Leistungsempfängers (Art. 58 der Richtlinie "
        "2006/112/EG des Rates)."
    ),
    reverse_charge=(
        "Leistungsort: {country}, Sitz des Leistungsempfängers (Art. 44 der Richtlinie "
        "2006/112/EG des Rates); die Steuer schuldet der Leistungsempfänger (Art. 196), daher "
        "wird keine Umsatzsteuer berechnet."
    ),
    eu_consumer_oss=(
        "Leistung an einen Verbraucher in {country}: steuerbar am Wohnsitz des "
        "Leistungsempfängers (Art. 58 der Richtlinie 2006/112/EG des Rates); Umsatzsteuer "
        "({country}) zu den ausgewiesenen Sätzen, erklärt über den One-Stop-Shop "
        "(EU-Regelung, Art. 369a–369k)."
    ),
    eu_consumer_moss=(
        "Leistung an einen Verbraucher in {country}: steuerbar am Wohnsitz des "
        "Leistungsempfängers (Art. 58 der Richtlinie 2006/112/EG des Rates); Umsatzsteuer "
        "({country}) zu den ausgewiesenen Sätzen, erklärt über den Mini-One-Stop-Shop "
        "(MOSS, Art. 369a–369k)."
    ),
    outside_eu_business=(
        "Nicht im Anwendungsbereich der EU-Mehrwertsteuer: der Leistungsempfänger hat seinen "
        "Sitz in {country}, außerhalb der EU; Leistungsort außerhalb der EU (Art. 44 der "
        "Richtlinie 2006/112/EG des Rates), keine Umsatzsteuer berechnet."
    ),
    outside_eu_consumer=(
        "Nicht im Anwendungsbereich der EU-Mehrwertsteuer: der Leistungsempfänger wohnt in "
        "{country}, außerhalb der EU; Leistungsort außerhalb der EU (Art. 59 der Richtlinie "
        "2006/112/EG des Rates), keine Umsatzsteuer berechnet."
    ),
    not_registered=(
        "Keine Umsatzsteuer berechnet: der Leistende hat seinen Sitz in {country}, außerhalb "
        "der EU, und ist nicht für die Umsatzsteuer registriert."
    ),
)

_RU: Final = VatWording(
    domestic_business=(
        "Внутренняя поставка: НДС (страна: {country}) по указанным ставкам; место оказания "
        "услуг — место нахождения клиента-предприятия (ст. 44 Директивы Совета 2006/112/ЕС)."
    ),
    domestic_consumer=(
        "Внутренняя поставка: НДС (страна: {country}) по указанным ставкам; место оказания "
        "услуг — место жительства клиента (ст. 58 Директивы Совета 2006/112/ЕС)."
    ),
    reverse_charge=(
        "Место оказания услуг: {country}, место нахождения получателя (ст. 44 Директивы Совета "
        "2006/112/ЕС); НДС уплачивает получатель (ст. 196), поэтому НДС не начисляется."
    ),
    eu_consumer_oss=(
        "Услуги потребителю, страна: {country}; облагаются по месту жительства клиента "
        "(ст. 58 Директивы Совета 2006/112/ЕС); НДС этой страны по указанным ставкам "
        "декларируется через систему One-Stop Shop (схема Союза, ст. 369a–369k)."
    ),
    eu_consumer_moss=(
        "Услуги потребителю, страна: {country}; облагаются по месту жительства клиента "
        "(ст. 58 Директивы Совета 2006/112/ЕС); НДС этой страны по указанным ставкам "
        "декларируется через систему Mini One-Stop Shop (MOSS, ст. 369a–369k)."
    ),
    outside_eu_business=(
        "Вне сферы действия НДС ЕС: клиент-предприятие находится вне ЕС (страна: {country}); "
        "место оказания услуг вне ЕС (ст. 44 Директивы Совета 2006/112/ЕС), НДС не начисляется."
    ),
    outside_eu_consumer=(
        "Вне сферы действия НДС ЕС: клиент проживает вне ЕС (страна: {country}); место "
        "оказания услуг вне ЕС (ст. 59 Директивы Совета 2006/112/ЕС), НДС не начисляется."
    ),
    not_registered=(
        "НДС не начисляется: продавец находится вне ЕС (страна: {country}) и не "
        "зарегистрирован как плательщик НДС."
    ),
)

#: wording by ISO 639-1 language code (the same languages as the labels)
VAT_WORDING: Final[Mapping[str, VatWording]] = {"en": _EN, "de": _DE, "ru": _RU}

_EU_RULES: Final = frozenset(
    {VatRule.DOMESTIC, VatRule.REVERSE_CHARGE, VatRule.EU_CONSUMER, VatRule.OUTSIDE_EU}
)


def _supply_day(document: Invoice | Quote | CreditNote) -> date:
    if isinstance(document, Invoice) and document.supply_date is not None:
        return document.supply_date
    period = document.service_period
    return document.issue_date if period is None else period[1]


def _seller_in_eu(seller: Party, day: date) -> bool:
    try:
        return vat.is_eu_member(seller.country, day)
    except HostlibError:  # a date before the VAT table: the rule cannot be checked
        return False


def _is_business(party: Party) -> bool:
    return party.is_business or party.vat_id is not None


def vat_treatment(document: Invoice | Quote | CreditNote, language: str, locale: str) -> str | None:
    """The translated VAT treatment of ``document``, or None to print its stored reason.

    ``language`` picks the wording (a key of :data:`VAT_WORDING`), ``locale``
    the country names.
    """
    rule = document.vat_rule
    wording = VAT_WORDING.get(language)
    if rule is None or wording is None or rule is VatRule.JURISDICTION:
        return None
    day = _supply_day(document)
    if rule in _EU_RULES and not _seller_in_eu(document.seller, day):
        return None
    customer = document.customer
    if rule is VatRule.DOMESTIC:
        template = (
            wording.domestic_business if _is_business(customer) else wording.domestic_consumer
        )
        country = document.vat_country or document.seller.country
    elif rule is VatRule.REVERSE_CHARGE:
        template = wording.reverse_charge
        country = document.vat_country or customer.country
    elif rule is VatRule.EU_CONSUMER:
        template = wording.eu_consumer_oss if day >= _OSS_START else wording.eu_consumer_moss
        country = document.vat_country or customer.country
    elif rule is VatRule.OUTSIDE_EU:
        template = (
            wording.outside_eu_business if _is_business(customer) else wording.outside_eu_consumer
        )
        country = customer.country
    else:
        template = wording.not_registered
        country = document.seller.country
    names = Locale.parse(locale.replace("-", "_")).territories
    return template.format(country=names.get(country, country))
