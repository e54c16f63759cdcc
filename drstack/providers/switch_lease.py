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
from pulumi.dynamic import Resource

from drstack.cluster import typed_api
from drstack.cluster.lease import LeaseHeld, acquire_lease, release_lease
from drstack.model import Lease, Site
from drstack.providers.inputs import Inputs
from drstack.providers.reading import api_client
from drstack.providers.step import SwitchStepProvider


@dataclass(frozen=True)
class LeaseSpec:
    """The lease step's inputs: who takes the lease, for which switch, on which namespaces."""

    holder: str
    transition: str
    from_site: Site
    sites: tuple[tuple[Site, str], ...]  # (site, namespace)
    break_lease: bool

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> tuple[LeaseSpec, Inputs]:
        """The spec in a resource's inputs, and every failure found reading it."""
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
        spec = cls(holder, transition, from_site, tuple(sites), break_lease is True)
        return spec, inputs

    def to_props(self) -> dict[str, Any]:
        """The spec as the resource's inputs: what ``from_props`` reads back."""
        return {
            "holder": self.holder,
            "transition": str(self.transition),
            "fromSite": self.from_site.value,
            "sites": [{"site": site.value, "namespace": namespace}
                      for site, namespace in self.sites],
            "breakLease": self.break_lease,
        }


class SwitchLeaseProvider(SwitchStepProvider[LeaseSpec]):
    """The lease step's provider: takes the lease on every touched site (all or none), during a
    switch only."""

    id_prefix, resource = "lease", "SwitchLease"
    step = "lease"

    def parse(self, props: Mapping[str, Any]) -> tuple[LeaseSpec, Inputs]:
        return LeaseSpec.from_props(props)

    def work(self, spec: LeaseSpec, props: dict[str, Any]) -> dict[str, Any]:
        now = datetime.now(UTC).replace(microsecond=0).isoformat()
        lease = Lease(spec.holder, now, spec.transition, spec.from_site)
        taken: list[tuple[Site, str]] = []
        replaced = []
        try:
            # Sorted: every stack takes the sites' leases in the same order.
            for site, namespace in sorted(spec.sites):
                with api_client(self.site_config(site)) as client:
                    before = acquire_lease(typed_api.core(client), site, namespace, lease,
                                           break_lease=spec.break_lease)
                taken.append((site, namespace))
                if before is not None and before.stops(spec.holder):
                    replaced.append({"site": site.value, "holder": before.holder,
                                     "acquiredAt": before.acquired_at})
                elif before is not None and before.same_switch(lease):
                    now = before.acquired_at  # a re-run keeps the lease it took first
        except LeaseHeld:
            self._undo(spec.holder, taken)
            raise
        return {**props, "result": "held", "acquiredAt": now, "brokenLeases": replaced}

    def _undo(self, holder: str, taken: list[tuple[Site, str]]) -> None:
        # Best effort: a lease left behind only makes the other stack ask for breakLease.
        for site, namespace in taken:
            try:
                with api_client(self.site_config(site)) as client:
                    release_lease(typed_api.core(client), site, namespace, holder, deadline=10.0)
            except Exception:  # noqa: BLE001 - the LeaseHeld being raised says what matters
                pass


class SwitchLease(Resource, module="drstack", name="SwitchLease"):
    """Held on every touched site's namespace from the start of a switch until its ledger."""

    result: pulumi.Output[str]
    acquiredAt: pulumi.Output[str]

    def __init__(self, name: str, spec: LeaseSpec,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        # Outputs: declared so that they can be read from the resource.
        outputs = {"result": None, "acquiredAt": None, "brokenLeases": None}
        super().__init__(SwitchLeaseProvider(), name, {**spec.to_props(), **outputs}, opts)
