"""Demo, network: a server's network details and its reverse DNS in a zone file.

The customer's "Network" tab: address, netmask, gateway, broadcast and MAC
of the server's interface, and PTR records set, changed and read back in a
reverse zone file (the embedded default backend; an RFC 2136 server with
TSIG works the same way through ``RFC2136Backend``).
"""

from __future__ import annotations

from pathlib import Path

from examples._demo_util import heading
from hostlib import NetworkInterface
from hostlib.dns import ChangeSet, ReverseDNS, ZoneFileBackend

ZONE = "2.0.192.in-addr.arpa."
SEED = """$TTL 3600
@   IN SOA ns1.example.net. hostmaster.example.net. 2026010101 3600 600 604800 300
@   IN NS  ns1.example.net.
1   IN PTR gw.example.net.
"""


def _show(changes: ChangeSet) -> None:
    for kind, items in (
        ("add", changes.added),
        ("change", changes.changed),
        ("delete", changes.deleted),
        ("keep", changes.unchanged),
    ):
        for c in items:
            print(f"  {kind:6}  {c.ip!s:12}  {c.old or '-':28}  ->  {c.new or '-'}")


def run(out: Path) -> None:
    """Run the network part of the demo, writing its files under ``out``."""
    heading("11. Network details of srv-01's interface")
    nic = NetworkInterface(
        address="192.0.2.10/26", gateway="192.0.2.1", mac="52-54-00-12-34-56", name="eth0"
    )
    print(f"  address {nic.ip}/{nic.prefix}  netmask {nic.netmask}  gateway {nic.gateway}")
    print(f"  network {nic.network}  broadcast {nic.broadcast}  MAC {nic.mac}")

    zone_file = out / "2.0.192.in-addr.arpa.zone"
    zone_file.write_text(SEED, encoding="utf-8")
    rdns = ReverseDNS(ZoneFileBackend(zone_file, origin=ZONE), allowed_networks=["192.0.2.0/24"])
    wanted = {
        "192.0.2.10": "srv-01.customer.example.com",
        "192.0.2.11": "mail.customer.example.com",
        "192.0.2.1": "gateway.example.net",
    }
    heading(f"12. Reverse DNS in {zone_file}: plan, then apply")
    _show(rdns.plan(wanted))
    changes = rdns.apply(wanted)
    print(f"  applied: {len(changes.pending)} written, {len(changes.failed)} failed")
    for ip in wanted:
        print(f"  read back {ip:12} -> {rdns.get_ptr(ip)}")
    again = rdns.set_ptr("192.0.2.10", "srv-01.customer.example.com.")
    print(f"  setting srv-01's PTR to its current value writes nothing: {not again.has_changes}")
    soa = next(line for line in zone_file.read_text().splitlines() if "SOA" in line)
    print(f"  zone serial bumped: {soa.split()[-5]}")
