"""Public test helpers: in-memory fakes that can be told to fail, and the
loopback BMC simulator.

``hostlib.testing.conformance`` holds the test suite every power driver
runs; subclass it in your own driver's tests.
"""

from hostlib.drivers.fake import FakeBMC, FakePowerDriver
from hostlib.drivers.faults import FaultPlan
from hostlib.drivers.simulator import SimulatedBMC, SimulatedRack

__all__ = ["FakeBMC", "FakePowerDriver", "FaultPlan", "SimulatedBMC", "SimulatedRack"]
