"""A fake Kubernetes API server for the tests and the bench (no kube-apiserver can run here).

By concept: ``server`` (FakeKubeServer: lifecycle, faults, the request log, helpers that play
the controllers), ``store`` (objects, resourceVersions and recent changes), ``api`` (the verbs),
``watches`` (streams of events), ``selectors``, ``patches``, ``status`` (v1 Status errors),
``resources`` (types and discovery), ``controllers``, ``faults``, ``serving`` (HTTP plumbing)
and ``objects`` (builders of valid objects).
"""

from drstack.testing.fakekube import objects
from drstack.testing.fakekube.faults import RequestRecord
from drstack.testing.fakekube.resources import resource_type
from drstack.testing.fakekube.server import FakeKubeServer
from drstack.testing.fakekube.status import ApiError

__all__ = ["ApiError", "FakeKubeServer", "RequestRecord", "objects", "resource_type"]
