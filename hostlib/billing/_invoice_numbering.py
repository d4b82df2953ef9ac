"""Invoice numbers: a pure function of a series' format and its last number.

A series format is a :meth:`str.format` template with the fields ``{seq}``
(required, the running number), ``{year}`` and ``{month}`` (optional), e.g.
``"INV-{year}-{seq:06d}"``. With ``{year}`` the sequence restarts at 1 on
the first number of a new calendar year; with ``{year}`` and ``{month}`` it
restarts every month. Making the numbers gapless under concurrency (one
number per committed invoice, no two workers taking the same) is the store's
job: it keeps "last" in a row it locks.
"""

from __future__ import annotations

import re
import string
from datetime import date
from functools import lru_cache

import attrs

from hostlib.errors import BillingError, ValidationError

__all__ = ["NumberParts", "next_number", "parse_number"]

_FIELDS = frozenset({"seq", "year", "month"})


@attrs.frozen
class NumberParts:
    """The fields read back from an issued number."""

    seq: int
    year: int | None = None
    month: int | None = None


@attrs.frozen
class _Series:
    template: str
    pattern: re.Pattern[str]
    has_year: bool
    has_month: bool


@lru_cache(maxsize=128)
def _series(template: object) -> _Series:
    if not isinstance(template, str) or not template:
        raise ValidationError(
            f"number series {template!r} must be a format string such as 'INV-{{year}}-{{seq:06d}}'"
        )
    hint = "use only {seq}, {year} and {month}, e.g. 'INV-{year}-{seq:06d}'"
    regex = ["^"]
    seen: list[str] = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValidationError(f"number series {template!r} is not a valid format: {hint}") from exc
    for literal, field, spec, conversion in parsed:
        regex.append(re.escape(literal))
        if field is None:
            continue
        if field not in _FIELDS or conversion or field in seen:
            raise ValidationError(f"number series {template!r} has field {{{field}}}: {hint}")
        seen.append(field)
        try:
            format(1, spec or "")
        except ValueError as exc:
            raise ValidationError(
                f"number series {template!r}: format spec {spec!r} of {{{field}}} does not "
                "format an integer (use e.g. '06d')"
            ) from exc
        if field == "year":
            regex.append(r"(?P<year>\d{4})")
        elif field == "month":
            width = r"\d{2}" if (spec or "").startswith("0") else r"\d{1,2}"
            regex.append(f"(?P<month>{width})")
        else:
            regex.append(r"(?P<seq>\d+)")
    if "seq" not in seen:
        raise ValidationError(f"number series {template!r} has no {{seq}} field: {hint}")
    if "month" in seen and "year" not in seen:
        raise ValidationError(
            f"number series {template!r} has {{month}} without {{year}}: add {{year}}"
        )
    regex.append("$")
    return _Series(template, re.compile("".join(regex)), "year" in seen, "month" in seen)


def parse_number(series: str, number: str) -> NumberParts:
    """Read ``seq``, ``year`` and ``month`` back from ``number``.

    Raises:
        ValidationError: the number does not follow the series format.
    """
    spec = _series(series)
    match = spec.pattern.match(number) if isinstance(number, str) else None
    if match is None:
        raise ValidationError(
            f"number {number!r} does not follow series {series!r}: give the last number "
            "issued in this series, or None for the first"
        )
    groups = match.groupdict()
    return NumberParts(
        seq=int(groups["seq"]),
        year=int(groups["year"]) if spec.has_year else None,
        month=int(groups["month"]) if spec.has_month else None,
    )


def next_number(series: str, last: str | None, on: date) -> str:
    """The number that follows ``last`` in ``series`` for a document dated ``on``.

    ``next_number("INV-{year}-{seq:06d}", "INV-2025-000041", date(2025, 3, 1))``
    is ``"INV-2025-000042"``; on 2026-01-01 it is ``"INV-2026-000001"``.
    Pure and deterministic.

    Raises:
        ValidationError: a bad series format or a ``last`` not in it.
        BillingError: ``on`` lies in a year (or month) before ``last``'s:
            numbers must follow the order of issue dates.
    """
    spec = _series(series)
    if not isinstance(on, date):
        raise ValidationError(f"on={on!r} must be a datetime.date")
    seq = 1
    if last is not None:
        parts = parse_number(series, last)
        period = (parts.year or 0, parts.month or 0)
        current = (on.year if spec.has_year else 0, on.month if spec.has_month else 0)
        if current < period:
            raise BillingError(
                f"cannot number a document dated {on.isoformat()} after {last!r}: the series "
                "is already in a later period; issue it with a date in that period"
            )
        seq = parts.seq + 1 if current == period else 1
    return spec.template.format(seq=seq, year=on.year, month=on.month)
