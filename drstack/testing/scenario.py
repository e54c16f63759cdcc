"""Two fake clusters holding one application, as the program tests and the benchmark need."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drstack import annotation_keys
from drstack.testing.fakekube import FakeKubeServer
from drstack.testing.fakekube import objects as k8s

SOURCE_NS = "my-app"
DR_NS = "my-app-dr"


@dataclass
class AppPair:
    """Two fake clusters holding one application, and the stack config naming them."""

    source: FakeKubeServer
    dr: FakeKubeServer
    config: dict[str, Any]

    def server(self, site: str) -> FakeKubeServer:
        return self.source if site == "source" else self.dr

    def namespace(self, site: str) -> str:
        return SOURCE_NS if site == "source" else DR_NS

    def replicas(self, site: str, kind: str, name: str) -> int:
        obj = self.server(site).get(kind, self.namespace(site), name)
        assert obj is not None, f"{kind}/{name} missing on {site}"
        return int(obj["spec"]["replicas"])


def ledger(active: str, generation: int, *, stack: str | None = None,
           switched_at: str = "2026-11-01T10:00:00+00:00") -> dict[str, str]:
    """The ledger annotations of a switch to ``active`` at ``generation``."""
    return {
        annotation_keys.LEDGER_ACTIVE_SITE: active,
        annotation_keys.LEDGER_GENERATION: str(generation),
        annotation_keys.LEDGER_SWITCHED_AT: switched_at,
        annotation_keys.LEDGER_STACK: stack or active,
        annotation_keys.LEDGER_TRANSITION: "cutover" if active == "dr" else "failback",
    }


def populate(
    server: FakeKubeServer,
    namespace: str,
    *,
    deployments: dict[str, int],
    statefulsets: dict[str, int] | None = None,
    originals: dict[str, str] | None = None,
    ledger_annotations: dict[str, str] | None = None,
    pvcs: tuple[str, ...] = (),
    image: str = "app:1",
) -> None:
    """Deployments/StatefulSets by name -> replicas; originals: name -> annotation value."""
    originals = originals or {}
    server.put(k8s.namespace(namespace, ledger_annotations))
    server.put(k8s.node("node-1"))

    def notes(name: str) -> dict[str, str] | None:
        return {annotation_keys.ORIGINAL_REPLICAS: originals[name]} if name in originals else None

    for name, replicas in deployments.items():
        claims = (f"{name}-data",) if f"{name}-data" in pvcs else ()
        server.put(k8s.deployment(name, replicas, annotations=notes(name), image=image,
                                  claim_names=claims), namespace)
    for name, replicas in (statefulsets or {}).items():
        server.put(k8s.statefulset(name, replicas, annotations=notes(name), image=image,
                                   claim_templates=("data",)), namespace)
    for claim in pvcs:
        server.put(k8s.pvc(claim), namespace)


def base_config(source: FakeKubeServer, dr: FakeKubeServer, tmp: Path) -> dict[str, Any]:
    """The stack config (short keys) of both sites: a kubeconfig file each, written in ``tmp``."""
    return {
        "sourceKubeconfig": str(source.write_kubeconfig(tmp / "source.yaml", context="source")),
        "sourceContext": "source",
        "sourceNamespace": SOURCE_NS,
        "drKubeconfig": str(dr.write_kubeconfig(tmp / "dr.yaml", context="dr")),
        "drContext": "dr",
        "drNamespace": DR_NS,
    }
