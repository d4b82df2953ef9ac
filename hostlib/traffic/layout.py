"""Where a server's RRD file lives and what is in it.

One RRD file per server, ``<root>/<name>.rrd`` (always an absolute path:
rrdcached resolves relative paths against the client's working directory and
refuses them when started with ``-B``).

Data sources
------------
Two data sources, ``in`` and ``out``, fed with the interface's octet
counters (as reported, e.g. SNMP ``ifHCInOctets``/``ifHCOutOctets``) and
stored as rates in bytes/s::

    DS:in:DERIVE:600:0:<link speed / 8>
    DS:out:DERIVE:600:0:<link speed / 8>

* Step 300 s: one primary sample every 5 minutes.
* Heartbeat 600 s: two updates further apart than that leave the time
  between them unknown rather than spreading an average over it.
* ``DERIVE`` with minimum 0 and maximum = link speed in bytes/s. A counter
  that goes backwards (the switch or the server rebooted and the counter
  restarted at 0) gives a negative rate, which is below the minimum and so
  stored as *unknown*; a jump that would mean more than the link can carry
  is above the maximum and also stored as *unknown*. Neither ever becomes
  traffic, so neither ever reaches a bill.

  ``COUNTER`` would instead assume that every decrease is a wrap and add
  2**32 (or 2**64): a reset from 3.0e9 to 0 would be read as 1.29e9 bytes
  in five minutes (34 Mbit/s) of traffic that never happened, well under
  most link speeds and therefore billed. A counter wrap and a counter reset
  look the same to the poller, so no scheme can tell them apart for sure.
  The trade-off we accept: a genuine wrap is stored as *unknown* for the
  one update interval in which it happens (the next interval is normal
  again), and unknown samples are left out of totals and percentiles. With
  64-bit counters a wrap needs 2**64 bytes (about 470 years at 10 Gbit/s),
  so it never happens in practice. A 32-bit counter wraps every 3.4 s at
  10 Gbit/s and every 344 s at 100 Mbit/s under full load: such counters
  cannot be polled correctly every 5 minutes at all, wrap handling or not;
  poll the 64-bit counters. Counters are passed to rrdtool as decimal
  integers, and rrdtool subtracts them exactly (as strings), so 64-bit
  values near 2**64 keep every octet.

Archives (RRAs)
---------------
============================  ==========  ======  ===========================
archive                       resolution  rows    covers
============================  ==========  ======  ===========================
``RRA:AVERAGE:0.5:1:11520``   5 minutes   11520   40 days
``RRA:AVERAGE:0.5:12:2400``   1 hour      2400    100 days
``RRA:MAX:0.5:12:2400``       1 hour      2400    100 days
``RRA:AVERAGE:0.5:288:800``   1 day       800     800 days (2.19 years)
``RRA:MAX:0.5:288:800``       1 day       800     800 days (2.19 years)
============================  ==========  ======  ===========================

* Every 5-minute sample is kept for 40 days: a whole billing month (at most
  31 days) plus 9 days to bill it late or re-check it. The 95th percentile
  and the totals of a month need every 5-minute sample: computing them from
  consolidated rows flattens the peaks (MRTG/Cacti keep 5-minute rows for a
  day only, and their monthly 95th from 2-hour rows comes out about 0.74x
  the true one). The day, week and month views read these rows.
* 1-hour and 1-day rows serve views further back (older than 40 days, and
  the year view, which must reach back at least two years). Each has an
  ``AVERAGE`` archive (volume, the line to draw) and a ``MAX`` archive (the
  highest 5-minute rate in the row), so a short burst stays visible in a
  year view instead of being averaged away as in MRTG/Cacti.
* ``xff`` 0.5: a consolidated row is unknown when more than half of its
  5-minute samples are unknown, known (averaged over the known ones)
  otherwise.

Size: 288,768 bytes per file (measured with ``os.path.getsize`` on
librrd 1.7.2, 64-bit): 184,320 for the 5-minute archive, 76,800 for the two
hourly, 25,600 for the two daily, the rest header. 10,000 servers need
about 2.9 GB. The file is allocated in full by ``create`` and never grows.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import attrs

from hostlib.errors import ValidationError

__all__ = [
    "ARCHIVES",
    "DEFAULT_LINK_SPEED_BPS",
    "DS_IN",
    "DS_OUT",
    "FILE_SIZE",
    "HEARTBEAT",
    "STEP",
    "Archive",
    "create",
    "create_args",
    "definitions",
    "rrd_path",
    "validate_name",
]

#: seconds between primary data points (one 5-minute sample)
STEP: Final = 300
#: a gap between two updates longer than this is unknown, never traffic
HEARTBEAT: Final = 600
#: data source holding inbound octets (stored as bytes/s)
DS_IN: Final = "in"
#: data source holding outbound octets (stored as bytes/s)
DS_OUT: Final = "out"
#: link speed used for the data sources' maximum when none is given: 10 Gbit/s
DEFAULT_LINK_SPEED_BPS: Final = 10_000_000_000
#: bytes of one file of this layout (librrd 1.7.2, 64-bit), see the docstring
FILE_SIZE: Final = 288_768


@attrs.frozen
class Archive:
    """One round-robin archive: consolidation function, steps per row, rows."""

    cf: str
    steps: int
    rows: int

    @property
    def resolution(self) -> int:
        """Seconds per row."""
        return self.steps * STEP

    @property
    def span(self) -> int:
        """Seconds of history the archive keeps."""
        return self.resolution * self.rows

    def definition(self) -> str:
        return f"RRA:{self.cf}:0.5:{self.steps}:{self.rows}"


#: the archives of every traffic file, finest first
ARCHIVES: Final = (
    Archive("AVERAGE", 1, 11520),
    Archive("AVERAGE", 12, 2400),
    Archive("MAX", 12, 2400),
    Archive("AVERAGE", 288, 800),
    Archive("MAX", 288, 800),
)

_NAME = re.compile(r"(?!\.)[A-Za-z0-9._-]{1,100}")


def validate_name(name: object) -> str:
    """Return ``name`` if it can name a server's RRD file.

    Raises:
        ValidationError: not 1-100 letters, digits, '.', '_' or '-', or it
            starts with '.'.
    """
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValidationError(
            f"server name {name!r} is not valid for a traffic file: use 1-100 letters, "
            "digits, '.', '_' or '-', not starting with '.'"
        )
    return name


def rrd_path(root: Path, name: str) -> Path:
    """Return the absolute path of server ``name``'s RRD file under ``root``.

    Raises:
        ValidationError: bad server name (see :func:`validate_name`).
    """
    return Path(root).absolute() / f"{validate_name(name)}.rrd"


def _max_rate(link_speed_bps: int) -> int:
    if (
        isinstance(link_speed_bps, bool)
        or not isinstance(link_speed_bps, int)
        or not 8 <= link_speed_bps <= 10**15
    ):
        raise ValidationError(
            f"link_speed_bps={link_speed_bps!r} is not valid: give the link speed in "
            "bits/s as an integer from 8 to 10**15 (e.g. 10_000_000_000 for 10 Gbit/s)"
        )
    return link_speed_bps // 8


def definitions(*, link_speed_bps: int = DEFAULT_LINK_SPEED_BPS) -> list[str]:
    """Return the DS and RRA definitions of a traffic file.

    Raises:
        ValidationError: bad link speed.
    """
    top = _max_rate(link_speed_bps)
    return [
        f"DS:{DS_IN}:DERIVE:{HEARTBEAT}:0:{top}",
        f"DS:{DS_OUT}:DERIVE:{HEARTBEAT}:0:{top}",
        *(a.definition() for a in ARCHIVES),
    ]


def create_args(*, link_speed_bps: int = DEFAULT_LINK_SPEED_BPS, start: int) -> list[str]:
    """Return the ``rrdtool create`` arguments after the file name.

    ``start`` is the time of the (virtual) last update: the first update
    must be later. The file is never overwritten (``--no-overwrite``).
    """
    return [
        "--start",
        str(int(start)),
        "--step",
        str(STEP),
        "--no-overwrite",
        *definitions(link_speed_bps=link_speed_bps),
    ]


def create(path: Path | str, *, link_speed_bps: int = DEFAULT_LINK_SPEED_BPS, start: int) -> None:
    """Create one traffic file at ``path`` with the rrdtool bindings, directly.

    This is the low-level form; :meth:`hostlib.traffic.store.TrafficStore.create`
    validates the name and time, goes through rrdcached when one is
    configured and maps errors.

    Raises:
        ValidationError: bad link speed or a relative path.
        ConflictError: the file exists already (it is left as it is).
        HostlibError: rrdtool could not create the file.
    """
    import rrdtool

    from hostlib.traffic._store_errors import map_rrd_error

    path = Path(path)
    if not path.is_absolute():
        raise ValidationError(f"traffic file path {str(path)!r} must be absolute")
    args = create_args(link_speed_bps=link_speed_bps, start=start)
    try:
        rrdtool.create(str(path), *args)
    except rrdtool.OperationalError as exc:
        raise map_rrd_error(exc, path, "create") from exc
