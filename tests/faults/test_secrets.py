"""Kubeconfig contents set with ``pulumi config set --secret`` never show in plain text: not in
what the program registers (as deserialized and on the wire), the pickled dynamic providers,
the outputs, the logs, error messages, the providers' outputs and exceptions, or pv-migrate's
log files. Each test searches for a recognizable token carried by both inline kubeconfigs.
"""

from __future__ import annotations

import base64
import time
import traceback
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi.dynamic.dynamic import serialize_provider

import drstack.cluster.reader as cluster_reader
from drstack.cluster.retry import ClusterUnavailable
from drstack.providers import (
    DrainGateProvider,
    DrainTimeout,
    PvcMigrationProvider,
    ReadinessGateProvider,
    ReadinessTimeout,
)
from drstack.pvmigrate import MigrationFailed
from drstack.testing.fake_pvmigrate import write_fake_pvmigrate
from drstack.testing.fakekube import FakeKubeServer, objects
from drstack.testing.scenario import DR_NS, SOURCE_NS, ledger, populate
from tests.faults import (
    K8S_PROVIDER,
    SECRET_SIG,
    SIG_KEY,
    Captured,
    dump,
    dynamic,
    run,
    without_secrets,
)
from tests.providers.sites import configured

KUBECONFIG_KEYS = ("sourceKubeconfig", "drKubeconfig")


@pytest.fixture
def tokens(source_cluster: FakeKubeServer, dr_cluster: FakeKubeServer) -> dict[str, str]:
    """A recognizable bearer token per site, accepted by its fake server."""
    found = {site: f"SECRET-{site}-{uuid.uuid4().hex}" for site in ("source", "dr")}
    source_cluster.token, dr_cluster.token = found["source"], found["dr"]
    return found


def inline_config(source: FakeKubeServer, dr: FakeKubeServer, tokens: dict[str, str],
                  **over: Any) -> dict[str, Any]:
    return {
        "sourceKubeconfig": source.kubeconfig_text("source", tokens["source"]),
        "sourceNamespace": SOURCE_NS,
        "drKubeconfig": dr.kubeconfig_text("dr", tokens["dr"]),
        "drNamespace": DR_NS,
        **over,
    }


def provider_config(config: dict[str, Any]) -> dict[str, Any]:
    """The stack config as a dynamic provider's configure() receives it."""
    return {f"drstack:{k}": v for k, v in config.items()
            if k.endswith(("Kubeconfig", "Context", "Namespace"))}


def assert_hidden(tokens: dict[str, str], *texts: Any, where: str) -> None:
    for text in texts:
        blob = text if isinstance(text, (str, bytes)) else dump(text)
        for site, token in tokens.items():
            needle = token.encode() if isinstance(blob, bytes) else token
            assert needle not in blob, f"the {site} token is in plain text in {where}"


@pytest.fixture
def failback_with_copy(source_cluster, dr_cluster, tokens, tmp_path) -> dict[str, Any]:
    pvcs = ("web-data",)
    populate(source_cluster, SOURCE_NS, deployments={"web": 0}, originals={"web": "3"},
             pvcs=pvcs, ledger_annotations=ledger("dr", 4))
    populate(dr_cluster, DR_NS, deployments={"web": 3}, originals={"web": "3"}, pvcs=pvcs,
             ledger_annotations=ledger("dr", 4))
    binary = write_fake_pvmigrate(tmp_path / "fake", major=3)
    return inline_config(source_cluster, dr_cluster, tokens, reverseMigratePvcData=True,
                         pvMigratePath=str(binary))


def run_secret(config: dict[str, Any], stack: str = "source") -> Captured:
    return run(config, stack=stack, secret_keys=KUBECONFIG_KEYS)


# ---- the program --------------------------------------------------------------------------------


def test_program_registers_the_kubeconfigs_only_as_secrets(failback_with_copy, tokens,
                                                           source_cluster, dr_cluster):
    captured = run_secret(failback_with_copy)
    assert captured.error is None, captured.error
    # The inline kubeconfigs were really used: both sites answered the tokens' requests.
    assert source_cluster.requests and all(r.status == 200 for r in source_cluster.requests)
    assert dr_cluster.requests and all(r.status == 200 for r in dr_cluster.requests)
    assert {r.name for r in dynamic(captured)} >= {"dr-drain", "pvc-copy-into-source",
                                                     "source-ready"}

    # On the wire (what the engine stores in the state), each provider's kubeconfig is a
    # Pulumi secret, and nothing else anywhere holds a token.
    raw = {r.name: r.wire for r in captured.registrations}
    for site in ("source", "dr"):
        kubeconfig = raw[site]["kubeconfig"]
        assert isinstance(kubeconfig, dict) and kubeconfig.get(SIG_KEY) == SECRET_SIG, (
            f"the {site} provider's kubeconfig is sent in plain text")
        assert tokens[site] in kubeconfig["value"]  # the secret is the real kubeconfig
    for name, obj in ((r.name, r.wire) for r in captured.registrations):
        assert_hidden(tokens, without_secrets(obj), where=f"the wire form of {name}")

    # As deserialized by the monitor, likewise.
    for r in captured.registrations:
        assert_hidden(tokens, without_secrets(r.inputs), where=f"the inputs of {r.name}")
    for r in captured.of_type(K8S_PROVIDER):
        assert r.inputs["kubeconfig"].get(SIG_KEY) == SECRET_SIG

    # The pickled dynamic providers carry no config at all.
    for r in dynamic(captured):
        pickled = base64.b64decode(r.inputs["__provider"])
        assert_hidden(tokens, pickled, where=f"the pickled provider of {r.name}")
        assert b"users" not in pickled and b"127.0.0.1" not in pickled

    assert_hidden(tokens, captured.outputs, where="the stack outputs")
    assert_hidden(tokens, [m for _, m in captured.logs], where="the program's log messages")


def test_steady_state_with_inline_kubeconfigs_shows_no_token(source_cluster, dr_cluster, tokens):
    populate(source_cluster, SOURCE_NS, deployments={"web": 0}, originals={"web": "3"},
             ledger_annotations=ledger("dr", 4))
    populate(dr_cluster, DR_NS, deployments={"web": 3}, originals={"web": "3"},
             ledger_annotations=ledger("dr", 4))
    captured = run_secret(inline_config(source_cluster, dr_cluster, tokens), stack="dr")
    assert captured.error is None, captured.error
    assert captured.outputs["transition"] == "none"
    for name, obj in ((r.name, r.wire) for r in captured.registrations):
        assert_hidden(tokens, without_secrets(obj), where=f"the wire form of {name}")
    assert_hidden(tokens, captured.outputs, [m for _, m in captured.logs], where="outputs/logs")


def _unknown_context(config, source, dr, tokens, tmp):
    return {**config, "drContext": "prod-eu"}


def _unreachable_old_site(config, source, dr, tokens, tmp):
    dr.refuse_connections()
    return config


def _unreachable_new_site(config, source, dr, tokens, tmp):
    source.refuse_connections()
    return config


def _not_yaml(config, source, dr, tokens, tmp):
    broken = source.kubeconfig_text("source", tokens["source"]) + "\n  : [unclosed\n"
    return {**config, "sourceKubeconfig": broken}


def _no_contexts(config, source, dr, tokens, tmp):
    doc = dr.kubeconfig_dict("dr", tokens["dr"])
    doc["contexts"] = "dr"  # not a list
    return {**config, "drKubeconfig": yaml.safe_dump(doc)}


def _context_without_cluster(config, source, dr, tokens, tmp):
    doc = dr.kubeconfig_dict("dr", tokens["dr"])
    doc["clusters"] = []
    return {**config, "drKubeconfig": yaml.safe_dump(doc)}


def _dangling_current_context(config, source, dr, tokens, tmp):
    doc = dr.kubeconfig_dict("dr", tokens["dr"])
    doc["current-context"] = "gone"
    return {**config, "drKubeconfig": yaml.safe_dump(doc)}


def _token_pasted_instead_of_a_kubeconfig(config, source, dr, tokens, tmp):
    return {**config, "drKubeconfig": tokens["dr"]}  # a one-line secret: not a path


def _rejected_token(config, source, dr, tokens, tmp):
    dr.token = "rotated"
    return config


def _config_problems_elsewhere(config, source, dr, tokens, tmp):
    return {**config, "strategy": "lukewarm", "drNamespace": "Bad_NS"}


FAILING = {
    "unknown context": _unknown_context,
    "old site unreachable": _unreachable_old_site,
    "new site unreachable": _unreachable_new_site,
    "kubeconfig not YAML": _not_yaml,
    "kubeconfig without contexts": _no_contexts,
    "context without cluster": _context_without_cluster,
    "dangling current-context": _dangling_current_context,
    "token pasted as kubeconfig": _token_pasted_instead_of_a_kubeconfig,
    "token rejected (401)": _rejected_token,
    "other config problems": _config_problems_elsewhere,
}


@pytest.mark.parametrize("case", list(FAILING))
def test_a_failing_preview_never_shows_the_token(case, source_cluster, dr_cluster, tokens,
                                                 tmp_path, monkeypatch):
    monkeypatch.setitem(cluster_reader.read_site.__kwdefaults__, "deadline", 1.0)
    populate(source_cluster, SOURCE_NS, deployments={"web": 0}, originals={"web": "3"},
             ledger_annotations=ledger("dr", 4))
    populate(dr_cluster, DR_NS, deployments={"web": 3}, originals={"web": "3"},
             ledger_annotations=ledger("dr", 4))
    config = FAILING[case](inline_config(source_cluster, dr_cluster, tokens), source_cluster,
                           dr_cluster, tokens, tmp_path)
    captured = run_secret(config)
    assert captured.error is not None, f"{case}: the preview should have failed"
    error = captured.error
    shown = "".join(traceback.format_exception(error))
    assert_hidden(tokens, str(error), repr(error), shown, where=f"the error of '{case}'")
    assert_hidden(tokens, [m for _, m in captured.logs], captured.outputs,
                  where=f"the logs of '{case}'")
    assert source_cluster.writes() == [] and dr_cluster.writes() == []


# ---- the dynamic providers with inline kubeconfigs ----------------------------------------------


@pytest.fixture
def inline_sites(source_cluster, dr_cluster, tokens) -> dict[str, Any]:
    source_cluster.put(objects.namespace(SOURCE_NS))
    dr_cluster.put(objects.namespace(DR_NS))
    return provider_config(inline_config(source_cluster, dr_cluster, tokens,
                                         sourceContext="source", drContext="dr"))


def assert_exception_hidden(tokens: dict[str, str], exc: BaseException, what: str) -> None:
    shown = "".join(traceback.format_exception(exc))
    assert_hidden(tokens, str(exc), repr(exc), shown, where=f"the {what} error")


def test_gate_outputs_and_pickles_hold_no_token(inline_sites, source_cluster, dr_cluster,
                                                tokens):
    dr_cluster.put(objects.deployment("web", 2), DR_NS)
    dr_cluster.make_ready(DR_NS)
    drain = configured(DrainGateProvider, inline_sites)
    ready = configured(ReadinessGateProvider, inline_sites)
    outs = [
        drain.create({"site": "source", "namespace": SOURCE_NS, "transition": "cutover#3",
                      "workloads": [{"kind": "Deployment", "name": "web",
                                     "podLabels": {"app": "web"}}],
                      "claims": [], "timeoutSeconds": 2.0}).outs,
        ready.create({"site": "dr", "namespace": DR_NS, "transition": "cutover#3",
                      "workloads": [{"kind": "Deployment", "name": "web", "replicas": 2}],
                      "timeoutSeconds": 2.0}).outs,
    ]
    assert outs[0]["result"] == "drained" and outs[1]["result"] == "ready"
    assert source_cluster.requests and dr_cluster.requests  # they used the inline kubeconfigs
    assert_hidden(tokens, outs, where="the gates' outputs")
    # A configured provider, if ever pickled, drops the config it was given.
    for provider in (drain, ready, configured(PvcMigrationProvider, inline_sites)):
        pickled = base64.b64decode(serialize_provider(provider))
        assert_hidden(tokens, pickled, where=f"a pickled configured {type(provider).__name__}")


def test_drain_timeout_holds_no_token(inline_sites, source_cluster, tokens):
    source_cluster.put(objects.pod("web-1", {"app": "web"}), SOURCE_NS)
    gate = configured(DrainGateProvider, inline_sites)
    with pytest.raises(DrainTimeout) as caught:
        gate.create({"site": "source", "namespace": SOURCE_NS, "transition": "cutover#3",
                     "workloads": [{"kind": "Deployment", "name": "web",
                                    "podLabels": {"app": "web"}}],
                     "claims": [], "timeoutSeconds": 0.3})
    assert "web-1" in str(caught.value)
    assert_exception_hidden(tokens, caught.value, "drain timeout")


def test_readiness_timeout_holds_no_token(inline_sites, dr_cluster, tokens):
    dr_cluster.put(objects.deployment("web", 2), DR_NS)  # never becomes ready
    gate = configured(ReadinessGateProvider, inline_sites)
    with pytest.raises(ReadinessTimeout) as caught:
        gate.create({"site": "dr", "namespace": DR_NS, "transition": "cutover#3",
                     "workloads": [{"kind": "Deployment", "name": "web", "replicas": 2}],
                     "timeoutSeconds": 0.3})
    assert "Deployment/web" in str(caught.value)
    assert_exception_hidden(tokens, caught.value, "readiness timeout")


def test_unreachable_gate_error_holds_no_token(inline_sites, dr_cluster, tokens):
    dr_cluster.refuse_connections()
    gate = configured(ReadinessGateProvider, inline_sites)
    started = time.monotonic()
    with pytest.raises(ClusterUnavailable) as caught:
        gate.create({"site": "dr", "namespace": DR_NS, "transition": "cutover#3",
                     "workloads": [{"kind": "Deployment", "name": "web", "replicas": 2}],
                     "timeoutSeconds": 0.5})
    assert time.monotonic() - started < 3.0
    assert_exception_hidden(tokens, caught.value, "unreachable gate")


def _copy_props(binary: Path, **over: Any) -> dict[str, Any]:
    return {"fromSite": "dr", "toSite": "source", "transition": "failback#5",
            "pairs": [{"source": "data", "dr": "data"}], "flags": [], "concurrency": 1,
            "timeoutSeconds": 5.0, "pvMigratePath": str(binary), **over}


def _log_files(folder: Path) -> list[Path]:
    return [p for p in (folder / ".drstack" / "logs").rglob("*") if p.is_file()]


@pytest.mark.parametrize("behaviour", ["print", "fail", "hang"])
def test_pv_migrate_results_errors_and_logs_hold_no_token(behaviour, inline_sites, tokens,
                                                          tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    binary = write_fake_pvmigrate(tmp_path / "fake", major=3, behaviour=behaviour)
    provider = configured(PvcMigrationProvider, inline_sites)
    props = _copy_props(binary, timeoutSeconds=0.5 if behaviour == "hang" else 5.0)
    if behaviour == "hang":
        import functools

        import drstack.providers.pvc_migration as pvc_migration

        monkeypatch.setattr(pvc_migration, "run_migrations",
                            functools.partial(pvc_migration.run_migrations, kill_grace=0.2))
    if behaviour == "print":
        outs = provider.create(props).outs
        assert outs["result"] == "copied"
        assert_hidden(tokens, outs, where="the copy's outputs")
    else:
        with pytest.raises(MigrationFailed) as caught:
            provider.create(props)
        assert_exception_hidden(tokens, caught.value, f"pv-migrate {behaviour}")
    logs = _log_files(tmp_path)
    assert logs, "pv-migrate wrote no log file"
    for log in logs:
        text = log.read_text()
        assert "-k " in text  # the header holds the command line: paths only
        assert_hidden(tokens, text, where=f"the pv-migrate log {log.name}")
