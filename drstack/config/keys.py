"""Every stack config key drstack reads: its Pulumi type, default and description.

Pulumi.yaml declares the same keys (a test keeps the two in step). Pulumi's project config
schema has only string, integer, boolean and array types, and a declared key refuses an object
value, so the two maps (replicaOverrides, pvcMap) are lists of ``key=value`` strings.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

NAMESPACE = "drstack"


@dataclass(frozen=True)
class ConfigKey:
    """One stack config key: its Pulumi type, default and description (Pulumi.yaml declares the
    same)."""

    name: str
    type: str  # string | integer | boolean | array (of strings)
    default: Any
    description: str
    # Shown as <secret> in every message: the value may be a kubeconfig's contents.
    secret_value: bool = False


KEYS: tuple[ConfigKey, ...] = (
    ConfigKey("activeSite", "string", "",
              "The site this stack makes active: source or dr. Empty: the stack's name "
              "(stacks named source and dr)."),
    ConfigKey("sourceKubeconfig", "string", "",
              "Source cluster: path to a kubeconfig file, or its contents set with "
              "`pulumi config set --secret`.", secret_value=True),
    ConfigKey("sourceContext", "string", "",
              "Context in the source kubeconfig; empty: its current-context."),
    ConfigKey("sourceNamespace", "string", "", "Namespace of the application on the source site."),
    ConfigKey("drKubeconfig", "string", "",
              "DR cluster: path to a kubeconfig file, or its contents set with "
              "`pulumi config set --secret`.", secret_value=True),
    ConfigKey("drContext", "string", "",
              "Context in the DR kubeconfig; empty: its current-context."),
    ConfigKey("drNamespace", "string", "", "Namespace of the application on the DR site."),
    ConfigKey("workloadSelector", "string", "",
              "Label selector of the Deployments and StatefulSets to switch; empty: all."),
    ConfigKey("excludeWorkloads", "array", [],
              "Workloads left alone, as Kind/name (e.g. Deployment/debug-shell)."),
    ConfigKey("replicaOverrides", "array", [],
              "Original replica counts as Kind/name=count, used when neither the live count nor "
              "the dr-syncer.io/original-replicas annotation gives one."),
    ConfigKey("strategy", "string", "cold",
              "cold: old site to 0, then new site up (data copy in between). warm: new site up "
              "and ready first, then old site to 0; no PVC copy."),
    ConfigKey("readinessTimeout", "string", "10m",
              "How long the new site may take to become ready (e.g. 90s, 10m, 1h)."),
    ConfigKey("drainTimeout", "string", "5m",
              "How long the old site's pods may take to terminate before the data copy."),
    ConfigKey("assumeActiveSite", "string", "",
              "Which site was active last (source or dr), when drstack cannot tell: no ledger and "
              "both sites, or neither, run the workloads."),
    ConfigKey("migratePvcData", "boolean", False,
              "Cutover: copy PVC data source -> dr with pv-migrate (cold strategy only)."),
    ConfigKey("reverseMigratePvcData", "boolean", False,
              "Failback: copy PVC data dr -> source with pv-migrate (cold strategy only)."),
    ConfigKey("pvMigrateFlags", "string", "",
              "Extra pv-migrate flags, split like a shell would but never run through one; "
              "checked against the installed pv-migrate version."),
    ConfigKey("pvcMap", "array", [],
              "PVC pairs whose names differ, as sourceClaim=drClaim; others pair by equal name."),
    ConfigKey("migrationConcurrency", "integer", 2, "How many PVCs pv-migrate copies at once."),
    ConfigKey("migrationTimeout", "string", "2h", "Time limit for copying one PVC."),
    ConfigKey("pvMigratePath", "string", "pv-migrate",
              "The pv-migrate executable: a name looked up on PATH, or a path."),
    ConfigKey("oldSiteUnreachable", "boolean", False,
              "Disaster cutover: the old site cannot be reached; switch without touching it. "
              "Fence it (the next `pulumi up`) when it returns."),
    ConfigKey("breakLease", "boolean", False,
              "Take over a switch lease left by a stack whose switch died. Check first that no "
              "other switch is running."),
    ConfigKey("snapshotBeforeCopy", "boolean", False,
              "Before a PVC copy overwrites a claim, take a VolumeSnapshot of it (never deleted "
              "by drstack; see README, Snapshots before a copy)."),
    ConfigKey("volumeSnapshotClass", "string", "",
              "The VolumeSnapshotClass of those snapshots; empty: the destination cluster's "
              "default class."),
    ConfigKey("verifyUrls", "array", [],
              "URLs that must answer once the new site's Services have ready endpoints, as URL "
              "or URL=STATUS (default: any 2xx), probed from the machine running `pulumi up`."),
    ConfigKey("verifyTimeout", "string", "5m",
              "How long the verifyUrls may take to answer as expected (e.g. 90s, 5m)."),
)

KEYS_BY_NAME: dict[str, ConfigKey] = {k.name: k for k in KEYS}


def closest_key(name: str) -> str | None:
    """The known key an unknown one was probably meant to be: the same but for case
    (``reverseMigratePVCData``), else the closest spelling; None when nothing is close."""
    by_lower = {key.name.lower(): key.name for key in KEYS}
    if name.lower() in by_lower:
        return by_lower[name.lower()]
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.7)
    return by_lower[close[0]] if close else None
