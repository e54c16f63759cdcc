"""drstack:snapshotBeforeCopy on the real engine and real API servers: the VolumeSnapshot API
there is the sandbox's (its CRDs, a default class, and kwok playing the snapshot controller:
drstack/sandbox/snapshot_api.py); pv-migrate is the FAKE observing one."""

from __future__ import annotations

from drstack.model import Site
from drstack.testing.observing_pv_migrate import calls, write_observing_pv_migrate
from drstack.testing.real_engine import SERVING_COUNTS, E2eApp


def test_a_failback_snapshots_the_claims_it_overwrites_before_copying(app: E2eApp) -> None:
    fake = write_observing_pv_migrate(app.tmp / "pv-migrate")
    app.configure("source", reverseMigratePvcData=True, pvMigratePath=str(fake),
                  snapshotBeforeCopy=True)
    app.cli.up("dr", "cutover")
    generation = int(app.ledger(Site.DR)["generation"]) + 1
    name = f"drstack-failback-{generation}-data-db-0"

    preview = app.cli.preview("source").stdout
    assert "snapshot source" in preview
    assert f"snapshots on source before the copy (default class, kept): data-db-0 -> {name}" \
        in preview

    app.cli.up("source", "failback, with a snapshot first")

    (call,) = calls(fake.parent)
    # When the copy started, the snapshot of the claim it writes existed and was ready.
    assert call["destSnapshots"] == {name: {"claim": "data-db-0", "readyToUse": True}}
    assert app.ready_pods(Site.SOURCE) == SERVING_COUNTS
    for site in Site:  # the audit trail: both ledgers name it
        assert app.ledger(site)["snapshots"] == f"source/{name}"
    assert app.cli.outputs("source")["snapshots"]["claims"] == [
        {"claim": "data-db-0", "snapshot": name}]
    # The steady state after it declares the same ledger: nothing to change.
    assert app.cli.preview("source", "--expect-no-changes", check=False).returncode == 0


def test_a_snapshot_class_missing_on_the_site_stops_the_preview_and_changes_nothing(
        app: E2eApp) -> None:
    fake = write_observing_pv_migrate(app.tmp / "pv-migrate")
    app.configure("source", reverseMigratePvcData=True, pvMigratePath=str(fake),
                  snapshotBeforeCopy=True, volumeSnapshotClass="csi-gold")
    app.cli.up("dr", "cutover")
    before = {site: app.replicas(site) for site in Site}

    result = app.cli.up("source", "failback", check=False)

    assert result.returncode != 0
    assert ("drstack:volumeSnapshotClass='csi-gold' does not exist on site source (its "
            "classes: drstack-sandbox-snapclass)") in result.stdout
    assert {site: app.replicas(site) for site in Site} == before
    assert calls(fake.parent) == []
