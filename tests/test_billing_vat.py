"""VAT: the dated rate table, place-of-supply decisions, VAT ID checks.

Rate changes are tested twice: from the data file itself (every row that
starts after 2015-01-01) and from an independent, hand-written list of the
known changes, so a typo in either is caught by the other.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hostlib.billing import vat
from hostlib.billing._vat_data import parse_rate_table, rate_table
from hostlib.errors import BillingError, NotFoundError, PermissionDenied, ValidationError

START = date(2015, 1, 1)
HORIZON = date(2026, 11, 26)
DAY = timedelta(days=1)
CENT = Decimal("0.01")

#: Standard rates on the first day of the data, written out by hand.
RATES_2015_01_01 = {
    "AT": "20", "BE": "21", "BG": "20", "CY": "19", "CZ": "21", "DE": "19", "DK": "25",
    "EE": "20", "ES": "21", "FI": "24", "FR": "20", "GR": "23", "HR": "25", "HU": "27",
    "IE": "23", "IT": "22", "LT": "21", "LU": "17", "LV": "21", "MT": "18", "NL": "21",
    "PL": "23", "PT": "23", "RO": "24", "SE": "25", "SI": "22", "SK": "20",
}  # fmt: skip

#: Standard rates on the data's horizon, written out by hand.
RATES_2026_11_26 = {
    "AT": "20", "BE": "21", "BG": "20", "CY": "19", "CZ": "21", "DE": "19", "DK": "25",
    "EE": "24", "ES": "21", "FI": "25.5", "FR": "20", "GR": "24", "HR": "25", "HU": "27",
    "IE": "23", "IT": "22", "LT": "21", "LU": "17", "LV": "21", "MT": "18", "NL": "21",
    "PL": "23", "PT": "23", "RO": "21", "SE": "25", "SI": "22", "SK": "23",
}  # fmt: skip

EU27 = sorted(RATES_2015_01_01)

#: Every standard-rate change 2015-01-01..2026-11-26: (country, effective day, before, after).
KNOWN_CHANGES = [
    ("RO", date(2016, 1, 1), "24", "20"),
    ("GR", date(2016, 6, 1), "23", "24"),
    ("RO", date(2017, 1, 1), "20", "19"),
    ("DE", date(2020, 7, 1), "19", "16"),
    ("IE", date(2020, 9, 1), "23", "21"),
    ("DE", date(2021, 1, 1), "16", "19"),
    ("IE", date(2021, 3, 1), "21", "23"),
    ("LU", date(2023, 1, 1), "17", "16"),
    ("EE", date(2024, 1, 1), "20", "22"),
    ("LU", date(2024, 1, 1), "16", "17"),
    ("FI", date(2024, 9, 1), "24", "25.5"),
    ("SK", date(2025, 1, 1), "20", "23"),
    ("EE", date(2025, 7, 1), "22", "24"),
    ("RO", date(2025, 8, 1), "19", "21"),
]


def _data_changes() -> list[tuple[str, date, Decimal, Decimal]]:
    changes = []
    for code in sorted({p.country for p in vat.rate_periods()}):
        periods = vat.rate_periods(code)
        for before, after in itertools.pairwise(periods):
            changes.append((code, after.valid_from, before.rate, after.rate))
    return changes


DATA_CHANGES = _data_changes()


# -- the rate table ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "day", "before", "after"),
    DATA_CHANGES,
    ids=[f"{c}-{d}" for c, d, _, _ in DATA_CHANGES],
)
def test_every_change_in_the_data_file_applies_on_its_day(
    country: str, day: date, before: Decimal, after: Decimal
) -> None:
    assert vat.standard_rate(country, on=day - DAY) == before
    assert vat.standard_rate(country, on=day) == after


@pytest.mark.parametrize(
    ("country", "day", "before", "after"),
    KNOWN_CHANGES,
    ids=[f"{c}-{d}" for c, d, _, _ in KNOWN_CHANGES],
)
def test_every_known_change_applies_on_its_day(
    country: str, day: date, before: str, after: str
) -> None:
    assert vat.standard_rate(country, on=day - DAY) == Decimal(before)
    assert vat.standard_rate(country, on=day) == Decimal(after)


def test_the_data_file_has_exactly_the_known_changes() -> None:
    in_data = {(c, d, str(b), str(a)) for c, d, b, a in DATA_CHANGES}
    assert in_data == set(KNOWN_CHANGES)


@pytest.mark.parametrize("country", EU27)
def test_every_member_state_has_a_rate_on_the_first_and_last_day(country: str) -> None:
    assert vat.standard_rate(country, on=START) == Decimal(RATES_2015_01_01[country])
    assert vat.standard_rate(country, on=HORIZON) == Decimal(RATES_2026_11_26[country])


def test_periods_are_contiguous_and_every_row_cites_a_source() -> None:
    assert vat.data_range() == (START, HORIZON)
    assert len(EU27) == 27
    assert set(RATES_2026_11_26) == set(EU27)
    countries = {p.country for p in vat.rate_periods()}
    assert countries == set(EU27) | {"GB"}
    for code in countries:
        periods = vat.rate_periods(code)
        assert periods[0].valid_from == START
        for before, after in itertools.pairwise(periods):
            assert before.valid_to is not None
            assert after.valid_from == before.valid_to + DAY
            assert after.rate != before.rate
        expected_end = date(2020, 12, 31) if code == "GB" else None
        assert periods[-1].valid_to == expected_end
        for period in periods:
            assert len(period.source) > 10, period
            assert isinstance(period.rate, Decimal)


def test_rate_changes_cite_a_national_source_not_only_the_commission() -> None:
    for code, day, _, _ in DATA_CHANGES:
        (row,) = [p for p in vat.rate_periods(code) if p.valid_from == day]
        assert row.source.replace("EC-VATRATES", "").replace("EC-TEDB", "").strip("; ")


def test_the_table_is_read_once() -> None:
    assert rate_table() is rate_table()


def test_greece_answers_to_el_and_gr_and_case_does_not_matter() -> None:
    day = date(2016, 6, 1)
    assert vat.standard_rate("EL", on=day) == vat.standard_rate("GR", on=day) == Decimal(24)
    assert vat.standard_rate(" el ", on=day) == Decimal(24)
    assert vat.standard_rate("fi", on=date(2024, 9, 1)) == Decimal("25.5")


def test_the_united_kingdom_is_carried_until_the_end_of_the_transition_period() -> None:
    assert vat.standard_rate("GB", on=date(2020, 12, 31)) == Decimal(20)
    with pytest.raises(NotFoundError, match=r"left the EU VAT area on 2020-12-31"):
        vat.standard_rate("GB", on=date(2021, 1, 1))
    assert vat.is_eu_member("GB", date(2020, 12, 31))
    assert not vat.is_eu_member("GB", date(2021, 1, 1))
    assert vat.is_eu_member("MC", date(2025, 1, 1))  # Monaco is in France's VAT area


@pytest.mark.parametrize("country", ["US", "XX", "CH", "XI", "", "DEU"])
def test_unknown_country_is_a_validation_error_listing_the_known_codes(country: str) -> None:
    with pytest.raises(ValidationError) as caught:
        vat.standard_rate(country, on=date(2025, 1, 1))
    message = str(caught.value)
    assert repr(country) in message
    assert "AT, BE, BG" in message
    assert "EL is accepted for GR" in message


def test_a_date_before_the_data_is_not_found_and_says_the_range() -> None:
    with pytest.raises(NotFoundError, match=r"covers 2015-01-01 onwards"):
        vat.standard_rate("DE", on=date(2014, 12, 31))


@pytest.mark.parametrize("day", [HORIZON + DAY, date(2030, 1, 1)])
def test_past_the_horizon_the_rates_in_force_on_it_apply(day: date) -> None:
    for country in ("DE", "FI", "EE", "RO"):
        assert vat.standard_rate(country, on=day) == vat.standard_rate(country, on=HORIZON)
    assert vat.decide("NL", "DE", None, day).rate == Decimal(19)


@pytest.mark.parametrize("bad", [datetime(2025, 1, 1, tzinfo=UTC), "2025-01-01", None, 20250101])
def test_on_must_be_a_date(bad: object) -> None:
    with pytest.raises(ValidationError, match=r"datetime.date"):
        vat.standard_rate("DE", on=bad)  # type: ignore[arg-type]


def test_country_must_be_a_string() -> None:
    with pytest.raises(ValidationError, match=r"two-letter"):
        vat.standard_rate(49, on=START)  # type: ignore[arg-type]


# -- validation of the table at load -------------------------------------------------------------


def _packaged_text() -> str:
    path = resources.files("hostlib.billing").joinpath("data/vat_rates.csv")
    return path.read_text("utf-8")


def _replace(old: str, new: str) -> str:
    text = _packaged_text()
    assert old in text
    return text.replace(old, new, 1)


def test_the_packaged_text_parses_to_the_loaded_table() -> None:
    assert parse_rate_table(_packaged_text()) == rate_table()


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (lambda: _replace("DE,16,2020-07-01", "DE,16,2020-07-02"), r"DE has a gap"),
        (lambda: _replace("DE,16,2020-07-01", "DE,16,2020-06-30"), r"DE period .* overlaps"),
        (lambda: _replace("SK,23,2025-01-01,,", "SK,23,2025-01-01,2025-12-31,"), r"SK's last"),
        (lambda: _replace("AT,20,2015-01-01,,", "AT,20,2015-02-01,,"), r"AT must start"),
        (lambda: _replace("FI,24,2015-01-01,2024-08-31,", "FI,24,2015-01-01,,"), r"open-ended"),
        (lambda: _replace("DE,16,2020-07-01", "DE,19,2020-07-01"), r"repeats the rate"),
        (lambda: _replace("MT,18,2015-01-01,,", "MT,18.0.0,2015-01-01,,"), r"not a decimal"),
        (lambda: _replace("MT,18,2015-01-01,,", "MT,-1,2015-01-01,,"), r"above 0"),
        (lambda: _replace("MT,18,2015-01-01,,", "MT,18,2015-13-01,,"), r"not a date"),
        (
            lambda: _replace(
                "MT,18,2015-01-01,,EC-VATRATES (18 % since 2004-01-01); EC-TEDB",
                "MT,18,2015-01-01,,",
            ),
            r"source is empty",
        ),
        (lambda: _replace("MT,18,2015-01-01,,", "US,18,2015-01-01,,"), r"country 'US'"),
        (lambda: _replace("# horizon: 2026-11-26", "# no horizon"), r"horizon"),
        (lambda: _replace("country,rate,", "land,rate,"), r"header"),
        (
            lambda: _replace(
                "HU,27,2015-01-01,,EC-VATRATES (27 % since 2012-01-01); EC-TEDB\n", ""
            ),
            r"no rows for HU",
        ),
        (lambda: "", r"horizon"),
    ],
)
def test_a_broken_table_is_refused_at_load(broken: Callable[[], str], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_rate_table(broken())


# -- decisions: worked examples ------------------------------------------------------------------


def _vat(decision: vat.VatDecision, net: str) -> Decimal:
    return decision.tax_on(Decimal(net), quantum=CENT)


def test_nl_seller_de_consumer_pays_german_vat_through_the_oss() -> None:
    d = vat.decide("NL", "DE", None, date(2025, 1, 1))
    assert d.rule is vat.VatRule.EU_CONSUMER
    assert (d.rate, d.reverse_charge, d.country) == (Decimal(19), False, "DE")
    assert _vat(d, "100.00") == Decimal("19.00")
    assert Decimal("100.00") + _vat(d, "100.00") == Decimal("119.00")
    assert "Art. 58" in d.reason
    assert "One-Stop Shop" in d.reason
    assert d.invoice_note is None


def test_de_seller_fr_business_with_valid_vat_id_is_reverse_charged() -> None:
    d = vat.decide("DE", "FR", "FR 61 954 506 077", date(2025, 1, 1), is_business=True)
    assert d.rule is vat.VatRule.REVERSE_CHARGE
    assert (d.rate, d.reverse_charge, d.country) == (Decimal(0), True, "FR")
    assert _vat(d, "100.00") == Decimal("0.00")
    assert d.customer_vat_id == "FR61954506077"
    assert "Art. 44" in d.reason
    assert "Art. 196" in d.reason
    assert d.invoice_note is not None
    assert d.invoice_note.startswith("Reverse charge")


def test_customer_outside_the_eu_is_out_of_scope() -> None:
    for business in (False, True):
        d = vat.decide("DE", "US", None, date(2025, 1, 1), is_business=business)
        assert d.rule is vat.VatRule.OUTSIDE_EU
        assert (d.rate, d.reverse_charge, d.country) == (Decimal(0), False, None)
        assert _vat(d, "100.00") == Decimal("0.00")
        assert "Art. 44" in d.reason
        assert "Art. 59" in d.reason
        assert d.invoice_note is not None
        assert "Outside the scope of EU VAT" in d.invoice_note


def test_finnish_consumer_before_and_on_the_rate_change() -> None:
    before = vat.decide("DE", "FI", None, date(2024, 8, 31))
    after = vat.decide("DE", "FI", None, date(2024, 9, 1))
    assert (before.rate, after.rate) == (Decimal(24), Decimal("25.5"))
    assert _vat(before, "100.00") == Decimal("24.00")
    assert _vat(after, "100.00") == Decimal("25.50")
    # 99.99 * 25.5 % = 25.49745: half-up to the cent
    assert _vat(after, "99.99") == Decimal("25.50")
    assert "25.5 %" in after.reason


def test_domestic_consumer_and_domestic_business_pay_the_seller_rate() -> None:
    consumer = vat.decide("DE", "DE", None, date(2025, 1, 1))
    business = vat.decide("DE", "DE", "DE136695976", date(2025, 1, 1), is_business=True)
    for d in (consumer, business):
        assert d.rule is vat.VatRule.DOMESTIC
        assert (d.rate, d.reverse_charge, d.country) == (Decimal(19), False, "DE")
        assert _vat(d, "100.00") == Decimal("19.00")
    assert "Art. 58" in consumer.reason
    assert "Art. 44" in business.reason
    assert "not reverse-charged" in business.reason


def test_german_temporary_rate_applies_to_domestic_sales_in_the_second_half_of_2020() -> None:
    d = vat.decide("DE", "DE", None, date(2020, 12, 31))
    assert d.rate == Decimal(16)
    assert _vat(d, "100.00") == Decimal("16.00")
    assert vat.decide("DE", "DE", None, date(2021, 1, 1)).rate == Decimal(19)


def test_irish_consumer_in_the_temporary_period() -> None:
    d = vat.decide("NL", "IE", None, date(2020, 9, 1))
    assert (d.rate, d.country) == (Decimal(21), "IE")
    assert _vat(d, "50.00") == Decimal("10.50")
    assert "Mini One-Stop Shop" in d.reason  # the OSS started on 2021-07-01


def test_business_without_vat_id_is_treated_as_a_consumer() -> None:
    d = vat.decide("DE", "AT", None, date(2025, 1, 1), is_business=True)
    assert d.rule is vat.VatRule.EU_CONSUMER
    assert (d.rate, d.reverse_charge) == (Decimal(20), False)
    assert d.reason.startswith("Treated as a consumer because no VAT ID was given")


def test_business_with_an_invalid_vat_id_is_treated_as_a_consumer() -> None:
    d = vat.decide("DE", "FR", "FR61954506078", date(2025, 1, 1), is_business=True)
    assert d.rule is vat.VatRule.EU_CONSUMER
    assert (d.rate, d.reverse_charge, d.country) == (Decimal(20), False, "FR")
    assert d.vat_id_check is not None
    assert not d.vat_id_check.valid
    assert "check digits" in d.reason
    assert d.customer_vat_id is None


def test_a_valid_vat_id_makes_the_customer_a_taxable_person() -> None:
    d = vat.decide("DE", "FR", "FR61954506077", date(2025, 1, 1))
    assert d.reverse_charge
    assert "Art. 18(1)" in d.reason


def test_greek_customer_must_give_an_el_number() -> None:
    day = date(2025, 1, 1)
    good = vat.decide("DE", "GR", "EL094259216", day, is_business=True)
    assert good.reverse_charge
    assert good.country == "GR"
    wrong = vat.decide("DE", "EL", "GR094259216", day, is_business=True)
    assert not wrong.reverse_charge
    assert (wrong.rate, wrong.country) == (Decimal(24), "GR")
    assert "prefix EL" in wrong.reason


def test_xi_and_eu_numbers_do_not_make_a_reverse_charge() -> None:
    day = date(2025, 1, 1)
    xi = vat.decide("DE", "IE", "XI980780684", day, is_business=True)
    assert (xi.rule, xi.rate) == (vat.VatRule.EU_CONSUMER, Decimal(23))
    assert "Northern Ireland" in xi.reason
    oss = vat.decide("DE", "IE", "EU372022452", day, is_business=True)
    assert (oss.rule, oss.rate) == (vat.VatRule.EU_CONSUMER, Decimal(23))
    assert "One-Stop-Shop registrations" in oss.reason


def test_a_customer_giving_the_sellers_state_vat_id_is_a_domestic_sale() -> None:
    d = vat.decide("DE", "FR", "DE136695976", date(2025, 1, 1), is_business=True)
    assert (d.rule, d.rate, d.country) == (vat.VatRule.DOMESTIC, Decimal(19), "DE")


def test_united_kingdom_customer_before_and_after_the_transition_period() -> None:
    last = date(2020, 12, 31)
    first = date(2021, 1, 1)
    consumer = vat.decide("DE", "GB", None, last)
    assert (consumer.rule, consumer.rate, consumer.country) == (
        vat.VatRule.EU_CONSUMER,
        Decimal(20),
        "GB",
    )
    business = vat.decide("DE", "GB", "GB980780684", last, is_business=True)
    assert business.reverse_charge
    assert vat.decide("DE", "GB", None, first).rule is vat.VatRule.OUTSIDE_EU
    assert vat.decide("DE", "GB", "GB980780684", first, True).rule is vat.VatRule.OUTSIDE_EU


def test_united_kingdom_seller_follows_eu_rules_until_2021() -> None:
    assert vat.decide("GB", "FR", None, date(2020, 6, 1)).rate == Decimal(20)
    assert vat.decide("GB", "FR", None, date(2021, 1, 1)).rule is vat.VatRule.NOT_REGISTERED


def test_monaco_is_taxed_as_france() -> None:
    d = vat.decide("DE", "MC", None, date(2025, 1, 1))
    assert (d.rate, d.country) == (Decimal(20), "FR")
    assert "Art. 7" in d.reason


def test_seller_outside_the_eu_is_not_registered_by_default() -> None:
    d = vat.decide("US", "DE", None, date(2025, 1, 1))
    assert d.rule is vat.VatRule.NOT_REGISTERED
    assert (d.rate, d.reverse_charge, d.country) == (Decimal(0), False, None)
    assert d.reason.startswith("Not registered")


class SwissVat:
    """A plugged jurisdiction: Swiss VAT at 8.1 % on domestic sales, nothing else."""

    def decide(
        self,
        *,
        seller_country: str,
        customer_country: str,
        customer_vat_id: str | None,
        on: date,
        is_business: bool,
    ) -> vat.VatDecision:
        if customer_country == "CH":
            return vat.VatDecision(
                Decimal("8.1"),
                False,
                "Swiss domestic supply: MWST at 8.1 % (Art. 25 MWSTG).",
                rule=vat.VatRule.JURISDICTION,
                country="CH",
                on=on,
            )
        return vat.VatDecision(
            Decimal(0),
            False,
            "Export of a service from Switzerland: not taxed in CH.",
            rule=vat.VatRule.JURISDICTION,
            country=None,
            on=on,
        )


def test_a_jurisdiction_passed_in_decides_for_its_sellers() -> None:
    swiss: dict[str, vat.Jurisdiction] = {"CH": SwissVat()}
    day = date(2025, 1, 1)
    d = vat.decide("CH", "CH", None, day, jurisdictions=swiss)
    assert (d.rule, d.rate, d.country) == (vat.VatRule.JURISDICTION, Decimal("8.1"), "CH")
    assert _vat(d, "100.00") == Decimal("8.10")
    assert vat.decide("CH", "DE", None, day, jurisdictions=swiss).rate == Decimal(0)
    # EU sellers never ask a jurisdiction
    assert vat.decide("DE", "CH", None, day, jurisdictions=swiss).rule is vat.VatRule.OUTSIDE_EU


@pytest.fixture
def swiss_registered() -> Iterator[None]:
    vat.register_jurisdiction("CH", SwissVat())
    yield
    vat.unregister_jurisdiction("CH")


@pytest.mark.usefixtures("swiss_registered")
def test_a_registered_jurisdiction_is_used_by_default() -> None:
    assert "CH" in vat.registered_jurisdictions()
    assert vat.decide("CH", "CH", None, date(2025, 1, 1)).rate == Decimal("8.1")


def test_registering_jurisdictions_checks_its_input() -> None:
    with pytest.raises(ValidationError, match=r"DE is an EU member state"):
        vat.register_jurisdiction("DE", SwissVat())
    with pytest.raises(ValidationError, match=r"decide\("):
        vat.register_jurisdiction("CH", object())  # type: ignore[arg-type]
    with pytest.raises(NotFoundError, match=r"no jurisdiction is registered for NO"):
        vat.unregister_jurisdiction("NO")


def test_a_jurisdiction_returning_the_wrong_type_is_a_billing_error() -> None:
    class Broken:
        def decide(self, **_: object) -> object:
            return {"rate": 0}

    with pytest.raises(BillingError, match=r"returned dict, not a VatDecision"):
        vat.decide("CH", "CH", None, date(2025, 1, 1), jurisdictions={"CH": Broken()})  # type: ignore[dict-item]


# -- decisions: bad input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"seller_country": "ZZ"}, ValidationError, r"seller_country 'ZZ' is not an ISO"),
        ({"customer_country": "Germany"}, ValidationError, r"customer_country 'Germany'"),
        ({"customer_country": None}, ValidationError, r"two-letter"),
        ({"customer_vat_id": 136695976}, ValidationError, r"string or None"),
        ({"on": "2025-01-01"}, ValidationError, r"datetime.date"),
        ({"on": date(2014, 12, 31)}, NotFoundError, r"covers 2015-01-01 onwards"),
        ({"is_business": "yes"}, ValidationError, r"is_business"),
    ],
)
def test_bad_input_to_decide_is_a_typed_error(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    args: dict[str, object] = {
        "seller_country": "DE",
        "customer_country": "FR",
        "customer_vat_id": None,
        "on": date(2025, 1, 1),
        "is_business": False,
    }
    args.update(kwargs)
    with pytest.raises(error, match=message):
        vat.decide(**args)  # type: ignore[arg-type]


def test_vat_decision_refuses_floats_and_impossible_rates() -> None:
    common = {"rule": vat.VatRule.JURISDICTION, "country": None, "on": date(2025, 1, 1)}
    with pytest.raises(ValidationError, match=r"not float"):
        vat.VatDecision(19.0, False, "x", **common)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"below 100"):
        vat.VatDecision(Decimal(100), False, "x", **common)  # type: ignore[arg-type]
    d = vat.VatDecision("19", False, "x", **common)  # type: ignore[arg-type]
    assert d.rate == Decimal(19)
    with pytest.raises(ValidationError, match=r"finite Decimal"):
        d.tax_on(100.0, quantum=CENT)  # type: ignore[arg-type]


# -- VIES ----------------------------------------------------------------------------------------


class FakeVies:
    """An in-process implementation of our ViesChecker protocol."""

    def __init__(self, valid: bool = True, fail: Exception | None = None) -> None:
        self.valid = valid
        self.fail = fail
        self.asked: list[str] = []

    def check(self, vat_id: str) -> vat.ViesResult:
        self.asked.append(vat_id)
        if self.fail is not None:
            raise self.fail
        return vat.ViesResult(
            valid=self.valid,
            name="EXAMPLE SARL" if self.valid else None,
            address="1 RUE DE L'EXEMPLE, 75001 PARIS" if self.valid else None,
            consultation_reference="WAPIAAAAY5pZ0ZkR",
            checked_at=datetime(2025, 1, 1, 9, 30, tzinfo=UTC),
            vat_id=vat_id,
        )


def test_vies_confirmation_is_recorded_with_its_consultation_reference() -> None:
    checker = FakeVies()
    assert isinstance(checker, vat.ViesChecker)
    d = vat.decide("DE", "FR", "fr-61954506077", date(2025, 1, 1), True, vies=checker)
    assert checker.asked == ["FR61954506077"]
    assert d.reverse_charge
    assert d.vies is not None
    assert d.vies.name == "EXAMPLE SARL"
    assert d.consultation_reference == "WAPIAAAAY5pZ0ZkR"
    assert "WAPIAAAAY5pZ0ZkR" in d.reason


def test_vies_saying_not_valid_treats_the_customer_as_a_consumer() -> None:
    d = vat.decide("DE", "FR", "FR61954506077", date(2025, 1, 1), True, vies=FakeVies(False))
    assert (d.rule, d.rate, d.reverse_charge) == (vat.VatRule.EU_CONSUMER, Decimal(20), False)
    assert d.consultation_reference == "WAPIAAAAY5pZ0ZkR"
    assert "VIES reports VAT ID FR61954506077 as not valid" in d.reason


def test_vies_is_asked_only_when_it_decides_a_reverse_charge() -> None:
    checker = FakeVies()
    day = date(2025, 1, 1)
    vat.decide("DE", "DE", "DE136695976", day, True, vies=checker)
    vat.decide("DE", "US", "FR61954506077", day, True, vies=checker)
    vat.decide("DE", "FR", "FR61954506078", day, True, vies=checker)  # fails offline first
    vat.decide("DE", "FR", None, day, False, vies=checker)
    assert checker.asked == []


def test_vies_failures_are_typed_errors() -> None:
    day = date(2025, 1, 1)
    refused = PermissionDenied("VIES refused the requester")
    with pytest.raises(PermissionDenied):
        vat.decide("DE", "FR", "FR61954506077", day, True, vies=FakeVies(fail=refused))
    with pytest.raises(BillingError, match=r"VIES check of FR61954506077 failed") as caught:
        vat.decide("DE", "FR", "FR61954506077", day, True, vies=FakeVies(fail=OSError("down")))
    assert isinstance(caught.value.__cause__, OSError)

    class Wrong:
        def check(self, vat_id: str) -> object:
            return True

    with pytest.raises(BillingError, match=r"not a ViesResult"):
        vat.decide("DE", "FR", "FR61954506077", day, True, vies=Wrong())  # type: ignore[arg-type]


def test_vies_result_needs_an_aware_timestamp() -> None:
    with pytest.raises(ValidationError, match=r"timezone-aware"):
        vat.ViesResult(True, None, None, None, datetime(2025, 1, 1))


# -- VAT IDs -------------------------------------------------------------------------------------

VALID_IDS = {
    "DE136695976": "DE136695976",
    "DE 136 695 976": "DE136695976",
    "de-136.695.976": "DE136695976",
    "ATU57194903": "ATU57194903",
    "BE697449992": "BE0697449992",
    "EL094259216": "EL094259216",
    "EL 094.259.216": "EL094259216",
    "FR 61 954 506 077": "FR61954506077",
    "NL004495445B01": "NL004495445B01",
    "FI 20774740": "FI20774740",
    "SK 202 274 96 19": "SK2022749619",
    "PL 856-734-62-15": "PL8567346215",
    "IT00743110157": "IT00743110157",
    "IE6433435OA": "IE6433435OA",
    "ESB64717838": "ESB64717838",
    "RO18547290": "RO18547290",
    "EE100931558": "EE100931558",
}

INVALID_IDS = {
    "DE136695978": "check digits",
    "FI20774741": "check digits",
    "SK2022749618": "check digits",
    "GR094259216": "prefix EL",
    "XI980780684": "Northern Ireland",
    "EU372022452": "One-Stop-Shop",
    "GB980780684": "2020-12-31",
    "US123456789": "not the VAT prefix of an EU member state",
    "136695976": "two-letter country prefix",
    "DE12": "wrong length",
    "": "empty",
    "   ": "empty",
}


@pytest.mark.parametrize(("given", "normalised"), VALID_IDS.items())
def test_valid_vat_ids(given: str, normalised: str) -> None:
    assert vat.validate_vat_id(given)
    assert vat.parse_vat_id(given) == normalised
    check = vat.check_vat_id(given)
    assert (check.valid, check.number, check.reason) == (True, normalised, None)


@pytest.mark.parametrize(("given", "why"), INVALID_IDS.items())
def test_invalid_vat_ids_say_why(given: str, why: str) -> None:
    assert not vat.validate_vat_id(given)
    check = vat.check_vat_id(given)
    assert not check.valid
    assert check.reason is not None
    assert why in check.reason
    with pytest.raises(ValidationError, match=why):
        vat.parse_vat_id(given)


def test_greek_number_reports_greece_and_hints_at_el() -> None:
    assert vat.check_vat_id("EL094259216").country == "GR"
    wrong = vat.check_vat_id("GR094259216")
    assert wrong.reason is not None
    assert "EL094259216 is valid" in wrong.reason


def test_gb_numbers_were_eu_vat_ids_until_the_end_of_2020() -> None:
    assert vat.validate_vat_id("GB 980 7806 84", on=date(2020, 12, 31))
    assert not vat.validate_vat_id("GB980780684", on=date(2021, 1, 1))
    assert not vat.validate_vat_id("GB980780685", on=date(2020, 12, 31))


@pytest.mark.parametrize("bad", [None, 136695976, b"DE136695976", ["DE136695976"]])
def test_vat_id_must_be_a_string(bad: object) -> None:
    with pytest.raises(ValidationError, match=r"must be a string"):
        vat.validate_vat_id(bad)  # type: ignore[arg-type]


# -- properties ----------------------------------------------------------------------------------

_countries = st.sampled_from([*EU27, "EL", "GB", "US", "CH", "MC", "NO", "JP"])
_days = st.dates(min_value=START, max_value=HORIZON)
_vat_ids = st.one_of(st.none(), st.sampled_from([*VALID_IDS, *INVALID_IDS]), st.text(max_size=20))


@settings(max_examples=300, deadline=None)
@given(_countries, _countries, _vat_ids, _days, st.booleans())
def test_every_decision_is_consistent(
    seller: str, customer: str, vat_id: str | None, day: date, business: bool
) -> None:
    d = vat.decide(seller, customer, vat_id, day, business)
    assert isinstance(d.rate, Decimal)
    assert d.on == day
    assert d.reason.endswith(".")
    if d.reverse_charge:
        assert d.rule is vat.VatRule.REVERSE_CHARGE
        assert d.rate == 0
        assert d.invoice_note is not None
    if d.rule in (vat.VatRule.DOMESTIC, vat.VatRule.EU_CONSUMER):
        assert d.country is not None
        assert d.rate == vat.standard_rate(d.country, on=day)
    if d.rule in (vat.VatRule.OUTSIDE_EU, vat.VatRule.NOT_REGISTERED):
        assert (d.rate, d.country) == (Decimal(0), None)
    amount = d.tax_on(Decimal("123.45"), quantum=CENT)
    assert amount.as_tuple().exponent == -2
    exact = Decimal("123.45") * d.rate / 100
    assert amount == exact.quantize(CENT, rounding=ROUND_HALF_UP)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_text_is_checked_without_raising(text: str) -> None:
    check = vat.check_vat_id(text)
    assert check.valid == (check.reason is None)
    assert check.valid == vat.validate_vat_id(text)
