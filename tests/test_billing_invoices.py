"""Invoices, quotes, credit notes, statuses, totals and numbering."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hostlib.billing import vat
from hostlib.billing.invoices import (
    REVERSE_CHARGE_NOTE,
    CreditNote,
    CreditReason,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Party,
    Quote,
    VatDecisionLike,
    VatRounding,
    compute_totals,
    document_from_dict,
    next_number,
    parse_number,
    service_period_of,
)
from hostlib.billing.money import Money, UnitPrice, minor_units, sum_money
from hostlib.billing.vat import VatRule
from hostlib.errors import BillingError, ValidationError

SELLER = Party(
    "Hostlib Hosting GmbH", ("Rechenzentrumstr. 1", "90402 Nürnberg"), "DE", "DE136695976", True
)
CONSUMER = Party("Erika Mustermann", ("Heidestr. 17", "51147 Köln"), "DE")
BUSINESS_FR = Party(
    "Exemple SARL", ("1 rue de la Paix", "75002 Paris"), "FR", "FR40303265045", True
)
MARCH = (date(2025, 3, 1), date(2025, 3, 31))


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def line(desc: str, qty: str, price: str, rate: str, currency: str = "EUR") -> InvoiceLine:
    return InvoiceLine(desc, Decimal(qty), UnitPrice(price, currency), Decimal(rate), MARCH)


def invoice(lines: list[InvoiceLine], currency: str = "EUR", **fields: Any) -> Invoice:
    fields.setdefault("customer", CONSUMER)
    return Invoice.create(
        seller=SELLER,
        currency=currency,
        lines=lines,
        issue_date=date(2025, 4, 1),
        **fields,
    )


@attrs.frozen
class HandMadeDecision:
    """Stands in for vat.VatDecision: the builder reads only these attributes."""

    rate: Decimal
    reverse_charge: bool
    reason: str


# -- worked examples ---------------------------------------------------------------


def test_three_lines_at_19_percent_de() -> None:
    inv = invoice(
        [
            line("Dedicated server EX44", "1", "39.00", "19"),
            line("Additional IPv4 address", "2", "1.70", "19"),
            line("Backup space 100 GB", "3", "4.99", "19"),
        ]
    )
    assert [ln.net for ln in inv.lines] == [eur("39.00"), eur("3.40"), eur("14.97")]
    totals = inv.totals
    assert totals.net == eur("57.37")
    assert totals.vat == eur("10.90")  # 57.37 x 19 % = 10.9003
    assert totals.gross == eur("68.27")
    assert [(r.rate, r.net, r.vat) for r in totals.by_rate] == [
        (Decimal("19"), eur("57.37"), eur("10.90"))
    ]
    assert inv.due_date == date(2025, 4, 15)
    assert inv.service_period == MARCH
    assert inv.status is InvoiceStatus.UNPAID


def test_mixed_rate_invoice() -> None:
    inv = invoice(
        [
            line("Managed server", "1", "100.00", "19"),
            line("Printed manual", "2", "12.35", "7"),
            line("Domain fee passed through", "1", "10.00", "0"),
        ]
    )
    assert [(r.rate, r.net, r.vat) for r in inv.totals.by_rate] == [
        (Decimal("0"), eur("10.00"), eur("0.00")),
        (Decimal("7"), eur("24.70"), eur("1.73")),  # 1.729
        (Decimal("19"), eur("100.00"), eur("19.00")),
    ]
    assert inv.totals.net == eur("134.70")
    assert inv.totals.vat == eur("20.73")
    assert inv.totals.gross == eur("155.43")


def test_jpy_invoice_has_no_minor_unit() -> None:
    inv = invoice(
        [line("VPS S", "3", "1980", "10", "JPY"), line("Snapshot", "1", "333", "10", "JPY")],
        currency="JPY",
    )
    assert inv.totals.net == Money("6273", "JPY")
    assert inv.totals.vat == Money("627", "JPY")  # 627.3
    assert inv.totals.gross == Money("6900", "JPY")
    assert str(inv.totals.gross.amount) == "6900"


def test_bhd_invoice_has_three_decimals() -> None:
    inv = invoice(
        [line("VPS M", "1", "12.345", "10", "BHD"), line("IPv4", "2", "0.125", "10", "BHD")],
        currency="BHD",
    )
    assert inv.totals.net == Money("12.595", "BHD")
    assert inv.totals.vat == Money("1.260", "BHD")  # 1.2595 half-up
    assert inv.totals.gross == Money("13.855", "BHD")
    assert str(inv.totals.vat.amount) == "1.260"


def test_per_line_and_per_rate_rounding_differ() -> None:
    lines = [line(f"Licence {i}", "1", "10.03", "19") for i in range(3)]
    per_rate = invoice(lines)
    per_line = invoice(lines, vat_rounding=VatRounding.PER_LINE)
    assert per_rate.totals.net == per_line.totals.net == eur("30.09")
    assert per_rate.totals.vat == eur("5.72")  # 30.09 x 19 % = 5.7171
    assert per_line.totals.vat == eur("5.73")  # 3 x round(1.9057) = 3 x 1.91
    assert per_rate.totals.gross == eur("35.81")
    assert per_line.totals.gross == eur("35.82")


def test_fine_unit_price_rounds_half_up_on_the_line() -> None:
    ln = InvoiceLine("Traffic", Decimal("1234"), UnitPrice("0.0045", "EUR"), Decimal("19"))
    assert ln.net == eur("5.55")  # 5.553
    half = InvoiceLine("Traffic", Decimal("1"), UnitPrice("0.005", "EUR"), Decimal("19"))
    assert half.net == eur("0.01")


def test_zero_quantity_line_is_allowed() -> None:
    inv = invoice([line("Included traffic", "0", "0.01", "19")])
    assert inv.totals.gross == eur("0.00")


# -- hypothesis: totals ---------------------------------------------------------

RATES = st.sampled_from(["0", "5", "7", "9.5", "19", "20", "21", "25.5", "27"])


@st.composite
def lines_in(draw: st.DrawFn, currency: str) -> list[InvoiceLine]:
    places = minor_units(currency) + draw(st.integers(min_value=0, max_value=3))
    result = []
    for i in range(draw(st.integers(min_value=1, max_value=8))):
        price = draw(st.decimals(min_value=0, max_value=10**6, places=places, allow_nan=False))
        qty = draw(st.decimals(min_value=0, max_value=10**4, places=3, allow_nan=False))
        rate = Decimal(draw(RATES))
        result.append(InvoiceLine(f"line {i}", qty, UnitPrice(price, currency), rate))
    return result


@given(
    data=st.data(),
    currency=st.sampled_from(["EUR", "JPY", "BHD", "CLF"]),
    rounding=st.sampled_from(list(VatRounding)),
)
def test_total_is_net_plus_vat_and_exact(
    data: st.DataObject, currency: str, rounding: VatRounding
) -> None:
    lines = data.draw(lines_in(currency))
    totals = compute_totals(lines, currency, rounding)
    assert totals.gross == totals.net + totals.vat
    assert totals.net == sum_money((ln.net for ln in lines), currency)
    assert totals.net == sum_money((r.net for r in totals.by_rate), currency)
    assert totals.vat == sum_money((r.vat for r in totals.by_rate), currency)
    exponent = -minor_units(currency)
    for money in (totals.net, totals.vat, totals.gross, *(ln.net for ln in lines)):
        assert type(money.amount) is Decimal
        assert money.amount.as_tuple().exponent == exponent
    for rate_total in totals.by_rate:
        exact = rate_total.net.amount * rate_total.rate / 100
        half = Decimal(1).scaleb(exponent) / 2
        if rounding is VatRounding.PER_RATE:
            assert abs(rate_total.vat.amount - exact) <= half
        assert rate_total.vat.amount.as_tuple().exponent == exponent
    credit = totals.negated()
    assert credit.gross == credit.net + credit.vat == -totals.gross


# -- bad input -------------------------------------------------------------------

FLOAT: Any = 1.5


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (lambda: line("x", "-1", "1.00", "19"), "negative"),
        (lambda: InvoiceLine("x", FLOAT, UnitPrice("1", "EUR"), Decimal(19)), "float"),
        (lambda: InvoiceLine("x", Decimal(1), UnitPrice("1", "EUR"), FLOAT), "float"),
        (lambda: InvoiceLine("x", Decimal(1), FLOAT, Decimal(19)), "Money or UnitPrice"),
        (lambda: line("x", "1", "1.00", "100"), "percentage"),
        (lambda: line("", "1", "1.00", "19"), "description"),
        (lambda: line("x", "1", "1.00", "19", "XYZ"), "ISO 4217"),
        (lambda: invoice([line("x", "1", "1.00", "19", "USD")]), "priced in USD"),
        (lambda: invoice([line("x", "1", "1", "19")], currency="XYZ"), "ISO 4217"),
        (lambda: invoice([]), "at least one line"),
        (lambda: Party("A", ("B",), "EL"), "GR"),
        (lambda: Party("A", (), "DE"), "address"),
        (lambda: Party("A", ("B",), "DE", vat_id="1"), "VAT ID"),
        (
            lambda: InvoiceLine(
                "x", Decimal(1), UnitPrice("1", "EUR"), Decimal(0), (MARCH[1], MARCH[0])
            ),
            "ends before",
        ),
        (
            lambda: invoice([line("x", "1", "1", "19")], reverse_charge=True),
            "0 % VAT",
        ),
        (
            lambda: invoice([line("x", "1", "1", "0")], reverse_charge=True),
            "VAT IDs",
        ),
        (
            lambda: Invoice(
                SELLER, CONSUMER, "EUR", [line("x", "1", "1", "19")], MARCH[1], MARCH[0]
            ),
            "before issue date",
        ),
        (lambda: invoice([line("x", "1", "1", "19")], number="2025-1"), "does not follow"),
    ],
)
def test_bad_input_is_a_validation_error(build: Any, words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        build()


def test_vat_without_seller_vat_id() -> None:
    seller = attrs.evolve(SELLER, vat_id=None)
    with pytest.raises(ValidationError, match=r"seller\.vat_id"):
        Invoice.create(
            seller=seller,
            customer=CONSUMER,
            currency="EUR",
            lines=[line("x", "1", "1", "19")],
            issue_date=date(2025, 4, 1),
        )


def test_party_normalises() -> None:
    party = Party(" Exemple SARL ", "1 rue de la Paix\n75002 Paris", "fr", "fr 40 303 265 045")
    assert party.name == "Exemple SARL"
    assert party.address == ("1 rue de la Paix", "75002 Paris")
    assert party.country == "FR"
    assert party.vat_id == "FR40303265045"


# -- statuses ------------------------------------------------------------------------


def numbered() -> Invoice:
    return invoice([line("Server", "1", "39.00", "19")]).numbered(None)


def test_allowed_transitions_return_new_values() -> None:
    inv = numbered()
    assert inv.number == "INV-2025-000001"
    paid = inv.mark_paid(date(2025, 4, 3))
    assert paid.status is InvoiceStatus.PAID
    assert paid.paid_on == date(2025, 4, 3)
    assert inv.status is InvoiceStatus.UNPAID  # the original is unchanged
    cancelled = inv.cancel()
    assert cancelled.status is InvoiceStatus.CANCELLED
    assert inv.transition("cancelled") == cancelled


@pytest.mark.parametrize(
    ("start", "action", "allowed"),
    [
        ("paid", lambda i: i.cancel(), "refunded"),
        ("paid", lambda i: i.mark_paid(date(2025, 5, 1)), "refunded"),
        ("cancelled", lambda i: i.mark_paid(date(2025, 5, 1)), "nothing"),
        ("cancelled", lambda i: i.cancel(), "nothing"),
        (
            "unpaid",
            lambda i: i.refund(number="CN-2025-000001", issue_date=date(2025, 5, 1)),
            "paid, cancelled",
        ),
        (
            "refunded",
            lambda i: i.refund(number="CN-2025-000002", issue_date=date(2025, 5, 1)),
            "nothing",
        ),
        ("refunded", lambda i: i.cancel(), "nothing"),
    ],
)
def test_illegal_transitions_name_the_allowed_ones(start: str, action: Any, allowed: str) -> None:
    inv = numbered()
    if start in ("paid", "refunded"):
        inv = inv.mark_paid(date(2025, 4, 2))
    if start == "refunded":
        inv, _ = inv.refund(number="CN-2025-000001", issue_date=date(2025, 4, 5))
    if start == "cancelled":
        inv = inv.cancel()
    with pytest.raises(BillingError, match=f"may go to {allowed}"):
        action(inv)


def test_draft_cannot_change_status_and_numbers_are_final() -> None:
    draft = invoice([line("Server", "1", "39.00", "19")])
    with pytest.raises(BillingError, match="number it"):
        draft.mark_paid(date(2025, 4, 2))
    inv = draft.numbered(None)
    with pytest.raises(BillingError, match="already numbered"):
        inv.with_number("INV-2025-000002")
    with pytest.raises(BillingError, match="refund"):
        inv.transition(InvoiceStatus.REFUNDED)
    with pytest.raises(ValidationError, match="status"):
        inv.transition("void")


# -- credit notes --------------------------------------------------------------------


def test_refund_issues_a_credit_note_with_negative_amounts() -> None:
    inv = invoice(
        [line("Server", "1", "39.00", "19"), line("IPv4", "2", "1.70", "19")]
    ).with_number("INV-2025-000042")
    refunded, note = inv.mark_paid(date(2025, 4, 2)).refund(
        number=next_number("CN-{year}-{seq:06d}", None, date(2025, 4, 20)),
        issue_date=date(2025, 4, 20),
        reason_code=CreditReason.CANCELLATION,
        reason="Server returned within 14 days",
    )
    assert note.reason_code is CreditReason.CANCELLATION
    assert note.reason == "Server returned within 14 days"
    assert refunded.status is InvoiceStatus.REFUNDED
    assert refunded.credit_note_number == "CN-2025-000001"
    assert isinstance(note, CreditNote)
    assert note.invoice_number == "INV-2025-000042"
    assert note.totals.net == eur("-42.40")
    assert note.totals.vat == eur("-8.06")  # 42.40 x 19 % = 8.056
    assert note.totals.gross == eur("-50.46")
    assert note.totals == inv.totals.negated()
    assert "INV-2025-000042" in note.legal_notes[0]


def test_credit_note_keeps_reverse_charge() -> None:
    decision = HandMadeDecision(Decimal(0), True, "B2B supply to FR: reverse charge, Art. 196")
    inv = invoice([line("Server", "1", "39.00", "19")], customer=BUSINESS_FR)
    inv = inv.with_vat_decision(decision).numbered(None).mark_paid(date(2025, 4, 2))
    _, note = inv.refund(number="CN-2025-000001", issue_date=date(2025, 4, 3))
    assert note.reverse_charge
    assert REVERSE_CHARGE_NOTE in note.legal_notes
    assert note.totals.vat == eur("0.00")
    assert note.totals.gross == eur("-39.00")


# -- VAT decision builder ----------------------------------------------------------


def test_vat_decision_sets_rates_flag_and_reason() -> None:
    inv = invoice([line("Server", "1", "39.00", "19"), line("IPv4", "1", "1.70", "7")])
    b2c_at = HandMadeDecision(Decimal(20), False, "B2C: customer's country rate (AT 20 %)")
    out = inv.with_vat_decision(b2c_at)
    assert {ln.vat_rate for ln in out.lines} == {Decimal(20)}
    assert out.totals.vat == eur("8.14")  # 40.70 x 20 %
    assert out.legal_notes == ("B2C: customer's country rate (AT 20 %)",)

    rc = HandMadeDecision(Decimal(0), True, "B2B to FR with valid VAT ID: reverse charge")
    out = attrs.evolve(inv, customer=BUSINESS_FR).with_vat_decision(rc)
    assert out.reverse_charge
    assert out.totals.vat == eur("0.00")
    assert "Reverse charge" in out.legal_notes[0]
    assert "Article 196" in out.legal_notes[0]
    assert "2006/112/EC" in out.legal_notes[0]

    with pytest.raises(ValidationError, match="VAT decision"):
        inv.with_vat_decision(object())  # type: ignore[arg-type]


def test_with_real_vat_decide() -> None:
    decisions: list[VatDecisionLike] = [
        HandMadeDecision(Decimal(0), True, "reverse charge"),
        vat.decide(
            seller_country="DE",
            customer_country="FR",
            customer_vat_id="FR40303265045",
            on=date(2025, 4, 1),
            is_business=True,
        ),
    ]
    for decision in decisions:
        inv = invoice([line("Server", "1", "39.00", "19")], customer=BUSINESS_FR)
        out = inv.with_vat_decision(decision)
        assert out.reverse_charge
        assert out.totals.gross == eur("39.00")
        assert REVERSE_CHARGE_NOTE in out.legal_notes


# -- quotes ----------------------------------------------------------------------------


def quote() -> Quote:
    return Quote(
        number="Q-2025-000007",
        issue_date=date(2025, 3, 1),
        valid_until=date(2025, 3, 31),
        seller=SELLER,
        customer=CONSUMER,
        currency="EUR",
        lines=[line("Server", "1", "39.00", "19"), line("Setup", "1", "49.00", "19")],
    )


def test_quote_converts_into_an_invoice_once() -> None:
    q = quote()
    assert q.totals.gross == eur("104.72")  # 88.00 + 16.72
    converted, inv = q.to_invoice(number="INV-2025-000010", on=date(2025, 3, 31))
    assert converted.converted_to == "INV-2025-000010"
    assert inv.quote_number == "Q-2025-000007"
    assert inv.lines == q.lines
    assert inv.totals == q.totals
    assert inv.issue_date == date(2025, 3, 31)
    assert inv.due_date == date(2025, 4, 14)
    with pytest.raises(BillingError, match="already converted"):
        converted.to_invoice(number="INV-2025-000011", on=date(2025, 3, 31))


def test_expired_quote_cannot_convert() -> None:
    with pytest.raises(BillingError, match="expired on 2025-03-31"):
        quote().to_invoice(number="INV-2025-000010", on=date(2025, 4, 1))
    with pytest.raises(ValidationError, match="before its issue date"):
        attrs.evolve(quote(), valid_until=date(2025, 2, 1))


# -- numbering ---------------------------------------------------------------------------


def test_number_sequence_and_year_restart() -> None:
    series = "INV-{year}-{seq:06d}"
    first = next_number(series, None, date(2025, 1, 1))
    assert first == "INV-2025-000001"
    second = next_number(series, first, date(2025, 6, 1))
    assert second == "INV-2025-000002"
    assert next_number(series, "INV-2025-000041", date(2025, 12, 31)) == "INV-2025-000042"
    assert next_number(series, "INV-2025-999999", date(2025, 12, 31)) == "INV-2025-1000000"
    assert next_number(series, "INV-2025-000041", date(2026, 1, 1)) == "INV-2026-000001"
    assert parse_number(series, "INV-2026-000001").year == 2026
    with pytest.raises(BillingError, match="later period"):
        next_number(series, "INV-2026-000003", date(2025, 12, 31))


def test_number_formats() -> None:
    assert next_number("{seq}", "41", date(2030, 1, 1)) == "42"  # no year: never restarts
    assert next_number("R{year}{seq:05d}", "R202500009", date(2025, 2, 1)) == "R202500010"
    monthly = "{year}/{month:02d}/{seq}"
    assert next_number(monthly, "2025/01/17", date(2025, 1, 31)) == "2025/01/18"
    assert next_number(monthly, "2025/01/17", date(2025, 2, 1)) == "2025/02/1"
    for bad in ("INV-{year}", "{seq}-{seq}", "{month}-{seq}", "{day}-{seq}", "{seq:s}", "{seq"):
        with pytest.raises(ValidationError):
            next_number(bad, None, date(2025, 1, 1))
    with pytest.raises(ValidationError, match="does not follow"):
        next_number("INV-{year}-{seq:06d}", "CN-2025-000001", date(2025, 1, 1))


@given(
    count=st.integers(min_value=1, max_value=40),
    start=st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)),
)
def test_numbering_is_sequential_and_pure(count: int, start: date) -> None:
    series = "INV-{year}-{seq:06d}"
    last: str | None = None
    numbers = []
    for _ in range(count):
        last = next_number(series, last, start)
        numbers.append(last)
    assert [parse_number(series, n).seq for n in numbers] == list(range(1, count + 1))
    assert next_number(series, numbers[-1], start) == next_number(series, numbers[-1], start)


# -- JSON ----------------------------------------------------------------------------------


def test_invoice_json_round_trip() -> None:
    inv = (
        invoice(
            [line("Server", "1", "39.00", "19"), line("Traffic", "1234", "0.0045", "19")],
            customer=BUSINESS_FR,
        )
        .with_vat_decision(HandMadeDecision(Decimal(0), True, "B2B FR: reverse charge"))
        .numbered(None)
        .mark_paid(date(2025, 4, 2))
    )
    data = json.loads(json.dumps(inv.to_dict()))
    assert data["kind"] == "invoice"
    assert data["issue_date"] == "2025-04-01"
    assert data["lines"][1]["unit_price"] == "0.0045"
    assert data["lines"][1]["period"] == ["2025-03-01", "2025-03-31"]
    assert data["totals"] == {
        "net": "44.55",
        "vat": "0.00",
        "gross": "44.55",
        "by_rate": [{"rate": "0", "net": "44.55", "vat": "0.00"}],
    }
    assert REVERSE_CHARGE_NOTE in data["legal_notes"]
    assert Invoice.from_dict(data) == inv
    assert document_from_dict(data) == inv
    data["totals"]["gross"] = "45.00"
    with pytest.raises(ValidationError, match="do not match"):
        Invoice.from_dict(data)
    del data["totals"]
    assert Invoice.from_dict(data) == inv


def test_quote_and_credit_note_json_round_trip() -> None:
    q = quote()
    assert document_from_dict(json.loads(json.dumps(q.to_dict()))) == q
    inv = numbered().mark_paid(date(2025, 4, 2))
    _, note = inv.refund(number="CN-2025-000001", issue_date=date(2025, 4, 3))
    data = json.loads(json.dumps(note.to_dict()))
    assert data["totals"]["gross"] == "-46.41"
    assert CreditNote.from_dict(data) == note


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(kind="receipt"),
        lambda d: d.update(lines="x"),
        lambda d: d.update(currency=None),
        lambda d: d.update(issue_date="01.04.2025"),
        lambda d: d.update(reverse_charge="yes"),
        lambda d: d["lines"][0].update(quantity=1.5),
        lambda d: d["lines"][0].update(net="1.00"),
        lambda d: d["seller"].pop("country"),
        lambda d: d.update(surprise=1),
        lambda d: d.update(status="void"),
    ],
)
def test_bad_json_is_a_validation_error(mutate: Any) -> None:
    data = numbered().to_dict()
    mutate(data)
    with pytest.raises(ValidationError):
        document_from_dict(data)


# -- VAT rule and country kept with the document -----------------------------------------


def _rc_decision() -> vat.VatDecision:
    return vat.decide(
        seller_country="DE",
        customer_country="FR",
        customer_vat_id="FR40303265045",
        on=date(2025, 4, 1),
        is_business=True,
    )


def test_vat_decision_keeps_rule_and_country() -> None:
    decision = _rc_decision()
    inv = invoice([line("Server", "1", "39.00", "19")], customer=BUSINESS_FR)
    out = inv.with_vat_decision(decision)
    assert out.vat_rule is VatRule.REVERSE_CHARGE
    assert out.vat_country == "FR"
    assert out.vat_reason == decision.reason  # the English audit record stays
    oss = vat.decide(
        seller_country="DE", customer_country="AT", customer_vat_id=None, on=date(2025, 4, 1)
    )
    q = quote().with_vat_decision(oss)
    assert (q.vat_rule, q.vat_country) == (VatRule.EU_CONSUMER, "AT")
    # Conversion and refund carry the rule on.
    _, converted = q.to_invoice(number="INV-2025-000010", on=date(2025, 3, 2))
    assert (converted.vat_rule, converted.vat_country) == (VatRule.EU_CONSUMER, "AT")
    paid = converted.mark_paid(date(2025, 3, 3))
    _, note = paid.refund(number="CN-2025-000001", issue_date=date(2025, 3, 4))
    assert (note.vat_rule, note.vat_country) == (VatRule.EU_CONSUMER, "AT")
    # A hand-made decision has no rule: a later one replaces the old rule.
    hand = out.with_vat_decision(HandMadeDecision(Decimal(0), True, "reverse charge"))
    assert (hand.vat_rule, hand.vat_country) == (None, None)
    assert hand.vat_reason == "reverse charge"


def test_json_round_trip_keeps_vat_rule() -> None:
    inv = (
        invoice([line("Server", "1", "39.00", "19")], customer=BUSINESS_FR)
        .with_vat_decision(_rc_decision())
        .numbered(None)
    )
    data = json.loads(json.dumps(inv.to_dict()))
    assert data["vat_rule"] == "reverse_charge"
    assert data["vat_country"] == "FR"
    assert "Art. 196" in data["vat_reason"]
    back = document_from_dict(data)
    assert back == inv
    assert back.vat_rule is VatRule.REVERSE_CHARGE
    _, note = inv.mark_paid(date(2025, 4, 2)).refund(
        number="CN-2025-000001", issue_date=date(2025, 4, 3)
    )
    assert CreditNote.from_dict(json.loads(json.dumps(note.to_dict()))).vat_rule is (
        VatRule.REVERSE_CHARGE
    )
    # Documents written before the rule existed load without one.
    del data["vat_rule"], data["vat_country"]
    old = Invoice.from_dict(data)
    assert (old.vat_rule, old.vat_country) == (None, None)
    assert old.vat_reason == inv.vat_reason


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ({"vat_rule": "magic"}, "VAT rule 'magic' is not one of"),
        ({"vat_country": "EL"}, "GR"),
        ({"vat_rule": "reverse_charge"}, "needs reverse_charge=True"),
    ],
)
def test_bad_vat_rule_fields_are_refused(fields: dict[str, Any], match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        invoice([line("Server", "1", "39.00", "0")], customer=BUSINESS_FR, **fields)


def test_reverse_charge_flag_must_agree_with_the_rule() -> None:
    with pytest.raises(ValidationError, match="never a reverse charge"):
        invoice(
            [line("Server", "1", "39.00", "0")],
            customer=BUSINESS_FR,
            reverse_charge=True,
            vat_rule=VatRule.DOMESTIC,
        )
    ok = invoice(
        [line("Server", "1", "39.00", "0")],
        customer=BUSINESS_FR,
        reverse_charge=True,
        vat_rule="reverse_charge",
        vat_country="fr",
    )
    assert (ok.vat_rule, ok.vat_country) == (VatRule.REVERSE_CHARGE, "FR")


# -- credit note reasons -----------------------------------------------------------------


def test_credit_note_reason_codes() -> None:
    paid = numbered().mark_paid(date(2025, 4, 2))
    _, note = paid.refund(number="CN-2025-000001", issue_date=date(2025, 4, 3))
    assert (note.reason_code, note.reason) == (CreditReason.REFUND, "")
    _, note = paid.refund(
        number="CN-2025-000001", issue_date=date(2025, 4, 3), reason_code="price_correction"
    )
    assert note.reason_code is CreditReason.PRICE_CORRECTION
    data = json.loads(json.dumps(note.to_dict()))
    assert (data["reason_code"], data["reason"]) == ("price_correction", "")
    assert CreditNote.from_dict(data) == note
    # "other" needs the free text; the old default text "Refund" is not kept.
    with pytest.raises(ValidationError, match="needs a free-text reason"):
        paid.refund(number="CN-2025-000001", issue_date=date(2025, 4, 3), reason_code="other")
    with pytest.raises(ValidationError, match="reason code 'oops' is not one of"):
        paid.refund(number="CN-2025-000001", issue_date=date(2025, 4, 3), reason_code="oops")
    _, note = paid.refund(number="CN-2025-000001", issue_date=date(2025, 4, 3), reason="Refund")
    assert note.reason == ""
    _, note = paid.refund(
        number="CN-2025-000001",
        issue_date=date(2025, 4, 3),
        reason_code="other",
        reason=" Goodwill ",
    )
    assert (note.reason_code, note.reason) == (CreditReason.OTHER, "Goodwill")


@pytest.mark.parametrize(
    ("text", "code", "kept"),
    [
        ("Refund", CreditReason.REFUND, ""),
        ("price correction", CreditReason.PRICE_CORRECTION, ""),
        ("Server returned within 14 days", CreditReason.OTHER, "Server returned within 14 days"),
    ],
)
def test_credit_note_written_before_reason_codes_loads(
    text: str, code: CreditReason, kept: str
) -> None:
    _, note = (
        numbered()
        .mark_paid(date(2025, 4, 2))
        .refund(number="CN-2025-000001", issue_date=date(2025, 4, 3))
    )
    data = note.to_dict()
    del data["reason_code"]
    data["reason"] = text
    old = CreditNote.from_dict(data)
    assert (old.reason_code, old.reason) == (code, kept)


# -- service period ----------------------------------------------------------------------


def test_every_document_answers_its_service_period() -> None:
    april = (date(2025, 4, 1), date(2025, 4, 30))
    lines = [
        line("Server", "1", "39.00", "19"),
        InvoiceLine("Setup", Decimal(1), UnitPrice("10.00", "EUR"), Decimal(19)),
        InvoiceLine("Server", Decimal(1), UnitPrice("39.00", "EUR"), Decimal(19), april),
    ]
    assert service_period_of(lines) == (date(2025, 3, 1), date(2025, 4, 30))
    assert service_period_of(lines[1:2]) is None
    inv = invoice(lines).numbered(None)
    q = attrs.evolve(quote(), lines=tuple(lines))
    _, note = inv.mark_paid(date(2025, 5, 2)).refund(
        number="CN-2025-000001", issue_date=date(2025, 5, 3)
    )
    for doc in (inv, q, note):
        assert doc.service_period == (date(2025, 3, 1), date(2025, 4, 30))
    assert attrs.evolve(quote(), lines=(lines[1],)).service_period is None
