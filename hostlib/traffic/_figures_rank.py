"""Rank arithmetic for the billing percentile (pure; no rrdtool).

Two rank rules meet here:

* hostlib's billing rule, nearest rank: over ``n`` known values sorted
  ascending, the ``p``-th percentile is the value of 1-based rank
  ``ceil(p/100 * n)`` (at least 1), computed exactly with fractions;
* rrdtool's ``VDEF PERCENT``: over *all* ``rows`` values of the series,
  unknowns sorted lowest, the 0-based index ``round(q * (rows - 1) / 100)``
  computed in C doubles and rounded half away from zero.

:func:`rrd_param_for_index` finds the ``q`` that makes rrdtool pick a given
index, so the fast path can ask librrd for the exact nearest-rank sample.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

from hostlib.errors import HostlibError, ValidationError

__all__ = [
    "check_p",
    "nearest_rank_index",
    "nearest_rank_value",
    "rrd_param_for_index",
    "rrd_percent_index",
]


def check_p(p: object) -> Fraction:
    """Return percentile ``p`` (0-100) as an exact fraction of its decimal text.

    A float is read as the decimal it prints as (``99.9`` is 999/10, not the
    binary value next to it), so ``ceil(p/100 * n)`` lands where a person
    computing by hand would put it.

    Raises:
        ValidationError: not a real number from 0 to 100.
    """
    if isinstance(p, bool) or not isinstance(p, int | float):
        raise ValidationError(f"percentile p={p!r} must be a number from 0 to 100, e.g. 95")
    if isinstance(p, float) and not math.isfinite(p):
        raise ValidationError(f"percentile p={p!r} must be a finite number from 0 to 100")
    exact = Fraction(p) if isinstance(p, int) else Fraction(repr(p))
    if not 0 <= exact <= 100:
        raise ValidationError(f"percentile p={p!r} is out of range: give a number from 0 to 100")
    return exact


def nearest_rank_index(n: int, p: Fraction) -> int:
    """0-based index of the nearest-rank ``p``-th percentile among ``n`` sorted values.

    Rank is ``ceil(p/100 * n)``, at least 1 (so ``p=0`` is the minimum).
    """
    if n < 1:
        raise ValueError("nearest rank needs at least one value")
    rank = max(1, math.ceil(p * n / 100))
    return rank - 1


def nearest_rank_value(values: Sequence[float], p: Fraction) -> float:
    """The nearest-rank ``p``-th percentile of ``values`` (known values only)."""
    ordered = sorted(values)
    return ordered[nearest_rank_index(len(ordered), p)]


def _c_round(x: float) -> int:
    # C round(): halves away from zero; x is never negative here. x - floor(x)
    # is exact in binary floating point, so the comparison has no rounding.
    whole = math.floor(x)
    return int(whole) + 1 if x - whole >= 0.5 else int(whole)


def rrd_percent_index(q: float, rows: int) -> int:
    """The 0-based index rrdtool's ``PERCENT``/``PERCENTNAN`` picks among ``rows`` values.

    Mirrors librrd 1.7 ``vdef_calc``: ``round((q * (double)(rows - 1)) / 100.0)``,
    evaluated in the same double operations in the same order.
    """
    return _c_round(q * float(rows - 1) / 100.0)


def rrd_param_for_index(index: int, rows: int) -> float:
    """A ``q`` for which :func:`rrd_percent_index` ``(q, rows)`` is ``index``.

    Aims at the middle of the rounding interval (``q * (rows-1) / 100`` equal
    to ``index``, half a step away from either boundary), then checks the
    result with the same double arithmetic librrd uses.
    """
    if not 0 <= index < rows:
        raise ValueError(f"index {index} is outside 0..{rows - 1}")
    if rows == 1:
        return 0.0
    q = min(100.0, 100.0 * index / (rows - 1))
    if rrd_percent_index(q, rows) != index:  # pragma: no cover - exhaustively tested
        raise HostlibError(
            f"internal error: no rrdtool percentile parameter selects index {index} of {rows}"
        )
    return q
