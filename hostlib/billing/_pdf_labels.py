"""Printed labels of invoice, quote and credit-note PDFs, per language.

Every language carries the reverse-charge wording Article 226(11a) of
Council Directive 2006/112/EC requires. The Directive lets a member state
accept the wording in its own language; the text always starts with the
English "Reverse charge" as a fixed marker (customers, auditors and tools
search for it) followed by the translation, so one PDF satisfies both.

German uses "Rechnungskorrektur" for a credit note on purpose: in German VAT
law a "Gutschrift" is a self-billed invoice (section 14(2) UStG), not a
refund document.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import attrs

__all__ = ["LABELS", "Labels"]


@attrs.frozen
class Labels:
    """The fixed texts of one language; ``{...}`` fields are filled in by the renderer."""

    invoice: str
    quote: str
    credit_note: str
    number: str
    issue_date: str
    service_period: str
    supply_date: str
    due_date: str
    valid_until: str
    corrects_invoice: str
    credit_reason: str
    reason_refund: str
    reason_cancellation: str
    reason_price_correction: str
    reason_other: str
    from_quote: str
    paid_on: str
    status: str
    cancelled: str
    refunded: str
    customer: str
    vat_id: str
    position: str
    description: str
    quantity: str
    unit_price: str
    vat_rate: str
    net: str
    vat_breakdown: str
    vat: str
    net_total: str
    vat_total: str
    total: str
    reverse_charge: str
    vat_treatment: str
    credit_note_for: str  # {number}
    page: str  # {page} and {pages}
    continued: str


_EN: Final = Labels(
    invoice="Invoice",
    quote="Quote",
    credit_note="Credit note",
    number="Number",
    issue_date="Issue date",
    service_period="Service period",
    supply_date="Date of supply",
    due_date="Due date",
    valid_until="Valid until",
    corrects_invoice="Corrects invoice",
    credit_reason="Reason",
    reason_refund="Refund",
    reason_cancellation="Cancellation",
    reason_price_correction="Price correction",
    reason_other="Other",
    from_quote="Quote",
    paid_on="Paid on",
    status="Status",
    cancelled="cancelled",
    refunded="refunded",
    customer="Customer",
    vat_id="VAT ID",
    position="#",
    description="Description",
    quantity="Quantity",
    unit_price="Unit price",
    vat_rate="VAT",
    net="Net",
    vat_breakdown="VAT rate",
    vat="VAT",
    net_total="Net total",
    vat_total="VAT",
    total="Total",
    reverse_charge=(
        "Reverse charge: VAT to be accounted for by the recipient "
        "(Article 196, Council Directive 2006/112/EC)."
    ),
    vat_treatment="VAT treatment",
    credit_note_for="This credit note corrects invoice {number}.",
    page="Page {page} of {pages}",
    continued="continued",
)

_DE: Final = Labels(
    invoice="Rechnung",
    quote="Angebot",
    credit_note="Rechnungskorrektur",
    number="Nummer",
    issue_date="Rechnungsdatum",
    service_period="Leistungszeitraum",
    supply_date="Leistungsdatum",
    due_date="Fällig am",
    valid_until="Gültig bis",
    corrects_invoice="Korrigiert Rechnung",
    credit_reason="Grund",
    reason_refund="Erstattung",
    reason_cancellation="Stornierung",
    reason_price_correction="Preiskorrektur",
    reason_other="Sonstiges",
    from_quote="Angebot",
    paid_on="Bezahlt am",
    status="Status",
    cancelled="storniert",
    refunded="erstattet",
    customer="Kunde",
    vat_id="USt-IdNr.",
    position="Pos.",
    description="Beschreibung",
    quantity="Menge",
    unit_price="Einzelpreis",
    vat_rate="USt.",
    net="Netto",
    vat_breakdown="USt.-Satz",
    vat="USt.",
    net_total="Nettobetrag",
    vat_total="Umsatzsteuer",
    total="Gesamtbetrag",
    reverse_charge=(
        "Reverse charge / Steuerschuldnerschaft des Leistungsempfängers: die Umsatzsteuer "
        "schuldet der Leistungsempfänger (Artikel 196, Richtlinie 2006/112/EG des Rates)."
    ),
    vat_treatment="Umsatzsteuerliche Behandlung",
    credit_note_for="Diese Rechnungskorrektur bezieht sich auf Rechnung {number}.",
    page="Seite {page} von {pages}",
    continued="Fortsetzung",
)

_RU: Final = Labels(
    invoice="Счёт",
    quote="Коммерческое предложение",
    credit_note="Кредит-нота",
    number="Номер",
    issue_date="Дата выставления",
    service_period="Период услуг",
    supply_date="Дата поставки",
    due_date="Оплатить до",
    valid_until="Действительно до",
    corrects_invoice="Корректирует счёт",
    credit_reason="Причина",
    reason_refund="Возврат средств",
    reason_cancellation="Отмена услуги",
    reason_price_correction="Корректировка цены",
    reason_other="Прочее",
    from_quote="Предложение",
    paid_on="Оплачено",
    status="Статус",
    cancelled="аннулирован",
    refunded="возвращён",
    customer="Клиент",
    vat_id="Номер НДС",
    position="№",
    description="Описание",
    quantity="Кол-во",
    unit_price="Цена за ед.",
    vat_rate="НДС",
    net="Без НДС",
    vat_breakdown="Ставка НДС",
    vat="НДС",
    net_total="Итого без НДС",
    vat_total="НДС",
    total="Итого",
    reverse_charge=(
        "Reverse charge / обратное начисление: НДС уплачивает получатель услуг "
        "(статья 196 Директивы Совета 2006/112/ЕС)."  # noqa: RUF001 (Cyrillic, meant)
    ),
    vat_treatment="Обоснование НДС",
    credit_note_for="Эта кредит-нота корректирует счёт {number}.",
    page="Страница {page} из {pages}",
    continued="продолжение",
)

#: labels by ISO 639-1 language code
LABELS: Final[Mapping[str, Labels]] = {"en": _EN, "de": _DE, "ru": _RU}
