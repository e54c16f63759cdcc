"""An in-project fake Kubernetes API server for tests (no kube-apiserver can run here)."""

from drstack.testing.fakekube import objects
from drstack.testing.fakekube.server import ApiError, FakeKubeServer, RequestRecord, resource_type

__all__ = ["ApiError", "FakeKubeServer", "RequestRecord", "objects", "resource_type"]
