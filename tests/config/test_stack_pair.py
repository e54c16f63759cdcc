"""The other stack's file: its site keys must be this stack's (secrets compared unshown)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from drstack.config import ConfigError, load_config, read_other_stack
from drstack.config.stack_pair import drift_findings

from .test_load_config import kubeconfig_text

SECRET = "v1:3kdV8PzWjYEXAMPLE:Zm9vYmFy"  # a ciphertext as Pulumi writes it


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / "kube").mkdir()
    for site in ("source", "dr"):
        (tmp_path / "kube" / f"{site}.yaml").write_text(kubeconfig_text(site))
    return tmp_path


def site_keys(**over) -> dict:
    return {"sourceKubeconfig": "kube/source.yaml", "sourceContext": "source",
            "sourceNamespace": "my-app", "drKubeconfig": "kube/dr.yaml", "drContext": "dr",
            "drNamespace": "my-app-dr", **over}


def write_stack(project: Path, stack: str, values: dict, **document) -> None:
    config = {f"drstack:{k}": ({"secure": SECRET} if v is SECRET else v)
              for k, v in values.items()}
    (project / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config, **document}))


def drift(project: Path, raw: dict, other: dict, *, secret=frozenset(), stack="source",
          **document) -> list[str]:
    write_stack(project, "dr" if stack == "source" else "source", other, **document)
    other_stack = read_other_stack(project, stack)
    assert other_stack is not None
    return [str(f) for f in drift_findings(raw, frozenset(secret), other_stack, stack=stack)]


def test_two_stacks_that_describe_the_same_sites_agree(project):
    assert drift(project, site_keys(), site_keys(activeSite="dr", migratePvcData=True)) == []


def test_a_different_site_key_names_the_key_and_both_values(project):
    [finding] = drift(project, site_keys(), site_keys(drNamespace="my-app-staging"))
    assert finding == (
        "drstack:drNamespace = 'my-app-dr': differs from the other stack's: stack dr "
        "(Pulumi.dr.yaml) has 'my-app-staging'. Fix: set it the same way in Pulumi.source.yaml "
        "and Pulumi.dr.yaml (both stacks must describe the same two sites), e.g. pulumi config "
        "set -s dr drstack:drNamespace my-app-dr")


@pytest.mark.parametrize("key", ["sourceKubeconfig", "sourceContext", "sourceNamespace",
                                 "drKubeconfig", "drContext", "drNamespace", "workloadSelector",
                                 "excludeWorkloads"])
def test_every_site_key_is_compared(project, key):
    other = site_keys(**{key: ["Deployment/debug"] if key == "excludeWorkloads" else "other"})
    [finding] = drift(project, site_keys(), other)
    assert finding.startswith(f"drstack:{key} = ")


def test_a_key_set_on_one_stack_only_differs_from_its_default_on_the_other(project):
    [finding] = drift(project, site_keys(workloadSelector="tier=web"), site_keys())
    assert "stack dr (Pulumi.dr.yaml) has (unset)" in finding
    assert "pulumi config set -s dr drstack:workloadSelector tier=web" in finding
    assert drift(project, site_keys(workloadSelector=""), site_keys()) == []


def test_kubeconfig_paths_compare_as_the_files_they_name(project):
    same = site_keys(sourceKubeconfig=str(project / "kube" / "source.yaml"),
                     drKubeconfig="./kube/../kube/dr.yaml")
    assert drift(project, same, site_keys()) == []


def test_workload_lists_compare_as_sets_of_workloads(project):
    raw = site_keys(excludeWorkloads='["deployment/debug", "StatefulSet/cache"]')  # as Pulumi
    assert drift(project, raw, site_keys(excludeWorkloads=["StatefulSet/cache",
                                                          "Deployment/debug"])) == []
    [finding] = drift(project, raw, site_keys(excludeWorkloads=["Deployment/debug"]))
    assert "has ['Deployment/debug']" in finding


def test_a_secret_on_one_stack_and_a_plain_path_on_the_other_differ_unshown(project):
    contents = kubeconfig_text("dr", token="tok-PAIR-SECRET")
    raw = site_keys(drKubeconfig=contents)
    [finding] = drift(project, raw, site_keys(), secret={"drKubeconfig"})
    assert finding.startswith("drstack:drKubeconfig = <secret>: a secret on this stack only")
    assert "stack dr (Pulumi.dr.yaml) has 'kube/dr.yaml'" in finding
    assert "pulumi config set -s dr --secret drstack:drKubeconfig \"$(cat FILE)\"" in finding
    assert "tok-PAIR-SECRET" not in finding

    [mirror] = drift(project, site_keys(), site_keys(drKubeconfig=SECRET))
    assert "a secret on stack dr only" in mirror and "has <secret>" in mirror
    assert "pulumi config set -s source --secret drstack:drKubeconfig" in mirror


def test_two_secrets_are_not_compared(project):
    # Two ciphertexts of one value differ, and the other stack's cannot be decrypted here.
    raw = site_keys(drKubeconfig=kubeconfig_text("dr"))
    assert drift(project, raw, site_keys(drKubeconfig=SECRET), secret={"drKubeconfig"}) == []


def test_keys_a_file_with_environments_lacks_are_not_compared(project):
    other = {k: v for k, v in site_keys().items() if k != "drNamespace"}
    assert drift(project, site_keys(), other, environment=["dr-secrets"]) == []
    assert len(drift(project, site_keys(), other)) == 1


def test_only_the_partner_stack_is_read(project):
    write_stack(project, "dr", site_keys(drNamespace="elsewhere"))
    assert read_other_stack(project, "prod-failover") is None
    assert read_other_stack(project, "dr") is None  # no Pulumi.source.yaml here
    assert read_other_stack(project, "source") is not None


def test_drift_is_one_config_problem_among_the_others(project, monkeypatch):
    monkeypatch.chdir(project)
    write_stack(project, "dr", site_keys(sourceContext="prod"))
    other = read_other_stack(project, "source")
    with pytest.raises(ConfigError) as info:
        load_config(site_keys(strategy="hot"), stack="source", other_stack=other)
    assert sorted(f.key for f in info.value.findings) == ["sourceContext", "strategy"]
