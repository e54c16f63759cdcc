"""The client's typed API classes, imported when first used.

``from kubernetes.client import CoreV1Api`` loads about 250 model classes (0.3 s, 20 MB). Only
the steps need them, in the dynamic-provider host; the program that declares the steps reads
with raw GETs (drstack/cluster/raw.py) and must not pay for them on every preview.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kubernetes.client import (
        ApiClient,
        AppsV1Api,
        CoreV1Api,
        CustomObjectsApi,
        DiscoveryV1Api,
    )


def core(client: ApiClient) -> CoreV1Api:
    from kubernetes.client import CoreV1Api

    return CoreV1Api(client)


def apps(client: ApiClient) -> AppsV1Api:
    from kubernetes.client import AppsV1Api

    return AppsV1Api(client)


def discovery(client: ApiClient) -> DiscoveryV1Api:
    from kubernetes.client import DiscoveryV1Api

    return DiscoveryV1Api(client)


def custom(client: ApiClient) -> CustomObjectsApi:
    from kubernetes.client import CustomObjectsApi

    return CustomObjectsApi(client)
