"""connect(): kubeconfig paths, inline kubeconfigs, contexts, and errors that keep secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
import urllib3
from kubernetes import client as k8s

from drstack.cluster.client import ClusterConfigError, connect
from drstack.model import Site, SiteConfig
from drstack.testing.fakekube import FakeKubeServer, objects


def site_for(kubeconfig: str, *, site: Site = Site.SOURCE,
             context: str | None = "fake") -> SiteConfig:
    return SiteConfig(site=site, kubeconfig=kubeconfig, context=context, namespace="app")


def test_path_kubeconfig_reaches_the_cluster(source_cluster: FakeKubeServer,
                                             tmp_path: Path) -> None:
    source_cluster.put(objects.namespace("app"))
    path = source_cluster.write_kubeconfig(tmp_path / "kc.yaml")
    api = connect(site_for(str(path)))
    assert k8s.CoreV1Api(api).read_namespace("app").metadata.name == "app"
    assert api.configuration.retries is False  # our retry layer retries, not urllib3


def test_relative_and_home_paths(
    source_cluster: FakeKubeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source_cluster.write_kubeconfig(tmp_path / "kc.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    for value in ("kc.yaml", "~/kc.yaml"):
        k8s.CoreV1Api(connect(site_for(value))).list_namespace()


def test_inline_kubeconfig_works_and_its_token_never_shows(
    source_cluster: FakeKubeServer, dr_cluster: FakeKubeServer
) -> None:
    token = source_cluster.token
    assert token
    text = source_cluster.kubeconfig_text(context="prod")
    api = connect(site_for(text, context="prod"))
    assert k8s.CoreV1Api(api).list_namespace().items == []
    assert source_cluster.requests[-1].status == 200  # the secret token was really sent

    failures: list[str] = []
    for broken in (
        text.replace("contexts:", "contexts: [", 1),  # invalid YAML near the token
        text.replace("server: http", "server: ::::"),  # a cluster entry the loader rejects
    ):
        with pytest.raises(Exception) as exc:
            k8s.CoreV1Api(connect(site_for(broken, context="prod"))).list_namespace()
        failures.append(str(exc.value) + repr(exc.value) + str(exc.value.__cause__))
    with pytest.raises(ClusterConfigError) as unknown:
        connect(site_for(text, context="staging"))
    failures.append(str(unknown.value))
    for message in failures:
        assert token not in message
    assert "drstack:sourceContext" in failures[-1] and "'prod'" in failures[-1]


def test_unknown_context_lists_the_contexts(dr_cluster: FakeKubeServer, tmp_path: Path) -> None:
    path = dr_cluster.write_kubeconfig(tmp_path / "kc.yaml", context="dr-east")
    with pytest.raises(ClusterConfigError) as exc:
        connect(site_for(str(path), site=Site.DR, context="dr-west"))
    message = str(exc.value)
    assert "site dr" in message and "'dr-west'" in message
    assert "drstack:drContext" in message and "'dr-east'" in message


def test_missing_file_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(ClusterConfigError) as exc:
        connect(site_for(str(tmp_path / "nope.yaml"), site=Site.DR))
    assert "drstack:drKubeconfig" in str(exc.value) and "does not exist" in str(exc.value)


def test_a_one_line_secret_is_not_echoed_as_a_path() -> None:
    with pytest.raises(ClusterConfigError) as exc:
        connect(site_for("ZXlKaGJHY2lPaUpTVXpJMU5pSXNJbXRwWkNJNklp"))
    assert "ZXlK" not in str(exc.value) and "drstack:sourceKubeconfig" in str(exc.value)


def test_unreadable_yaml_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "kc.yaml"
    path.write_text("apiVersion: v1\ncontexts: [\n  token: s3cret\n")
    with pytest.raises(ClusterConfigError) as exc:
        connect(site_for(str(path)))
    assert "drstack:sourceKubeconfig" in str(exc.value) and "not valid YAML" in str(exc.value)
    assert "s3cret" not in str(exc.value)
    path.write_text("just a string\n")
    with pytest.raises(ClusterConfigError, match="not a kubeconfig"):
        connect(site_for(str(path)))


def test_current_context_is_used_when_none_is_configured(
    source_cluster: FakeKubeServer, tmp_path: Path
) -> None:
    path = source_cluster.write_kubeconfig(tmp_path / "kc.yaml", context="only")
    k8s.CoreV1Api(connect(site_for(str(path), context=None))).list_namespace()


def test_every_request_has_the_timeout(source_cluster: FakeKubeServer, tmp_path: Path) -> None:
    path = source_cluster.write_kubeconfig(tmp_path / "kc.yaml")
    api = connect(site_for(str(path)), request_timeout=0.2)
    source_cluster.latency = 1.0  # a hung apiserver must not hang drstack
    with pytest.raises(urllib3.exceptions.TimeoutError):
        k8s.CoreV1Api(api).list_namespace()
