"""The pre-flight through the real program: every finding of every check in one error."""

from __future__ import annotations

from drstack.testing.fakekube import objects as k8s
from drstack.testing.harness import execute
from drstack.testing.scenario import DR_NS, SOURCE_NS, base_config, ledger, populate


def test_a_failback_preview_reports_nodes_pvcs_and_pv_migrate_in_one_error(
        source_cluster, dr_cluster, tmp_path):
    pvcs = ("web-data",)
    populate(source_cluster, SOURCE_NS, deployments={"web": 0}, originals={"web": "3"},
             pvcs=pvcs, ledger_annotations=ledger("dr", 4))
    populate(dr_cluster, DR_NS, deployments={"web": 3}, originals={"web": "3"}, pvcs=pvcs,
             ledger_annotations=ledger("dr", 4))
    source_cluster.delete("Node", None, "node-1")  # source, being made active, has no node
    source_cluster.put(k8s.pvc("web-data", phase="Pending"), SOURCE_NS)
    config = {**base_config(source_cluster, dr_cluster, tmp_path), "reverseMigratePvcData": True,
              "pvMigratePath": str(tmp_path / "nowhere" / "pv-migrate")}

    run = execute(config, stack="source")

    message = str(run.error)
    assert "drstack cannot plan this switch (3 problem(s)); nothing was changed" in message
    assert "site source (being made active) has no Ready node" in message
    assert "PVC web-data on source is Pending, not Bound" in message
    assert "nowhere/pv-migrate" in message
    assert run.registrations == []
    assert source_cluster.writes() == [] and dr_cluster.writes() == []


def test_steady_state_pv_migrate_warnings_are_in_the_outputs_too(source_cluster, dr_cluster,
                                                                  tmp_path):
    populate(source_cluster, SOURCE_NS, deployments={"web": 3}, ledger_annotations=ledger(
        "source", 2))
    populate(dr_cluster, DR_NS, deployments={"web": 0}, originals={"web": "3"},
             ledger_annotations=ledger("source", 2))
    missing = str(tmp_path / "nowhere" / "pv-migrate")
    config = {**base_config(source_cluster, dr_cluster, tmp_path), "reverseMigratePvcData": True,
              "pvMigratePath": missing}

    run = execute(config, stack="source")

    assert run.error is None, run.error
    [warning] = [w for w in run.outputs["warnings"] if "pv-migrate" in w]
    assert warning.startswith("the next switch's data copy would fail") and missing in warning
    assert warning in run.messages("warning")
