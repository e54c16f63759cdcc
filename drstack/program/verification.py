"""The verify step of a switch: after the readiness gate, does the application answer?

The Service gate (every Service that selects a switched workload has a ready endpoint for each
of its pods on the new site), then, when drstack:verifyUrls lists any, the URL probe. Each runs
only during a switch; the ledger depends on the last of them, so a failure stops the run
before it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from drstack.model import Site, SiteSnapshot, StackConfig
from drstack.planner import Plan
from drstack.program.site import SiteSwitch
from drstack.providers.recovery import Recovery
from drstack.providers.service_gate import ServedWorkload, ServiceGate, ServiceSpec
from drstack.providers.url_probe import ProbeSpec, UrlProbe


@dataclass(frozen=True)
class Verification:
    """The verify step as declared: the Service gate, the URL probe when there are URLs."""

    gate: ServiceGate
    probe: UrlProbe | None

    @property
    def last(self) -> pulumi.CustomResource:
        """What the next step (the ledger) waits for."""
        return self.probe or self.gate

    def outputs(self) -> dict[str, Any]:
        """What the verify step of the last switch saw, as stack outputs (README: Outputs).

        A steady-state run does not verify: the engine keeps the step's outputs of the switch
        that did (null before the first switch).
        """
        return {
            "verifiedAt": self.last.verifiedAt,  # type: ignore[attr-defined]
            "serviceEndpoints": self.gate.services,
            "urlProbes": self.probe.probes if self.probe is not None else [],
        }


def declare_verification(config: StackConfig, plan: Plan, snapshots: dict[Site, SiteSnapshot],
                         site: SiteSwitch, after: Sequence[pulumi.Resource],
                         recovery: Recovery | None = None) -> Verification:
    """Declare the Service gate and the URL probe of ``site`` after ``after``."""
    name = site.site
    live = {w.ref: w for w in snapshots[name].workloads}
    # A workload planned at 0 has no pods: its Services are not waited for.
    served = tuple(ServedWorkload(w.ref.kind.value, w.ref.name, live[w.ref].template_labels,
                                  w.desired(name))
                   for w in plan.workloads if w.desired(name) > 0 and w.ref in live)
    gate = ServiceGate(f"{name}-services", ServiceSpec(
        site=name, namespace=site.config.namespace, transition=plan.transition_id,
        workloads=served, timeout_seconds=config.readiness_timeout, recovery=recovery),
        opts=pulumi.ResourceOptions(parent=site, depends_on=list(after)))
    probe = None
    if plan.verify_urls:
        probe = UrlProbe(f"{name}-urls", ProbeSpec(
            site=name, transition=plan.transition_id, urls=plan.verify_urls,
            timeout_seconds=config.verify_timeout, recovery=recovery),
            opts=pulumi.ResourceOptions(parent=site, depends_on=[gate]))
    return Verification(gate, probe)
