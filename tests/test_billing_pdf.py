"""Invoice, quote and credit-note PDFs, read back with poppler's pdftotext and pdfinfo."""

from __future__ import annotations

import re
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from babel.dates import format_date, format_interval
from babel.numbers import format_percent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostlib.billing import vat
from hostlib.billing._pdf_labels import LABELS
from hostlib.billing._pdf_vat_wording import VAT_WORDING
from hostlib.billing.invoices import (
    CreditNote,
    CreditReason,
    Invoice,
    InvoiceLine,
    Party,
    Quote,
    document_from_dict,
)
from hostlib.billing.money import Money, UnitPrice
from hostlib.billing.pdf import DEFAULT_BOLD_FONT_PATH, PDF_LANGUAGES, render_pdf
from hostlib.billing.vat import VatRule
from hostlib.errors import BillingError, ValidationError

SELLER = Party(
    "Hostlib Hosting GmbH", ("Rechenzentrumstr. 1", "90402 Nürnberg"), "DE", "DE136695976", True
)
BUSINESS_FR = Party(
    "Exemple SARL", ("1 rue de la Paix", "75002 Paris"), "FR", "FR40303265045", True
)
CONSUMER_DE = Party("Erika Mustermann", ("Heidestr. 17", "51147 Köln"), "DE")
MARCH = (date(2025, 3, 1), date(2025, 3, 31))
ISSUED = date(2025, 4, 1)
LOCALES = ("en", "de", "ru")


# -- helpers ----------------------------------------------------------------------------


def _norm(text: str) -> str:
    """Collapse every run of whitespace (Babel's U+00A0, U+202F, U+2009 included)."""
    return re.sub(r"\s+", " ", text)


def pdftotext(data: bytes, page: int | None = None) -> str:
    pages = [] if page is None else ["-f", str(page), "-l", str(page)]
    out = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", *pages, "-", "-"],
        input=data,
        capture_output=True,
        check=True,
        timeout=30,
    )
    return _norm(out.stdout.decode("utf-8"))


def pdfinfo(data: bytes) -> dict[str, str]:
    out = subprocess.run(
        ["pdfinfo", "-"], input=data, capture_output=True, check=True, timeout=30
    ).stdout.decode("utf-8")
    info = {}
    for row in out.splitlines():
        key, _, value = row.partition(":")
        info[key.strip()] = value.strip()
    return info


def line(desc: str, qty: str, price: str, rate: str, **kw: Any) -> InvoiceLine:
    kw.setdefault("period", MARCH)
    return InvoiceLine(desc, Decimal(qty), UnitPrice(price, "EUR"), Decimal(rate), **kw)


def reverse_charge_invoice(lines: list[InvoiceLine] | None = None) -> Invoice:
    if lines is None:
        lines = [
            line("Dedicated server EX44", "1", "39.00", "0", unit="pcs"),
            line("Additional IPv4 address", "2", "1.70", "0"),
            line("Traffic over quota", "1234.5", "0.0045", "0", unit="GB"),
        ]
    decision = vat.decide(
        seller_country="DE",
        customer_country="FR",
        customer_vat_id="FR40303265045",
        on=ISSUED,
        is_business=True,
    )
    inv = Invoice.create(
        seller=SELLER, customer=BUSINESS_FR, currency="EUR", lines=lines, issue_date=ISSUED
    )
    return inv.with_vat_decision(decision).numbered("INV-2025-000041")


def domestic_invoice() -> Invoice:
    inv = Invoice.create(
        seller=SELLER,
        customer=CONSUMER_DE,
        currency="EUR",
        lines=[
            line("Dedicated server EX44", "1", "39.00", "19"),
            line("Backup space 100 GB", "3", "4.99", "19"),
            line("Printed manual", "1", "10.00", "7"),
        ],
        issue_date=ISSUED,
        vat_reason="Domestic sale: DE VAT applies.",
    )
    return inv.numbered(None)


def quote() -> Quote:
    return Quote(
        number="Q-2025-000007",
        issue_date=date(2025, 2, 20),
        valid_until=date(2025, 3, 20),
        seller=SELLER,
        customer=CONSUMER_DE,
        currency="EUR",
        lines=(line("Dedicated server EX44", "1", "39.00", "19"),),
    )


def many_lines(n: int) -> Invoice:
    return reverse_charge_invoice(
        [line(f"Dedicated server EX{100 + i}", "1", "39.00", "0") for i in range(n)]
    )


# -- what an invoice must carry ----------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_reverse_charge_invoice_carries_required_fields(locale: str) -> None:
    inv = reverse_charge_invoice()
    data = render_pdf(inv, locale=locale)
    text = pdftotext(data)
    labels = LABELS[locale]

    assert labels.invoice in text
    assert "INV-2025-000042" in text
    assert "DE136695976" in text
    assert "FR40303265045" in text
    assert _norm(format_date(ISSUED, "long", locale=locale)) in text
    assert _norm(format_date(date(2025, 4, 15), "long", locale=locale)) in text  # due date
    assert _norm(format_interval(*MARCH, "yMMMd", locale=locale)) in text
    totals = inv.totals
    assert totals.net == Money("47.96", "EUR")  # 39.00 + 3.40 + 5.56 (1234.5 GB)
    for amount in (totals.net, totals.vat, totals.gross):
        assert _norm(amount.format(locale)) in text
    # Line details: quantity with its unit, unit price finer than a cent, net.
    assert _norm(UnitPrice("0.0045", "EUR").format(locale)) in text
    assert _norm(Money("5.56", "EUR").format(locale)) in text
    # The fixed English marker in every language, next to the translation.
    assert "Reverse charge" in text
    translation = {"en": "accounted for by the recipient", "de": "Steuerschuldnerschaft"}
    translation["ru"] = "обратное начисление"
    assert translation[locale] in text
    # The VAT treatment in the account's language, with its citations.
    citation = {"en": "Art. 196", "de": "Art. 196", "ru": "ст. 196"}[locale]
    assert citation in text
    # Names, addresses, countries in the account's language.
    for expected in ("Hostlib Hosting GmbH", "Exemple SARL", "1 rue de la Paix", "75002 Paris"):
        assert expected in text
    country = {"en": "France", "de": "Frankreich", "ru": "Франция"}[locale]
    assert country in text

    info = pdfinfo(data)
    assert info["Pages"] == "1"
    assert info["Page size"] == "595.28 x 841.89 pts (A4)"
    assert info["Title"] == f"{labels.invoice} INV-2025-000042"


@pytest.mark.parametrize("locale", LOCALES)
def test_domestic_invoice_shows_net_and_vat_per_rate(locale: str) -> None:
    inv = domestic_invoice()
    text = pdftotext(render_pdf(inv, locale=locale))
    by_rate = {r.rate: r for r in inv.totals.by_rate}
    assert by_rate[Decimal(7)].vat == Money("0.70", "EUR")
    assert by_rate[Decimal(19)].net == Money("53.97", "EUR")
    assert by_rate[Decimal(19)].vat == Money("10.25", "EUR")
    for rate_total in inv.totals.by_rate:
        assert _norm(rate_total.net.format(locale)) in text
        assert _norm(rate_total.vat.format(locale)) in text
    assert inv.totals.gross == Money("74.92", "EUR")  # 63.97 + 10.95
    assert _norm(Money("74.92", "EUR").format(locale)) in text
    # pdftotext sometimes drops the no-break space of "7 %" (glyph spacing
    # heuristics), so the rates are compared without whitespace.
    squashed = text.replace(" ", "")
    for rate in ("0.19", "0.07"):
        assert format_percent(Decimal(rate), locale=locale).replace("\xa0", "") in squashed
    assert "Reverse charge" not in text
    assert "Domestic sale: DE VAT applies." in text
    assert "INV-2025-000001" in text
    assert "Erika Mustermann" in text


def test_quote_and_credit_note_render_with_their_own_titles() -> None:
    q = quote()
    for locale in LOCALES:
        labels = LABELS[locale]
        text = pdftotext(render_pdf(q, locale=locale))
        assert labels.quote in text
        assert labels.valid_until in text
        assert _norm(format_date(date(2025, 3, 20), "long", locale=locale)) in text
        assert "Q-2025-000007" in text
        assert labels.due_date not in text
        assert _norm(Money("46.41", "EUR").format(locale)) in text

    paid = reverse_charge_invoice().mark_paid(date(2025, 4, 10))
    _, note = paid.refund(number="CN-2025-000003", issue_date=date(2025, 4, 20))
    assert isinstance(note, CreditNote)
    for locale in LOCALES:
        labels = LABELS[locale]
        data = render_pdf(note, locale=locale)
        text = pdftotext(data)
        assert labels.credit_note in text
        assert "CN-2025-000003" in text
        assert labels.corrects_invoice in text
        assert "INV-2025-000042" in text  # the invoice it corrects
        assert _norm(Money("-47.96", "EUR").format(locale)) in text
        assert "Reverse charge" in text
        assert pdfinfo(data)["Pages"] == "1"


def test_german_credit_note_is_not_called_gutschrift() -> None:
    # "Gutschrift" is a self-billed invoice in German VAT law (section 14(2) UStG).
    paid = domestic_invoice().mark_paid(date(2025, 4, 2))
    _, note = paid.refund(number="CN-2025-000001", issue_date=date(2025, 4, 3))
    text = pdftotext(render_pdf(note, locale="de"))
    assert "Rechnungskorrektur" in text
    assert "Gutschrift" not in text


def test_regional_locale_uses_language_labels_and_regional_formats() -> None:
    text = pdftotext(render_pdf(domestic_invoice(), locale="de_CH"))
    assert "Rechnung" in text
    assert _norm(Money("74.92", "EUR").format("de_CH")) in text


# -- pages ----------------------------------------------------------------------------


def test_twenty_five_lines_fit_one_page() -> None:
    data = render_pdf(many_lines(25))
    text = pdftotext(data)
    assert pdfinfo(data)["Pages"] == "1"
    assert "Dedicated server EX124" in text
    assert "Page 1 of 1" in text
    assert _norm(Money("975.00", "EUR").format("en")) in text


@pytest.mark.parametrize(("count", "pages"), [(60, 2), (120, 3)])
def test_long_invoices_continue_with_the_header_repeated(count: int, pages: int) -> None:
    inv = many_lines(count)
    data = render_pdf(inv, locale="de")
    assert pdfinfo(data)["Pages"] == str(pages)
    labels = LABELS["de"]
    total = _norm(inv.totals.gross.format("de"))
    seen: list[str] = []
    for page in range(1, pages + 1):
        text = pdftotext(data, page)
        assert "INV-2025-000042" in text
        assert f"{labels.description} {labels.quantity} {labels.unit_price}" in text
        assert labels.page.format(page=page, pages=pages) in text
        if page > 1:
            assert labels.continued in text
        seen += re.findall(r"Dedicated server EX(\d+)", text)
        assert (total in text) == (page == pages)  # totals only after the last line
    assert seen == [str(100 + i) for i in range(count)]  # every line once, in order


def test_totals_move_to_a_new_page_rather_than_split() -> None:
    # Enough lines to fill page 1 but leave no room for the totals block.
    for count in range(30, 45):
        data = render_pdf(many_lines(count))
        if pdfinfo(data)["Pages"] == "2":
            last = pdftotext(data, 2)
            assert "Net total" in last
            assert "Total" in last
            assert "Reverse charge" in last
            assert "Net total" not in pdftotext(data, 1)
            return
    pytest.fail("no line count from 30 to 44 spilled onto a second page")


def test_wrapped_description_and_own_period_are_printed_whole() -> None:
    long = "Managed Kubernetes cluster with three control-plane nodes and premium support"
    inv = reverse_charge_invoice(
        [
            line(long, "1", "199.00", "0"),
            line("Setup fee", "1", "50.00", "0", period=(date(2025, 3, 15), date(2025, 3, 15))),
            line("Storage", "1", "5.00", "0"),
        ]
    )
    text = pdftotext(render_pdf(inv))
    for word in long.split():
        assert word in text
    assert "March 15, 2025" in text  # the setup line's own date, not the document's span


def test_description_longer_than_a_page_is_refused() -> None:
    inv = reverse_charge_invoice([line("word " * 3000, "1", "1.00", "0")])
    with pytest.raises(ValidationError, match="too long to fit"):
        render_pdf(inv)


# -- determinism ---------------------------------------------------------------------


def test_same_document_renders_byte_identical() -> None:
    inv = reverse_charge_invoice()
    first = render_pdf(inv, locale="ru")
    assert render_pdf(inv, locale="ru") == first
    assert first.startswith(b"%PDF-")
    assert pdfinfo(first)["CreationDate"].startswith("Tue Apr  1 00:00:00 2025")
    assert render_pdf(inv, locale="de") != first


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    quantity=st.decimals(min_value=0, max_value=10_000, places=3),
    cents=st.integers(min_value=0, max_value=10_000_000),
    locale=st.sampled_from(LOCALES),
)
def test_any_amount_is_printed_as_babel_formats_it(
    quantity: Decimal, cents: int, locale: str
) -> None:
    price = Money.from_minor(cents, "EUR")
    inv = reverse_charge_invoice([line("Service", str(quantity), str(price.amount), "0")])
    text = pdftotext(render_pdf(inv, locale=locale))
    assert _norm(inv.totals.gross.format(locale)) in text
    assert _norm(price.format(locale)) in text


# -- fonts and bad input ----------------------------------------------------------------


def test_missing_font_names_the_package_to_install(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="fonts-dejavu-core") as err:
        render_pdf(domestic_invoice(), font_path=tmp_path / "nope.ttf")
    assert "nope.ttf" in str(err.value)
    with pytest.raises(ValidationError, match="fonts-dejavu-core"):
        render_pdf(domestic_invoice(), bold_font_path=tmp_path / "nope-bold.ttf")


def test_a_file_that_is_not_a_font_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.ttf"
    bogus.write_bytes(b"this is not a font")
    with pytest.raises(ValidationError, match="could not be loaded as a TrueType font"):
        render_pdf(domestic_invoice(), font_path=bogus)


def test_caller_font_is_embedded() -> None:
    serif = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"
    data = render_pdf(domestic_invoice(), locale="ru", font_path=serif)
    fonts = subprocess.run(
        ["pdffonts", "-"], input=data, capture_output=True, check=True, timeout=30
    ).stdout.decode()
    assert "DejaVuSerif" in fonts
    assert "DejaVuSans" not in fonts
    data = render_pdf(domestic_invoice(), font_path=serif, bold_font_path=DEFAULT_BOLD_FONT_PATH)
    assert (
        "DejaVuSansBold"
        in subprocess.run(
            ["pdffonts", "-"], input=data, capture_output=True, check=True, timeout=30
        ).stdout.decode()
    )


def test_characters_the_font_lacks_are_refused() -> None:
    customer = Party("株式会社テスト", ("1-1 Chiyoda", "Tokyo"), "JP")
    inv = Invoice.create(
        seller=SELLER,
        customer=customer,
        currency="EUR",
        lines=[line("Server", "1", "10.00", "0")],
        issue_date=ISSUED,
    ).numbered(None)
    with pytest.raises(ValidationError, match=r"no glyph for .*U\+682A"):
        render_pdf(inv)


def test_unnumbered_invoice_is_not_printed() -> None:
    draft = Invoice.create(
        seller=SELLER,
        customer=CONSUMER_DE,
        currency="EUR",
        lines=[line("Server", "1", "10.00", "19")],
        issue_date=ISSUED,
    )
    with pytest.raises(BillingError, match="number it"):
        render_pdf(draft)


@pytest.mark.parametrize("locale", ["xx_YY", "fr", "", "zh_Hans"])
def test_unknown_or_untranslated_locale_is_refused(locale: str) -> None:
    with pytest.raises(ValidationError, match="locale"):
        render_pdf(domestic_invoice(), locale=locale)


def test_not_a_document_is_refused() -> None:
    with pytest.raises(ValidationError, match="Invoice, Quote or CreditNote"):
        render_pdf("invoice.json")  # type: ignore[arg-type]


def test_every_language_has_every_label_filled() -> None:
    assert PDF_LANGUAGES == ("de", "en", "ru")
    for labels in LABELS.values():
        for name, value in attrs.asdict(labels).items():
            assert value.strip(), name
        assert labels.reverse_charge.startswith("Reverse charge")
        assert "{number}" in labels.credit_note_for
        assert "{page}" in labels.page
        assert "{pages}" in labels.page


def test_notes_longer_than_a_page_flow_onto_further_pages() -> None:
    notes = tuple(f"Note {i}: " + "terms and conditions apply " * 12 for i in range(40))
    inv = Invoice.create(
        seller=SELLER,
        customer=CONSUMER_DE,
        currency="EUR",
        lines=[line("Server", "1", "10.00", "19")],
        issue_date=ISSUED,
        notes=notes,
    ).numbered(None)
    data = render_pdf(inv)
    pages = int(pdfinfo(data)["Pages"])
    assert pages >= 2
    text = pdftotext(data)
    assert re.findall(r"Note (\d+):", text) == [str(i) for i in range(40)]
    for page in range(1, pages + 1):
        assert f"Page {page} of {pages}" in pdftotext(data, page)


def test_invoice_from_quote_shows_quote_supply_date_and_payment() -> None:
    _, inv = quote().to_invoice(number="INV-2025-000010", on=date(2025, 3, 1))
    inv = attrs.evolve(inv, supply_date=date(2025, 3, 2)).mark_paid(date(2025, 3, 5))
    for locale in LOCALES:
        labels = LABELS[locale]
        text = pdftotext(render_pdf(inv, locale=locale))
        assert f"{labels.from_quote} Q-2025-000007" in text
        assert (
            f"{labels.supply_date} {_norm(format_date(date(2025, 3, 2), 'long', locale=locale))}"
            in text
        )
        assert (
            f"{labels.paid_on} {_norm(format_date(date(2025, 3, 5), 'long', locale=locale))}"
            in text
        )
    cancelled = reverse_charge_invoice().cancel()
    assert "Status cancelled" in pdftotext(render_pdf(cancelled))


# -- VAT treatment and credit reasons in the account's language ------------------------------

CONSUMER_AT = Party("Max Muster", ("Ringstr. 1", "1010 Wien"), "AT")
BUSINESS_US = Party("Example Inc.", ("1 Main St", "Springfield, IL 62701"), "US", None, True)
SELLER_CH = Party("Hostlib Hosting AG", ("Bahnhofstr. 1", "8001 Zürich"), "CH", "CHE123", True)

# Sentences only vat.decide's English reasons contain, never the printed wordings.
ENGLISH_REASONS = (
    "the customer is a business in",
    "the customer accounts for the VAT there",
    "electronically supplied services to a non-taxable person",
    "Domestic sale:",
    "the customer is in US",
    "no VAT jurisdiction is registered",
)


def decided(seller: Party, customer: Party, on: date = ISSUED, rate: str = "19") -> Invoice:
    decision = vat.decide(
        seller_country=seller.country,
        customer_country=customer.country,
        customer_vat_id=customer.vat_id,
        on=on,
        is_business=customer.is_business,
    )
    lines = [
        line("Dedicated server EX44", "1", "39.00", rate, period=(on.replace(day=1), on)),
        line("Backup space 100 GB", "3", "4.99", rate, period=(on.replace(day=1), on)),
    ]
    inv = Invoice.create(
        seller=seller, customer=customer, currency="EUR", lines=lines, issue_date=on
    )
    return inv.with_vat_decision(decision).numbered(None)


def assert_no_english_reason(text: str) -> None:
    for sentence in ENGLISH_REASONS:
        assert sentence not in text


@pytest.mark.parametrize("locale", ["de", "ru"])
def test_reverse_charge_treatment_is_translated(locale: str) -> None:
    inv = reverse_charge_invoice()
    assert inv.vat_rule is VatRule.REVERSE_CHARGE
    assert "the customer is a business in" in inv.vat_reason  # the stored audit record
    text = pdftotext(render_pdf(inv, locale=locale))
    assert_no_english_reason(text)
    assert "Reverse charge" in text  # the fixed marker stays
    expected = {
        "de": (
            "Umsatzsteuerliche Behandlung: Leistungsort: Frankreich, Sitz des "
            "Leistungsempfängers (Art. 44 der Richtlinie 2006/112/EG des Rates); die Steuer "
            "schuldet der Leistungsempfänger (Art. 196), daher wird keine Umsatzsteuer "
            "berechnet."
        ),
        "ru": (
            "Обоснование НДС: Место оказания услуг: Франция, место нахождения получателя "
            "(ст. 44 Директивы Совета 2006/112/ЕС); НДС уплачивает получатель (ст. 196), "  # noqa: RUF001
            "поэтому НДС не начисляется."
        ),
    }[locale]
    assert expected in text


@pytest.mark.parametrize("locale", LOCALES)
def test_oss_consumer_treatment_is_translated(locale: str) -> None:
    inv = decided(SELLER, CONSUMER_AT, rate="20")
    assert (inv.vat_rule, inv.vat_country) == (VatRule.EU_CONSUMER, "AT")
    assert inv.totals.vat == Money("10.79", "EUR")  # 53.97 x 20 % = 10.794
    text = pdftotext(render_pdf(inv, locale=locale))
    assert_no_english_reason(text)
    assert "Reverse charge" not in text
    austria = {"en": "Austria", "de": "Österreich", "ru": "Австрия"}[locale]
    expected = {
        "en": (
            f"VAT treatment: Supply to a consumer in {austria}: taxed where the customer lives "
            "(Art. 58 of Council Directive 2006/112/EC); VAT of Austria charged at the rates "
            "shown and declared through the One-Stop Shop (Union scheme, Art. 369a-369k)."
        ),
        "de": (
            f"Leistung an einen Verbraucher in {austria}: steuerbar am Wohnsitz des "
            "Leistungsempfängers (Art. 58 der Richtlinie 2006/112/EG des Rates)"
        ),
        "ru": f"Услуги потребителю, страна: {austria}; облагаются по месту жительства клиента",
    }[locale]
    assert expected in text
    assert _norm(Money("10.79", "EUR").format(locale)) in text


def test_consumer_supplies_before_july_2021_cite_the_mini_one_stop_shop() -> None:
    inv = decided(SELLER, CONSUMER_AT, on=date(2021, 6, 30), rate="20")
    text = pdftotext(render_pdf(inv, locale="de"))
    assert "Mini-One-Stop-Shop (MOSS" in text
    text = pdftotext(render_pdf(decided(SELLER, CONSUMER_AT, on=date(2021, 7, 1), rate="20")))
    assert "through the One-Stop Shop (Union scheme" in text


@pytest.mark.parametrize(
    ("seller", "customer", "rate", "rule", "words"),
    [
        (SELLER, CONSUMER_DE, "19", VatRule.DOMESTIC, ("Art. 58", "Deutschland", "ст. 58")),
        (
            SELLER,
            BUSINESS_US,
            "0",
            VatRule.OUTSIDE_EU,
            ("Art. 44", "Vereinigte Staaten", "Соединенные Штаты"),
        ),
        (SELLER, Party("Jane Doe", ("1 Main St",), "US"), "0", VatRule.OUTSIDE_EU, ("Art. 59",)),
        (SELLER_CH, CONSUMER_DE, "0", VatRule.NOT_REGISTERED, ("Schweiz", "Швейцария")),
    ],
)
def test_every_rule_has_a_wording_in_every_language(
    seller: Party, customer: Party, rate: str, rule: VatRule, words: tuple[str, ...]
) -> None:
    inv = decided(seller, customer, rate=rate)
    assert inv.vat_rule is rule
    seen = ""
    for locale in LOCALES:
        text = pdftotext(render_pdf(inv, locale=locale))
        assert_no_english_reason(text)
        assert f"{LABELS[locale].vat_treatment}: " in text
        seen += text
    for word in words:
        assert word in seen


def test_wordings_are_complete_in_every_language() -> None:
    assert sorted(VAT_WORDING) == sorted(LABELS)
    for wording in VAT_WORDING.values():
        for name, value in attrs.asdict(wording).items():
            assert "{country}" in value, name
            assert "2006/112/" in value or name == "not_registered", name


def test_hand_built_document_without_rule_prints_its_reason() -> None:
    inv = domestic_invoice()
    assert inv.vat_rule is None
    for locale in LOCALES:
        text = pdftotext(render_pdf(inv, locale=locale))
        assert f"{LABELS[locale].vat_treatment}: Domestic sale: DE VAT applies." in text


def test_jurisdiction_decisions_print_the_reason_they_wrote() -> None:
    decision = vat.VatDecision(
        Decimal("0"),
        False,
        "Swiss MWST: export of services, 0 % (Art. 8 MWSTG).",
        rule=VatRule.JURISDICTION,
        country=None,
        on=ISSUED,
    )
    inv = Invoice.create(
        seller=SELLER_CH,
        customer=CONSUMER_DE,
        currency="EUR",
        lines=[line("Server", "1", "10.00", "0")],
        issue_date=ISSUED,
    )
    inv = inv.with_vat_decision(decision).numbered(None)
    assert "Art. 8 MWSTG" in pdftotext(render_pdf(inv, locale="ru"))
    # An EU rule name from a seller outside the EU is not given the EU wording either.
    odd = attrs.evolve(inv, vat_rule=VatRule.DOMESTIC, vat_country="CH")
    text = pdftotext(render_pdf(odd, locale="de"))
    assert "Art. 8 MWSTG" in text
    assert "2006/112" not in text


def test_treatment_survives_the_json_round_trip() -> None:
    inv = reverse_charge_invoice()
    back = document_from_dict(inv.to_dict())
    assert render_pdf(back, locale="de") == render_pdf(inv, locale="de")
    assert "Leistungsort: Frankreich" in pdftotext(render_pdf(back, locale="de"))


@pytest.mark.parametrize(
    ("code", "text", "expected"),
    [
        (CreditReason.REFUND, "", {"en": "Refund", "de": "Erstattung", "ru": "Возврат средств"}),
        (
            CreditReason.CANCELLATION,
            "",
            {"en": "Cancellation", "de": "Stornierung", "ru": "Отмена услуги"},
        ),
        (
            CreditReason.PRICE_CORRECTION,
            "",
            {"en": "Price correction", "de": "Preiskorrektur", "ru": "Корректировка цены"},
        ),
        (
            CreditReason.OTHER,
            "Kulanz 03/2025",
            {
                "en": "Other: Kulanz 03/2025",
                "de": "Sonstiges: Kulanz 03/2025",
                "ru": "Прочее: Kulanz 03/2025",
            },
        ),
    ],
)
def test_credit_note_reason_is_translated(
    code: CreditReason, text: str, expected: dict[str, str]
) -> None:
    paid = reverse_charge_invoice().mark_paid(date(2025, 4, 10))
    _, note = paid.refund(
        number="CN-2025-000003", issue_date=date(2025, 4, 20), reason_code=code, reason=text
    )
    for locale in LOCALES:
        printed = pdftotext(render_pdf(note, locale=locale))
        assert f"{LABELS[locale].credit_reason} {expected[locale]}" in printed
        if locale != "en":
            assert "Refund" not in printed
            assert_no_english_reason(printed)


def test_credit_note_free_text_is_printed_after_the_code() -> None:
    paid = reverse_charge_invoice().mark_paid(date(2025, 4, 10))
    _, note = paid.refund(
        number="CN-2025-000003",
        issue_date=date(2025, 4, 20),
        reason_code=CreditReason.CANCELLATION,
        reason="Server innerhalb von 14 Tagen zurückgegeben",
    )
    printed = pdftotext(render_pdf(note, locale="de"))
    # The meta column wraps it; pdftotext -layout reads the value's two lines apart.
    assert "Grund Stornierung: Server innerhalb" in printed
    assert "von 14 Tagen zurückgegeben" in printed
    assert pdfinfo(render_pdf(note, locale="de"))["Pages"] == "1"
