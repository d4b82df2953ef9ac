"""hostlib demo on embedded defaults: simulated BMCs on loopback, local files.

Run with ``make demo`` (or ``.venv/bin/python -m examples.demo``). Files it
writes go to ``demo-output/``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from examples import demo_billing, demo_dns, demo_power, demo_traffic
from examples._demo_util import section

OUT = Path("demo-output")


def main() -> int:
    OUT.mkdir(exist_ok=True)
    section("Server management: power and boot over IPMI (simulated rack)")
    demo_power.run(OUT)
    section("Billing: VAT decisions and an invoice PDF")
    demo_billing.run(OUT)
    section("Traffic: RRD files, billing figures, a graph")
    demo_traffic.run(OUT)
    section("Network: interface details and reverse DNS in a zone file")
    demo_dns.run(OUT)
    print(f"\nDone. Files are in {OUT.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
