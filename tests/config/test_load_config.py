"""load_config: raw stack config -> StackConfig, or every problem at once."""

from __future__ import annotations

import json

import pytest

from drstack.config import ConfigError, Strategy, load_config
from drstack.model import Site, WorkloadRef

TOKEN = "tok-SUPERSECRET-8f3a9c"


def kubeconfig_text(*contexts: str, token: str = TOKEN) -> str:
    lines = ["apiVersion: v1", "kind: Config", "clusters:"]
    lines += [f"- name: {c}\n  cluster: {{server: 'https://{c}.example:6443'}}" for c in contexts]
    lines += ["users:", f"- name: admin\n  user: {{token: {token}}}", "contexts:"]
    lines += [f"- name: {c}\n  context: {{cluster: {c}, user: admin}}" for c in contexts]
    lines += [f"current-context: {contexts[0]}"]
    return "\n".join(lines) + "\n"


@pytest.fixture
def kube(tmp_path):
    """Paths to a source and a DR kubeconfig file."""
    source = tmp_path / "source.yaml"
    source.write_text(kubeconfig_text("prod", "prod-admin"))
    dr = tmp_path / "dr.yaml"
    dr.write_text(kubeconfig_text("dr-east"))
    return {"source": str(source), "dr": str(dr), "dir": tmp_path}


@pytest.fixture
def raw(kube):
    return {"sourceKubeconfig": kube["source"], "sourceNamespace": "shop",
            "drKubeconfig": kube["dr"], "drNamespace": "shop"}


def load(raw, stack="dr"):
    return load_config(raw, stack=stack)


def findings(raw, stack="dr"):
    with pytest.raises(ConfigError) as info:
        load(raw, stack)
    return info.value


def test_a_minimal_config_loads_with_the_documented_defaults(raw):
    cfg = load(raw)
    assert cfg.active_site is Site.DR
    assert (cfg.source.namespace, cfg.dr.namespace, cfg.source.context) == ("shop", "shop", None)
    assert cfg.strategy is Strategy.COLD
    assert (cfg.readiness_timeout, cfg.drain_timeout, cfg.migration_timeout) == (600, 300, 7200)
    assert (cfg.migrate_pvc_data, cfg.reverse_migrate_pvc_data, cfg.old_site_unreachable) == (
        False, False, False)
    assert cfg.migration_concurrency == 2 and cfg.pv_migrate_path == "pv-migrate"
    assert cfg.workload_selector is None and cfg.assume_active_site is None


def test_values_as_pulumi_passes_them_are_read(raw):
    raw |= {"sourceContext": "prod-admin", "drContext": "dr-east", "strategy": "warm",
            "readinessTimeout": "90s", "drainTimeout": "1h30m", "migrationTimeout": "45",
            "assumeActiveSite": "source", "oldSiteUnreachable": "true", "breakLease": "false",
            "migrationConcurrency": "4",
            "pvMigrateFlags": "--strategies mnt2,svc -i --helm-set 'a=b c'",
            "workloadSelector": "app.kubernetes.io/part-of=shop",
            "pvMigratePath": "/opt/pv-migrate"}
    cfg = load(raw)
    assert (cfg.source.context, cfg.dr.context) == ("prod-admin", "dr-east")
    assert cfg.strategy is Strategy.WARM
    assert (cfg.readiness_timeout, cfg.drain_timeout, cfg.migration_timeout) == (90, 5400, 45)
    assert cfg.assume_active_site is Site.SOURCE
    assert cfg.old_site_unreachable is True and cfg.break_lease is False
    assert cfg.migration_concurrency == 4
    assert cfg.pv_migrate_flags == ("--strategies", "mnt2,svc", "-i", "--helm-set", "a=b c")
    assert cfg.workload_selector == "app.kubernetes.io/part-of=shop"
    assert cfg.pv_migrate_path == "/opt/pv-migrate"


@pytest.mark.parametrize("text, value", [("true", True), ("false", False), ("True", True),
                                         (True, True), (False, False)])
def test_booleans(raw, text, value):
    assert load(raw | {"migratePvcData": text}).migrate_pvc_data is value


# --- every key's bad value ----------------------------------------------------------------

BAD = [
    # key, bad value, what the fix says
    ("activeSite", "primary", "drstack:activeSite source"),
    ("sourceKubeconfig", "/nowhere/kubeconfig.yaml", "drstack:sourceKubeconfig"),
    ("drKubeconfig", "/nowhere/dr.yaml", "drstack:drKubeconfig"),
    ("sourceContext", "staging", "drstack:sourceContext <one of those>"),
    ("drContext", "dr-west", "drstack:drContext <one of those>"),
    ("sourceNamespace", "Shop_1", "kubectl get ns"),
    ("drNamespace", "-shop", "kubectl get ns"),
    ("workloadSelector", "app in (web api", "label selector syntax"),
    ("excludeWorkloads", ["Service/web"], "Kind/name"),
    ("excludeWorkloads", ["web"], "Kind/name"),
    ("replicaOverrides", ["Deployment/web=three"], "Deployment/web=3"),
    ("replicaOverrides", ["Deployment/web=-1"], "Deployment/web=3"),
    ("replicaOverrides", ["Deployment/web=²"], "Deployment/web=3"),
    ("replicaOverrides", [f"Deployment/web={2**31}"], "Deployment/web=3"),
    ("replicaOverrides", ["Deployment/web"], "Deployment/web=3"),
    ("replicaOverrides", ["Pod/web=2"], "Deployment/web=3"),
    ("replicaOverrides", "Deployment/web=3", "pulumi config set --path"),
    ("strategy", "hot", "drstack:strategy cold"),
    ("readinessTimeout", "10 minutes", "10m"),
    ("drainTimeout", "-5m", "5m"),
    ("migrationTimeout", "0s", "2h"),
    ("assumeActiveSite", "primary", "drstack:assumeActiveSite source"),
    ("migratePvcData", "yes", "true or false"),
    ("reverseMigratePvcData", "1", "true or false"),
    ("oldSiteUnreachable", "maybe", "true or false"),
    ("breakLease", "nah", "true or false"),
    ("snapshotBeforeCopy", "sure", "true or false"),
    ("volumeSnapshotClass", "CSI Snapshots", "kubectl get volumesnapshotclass"),
    ("pvMigrateFlags", "--helm-set 'a=b", "quote"),
    ("pvcMap", ["data-a"], "sourceClaim=drClaim"),
    ("pvcMap", ["=data-b"], "sourceClaim=drClaim"),
    ("pvcMap", {"data": ""}, "sourceClaim=drClaim"),
    ("pvcMap", 3, "pulumi config set --path"),
    ("migrationConcurrency", "0", "migrationConcurrency 2"),
    ("migrationConcurrency", "100", "migrationConcurrency 2"),
    ("migrationConcurrency", "two", "migrationConcurrency 2"),
    ("migrationConcurrency", "²", "migrationConcurrency 2"),
]


@pytest.mark.parametrize("key, value, fix", BAD, ids=[f"{k}={v!r}" for k, v, _ in BAD])
def test_a_bad_value_is_one_finding_naming_key_value_and_fix(raw, key, value, fix):
    error = findings(raw | {key: value})
    [finding] = error.findings
    assert finding.key == key
    shown = value[0] if isinstance(value, list) else value
    text = str(finding)
    assert f"drstack:{key}" in text
    if not isinstance(shown, dict):
        assert str(shown) in finding.value
    assert fix in finding.fix
    assert "Fix: " in text and text in str(error)


def test_missing_required_keys_are_each_named(kube):
    error = findings({})
    assert sorted(f.key for f in error.findings) == [
        "drKubeconfig", "drNamespace", "sourceKubeconfig", "sourceNamespace"]
    assert all(f.value == "(unset)" for f in error.findings)


def test_every_problem_is_reported_at_once(raw):
    bad = {"sourceNamespace": "Bad_NS", "drContext": "nope", "strategy": "hot",
           "readinessTimeout": "soon", "drainTimeout": "1d", "migratePvcData": "yes",
           "replicaOverrides": ["Deployment/web=x", "Pod/a=1", "StatefulSet/db=2"],
           "excludeWorkloads": '["Deployment/ok", "nope"]', "pvcMap": ["a"],
           "migrationConcurrency": "0", "assumeActiveSite": "both", "workloadSelector": "a=(b)"}
    error = findings(raw | bad, stack="staging")
    keys = sorted(f.key for f in error.findings)
    assert keys == sorted([
        "activeSite", "sourceNamespace", "drContext", "strategy", "readinessTimeout",
        "drainTimeout", "migratePvcData", "replicaOverrides", "replicaOverrides",
        "excludeWorkloads", "pvcMap", "migrationConcurrency", "assumeActiveSite",
        "workloadSelector"])
    assert f"found {len(keys)} config problem(s)" in str(error)


# --- stack name and activeSite ------------------------------------------------------------


@pytest.mark.parametrize("stack, active, expect", [
    ("source", None, Site.SOURCE),
    ("dr", None, Site.DR),
    ("dr", "dr", Site.DR),
    ("source", "source", Site.SOURCE),
    ("prod-failover", "dr", Site.DR),
    ("prod-failback", "source", Site.SOURCE),
])
def test_which_site_a_stack_activates(raw, stack, active, expect):
    if active:
        raw["activeSite"] = active
    assert load(raw, stack).active_site is expect


@pytest.mark.parametrize("stack, active, says", [
    ("staging", None, "does not say which site"),
    ("staging", "", "does not say which site"),
    ("dr", "source", "activates the dr site"),
    ("source", "dr", "activates the source site"),
    ("staging", "primary", "must be source or dr"),
])
def test_stack_and_active_site_problems(raw, stack, active, says):
    if active is not None:
        raw["activeSite"] = active
    [finding] = findings(raw, stack).findings
    assert finding.key == "activeSite" and says in finding.problem


# --- values from a fixed set: any case, else the valid values ---------------------------------


@pytest.mark.parametrize("key, text, attribute, value", [
    ("strategy", "Cold", "strategy", Strategy.COLD),
    ("strategy", " WARM ", "strategy", Strategy.WARM),
    ("assumeActiveSite", "Source", "assume_active_site", Site.SOURCE),
    ("assumeActiveSite", "DR", "assume_active_site", Site.DR),
    ("activeSite", "Dr", "active_site", Site.DR),
])
def test_values_from_a_fixed_set_are_read_in_any_case(raw, key, text, attribute, value):
    stack = "prod-failover" if key == "activeSite" else "dr"
    assert getattr(load(raw | {key: text}, stack=stack), attribute) is value


@pytest.mark.parametrize("key, text, valid", [
    ("strategy", "lukewarm", "must be cold or warm"),
    ("assumeActiveSite", "both", "must be source or dr"),
    ("activeSite", "primary", "must be source or dr"),
])
def test_a_value_outside_a_fixed_set_lists_the_valid_values_never_a_python_name(raw, key, text,
                                                                                valid):
    stack = "prod" if key == "activeSite" else "dr"
    [finding] = findings(raw | {key: text}, stack=stack).findings
    assert finding.key == key and finding.problem == valid
    for leak in ("is not a valid", "Strategy", "<Site."):  # ValueError of an enum, its repr
        assert leak not in str(finding)


# --- strategy and copy flags --------------------------------------------------------------


@pytest.mark.parametrize("strategy, migrate, reverse, bad_keys", [
    ("warm", "true", "false", ["migratePvcData"]),
    ("warm", "false", "true", ["reverseMigratePvcData"]),
    ("warm", "true", "true", ["migratePvcData", "reverseMigratePvcData"]),
    ("warm", "false", "false", []),
    ("cold", "true", "true", []),
])
def test_warm_forbids_pvc_copies(raw, strategy, migrate, reverse, bad_keys):
    raw |= {"strategy": strategy, "migratePvcData": migrate, "reverseMigratePvcData": reverse}
    if not bad_keys:
        cfg = load(raw)
        assert (cfg.migrate_pvc_data, cfg.reverse_migrate_pvc_data) == (migrate == "true",
                                                                         reverse == "true")
        return
    error = findings(raw)
    assert [f.key for f in error.findings] == bad_keys
    assert all("strategy cold" in f.fix for f in error.findings)


# --- kubeconfigs --------------------------------------------------------------------------


def test_the_same_namespace_of_the_same_cluster_for_both_sites_is_an_error(raw, kube):
    raw["drKubeconfig"] = kube["source"]
    [finding] = findings(raw).findings
    assert finding.key == "drNamespace" and "same namespace of the same cluster" in finding.problem
    # Another namespace, or another context of the same file, is fine (e.g. a lab setup).
    assert load(raw | {"drNamespace": "shop-dr"}).dr.namespace == "shop-dr"
    assert load(raw | {"drContext": "prod-admin"}).dr.context == "prod-admin"


def test_a_missing_kubeconfig_file_names_the_path(raw, kube):
    missing = str(kube["dir"] / "gone.yaml")
    [finding] = findings(raw | {"sourceKubeconfig": missing}).findings
    assert finding.key == "sourceKubeconfig"
    assert missing in finding.value and "cannot read" in finding.problem


@pytest.mark.parametrize("content", ["{{{: [", "just some text", "- a\n- b\n", "contexts: 7\n", ""])
def test_a_file_that_is_not_a_kubeconfig(raw, kube, content):
    path = kube["dir"] / "broken.yaml"
    path.write_text(content)
    [finding] = findings(raw | {"drKubeconfig": str(path)}).findings
    assert finding.key == "drKubeconfig" and "not a kubeconfig" in finding.problem


def test_an_unknown_context_lists_the_contexts_that_exist(raw):
    [finding] = findings(raw | {"sourceContext": "staging"}).findings
    assert finding.key == "sourceContext" and "'staging'" in finding.value
    assert "(it has: prod, prod-admin)" in finding.problem


def test_a_kubeconfig_path_with_tilde_is_expanded(raw, kube, monkeypatch):
    monkeypatch.setenv("HOME", str(kube["dir"]))
    assert load(raw | {"sourceKubeconfig": "~/source.yaml"}).source.kubeconfig == "~/source.yaml"


def test_inline_kubeconfig_contents_are_accepted(raw):
    cfg = load(raw | {"drKubeconfig": kubeconfig_text("dr-east"), "drContext": "dr-east"})
    assert cfg.dr.kubeconfig_is_inline and cfg.dr.context == "dr-east"
    assert TOKEN not in repr(cfg)


INLINE_FAILURES = {
    "unknown-context": {"sourceContext": "nope"},
    "not-a-kubeconfig": {"sourceKubeconfig": f"- token: {TOKEN}\n- more\n"},
    "not-yaml": {"sourceKubeconfig": f"apiVersion: v1\nusers: [{{token: {TOKEN}\n  : ]: :"},
    "json-not-kubeconfig": {"sourceKubeconfig": json.dumps({"token": TOKEN, "contexts": "x"})},
    "same-cluster-as-dr": {"drKubeconfig": None, "drNamespace": "shop"},
    "with-other-errors": {"strategy": "hot", "drNamespace": "BAD"},
}


@pytest.mark.parametrize("case", INLINE_FAILURES)
def test_inline_kubeconfig_contents_never_appear_in_an_error(raw, case):
    inline = kubeconfig_text("prod")
    raw["sourceKubeconfig"] = inline
    changes = dict(INLINE_FAILURES[case])
    if "drKubeconfig" in changes:
        changes["drKubeconfig"] = inline
    raw |= changes
    error = findings(raw)
    text = str(error) + repr(error.findings) + repr(error.args)
    assert TOKEN not in text
    assert "https://prod.example" not in text
    assert any(f.key == "sourceKubeconfig" and f.value == "<secret>" for f in error.findings) or \
        case in ("unknown-context", "same-cluster-as-dr", "with-other-errors")


# --- list, JSON and map forms -------------------------------------------------------------

WEB, DB = WorkloadRef.parse("Deployment/web"), WorkloadRef.parse("StatefulSet/db")


@pytest.mark.parametrize("value", [
    ["Deployment/web", "statefulset/db"],
    '["Deployment/web", "StatefulSet/db"]',
    [" Deployment/web ", "StatefulSet/db"],
])
def test_exclude_workloads_forms(raw, value):
    assert load(raw | {"excludeWorkloads": value}).exclude_workloads == {WEB, DB}


@pytest.mark.parametrize("value", ["", "[]", [], None])
def test_empty_lists(raw, value):
    cfg = load(raw | {"excludeWorkloads": value, "replicaOverrides": value, "pvcMap": value})
    assert (cfg.exclude_workloads, dict(cfg.replica_overrides), dict(cfg.pvc_map)) == (
        frozenset(), {}, {})


@pytest.mark.parametrize("value", [
    ["Deployment/web=3", "StatefulSet/db=0"],
    '["Deployment/web=3", "StatefulSet/db=0"]',
    {"Deployment/web": 3, "StatefulSet/db": "0"},
    '{"Deployment/web": 3, "StatefulSet/db": 0}',
    ["Deployment/web = 3", "StatefulSet/db=0"],
])
def test_replica_overrides_forms(raw, value):
    assert dict(load(raw | {"replicaOverrides": value}).replica_overrides) == {WEB: 3, DB: 0}


def test_the_override_entries_are_counted_as_written_duplicates_included(raw):
    # The index the next `pulumi config set --path 'drstack:replicaOverrides[N]'` appends at.
    entries = ["Deployment/web=3", "StatefulSet/db=1", "Deployment/web=4"]
    cfg = load(raw | {"replicaOverrides": entries})
    assert cfg.replica_override_entries == 3 and len(cfg.replica_overrides) == 2
    assert load(raw).replica_override_entries == 0


@pytest.mark.parametrize("value", [
    ["data-db-0=data-db-dr-0", "uploads=uploads-dr"],
    '["data-db-0=data-db-dr-0", "uploads=uploads-dr"]',
    {"data-db-0": "data-db-dr-0", "uploads": "uploads-dr"},
    [" data-db-0 = data-db-dr-0", "uploads=uploads-dr"],
])
def test_pvc_map_forms(raw, value):
    assert dict(load(raw | {"pvcMap": value}).pvc_map) == {
        "data-db-0": "data-db-dr-0", "uploads": "uploads-dr"}


def test_each_bad_list_entry_is_its_own_finding(raw):
    error = findings(raw | {"excludeWorkloads": ["Deployment/ok", "Job/x", "nope"],
                            "pvcMap": ["a=b", "c", "=d"]})
    assert [(f.key, f.value) for f in error.findings] == [
        ("excludeWorkloads", "'Job/x'"), ("excludeWorkloads", "'nope'"),
        ("pvcMap", "'c'"), ("pvcMap", "'=d'")]


@pytest.mark.parametrize("value", ["eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXRva2Vu", TOKEN])
def test_a_one_line_secret_pasted_as_a_kubeconfig_is_not_echoed(raw, value):
    raw["drKubeconfig"] = value
    message = str(findings(raw))
    assert value not in message
    assert "drstack:drKubeconfig = <secret>" in message


# --- keys drstack does not know ---------------------------------------------------------------


def test_a_key_mistyped_in_case_fails_naming_the_key_it_meant_without_its_value(raw):
    [finding] = findings(raw | {"reverseMigratePVCData": "true"}, stack="source").findings
    assert finding.key == "reverseMigratePVCData" and finding.value is None
    assert str(finding) == (
        "drstack:reverseMigratePVCData: drstack has no such key, so its value would be ignored; "
        "did you mean drstack:reverseMigratePvcData? Fix: rename it: pulumi config rm -s "
        "source drstack:reverseMigratePVCData, then pulumi config set -s source "
        "drstack:reverseMigratePvcData VALUE")


@pytest.mark.parametrize("key, meant", [
    ("drNamespce", "drNamespace"),
    ("migratePvc", "migratePvcData"),
    ("replicaoverrides", "replicaOverrides"),
    ("DRKUBECONFIG", "drKubeconfig"),
])
def test_a_misspelt_key_names_the_closest_known_key(raw, key, meant):
    [finding] = findings(raw | {key: "x"}).findings
    assert f"did you mean drstack:{meant}?" in finding.problem


def test_an_unknown_key_with_nothing_close_is_named_with_the_command_that_removes_it(raw):
    [finding] = findings(raw | {"colour": "blue"}).findings
    assert finding.problem.startswith("drstack has no such key")
    assert "did you mean" not in finding.problem
    assert finding.fix.startswith("pulumi config rm -s dr drstack:colour")


def test_renaming_a_secret_keeps_it_secret_and_its_value_is_never_shown(raw):
    with pytest.raises(ConfigError) as info:
        load_config(raw | {"drKubeConfig": "apiVersion: v1\nkind: Config\n"}, stack="dr",
                    secret_keys=frozenset({"drKubeConfig"}))
    [finding] = info.value.findings
    assert "did you mean drstack:drKubeconfig?" in finding.problem
    assert finding.fix.endswith("pulumi config set -s dr --secret drstack:drKubeconfig VALUE")
    assert "apiVersion" not in str(info.value)


def test_renaming_a_list_says_to_set_each_entry(raw):
    [finding] = findings(raw | {"pvcmap": ["a=b"]}).findings
    assert "pulumi config set -s dr --path 'drstack:pvcMap[0]' ENTRY" in finding.fix


def test_unknown_keys_are_reported_with_every_other_problem(raw):
    error = findings(raw | {"strategy": "hot", "reverseMigratePVCData": "true",
                            "drNamespce": "x"}, stack="source")
    assert sorted(f.key for f in error.findings) == [
        "drNamespce", "reverseMigratePVCData", "strategy"]
    assert "drstack found 3 config problem(s)" in str(error)


def test_a_secret_value_is_never_shown_in_a_finding(raw):
    error = findings(raw | {"drNamespace": "Not_A-Name"}, stack="dr")
    assert "Not_A-Name" in str(error)
    with pytest.raises(ConfigError) as info:
        load_config(raw | {"drNamespace": "Not_A-Name"}, stack="dr",
                    secret_keys=frozenset({"drNamespace"}))
    assert "Not_A-Name" not in str(info.value) and "<secret>" in str(info.value)
