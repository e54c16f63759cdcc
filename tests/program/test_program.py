"""The real __main__.py under Pulumi's mocks, reading two fake clusters over HTTP."""

from __future__ import annotations

import pulumi
import pytest

from drstack import annotation_keys
from drstack.testing.harness import ProgramRun, run_program
from drstack.testing.scenario import DR_NS, SOURCE_NS, base_config, ledger, populate

SITE_SCALE = "pulumi-python:dynamic/drstack:SiteScale"
NAMESPACE_PATCH = "kubernetes:core/v1:NamespacePatch"
DYNAMIC = "pulumi-python:dynamic:Resource"


@pytest.fixture
def after_cutover(source_cluster, dr_cluster, tmp_path):
    """DR serves since a cutover (ledger generation 4); source is at 0 with its originals."""
    populate(source_cluster, SOURCE_NS, deployments={"web": 0, "api": 0}, statefulsets={"db": 0},
             originals={"web": "3", "api": "2", "db": "1"}, ledger_annotations=ledger("dr", 4))
    # web was scaled to 5 on DR since the cutover (by hand or an HPA): failback must keep 5.
    populate(dr_cluster, DR_NS, deployments={"web": 5, "api": 2}, statefulsets={"db": 1},
             originals={"web": "3", "api": "2", "db": "1"}, ledger_annotations=ledger("dr", 4))
    return base_config(source_cluster, dr_cluster, tmp_path)


def scale(run: ProgramRun, site: str):
    """The site's one SiteScale: every workload's planned count and original."""
    return run.named(f"{site}-scale")


def replicas_of(run: ProgramRun, site: str, workload: str) -> float:
    return scale(run, site).inputs["replicas"][workload]


def test_failback_declares_old_site_down_then_new_site_up_at_the_recorded_counts(after_cutover):
    run = run_program(after_cutover, stack="source")

    assert run.outputs["transition"] == "failback"
    assert scale(run, "dr").inputs["replicas"] == {
        "Deployment/api": 0, "Deployment/web": 0, "StatefulSet/db": 0}
    assert scale(run, "source").inputs["replicas"] == {
        "Deployment/api": 2, "Deployment/web": 5,  # the live count on DR is kept
        "StatefulSet/db": 1}
    # The original is recorded on both sites, so the next cutover knows it too.
    for site in ("source", "dr"):
        assert scale(run, site).inputs["originals"] == {
            "Deployment/api": "2", "Deployment/web": "5", "StatefulSet/db": "1"}
    assert scale(run, "dr").inputs["namespace"] == DR_NS
    assert scale(run, "source").inputs["namespace"] == SOURCE_NS


def test_failback_order_is_enforced_by_dependency_edges(after_cutover):
    run = run_program(after_cutover, stack="source")

    down, up = scale(run, "dr"), scale(run, "source")
    drain, ready = run.named("dr-drain"), run.named("source-ready")
    services = run.named("source-services")
    assert len(run.of_type(SITE_SCALE)) == 2
    lease = run.named("switch-lease")
    assert down.dependencies == [lease.urn]
    assert drain.dependencies == [down.urn]
    assert up.dependencies == [drain.urn]
    assert ready.dependencies == [up.urn]
    assert services.dependencies == [ready.urn]
    for ledger_patch in run.of_type(NAMESPACE_PATCH):
        assert ledger_patch.dependencies == [services.urn]


def test_cutover_is_the_mirror_image(source_cluster, dr_cluster, tmp_path):
    populate(source_cluster, SOURCE_NS, deployments={"web": 3},
             ledger_annotations=ledger("source", 2))
    populate(dr_cluster, DR_NS, deployments={"web": 0}, ledger_annotations=ledger("source", 2))
    run = run_program(base_config(source_cluster, dr_cluster, tmp_path), stack="dr")

    assert run.outputs["transition"] == "cutover"
    assert replicas_of(run, "source", "Deployment/web") == 0
    assert replicas_of(run, "dr", "Deployment/web") == 3
    drain, ready = run.named("source-drain"), run.named("dr-ready")
    assert drain.dependencies == [scale(run, "source").urn]
    assert scale(run, "dr").dependencies == [drain.urn]
    assert ready.dependencies == [scale(run, "dr").urn]
    assert drain.inputs["transition"] == ready.inputs["transition"] == "cutover#3"


def test_warm_strategy_brings_the_new_site_up_and_ready_before_the_old_goes_down(after_cutover):
    run = run_program({**after_cutover, "strategy": "warm"}, stack="source")

    ready, drain = run.named("source-ready"), run.named("dr-drain")
    up, down = scale(run, "source"), scale(run, "dr")
    services = run.named("source-services")
    assert up.dependencies == [run.named("switch-lease").urn]
    assert services.dependencies == [ready.urn]
    assert down.dependencies == [services.urn]
    assert drain.dependencies == [down.urn]
    for ledger_patch in run.of_type(NAMESPACE_PATCH):
        assert ledger_patch.dependencies == [drain.urn]


def test_steady_state_declares_exactly_what_is_live_and_keeps_the_ledger(after_cutover):
    run = run_program(after_cutover, stack="dr")

    assert run.outputs["transition"] == "none"
    assert replicas_of(run, "dr", "Deployment/web") == 5
    assert replicas_of(run, "dr", "Deployment/api") == 2
    assert replicas_of(run, "source", "Deployment/web") == 0
    for gate in ("source-drain", "dr-ready"):
        assert run.named(gate).inputs["transition"] == "none"
    for ledger_patch in run.of_type(NAMESPACE_PATCH):
        notes = ledger_patch.inputs["metadata"]["annotations"]
        for key, value in ledger("dr", 4).items():
            assert notes[key] == value


def test_switch_writes_a_new_ledger_generation_on_both_sites_last(after_cutover):
    run = run_program(after_cutover, stack="source")

    ledgers = {r.inputs["metadata"]["name"]: r.inputs["metadata"]["annotations"]
               for r in run.of_type(NAMESPACE_PATCH)}
    assert set(ledgers) == {SOURCE_NS, DR_NS}
    for notes in ledgers.values():
        assert notes[annotation_keys.LEDGER_ACTIVE_SITE] == "source"
        assert notes[annotation_keys.LEDGER_GENERATION] == "5"
        assert notes[annotation_keys.LEDGER_STACK] == "source"
        assert notes[annotation_keys.LEDGER_TRANSITION] == "failback"


def test_one_provider_per_site_with_a_stable_cluster_identifier(after_cutover):
    run = run_program(after_cutover, stack="source")

    providers = {r.name: r for r in run.of_type("pulumi:providers:kubernetes")}
    assert set(providers) == {"source", "dr"}
    for site, provider in providers.items():
        assert provider.inputs["clusterIdentifier"] == f"drstack-{site}"
        assert provider.inputs["kubeconfig"] == after_cutover[f"{site}Kubeconfig"]
        assert provider.inputs["context"] == site
    # The ledger goes through its site's provider; the SiteScale is drstack's own resource.
    for r in run.of_type(NAMESPACE_PATCH):
        site = r.name.split("-")[0]
        assert r.provider.startswith(providers[site].urn)


def test_site_providers_drop_a_lost_sites_patches_on_refresh_rather_than_fail(after_cutover):
    # Found on the real engine: `refresh: always` refreshes with the providers in the state
    # before the program runs, so a lost site failed the refresh with pulumi-kubernetes' own
    # message and drstack's disaster commands never showed (tests/e2e/test_real_faults.py).
    run = run_program(after_cutover, stack="source")

    for provider in run.of_type("pulumi:providers:kubernetes"):
        assert provider.inputs["deleteUnreachable"] == "true"


def test_scales_and_ledgers_are_retained_and_the_ledger_is_forced_with_one_field_manager(
        after_cutover):
    # (The SiteScale's server-side apply under the drstack field manager, forced, is tested
    # where it runs: tests/providers/test_site_scale.py.)
    run = run_program(after_cutover, stack="source")

    for r in (*run.of_type(SITE_SCALE), *run.of_type(NAMESPACE_PATCH)):
        assert r.retain_on_delete, f"{r.name} would change what it set when removed"
    for r in run.of_type(NAMESPACE_PATCH):
        notes = r.inputs["metadata"]["annotations"]
        assert notes["pulumi.com/patchForce"] == "true"
        assert notes["pulumi.com/patchFieldManager"] == "drstack"


def test_the_preview_tree_names_each_sites_role(after_cutover):
    run = run_program(after_cutover, stack="source")

    components = {r.name: r for r in run.of_type("drstack:index:Site")}
    assert set(components) == {"site dr: scale down", "site source: scale up"}
    assert run.named("dr-drain").parent == components["site dr: scale down"].urn
    assert scale(run, "source").parent == components["site source: scale up"].urn


def test_the_preview_prints_the_plan_table_and_exports_the_plan(after_cutover):
    run = run_program(after_cutover, stack="source")

    (table,) = [m for m in run.messages("info") if m.startswith("drstack: failback")]
    assert "Deployment/web  dr      5 -> 0" in table
    assert "Deployment/web  source  0 -> 5" in table
    assert run.outputs["activeSite"] == "source"
    web = next(w for w in run.outputs["workloads"] if w["workload"] == "Deployment/web")
    assert web == {"workload": "Deployment/web", "original": 5, "originalFrom": "live on dr",
                   "source": {"live": 0, "desired": 5}, "dr": {"live": 5, "desired": 0}}


def test_bad_config_fails_with_every_problem_and_declares_nothing(source_cluster, dr_cluster,
                                                                  tmp_path):
    config = {**base_config(source_cluster, dr_cluster, tmp_path), "strategy": "lukewarm",
              "readinessTimeout": "soon", "excludeWorkloads": ["Pod/x"], "drContext": "nope"}
    with pytest.raises(pulumi.RunError) as raised:
        run_program(config, stack="source")
    message = str(raised.value)
    for key in ("drstack:strategy", "drstack:readinessTimeout", "drstack:excludeWorkloads",
                "drstack:drContext"):
        assert key in message
    assert "'lukewarm'" in message and "Fix:" in message
    assert source_cluster.requests == [] and dr_cluster.requests == []


def test_a_workload_on_one_site_only_fails_the_preview_naming_it(after_cutover, source_cluster):
    from drstack.testing.fakekube import objects as k8s

    source_cluster.put(k8s.deployment("cron", 1), SOURCE_NS)
    with pytest.raises(pulumi.RunError, match="Deployment/cron exists on source but not on dr"):
        run_program(after_cutover, stack="source")
    # Excluding it is the way out the message names.
    run = run_program({**after_cutover, "excludeWorkloads": ["Deployment/cron"]}, stack="source")
    assert all("cron" not in r.name for r in run.registrations)


def test_nothing_is_written_to_either_cluster_by_the_program(after_cutover, source_cluster,
                                                             dr_cluster):
    run_program(after_cutover, stack="source")
    assert source_cluster.writes() == [] and dr_cluster.writes() == []


def test_the_switch_takes_the_lease_first_and_the_ledger_releases_it(after_cutover):
    run = run_program(after_cutover, stack="source")

    lease = run.named("switch-lease")
    assert lease.inputs["holder"] == "source"
    assert lease.inputs["transition"] == "failback#5"
    assert lease.inputs["fromSite"] == "dr"
    assert {s["site"]: s["namespace"] for s in lease.inputs["sites"]} == {"source": SOURCE_NS,
                                                                         "dr": DR_NS}
    assert lease.dependencies == []
    for ledger_patch in run.of_type(NAMESPACE_PATCH):
        assert ledger_patch.inputs["metadata"]["annotations"][annotation_keys.LEDGER_LEASE] == ""


def test_a_lease_held_by_the_other_stack_stops_the_preview_naming_the_holder(after_cutover,
                                                                            dr_cluster):
    from drstack.model import Lease, Site

    namespace = dr_cluster.get("namespaces", None, DR_NS)
    held = Lease("dr", "2026-11-26T09:00:00+00:00", "cutover#5", Site.SOURCE)
    namespace["metadata"]["annotations"][annotation_keys.LEDGER_LEASE] = held.encode()
    dr_cluster.put(namespace)

    with pytest.raises(pulumi.RunError) as raised:
        run_program(after_cutover, stack="source")
    assert "a switch by stack 'dr' (cutover#5) holds the drstack lease" in str(raised.value)
    assert "drstack:breakLease true" in str(raised.value)

    run = run_program({**after_cutover, "breakLease": True}, stack="source")
    assert run.named("switch-lease").inputs["breakLease"] is True
    assert any("breaking the lease of stack 'dr'" in w for w in run.messages("warning"))


def test_failback_with_copy_orders_drain_then_copy_then_scale_up(failback_with_data):
    run = run_program(failback_with_data, stack="source")

    drain, copy, ready = run.named("dr-drain"), run.named("pvc-copy-into-source"), \
        run.named("source-ready")
    assert copy.dependencies == [drain.urn]
    assert scale(run, "source").dependencies == [copy.urn]
    assert ready.dependencies == [scale(run, "source").urn]
    assert copy.inputs["fromSite"] == "dr" and copy.inputs["toSite"] == "source"
    assert copy.inputs["transition"] == "failback#5"
    assert copy.inputs["pairs"] == [{"source": "data-db-0", "dr": "data-db-0"},
                                    {"source": "web-data", "dr": "web-data"}]
    assert copy.inputs["flags"] == ["--loadbalancer-timeout", "30m"]
    # The drain gate also waits for any pod that still mounts a claim about to be copied.
    assert sorted(drain.inputs["claims"]) == ["data-db-0", "web-data"]
    assert run.outputs["dataCopy"]["direction"] == "dr -> source"


def test_the_cutover_stack_does_not_copy_back_and_warm_never_copies(failback_with_data):
    # reverseMigratePvcData is the source stack's direction; the dr stack is steady here.
    steady = run_program(failback_with_data, stack="dr")
    assert steady.of_type("pulumi-python:dynamic/drstack:PvcMigration") == []
    with pytest.raises(pulumi.RunError, match="drstack:reverseMigratePvcData"):
        run_program({**failback_with_data, "strategy": "warm"}, stack="source")
    run = run_program({**failback_with_data, "strategy": "warm",
                       "reverseMigratePvcData": False}, stack="source")
    assert run.of_type("pulumi-python:dynamic/drstack:PvcMigration") == []


def test_a_flag_the_installed_pv_migrate_lacks_fails_the_preview_before_any_declaration(
        failback_with_data, source_cluster, dr_cluster):
    config = {**failback_with_data, "pvMigrateFlags": "--lbsvc-timeout 30m"}
    with pytest.raises(pulumi.RunError) as raised:
        run_program(config, stack="source")
    assert "--lbsvc-timeout" in str(raised.value) and "--loadbalancer-timeout" in str(raised.value)
    assert "3." in str(raised.value)
    assert source_cluster.writes() == [] and dr_cluster.writes() == []


def test_a_missing_pv_migrate_fails_a_switch_but_only_warns_in_steady_state(failback_with_data,
                                                                           tmp_path):
    missing = str(tmp_path / "nowhere" / "pv-migrate")
    config = {**failback_with_data, "pvMigratePath": missing}
    with pytest.raises(pulumi.RunError, match="pv-migrate"):
        run_program(config, stack="source")
    # The dr stack is steady here (DR serves); its copy direction is migratePvcData. A routine
    # preview already says that the next cutover's copy would not start.
    run = run_program({**config, "migratePvcData": True}, stack="dr")
    assert run.outputs["transition"] == "none"
    assert any("the next switch's data copy would fail" in w and missing in w
               for w in run.messages("warning"))


def test_a_returned_old_site_is_fenced_first_and_the_fencing_recorded(source_cluster, dr_cluster,
                                                                      tmp_path):
    # A disaster cutover left source untouched: it came back still running, with its old
    # ledger (generation 4, source active); DR has served since generation 5.
    populate(source_cluster, SOURCE_NS, deployments={"web": 3}, originals={"web": "3"},
             ledger_annotations=ledger("source", 4))
    populate(dr_cluster, DR_NS, deployments={"web": 3}, originals={"web": "3"},
             ledger_annotations=ledger("dr", 5))
    run = run_program(base_config(source_cluster, dr_cluster, tmp_path), stack="dr")

    assert run.outputs["transition"] == "none" and run.outputs["fencing"] is True
    assert replicas_of(run, "source", "Deployment/web") == 0
    assert replicas_of(run, "dr", "Deployment/web") == 3
    # Fencing comes before anything else: the scale-down depends only on the lease, and every
    # DR step comes after the source side's.
    assert scale(run, "source").dependencies == [run.named("switch-lease").urn]
    assert scale(run, "dr").dependencies == [run.named("source-drain").urn]
    for ledger_patch in run.of_type(NAMESPACE_PATCH):
        notes = ledger_patch.inputs["metadata"]["annotations"]
        assert notes[annotation_keys.LEDGER_ACTIVE_SITE] == "dr"
        assert notes[annotation_keys.LEDGER_GENERATION] == "5"
        assert notes[annotation_keys.LEDGER_FENCED_AT]


def test_going_back_after_a_failed_failback_restores_dr_from_the_recorded_originals(
        source_cluster, dr_cluster, tmp_path):
    from drstack.model import Lease, Site

    # The failback scaled DR to 0 (writing the originals on both sites), then its readiness
    # gate failed: source is at 0 too, the ledger still says dr, source's lease is still held.
    lease = {annotation_keys.LEDGER_LEASE:
             Lease("source", "2026-11-26T09:00:00+00:00", "failback#5", Site.DR).encode()}
    populate(source_cluster, SOURCE_NS, deployments={"web": 0}, originals={"web": "5"},
             ledger_annotations={**ledger("dr", 4), **lease})
    populate(dr_cluster, DR_NS, deployments={"web": 0}, originals={"web": "5"},
             ledger_annotations={**ledger("dr", 4), **lease})
    config = base_config(source_cluster, dr_cluster, tmp_path)
    with pytest.raises(pulumi.RunError, match="a switch by stack 'source'"):
        run_program(config, stack="dr")

    run = run_program({**config, "breakLease": True}, stack="dr")
    assert run.outputs["transition"] == "none"
    assert replicas_of(run, "dr", "Deployment/web") == 5
    assert replicas_of(run, "source", "Deployment/web") == 0
    # Re-running the failback instead also works, and needs no override.
    again = run_program(config, stack="source")
    assert again.outputs["transition"] == "failback"
    assert replicas_of(again, "source", "Deployment/web") == 5


def test_each_step_of_a_switch_carries_the_ways_out_and_a_steady_run_none(after_cutover):
    run = run_program(after_cutover, stack="source")

    expected = {"stack": "source", "otherStack": "dr", "fromSite": "dr", "toSite": "source",
                "strategy": "cold", "transition": "failback#5"}
    for name in ("dr-scale", "dr-drain", "source-scale", "source-ready"):
        assert run.named(name).inputs["recovery"] == expected, name
    steady = run_program(after_cutover, stack="dr")
    for name in ("source-scale", "dr-scale", "source-drain", "dr-ready"):
        assert "recovery" not in steady.named(name).inputs, name
