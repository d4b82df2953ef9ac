"""The ``hostlib`` command: a thin layer over the public API.

Every command prints a table on a terminal and JSON with ``--json``.
Exit status: 0 success, 1 an operation failed (for any host), 2 bad input.
"""

from __future__ import annotations

import click

from hostlib import __version__
from hostlib.cli.billing import billing
from hostlib.cli.dns import dns
from hostlib.cli.power import power
from hostlib.cli.traffic import traffic

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hostlib")
def main() -> None:
    """Back office of a dedicated-server hosting provider."""


main.add_command(power)
main.add_command(billing)
main.add_command(traffic)
main.add_command(dns)
