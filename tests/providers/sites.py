"""Two fake sites and the stack config pointing at them: the provider and fault tests' set-up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pulumi.dynamic import Config, ConfigureRequest, ResourceProvider

from drstack.testing.fakekube import FakeKubeServer, objects

SOURCE_NS = "shop"
DR_NS = "shop-dr"
P = TypeVar("P", bound=ResourceProvider)


@dataclass
class Sites:
    source: FakeKubeServer
    dr: FakeKubeServer
    config: dict[str, Any]  # full "drstack:key" names, as configure() receives them
    source_kubeconfig: Path
    dr_kubeconfig: Path

    def cluster(self, site: str) -> FakeKubeServer:
        return self.source if site == "source" else self.dr

    def clear_logs(self) -> None:
        self.source.clear_log()
        self.dr.clear_log()


def two_sites(source_cluster: FakeKubeServer, dr_cluster: FakeKubeServer, tmp_path: Path) -> Sites:
    """Each cluster with its namespace, a kubeconfig file each, and the config naming them."""
    source_cluster.put(objects.namespace(SOURCE_NS))
    dr_cluster.put(objects.namespace(DR_NS))
    src = source_cluster.write_kubeconfig(tmp_path / "source.yaml", context="source-ctx")
    dr = dr_cluster.write_kubeconfig(tmp_path / "dr.yaml", context="dr-ctx")
    config = {
        "drstack:sourceKubeconfig": str(src),
        "drstack:sourceContext": "source-ctx",
        "drstack:sourceNamespace": SOURCE_NS,
        "drstack:drKubeconfig": str(dr),
        "drstack:drContext": "dr-ctx",
        "drstack:drNamespace": DR_NS,
        "drstack:activeSite": "source",
    }
    return Sites(source_cluster, dr_cluster, config, src, dr)


def configured(provider_class: Callable[[], P], config: dict[str, Any]) -> P:
    """A provider configured as the dynamic provider host does it."""
    provider = provider_class()
    provider.configure(ConfigureRequest(Config(config, project_name="drstack")))
    return provider
