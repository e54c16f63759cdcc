"""SiteSwitch: one site's part of a switch, as a ComponentResource.

The preview tree reads "site dr: scale down" / "site source: scale up", so the name follows the
site's role and changes with the next switch. That renames only the component: a child's URN
holds its parent's type, which is fixed, and not its parent's name, so no patch, gate or
ledger is replaced.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s
from pulumi_kubernetes.apps.v1 import (
    DeploymentPatch,
    DeploymentSpecPatchArgs,
    StatefulSetPatch,
    StatefulSetSpecPatchArgs,
)
from pulumi_kubernetes.core.v1 import NamespacePatch
from pulumi_kubernetes.meta.v1 import ObjectMetaPatchArgs

from drstack import annotation_keys
from drstack.model import Kind, Site, SiteConfig
from drstack.planner import LedgerRecord, WorkloadPlan

# Our ReadinessGate does the waiting, with the operator's timeout and a table of what is not
# ready; the kubernetes provider's own await would only add a second, fixed 10-minute wait.
PATCH_ANNOTATIONS = {
    "pulumi.com/patchForce": "true",  # spec.replicas is often owned via /scale or by an HPA
    "pulumi.com/patchFieldManager": annotation_keys.FIELD_MANAGER,
    "pulumi.com/skipAwait": "true",
}


class SiteSwitch(pulumi.ComponentResource):
    """One site's part of a switch: its kubernetes provider, patches, gates and ledger.

    Its last resource is the ledger: ``write_ledger`` registers the component's outputs.
    """

    config: SiteConfig
    site: Site
    provider: k8s.Provider
    patches: list[pulumi.CustomResource]

    def __init__(self, config: SiteConfig, role: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__("drstack:index:Site", f"site {config.site}: {role}", {}, opts)
        self.config = config
        self.site = config.site
        self.patches = []
        self.provider = k8s.Provider(
            str(config.site),
            kubeconfig=_kubeconfig_input(config),
            context=config.context,
            # Stable, so that a new kubeconfig path or token does not replace every patch.
            cluster_identifier=f"drstack-{config.site}",
            # `refresh: always` refreshes with the providers in the state, before the program
            # runs: with a site lost, the refresh would fail with the provider's own message
            # and drstack's (the exact commands of a disaster switch) would never show. This
            # drops a lost site's patches from the refreshed state instead; the patches are
            # retained on delete, so no cluster is written.
            delete_unreachable=True,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def child_opts(self, depends_on: Sequence[pulumi.Resource]) -> pulumi.ResourceOptions:
        # retain_on_delete: dropping a workload from the selection, or destroying the stack,
        # must never change a replica count (deleting a Patch relinquishes spec.replicas).
        return pulumi.ResourceOptions(parent=self, provider=self.provider, retain_on_delete=True,
                                      depends_on=list(depends_on))

    def scale(self, workloads: Sequence[WorkloadPlan],
              depends_on: Sequence[pulumi.Resource]) -> list[pulumi.CustomResource]:
        """Set every workload to its desired count and record its original count."""
        patches = [self._patch(w, depends_on) for w in workloads]
        self.patches.extend(patches)
        return patches

    def _patch(self, workload: WorkloadPlan,
               depends_on: Sequence[pulumi.Resource]) -> pulumi.CustomResource:
        site = self.site
        metadata = ObjectMetaPatchArgs(
            name=workload.ref.name,
            namespace=self.config.namespace,
            annotations={annotation_keys.ORIGINAL_REPLICAS: str(workload.original),
                         **PATCH_ANNOTATIONS},
        )
        name = f"{site}-{workload.ref.kind.lower()}-{workload.ref.name}"
        replicas = workload.desired(site)
        if workload.ref.kind is Kind.DEPLOYMENT:
            return DeploymentPatch(name, metadata=metadata,
                                   spec=DeploymentSpecPatchArgs(replicas=replicas),
                                   opts=self.child_opts(depends_on))
        return StatefulSetPatch(name, metadata=metadata,
                                spec=StatefulSetSpecPatchArgs(replicas=replicas),
                                opts=self.child_opts(depends_on))

    def write_ledger(self, ledger: LedgerRecord,
                     depends_on: Sequence[pulumi.Resource]) -> NamespacePatch:
        """Write the ledger (the site's last resource) and register the component's outputs."""
        patch = NamespacePatch(
            f"{self.site}-ledger",
            metadata=ObjectMetaPatchArgs(
                name=self.config.namespace,
                annotations={**ledger.annotations(), **PATCH_ANNOTATIONS},
            ),
            opts=self.child_opts(depends_on),
        )
        self.register_outputs({"patches": len(self.patches)})
        return patch


def _kubeconfig_input(site: SiteConfig) -> pulumi.Input[str]:
    if site.kubeconfig_is_inline:
        # Stored encrypted in the state, never in plain text.
        return pulumi.Output.secret(site.kubeconfig)
    return os.path.abspath(os.path.expanduser(site.kubeconfig))
