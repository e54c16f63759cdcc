"""VolumeSnapshots called directly against a fake site: one snapshot per claim a copy will
overwrite, found again on a re-run, waited for until ready, never deleted."""

from __future__ import annotations

import pytest

from drstack.model import Site
from drstack.providers import SKIPPED, SnapshotFailed, VolumeSnapshotsProvider
from drstack.providers.recovery import Recovery
from drstack.providers.volume_snapshots import SnapshotSpec
from tests.providers.sites import SOURCE_NS, Sites, configured

SNAPSHOTS = f"/apis/snapshot.storage.k8s.io/v1/namespaces/{SOURCE_NS}/volumesnapshots"
RECOVERY = {"stack": "source", "otherStack": "dr", "fromSite": "dr", "toSite": "source",
            "strategy": "cold", "transition": "failback#5"}


def props(**over: object) -> dict:
    base = {"site": "source", "namespace": SOURCE_NS, "transition": "failback#5",
            "claims": ["data-db-0", "uploads"], "snapshotClass": "csi-fast",
            "timeoutSeconds": 20.0, "recovery": RECOVERY}
    return {**base, **over}


def snapshot_status(sites: Sites, name: str, status: dict) -> None:
    sites.source.set_status("VolumeSnapshot", SOURCE_NS, name, status)


def ready_when_watched(sites: Sites, *names: str) -> None:
    """Play the CSI snapshotter: the snapshots become ready when the step starts watching."""
    def ready() -> None:
        for name in names:
            snapshot_status(sites, name, {"readyToUse": True, "restoreSize": "1Gi"})
    sites.source.after_requests(1, ready, watch=True, path_contains="volumesnapshots")


NAMES = ("drstack-failback-5-data-db-0", "drstack-failback-5-uploads")


def test_takes_a_snapshot_of_each_claim_and_waits_until_all_are_ready(sites: Sites) -> None:
    provider = configured(VolumeSnapshotsProvider, sites.config)
    ready_when_watched(sites, *NAMES)

    outs = provider.create(props()).outs

    assert outs["result"] == "ready"
    assert outs["snapshots"] == [
        {"claim": "data-db-0", "name": NAMES[0], "restoreSize": "1Gi"},
        {"claim": "uploads", "name": NAMES[1], "restoreSize": "1Gi"}]
    made = {o["metadata"]["name"]: o["spec"] for o in sites.source.list("VolumeSnapshot",
                                                                         SOURCE_NS)}
    assert made == {
        NAMES[0]: {"source": {"persistentVolumeClaimName": "data-db-0"},
                   "volumeSnapshotClassName": "csi-fast"},
        NAMES[1]: {"source": {"persistentVolumeClaimName": "uploads"},
                   "volumeSnapshotClassName": "csi-fast"}}
    assert not sites.dr.requests  # only the site being written


def test_the_default_class_is_left_to_the_cluster(sites: Sites) -> None:
    provider = configured(VolumeSnapshotsProvider, sites.config)
    ready_when_watched(sites, NAMES[0])

    provider.create(props(claims=["data-db-0"], snapshotClass=""))

    [made] = sites.source.list("VolumeSnapshot", SOURCE_NS)
    assert "volumeSnapshotClassName" not in made["spec"]


def test_a_re_run_of_the_switch_finds_its_snapshots_instead_of_taking_new_ones(
        sites: Sites) -> None:
    provider = configured(VolumeSnapshotsProvider, sites.config)
    ready_when_watched(sites, *NAMES)
    provider.create(props())
    before = {o["metadata"]["name"]: o["metadata"]["uid"]
              for o in sites.source.list("VolumeSnapshot", SOURCE_NS)}

    outs = provider.update("snapshots-1", props(), props()).outs

    assert outs["result"] == "ready"
    after = {o["metadata"]["name"]: o["metadata"]["uid"]
             for o in sites.source.list("VolumeSnapshot", SOURCE_NS)}
    assert after == before  # the same objects: taken before the first copy attempt


def test_an_error_from_the_snapshotter_fails_the_step_naming_snapshot_claim_and_ways_out(
        sites: Sites) -> None:
    provider = configured(VolumeSnapshotsProvider, sites.config)

    def fail() -> None:
        snapshot_status(sites, NAMES[0], {"readyToUse": True})
        snapshot_status(sites, NAMES[1], {"readyToUse": False, "error": {
            "message": "Failed to check and update snapshot content: rpc error: quota"}})
    sites.source.after_requests(1, fail, watch=True, path_contains="volumesnapshots")

    with pytest.raises(SnapshotFailed) as info:
        provider.create(props())

    message = str(info.value)
    assert f"{NAMES[1]} (claim uploads): error: Failed to check and update snapshot " in message
    assert f"{NAMES[0]} (claim data-db-0): ready" in message
    assert "nothing was copied" in message
    assert "Now: dr is at 0 and drained, source has not started and nothing was copied" in message
    assert "pulumi up -s source" in message


def test_a_snapshot_the_api_refuses_fails_before_any_copy(sites: Sites) -> None:
    provider = configured(VolumeSnapshotsProvider, sites.config)
    sites.source.fail_next(1, status=403, method="POST", path_contains="volumesnapshots")

    with pytest.raises(SnapshotFailed) as info:
        provider.create(props())

    assert f"VolumeSnapshot {NAMES[0]} of claim data-db-0 on the source site: HTTP 403" in \
        str(info.value)


def test_snapshots_never_ready_fail_at_the_timeout_naming_each(sites: Sites) -> None:
    provider = configured(VolumeSnapshotsProvider, sites.config)

    with pytest.raises(SnapshotFailed) as info:
        provider.create(props(timeoutSeconds=0.5))

    assert f"{NAMES[0]} (claim data-db-0): not ready" in str(info.value)
    assert "raise drstack:migrationTimeout if they are only slow" in str(info.value)


def test_steady_state_takes_nothing(sites: Sites) -> None:
    provider = configured(VolumeSnapshotsProvider, sites.config)

    assert provider.create(props(transition="none")).outs["result"] == SKIPPED
    assert not sites.source.requests


def test_removing_the_step_never_deletes_a_snapshot(sites: Sites) -> None:
    provider = configured(VolumeSnapshotsProvider, sites.config)
    ready_when_watched(sites, *NAMES)
    provider.create(props())
    sites.clear_logs()

    provider.delete("snapshots-1", props())

    assert not sites.source.requests
    assert len(sites.source.list("VolumeSnapshot", SOURCE_NS)) == 2


@pytest.mark.parametrize("snapshot_class", ["", "csi-snapclass"])
def test_the_spec_reads_back_what_it_writes(snapshot_class: str) -> None:
    spec = SnapshotSpec(Site.SOURCE, SOURCE_NS, "failback#5", ("data-db-0", "web-data"),
                        snapshot_class, 300.0,
                        Recovery("source", "dr", Site.DR, Site.SOURCE, "cold", "failback#5"))
    read, inputs = SnapshotSpec.from_props(spec.to_props())
    assert inputs.failures == [] and not inputs.incomplete
    assert read == spec
