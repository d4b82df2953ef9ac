"""Traffic: per-server RRD storage, views, billing figures and graphs."""
