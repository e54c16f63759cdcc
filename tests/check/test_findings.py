"""Every finding `check` reports, in the direction(s) it concerns, with the exit code it gives.

The findings are the program's own (config validation, drstack.cluster.pair, the pre-flight):
tests/program and tests/faults assert the same texts in `pulumi preview`.
"""

from __future__ import annotations

import re

from drstack.model import Lease, Site
from drstack.testing.fake_pvmigrate import write_fake_pvmigrate
from drstack.testing.fakekube import objects as k8s
from tests.check.conftest import SWITCHED_AT, Pair, serve


def test_a_pair_serving_on_source_is_ready_to_cut_over_with_nothing_to_fail_back(pair: Pair):
    serve(pair, "source")

    checked = pair.check("--json")

    assert checked.code == 0, checked.out
    cutover, failback = checked.direction("cutover"), checked.direction("failback")
    assert (cutover["stack"], cutover["makesActive"], cutover["status"], cutover["run"]) == (
        "dr", "dr", "ready", "cutover")
    assert cutover["steps"] == ["scale-down source", "drain source", "scale-up dr", "ready dr",
                                "verify dr"]
    assert (failback["stack"], failback["status"], failback["run"]) == ("source", "ready", "none")
    assert {f["severity"] for d in (cutover, failback) for f in d["findings"]} == {"info"}


def test_no_ready_node_on_dr_blocks_the_cutover_only(pair: Pair):
    serve(pair, "source")
    pair.dr.delete("Node", None, "node-1")

    checked = pair.check("--json")

    assert checked.code == 2
    assert checked.direction("cutover")["status"] == "blocked"
    assert any("site dr (being made active) has no Ready node" in m
               for m in checked.messages("cutover", "error"))
    assert checked.direction("failback")["status"] == "ready"
    assert checked.direction("cutover")["sites"]["dr"]["readyNodes"] == 0


def test_a_workload_on_one_site_only_blocks_both_directions(pair: Pair):
    serve(pair, "source")
    pair.source.put(k8s.deployment("lonely", 1), "my-app")

    checked = pair.check("--json")

    assert checked.code == 2
    for direction in ("cutover", "failback"):
        assert any(m.startswith("Deployment/lonely exists on source but not on dr")
                   for m in checked.messages(direction, "error")), direction


def test_an_unknown_original_blocks_and_prints_the_command_that_sets_it(pair: Pair):
    serve(pair, "source")
    # Scaled to 0 by hand on source, with no original recorded anywhere.
    pair.source.put(k8s.deployment("worker", 0), "my-app")
    pair.dr.put(k8s.deployment("worker", 0), "my-app-dr")

    checked = pair.check("--json")

    assert checked.code == 2
    cutover = checked.messages("cutover", "error")
    assert any("Deployment/worker: original replica count unknown" in m for m in cutover)
    assert any("Fix: pulumi config set -s dr --path 'drstack:replicaOverrides[0]' "
               "Deployment/worker=COUNT" in m for m in cutover)


def test_image_drift_warns_naming_the_site_that_may_be_behind(pair: Pair):
    serve(pair, "source", images={"source": "app:2", "dr": "app:1"})

    checked = pair.check("--json")

    assert checked.code == 1
    assert checked.json["status"] == "warnings"
    [cutover] = [m for m in checked.messages("cutover", "warning") if "Deployment/web" in m]
    assert cutover == ("Deployment/web runs different images: source ['app:2'], dr ['app:1']; "
                       "dr, the site being made active, may run a stale copy (source, which "
                       "served last, may be newer): check it before going on")
    [failback] = [m for m in checked.messages("failback", "warning") if "Deployment/web" in m]
    assert "dr, the passive site, may run a stale copy" in failback


def with_claims(pair: Pair, *, dr_phase: str | None = "Bound") -> None:
    """Source serves web, which mounts web-data; DR has its counterpart in ``dr_phase`` (None:
    none at all); the dr stack copies data at cutover."""
    serve(pair, "source")
    pair.source.put(k8s.deployment("web", 3, claim_names=("web-data",)), "my-app")
    pair.source.put(k8s.pvc("web-data"), "my-app")
    if dr_phase is not None:
        pair.dr.put(k8s.pvc("web-data", phase=dr_phase), "my-app-dr")
    binary = write_fake_pvmigrate(pair.project.parent / "fake", major=3)
    pair.configure("dr", migratePvcData=True, pvMigratePath=str(binary))


def test_a_claim_to_copy_without_a_counterpart_blocks_the_cutover(pair: Pair):
    with_claims(pair, dr_phase=None)

    checked = pair.check("--json", "--stack", "dr")

    assert checked.code == 2
    assert any(m.startswith("PVC web-data on source has no counterpart 'web-data' on dr")
               for m in checked.messages("cutover", "error"))


def test_a_claim_to_copy_that_is_not_bound_blocks_the_cutover(pair: Pair):
    with_claims(pair, dr_phase="Pending")

    checked = pair.check("--json", "--stack", "dr")

    assert checked.code == 2
    assert ("PVC web-data on dr is Pending, not Bound; pv-migrate needs a bound volume on both "
            "sides") in checked.messages("cutover", "error")


def test_claims_that_pair_and_are_bound_are_ready_to_copy(pair: Pair):
    with_claims(pair)

    checked = pair.check("--json", "--stack", "dr")

    assert checked.code == 0, checked.out
    assert "copy source -> dr" in checked.direction("cutover")["steps"]


def test_pv_migrate_missing_blocks_the_switch_that_copies(pair: Pair):
    with_claims(pair)
    missing = str(pair.project.parent / "nowhere" / "pv-migrate")
    pair.configure("dr", pvMigratePath=missing)

    checked = pair.check("--json")

    assert checked.code == 2
    [error] = [m for m in checked.messages("cutover", "error") if missing in m]
    assert "does not exist" in error
    assert checked.direction("failback")["status"] == "ready"  # source copies nothing


def test_pv_migrate_rejecting_the_configured_flags_blocks_the_switch_that_copies(pair: Pair):
    with_claims(pair)
    pair.configure("dr", pvMigrateFlags="--lbsvc-timeout 30m")

    checked = pair.check("--json", "--stack", "dr")

    assert checked.code == 2
    errors = " ".join(checked.messages("cutover", "error"))
    assert "--lbsvc-timeout is not a flag of pv-migrate 3.x" in errors
    assert "use --loadbalancer-timeout" in errors


def test_a_lease_held_by_one_stack_blocks_the_other_direction_and_shows_in_the_site_table(
        pair: Pair):
    serve(pair, "source")
    lease = Lease("dr", "2026-11-27T09:00:00+00:00", "cutover#2", Site.SOURCE).encode()
    for site in ("source", "dr"):
        namespace = pair.server(site).get("Namespace", None, pair.namespace(site))
        assert namespace is not None
        namespace["metadata"]["annotations"]["drstack.io/lease"] = lease
        pair.server(site).put(namespace)

    checked = pair.check()

    assert checked.code == 2
    assert "held by stack dr (cutover#2) since 2026-11-27T09:00:00+00:00" in checked.out
    assert re.search(r"failback to source \(pulumi up -s source\): BLOCKED, 2 errors\n"
                     r"  error +lease +site source: a switch by stack 'dr' \(cutover#2\) holds "
                     r"the drstack lease", checked.out), checked.out
    # The dr stack would re-run its own switch: nothing stops the cutover.
    assert re.search(r"cutover to dr \(pulumi up -s dr\): READY\n", checked.out), checked.out


def test_stack_files_that_describe_different_sites_block_both_directions(pair: Pair):
    serve(pair, "source")
    pair.configure("dr", drNamespace="my-app-staging")

    checked = pair.check()

    assert checked.code == 2
    assert ("drstack:drNamespace = 'my-app-dr': differs from the other stack's: stack dr "
            "(Pulumi.dr.yaml) has 'my-app-staging'") in checked.out
    assert ("drstack:drNamespace = 'my-app-staging': differs from the other stack's: stack "
            "source (Pulumi.source.yaml) has 'my-app-dr'") in checked.out
    # Each stack is judged on the sites it describes: two tables.
    assert "the sites as stack dr describes them:" in checked.out
    assert "the sites as stack source describes them:" in checked.out
    assert "namespace 'my-app-staging' does not exist on site dr" in checked.out


def test_split_brain_warns_in_both_directions_with_what_each_run_does_about_it(pair: Pair):
    serve(pair, "source")
    pair.dr.put(k8s.deployment("web", 2), "my-app-dr")  # scaled up on DR by hand

    checked = pair.check("--json")

    assert checked.code == 1
    [cutover] = [m for m in checked.messages("cutover", "warning") if "split brain" in m]
    assert cutover == ("split brain: site dr runs Deployment/web (2 replicas), though source is "
                       "the active site (ledger generation 1); this cutover keeps them and "
                       "scales source to 0 (no data is copied)")
    [failback] = [m for m in checked.messages("failback", "warning") if "split brain" in m]
    assert failback.endswith("this run fences dr: scales it to 0 first")
    assert checked.direction("failback")["run"] == "none"


def test_split_brain_blocks_a_switch_that_would_copy_under_running_pods(pair: Pair):
    with_claims(pair)
    pair.dr.put(k8s.deployment("web", 3, claim_names=("web-data",)), "my-app-dr")

    checked = pair.check("--json", "--stack", "dr")

    assert checked.code == 2
    [error] = [m for m in checked.messages("cutover", "error") if "split brain" in m]
    assert "drstack never copies under running pods" in error


def test_the_last_switch_and_its_age_are_reported(pair: Pair):
    serve(pair, "dr", generation=4)

    checked = pair.check()
    as_json = pair.check("--json").json

    assert checked.code == 0, checked.out
    line = re.search(r"^last switch: generation 4, cutover to dr by stack dr at "
                     + re.escape(SWITCHED_AT) + r" \((\d+) days ago\)$", checked.out, re.M)
    assert line, checked.out
    last = as_json["lastSwitch"]
    assert (last["generation"], last["activeSite"], last["transition"], last["switchedAt"]) == (
        4, "dr", "cutover", SWITCHED_AT)
    assert int(last["ageSeconds"] // 86400) == int(line.group(1))
    # The same finding the program logs (tests/program/test_ledger_findings.py).
    assert any(m.startswith("last switch: generation 4") for m in
               [f["message"] for f in as_json["directions"][0]["findings"]
                if f["severity"] == "info"])


def test_no_ledger_yet_says_so_and_the_first_run_adopts(pair: Pair):
    serve(pair, "source")
    for site in ("source", "dr"):
        pair.server(site).put(k8s.namespace(pair.namespace(site)))  # no ledger annotations

    checked = pair.check()

    assert checked.code == 0, checked.out
    assert "last switch: none recorded (no drstack ledger on the sites read)" in checked.out
    assert ("would: adopt: record source as active (no ledger; only source runs the "
            "workloads); no workload count changes") in checked.out
