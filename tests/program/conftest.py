"""Fixtures the program's test modules share."""

from __future__ import annotations

import pytest

from drstack.testing.scenario import DR_NS, SOURCE_NS, base_config, ledger, populate


@pytest.fixture
def failback_with_data(source_cluster, dr_cluster, tmp_path):
    """DR serves; its db StatefulSet and web Deployment wrote data that must come back."""
    from drstack.testing.fake_pvmigrate import write_fake_pvmigrate

    pvcs = ("web-data", "data-db-0")
    populate(source_cluster, SOURCE_NS, deployments={"web": 0}, statefulsets={"db": 0},
             originals={"web": "2", "db": "1"}, ledger_annotations=ledger("dr", 4), pvcs=pvcs)
    populate(dr_cluster, DR_NS, deployments={"web": 2}, statefulsets={"db": 1},
             originals={"web": "2", "db": "1"}, ledger_annotations=ledger("dr", 4), pvcs=pvcs)
    binary = write_fake_pvmigrate(tmp_path / "bin", major=3)
    return {**base_config(source_cluster, dr_cluster, tmp_path), "reverseMigratePvcData": True,
            "pvMigratePath": str(binary), "pvMigrateFlags": "--loadbalancer-timeout 30m"}
