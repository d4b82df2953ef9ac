"""The README's examples, type-checked by mypy and run against a simulated BMC."""

from __future__ import annotations

from hostlib import run_bulk
from hostlib.drivers import power_driver, registered_drivers
from hostlib.drivers.base import BootDevice, PowerState
from hostlib.testing import SimulatedBMC


def test_power_control_example() -> None:
    with SimulatedBMC(username="admin", password="secret", latency=0.0) as bmc:
        drv = power_driver(
            "ipmi", host=bmc.host, port=bmc.port, username="admin", password="secret", timeout=10.0
        )
        assert drv.status() is PowerState.OFF
        drv.power_on(wait=True)
        drv.power_cycle(wait=True)
        drv.set_boot_device(BootDevice.PXE, persistent=False)
        assert drv.boot_device() is BootDevice.PXE
        assert bmc.power_state is PowerState.ON

        results = run_bulk([drv], "power_cycle", kwargs={"wait": True}, concurrency=64)
        for r in results:
            expected = (bmc.host, bmc.port, True, None, None)
            assert (r.host, r.port, r.ok, r.value, r.error) == expected
        drv.close()
    assert {"ipmi", "pyipmi", "fake"} <= set(registered_drivers("power"))


def test_billing_example() -> None:
    from datetime import date
    from decimal import Decimal

    from hostlib.billing import Invoice, InvoiceLine, Money, Party, render_pdf, vat

    assert vat.standard_rate("DE", on=date(2025, 1, 1)) == Decimal("19")
    d = vat.decide(
        seller_country="NL",
        customer_country="FR",
        customer_vat_id="FR40303265045",
        on=date(2025, 3, 1),
        is_business=True,
    )
    assert (d.rate, d.reverse_charge) == (Decimal(0), True)
    assert "Art. 196" in d.reason
    seller = Party(
        name="Example Hosting B.V.",
        address=("Datacenterweg 1", "Amsterdam"),
        country="NL",
        vat_id="NL004495445B01",
        is_business=True,
    )
    customer = Party(
        name="Exemple SARL",
        address=("1 rue de la Paix", "Paris"),
        country="FR",
        vat_id="FR40303265045",
        is_business=True,
    )
    invoice = (
        Invoice.create(
            seller=seller,
            customer=customer,
            currency="EUR",
            lines=[InvoiceLine("Server DS-4", 1, Money("89.00", "EUR"), d.rate)],
            issue_date=date(2025, 3, 1),
        )
        .with_vat_decision(d)
        .numbered(last="INV-2025-000041")
    )
    assert invoice.number == "INV-2025-000042"
    assert render_pdf(invoice, locale="de").startswith(b"%PDF")
