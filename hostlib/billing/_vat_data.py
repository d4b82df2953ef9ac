"""The dated standard-rate table: parsing, validation at load, lookup.

The table lives in ``hostlib/billing/data/vat_rates.csv`` (package data) and
is read once, on first use. Parsing is a pure function of the file's text so
that tests can feed it broken tables and see each defect refused.
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from importlib import resources

import attrs

from hostlib.billing._vat_countries import EU_MEMBERSHIP
from hostlib.errors import ValidationError

__all__ = ["RatePeriod", "RateTable", "parse_rate_table", "rate_table"]

_COLUMNS = ["country", "rate", "valid_from", "valid_to", "source"]
_HORIZON_PREFIX = "# horizon:"
_DATA_START = date(2015, 1, 1)
_ONE_DAY = timedelta(days=1)


@attrs.frozen
class RatePeriod:
    """One row of the table: a standard rate in force from ``valid_from`` to ``valid_to``.

    Both dates are inclusive; ``valid_to`` is None while the rate is still in
    force at the table's horizon. ``source`` cites where the row was verified.
    """

    country: str
    rate: Decimal
    valid_from: date
    valid_to: date | None
    source: str

    def covers(self, day: date) -> bool:
        """True if the rate applies on ``day``."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@attrs.frozen
class RateTable:
    """Every country's periods, sorted and contiguous, and the date the data reaches."""

    periods: Mapping[str, Sequence[RatePeriod]]
    start: date
    horizon: date

    def rows(self) -> list[RatePeriod]:
        """All periods, country by country, oldest first."""
        return [p for code in sorted(self.periods) for p in self.periods[code]]


def _bad(line: int, message: str) -> ValidationError:
    return ValidationError(f"VAT rate table line {line}: {message}")


def _parse_date(text: str, line: int, column: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise _bad(line, f"{column} {text!r} is not a date; write YYYY-MM-DD") from exc


def _parse_rate(text: str, line: int) -> Decimal:
    try:
        rate = Decimal(text)
    except InvalidOperation as exc:
        raise _bad(line, f"rate {text!r} is not a decimal number") from exc
    if not rate.is_finite() or not Decimal(0) < rate < Decimal(100):
        raise _bad(line, f"rate {text!r} must be a percentage above 0 and below 100")
    return rate


def _parse_horizon(text: str) -> date:
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.startswith(_HORIZON_PREFIX):
            return _parse_date(raw[len(_HORIZON_PREFIX) :].strip(), number, "horizon")
    raise ValidationError(
        f"VAT rate table has no '{_HORIZON_PREFIX} YYYY-MM-DD' line: add the date up to "
        "which every row was verified"
    )


def _parse_rows(text: str) -> list[tuple[int, RatePeriod]]:
    numbered = [
        (number, raw)
        for number, raw in enumerate(text.splitlines(), start=1)
        if raw.strip() and not raw.startswith("#")
    ]
    if not numbered:
        raise ValidationError("VAT rate table is empty")
    reader = csv.reader(io.StringIO("\n".join(raw for _, raw in numbered)))
    records = list(reader)
    if records[0] != _COLUMNS:
        raise _bad(numbered[0][0], f"header must be {','.join(_COLUMNS)}")
    rows: list[tuple[int, RatePeriod]] = []
    for (line, _), record in zip(numbered[1:], records[1:], strict=True):
        if len(record) != len(_COLUMNS):
            raise _bad(line, f"expected {len(_COLUMNS)} columns, found {len(record)}")
        country, rate, valid_from, valid_to, source = (field.strip() for field in record)
        if country not in EU_MEMBERSHIP:
            known = ", ".join(sorted(EU_MEMBERSHIP))
            raise _bad(line, f"country {country!r} is not one of {known}")
        if not source:
            raise _bad(line, "source is empty: cite where the rate was verified")
        start = _parse_date(valid_from, line, "valid_from")
        end = _parse_date(valid_to, line, "valid_to") if valid_to else None
        if end is not None and end < start:
            raise _bad(line, f"valid_to {end} is before valid_from {start}")
        rows.append((line, RatePeriod(country, _parse_rate(rate, line), start, end, source)))
    return rows


def _check_country(code: str, rows: list[tuple[int, RatePeriod]], horizon: date) -> None:
    first_line, first = rows[0]
    if first.valid_from != _DATA_START:
        raise _bad(first_line, f"{code} must start on {_DATA_START}, not {first.valid_from}")
    for (_, before), (line, after) in itertools.pairwise(rows):
        if before.valid_to is None:
            raise _bad(line, f"{code} period from {after.valid_from} follows an open-ended one")
        expected = before.valid_to + _ONE_DAY
        if after.valid_from < expected:
            raise _bad(line, f"{code} period from {after.valid_from} overlaps the one before")
        if after.valid_from > expected:
            raise _bad(line, f"{code} has a gap: nothing covers {expected}")
        if after.rate == before.rate:
            raise _bad(line, f"{code} period from {after.valid_from} repeats the rate before")
    last_line, last = rows[-1]
    member_until = EU_MEMBERSHIP[code][1]
    if last.valid_to != member_until:
        want = "an empty valid_to" if member_until is None else f"valid_to {member_until}"
        raise _bad(last_line, f"{code}'s last period must have {want}")
    if member_until is None and last.valid_from > horizon:
        raise _bad(last_line, f"{code} period starts after the horizon {horizon}")


def parse_rate_table(text: str) -> RateTable:
    """Parse and validate the CSV text of a rate table.

    Every member state must have periods from 2015-01-01 without gap or
    overlap, no two neighbours with the same rate, the last one open-ended
    (or ending when the state left the EU VAT area), and every row a source.

    Raises:
        ValidationError: the table breaks one of these rules (line named).
    """
    horizon = _parse_horizon(text)
    by_country: dict[str, list[tuple[int, RatePeriod]]] = {}
    for line, period in _parse_rows(text):
        by_country.setdefault(period.country, []).append((line, period))
    missing = sorted(set(EU_MEMBERSHIP) - set(by_country))
    if missing:
        raise ValidationError(f"VAT rate table has no rows for {', '.join(missing)}")
    periods: dict[str, tuple[RatePeriod, ...]] = {}
    for code, rows in by_country.items():
        rows.sort(key=lambda item: item[1].valid_from)
        _check_country(code, rows, horizon)
        periods[code] = tuple(period for _, period in rows)
    return RateTable(periods=periods, start=_DATA_START, horizon=horizon)


@functools.cache
def rate_table() -> RateTable:
    """The packaged table, read and validated once."""
    text = resources.files("hostlib.billing").joinpath("data/vat_rates.csv").read_text("utf-8")
    return parse_rate_table(text)
