"""The snapshot step (drstack:snapshotBeforeCopy): when a switch takes VolumeSnapshots before its
copy, what it names them, what the ledger records, and what stops the preview first."""

from __future__ import annotations

import dataclasses

import pytest

from drstack import annotation_keys
from drstack.model import SnapshotApi, Strategy
from drstack.planner import Plan, PlanError, Severity, assess, build_plan, snapshot_name

from .snapshots import DR, NOW, SOURCE, config, ledger, pvc, snap, snaps, wl
from .test_build_plan import copy_record, failback_lease, failback_with_data

WITH_DEFAULT = SnapshotApi(served=True, classes=("csi-fast", "csi-slow"), default_class="csi-slow")


def snapshotting(active=SOURCE, *, snapshot_class: str = "", **kw):
    cfg = config(active, **kw)
    return dataclasses.replace(cfg, snapshot_before_copy=True,
                               volume_snapshot_class=snapshot_class)


def with_api(snapshots, api: SnapshotApi | None, site=SOURCE):
    return {**snapshots, site: dataclasses.replace(snapshots[site], snapshot_api=api)}


def plan_for(cfg, snapshots) -> Plan:
    return build_plan(cfg, snapshots, now=NOW)


def test_a_failback_with_a_copy_snapshots_the_claims_it_overwrites_between_drain_and_copy():
    plan = plan_for(snapshotting(reverse=True), with_api(failback_with_data(), WITH_DEFAULT))

    assert [str(s) for s in plan.steps] == [
        "scale-down dr", "drain dr", "snapshot source", "copy dr -> source", "scale-up source",
        "ready source", "verify source"]
    assert plan.snapshots is not None
    assert plan.snapshots.site is SOURCE  # the site being written, never the one copied from
    assert plan.snapshots.names == {"data-db-0": "drstack-failback-5-data-db-0"}
    assert plan.ledger.annotations()[annotation_keys.LEDGER_SNAPSHOTS] == (
        "source/drstack-failback-5-data-db-0")


def test_the_snapshot_names_follow_the_switch_so_a_re_run_finds_the_same_ones():
    first = plan_for(snapshotting(reverse=True), with_api(failback_with_data(), WITH_DEFAULT))
    # The first run failed during the copy; the lease is still held by this switch.
    again = plan_for(snapshotting(reverse=True),
                     with_api(failback_with_data(lease=failback_lease()), WITH_DEFAULT))

    assert first.snapshots == again.snapshots


def test_a_re_run_after_the_copy_finished_keeps_the_switch_snapshots_in_its_plan_and_ledger():
    plan = plan_for(snapshotting(reverse=True),
                    with_api(failback_with_data(source_db=1, lease=failback_lease(),
                                                copied=copy_record()), None))

    assert plan.copy is not None and plan.copy.pairs == ()
    assert plan.snapshots is not None
    assert plan.snapshots.names == {"data-db-0": "drstack-failback-5-data-db-0"}
    assert "snapshot source" in [str(s) for s in plan.steps]
    assert annotation_keys.LEDGER_SNAPSHOTS in plan.ledger.annotations()


@pytest.mark.parametrize("cfg", [
    dataclasses.replace(config(SOURCE, reverse=True), snapshot_before_copy=False),
    snapshotting(SOURCE, reverse=True, strategy=Strategy.WARM),  # warm never copies
    snapshotting(SOURCE, reverse=False),  # this direction copies nothing
], ids=["flag-off", "warm", "no-copy-this-way"])
def test_no_snapshot_step_without_a_copy_or_without_the_flag(cfg):
    plan = plan_for(cfg, with_api(failback_with_data(), WITH_DEFAULT))

    assert plan.snapshots is None
    assert "snapshot" not in " ".join(str(s) for s in plan.steps)
    assert annotation_keys.LEDGER_SNAPSHOTS not in plan.ledger.annotations()


def test_steady_state_declares_the_ledger_snapshots_as_the_last_switch_wrote_them():
    # After the failback: source serves, and its ledger lists the failback's snapshots.
    recorded = "source/drstack-failback-5-data-db-0"
    led = dataclasses.replace(ledger(SOURCE, 5, transition="failback"), snapshots=recorded)
    snapshots = snaps(snap(SOURCE, wl("StatefulSet/db", 1, templates=("data",)),
                           pvcs=(pvc("data-db-0"),), led=led),
                      snap(DR, wl("StatefulSet/db", 0, "1", templates=("data",)),
                           pvcs=(pvc("data-db-0"),), led=led))

    plan = plan_for(snapshotting(reverse=True), snapshots)

    # Nothing copied, nothing taken: the step is declared inert, so the run changes nothing.
    assert plan.snapshots is not None and plan.snapshots.claims == ()
    assert plan.snapshots.transition == "none"
    assert plan.ledger.annotations()[annotation_keys.LEDGER_SNAPSHOTS] == recorded


def test_a_site_without_the_snapshot_api_stops_the_preview_with_the_fix():
    with pytest.raises(PlanError) as info:
        plan_for(snapshotting(reverse=True),
                 with_api(failback_with_data(), SnapshotApi(served=False)))

    [problem] = info.value.problems
    assert "site source does not serve the VolumeSnapshot API (snapshot.storage.k8s.io/v1)" in \
        problem
    assert "install the CSI external-snapshotter" in problem
    assert "pulumi config set -s source drstack:snapshotBeforeCopy false" in problem


def test_a_class_that_does_not_exist_stops_the_preview_naming_the_ones_that_do():
    with pytest.raises(PlanError) as info:
        plan_for(snapshotting(reverse=True, snapshot_class="csi-fats"),
                 with_api(failback_with_data(), WITH_DEFAULT))

    [problem] = info.value.problems
    assert "drstack:volumeSnapshotClass='csi-fats' does not exist on site source" in problem
    assert "(its classes: csi-fast, csi-slow)" in problem


def test_no_default_class_and_no_class_set_stops_the_preview():
    api = SnapshotApi(served=True, classes=("csi-fast",), default_class=None)
    with pytest.raises(PlanError) as info:
        plan_for(snapshotting(reverse=True), with_api(failback_with_data(), api))

    [problem] = info.value.problems
    assert "site source has no default VolumeSnapshotClass (its classes: csi-fast)" in problem
    assert "pulumi config set -s source drstack:volumeSnapshotClass NAME" in problem


def test_a_named_class_that_exists_is_used_even_without_a_default():
    api = SnapshotApi(served=True, classes=("csi-fast",), default_class=None)
    plan = plan_for(snapshotting(reverse=True, snapshot_class="csi-fast"),
                    with_api(failback_with_data(), api))

    assert plan.snapshots is not None and plan.snapshots.snapshot_class == "csi-fast"


def test_classes_that_cannot_be_listed_only_warn():
    assessment = assess(snapshotting(reverse=True),
                        with_api(failback_with_data(), SnapshotApi(served=True)), now=NOW)

    [finding] = [f for f in assessment.findings if f.check == "snapshot"]
    assert finding.severity is Severity.WARNING
    assert "could not list the VolumeSnapshotClasses of site source" in finding.message
    assert assessment.plan is not None and assessment.plan.snapshots is not None


def test_the_snapshot_error_is_reported_with_every_other_problem():
    # A pending claim on dr and no snapshot API on source: both, in one preview.
    snapshots = with_api(failback_with_data(), SnapshotApi(served=False))
    snapshots[DR] = dataclasses.replace(snapshots[DR], pvcs=(pvc("data-db-0", "Pending"),))

    assessment = assess(snapshotting(reverse=True), snapshots, now=NOW)

    assert {f.check for f in assessment.errors} == {"pvc", "snapshot"}


@pytest.mark.parametrize("transition, claim, expected", [
    ("failback#5", "data-db-0", "drstack-failback-5-data-db-0"),
    ("cutover#12", "uploads", "drstack-cutover-12-uploads"),
])
def test_snapshot_names_are_valid_object_names(transition, claim, expected):
    assert snapshot_name(transition, claim) == expected


def test_a_snapshot_name_of_a_long_claim_stays_within_the_object_name_limit():
    name = snapshot_name("cutover#1", "c" * 253)
    assert len(name) <= 253 and name.startswith("drstack-cutover-1-")
