"""The API verbs of kube-apiserver, as far as drstack and its tests use them: GET, LIST, POST,
PUT, PATCH (merge, strategic, JSON, apply) and DELETE, on main resources and on the status and
scale subresources, with resourceVersion conflicts and dry runs.
"""

from __future__ import annotations

import copy
import json
import random
from dataclasses import dataclass
from typing import Any

import yaml

from drstack.testing.fakekube.patches import PATCH_TYPES, json_patch, merge_patch
from drstack.testing.fakekube.resources import (
    NAME_SUFFIX_ALPHABET,
    RESOURCES,
    Obj,
    ResourceType,
    resource_type,
)
from drstack.testing.fakekube.selectors import (
    field_matches,
    parse_field_selector,
    parse_label_selector,
)
from drstack.testing.fakekube.status import ApiError, conflict, details, not_found
from drstack.testing.fakekube.store import Store, timestamp


@dataclass(frozen=True)
class Route:
    """What a request path addresses."""

    rt: ResourceType
    namespace: str | None  # None: cluster-scoped, or a list across all namespaces
    name: str | None
    sub: str | None


class Api:
    """Answers the API verbs on one store. Raises ApiError for every failure."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def answer(self, method: str, path: str, route: Route, query: dict[str, str], body: Any,
               content_type: str | None) -> tuple[int, Any]:
        """The status and body for ``method`` on ``route``; 405 for a verb it does not serve."""
        dry_run = query.get("dryRun") == "All"
        with self.store.lock:
            if method == "GET":
                if route.name is None:
                    return 200, self._list(route, query)
                return 200, self._get(route)
            if method == "POST" and route.name is None and (
                route.namespace is not None or not route.rt.namespaced
            ):
                return 201, self._create(route, body, dry_run)
            if route.name is not None and method == "PUT":
                return 200, self._update(route, body, dry_run)
            if route.name is not None and method == "PATCH":
                return self._patch(route, body, content_type, query, dry_run)
            if route.name is not None and method == "DELETE" and route.sub is None:
                return 200, self._delete(route, dry_run)
        raise ApiError(405, "MethodNotAllowed", f"the server does not allow this method on {path}")

    def _existing(self, route: Route) -> Obj:
        assert route.name is not None
        obj = self.store.find(route.rt, route.namespace, route.name)
        if obj is None:
            raise not_found(route.rt, route.name)
        return obj

    def _get(self, route: Route) -> Obj:
        obj = self._existing(route)
        return scale_view(obj) if route.sub == "scale" else obj

    def _list(self, route: Route, query: dict[str, str]) -> Obj:
        rt = route.rt
        labels = parse_label_selector(query.get("labelSelector", ""))
        fields = parse_field_selector(query.get("fieldSelector", ""), rt)
        buckets = self.store.buckets(rt)
        if route.namespace is not None:
            namespaces = [route.namespace]
        else:
            namespaces = sorted(buckets)
        items = []
        for ns in namespaces:
            bucket = buckets.get(ns, {})
            for name in sorted(bucket):
                obj = bucket[name]
                if labels:
                    obj_labels = obj["metadata"].get("labels") or {}
                    if not all(r.matches(obj_labels) for r in labels):
                        continue
                if fields and not field_matches(obj, fields):
                    continue
                # kube-apiserver leaves apiVersion/kind out of list items.
                items.append({k: v for k, v in obj.items() if k not in ("apiVersion", "kind")})
        return {
            "kind": f"{rt.kind}List",
            "apiVersion": rt.api_version,
            "metadata": {"resourceVersion": self.store.resource_version},
            "items": items,
        }

    def _check_body(self, rt: ResourceType, body: Any, namespace: str | None) -> Obj:
        if not isinstance(body, dict):
            raise ApiError(400, "BadRequest", "the request body must be a JSON object")
        kind = body.get("kind")
        if kind and kind != rt.kind:
            raise ApiError(
                400, "BadRequest", f"the body is a {kind}, the URL addresses {rt.qualified}"
            )
        meta = body.get("metadata") or {}
        body_ns = meta.get("namespace")
        if rt.namespaced and body_ns and body_ns != namespace:
            raise ApiError(
                400,
                "BadRequest",
                "the namespace of the provided object does not match the namespace sent on "
                "the request",
            )
        return body

    def _validate(self, rt: ResourceType, obj: Obj) -> None:
        # Only what keeps every stored object deserializable by the typed client.
        name = obj["metadata"].get("name")
        problems = []
        if not name:
            problems.append("metadata.name: Required value")
        spec = obj.get("spec") or {}
        if rt.is_workload:
            if not isinstance(spec.get("selector"), dict):
                problems.append("spec.selector: Required value")
            if not isinstance(spec.get("template"), dict):
                problems.append("spec.template: Required value")
            replicas = spec.get("replicas", 0)
            if not isinstance(replicas, int) or replicas < 0:
                problems.append("spec.replicas: Invalid value: must be a non-negative integer")
            containers = ((spec.get("template") or {}).get("spec") or {}).get("containers")
            if not containers:
                problems.append("spec.template.spec.containers: Required value")
        if rt.kind == "Pod" and not spec.get("containers"):
            problems.append("spec.containers: Required value")
        if rt.kind == "Event" and not isinstance(obj.get("involvedObject"), dict):
            problems.append("involvedObject: Required value")
        if problems:
            raise ApiError(
                422,
                "Invalid",
                f'{rt.kind} "{name or ""}" is invalid: {"; ".join(problems)}',
                details(rt, name),
            )

    def _create(self, route: Route, body: Any, dry_run: bool) -> Obj:
        rt = route.rt
        obj = copy.deepcopy(self._check_body(rt, body, route.namespace))
        meta = obj.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + "".join(
                random.choices(NAME_SUFFIX_ALPHABET, k=5)
            )
        if rt.namespaced:
            meta["namespace"] = route.namespace
            if not self.store.namespace_exists(route.namespace or ""):
                raise not_found(resource_type("namespaces"), route.namespace or "")
        for key in ("uid", "resourceVersion", "generation", "creationTimestamp"):
            meta.pop(key, None)
        # Defaults and status resets that kube-apiserver applies on create.
        if rt.is_workload:
            obj.setdefault("spec", {}).setdefault("replicas", 1)
            # StatefulSetStatus.replicas is required (not omitempty); Deployment's are optional.
            obj["status"] = ({"replicas": 0, "availableReplicas": 0} if rt.kind == "StatefulSet"
                             else {})
        elif rt.kind in ("Pod", "PersistentVolumeClaim"):
            obj["status"] = {"phase": "Pending"}
        elif rt.kind == "Namespace":
            obj["status"] = {"phase": "Active"}
            obj.setdefault("spec", {"finalizers": ["kubernetes"]})
            meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta.get("name")
        obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
        self._validate(rt, obj)
        if self.store.find(rt, route.namespace, meta["name"]) is not None:
            raise ApiError(
                409, "AlreadyExists", f'{rt.qualified} "{meta["name"]}" already exists',
                details(rt, meta["name"]),
            )
        if dry_run:
            return obj
        return self.store.save(rt, obj, None)

    def _apply_write(self, route: Route, old: Obj, new_view: Any, dry_run: bool) -> Obj:
        """Turn the new main/status/scale view into the new object, check it, and store it."""
        rt, name = route.rt, route.name or ""
        if not isinstance(new_view, dict):
            raise ApiError(400, "BadRequest", "the request body must be a JSON object")
        new_meta = new_view.get("metadata") or {}
        if new_meta.get("name", name) != name:
            raise ApiError(
                400, "BadRequest", "the name of the object does not match the name on the URL"
            )
        sent_rv = new_meta.get("resourceVersion")
        if sent_rv and sent_rv != old["metadata"]["resourceVersion"]:
            raise conflict(rt, name)
        if route.sub == "scale":
            replicas = (new_view.get("spec") or {}).get("replicas", 0)
            if not isinstance(replicas, int) or replicas < 0:
                raise ApiError(
                    422, "Invalid",
                    f'Scale.autoscaling "{name}" is invalid: spec.replicas: Invalid value',
                )
            obj = copy.deepcopy(old)
            obj.setdefault("spec", {})["replicas"] = replicas
        elif route.sub == "status":
            obj = copy.deepcopy(old)
            obj["status"] = copy.deepcopy(new_view.get("status") or {})
        else:
            self._check_body(rt, new_view, route.namespace)
            obj = copy.deepcopy(new_view)
            obj.setdefault("metadata", {})["name"] = name
            if route.namespace is not None:
                obj["metadata"]["namespace"] = route.namespace
            # The main resource cannot change status: that is the /status subresource's job.
            if rt.subresources and "status" in rt.subresources:
                if "status" in old:
                    obj["status"] = copy.deepcopy(old["status"])
                else:
                    obj.pop("status", None)
            if rt.is_workload:
                obj.setdefault("spec", {}).setdefault("replicas", 1)
            obj["apiVersion"], obj["kind"] = rt.api_version, rt.kind
            self._validate(rt, obj)
        if dry_run:
            return obj
        stored = self.store.save(rt, obj, old)
        return scale_view(stored) if route.sub == "scale" else stored

    def _update(self, route: Route, body: Any, dry_run: bool) -> Obj:
        return self._apply_write(route, self._existing(route), body, dry_run)

    def _patch(
        self, route: Route, raw: Any, content_type: str | None, query: dict[str, str],
        dry_run: bool,
    ) -> tuple[int, Obj]:
        ctype = (content_type or "").split(";")[0].strip()
        if ctype not in PATCH_TYPES:
            raise ApiError(
                415, "UnsupportedMediaType",
                f"the body of the request was in an unknown format - accepted media types "
                f"include: {', '.join(PATCH_TYPES)}",
            )
        text = raw.decode() if isinstance(raw, bytes) else (raw or "")
        try:
            patch = yaml.safe_load(text) if ctype.endswith("yaml") else json.loads(text or "null")
        except (ValueError, yaml.YAMLError) as exc:
            raise ApiError(400, "BadRequest", f"the patch could not be decoded: {exc}") from None
        if ctype == "application/apply-patch+yaml":
            if not query.get("fieldManager"):
                raise ApiError(
                    422, "Invalid",
                    'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: '
                    "is required for apply patch",
                )
            missing = self.store.find(route.rt, route.namespace, route.name or "") is None
            if route.sub is None and missing:
                # Server-side apply creates what does not exist yet.
                body = merge_patch({"metadata": {"name": route.name}}, patch)
                collection = Route(route.rt, route.namespace, None, None)
                return 201, self._create(collection, body, dry_run)
        old = self._existing(route)
        view = scale_view(old) if route.sub == "scale" else old
        if ctype == "application/json-patch+json":
            patched = json_patch(view, patch)
        else:
            if not isinstance(patch, dict):
                raise ApiError(400, "BadRequest", "a merge patch must be a JSON object")
            patched = merge_patch(view, patch, strategic=ctype.startswith("application/strategic"))
        return 200, self._apply_write(route, old, patched, dry_run)

    def _delete(self, route: Route, dry_run: bool) -> Obj:
        rt, name = route.rt, route.name or ""
        old = self._existing(route)
        if not dry_run:
            self.store.remove(rt, route.namespace, name)
        if rt.kind in ("Pod", "PersistentVolumeClaim", "Namespace"):
            # These are answered with the object itself (they have graceful deletion/finalizers).
            gone = copy.deepcopy(old)
            gone["metadata"]["deletionTimestamp"] = timestamp()
            if rt.kind == "Namespace":
                gone["status"] = {"phase": "Terminating"}
            return gone
        return {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "details": {**details(rt, name), "uid": old["metadata"].get("uid")},
        }

    # -- discovery ------------------------------------------------------------------------------


def parse_route(path: str) -> Route:
    """What a request path addresses; 404 for a path the fake does not serve."""
    parts = [p for p in path.split("/") if p]
    missing = ApiError(404, "NotFound", "the server could not find the requested resource")
    if parts[:2] == ["api", "v1"]:
        group, version, rest = "", "v1", parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        raise missing
    types = {rt.plural: rt for rt in RESOURCES if (rt.group, rt.version) == (group, version)}
    if not rest or not types:
        raise missing
    if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] in types:
        rt = types[rest[2]]
        if not rt.namespaced or len(rest) > 5:
            raise missing
        namespace, name = rest[1], (rest[3] if len(rest) > 3 else None)
        sub = rest[4] if len(rest) > 4 else None
    else:
        rt = types.get(rest[0])  # type: ignore[assignment]
        if rt is None or len(rest) > 3 or (rt.namespaced and len(rest) > 1):
            raise missing
        namespace, name = None, (rest[1] if len(rest) > 1 else None)
        sub = rest[2] if len(rest) > 2 else None
    if sub is not None and sub not in rt.subresources:
        raise missing
    return Route(rt, namespace, name, sub)


def _selector_string(obj: Obj) -> str:
    labels = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def scale_view(obj: Obj) -> Obj:
    """A Deployment's or StatefulSet's autoscaling/v1 Scale, as the /scale subresource shows it."""
    meta = obj["metadata"]
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k]
            for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if k in meta
        },
        "spec": {"replicas": (obj.get("spec") or {}).get("replicas", 1)},
        "status": {
            "replicas": (obj.get("status") or {}).get("replicas", 0),
            "selector": _selector_string(obj),
        },
    }

