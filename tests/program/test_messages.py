"""What an operator reads under pressure: the plan table, the outputs, the fixes printed."""

from __future__ import annotations

import pytest
import yaml

from drstack.testing.fakekube import objects as k8s
from drstack.testing.harness import MAIN, execute, run_program
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


def web_pair(source_cluster, dr_cluster, tmp_path, *, web: tuple[int, int],
             ledgers: tuple[dict[str, str] | None, dict[str, str] | None]) -> dict:
    """Deployment/web at ``web`` (source, dr) replicas, original 3 recorded on both sites, under
    ``ledgers`` (source, dr); the stack config of the pair."""
    for server, ns, replicas, notes in ((source_cluster, SOURCE_NS, web[0], ledgers[0]),
                                        (dr_cluster, DR_NS, web[1], ledgers[1])):
        populate(server, ns, deployments={"web": replicas}, originals={"web": "3"},
                 ledger_annotations=notes)
    return base_config(source_cluster, dr_cluster, tmp_path)


@pytest.fixture
def after_cutover(source_cluster, dr_cluster, tmp_path):
    """DR serves since a cutover (ledger generation 4); source is at 0 with its originals."""
    return web_pair(source_cluster, dr_cluster, tmp_path, web=(0, 3),
                    ledgers=(ledger("dr", 4), ledger("dr", 4)))


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


# --- what a run that does not switch says ---------------------------------------------------


def test_a_steady_state_preview_says_nothing_to_do_and_which_stack_switches(after_cutover):
    # It listed "order: lease, scale-down source, ..., ledger": steps that would not run.
    run = run_program(after_cutover, stack="dr")
    assert plan_table(run)[0] == ("drstack: nothing to do: dr is already active (from ledger "
                                  "generation 4); to fail back, use -s source")
    assert run.outputs["transition"] == "none"


def test_the_mirror_steady_state_points_at_the_dr_stack(source_cluster, dr_cluster, tmp_path):
    config = web_pair(source_cluster, dr_cluster, tmp_path, web=(3, 0),
                      ledgers=(ledger("source", 6), ledger("source", 6)))

    assert plan_table(run_program(config, stack="source"))[0] == (
        "drstack: nothing to do: source is already active (from ledger generation 6); to cut "
        "over, use -s dr")
    custom = run_program({**config, "activeSite": "source"}, stack="prod-primary")
    assert plan_table(custom)[0].endswith("to cut over, use the stack that makes dr active")


def test_a_steady_run_that_changes_counts_says_so_and_keeps_the_order(after_cutover,
                                                                      dr_cluster):
    dr_cluster.put(k8s.deployment("web", 0, annotations={
        "dr-syncer.io/original-replicas": "3"}), DR_NS)  # scaled to 0 on DR by hand
    head = plan_table(run_program(after_cutover, stack="dr"))[0]
    assert head == ("drstack: dr stays active (from ledger generation 4); this run sets the "
                    "workload counts shown below; order: lease, scale-down source, drain source, "
                    "scale-up dr, ready dr, verify dr, ledger")


def test_a_fencing_run_says_it_fences_the_returned_site(source_cluster, dr_cluster, tmp_path):
    # Source was lost in a disaster cutover (generation 5) and came back still running.
    config = web_pair(source_cluster, dr_cluster, tmp_path, web=(3, 3),
                      ledgers=(ledger("source", 4), ledger("dr", 5)))
    run = run_program(config, stack="dr")
    assert plan_table(run)[0].startswith(
        "drstack: dr stays active (from ledger generation 5); this run fences source (scales it "
        "to 0); order: lease, scale-down source")


def test_the_first_run_is_called_adopt_in_the_plan_table_the_outputs_and_the_ledger(
        source_cluster, dr_cluster, tmp_path):
    # The README said "adopt" the first time; the outputs said "none" (adopt was only in the
    # ledger).
    config = web_pair(source_cluster, dr_cluster, tmp_path, web=(3, 0), ledgers=(None, None))

    run = run_program(config, stack="source")

    assert plan_table(run)[0] == (
        "drstack: adopt: source is active (no ledger; only source runs the workloads); this run "
        "writes the first ledger (generation 1) on both sites; no workload count changes")
    assert run.outputs["transition"] == "adopt"
    assert run.outputs["ledger"]["drstack.io/transition"] == "adopt"
    first_cutover = run_program(config, stack="dr")
    assert first_cutover.outputs["transition"] == "cutover"


# --- the ledger in the outputs: planned, written or unchanged ---------------------------------


def test_a_previews_ledger_is_marked_planned_and_an_updates_written(after_cutover):
    # A preview's outputs showed ledger.switched-at at the preview's time as if a switch had
    # happened.
    preview = run_program(after_cutover, stack="source", preview=True)
    assert preview.outputs["ledgerStatus"] == "planned"
    assert preview.outputs["ledger"]["drstack.io/generation"] == "5"

    update = run_program(after_cutover, stack="source", preview=False)
    assert update.outputs["ledgerStatus"] == "written"


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "update"])
def test_a_steady_runs_ledger_is_unchanged_in_a_preview_and_an_update(after_cutover, preview):
    run = run_program(after_cutover, stack="dr", preview=preview)
    assert run.outputs["ledgerStatus"] == "unchanged"
    assert run.outputs["ledger"]["drstack.io/switched-at"] == ledger("dr", 4)[
        "drstack.io/switched-at"]


def test_an_updates_outputs_wait_for_the_ledger_writes(after_cutover):
    # So that a failed update, which never writes the ledger, records no outputs at all: the
    # engine keeps the last successful update's (checked with the real CLI 3.274.1).
    update = run_program(after_cutover, stack="source", preview=False)
    ledgers = sorted(r.urn for r in update.of_type("kubernetes:core/v1:NamespacePatch"))
    assert len(ledgers) == 2 and update.waits_for["ledgerStatus"] == ledgers
    assert "ledgerStatus" not in run_program(after_cutover, stack="source").waits_for


def test_every_output_is_documented_in_the_readme(after_cutover):
    readme = (MAIN.parent / "README.md").read_text()
    documented = readme[readme.index("\n## Outputs\n"):]
    documented = documented[:documented.index("\n## ", 1)]
    for run in (run_program(after_cutover, stack="source"),
                run_program({**after_cutover, "oldSiteUnreachable": True}, stack="source")):
        for key in run.outputs:
            assert f"\n| `{key}` |" in documented, key
