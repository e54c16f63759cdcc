"""Bad config and bad cluster content, through the real program against two fake clusters.

Every row either fails the preview with a clear message (the key, the value and the fix) and
declares nothing, or (a garbage annotation with another source of the count) warns and goes on.
Either way neither cluster gets a single write.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from drstack import annotation_keys
from drstack.providers import PvcMigrationProvider
from drstack.testing.fake_pvmigrate import read_invocations, write_fake_pvmigrate
from drstack.testing.fakekube import FakeKubeServer
from drstack.testing.fakekube import objects as k8s
from drstack.testing.scenario import DR_NS, SOURCE_NS, base_config, ledger, populate
from tests.faults import dynamic, run, write_paths
from tests.providers.sites import configured

Setup = Callable[[dict[str, Any], FakeKubeServer, FakeKubeServer, Path], dict[str, Any]]


@dataclass(frozen=True)
class Row:
    id: str
    setup: Setup
    expect: tuple[str, ...]  # substrings of the error (or of a warning, when warns)
    warns: bool = False  # the run goes on, with a warning
    stack: str = "source"

    def param(self) -> Any:
        return pytest.param(self, id=self.id)


def with_config(**over: Any) -> Setup:
    return lambda config, source, dr, tmp: {**config, **over}


def with_worker_annotation(value: str, override: str | None = None,
                           other_site_value: str | None = None) -> Setup:
    """Deployment/worker at 0 on both sites (so no live count), its original annotation ``value``
    on the last active site (dr) and ``other_site_value`` (default: the same) on source."""

    def setup(config: dict[str, Any], source: FakeKubeServer, dr: FakeKubeServer,
              tmp: Path) -> dict[str, Any]:
        on_source = value if other_site_value is None else other_site_value
        for server, ns, note in ((source, SOURCE_NS, on_source), (dr, DR_NS, value)):
            server.put(k8s.deployment("worker", 0,
                                      annotations={annotation_keys.ORIGINAL_REPLICAS: note}), ns)
        if override is not None:
            return {**config, "replicaOverrides": [override]}
        return config

    return setup


def missing_kubeconfig(config, source, dr, tmp):
    return {**config, "sourceKubeconfig": str(tmp / "nowhere" / "source.yaml")}


def garbage_kubeconfig_file(config, source, dr, tmp):
    path = tmp / "garbage.yaml"
    path.write_text("this: [is not\n  a kubeconfig")
    return {**config, "drKubeconfig": str(path)}


def dangling_current_context(config, source, dr, tmp):
    doc = dr.kubeconfig_dict("dr")
    doc["current-context"] = "gone"
    path = tmp / "dangling.yaml"
    path.write_text(yaml.safe_dump(doc))
    return {**config, "drKubeconfig": str(path), "drContext": ""}


def context_without_cluster(config, source, dr, tmp):
    doc = dr.kubeconfig_dict("dr")
    doc["clusters"] = []
    path = tmp / "nocluster.yaml"
    path.write_text(yaml.safe_dump(doc))
    return {**config, "drKubeconfig": str(path)}


def namespace_missing_on_dr(config, source, dr, tmp):
    dr.delete("Namespace", None, DR_NS)
    return config


def rejected_token(config, source, dr, tmp):
    dr.token = "rotated-" + uuid.uuid4().hex  # the kubeconfig's token is no longer accepted
    return config


ROWS = [
    # -- activeSite
    Row("activeSite-invalid", with_config(activeSite="primary"),
        ("drstack:activeSite = 'primary'", "must be source or dr",
         "Fix: pulumi config set drstack:activeSite")),
    Row("activeSite-contradicts-stack-name", with_config(activeSite="dr"),
        ("drstack:activeSite = 'dr'", "the stack named 'source' activates the source site",
         "Fix: remove drstack:activeSite from Pulumi.source.yaml")),
    Row("activeSite-missing-on-a-custom-stack", with_config(), stack="prod",
        expect=("drstack:activeSite = (unset)", "stack 'prod' does not say which site",
                "pulumi config set drstack:activeSite")),
    # -- kubeconfig and context
    Row("kubeconfig-file-missing", missing_kubeconfig,
        ("drstack:sourceKubeconfig", "nowhere/source.yaml'", "cannot read the kubeconfig file",
         "No such file", "Fix: pulumi config set drstack:sourceKubeconfig")),
    Row("kubeconfig-file-not-a-kubeconfig", garbage_kubeconfig_file,
        ("drstack:drKubeconfig", "garbage.yaml", "is not a kubeconfig",
         "Fix: pulumi config set drstack:drKubeconfig")),
    Row("kubeconfig-unset", with_config(drKubeconfig=""),
        ("drstack:drKubeconfig = (unset): is required", "pulumi config set drstack:drKubeconfig")),
    Row("context-unknown", with_config(drContext="prod-eu"),
        ("drstack:drContext = 'prod-eu'", "no such context in drKubeconfig (it has: dr)",
         "Fix: pulumi config set drstack:drContext")),
    Row("current-context-dangling", dangling_current_context,
        ("site dr", "context 'gone'", "current-context", "set drstack:drContext to one of: 'dr'")),
    Row("context-without-cluster", context_without_cluster,
        ("site dr", "context 'dr'", "drstack:drKubeconfig", "check its cluster and user entries")),
    Row("credentials-rejected-401", rejected_token,
        ("site dr", "401", "Unauthorized", "drstack:drKubeconfig")),
    # -- namespaces
    Row("namespace-unset", with_config(sourceNamespace=""),
        ("drstack:sourceNamespace = (unset): is required",
         "Fix: pulumi config set drstack:sourceNamespace")),
    Row("namespace-invalid-name", with_config(drNamespace="My_App"),
        ("drstack:drNamespace = 'My_App'", "is not a valid namespace name")),
    Row("namespace-missing-on-cluster", namespace_missing_on_dr,
        ("namespace 'my-app-dr' does not exist on site dr",
         "Fix: create it, or correct drstack:drNamespace")),
    # -- the original-replicas annotation, with no other source of the count
    Row("annotation-negative", with_worker_annotation("-1"),
        ("Deployment/worker", "original replica count unknown", "'-1'",
         "pulumi config set -s source --path 'drstack:replicaOverrides[0]' "
         "Deployment/worker=COUNT")),
    Row("annotation-garbage", with_worker_annotation("three"),
        ("Deployment/worker", "original replica count unknown", "'three'",
         "Deployment/worker=COUNT")),
    Row("annotation-huge", with_worker_annotation("99999999999"),
        ("Deployment/worker", "original replica count unknown", "'99999999999'",
         "Deployment/worker=COUNT")),
    Row("annotation-unresolved-names-the-fix", with_worker_annotation("-1"),
        ("Deployment/worker: original replica count unknown",
         "no valid dr-syncer.io/original-replicas annotation on either site",
         "Fix: pulumi config set -s source --path 'drstack:replicaOverrides[0]' "
         "Deployment/worker=COUNT")),
    # -- ... and with another source: a warning, the count from that source
    Row("annotation-garbage-with-override", with_worker_annotation("three", "Deployment/worker=4"),
        ("Deployment/worker on dr", "dr-syncer.io/original-replicas='three'",
         "is not a whole number; ignored"), warns=True),
    Row("annotation-negative-on-one-site", with_worker_annotation("-1", other_site_value="2"),
        ("Deployment/worker on dr", "'-1'", "is not a whole number; ignored"), warns=True),
    Row("annotation-huge-with-override",
        with_worker_annotation("99999999999", "Deployment/worker=4"),
        ("'99999999999'", "is larger than Kubernetes allows (2147483647); ignored"), warns=True),
    # -- replicaOverrides
    Row("override-unknown-workload", with_config(replicaOverrides=["Deployment/ghost=3"]),
        ("drstack:replicaOverrides names Deployment/ghost, which is on neither site",
         "Fix: remove it, or correct its Kind/name")),
    Row("override-negative", with_config(replicaOverrides=["Deployment/web=-2"]),
        ("drstack:replicaOverrides = 'Deployment/web=-2'", "'-2' is not a replica count",
         "Kind/name=count")),
    Row("override-huge", with_config(replicaOverrides=["Deployment/web=99999999999"]),
        ("'99999999999' is not a replica count (a whole number from 0 to 2147483647)",)),
    Row("override-garbage", with_config(replicaOverrides=["web"]),
        ("drstack:replicaOverrides = 'web'", "has no =count", "Kind/name=count")),
    Row("override-not-kind-name", with_config(replicaOverrides=["web=3"]),
        ("drstack:replicaOverrides = 'web=3'", "is not of the form Kind/name")),
    Row("override-unknown-kind", with_config(replicaOverrides=["DaemonSet/agent=1"]),
        ("has kind 'DaemonSet'", "drstack switches Deployment and StatefulSet")),
    Row("exclude-unknown-kind", with_config(excludeWorkloads=["Pod/debug"]),
        ("drstack:excludeWorkloads = 'Pod/debug'", "has kind 'Pod'")),
    # -- label selector syntax
    Row("selector-unclosed-set", with_config(workloadSelector="app in (web"),
        ("drstack:workloadSelector = 'app in (web'", "not a label selector",
         "Fix: use Kubernetes label selector syntax")),
    Row("selector-stray-comma", with_config(workloadSelector="app=web,,tier=x"),
        ("drstack:workloadSelector", "an empty requirement (a stray comma?)")),
    Row("selector-empty-key", with_config(workloadSelector="=web"),
        ("drstack:workloadSelector = '=web'", "is not a label key")),
    Row("selector-double-operator", with_config(workloadSelector="app==a==b"),
        ("'a==b' is not a label value",)),
    Row("selector-space-in-key", with_config(workloadSelector="my app"),
        ("'my app' is not a label key",)),
    Row("selector-shell-metacharacters", with_config(workloadSelector="app=$(reboot)"),
        ("drstack:workloadSelector = 'app=$(reboot)'", "not a label selector")),
    # -- other values
    Row("durations-negative-and-zero", with_config(readinessTimeout="-5m", drainTimeout="0s"),
        ("drstack:readinessTimeout = '-5m'", "not a duration", "drstack:drainTimeout = '0s'",
         "must be longer than zero")),
    Row("concurrency-huge", with_config(migrationConcurrency="100000"),
        ("drstack:migrationConcurrency = '100000'", "must be a whole number from 1 to 64")),
    Row("boolean-garbage", with_config(reverseMigratePvcData="yes please"),
        ("drstack:reverseMigratePvcData = 'yes please'", "not a boolean")),
    Row("pvMigrateFlags-unclosed-quote", with_config(pvMigrateFlags="--helm-set 'a=b"),
        ("drstack:pvMigrateFlags", "cannot be split into flags", "every quote must be closed")),
    Row("assumeActiveSite-invalid", with_config(assumeActiveSite="both"),
        ("drstack:assumeActiveSite = 'both'", "source or dr")),
]


@pytest.fixture
def after_cutover(source_cluster: FakeKubeServer, dr_cluster: FakeKubeServer,
                  tmp_path: Path) -> dict[str, Any]:
    populate(source_cluster, SOURCE_NS, deployments={"web": 0, "api": 0}, statefulsets={"db": 0},
             originals={"web": "3", "api": "2", "db": "1"}, ledger_annotations=ledger("dr", 4))
    populate(dr_cluster, DR_NS, deployments={"web": 5, "api": 2}, statefulsets={"db": 1},
             originals={"web": "3", "api": "2", "db": "1"}, ledger_annotations=ledger("dr", 4))
    return base_config(source_cluster, dr_cluster, tmp_path)


@pytest.mark.parametrize("row", [row.param() for row in ROWS])
def test_bad_input(row: Row, after_cutover, source_cluster, dr_cluster, tmp_path):
    config = row.setup(dict(after_cutover), source_cluster, dr_cluster, tmp_path)
    captured = run(config, stack=row.stack)

    # Whatever happens, no cluster was changed.
    assert write_paths(source_cluster, dr_cluster) == []
    if row.warns:
        assert captured.error is None, captured.error
        warnings = [w for w in captured.messages("warning") if "Deployment/worker" in w]
        assert warnings, captured.messages("warning")
        for text in row.expect:
            assert text in warnings[0], f"{text!r} not in the warning:\n{warnings[0]}"
        assert set(warnings) <= set(captured.outputs["warnings"])
        worker = next(w for w in captured.outputs["workloads"]
                      if w["workload"] == "Deployment/worker")
        assert worker["source"]["desired"] == worker["original"] > 0
        return
    assert isinstance(captured.error, pulumi.RunError), (
        f"expected a clean pulumi.RunError, got {type(captured.error).__name__}: "
        f"{captured.error}")
    message = str(captured.error)
    for text in row.expect:
        assert text in message, f"{text!r} not in the error:\n{message}"
    assert "Traceback" not in message
    # Nothing was declared: the preview stops before any resource.
    assert captured.registrations == [], captured.names()


def test_every_problem_of_a_bad_config_is_reported_at_once(after_cutover, source_cluster,
                                                           dr_cluster):
    config = {**after_cutover, "activeSite": "primary", "drContext": "prod-eu",
              "workloadSelector": "app in (web", "replicaOverrides": ["web"],
              "migrationConcurrency": "0"}
    captured = run(config, stack="source")
    message = str(captured.error)
    for key in ("activeSite", "drContext", "workloadSelector", "replicaOverrides",
                "migrationConcurrency"):
        assert f"drstack:{key} = " in message
    assert "5 config problem(s)" in message
    # Config problems are found before any cluster is contacted.
    assert source_cluster.requests == [] and dr_cluster.requests == []


# ---- shell metacharacters in pvMigrateFlags ----------------------------------------------------

# Each is passed to pv-migrate literally (one argv element per shell word), or refused with a
# clear flag error: never run through a shell.
METACHARACTER_FLAGS = [
    ("--rsync-extra-args '--bwlimit=1; touch {marker}'",
     ["--rsync-extra-args", "--bwlimit=1; touch {marker}"]),
    ("--helm-set 'podAnnotations.x=$(touch {marker})'",
     ["--helm-set", "podAnnotations.x=$(touch {marker})"]),
    ("--helm-set-string \"a=`touch {marker}`\" -i",
     ["--helm-set-string", "a=`touch {marker}`", "-i"]),
    ("--dest-path '/data && touch {marker} | cat > /dev/null'",
     ["--dest-path", "/data && touch {marker} | cat > /dev/null"]),
    ("--id 'x\ntouch {marker}'", ["--id", "x\ntouch {marker}"]),
    ("$(touch {marker})", None),  # bare words are not flags: refused
    ("-i; touch {marker}", None),
    ("--rsync-extra-args=--bwlimit=1 ; touch {marker}", None),
    ("-i `touch {marker}`", None),
]


@pytest.fixture
def failback_with_copy(source_cluster, dr_cluster, tmp_path) -> dict[str, Any]:
    """A failback that copies web-data dr -> source, with a fake pv-migrate 3.x."""
    pvcs = ("web-data",)
    populate(source_cluster, SOURCE_NS, deployments={"web": 0}, originals={"web": "3"},
             pvcs=pvcs, ledger_annotations=ledger("dr", 4))
    populate(dr_cluster, DR_NS, deployments={"web": 3}, originals={"web": "3"}, pvcs=pvcs,
             ledger_annotations=ledger("dr", 4))
    binary = write_fake_pvmigrate(tmp_path / "fake-pv-migrate", major=3)
    return {**base_config(source_cluster, dr_cluster, tmp_path), "reverseMigratePvcData": True,
            "pvMigratePath": str(binary)}


def _filled(text: str, marker: Path) -> str:
    return text.replace("{marker}", str(marker))


@pytest.mark.parametrize("flags,literal", METACHARACTER_FLAGS,
                         ids=[f for f, _ in METACHARACTER_FLAGS])
def test_shell_metacharacters_in_pvMigrateFlags_are_never_executed(
        flags, literal, failback_with_copy, source_cluster, dr_cluster, tmp_path, monkeypatch):
    marker = Path("/tmp") / f"PWNED-{uuid.uuid4().hex}"
    text = _filled(flags, marker)
    captured = run({**failback_with_copy, "pvMigrateFlags": text}, stack="source")
    assert write_paths(source_cluster, dr_cluster) == []
    assert not marker.exists()

    if literal is None:
        # Refused: a clear flag error naming the key, nothing declared.
        assert isinstance(captured.error, pulumi.RunError), captured.error
        message = str(captured.error)
        assert "is not a flag" in message or "is a switch" in message, message
        assert "drstack cannot plan this switch" in message
        assert captured.registrations == []
        return

    # Accepted: the copy is declared with the flags as literal words...
    assert captured.error is None, captured.error
    expected = [_filled(word, marker) for word in literal]
    (copy,) = [r for r in dynamic(captured) if r.name.startswith("pvc-copy")]
    assert copy.inputs["flags"] == expected

    # ... and the provider hands each to pv-migrate as one argv element, never to a shell.
    monkeypatch.chdir(tmp_path)
    site_config = {f"drstack:{k}": v for k, v in failback_with_copy.items()
                   if k.endswith(("Kubeconfig", "Context", "Namespace"))}
    provider = configured(PvcMigrationProvider, site_config)
    props = {k: v for k, v in copy.inputs.items() if not k.startswith("__")}
    assert provider.check({}, props).failures == []
    outs = provider.create(props).outs
    assert outs["result"] == "copied"
    [call] = read_invocations(Path(failback_with_copy["pvMigratePath"]).parent)
    argv = call["argv"]
    assert argv[-len(expected):] == expected
    assert not marker.exists()
    # The one write is the copy's own record on the destination namespace.
    assert write_paths(source_cluster, dr_cluster) == [("PATCH", f"/api/v1/namespaces/{SOURCE_NS}")]
