"""hostlib: the back office of a dedicated-server hosting provider."""

from hostlib.errors import HostlibError

__all__ = ["HostlibError", "__version__"]

__version__ = "0.1.0"
