"""drstack/rbac/drstack-rbac.yaml, made ready for one namespace and one user."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

RBAC_FILE = Path(__file__).resolve().parents[1] / "rbac" / "drstack-rbac.yaml"
_PLURALS = {"Role": "roles", "RoleBinding": "rolebindings", "ClusterRole": "clusterroles",
            "ClusterRoleBinding": "clusterrolebindings"}


@dataclass(frozen=True)
class RbacObject:
    path: str  # where to POST it
    body: dict[str, Any]


def rbac_objects(namespace: str, *, user: str, suffix: str = "") -> list[RbacObject]:
    """The file's objects with ``namespace`` and ``user`` in place of my-app and drstack.

    ``suffix`` names the cluster-wide objects apart, for several namespaces on one cluster.
    """
    objects = []
    for doc in yaml.safe_load_all(RBAC_FILE.read_text()):
        body = copy.deepcopy(doc)
        kind = body["kind"]
        base = "/apis/rbac.authorization.k8s.io/v1"
        for subject in body.get("subjects", []):
            subject["name"] = user
        if kind.startswith("Cluster"):
            body["metadata"]["name"] += suffix
            if "roleRef" in body:
                body["roleRef"]["name"] += suffix
            path = f"{base}/{_PLURALS[kind]}"
        else:
            body["metadata"]["namespace"] = namespace
            path = f"{base}/namespaces/{namespace}/{_PLURALS[kind]}"
        objects.append(RbacObject(path, body))
    return objects
