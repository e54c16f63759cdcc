"""The fake API server, driven by the real ``kubernetes`` client over real HTTP."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import urllib3
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from drstack.testing.fakekube import FakeKubeServer, objects


def make_client(server: FakeKubeServer, tmp_path: Path,
                token: str | None = None) -> client.ApiClient:
    path = server.write_kubeconfig(tmp_path / f"{server.name}.yaml", token=token)
    cfg = client.Configuration()
    config.load_kube_config(str(path), client_configuration=cfg, persist_config=False)
    cfg.retries = False  # urllib3 would otherwise retry silently and hide the faults
    return client.ApiClient(cfg)


@pytest.fixture
def api(source_cluster: FakeKubeServer, tmp_path: Path) -> client.ApiClient:
    source_cluster.put(objects.namespace("app"))
    return make_client(source_cluster, tmp_path)


def apps_api(api: client.ApiClient) -> client.AppsV1Api:
    return client.AppsV1Api(api)


def core_api(api: client.ApiClient) -> client.CoreV1Api:
    return client.CoreV1Api(api)


def test_create_get_list_with_label_selectors(api: client.ApiClient) -> None:
    apps = apps_api(api)
    apps.create_namespaced_deployment("app", objects.deployment("web", 2, labels={"tier": "fe"}))
    apps.create_namespaced_deployment("app", objects.deployment("api", 3, labels={"tier": "be"}))
    apps.create_namespaced_deployment("app", objects.deployment("job", 1, labels={"skip": "y"}))

    got = apps.read_namespaced_deployment("web", "app")
    assert got.spec.replicas == 2
    assert got.metadata.generation == 1 and got.metadata.uid and got.metadata.creation_timestamp

    def names(selector: str) -> list[str]:
        listed = apps.list_namespaced_deployment("app", label_selector=selector)
        return [d.metadata.name for d in listed.items]

    assert names("tier=fe") == ["web"]
    assert names("tier!=fe") == ["api", "job"]
    assert names("tier in (fe,be)") == ["api", "web"]
    assert names("tier notin (fe)") == ["api", "job"]
    assert names("!skip") == ["api", "web"]
    assert names("skip") == ["job"]
    assert names("app,tier in (be, fe),tier!=be") == ["web"]

    listed = apps.list_namespaced_deployment("app", field_selector="metadata.name=api")
    assert [d.metadata.name for d in listed.items] == ["api"]
    assert listed.kind == "DeploymentList" and int(listed.metadata.resource_version) > 0

    with pytest.raises(ApiException) as exc:
        apps.create_namespaced_deployment("app", objects.deployment("web", 1))
    assert exc.value.status == 409 and json.loads(exc.value.body)["reason"] == "AlreadyExists"


def test_not_found_is_a_v1_status(api: client.ApiClient) -> None:
    with pytest.raises(ApiException) as exc:
        apps_api(api).read_namespaced_deployment("nope", "app")
    status = json.loads(exc.value.body)
    assert exc.value.status == 404
    assert (status["kind"], status["reason"], status["code"]) == ("Status", "NotFound", 404)
    with pytest.raises(ApiException) as exc:
        core_api(api).read_namespace("missing")
    assert exc.value.status == 404
    # Creating in a namespace that does not exist: 404 naming the namespace.
    with pytest.raises(ApiException) as exc:
        apps_api(api).create_namespaced_deployment("missing", objects.deployment("web", 1))
    assert exc.value.status == 404
    assert json.loads(exc.value.body)["message"] == 'namespaces "missing" not found'


def test_stale_resource_version_put_conflicts(api: client.ApiClient) -> None:
    apps = apps_api(api)
    apps.create_namespaced_deployment("app", objects.deployment("web", 2))
    first = apps.read_namespaced_deployment("web", "app")
    first.spec.replicas = 4
    updated = apps.replace_namespaced_deployment("web", "app", first)
    assert updated.metadata.generation == 2
    assert int(updated.metadata.resource_version) > int(first.metadata.resource_version)
    first.spec.replicas = 5  # still carries the old resourceVersion
    with pytest.raises(ApiException) as exc:
        apps.replace_namespaced_deployment("web", "app", first)
    assert exc.value.status == 409 and json.loads(exc.value.body)["reason"] == "Conflict"


def test_scale_subresource_read_and_patch(api: client.ApiClient,
                                          source_cluster: FakeKubeServer) -> None:
    apps = apps_api(api)
    apps.create_namespaced_stateful_set("app",
                                        objects.statefulset("db", 2, claim_templates=["data"]))
    scale = apps.read_namespaced_stateful_set_scale("db", "app")
    assert scale.kind == "Scale" and scale.spec.replicas == 2 and scale.status.selector == "app=db"
    patched = apps.patch_namespaced_stateful_set_scale("db", "app", {"spec": {"replicas": 0}})
    assert patched.spec.replicas == 0
    sts = source_cluster.get("StatefulSet", "app", "db")
    assert sts is not None
    assert sts["spec"]["replicas"] == 0 and sts["metadata"]["generation"] == 2
    assert source_cluster.writes()[-1].content_type == "application/strategic-merge-patch+json"


def test_status_patch_leaves_spec_alone(api: client.ApiClient,
                                        source_cluster: FakeKubeServer) -> None:
    apps = apps_api(api)
    apps.create_namespaced_deployment("app", objects.deployment("web", 2))
    apps.patch_namespaced_deployment_status(
        "web", "app", {"spec": {"replicas": 9}, "status": {"readyReplicas": 2, "replicas": 2}}
    )
    got = apps.read_namespaced_deployment("web", "app")
    assert got.spec.replicas == 2 and got.status.ready_replicas == 2
    assert got.metadata.generation == 1
    # ...and the main resource cannot write status.
    apps.patch_namespaced_deployment("web", "app", {"status": {"readyReplicas": 7}})
    assert apps.read_namespaced_deployment("web", "app").status.ready_replicas == 2


def test_json_patch_and_merge_patch(api: client.ApiClient) -> None:
    core = core_api(api)
    core.patch_namespace(
        "app", [{"op": "add", "path": "/metadata/annotations", "value": {"drstack.io/x": "1"}}]
    )
    path = "/metadata/annotations/drstack.io~1x"
    core.patch_namespace("app", [{"op": "replace", "path": path, "value": "2"}])
    assert core.read_namespace("app").metadata.annotations == {"drstack.io/x": "2"}
    with pytest.raises(ApiException) as exc:
        core.patch_namespace("app", [{"op": "test", "path": path, "value": "1"}])
    assert exc.value.status == 422
    core.patch_namespace("app", [{"op": "remove", "path": "/metadata/annotations/drstack.io~1x"}])
    assert not core.read_namespace("app").metadata.annotations
    core.patch_namespace(
        "app", {"metadata": {"annotations": {"a": "1", "b": "2"}}},
        _content_type="application/merge-patch+json",
    )
    core.patch_namespace(
        "app", {"metadata": {"annotations": {"a": None}}},
        _content_type="application/merge-patch+json",
    )
    assert core.read_namespace("app").metadata.annotations == {"b": "2"}


def test_server_side_apply_creates_then_merges(api: client.ApiClient,
                                               source_cluster: FakeKubeServer) -> None:
    apps = apps_api(api)
    body = objects.deployment("web", 2)
    apps.patch_namespaced_deployment(
        "web", "app", body, field_manager="drstack", _content_type="application/apply-patch+yaml"
    )
    apps.patch_namespaced_deployment(
        "web", "app", {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                       "spec": {"replicas": 0}},
        field_manager="drstack", force=True, _content_type="application/apply-patch+yaml",
    )
    got = source_cluster.get("Deployment", "app", "web")
    assert got is not None and got["spec"]["replicas"] == 0 and got["metadata"]["generation"] == 2


def test_fail_next_burst_then_success(api: client.ApiClient,
                                      source_cluster: FakeKubeServer) -> None:
    source_cluster.fail_next(2, status=503, path_contains="/namespaces/app")
    for _ in range(2):
        with pytest.raises(ApiException) as exc:
            core_api(api).read_namespace("app")
        assert exc.value.status == 503
        assert json.loads(exc.value.body)["reason"] == "ServiceUnavailable"
    assert core_api(api).read_namespace("app").metadata.name == "app"
    assert [r.status for r in source_cluster.requests] == [503, 503, 200]


def test_429_carries_retry_after(api: client.ApiClient, source_cluster: FakeKubeServer) -> None:
    source_cluster.fail_next(1, status=429, method="GET", retry_after=2)
    with pytest.raises(ApiException) as exc:
        core_api(api).list_namespace()
    assert exc.value.status == 429 and exc.value.headers["Retry-After"] == "2"


def test_latency_is_added(api: client.ApiClient, source_cluster: FakeKubeServer) -> None:
    source_cluster.latency = 0.2
    start = time.monotonic()
    core_api(api).read_namespace("app")
    assert time.monotonic() - start >= 0.2


def test_refused_connection_then_accepted_again(api: client.ApiClient,
                                                source_cluster: FakeKubeServer) -> None:
    core = core_api(api)
    core.read_namespace("app")  # leaves a keep-alive connection in the pool
    source_cluster.refuse_connections()
    with pytest.raises(urllib3.exceptions.HTTPError) as exc:
        core.read_namespace("app")
    assert "refused" in str(exc.value).lower() or isinstance(
        exc.value, urllib3.exceptions.NewConnectionError
    )
    source_cluster.accept_connections()
    assert core.read_namespace("app").metadata.name == "app"


def test_a_hook_runs_once_after_the_nth_matching_request_before_its_answer_is_sent(
        api: client.ApiClient, source_cluster: FakeKubeServer) -> None:
    core = core_api(api)
    core.create_namespace(objects.namespace("other"))
    seen_by_hook: list[int] = []
    source_cluster.after_requests(
        2, lambda: (seen_by_hook.append(len(source_cluster.requests)),
                    source_cluster.delete("Namespace", None, "other")),
        method="GET", path_contains="/namespaces/other")
    core.read_namespace("app")  # does not match
    core.read_namespace("other")
    assert core.read_namespace("other").metadata.name == "other"  # answered before the hook
    assert seen_by_hook == [4]  # create, app, other, other: fired once, on the second match
    with pytest.raises(ApiException) as exc:  # its effect is there for the very next request
        core.read_namespace("other")
    assert exc.value.status == 404
    assert seen_by_hook == [4]


def test_a_hook_can_count_only_the_answers_that_got_through(
        api: client.ApiClient, source_cluster: FakeKubeServer) -> None:
    fired: list[list[int]] = []
    source_cluster.fail_next(2, status=503)
    source_cluster.after_requests(1, lambda: fired.append([r.status for r in
                                                          source_cluster.requests]), status=200)
    for _ in range(2):
        with pytest.raises(ApiException):
            core_api(api).read_namespace("app")
    core_api(api).read_namespace("app")
    assert fired == [[503, 503, 200]]


def test_a_hook_that_raises_fails_the_test_when_the_fake_stops(tmp_path: Path) -> None:
    with FakeKubeServer(name="failing-hook") as server:
        server.put(objects.namespace("app"))
        server.after_requests(1, lambda: 1 / 0)
        core = core_api(make_client(server, tmp_path))
        assert core.read_namespace("app").metadata.name == "app"  # the answer still goes out
        with pytest.raises(ZeroDivisionError):
            server.stop()


def test_refusing_from_a_hook_answers_that_request_then_refuses(
        api: client.ApiClient, source_cluster: FakeKubeServer) -> None:
    core = core_api(api)
    source_cluster.after_requests(1, source_cluster.refuse_connections)
    assert core.read_namespace("app").metadata.name == "app"
    with pytest.raises(urllib3.exceptions.HTTPError):
        core.read_namespace("app")
    source_cluster.accept_connections()
    assert core.read_namespace("app").metadata.name == "app"


def test_a_refusal_for_some_seconds_ends_by_itself(api: client.ApiClient,
                                                   source_cluster: FakeKubeServer) -> None:
    core = core_api(api)
    source_cluster.refuse_connections(for_seconds=0.3)
    with pytest.raises(urllib3.exceptions.HTTPError):
        core.read_namespace("app")
    deadline = time.monotonic() + 10  # waits for the fake to listen again, not for a time
    while time.monotonic() < deadline:
        try:
            assert core.read_namespace("app").metadata.name == "app"
            break
        except urllib3.exceptions.HTTPError:
            time.sleep(0.05)
    else:
        pytest.fail("the fake never listened again")


def test_conflict_next_only_hits_writes(api: client.ApiClient,
                                        source_cluster: FakeKubeServer) -> None:
    source_cluster.conflict_next(1, path_contains="/namespaces/app")
    core = core_api(api)
    core.read_namespace("app")  # reads are untouched
    with pytest.raises(ApiException) as exc:
        core.patch_namespace("app", {"metadata": {"labels": {"x": "1"}}})
    assert exc.value.status == 409
    core.patch_namespace("app", {"metadata": {"labels": {"x": "1"}}})
    assert source_cluster.count("PATCH") == 2 and len(source_cluster.writes()) == 2


def test_token_is_checked(source_cluster: FakeKubeServer, tmp_path: Path) -> None:
    wrong = make_client(source_cluster, tmp_path, token="not-the-token")
    with pytest.raises(ApiException) as exc:
        core_api(wrong).list_namespace()
    assert exc.value.status == 401
    assert core_api(make_client(source_cluster, tmp_path)).list_namespace().items == []


def test_two_servers_are_independent(
    source_cluster: FakeKubeServer, dr_cluster: FakeKubeServer, tmp_path: Path
) -> None:
    source_cluster.put(objects.namespace("app"))
    source_cluster.fail_next(5)
    dr = core_api(make_client(dr_cluster, tmp_path))
    assert dr.list_namespace().items == []
    assert source_cluster.count() == 0 and dr_cluster.count() == 1
    assert source_cluster.token != dr_cluster.token


def test_controller_helpers_roll_out_pods_and_claims(source_cluster: FakeKubeServer) -> None:
    source_cluster.put(objects.namespace("app"))
    source_cluster.put(objects.deployment("web", 2, claim_names=["shared"]), namespace="app")
    source_cluster.put(objects.statefulset("db", 2, claim_templates=["data"]), namespace="app")
    source_cluster.make_ready("app")
    source_cluster.sync_pods("app")
    web = source_cluster.get("Deployment", "app", "web")
    assert web is not None and web["status"]["readyReplicas"] == 2
    pods = source_cluster.list("Pod", "app")
    db_pods = sorted(p["metadata"]["name"] for p in pods if p["metadata"]["labels"]["app"] == "db")
    assert db_pods == ["db-0", "db-1"]
    claims = {
        v["persistentVolumeClaim"]["claimName"]
        for p in pods for v in p["spec"].get("volumes", []) if "persistentVolumeClaim" in v
    }
    assert claims == {"shared", "data-db-0", "data-db-1"}
    claim_names = {c["metadata"]["name"] for c in source_cluster.list("pvc", "app")}
    assert claim_names == {"data-db-0", "data-db-1"}
    source_cluster.put(objects.statefulset("db", 0, claim_templates=["data"]), namespace="app")
    source_cluster.sync_pods("app")
    assert len(source_cluster.list("Pod", "app")) == 2
    assert source_cluster.count() == 0  # helpers are not logged


def test_a_list_returns_every_one_of_a_thousand_deployments(api: client.ApiClient,
                                                            source_cluster: FakeKubeServer) -> None:
    # No paging in the fake: one LIST answers them all (its speed is measured in bench/).
    for i in range(1000):
        source_cluster.put(objects.deployment(f"d{i:04d}", 1), namespace="app")
    raw = apps_api(api).list_namespaced_deployment("app", _preload_content=False)
    items = json.loads(raw.data)["items"]
    assert sorted(i["metadata"]["name"] for i in items) == [f"d{i:04d}" for i in range(1000)]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_get_deployments_json(tmp_path: Path) -> None:
    # kubectl (client-go) sends no bearer token over plain http, so this server checks none.
    with FakeKubeServer(token=None) as server:
        server.put(objects.namespace("app"))
        server.put(objects.deployment("web", 2), namespace="app")
        kubeconfig = server.write_kubeconfig(tmp_path / "kc.yaml")
        env = {**os.environ, "KUBECONFIG": str(kubeconfig), "HOME": str(tmp_path)}
        result = subprocess.run(
            ["kubectl", "get", "deployments", "-n", "app", "-o", "json", "--request-timeout=10s"],
            env=env, capture_output=True, text=True, timeout=60,
        )
        assert result.returncode == 0, result.stderr
        items = json.loads(result.stdout)["items"]
        assert [(i["kind"], i["metadata"]["name"], i["spec"]["replicas"]) for i in items] == [
            ("Deployment", "web", 2)
        ]


def test_services_and_endpoint_slices_are_served_with_their_group_in_discovery(
        api: client.ApiClient) -> None:
    core, discovery = core_api(api), client.DiscoveryV1Api(api)
    core.create_namespaced_service("app", {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}})
    discovery.create_namespaced_endpoint_slice("app", {
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": "web-x1", "labels": {"kubernetes.io/service-name": "web"}},
        "addressType": "IPv4",
        "endpoints": [{"addresses": ["10.0.0.1"], "conditions": {"ready": True}}]})
    assert [s.metadata.name for s in core.list_namespaced_service("app").items] == ["web"]
    [found] = discovery.list_namespaced_endpoint_slice(
        "app", label_selector="kubernetes.io/service-name=web").items
    assert found.endpoints[0].conditions.ready is True
    groups = client.ApisApi(api).get_api_versions().groups
    assert {g.name for g in groups} == {"apps", "discovery.k8s.io", "snapshot.storage.k8s.io"}
    names = {r.name for r in discovery.get_api_resources().resources}
    assert "endpointslices" in names
    with pytest.raises(ApiException) as exc:  # a group the fake does not serve
        client.BatchV1Api(api).list_namespaced_job("app")
    assert exc.value.status == 404
