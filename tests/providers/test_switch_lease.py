"""SwitchLease against two fake clusters: taken by compare-and-swap, refused when held."""

from __future__ import annotations

import threading

import pytest
from pulumi.dynamic.dynamic import serialize_provider

from drstack import annotation_keys
from drstack.cluster.lease import LeaseHeld
from drstack.model import Lease
from drstack.providers import SKIPPED, LeaseSpec, SwitchLeaseProvider
from tests.providers.grpc_host import ProviderHost
from tests.providers.sites import DR_NS, SOURCE_NS, Sites, configured


def props(holder: str = "source", **over: object) -> dict:
    base = {"holder": holder, "transition": "failback#5", "fromSite": "dr", "breakLease": False,
            "sites": [{"site": "source", "namespace": SOURCE_NS},
                      {"site": "dr", "namespace": DR_NS}]}
    return {**base, **over}


def lease_on(sites: Sites, site: str):
    namespace = SOURCE_NS if site == "source" else DR_NS
    notes = sites.cluster(site).get("namespaces", None, namespace)["metadata"].get("annotations")
    return Lease.parse((notes or {}).get(annotation_keys.LEDGER_LEASE))


def test_a_switch_takes_the_lease_on_both_sites(sites: Sites) -> None:
    outs = configured(SwitchLeaseProvider, sites.config).create(props()).outs
    assert outs["result"] == "held" and outs["brokenLeases"] == []
    for site in ("source", "dr"):
        lease = lease_on(sites, site)
        assert lease.holder == "source" and lease.transition == "failback#5"
        assert lease.from_site.value == "dr"
    # A compare-and-swap: the namespace was replaced with the resourceVersion just read.
    [put] = [r for r in sites.source.writes() if r.method == "PUT"]
    assert put.body["metadata"]["resourceVersion"]


def test_the_other_stack_is_refused_and_takes_nothing(sites: Sites) -> None:
    configured(SwitchLeaseProvider, sites.config).create(props("dr", fromSite="source",
                                                                transition="cutover#5"))
    provider = configured(SwitchLeaseProvider, sites.config)
    with pytest.raises(LeaseHeld, match="a switch by stack 'dr' \\(cutover#5\\) holds"):
        provider.create(props("source"))
    assert lease_on(sites, "source").holder == "dr" and lease_on(sites, "dr").holder == "dr"


def test_a_partly_taken_lease_is_given_back(sites: Sites) -> None:
    # Leases are taken in sorted order, dr then source: source's switch takes the DR lease,
    # finds dr's stack holding the source one, and gives the DR lease back.
    configured(SwitchLeaseProvider, sites.config).create(
        props("dr", sites=[{"site": "source", "namespace": SOURCE_NS}]))
    with pytest.raises(LeaseHeld):
        configured(SwitchLeaseProvider, sites.config).create(props("source"))
    assert lease_on(sites, "dr") is None  # taken first, then released
    assert lease_on(sites, "source").holder == "dr"


def test_the_same_stack_re_running_its_switch_keeps_the_lease(sites: Sites) -> None:
    provider = configured(SwitchLeaseProvider, sites.config)
    provider.create(props())
    outs = provider.update("id", props(), props()).outs
    assert outs["result"] == "held" and outs["brokenLeases"] == []


def test_break_lease_takes_over_and_records_whose_lease_was_broken(sites: Sites) -> None:
    configured(SwitchLeaseProvider, sites.config).create(props("dr", transition="cutover#5"))
    outs = configured(SwitchLeaseProvider, sites.config).create(props(breakLease=True)).outs
    assert {b["holder"] for b in outs["brokenLeases"]} == {"dr"}
    assert lease_on(sites, "source").holder == "source"


def test_two_stacks_racing_end_with_exactly_one_holder(sites: Sites) -> None:
    results: dict[str, str] = {}
    barrier = threading.Barrier(2)

    def switch(holder: str) -> None:
        provider = configured(SwitchLeaseProvider, sites.config)
        barrier.wait()
        try:
            provider.create(props(holder))
            results[holder] = "held"
        except LeaseHeld:
            results[holder] = "refused"

    threads = [threading.Thread(target=switch, args=(h,)) for h in ("source", "dr")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results.values()) == ["held", "refused"]
    winner = next(h for h, r in results.items() if r == "held")
    assert lease_on(sites, "source").holder == lease_on(sites, "dr").holder == winner


def test_a_conflict_between_read_and_write_is_re_read_and_judged_again(sites: Sites) -> None:
    sites.source.conflict_next(1, path_contains=f"/namespaces/{SOURCE_NS}")
    configured(SwitchLeaseProvider, sites.config).create(props())
    assert lease_on(sites, "source").holder == "source"
    puts = [r for r in sites.source.requests if r.method == "PUT"]
    assert [r.status for r in puts] == [409, 200]


def test_steady_state_takes_no_lease_and_shows_no_change(sites: Sites) -> None:
    provider = configured(SwitchLeaseProvider, sites.config)
    steady = props(transition="none")
    assert provider.diff("id", steady, steady).changes is False
    assert provider.create(steady).outs["result"] == SKIPPED
    assert sites.source.requests == [] and sites.dr.requests == []


def test_check_reports_bad_inputs() -> None:
    bad = props(holder="", fromSite="prod", breakLease="yes",
                sites=[{"site": "moon", "namespace": ""}])
    failures = {f.property for f in SwitchLeaseProvider().check({}, bad).failures}
    assert failures == {"holder", "fromSite", "breakLease", "sites[0].site", "sites[0].namespace"}


def test_through_the_dynamic_provider_host(sites: Sites) -> None:
    provider = serialize_provider(SwitchLeaseProvider())
    with ProviderHost() as host:
        host.configure(sites.config)
        inputs, failures = host.check("SwitchLease", provider, {}, props())
        assert failures == []
        _, outs = host.create("SwitchLease", provider, inputs)
        assert outs["result"] == "held"
        with pytest.raises(Exception, match="holds the drstack lease"):
            host.create("SwitchLease", provider, props("dr"))
    assert lease_on(sites, "dr").holder == "source"


def test_the_spec_reads_back_what_it_writes() -> None:
    spec, inputs = LeaseSpec.from_props(props(breakLease=True))
    assert inputs.failures == [] and not inputs.incomplete
    assert spec.to_props() == props(breakLease=True)  # the sites in the order declared
    assert LeaseSpec.from_props(spec.to_props())[0] == spec


def test_a_re_run_of_the_same_switch_keeps_its_lease_as_first_taken(sites: Sites) -> None:
    first = configured(SwitchLeaseProvider, sites.config).create(props()).outs
    taken = {site: lease_on(sites, site) for site in ("source", "dr")}
    sites.clear_logs()

    again = configured(SwitchLeaseProvider, sites.config).update("lease-1", first, props())

    # Same holder, same switch: the lease and its time stay as they were, and nothing is
    # written (what the switch recorded under it, e.g. a finished copy, stays valid).
    assert {site: lease_on(sites, site) for site in ("source", "dr")} == taken
    assert again.outs["acquiredAt"] == first["acquiredAt"]
    assert sites.source.writes() == [] and sites.dr.writes() == []
    # Another switch by the same stack is a new lease.
    configured(SwitchLeaseProvider, sites.config).update(
        "lease-1", first, props(transition="failback#6"))
    assert lease_on(sites, "source").transition == "failback#6"
