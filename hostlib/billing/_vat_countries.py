"""Country codes for the VAT rules: ISO 3166-1 alpha-2 and the EU VAT area over time.

The list of ISO 3166-1 alpha-2 codes was taken once from the CLDR territory
list that Babel ships (exceptionally reserved and private-use codes removed,
``XK`` for Kosovo kept because it is in common use), so that checking a
country code needs no data file and no I/O.
"""

from __future__ import annotations

from datetime import date

__all__ = [
    "EU_MEMBERSHIP",
    "ISO_COUNTRIES",
    "VAT_PREFIX",
    "VAT_TERRITORY_OF",
]

_ISO_CODES = (
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ "
    "BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR "
    "CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR "
    "GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU "
    "ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ "
    "LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ "
    "MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF "
    "PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI "
    "SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR "
    "TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW"
)
ISO_COUNTRIES: frozenset[str] = frozenset(_ISO_CODES.split())

#: Members of the EU VAT area in the data's range: ISO code -> (first day, last day or None).
#: The United Kingdom applied EU VAT law until the end of the Brexit transition period.
EU_MEMBERSHIP: dict[str, tuple[date, date | None]] = {
    code: (date(2015, 1, 1), None)
    for code in (
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
        "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
    )
} | {"GB": (date(2015, 1, 1), date(2020, 12, 31))}  # fmt: skip

#: VAT number prefix where it differs from the ISO code (Greece uses EL).
VAT_PREFIX: dict[str, str] = {"GR": "EL"}

#: Territories with their own ISO code that belong to another state's VAT area
#: (Art. 7 of Council Directive 2006/112/EC): Monaco is treated as France, the
#: Isle of Man as the United Kingdom.
VAT_TERRITORY_OF: dict[str, str] = {"MC": "FR", "IM": "GB"}
