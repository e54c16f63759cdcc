"""Kubernetes access: a client per site, a retry layer, and reading a site into a snapshot."""

from drstack.cluster.client import ClusterConfigError, connect
from drstack.cluster.reader import read_site
from drstack.cluster.retry import (
    ClusterConflict,
    ClusterUnavailable,
    call,
    update_with_conflict_retry,
)

__all__ = [
    "ClusterConfigError",
    "ClusterConflict",
    "ClusterUnavailable",
    "call",
    "connect",
    "read_site",
    "update_with_conflict_retry",
]
