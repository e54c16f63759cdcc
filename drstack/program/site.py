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
from pulumi_kubernetes.core.v1 import NamespacePatch
from pulumi_kubernetes.meta.v1 import ObjectMetaPatchArgs

from drstack import annotation_keys
from drstack.model import Site, SiteConfig
from drstack.planner import LedgerRecord, WorkloadPlan
from drstack.providers.recovery import Recovery
from drstack.providers.site_scale import ScaleSpec, SiteScale

# The ledger's NamespacePatch: a stable field manager, and forced (the lease is written by
# another manager); no await of the provider's own.
PATCH_ANNOTATIONS = {
    "pulumi.com/patchForce": "true",
    "pulumi.com/patchFieldManager": annotation_keys.FIELD_MANAGER,
    "pulumi.com/skipAwait": "true",
}


class SiteSwitch(pulumi.ComponentResource):
    """One site's part of a switch: its scale, gates, ledger, and the kubernetes provider the
    ledger goes through.

    Its last resource is the ledger: ``write_ledger`` registers the component's outputs.
    """

    config: SiteConfig
    site: Site
    provider: k8s.Provider
    scales: list[pulumi.CustomResource]

    def __init__(self, config: SiteConfig, role: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__("drstack:index:Site", f"site {config.site}: {role}", {}, opts)
        self.config = config
        self.site = config.site
        self.scales = []
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

    def child_opts(self, depends_on: Sequence[pulumi.Resource], *,
                   kubernetes: bool = False) -> pulumi.ResourceOptions:
        """Options of a resource of this site, ordered after ``depends_on``.

        retain_on_delete: dropping a workload from the selection, or destroying the stack, must
        never change a replica count. ``kubernetes``: a pulumi-kubernetes resource (the ledger),
        which goes through this site's provider; drstack's own resources carry their own.
        """
        return pulumi.ResourceOptions(parent=self, retain_on_delete=True,
                                      provider=self.provider if kubernetes else None,
                                      depends_on=list(depends_on))

    def scale(self, workloads: Sequence[WorkloadPlan], depends_on: Sequence[pulumi.Resource],
              recovery: Recovery | None = None) -> list[pulumi.CustomResource]:
        """Set every workload to its desired count and record its original count: one
        SiteScale for the whole site (drstack/providers/site_scale.py says why)."""
        spec = ScaleSpec(
            site=self.site, namespace=self.config.namespace,
            replicas=tuple(sorted((str(w.ref), w.desired(self.site)) for w in workloads)),
            originals=tuple(sorted((str(w.ref), str(w.original)) for w in workloads)),
            recovery=recovery)
        scale = SiteScale(f"{self.site}-scale", spec, opts=self.child_opts(depends_on))
        self.scales.append(scale)
        return [scale]

    def write_ledger(self, ledger: LedgerRecord,
                     depends_on: Sequence[pulumi.Resource]) -> NamespacePatch:
        """Write the ledger (the site's last resource) and register the component's outputs."""
        patch = NamespacePatch(
            f"{self.site}-ledger",
            metadata=ObjectMetaPatchArgs(
                name=self.config.namespace,
                annotations={**ledger.annotations(), **PATCH_ANNOTATIONS},
            ),
            opts=self.child_opts(depends_on, kubernetes=True),
        )
        self.register_outputs({"scales": len(self.scales)})
        return patch


def _kubeconfig_input(site: SiteConfig) -> pulumi.Input[str]:
    if site.kubeconfig_is_inline:
        # Stored encrypted in the state, never in plain text.
        return pulumi.Output.secret(site.kubeconfig)
    return os.path.abspath(os.path.expanduser(site.kubeconfig))
