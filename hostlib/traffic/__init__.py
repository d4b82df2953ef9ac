"""Traffic: per-server RRD storage, views, billing figures and graphs.

Every public name is importable from here::

    from hostlib.traffic import TrafficStore, Period

    store = TrafficStore("/var/lib/hostlib/rrd")
    store.create("srv-1")
    store.update("srv-1", ts, in_octets, out_octets)
    store.series("srv-1", Period.MONTH).to_pandas()
    store.percentile("srv-1", start, end, 95, direction="out")
"""

from hostlib.traffic.figures import (
    BillingFigures,
    Direction,
    TrafficTotals,
    VolumeDirection,
    Window,
    billing_window,
    commit_overage,
    projected_usage,
    volume_overage,
)
from hostlib.traffic.store import (
    DaemonError,
    DamagedFileError,
    Period,
    Sample,
    Series,
    StorageError,
    TrafficStore,
    UpdateFailure,
    UpdateReport,
)

__all__ = [
    "BillingFigures",
    "DaemonError",
    "DamagedFileError",
    "Direction",
    "Period",
    "Sample",
    "Series",
    "StorageError",
    "TrafficStore",
    "TrafficTotals",
    "UpdateFailure",
    "UpdateReport",
    "VolumeDirection",
    "Window",
    "billing_window",
    "commit_overage",
    "projected_usage",
    "volume_overage",
]
