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
