"""drstack:snapshotBeforeCopy under Pulumi's mocks: where the snapshot step sits in a failback,
what it is given, and what stops the preview before anything is declared."""

from __future__ import annotations

import pulumi
import pytest

from drstack.testing.harness import run_program
from drstack.testing.scenario import SOURCE_NS

SNAPSHOT_CLASS_API = "snapshot.storage.k8s.io/v1"


def snapshot_class(name: str, *, default: bool = False) -> dict:
    annotations = {"snapshot.storage.kubernetes.io/is-default-class": "true"} if default else {}
    return {"apiVersion": SNAPSHOT_CLASS_API, "kind": "VolumeSnapshotClass",
            "metadata": {"name": name, "annotations": annotations},
            "driver": "hostpath.csi.k8s.io", "deletionPolicy": "Retain"}


@pytest.fixture
def failback_with_snapshots(failback_with_data, source_cluster):
    """The failback with data (conftest), with snapshots on and two classes on source."""
    source_cluster.put(snapshot_class("csi-standard", default=True))
    source_cluster.put(snapshot_class("csi-fast"))
    return {**failback_with_data, "snapshotBeforeCopy": True}


def test_the_snapshot_step_runs_after_the_drain_and_before_the_copy(failback_with_snapshots):
    run = run_program(failback_with_snapshots, stack="source")

    drain, shots, copy = (run.named("dr-drain"), run.named("source-snapshots"),
                          run.named("pvc-copy-into-source"))
    assert shots.dependencies == [drain.urn]
    assert copy.dependencies == [shots.urn]
    assert shots.inputs["site"] == "source" and shots.inputs["namespace"] == SOURCE_NS
    assert shots.inputs["claims"] == ["data-db-0", "web-data"]  # the claims being overwritten
    assert shots.inputs["snapshotClass"] == ""  # the site's default, csi-standard
    assert shots.inputs["transition"] == "failback#5"
    assert shots.inputs["recovery"]["toSite"] == "source"
    assert run.outputs["snapshots"] == {"site": "source", "class": None, "claims": [
        {"claim": "data-db-0", "snapshot": "drstack-failback-5-data-db-0"},
        {"claim": "web-data", "snapshot": "drstack-failback-5-web-data"}]}
    assert run.outputs["ledger"]["drstack.io/snapshots"] == (
        "source/drstack-failback-5-data-db-0,source/drstack-failback-5-web-data")
    assert any("snapshots on source before the copy (default class, kept): data-db-0 -> "
               "drstack-failback-5-data-db-0" in m for m in run.messages("info"))


def test_a_class_missing_on_the_site_stops_the_preview_before_any_declaration(
        failback_with_snapshots, source_cluster, dr_cluster):
    config = {**failback_with_snapshots, "volumeSnapshotClass": "csi-gold"}

    with pytest.raises(pulumi.RunError) as raised:
        run_program(config, stack="source")

    assert "drstack:volumeSnapshotClass='csi-gold' does not exist on site source (its classes: " \
        "csi-fast, csi-standard)" in str(raised.value)
    assert source_cluster.writes() == [] and dr_cluster.writes() == []


def test_a_site_without_the_snapshot_api_stops_the_preview(failback_with_snapshots,
                                                          source_cluster):
    # As a cluster without the external-snapshotter's CRDs answers.
    source_cluster.fail_next(5, status=404, path_contains="volumesnapshotclasses")

    with pytest.raises(pulumi.RunError, match="does not serve the VolumeSnapshot API"):
        run_program(failback_with_snapshots, stack="source")


def test_the_dr_stack_reads_no_snapshot_classes(failback_with_snapshots, source_cluster):
    # The dr stack is steady here: it copies nothing, so it has nothing to snapshot.
    run = run_program(failback_with_snapshots, stack="dr")

    assert run.of_type("pulumi-python:dynamic/drstack:VolumeSnapshots") == []
    assert source_cluster.count(path_contains="volumesnapshotclasses") == 0
