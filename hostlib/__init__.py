"""hostlib: the back office of a dedicated-server hosting provider.

Every public name is importable from here; subpackages re-export theirs too.
"""

from hostlib.drivers import power_driver, registered_drivers
from hostlib.drivers.base import BootDevice, PowerDriver, PowerState
from hostlib.errors import (
    AuthenticationError,
    BillingError,
    BmcBusy,
    ConflictError,
    DaemonError,
    DamagedFileError,
    DNSError,
    DNSUpdateRefused,
    DriverError,
    HostlibError,
    NotFoundError,
    OperationTimeout,
    PaymentError,
    PermissionDenied,
    StorageError,
    UnreachableError,
    UnsupportedOperation,
    ValidationError,
)
from hostlib.fleet import BulkResult, run_bulk
from hostlib.inventory import (
    BmcEndpoint,
    Credentials,
    NetworkInterface,
    Secret,
    Server,
    load_inventory,
)

__version__ = "0.1.0"

__all__ = [
    "AuthenticationError",
    "BillingError",
    "BmcBusy",
    "BmcEndpoint",
    "BootDevice",
    "BulkResult",
    "ConflictError",
    "Credentials",
    "DNSError",
    "DNSUpdateRefused",
    "DaemonError",
    "DamagedFileError",
    "DriverError",
    "HostlibError",
    "NetworkInterface",
    "NotFoundError",
    "OperationTimeout",
    "PaymentError",
    "PermissionDenied",
    "PowerDriver",
    "PowerState",
    "Secret",
    "Server",
    "StorageError",
    "UnreachableError",
    "UnsupportedOperation",
    "ValidationError",
    "__version__",
    "load_inventory",
    "power_driver",
    "registered_drivers",
    "run_bulk",
]
