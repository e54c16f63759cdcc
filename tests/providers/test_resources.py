"""The three resources as the program declares them (under Pulumi mocks: no provider runs)."""

from __future__ import annotations

import pulumi
import pytest

from drstack.providers import DrainGate, PvcMigration, ReadinessGate


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
    DrainGate("source-drain", site="source", namespace="shop", transition="cutover#3",
              workloads=[{"kind": "Deployment", "name": "web", "podLabels": {"app": "web"}}],
              claims=["data"], timeout_seconds=300.0)
    ReadinessGate("dr-ready", site="dr", namespace="shop", transition="cutover#3",
                  workloads=[{"kind": "Deployment", "name": "web", "replicas": 3}],
                  timeout_seconds=600.0, poll_seconds=2.0)
    copy = PvcMigration("pvc-copy-into-dr", from_site="source", to_site="dr",
                        transition="cutover#3", pairs=[{"source": "data", "dr": "data"}],
                        flags=["-i"], concurrency=2, timeout_seconds=7200.0,
                        pv_migrate_path="pv-migrate")

    def verify(_: object) -> None:
        assert set(mocks.inputs["source-drain"]) == {
            "site", "namespace", "transition", "workloads", "claims", "timeoutSeconds",
            "pollSeconds", "__provider"}
        assert mocks.inputs["dr-ready"]["pollSeconds"] == 2.0
        assert set(mocks.inputs["pvc-copy-into-dr"]) == {
            "fromSite", "toSite", "transition", "pairs", "flags", "concurrency",
            "timeoutSeconds", "pvMigratePath", "__provider"}
        # The pickled provider carries nothing secret, so it is stored as a plain string.
        assert isinstance(mocks.inputs["source-drain"]["__provider"], str)

    return copy.urn.apply(verify)
