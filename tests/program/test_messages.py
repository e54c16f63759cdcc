"""What an operator reads under pressure: the plan table, the outputs, the fixes printed."""

from __future__ import annotations

import pytest
import yaml

from drstack.testing.harness import execute, run_program
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


@pytest.fixture
def after_cutover(source_cluster, dr_cluster, tmp_path):
    """DR serves since a cutover (ledger generation 4); source is at 0 with its originals."""
    populate(source_cluster, SOURCE_NS, deployments={"web": 0}, originals={"web": "3"},
             ledger_annotations=ledger("dr", 4))
    populate(dr_cluster, DR_NS, deployments={"web": 3}, originals={"web": "3"},
             ledger_annotations=ledger("dr", 4))
    return base_config(source_cluster, dr_cluster, tmp_path)


def plan_table(run) -> list[str]:
    (table,) = [m for m in run.messages("info") if m.startswith("drstack: ")]
    return table.splitlines()


def test_the_plan_table_and_outputs_say_where_each_site_is(after_cutover, source_cluster,
                                                          dr_cluster):
    run = run_program(after_cutover, stack="source")

    lines = plan_table(run)
    width = len("source  ")
    assert lines[1].split() == ["site", "context", "API", "server", "namespace"]
    assert lines[2].split() == ["source", "source", source_cluster.url, SOURCE_NS]
    assert lines[3].split() == ["dr", "dr", dr_cluster.url, DR_NS]
    assert lines[2].startswith("source  source ") and lines[3][:width] == "dr      "
    assert run.outputs["sites"] == {
        "source": {"context": "source", "server": source_cluster.url, "namespace": SOURCE_NS},
        "dr": {"context": "dr", "server": dr_cluster.url, "namespace": DR_NS}}


def test_a_site_without_a_configured_context_shows_the_current_context_it_uses(
        after_cutover, dr_cluster):
    run = run_program({**after_cutover, "drContext": ""}, stack="source")
    assert run.outputs["sites"]["dr"]["context"] == "dr"  # the kubeconfig's current-context


def test_an_inline_kubeconfig_shows_its_server_but_never_its_token(after_cutover, dr_cluster):
    dr_cluster.token = "tok-ADDRESS-7c2e"
    inline = yaml.safe_dump(dr_cluster.kubeconfig_dict("dr"))
    run = run_program({**after_cutover, "drKubeconfig": inline}, stack="source",
                      secret_keys=("drKubeconfig",))

    assert run.outputs["sites"]["dr"]["server"] == dr_cluster.url
    assert "tok-ADDRESS-7c2e" not in "\n".join(plan_table(run)) + repr(run.outputs)


def test_a_site_declared_unreachable_is_still_named_and_marked_untouched(after_cutover):
    run = run_program({**after_cutover, "oldSiteUnreachable": True}, stack="source")
    dr_row = next(line for line in plan_table(run) if line.startswith("dr  "))
    assert dr_row.endswith(f"{DR_NS}  (declared unreachable: not touched)")
