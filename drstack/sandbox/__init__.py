"""A local pair of clusters (``source``, ``dr``) to run drstack on for real, without clusters of
your own: ``python -m drstack sandbox up``. See README.md, "Try it"."""

from drstack.sandbox.sandbox import Sandbox

__all__ = ["Sandbox"]
