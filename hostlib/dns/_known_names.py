"""Names validated before, remembered so that bulk paths check each string once.

A bulk apply passes every owner name through the plan's read, the write and
the read-back, and every host name through the plan and the write: checking
each of them again with a regular expression was a measurable share of the
time. ``KNOWN`` maps a name, as it was given, to its absolute lower-case
form. Only code that has fully validated the name as a DNS name puts it
there (``reverse_name`` and ``normalize_hostname`` for what they return,
the RFC 2136 backend for the names it checks), so whatever is found there
is a valid absolute DNS name. Bounded: cleared when full.
"""

from __future__ import annotations

__all__ = ["KNOWN", "remember"]

KNOWN: dict[str, str] = {}
_LIMIT = 65_536


def remember(given: str, absolute: str) -> str:
    """Record that ``given`` is the valid name ``absolute``; returns ``absolute``."""
    if len(KNOWN) >= _LIMIT:
        KNOWN.clear()
    KNOWN[given] = absolute
    return absolute
