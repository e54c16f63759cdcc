"""SwitchLease: the first thing a switch does is take the lease on every site it touches.

The ledger, written last, releases it. A second switch of the same pair (the other stack) finds
the lease and stops before it changes anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pulumi
from kubernetes.client import CoreV1Api
from pulumi.dynamic import Resource

from drstack.cluster.lease import LeaseHeld, acquire_lease, release_lease
from drstack.model import Lease, Site
from drstack.providers.base import (
    Inputs,
    SwitchStepProvider,
    api_client,
)


@dataclass(frozen=True)
class LeaseSpec:
    holder: str
    transition: str
    from_site: Site
    sites: tuple[tuple[Site, str], ...]  # (site, namespace), in a fixed order
    break_lease: bool


def parse_lease_inputs(props: Mapping[str, Any]) -> tuple[LeaseSpec, Inputs]:
    inputs = Inputs(props)
    holder = inputs.text("holder")
    transition = inputs.text("transition")
    from_site = inputs.site("fromSite")
    sites = []
    for index, entry in enumerate(inputs.entries("sites")):
        site = Inputs(entry)
        value = (site.site("site"), site.text("namespace"))
        for failure in site.failures:
            inputs.fail(f"sites[{index}].{failure.property}", failure.reason)
        sites.append(value)
    if not sites and not inputs.incomplete:
        inputs.fail("sites", "must name at least one site")
    break_lease = props.get("breakLease", False)
    if not isinstance(break_lease, bool):
        inputs.fail("breakLease", f"must be true or false, got {break_lease!r}")
    # Sorted: every stack takes the sites' leases in the same order.
    spec = LeaseSpec(holder, transition, from_site, tuple(sorted(sites)), break_lease is True)
    return spec, inputs


class SwitchLeaseProvider(SwitchStepProvider):
    id_prefix, resource = "lease", "SwitchLease"

    def parse(self, props: Mapping[str, Any]) -> tuple[LeaseSpec, Inputs]:
        return parse_lease_inputs(props)

    def work(self, spec: LeaseSpec, props: dict[str, Any]) -> dict[str, Any]:
        now = datetime.now(UTC).replace(microsecond=0).isoformat()
        lease = Lease(spec.holder, now, spec.transition, spec.from_site)
        taken: list[tuple[Site, str]] = []
        replaced = []
        try:
            for site, namespace in spec.sites:
                with api_client(self.site_config(site)) as client:
                    before = acquire_lease(CoreV1Api(client), site, namespace, lease,
                                           break_lease=spec.break_lease)
                taken.append((site, namespace))
                if before is not None and before.holder != spec.holder:
                    replaced.append({"site": site.value, "holder": before.holder,
                                     "acquiredAt": before.acquired_at})
        except LeaseHeld:
            self._undo(spec.holder, taken)
            raise
        return {**props, "result": "held", "acquiredAt": now, "brokenLeases": replaced}

    def _undo(self, holder: str, taken: list[tuple[Site, str]]) -> None:
        # Best effort: a lease left behind only makes the other stack ask for breakLease.
        for site, namespace in taken:
            try:
                with api_client(self.site_config(site)) as client:
                    release_lease(CoreV1Api(client), site, namespace, holder, deadline=10.0)
            except Exception:  # noqa: BLE001 - the LeaseHeld being raised says what matters
                pass


class SwitchLease(Resource, module="drstack", name="SwitchLease"):
    """Held on every touched site's namespace from the start of a switch until its ledger."""

    result: pulumi.Output[str]
    acquiredAt: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        holder: str,
        transition: str,
        from_site: str,
        sites: list[dict[str, Any]],
        break_lease: bool,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "holder": holder,
            "transition": transition,
            "fromSite": from_site,
            "sites": sites,
            "breakLease": break_lease,
            "result": None,
            "acquiredAt": None,
            "brokenLeases": None,
        }
        super().__init__(SwitchLeaseProvider(), name, props, opts)
