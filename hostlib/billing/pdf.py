"""Invoices, quotes and credit notes as A4 PDF documents (returned as bytes).

``render_pdf(document, locale="de")`` lays out every field Article 226 of
Council Directive 2006/112/EC requires: document type and sequential number,
issue date, service period (and date of supply where set), seller and
customer with names, addresses and VAT IDs, each line's description,
quantity, unit price, VAT rate and net amount, net and VAT per rate, the
totals, the due date of an invoice, the reverse-charge wording and the VAT
treatment where they apply, and for a credit note the invoice it corrects
and why.

Labels are translated (en, de, ru: :data:`PDF_LANGUAGES`); dates, numbers,
percentages and money are formatted by Babel for the full locale given
(``"de_AT"`` uses German labels and Austrian formats). The VAT treatment is
written from the document's ``vat_rule`` in the same language, with its
article citations (``_pdf_vat_wording``); the English ``vat_reason`` is
printed only when no rule is known (documents built by hand, non-EU
jurisdictions). A credit note's reason code is translated; its free text is
printed as written.

Layout: a typical invoice (up to about 25 one-line items) fits one page.
Longer documents continue on further pages; each continuation page repeats
the seller, the document title and number, and the column headings, and
every page carries "page n of N". Totals, the VAT breakdown and the notes
come after the last line, never split across pages (only notes too long
for one page flow on). A credit note prints its lines as reversed: negative
unit prices and net amounts, matching its negative totals.

Rendering is pure: the only input read is the TrueType font (DejaVu Sans by
default, Debian package ``fonts-dejavu-core``; Cyrillic needs a Unicode
font). Output is deterministic: the PDF's creation date is the document's
issue date, so the same document renders to the same bytes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from os import PathLike
from pathlib import Path
from typing import Final

import attrs
from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_interval
from babel.numbers import format_decimal, format_percent
from fpdf import FPDF
from fpdf.enums import MethodReturnValue

from hostlib.billing._pdf_labels import LABELS, Labels
from hostlib.billing._pdf_vat_wording import vat_treatment
from hostlib.billing.invoices import (
    CreditNote,
    CreditReason,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Party,
    Quote,
)
from hostlib.billing.money import Money, UnitPrice
from hostlib.errors import BillingError, ValidationError

__all__ = [
    "DEFAULT_BOLD_FONT_PATH",
    "DEFAULT_FONT_PATH",
    "PDF_LANGUAGES",
    "render_pdf",
]

#: DejaVu Sans from Debian's ``fonts-dejavu-core`` (Latin, Greek, Cyrillic)
DEFAULT_FONT_PATH: Final = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
DEFAULT_BOLD_FONT_PATH: Final = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
#: languages with translated labels (ISO 639-1)
PDF_LANGUAGES: Final = tuple(sorted(LABELS))

_FONT_PACKAGE: Final = "fonts-dejavu-core"
_FAMILY: Final = "hostlibsans"

# Geometry in PostScript points (1/72 inch), all integers. A4 is 595.28 x 841.89.
_LEFT: Final = 42
_WIDTH: Final = 511
_RIGHT: Final = _LEFT + _WIDTH
_TOP: Final = 40
_BOTTOM: Final = 792  # content ends above this; the footer sits below
_FOOTER_Y: Final = 806
_CELL_MARGIN: Final = 2
_PARTY_WIDTH: Final = 250
_META_X: Final = 300
_META_LABEL_W: Final = 105
_META_VALUE_W: Final = _RIGHT - _META_X - _META_LABEL_W
# Line table columns: position, description, quantity, unit price, VAT rate, net.
_COLUMNS: Final = (26, 181, 78, 80, 46, 100)
_ROW_LINE: Final = 11
_ROW_PAD: Final = 2
_DETAIL_LINE: Final = 9
_NOTE_LINE: Final = 10
_GREY: Final = 90
_RULE_GREY: Final = 200
_FILL_GREY: Final = 236

Document = Invoice | Quote | CreditNote


@attrs.frozen
class _Row:
    position: str
    description: str
    detail: str  # the line's own period when it differs from the document's
    quantity: str
    unit_price: str
    vat_rate: str
    net: str


@attrs.frozen
class _Content:
    """Every text of the PDF, formatted for the locale; the layout only places them."""

    title: str
    number: str
    meta: tuple[tuple[str, str], ...]
    seller_name: str
    seller_lines: tuple[str, ...]
    customer_label: str
    customer_name: str
    customer_lines: tuple[str, ...]
    headings: tuple[str, ...]
    rows: tuple[_Row, ...]
    breakdown_headings: tuple[str, str, str]
    breakdown: tuple[tuple[str, str, str], ...]
    totals: tuple[tuple[str, str], ...]  # the last one is the grand total
    notes: tuple[str, ...]
    footer: str
    page: str  # "{page}" and "{pages}" filled in per page
    continued: str
    language: str
    created: datetime


def render_pdf(
    document: Document,
    *,
    locale: str = "en",
    font_path: str | PathLike[str] | None = None,
    bold_font_path: str | PathLike[str] | None = None,
) -> bytes:
    """Render an invoice, quote or credit note as A4 PDF bytes.

    Args:
        document: an :class:`Invoice` (numbered), :class:`Quote` or
            :class:`CreditNote`.
        locale: the account's CLDR locale ("en", "de", "ru", "de_AT", ...);
            its language picks the labels, the full locale the formats.
        font_path: a TrueType font covering every character printed
            (default DejaVu Sans).
        bold_font_path: its bold face; defaults to DejaVu Sans Bold, or to
            ``font_path`` itself when only that is given.

    Returns:
        The PDF file's bytes; the same input gives the same bytes.

    Raises:
        ValidationError: an unknown locale or one without labels, a missing
            or unreadable font, a character the font has no glyph for, or a
            line too long to fit on a page.
        BillingError: an invoice without a number (number it first).
    """
    labels, language = _labels(locale)
    content = _content(document, labels, locale, language)
    regular, bold = _font_paths(font_path, bold_font_path)
    return _Layout(content, regular, bold).render()


# -- content ------------------------------------------------------------------------


def _labels(locale: object) -> tuple[Labels, str]:
    if not isinstance(locale, str):
        raise ValidationError(f"locale {locale!r} must be a string such as 'en', 'de', 'ru'")
    try:
        language = Locale.parse(locale.replace("-", "_")).language
    except (UnknownLocaleError, ValueError, TypeError) as exc:
        raise ValidationError(
            f"locale {locale!r} is unknown: give a CLDR locale such as 'en', 'de', 'ru'"
        ) from exc
    if language not in LABELS:
        raise ValidationError(
            f"PDF labels for language {language!r} (locale {locale!r}) do not exist yet: use "
            f"one of {', '.join(PDF_LANGUAGES)}, or add a Labels entry in "
            "hostlib/billing/_pdf_labels.py"
        )
    return LABELS[language], language


def _day(value: date, locale: str) -> str:
    return format_date(value, "long", locale=locale)


def _span(period: tuple[date, date], locale: str) -> str:
    start, end = period
    if start == end:
        return _day(start, locale)
    return str(format_interval(start, end, "yMMMd", locale=locale))


def _credit_reason(note: CreditNote, labels: Labels) -> str:
    name = {
        CreditReason.REFUND: labels.reason_refund,
        CreditReason.CANCELLATION: labels.reason_cancellation,
        CreditReason.PRICE_CORRECTION: labels.reason_price_correction,
        CreditReason.OTHER: labels.reason_other,
    }[note.reason_code]
    return f"{name}: {note.reason}" if note.reason else name


def _percent(rate: Decimal, locale: str) -> str:
    # rate is in percent; scaleb(-2) moves the decimal point exactly, no rounding.
    return format_percent(rate.scaleb(-2), locale=locale, decimal_quantization=False)


def _party_lines(party: Party, labels: Labels, locale: str) -> tuple[str, ...]:
    country = Locale.parse(locale.replace("-", "_")).territories.get(party.country, party.country)
    lines = [*party.address, country]
    if party.vat_id is not None:
        lines.append(f"{labels.vat_id}: {party.vat_id}")
    return tuple(lines)


def _rows(
    lines: tuple[InvoiceLine, ...],
    period: tuple[date, date] | None,
    locale: str,
    sign: int,
) -> tuple[_Row, ...]:
    rows = []
    for index, line in enumerate(lines, start=1):
        quantity = format_decimal(line.quantity, locale=locale, decimal_quantization=False)
        if line.unit:
            quantity = f"{quantity} {line.unit}"
        price = line.unit_price
        net = line.net
        if sign < 0:
            # A credit note reverses the lines: negative prices and amounts.
            price = UnitPrice(-price.amount, price.currency)
            net = -net
        detail = ""
        if line.period is not None and line.period != period:
            detail = _span(line.period, locale)
        rows.append(
            _Row(
                position=str(index),
                description=line.description,
                detail=detail,
                quantity=quantity,
                unit_price=price.format(locale),
                vat_rate=_percent(line.vat_rate, locale),
                net=net.format(locale),
            )
        )
    return tuple(rows)


def _content(document: object, labels: Labels, locale: str, language: str) -> _Content:
    if isinstance(document, Invoice):
        if document.number is None:
            raise BillingError(
                "an invoice without a number cannot be printed (Art. 226(2), Directive "
                "2006/112/EC requires a sequential number): number it with "
                "invoice.numbered(last) first"
            )
        title, number = labels.invoice, document.number
    elif isinstance(document, Quote):
        title, number = labels.quote, document.number
    elif isinstance(document, CreditNote):
        title, number = labels.credit_note, document.number
    else:
        raise ValidationError(
            f"{type(document).__name__} cannot be rendered: give an Invoice, Quote or CreditNote"
        )

    period = document.service_period
    meta: list[tuple[str, str]] = [
        (labels.number, number),
        (labels.issue_date, _day(document.issue_date, locale)),
    ]
    if period is not None:
        meta.append((labels.service_period, _span(period, locale)))
    notes: list[str] = []
    if isinstance(document, Invoice):
        if document.supply_date is not None:
            meta.append((labels.supply_date, _day(document.supply_date, locale)))
        meta.append((labels.due_date, _day(document.due_date, locale)))
        if document.quote_number is not None:
            meta.append((labels.from_quote, document.quote_number))
        if document.paid_on is not None:
            meta.append((labels.paid_on, _day(document.paid_on, locale)))
        if document.status is InvoiceStatus.CANCELLED:
            meta.append((labels.status, labels.cancelled))
        elif document.status is InvoiceStatus.REFUNDED:
            meta.append((labels.status, labels.refunded))
    elif isinstance(document, Quote):
        meta.append((labels.valid_until, _day(document.valid_until, locale)))
    else:
        meta.append((labels.corrects_invoice, document.invoice_number))
        meta.append((labels.credit_reason, _credit_reason(document, labels)))
        notes.append(labels.credit_note_for.format(number=document.invoice_number))

    if document.reverse_charge:
        notes.append(labels.reverse_charge)
    treatment = vat_treatment(document, language, locale) or document.vat_reason
    if treatment:
        notes.append(f"{labels.vat_treatment}: {treatment}")
    if isinstance(document, Invoice):
        notes.extend(document.notes)

    totals = document.totals
    money = Money.format
    seller = document.seller
    footer = seller.name if seller.vat_id is None else f"{seller.name} · {seller.vat_id}"
    return _Content(
        title=title,
        number=number,
        meta=tuple(meta),
        seller_name=seller.name,
        seller_lines=_party_lines(seller, labels, locale),
        customer_label=labels.customer,
        customer_name=document.customer.name,
        customer_lines=_party_lines(document.customer, labels, locale),
        headings=(
            labels.position,
            labels.description,
            labels.quantity,
            labels.unit_price,
            labels.vat_rate,
            labels.net,
        ),
        rows=_rows(document.lines, period, locale, -1 if isinstance(document, CreditNote) else 1),
        breakdown_headings=(labels.vat_breakdown, labels.net, labels.vat),
        breakdown=tuple(
            (_percent(r.rate, locale), money(r.net, locale), money(r.vat, locale))
            for r in totals.by_rate
        ),
        totals=(
            (labels.net_total, money(totals.net, locale)),
            (labels.vat_total, money(totals.vat, locale)),
            (labels.total, money(totals.gross, locale)),
        ),
        notes=tuple(notes),
        footer=footer,
        page=labels.page,
        continued=labels.continued,
        language=language,
        created=datetime.combine(document.issue_date, time(0), tzinfo=UTC),
    )


# -- fonts ----------------------------------------------------------------------------


def _font_paths(
    font_path: str | PathLike[str] | None, bold_font_path: str | PathLike[str] | None
) -> tuple[Path, Path]:
    regular = Path(DEFAULT_FONT_PATH if font_path is None else font_path)
    if bold_font_path is not None:
        bold = Path(bold_font_path)
    else:
        bold = Path(DEFAULT_BOLD_FONT_PATH) if font_path is None else regular
    for path in dict.fromkeys((regular, bold)):
        if not path.is_file():
            raise ValidationError(
                f"PDF font {str(path)!r} does not exist: install the Debian package "
                f"{_FONT_PACKAGE} (apt-get install {_FONT_PACKAGE}) for the default DejaVu "
                "Sans, or pass font_path= (and bold_font_path=) to a TrueType font"
            )
    return regular, bold


# -- layout ---------------------------------------------------------------------------


class _Pdf(FPDF):
    """FPDF with the document's footer on every page."""

    def __init__(self, footer_text: str, page_text: str) -> None:
        super().__init__(orientation="P", unit="pt", format="A4")
        self._footer_text = footer_text
        self._page_text = page_text

    def footer(self) -> None:
        self.set_draw_color(_RULE_GREY)
        self.set_line_width(1)
        self.line(_LEFT, _FOOTER_Y - 4, _RIGHT, _FOOTER_Y - 4)
        self.set_font(_FAMILY, "", 7)
        self.set_text_color(_GREY)
        self.set_xy(_LEFT, _FOOTER_Y)
        self.cell(_WIDTH - 120, 10, self._footer_text)
        self.set_xy(_RIGHT - 120, _FOOTER_Y)
        page = self._page_text.format(page=self.page_no(), pages=self.str_alias_nb_pages)
        self.cell(120, 10, page, align="R")


class _Layout:
    """Places a :class:`_Content` on pages; ``y`` is the cursor in whole points."""

    def __init__(self, content: _Content, regular: Path, bold: Path) -> None:
        self.content = content
        pdf = _Pdf(content.footer, content.page)
        pdf.set_auto_page_break(False)
        pdf.set_margins(_LEFT, _TOP, _LEFT)
        pdf.c_margin = _CELL_MARGIN
        pdf.set_creation_date(content.created)
        pdf.set_title(f"{content.title} {content.number}")
        pdf.set_author(content.seller_name)
        pdf.set_subject(f"{content.title} {content.number}")
        pdf.set_creator("hostlib")
        pdf.set_lang(content.language)
        for style, path in (("", regular), ("B", bold)):
            try:
                pdf.add_font(_FAMILY, style, str(path))
            except Exception as exc:  # fontTools raises many types for a bad file
                raise ValidationError(
                    f"PDF font {str(path)!r} could not be loaded as a TrueType font "
                    f"({type(exc).__name__}): pass a .ttf file, e.g. DejaVu Sans from the "
                    f"Debian package {_FONT_PACKAGE}"
                ) from exc
        self.pdf = pdf
        self.y = _TOP

    # -- primitives ----------------------------------------------------------------

    def _font(self, size: int, *, bold: bool = False, grey: bool = False) -> None:
        self.pdf.set_font(_FAMILY, "B" if bold else "", size)
        self.pdf.set_text_color(_GREY if grey else 0)

    def _wrap(self, text: str, width: int) -> list[str]:
        """Lines of ``text`` broken to ``width`` in the current font."""
        result = self.pdf.multi_cell(
            width, _ROW_LINE, text, dry_run=True, output=MethodReturnValue.LINES
        )
        if not isinstance(result, list) or not result:
            return [text]
        return [str(line) for line in result]

    def _text(self, x: int, y: int, width: int, height: int, text: str, align: str = "L") -> None:
        self.pdf.set_xy(x, y)
        self.pdf.cell(width, height, text, align=align)

    def _rule(self, x1: int, x2: int, y: int, *, grey: int = _RULE_GREY) -> None:
        self.pdf.set_draw_color(grey)
        self.pdf.set_line_width(1)
        self.pdf.line(x1, y, x2, y)

    # -- blocks ----------------------------------------------------------------------

    def render(self) -> bytes:
        self.pdf.add_page()
        self._first_header()
        self._table_headings()
        for row in self.content.rows:
            self._row(row)
        self._summary()
        data = bytes(self.pdf.output())
        self._check_glyphs()
        return data

    def _check_glyphs(self) -> None:
        missing: set[int] = set()
        for font in self.pdf.fonts.values():
            missing.update(getattr(font, "missing_glyphs", ()))
        if missing:
            chars = ", ".join(f"{chr(c)!r} (U+{c:04X})" for c in sorted(missing)[:10])
            raise ValidationError(
                f"the PDF font has no glyph for {chars}: pass font_path= (and "
                "bold_font_path=) to a TrueType font that covers these characters"
            )

    def _block(self, x: int, y: int, width: int, lines: list[tuple[str, int, bool]]) -> int:
        """Draw wrapped lines (text, size, bold) from ``y`` down; returns the y below."""
        for text, size, bold in lines:
            self._font(size, bold=bold)
            step = size + 3
            for part in self._wrap(text, width):
                self._text(x, y, width, step, part)
                y += step
        return y

    def _first_header(self) -> None:
        c = self.content
        seller: list[tuple[str, int, bool]] = [(c.seller_name, 12, True)]
        seller += [(line, 9, False) for line in c.seller_lines]
        left = self._block(_LEFT, _TOP, _PARTY_WIDTH, seller)

        self._font(8, grey=True)
        left += 14
        self._text(_LEFT, left, _PARTY_WIDTH, 11, c.customer_label)
        customer: list[tuple[str, int, bool]] = [(c.customer_name, 10, True)]
        customer += [(line, 9, False) for line in c.customer_lines]
        left = self._block(_LEFT, left + 11, _PARTY_WIDTH, customer)

        self._font(16, bold=True)
        self._text(_META_X, _TOP, _RIGHT - _META_X, 20, c.title, align="R")
        right = _TOP + 28
        for label, value in c.meta:
            self._font(8, grey=True)
            label_lines = self._wrap(label, _META_LABEL_W)
            for i, part in enumerate(label_lines):
                self._text(_META_X, right + i * 11, _META_LABEL_W, 11, part)
            self._font(9, bold=label == c.meta[0][0])
            value_lines = self._wrap(value, _META_VALUE_W)
            for i, part in enumerate(value_lines):
                self._text(_META_X + _META_LABEL_W, right + i * 11, _META_VALUE_W, 11, part)
            right += 11 * max(len(label_lines), len(value_lines)) + 2
        self.y = max(left, right) + 16

    def _continuation_header(self) -> None:
        c = self.content
        self._font(9, bold=True)
        self._text(_LEFT, _TOP, _WIDTH // 2, 12, c.seller_name)
        self._text(_LEFT + _WIDTH // 2, _TOP, _WIDTH // 2, 12, f"{c.title} {c.number}", "R")
        self._font(8, grey=True)
        self._text(_LEFT + _WIDTH // 2, _TOP + 12, _WIDTH // 2, 11, f"({c.continued})", "R")
        self._rule(_LEFT, _RIGHT, _TOP + 26)
        self.y = _TOP + 34

    def _new_page(self, *, headings: bool) -> None:
        self.pdf.add_page()
        self._continuation_header()
        if headings:
            self._table_headings()

    def _table_headings(self) -> None:
        self._font(8, bold=True)
        self.pdf.set_fill_color(_FILL_GREY)
        self.pdf.rect(_LEFT, self.y, _WIDTH, 16, style="F")
        x = _LEFT
        for i, (width, heading) in enumerate(zip(_COLUMNS, self.content.headings, strict=True)):
            self._text(x, self.y + 2, width, 12, heading, "L" if i < 2 else "R")
            x += width
        self.y += 16

    def _row(self, row: _Row) -> None:
        desc_w = _COLUMNS[1]
        self._font(9)
        description = self._wrap(row.description, desc_w)
        self._font(7)
        detail = self._wrap(row.detail, desc_w) if row.detail else []
        height = 2 * _ROW_PAD + len(description) * _ROW_LINE + len(detail) * _DETAIL_LINE
        if self.y + height > _BOTTOM:
            self._new_page(headings=True)
            if self.y + height > _BOTTOM:
                raise ValidationError(
                    f"line {row.position} ({row.description[:40]!r}...) is too long to fit on "
                    "a page: shorten its description"
                )
        y = self.y + _ROW_PAD
        self._font(9)
        x = _LEFT
        cells = (row.position, "", row.quantity, row.unit_price, row.vat_rate, row.net)
        for i, (width, text) in enumerate(zip(_COLUMNS, cells, strict=True)):
            if text:
                self._text(x, y, width, _ROW_LINE, text, "L" if i < 2 else "R")
            x += width
        x = _LEFT + _COLUMNS[0]
        for part in description:
            self._text(x, y, desc_w, _ROW_LINE, part)
            y += _ROW_LINE
        self._font(7, grey=True)
        for part in detail:
            self._text(x, y, desc_w, _DETAIL_LINE, part)
            y += _DETAIL_LINE
        self.y += height
        self._rule(_LEFT, _RIGHT, self.y)

    def _summary(self) -> None:
        """VAT per rate (left), totals (right), then the notes; kept on one page."""
        c = self.content
        self._font(8)
        notes = [self._wrap(note, _WIDTH) for note in c.notes]
        notes_height = sum(len(n) * _NOTE_LINE + 4 for n in notes)
        table_height = 12 + 13 * len(c.breakdown)
        totals_height = 14 * len(c.totals) + 6
        height = 12 + max(table_height, totals_height) + 10 + notes_height
        # The whole block moves to a new page when it does not fit; notes too
        # long for any page then flow on (handled below).
        if self.y + height > _BOTTOM:
            self._new_page(headings=False)
        top = self.y + 12

        widths = (70, 90, 90)
        self._font(8, grey=True)
        x = _LEFT
        for i, (width, heading) in enumerate(zip(widths, c.breakdown_headings, strict=True)):
            self._text(x, top, width, 12, heading, "L" if i == 0 else "R")
            x += width
        self._rule(_LEFT, _LEFT + sum(widths), top + 12)
        self._font(9)
        y = top + 13
        for cells in c.breakdown:
            x = _LEFT
            for i, (width, text) in enumerate(zip(widths, cells, strict=True)):
                self._text(x, y, width, 13, text, "L" if i == 0 else "R")
                x += width
            y += 13
        left_bottom = y

        label_w, value_w = 130, 110
        x = _RIGHT - label_w - value_w
        y = top
        for i, (label, value) in enumerate(c.totals):
            last = i == len(c.totals) - 1
            if last:
                self._rule(x, _RIGHT, y + 2, grey=0)
                y += 5
            self._font(10 if last else 9, bold=last)
            self._text(x, y, label_w, 14, label)
            self._text(x + label_w, y, value_w, 14, value, "R")
            y += 14
        self.y = max(left_bottom, y) + 10

        self._font(8)
        for lines in notes:
            for part in lines:
                # Only unusually long notes get here with too little room.
                if self.y + _NOTE_LINE > _BOTTOM:
                    self._new_page(headings=False)
                    self._font(8)
                self._text(_LEFT, self.y, _WIDTH, _NOTE_LINE, part)
                self.y += _NOTE_LINE
            self.y += 4
