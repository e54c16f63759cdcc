"""What an operator reads under pressure: the plan table, the outputs, the fixes printed."""

from __future__ import annotations

from drstack.testing.harness import execute
from drstack.testing.scenario import DR_NS, SOURCE_NS, base_config, ledger, populate


def test_several_unknown_originals_get_one_command_with_the_next_free_indexes(
        source_cluster, dr_cluster, tmp_path):
    # DR serves api; web, worker and db are at 0 everywhere with no record of their count.
    populate(source_cluster, SOURCE_NS, deployments={"api": 0, "web": 0, "worker": 0},
             statefulsets={"db": 0}, ledger_annotations=ledger("dr", 4))
    populate(dr_cluster, DR_NS, deployments={"api": 2, "web": 0, "worker": 0},
             statefulsets={"db": 0}, ledger_annotations=ledger("dr", 4))
    config = {**base_config(source_cluster, dr_cluster, tmp_path),
              "replicaOverrides": ["Deployment/api=2", "Deployment/api=3"]}

    message = str(execute(config, stack="source").error)

    assert message.count("Fix: set its count with the others, in one command (below)") == 3
    assert ("3 workloads have no known original count. Fix, in one command that adds them after "
            "the 2 entries already in drstack:replicaOverrides (replace each COUNT with the count "
            "the workload runs when its site is active): pulumi config set-all -s source --path "
            "--plaintext 'drstack:replicaOverrides[2]=Deployment/web=COUNT' "
            "--plaintext 'drstack:replicaOverrides[3]=Deployment/worker=COUNT' "
            "--plaintext 'drstack:replicaOverrides[4]=StatefulSet/db=COUNT'") in message
    assert "replicaOverrides[0]" not in message
