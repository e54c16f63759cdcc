"""examples/traffic: a program of one's own moves traffic only once DrSwitch is ready."""

from __future__ import annotations

from pathlib import Path

import pytest

from drstack.testing.harness import run_program
from drstack.testing.scenario import DR_NS, SOURCE_NS, base_config, ledger, populate

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "traffic" / "__main__.py"
TRAFFIC = {"traffic:frontKubeconfig": "/kube/front.yaml", "traffic:frontNamespace": "front",
           "traffic:sourceHost": "shop.source.example", "traffic:drHost": "shop.dr.example"}


@pytest.fixture
def dr_serving(source_cluster, dr_cluster, tmp_path):
    populate(source_cluster, SOURCE_NS, deployments={"web": 0}, originals={"web": "3"},
             ledger_annotations=ledger("dr", 4))
    populate(dr_cluster, DR_NS, deployments={"web": 3}, originals={"web": "3"},
             ledger_annotations=ledger("dr", 4))
    return base_config(source_cluster, dr_cluster, tmp_path)


def test_the_front_door_moves_to_source_only_after_the_failbacks_last_step(dr_serving):
    run = run_program(dr_serving, stack="source", program=EXAMPLE, other_config=TRAFFIC)

    (app,) = run.of_type("kubernetes:core/v1:Service")
    assert app.inputs["spec"]["externalName"] == "shop.source.example"
    # It waits for the switch: its inputs depend on the verify step (the Service gate), the
    # last step before the ledger.
    assert run.named("source-services").urn in app.dependencies
    assert run.outputs["servingSite"] == "source"
    assert run.outputs["transition"] == "failback"
    # Found on the real engine: both stacks declare this one object, so each must take it over
    # with one field manager, and destroying one stack must not delete the front door.
    notes = app.inputs["metadata"]["annotations"]
    assert notes == {"pulumi.com/patchForce": "true",
                     "pulumi.com/patchFieldManager": "drstack-traffic"}
    assert app.retain_on_delete


def test_in_steady_state_the_front_door_points_at_the_active_site(dr_serving):
    run = run_program(dr_serving, stack="dr", program=EXAMPLE, other_config=TRAFFIC)

    (app,) = run.of_type("kubernetes:core/v1:Service")
    assert app.inputs["spec"]["externalName"] == "shop.dr.example"
    assert run.outputs["servingHost"] == "shop.dr.example"


def test_the_switchs_own_resources_sit_under_the_component_with_an_alias_to_the_root(
        dr_serving):
    run = run_program(dr_serving, stack="source")

    (switch,) = run.of_type("drstack:index:DrSwitch")
    for name in ("switch-lease", "site source: scale up", "site dr: scale down"):
        assert run.named(name).parent == switch.urn, name
    # ... each with an alias to where it was before DrSwitch existed (the stack's root), so a
    # stack made by an earlier drstack replaces nothing (tests/e2e/test_migration.py).
    # (The SDK sends that as "no parent": a top-level URN names no parent type.)
    for name in ("switch-lease", "site source: scale up", "site dr: scale down"):
        assert {"spec": {"noParent": True}} in run.named(name).aliases, name


def test_with_urls_to_verify_the_front_door_waits_for_them_too(dr_serving):
    config = {**dr_serving, "verifyUrls": ["https://shop.source.example/health"]}
    run = run_program(config, stack="source", program=EXAMPLE, other_config=TRAFFIC)

    (app,) = run.of_type("kubernetes:core/v1:Service")
    # The URL probe runs after the Service gate: it is now the last step before the ledger.
    assert run.named("source-urls").urn in app.dependencies
    assert app.inputs["spec"]["externalName"] == "shop.source.example"


DEPENDS_ON = '''
import pulumi
import pulumi_kubernetes as k8s
from drstack import DrSwitch

switch = DrSwitch("switch")
k8s.core.v1.ConfigMap("front-door", data={"moved": "yes"},
                      opts=pulumi.ResourceOptions(depends_on=[switch]))
'''


def test_depends_on_the_switch_waits_for_its_last_step_too(dr_serving, tmp_path):
    # The way: a resource of one's own with depends_on=[switch], no Output taken.
    program = tmp_path / "depends_on.py"
    program.write_text(DEPENDS_ON)
    run = run_program(dr_serving, stack="source", program=program)

    (door,) = run.of_type("kubernetes:core/v1:ConfigMap")
    assert run.named("source-services").urn in door.dependencies, door.dependencies
