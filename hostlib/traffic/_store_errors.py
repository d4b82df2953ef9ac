"""Errors of the traffic store, and the mapping of rrdtool/rrdcached messages.

librrd reports every failure as one ``rrdtool.OperationalError`` with a
message (rrdcached's replies are the same messages, prefixed with the
daemon's address). :func:`map_rrd_error` turns the message into the most
specific hostlib error::

    HostlibError
    ├── ValidationError     timestamp not after the last update, bad value
    ├── NotFoundError       no such file
    ├── ConflictError       the file exists already (create)
    └── StorageError        rrdtool or rrdcached failed otherwise
        ├── DamagedFileError  the file is not a readable RRD file
        └── DaemonError       rrdcached unreachable or speaking nonsense
"""

from __future__ import annotations

import re
from pathlib import Path

from hostlib.errors import (
    ConflictError,
    DaemonError,
    DamagedFileError,
    HostlibError,
    NotFoundError,
    StorageError,
    ValidationError,
)

__all__ = ["DaemonError", "DamagedFileError", "StorageError", "map_rrd_error"]


_DAEMON_PREFIX = re.compile(r"^rrdcached@\S+: (?:RRD Error: |rrd_\w+ failed: )?")
_STALE = re.compile(
    r"illegal attempt to update using time ([\d.]+) when last update time is ([\d.]+)"
)
_DAMAGED = (
    "is not an RRD file",
    "is too small",
    "short read",
    "unknown RRD version",
    "not a valid RRD",
    "mmaping file",
    "created on another architecture",
    "is not a valid RRD",
    "invalid header",
)


def _clean(message: str) -> str:
    return _DAEMON_PREFIX.sub("", message.strip())


def map_rrd_error(exc: BaseException | str, path: Path | str, action: str) -> HostlibError:
    """Return the hostlib error for an rrdtool/rrdcached failure on ``path``.

    Args:
        exc: the ``rrdtool.OperationalError`` (or the daemon's error text).
        path: the file the operation was about.
        action: what was being done ("update", "read", "create", ...).
    """
    message = _clean(str(exc))
    where = f"traffic file {path}"
    stale = _STALE.search(message)
    if stale:
        asked, last = (int(float(x)) for x in stale.groups())
        return ValidationError(
            f"{where}: update at {asked} is not after its last update at {last}; "
            "timestamps must increase strictly per server; nothing was written"
        )
    if "No such file" in message:
        return NotFoundError(
            f"{where} does not exist: create it first (TrafficStore.create) or check the "
            "server name and the store's root directory"
        )
    if "File exists" in message:
        return ConflictError(f"{where} exists already; pass exist_ok=True to keep it as it is")
    if any(marker in message for marker in _DAMAGED):
        return DamagedFileError(
            f"{where} is damaged ({message}); restore it from a backup or move it away "
            "and create it again"
        )
    if "Permission denied" in message:
        return StorageError(
            f"cannot {action} {where}: permission denied; check the file's permissions, and "
            "with rrdcached -B that the file lies under the daemon's base directory (-b)"
        )
    if "expected" in message and "data source readings" in message:
        return ValidationError(f"cannot {action} {where}: {message}")
    return StorageError(f"cannot {action} {where}: {message}")
