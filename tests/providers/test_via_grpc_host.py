"""The providers through the real dynamic-provider host, over gRPC as the engine calls."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2

from drstack.providers import (
    SKIPPED,
    DrainGateProvider,
    PvcMigrationProvider,
    ReadinessGateProvider,
    VolumeSnapshotsProvider,
)
from drstack.testing.fake_pvmigrate import read_invocations, write_fake_pvmigrate
from drstack.testing.fakekube import objects
from tests.providers.grpc_host import REPO_ROOT, ProviderHost
from tests.providers.sites import DR_NS, SOURCE_NS, Sites

DRAIN = serialize_provider(DrainGateProvider())
READY = serialize_provider(ReadinessGateProvider())
COPY = serialize_provider(PvcMigrationProvider())
TOKEN = "host-test-token-9f8e7d6c5b4a"
KUBECONFIG_KEYS = ("drstack:sourceKubeconfig", "drstack:drKubeconfig")


@pytest.fixture
def start_host() -> Iterator[Callable[..., ProviderHost]]:
    hosts: list[ProviderHost] = []

    def start(**kwargs: object) -> ProviderHost:
        host = ProviderHost(**kwargs)  # type: ignore[arg-type]
        hosts.append(host)
        return host.start()

    yield start
    for host in hosts:
        host.stop()


@pytest.fixture
def inline_sites(sites: Sites) -> Sites:
    """Both kubeconfigs inline (as `pulumi config set --secret` stores them), with a known token."""
    for cluster in (sites.source, sites.dr):
        cluster.token = TOKEN
    sites.config["drstack:sourceKubeconfig"] = sites.source.kubeconfig_text("source-ctx", TOKEN)
    sites.config["drstack:drKubeconfig"] = sites.dr.kubeconfig_text("dr-ctx", TOKEN)
    return sites


def drain_props(**over: object) -> dict:
    base = {"site": "source", "namespace": SOURCE_NS, "transition": "failback#5",
            "workloads": [{"kind": "Deployment", "name": "web", "podLabels": {"app": "web"}}],
            "claims": ["data"], "timeoutSeconds": 20}
    return {**base, **over}


def ready_props(**over: object) -> dict:
    base = {"site": "dr", "namespace": DR_NS, "transition": "cutover#3",
            "workloads": [{"kind": "Deployment", "name": "web", "replicas": 2},
                          {"kind": "StatefulSet", "name": "db", "replicas": 1}],
            "timeoutSeconds": 20}
    return {**base, **over}


def test_serialized_providers_are_references_without_secrets(inline_sites: Sites) -> None:
    for text in (DRAIN, READY, COPY):
        pickled = base64.b64decode(text)
        assert TOKEN.encode() not in pickled and TOKEN not in text
        assert b"drstack.providers." in pickled
        assert len(pickled) < 1000  # the class by reference, not its code


def test_drain_gate_switch(inline_sites: Sites, start_host) -> None:
    sites = inline_sites
    sites.source.put(objects.pod("web-5d8f9c7b6a-x2k9p", {"app": "web"}), SOURCE_NS)
    host = start_host()
    response = host.configure(sites.config, secret_keys=KUBECONFIG_KEYS)
    assert response.acceptSecrets is False  # so later properties arrive unwrapped

    inputs, failures = host.check("DrainGate", DRAIN, {}, drain_props())
    assert failures == []
    assert host.diff("DrainGate", DRAIN, "", inputs, inputs).changes == \
        provider_pb2.DiffResponse.DIFF_SOME
    # The pod goes when the gate watches (after its LIST): the gate sees it from the event.
    sites.source.after_requests(1, lambda: sites.source.delete("Pod", SOURCE_NS,
                                                               "web-5d8f9c7b6a-x2k9p"), watch=True)
    sites.clear_logs()
    id_, outs = host.create("DrainGate", DRAIN, inputs)
    assert id_ and outs["result"] == "drained" and outs["podsAtStart"] == ["web-5d8f9c7b6a-x2k9p"]
    assert 0 < outs["waitedSeconds"] < 20
    assert [r.is_watch for r in sites.source.requests] == [False, True]
    assert TOKEN not in repr(outs)
    # A re-run of the same switch (e.g. after a later step failed) checks again: all clear now.
    again = host.update("DrainGate", DRAIN, id_, outs, inputs)
    assert again["result"] == "drained" and again["podsAtStart"] == []
    host.delete("DrainGate", DRAIN, id_, again)
    assert sites.dr.requests == []


def test_readiness_gate_switch(sites: Sites, start_host) -> None:
    sites.dr.put(objects.deployment("web", 2), DR_NS)
    sites.dr.put(objects.statefulset("db", 1, claim_templates=["data"]), DR_NS)
    host = start_host()
    host.configure(sites.config)
    inputs, failures = host.check("ReadinessGate", READY, {}, ready_props())
    assert failures == []
    # Ready when the gate watches the StatefulSets; a 410 on the Deployments' first watch.
    sites.dr.watch_gone_next(1, path_contains="/deployments")
    sites.dr.after_requests(1, lambda: sites.dr.make_ready(DR_NS), watch=True,
                            path_contains="/statefulsets")
    sites.clear_logs()
    _, outs = host.create("ReadinessGate", READY, inputs)
    assert outs["result"] == "ready"
    assert set(outs["readySeconds"]) == {"Deployment/web", "StatefulSet/db"}
    lists = sorted(r.path.rsplit("/", 1)[1] for r in sites.dr.requests if not r.is_watch)
    assert lists in (["deployments", "statefulsets"],  # all ready before the 410 was read
                     ["deployments", "deployments", "statefulsets"])


def test_inputs_saved_by_a_polling_drstack_show_no_change_and_still_run(sites: Sites,
                                                                       start_host) -> None:
    """A stack last updated when the gates polled has pollSeconds in its saved inputs."""
    host = start_host()
    host.configure(sites.config)
    saved = drain_props(pollSeconds=0.5)
    steady = drain_props(transition="none")
    assert host.diff("DrainGate", DRAIN, "id", {**saved, "transition": "none"}, steady).changes \
        == provider_pb2.DiffResponse.DIFF_NONE
    inputs, failures = host.check("DrainGate", DRAIN, saved, saved)
    assert failures == []
    assert host.update("DrainGate", DRAIN, "id", saved, inputs)["result"] == "drained"


def test_pvc_migration_switch_with_pv_migrate_v3(inline_sites: Sites, start_host,
                                                 tmp_path: Path) -> None:
    fake_dir = tmp_path / "fake"
    binary = write_fake_pvmigrate(fake_dir, major=3)
    program = tmp_path / "program"
    program.mkdir()
    host = start_host(cwd=program)  # logs go under the program folder, not this repo
    host.configure(inline_sites.config, secret_keys=KUBECONFIG_KEYS)
    props = {"fromSite": "dr", "toSite": "source", "transition": "failback#5",
             "pairs": [{"source": "data", "dr": "data"}], "flags": ["-i"], "concurrency": 2,
             "timeoutSeconds": 10, "pvMigratePath": str(binary)}
    inputs, failures = host.check("PvcMigration", COPY, {}, props)
    assert failures == []
    _, outs = host.create("PvcMigration", COPY, inputs)
    assert outs["result"] == "copied" and outs["direction"] == "dr -> source"
    assert outs["pvMigrateVersion"] == "3.3.0"
    [record] = outs["results"]
    assert record["status"] == "succeeded" and record["exitCode"] == 0
    assert Path(record["log"]).is_relative_to(program / ".drstack" / "logs")
    [call] = read_invocations(fake_dir)
    argv = call["argv"]
    assert argv[:4] == ["--source", "data", "--dest", "data"]
    assert argv[argv.index("-n") + 1] == DR_NS and argv[argv.index("-N") + 1] == SOURCE_NS
    assert argv[argv.index("-c") + 1] == "dr-ctx" and argv[argv.index("-C") + 1] == "source-ctx"
    for flag in ("-k", "-K"):  # inline kubeconfigs: private temp files, gone afterwards
        assert not Path(argv[argv.index(flag) + 1]).exists()
    assert TOKEN not in repr(outs)


def test_steady_state_diff_is_none_and_create_touches_nothing(sites: Sites, start_host) -> None:
    host = start_host()
    host.configure(sites.config)
    steady = drain_props(transition="none")
    assert host.diff("DrainGate", DRAIN, "id", steady, steady).changes == \
        provider_pb2.DiffResponse.DIFF_NONE
    steady_ready = ready_props(transition="none")
    assert host.diff("ReadinessGate", READY, "id", steady_ready, steady_ready).changes == \
        provider_pb2.DiffResponse.DIFF_NONE
    _, outs = host.create("ReadinessGate", READY, steady_ready)
    assert outs["result"] == SKIPPED
    assert sites.source.requests == [] and sites.dr.requests == []


def test_check_returns_failures(sites: Sites, start_host, tmp_path: Path) -> None:
    host = start_host()
    host.configure(sites.config)
    _, failures = host.check("DrainGate", DRAIN, {}, drain_props(site="prod", timeoutSeconds=0))
    assert {p for p, _ in failures} == {"site", "timeoutSeconds"}
    # A flag the installed pv-migrate lacks fails the preview (only check and diff run there).
    binary = write_fake_pvmigrate(tmp_path / "fake", major=3)
    props = {"fromSite": "source", "toSite": "dr", "transition": "cutover#3",
             "pairs": [{"source": "data", "dr": "data"}], "flags": ["--lbsvc-timeout", "30m"],
             "concurrency": 1, "timeoutSeconds": 60, "pvMigratePath": str(binary)}
    _, failures = host.check("PvcMigration", COPY, {}, props)
    [(prop, reason)] = failures
    assert prop == "flags" and "--loadbalancer-timeout" in reason and "3.3.0" in reason


def test_preview_with_unknown_inputs_checks_what_is_known(sites: Sites, start_host) -> None:
    host = start_host()
    host.configure(sites.config)
    _, failures = host.check("ReadinessGate", READY, {}, ready_props(workloads=rpc.UNKNOWN))
    assert failures == []
    diff = host.diff("ReadinessGate", READY, "id", ready_props(transition="none"),
                     ready_props(transition=rpc.UNKNOWN))
    assert diff.changes == provider_pb2.DiffResponse.DIFF_SOME


def test_an_error_comes_back_as_unknown_with_the_message(sites: Sites, start_host) -> None:
    sites.source.put(objects.pod("web-5d8f9c7b6a-x2k9p", {"app": "web"}), SOURCE_NS)
    host = start_host()
    host.configure(sites.config)
    with pytest.raises(grpc.RpcError) as caught:
        host.create("DrainGate", DRAIN, drain_props(timeoutSeconds=0.2))
    assert caught.value.code() == grpc.StatusCode.UNKNOWN
    details = caught.value.details()
    assert "DrainTimeout" in details
    assert "web-5d8f9c7b6a-x2k9p (phase Running; Deployment/web)" in details


def test_host_without_the_config_key_names_it(sites: Sites, start_host) -> None:
    host = start_host()
    host.configure({k: v for k, v in sites.config.items() if k != "drstack:drKubeconfig"})
    with pytest.raises(grpc.RpcError) as caught:
        host.create("ReadinessGate", READY, ready_props())
    assert "drstack:drKubeconfig is not set" in caught.value.details()


def test_repo_root_is_computed() -> None:
    assert (REPO_ROOT / "drstack" / "providers" / "step.py").is_file()


SNAPSHOTS = serialize_provider(VolumeSnapshotsProvider())


def snapshot_props(**over: object) -> dict:
    base = {"site": "source", "namespace": SOURCE_NS, "transition": "failback#5",
            "claims": ["data-db-0"], "snapshotClass": "", "timeoutSeconds": 20}
    return {**base, **over}


def test_volume_snapshots_switch_then_a_snapshot_that_fails(sites: Sites, start_host) -> None:
    host = start_host()
    host.configure(sites.config)
    inputs, failures = host.check("VolumeSnapshots", SNAPSHOTS, {}, snapshot_props())
    assert failures == []
    name = "drstack-failback-5-data-db-0"
    sites.source.after_requests(1, lambda: sites.source.set_status(
        "VolumeSnapshot", SOURCE_NS, name, {"readyToUse": True, "restoreSize": "1Gi"}),
        watch=True)

    id_, outs = host.create("VolumeSnapshots", SNAPSHOTS, inputs)

    assert outs["result"] == "ready"
    assert outs["snapshots"] == [{"claim": "data-db-0", "name": name, "restoreSize": "1Gi"}]
    # Another claim, whose snapshot the snapshotter reports an error for: the step fails.
    other = "drstack-failback-5-uploads"
    sites.source.after_requests(1, lambda: sites.source.set_status(
        "VolumeSnapshot", SOURCE_NS, other, {"error": {"message": "driver does not support"}}),
        watch=True)
    with pytest.raises(grpc.RpcError) as caught:
        host.update("VolumeSnapshots", SNAPSHOTS, id_, outs,
                    snapshot_props(claims=["data-db-0", "uploads"]))
    details = caught.value.details()
    assert "SnapshotFailed" in details
    assert f"{other} (claim uploads): error: driver does not support" in details
    # Never deleted: the engine's delete leaves both snapshots where they are.
    host.delete("VolumeSnapshots", SNAPSHOTS, id_, outs)
    assert len(sites.source.list("VolumeSnapshot", SOURCE_NS)) == 2
