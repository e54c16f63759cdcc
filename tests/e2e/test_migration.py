"""Stacks made by the per-workload shape (one DeploymentPatch/StatefulSetPatch per workload
and site) move to one SiteScale per site on their next `pulumi up`, changing no replica."""

from __future__ import annotations

from drstack.model import Site
from drstack.pulumi_cli import PulumiCli
from drstack.testing.real_engine import DEMO, E2eApp, old_project

# The last commit whose program declared the switch at the stack's root (before DrSwitch).
ROOT_LEVEL_COMMIT = "7268ebc"
SERVING = {"web": 3, "api": 2, "db": 1}


def workload_state(app: E2eApp) -> dict[str, object]:
    """Every workload's count and pod template, and every pod's and ReplicaSet's uid, on both
    sites. (Not metadata.generation: for a Deployment the API server bumps it on any annotation
    change, and the move drops the pulumi.com/patch* annotations the old Patches had written.)"""
    state: dict[str, object] = {}
    for site in Site:
        ns = app.namespaces[site]
        for kind, name, _ in DEMO:
            obj = app.get(site, kind, name)
            state[f"{site}/{kind}/{name}"] = (obj["spec"]["replicas"], obj["spec"]["template"])
        state[f"{site}/pods"] = sorted(p["metadata"]["uid"] for p in app.pods(site))
        replica_sets = app.clusters[site].request(
            "GET", f"/apis/apps/v1/namespaces/{ns}/replicasets")["items"]
        state[f"{site}/replicasets"] = sorted(r["metadata"]["uid"] for r in replica_sets)
    return state


def test_stacks_of_the_per_workload_shape_move_to_site_scales_without_a_replica_change(
        app: E2eApp) -> None:
    old = PulumiCli(old_project(app.tmp / "old-project"), app.cli.env)
    for stack in ("source", "dr"):
        (old.project / f"Pulumi.{stack}.yaml").write_text(
            (app.project / f"Pulumi.{stack}.yaml").read_text())
    old.up("dr", "cutover, per-workload shape")
    old.up("source", "failback, per-workload shape")
    assert "DeploymentPatch" in old.run("stack", "export", "-s", "source").stdout
    before = workload_state(app)

    preview = app.cli.preview("source").stdout
    assert "kubernetes:apps/v1:DeploymentPatch: (delete[retain])" in preview
    assert "pulumi-python:dynamic/drstack:SiteScale: (create)" in preview
    app.cli.up("source", "move to the SiteScale shape")

    assert workload_state(app) == before  # no count, template, pod or ReplicaSet changed
    assert app.replicas(Site.SOURCE) == SERVING
    state = app.cli.export("source")["deployment"]["resources"]
    assert not [r for r in state if "Patch" in r["type"] and "Namespace" not in r["type"]]
    # And the next switch runs on the new shape.
    app.cli.up("dr", "cutover on the new shape")
    assert app.replicas(Site.DR) == SERVING and app.ready_pods(Site.DR) == SERVING


def test_stacks_made_before_dr_switch_keep_every_resource_under_it(app: E2eApp) -> None:
    old = PulumiCli(old_project(app.tmp / "old-project", ROOT_LEVEL_COMMIT), app.cli.env)
    for stack in ("source", "dr"):
        (old.project / f"Pulumi.{stack}.yaml").write_text(
            (app.project / f"Pulumi.{stack}.yaml").read_text())
    old.up("dr", "cutover, before DrSwitch")
    old.up("source", "failback, before DrSwitch")
    before = {r["urn"].rsplit("::", 1)[-1]: r.get("id") for r in
              app.cli.export("source")["deployment"]["resources"]}

    preview = app.cli.preview("source").stdout

    # New: the component, and the verify step that came after that commit. Every resource
    # that existed before is the same one, moved under the component by its alias.
    assert "+ drstack:index:DrSwitch: (create)" in preview
    assert "+ pulumi-python:dynamic/drstack:ServiceGate: (create)" in preview
    for word in ("(replace)", "(delete)", "(create-replacement)", "(delete-replaced)"):
        assert word not in preview, preview
    assert preview.count(": (create)") == 2
    app.cli.up("source", "under DrSwitch")
    after = {r["urn"].rsplit("::", 1)[-1]: r.get("id") for r in
             app.cli.export("source")["deployment"]["resources"]}
    new = ("switch", "source-services")
    assert {k: v for k, v in after.items() if k not in new} == before
    assert app.cli.preview("source", "--expect-no-changes", check=False).returncode == 0
