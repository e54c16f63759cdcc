"""examples/traffic on the real engine: the front door follows the switch, after its gates."""

from __future__ import annotations

import shutil

import yaml

from drstack.model import Site
from drstack.pulumi_cli import PulumiCli
from drstack.testing.real_engine import SERVING_COUNTS, E2eApp
from drstack.toolchain import PROJECT_ROOT

HOSTS = {"source": "shop.source.example", "dr": "shop.dr.example"}


def test_a_program_of_ones_own_moves_traffic_only_once_the_switch_is_ready(app: E2eApp) -> None:
    example = app.tmp / "traffic"
    shutil.copytree(PROJECT_ROOT / "examples" / "traffic", example)
    for name in ("drstack", ".venv"):
        (example / name).symlink_to(PROJECT_ROOT / name)
    front = f"{app.namespaces[Site.SOURCE]}-front"
    source = app.clusters[Site.SOURCE]
    source.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                   "metadata": {"name": front}})
    traffic = {"traffic:frontKubeconfig": str(source.kubeconfig), "traffic:frontNamespace": front,
               "traffic:sourceHost": HOSTS["source"], "traffic:drHost": HOSTS["dr"]}
    cli = PulumiCli(example, app.cli.env)
    for stack in ("source", "dr"):
        config = {f"drstack:{k}": v for k, v in app.site_config().items()}
        (example / f"Pulumi.{stack}.yaml").write_text(
            yaml.safe_dump({"config": {**config, **traffic}}))
        cli.ensure_stack(stack)

    for stack, gate in (("dr", "dr-services"), ("source", "source-services")):
        cli.up(stack, f"switch to {stack}, and the traffic with it")

        service = source.request("GET", f"/api/v1/namespaces/{front}/services/app")
        assert service["spec"]["externalName"] == HOSTS[stack]
        assert app.ready_pods(Site(stack)) == SERVING_COUNTS
        state = cli.export(stack)["deployment"]["resources"]
        (app_service,) = [r for r in state if r["urn"].endswith("::app")]
        (last_gate,) = [r["urn"] for r in state if r["urn"].endswith(f"::{gate}")]
        # Recorded by the engine: the Service's inputs waited for the switch's last gate.
        assert last_gate in app_service.get("dependencies", []), app_service


DEPENDS_ON = """
import pulumi
import pulumi_kubernetes as k8s
from drstack import DrSwitch

switch = DrSwitch("switch")
front = k8s.Provider("front", kubeconfig=pulumi.Config("traffic").require("frontKubeconfig"))
k8s.core.v1.ConfigMap("front-door", metadata={"name": "front-door", "namespace": "default"},
                      data={"moved": "yes"},
                      opts=pulumi.ResourceOptions(provider=front, depends_on=[switch]))
"""


def test_a_resource_declared_with_depends_on_the_switch_waits_for_its_last_step(
        app: E2eApp) -> None:
    project = app.tmp / "depends-on"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(
        (PROJECT_ROOT / "examples" / "traffic" / "Pulumi.yaml").read_text()
        .replace("name: drstack-traffic", "name: drstack-depends-on"))
    (project / "__main__.py").write_text(DEPENDS_ON)
    for name in ("drstack", ".venv"):
        (project / name).symlink_to(PROJECT_ROOT / name)
    config = {f"drstack:{k}": v for k, v in app.site_config().items()}
    config["traffic:frontKubeconfig"] = str(app.clusters[Site.SOURCE].kubeconfig)
    cli = PulumiCli(project, app.cli.env)
    (project / "Pulumi.dr.yaml").write_text(yaml.safe_dump({"config": config}))
    cli.ensure_stack("dr")

    cli.up("dr", "cutover, then the front door")

    assert app.ready_pods(Site.DR) == SERVING_COUNTS
    state = cli.export("dr")["deployment"]["resources"]
    (door,) = [r for r in state if r["urn"].endswith("::front-door")]
    (last_gate,) = [r["urn"] for r in state if r["urn"].endswith("::dr-services")]
    # Recorded by the engine: the ConfigMap waited for the switch's resources, its last gate
    # among them.
    assert last_gate in door.get("dependencies", []), door
    cli.run("destroy", "-s", "dr", "--yes", "--skip-preview")  # the ConfigMap is in "default"
