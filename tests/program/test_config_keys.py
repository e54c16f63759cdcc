"""The stack config as the program reads it from Pulumi: every key of the namespace."""

from __future__ import annotations

import pulumi
import pytest
import yaml

from drstack.testing.harness import execute
from drstack.testing.scenario import DR_NS, SOURCE_NS, base_config, ledger, populate


@pytest.fixture
def after_cutover(source_cluster, dr_cluster, tmp_path):
    populate(source_cluster, SOURCE_NS, deployments={"web": 0}, originals={"web": "3"},
             pvcs=("web-data",), ledger_annotations=ledger("dr", 4))
    populate(dr_cluster, DR_NS, deployments={"web": 3}, originals={"web": "3"},
             pvcs=("web-data",), ledger_annotations=ledger("dr", 4))
    return base_config(source_cluster, dr_cluster, tmp_path)


def test_a_copy_flag_mistyped_in_case_fails_the_failback_preview_instead_of_dropping_the_copy(
        after_cutover, source_cluster, dr_cluster):
    # Pulumi validates only declared keys: this one reached the program, which ignored it and
    # planned the failback without the data copy.
    run = execute({**after_cutover, "reverseMigratePVCData": True}, stack="source")

    assert isinstance(run.error, pulumi.RunError), run.error
    assert ("drstack:reverseMigratePVCData: drstack has no such key, so its value would be "
            "ignored; did you mean drstack:reverseMigratePvcData?") in str(run.error)
    assert run.registrations == []
    assert source_cluster.requests == [] and dr_cluster.requests == []


def test_a_secret_set_under_an_unknown_key_is_named_but_never_shown(after_cutover):
    token = "tok-UNKNOWN-KEY-5e1f"
    run = execute({**after_cutover, "sourceKubeConfig": f"users: [{{token: {token}}}]"},
                  stack="source", secret_keys=("sourceKubeConfig",))

    assert "did you mean drstack:sourceKubeconfig?" in str(run.error)
    assert "--secret drstack:sourceKubeconfig" in str(run.error)
    assert token not in str(run.error)


def write_stack_file(project, stack: str, config: dict) -> None:
    values = {f"drstack:{k}": v for k, v in config.items()}
    (project / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": values}))


def test_a_dr_stack_file_that_drifted_fails_the_source_stack_naming_the_key_and_both_values(
        after_cutover, source_cluster, dr_cluster, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    write_stack_file(project, "dr", {**after_cutover, "activeSite": "dr",
                                     "drNamespace": "my-app-staging"})

    run = execute(after_cutover, stack="source", project=project)

    assert ("drstack:drNamespace = 'my-app-dr': differs from the other stack's: stack dr "
            "(Pulumi.dr.yaml) has 'my-app-staging'") in str(run.error)
    assert run.registrations == []
    assert source_cluster.requests == [] and dr_cluster.requests == []

    write_stack_file(project, "dr", {**after_cutover, "activeSite": "dr"})
    assert execute(after_cutover, stack="source", project=project).error is None


def test_an_unreadable_other_stack_file_is_a_warning_not_a_refusal(after_cutover, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "Pulumi.dr.yaml").write_text("config: [unclosed\n")

    run = execute(after_cutover, stack="source", project=project)

    assert run.error is None, run.error
    assert any("were not compared" in w for w in run.messages("warning"))
