"""Where a server's RRD file lives and what is in it.

One RRD file per server: ``<root>/<name>.rrd`` (always absolute), with two
data sources, ``in`` and ``out``, step 300 s, heartbeat 600 s.
"""

from __future__ import annotations

import re
from pathlib import Path

from hostlib.errors import ValidationError

__all__ = ["DS_IN", "DS_OUT", "HEARTBEAT", "STEP", "rrd_path", "validate_name"]

#: seconds between primary data points (one 5-minute sample)
STEP = 300
#: a gap between two updates longer than this is unknown, never traffic
HEARTBEAT = 600
#: data source holding inbound octets (stored as bytes/s)
DS_IN = "in"
#: data source holding outbound octets (stored as bytes/s)
DS_OUT = "out"

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
