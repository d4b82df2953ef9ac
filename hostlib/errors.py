"""The one exception tree of hostlib.

Every error hostlib raises on purpose derives from :class:`HostlibError`.
Errors of the libraries underneath (pyghmi, python-ipmi, paramiko,
dnspython, rrdtool, SQLAlchemy) are mapped to the most specific class here
at the boundary where they occur, chained with ``raise ... from exc``, and
never reach a caller unwrapped::

    HostlibError
    ├── ValidationError          bad input; nothing was sent or stored
    ├── NotFoundError            the thing asked for does not exist
    ├── ConflictError            someone else changed it first
    ├── PermissionDenied         not allowed for this account or key
    ├── DriverError              a power, console or reinstall driver failed
    │   ├── AuthenticationError  the BMC or host refused the credentials
    │   ├── UnreachableError     nothing answered at that address
    │   ├── OperationTimeout     it answered, but not within the timeout
    │   ├── UnsupportedOperation the device cannot do what was asked
    │   └── BmcBusy              still busy (node busy, out of sessions)
    │                            after every retry
    ├── DNSError                 a DNS server or zone file failed
    │   └── DNSUpdateRefused     the server refused an update
    ├── BillingError             an illegal billing operation
    │   └── PaymentError         a payment could not be taken
    └── StorageError             an RRD file or rrdcached failed
        ├── DamagedFileError     the file is not a readable RRD file
        └── DaemonError          rrdcached unreachable or answering nonsense

Messages say what was wrong and how to fix it. They never contain a
password, key or other secret.
"""

from __future__ import annotations

__all__ = [
    "AuthenticationError",
    "BillingError",
    "BmcBusy",
    "ConflictError",
    "DNSError",
    "DNSUpdateRefused",
    "DaemonError",
    "DamagedFileError",
    "DriverError",
    "HostlibError",
    "NotFoundError",
    "OperationTimeout",
    "PaymentError",
    "PermissionDenied",
    "StorageError",
    "UnreachableError",
    "UnsupportedOperation",
    "ValidationError",
]


class HostlibError(Exception):
    """Root of every error hostlib raises."""


class ValidationError(HostlibError, ValueError):
    """Input was rejected before anything was sent or stored."""


class NotFoundError(HostlibError, LookupError):
    """The object asked for does not exist."""


class ConflictError(HostlibError):
    """The object was changed by someone else in between."""


class PermissionDenied(HostlibError):
    """The caller may not do this."""


class DriverError(HostlibError):
    """A driver could not carry out an operation.

    Attributes:
        host: the device address the operation was aimed at, if known.
        retryable: whether trying again later may succeed.
    """

    retryable = False

    def __init__(self, message: str, *, host: str | None = None) -> None:
        super().__init__(message)
        self.host = host


class AuthenticationError(DriverError):
    """The device refused the credentials."""


class UnreachableError(DriverError):
    """Nothing answered at the device's address."""

    retryable = True


class OperationTimeout(DriverError):
    """The operation did not complete within its timeout."""

    retryable = True


class UnsupportedOperation(DriverError):
    """The device or driver cannot perform the operation."""


class BmcBusy(DriverError):
    """The device stayed busy (node busy, out of sessions) through every retry."""

    retryable = True


class DNSError(HostlibError):
    """A DNS server or zone file operation failed."""


class DNSUpdateRefused(DNSError):
    """The DNS server refused an update (REFUSED, NOTAUTH, bad key)."""


class BillingError(HostlibError):
    """A billing operation is not allowed."""


class PaymentError(BillingError):
    """A payment could not be taken."""


class StorageError(HostlibError):
    """An RRD file or the rrdcached daemon could not do what was asked."""


class DamagedFileError(StorageError):
    """The file exists but is not a readable RRD file (truncated, overwritten)."""


class DaemonError(StorageError):
    """rrdcached could not be reached or answered something unexpected."""
