"""What `check` asks of the clusters: the program's reads, once for both directions, whatever
the number of workloads; never a write (the conftest asserts it after every test); and what it
says when a site cannot be read."""

from __future__ import annotations

from drstack.config import load_config
from drstack.program.snapshots import read_snapshots
from drstack.testing.fakekube import objects as k8s
from tests.check.conftest import Pair, serve


def reads(pair: Pair) -> dict[str, list[tuple[str, str]]]:
    return {site: [(r.method, r.path) for r in pair.server(site).requests]
            for site in ("source", "dr")}


def test_one_direction_reads_exactly_what_that_stacks_program_reads(pair: Pair):
    serve(pair, "source")

    assert pair.check("--stack", "dr").code == 0
    checked = reads(pair)
    for site in ("source", "dr"):
        pair.server(site).clear_log()
    read_snapshots(load_config(pair.sites, stack="dr"))  # the program's reading, cutover

    assert {site: sorted(paths) for site, paths in checked.items()} == {
        site: sorted(paths) for site, paths in reads(pair).items()}
    assert len(checked["source"]) == 4 and len(checked["dr"]) == 5  # + LIST nodes on dr


def test_both_directions_share_one_read_of_five_requests_per_site(pair: Pair):
    serve(pair, "source")

    assert pair.check().code == 0

    for site, namespace in (("source", "my-app"), ("dr", "my-app-dr")):
        assert sorted(reads(pair)[site]) == sorted([
            ("GET", f"/api/v1/namespaces/{namespace}"),
            ("GET", f"/apis/apps/v1/namespaces/{namespace}/deployments"),
            ("GET", f"/apis/apps/v1/namespaces/{namespace}/statefulsets"),
            ("GET", f"/api/v1/namespaces/{namespace}/persistentvolumeclaims"),
            ("GET", "/api/v1/nodes"),
        ])


def test_the_number_of_requests_does_not_grow_with_the_workloads(pair: Pair):
    serve(pair, "source")
    for index in range(40):
        pair.source.put(k8s.deployment(f"extra-{index}", 1), "my-app")
        pair.dr.put(k8s.deployment(f"extra-{index}", 0, annotations={
            "dr-syncer.io/original-replicas": "1"}), "my-app-dr")

    assert pair.check().code == 0
    assert [len(paths) for paths in reads(pair).values()] == [5, 5]


def test_an_unreachable_dr_blocks_both_directions_and_only_the_way_away_from_it_is_offered(
        pair: Pair):
    serve(pair, "source")
    pair.dr.refuse_connections()

    checked = pair.check("--json", "--timeout", "1")

    assert checked.code == 2
    [cutover] = checked.messages("cutover", "error")
    assert cutover.startswith("site dr (being made active) cannot be reached: read namespace "
                              "my-app-dr on site dr: gave up after")
    assert "oldSiteUnreachable" not in cutover
    [failback] = checked.messages("failback", "error")
    assert failback.startswith("site dr cannot be reached")
    assert "pulumi config set -s source drstack:oldSiteUnreachable true" in failback
    assert checked.direction("cutover")["sites"]["dr"]["read"] == "unreachable"
    assert checked.direction("cutover")["sites"]["source"]["read"] == "ok"


def test_with_neither_site_reachable_nothing_can_be_judged(pair: Pair):
    serve(pair, "source")
    pair.source.refuse_connections()
    pair.dr.refuse_connections()

    checked = pair.check("--json", "--timeout", "1")

    assert checked.code == 3
    assert {d["status"] for d in checked.json["directions"]} == {"not-checked"}
    assert checked.json["lastSwitch"] is None
    assert len(checked.messages("cutover", "error")) == 2


def test_a_site_that_refuses_the_credentials_blocks_naming_the_keys_and_the_rbac(pair: Pair):
    serve(pair, "source")
    pair.source.fail_next(1, 403, path_contains="/namespaces/my-app")

    checked = pair.check("--json")

    assert checked.code == 2
    [error] = checked.messages("failback", "error")
    assert error.startswith("site source: the API server answered HTTP 403 Forbidden (the "
                            "credentials may not read this namespace). Fix: check the user of "
                            "drstack:sourceKubeconfig / drstack:sourceContext")
    assert checked.direction("failback")["sites"]["source"]["read"] == "refused"


def test_a_site_declared_lost_is_not_contacted_by_its_stacks_check(pair: Pair):
    serve(pair, "dr", generation=3)
    pair.configure("dr", oldSiteUnreachable=True)

    checked = pair.check("--json", "--stack", "dr")

    assert pair.source.requests == []
    assert checked.direction("cutover")["sites"]["source"]["read"] == "declared unreachable"
    # The program's warning that the lost site must be fenced when it is back.
    assert checked.code == 1, checked.out
    [warning] = checked.messages("cutover", "warning")
    assert "site source is declared unreachable (drstack:oldSiteUnreachable)" in warning
