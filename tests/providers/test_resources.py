"""The three resources as the program declares them (under Pulumi mocks: no provider runs)."""

from __future__ import annotations

import pulumi
import pytest

from drstack.model import Site
from drstack.planner import PvcPair
from drstack.providers import (
    DrainGate,
    DrainSpec,
    MigrationSpec,
    PvcMigration,
    ReadinessGate,
    ReadinessSpec,
)
from drstack.providers.drain_gate import DrainWorkload
from drstack.providers.readiness_gate import ReadyWorkload


class Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.inputs: dict[str, dict] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.inputs[args.name] = dict(args.inputs)
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


@pytest.fixture
def mocks() -> Mocks:
    mocks = Mocks()
    pulumi.runtime.set_mocks(mocks, project="drstack", stack="source", preview=False)
    return mocks


@pulumi.runtime.test
def test_constructors_and_input_names(mocks: Mocks):
    drain = DrainGate("source-drain", DrainSpec(
        site=Site.SOURCE, namespace="shop", transition="cutover#3",
        workloads=(DrainWorkload("Deployment", "web", (("app", "web"),)),),
        claims=("data",), timeout_seconds=300.0))
    ready = ReadinessGate("dr-ready", ReadinessSpec(
        site=Site.DR, namespace="shop", transition="cutover#3",
        workloads=(ReadyWorkload("Deployment", "web", 3),), timeout_seconds=600.0))
    copy = PvcMigration("pvc-copy-into-dr", MigrationSpec(
        from_site=Site.SOURCE, to_site=Site.DR, transition="cutover#3",
        pairs=(PvcPair("data", "data"),), flags=("-i",), concurrency=2, timeout_seconds=7200.0,
        pv_migrate_path="pv-migrate"))

    def verify(_: object) -> None:
        assert set(mocks.inputs["source-drain"]) == {
            "site", "namespace", "transition", "workloads", "claims", "timeoutSeconds",
            "__provider"}
        assert set(mocks.inputs["dr-ready"]) == {
            "site", "namespace", "transition", "workloads", "timeoutSeconds", "__provider"}
        assert set(mocks.inputs["pvc-copy-into-dr"]) == {
            "fromSite", "toSite", "transition", "pairs", "flags", "concurrency",
            "timeoutSeconds", "pvMigratePath", "__provider"}
        # The pickled provider carries nothing secret, so it is stored as a plain string.
        assert isinstance(mocks.inputs["source-drain"]["__provider"], str)

    # After all three are registered: registrations run concurrently, in no set order.
    return pulumi.Output.all(drain.urn, ready.urn, copy.urn).apply(verify)
