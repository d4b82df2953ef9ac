"""The public surface: every name in ``__all__`` exists, and nothing else leaks."""

from __future__ import annotations

import importlib
import subprocess
import sys
import types

import pytest

import hostlib

MODULES = [
    "hostlib",
    "hostlib.errors",
    "hostlib.inventory",
    "hostlib.drivers",
    "hostlib.drivers.base",
    "hostlib.fleet",
    "hostlib.testing",
    "hostlib.billing",
    "hostlib.billing.money",
    "hostlib.billing.vat",
    "hostlib.billing.invoices",
    "hostlib.billing.usage",
    "hostlib.traffic",
    "hostlib.traffic.store",
    "hostlib.traffic.figures",
    "hostlib.dns",
    "hostlib.dns.names",
    "hostlib.dns.reverse",
    "hostlib.dns.rfc2136",
    "hostlib.dns.zonefile",
]


def test_top_level_all_is_sorted_and_complete() -> None:
    names = [n for n in hostlib.__all__ if n != "__version__"]
    assert names == sorted(names)
    # Subpackages become attributes once imported anywhere; they are not names.
    public = {
        n
        for n in dir(hostlib)
        if not n.startswith("_") and not isinstance(getattr(hostlib, n), types.ModuleType)
    }
    assert public == set(names)


@pytest.mark.parametrize("module", MODULES)
def test_every_exported_name_exists(module: str) -> None:
    mod = importlib.import_module(module)
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.{name}"


def test_every_error_is_rooted_in_hostlib_error() -> None:
    from hostlib import errors

    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.HostlibError)


def test_import_does_not_load_driver_libraries() -> None:
    code = (
        "import sys, hostlib, hostlib.fleet, hostlib.testing;"
        "print(sorted(m for m in ('pyghmi', 'pyipmi', 'paramiko') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
