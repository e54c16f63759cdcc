"""drstack's errors, in one tree: catch them all, or tell the families apart.

    DrstackError
    ├── ConfigError       config it cannot use: the stack config (every finding at once), a
    │                     kubeconfig or context, a provider's config or inputs
    ├── PlanError         the switch cannot be planned (drstack.planner); nothing was changed
    ├── ClusterError      a cluster could not be reached, or did not do in time what the switch
    │                     asked (pods gone, workloads ready, Services with endpoints, URLs
    │                     answering), or another switch holds the lease
    └── PvMigrateError    pv-migrate cannot run as configured, or a copy failed

ConfigError lives in drstack.config.errors and PlanError in drstack.planner.plan, next to what
they report. Every message is written for the operator, names the fix, and carries no secret.
"""

from __future__ import annotations


class DrstackError(Exception):
    """An error drstack raises on purpose: its message is the whole story, for the operator."""


class ClusterError(DrstackError):
    """A cluster could not be reached or used, or did not reach the state a switch waits for."""


class PvMigrateError(DrstackError):
    """pv-migrate cannot be used, or a copy did not succeed; the message says why and what to do."""
