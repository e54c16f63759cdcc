"""build_plan: what a switch, a steady-state run, an adoption or a fencing run will do."""

from __future__ import annotations

import dataclasses

import pytest

from drstack.model import Strategy
from drstack.planner import (
    Phase,
    Plan,
    PlanError,
    PvcPair,
    Severity,
    Step,
    Transition,
    assess,
    build_plan,
)

from .snapshots import DR, EARLIER, NOW, SOURCE, config, ledger, pvc, snap, snaps, wl

COLD, WARM = Strategy.COLD, Strategy.WARM


def plan_for(cfg, snapshots) -> Plan:
    return build_plan(cfg, snapshots, now=NOW)


def counts(plan: Plan) -> dict[str, tuple[int, int]]:
    """Workload name -> (desired on source, desired on dr)."""
    return {w.ref.name: (w.desired_source, w.desired_dr) for w in plan.workloads}


def originals(plan: Plan) -> dict[str, int]:
    return {w.ref.name: w.original for w in plan.workloads}


def plan_error(cfg, snapshots) -> PlanError:
    with pytest.raises(PlanError) as info:
        plan_for(cfg, snapshots)
    return info.value


# --- transitions ------------------------------------------------------------------------------


def source_serving(gen: int = 2):
    return snaps(
        snap(SOURCE, wl("web", 3), wl("StatefulSet/db", 1), led=ledger(SOURCE, gen)),
        snap(DR, wl("web", 0), wl("StatefulSet/db", 0), led=ledger(SOURCE, gen)),
    )


def dr_serving(gen: int = 3):
    return snaps(
        snap(SOURCE, wl("web", 0, "3"), wl("StatefulSet/db", 0, "1"), led=ledger(DR, gen)),
        snap(DR, wl("web", 4), wl("StatefulSet/db", 1), led=ledger(DR, gen)),
    )


def test_cutover_moves_every_workload_to_dr_and_writes_the_next_ledger_generation():
    plan = plan_for(config(DR), source_serving(gen=2))
    assert plan.transition is Transition.CUTOVER
    assert plan.last_active_site is SOURCE
    assert counts(plan) == {"db": (0, 1), "web": (0, 3)}
    assert (plan.ledger.active_site, plan.ledger.generation, plan.ledger.switched_at,
            plan.ledger.stack, plan.ledger.transition) == (DR, 3, NOW, "dr", "cutover")
    assert plan.transition_id == "cutover#3"
    assert not plan.fencing


def test_failback_restores_source_with_the_counts_dr_runs_now():
    plan = plan_for(config(SOURCE), dr_serving(gen=3))
    assert plan.transition is Transition.FAILBACK
    # dr was scaled to 4 since the cutover: the live count beats the old annotation 3.
    assert counts(plan) == {"db": (1, 0), "web": (4, 0)}
    assert (plan.ledger.active_site, plan.ledger.generation, plan.ledger.stack,
            plan.ledger.transition) == (SOURCE, 4, "source", "failback")
    assert plan.transition_id == "failback#4"


@pytest.mark.parametrize("active, snapshots", [(SOURCE, source_serving(5)), (DR, dr_serving(5))],
                         ids=["source-stack", "dr-stack"])
def test_steady_state_keeps_counts_and_the_ledger_exactly_as_recorded(active, snapshots):
    plan = plan_for(config(active), snapshots)
    assert plan.transition is Transition.NONE
    assert plan.transition_id == "none"
    for w in plan.workloads:
        assert w.desired(active) == w.live(active)
        assert w.desired(active.other) == 0
    recorded = snapshots[active].ledger
    assert plan.ledger.annotations() == {
        "drstack.io/active-site": active.value,
        "drstack.io/generation": "5",
        "drstack.io/switched-at": EARLIER,
        "drstack.io/stack": recorded.stack,
        "drstack.io/transition": recorded.transition,
        "drstack.io/lease": "",  # free: nothing in steady state holds it
    }
    assert not plan.fencing


def test_steady_state_puts_the_passive_site_first_even_for_warm():
    for strategy in (COLD, WARM):
        plan = plan_for(config(SOURCE, strategy=strategy), source_serving())
        assert plan.steps == (Step(Phase.SCALE_DOWN, DR), Step(Phase.DRAIN, DR),
                              Step(Phase.SCALE_UP, SOURCE), Step(Phase.READY, SOURCE),
                              Step(Phase.VERIFY, SOURCE))


def dr_syncer_cutover_state(dr_web: int = 3):
    """What DR-Syncer's Cutover leaves: source at 0 annotated, dr running, no drstack ledger."""
    return snaps(
        snap(SOURCE, wl("web", 0, "3"), wl("StatefulSet/db", 0, "1")),
        snap(DR, wl("web", dr_web), wl("StatefulSet/db", 1)),
    )


def test_first_run_on_dr_after_a_dr_syncer_cutover_adopts_the_pair_without_change():
    plan = plan_for(config(DR), dr_syncer_cutover_state())
    assert plan.transition is Transition.NONE
    assert counts(plan) == {"db": (0, 1), "web": (0, 3)}
    assert (plan.ledger.active_site, plan.ledger.generation, plan.ledger.switched_at,
            plan.ledger.stack, plan.ledger.transition) == (DR, 1, NOW, "dr", "adopt")
    assert "no ledger" in plan.last_active_reason
    assert plan.adopting and plan.transition_name == "adopt" and not plan.changes_counts


def test_only_the_first_run_adopts():
    assert plan_for(config(DR), dr_serving()).transition_name == "none"
    first_switch = plan_for(config(SOURCE), dr_syncer_cutover_state())
    assert not first_switch.adopting and first_switch.transition_name == "failback"


def test_first_failback_after_a_dr_syncer_cutover_restores_source():
    plan = plan_for(config(SOURCE), dr_syncer_cutover_state(dr_web=5))
    assert plan.transition is Transition.FAILBACK
    # HPA took dr's web to 5: that count moves back, not the stale annotation 3.
    assert counts(plan) == {"db": (1, 0), "web": (5, 0)}
    assert (plan.ledger.generation, plan.ledger.transition) == (1, "failback")


def test_dr_syncer_flaw_failback_without_earlier_cutover_does_not_leave_source_at_zero():
    # DR-Syncer's Failback with no cutover before it scales source to 0 for lack of an annotation.
    snapshots = snaps(snap(SOURCE, wl("web", 4), wl("api", 2)),
                      snap(DR, wl("web", 0), wl("api", 0)))
    plan = plan_for(config(SOURCE), snapshots)
    assert plan.transition is Transition.NONE
    assert counts(plan) == {"api": (2, 0), "web": (4, 0)}
    assert (plan.ledger.generation, plan.ledger.transition) == (1, "adopt")


def test_the_newest_ledger_across_sites_decides_not_which_site_runs():
    # dr's ledger (gen 7, dr active) is newer than source's (gen 6); source runs something
    # again (it came back after a disaster): still a steady state on dr, with fencing.
    snapshots = snaps(snap(SOURCE, wl("web", 2, "2"), led=ledger(SOURCE, 6)),
                      snap(DR, wl("web", 2), led=ledger(DR, 7)))
    plan = plan_for(config(DR), snapshots)
    assert plan.last_active_site is DR
    assert plan.transition is Transition.NONE
    assert "generation 7" in plan.last_active_reason
    plan = plan_for(config(SOURCE), snapshots)
    assert plan.transition is Transition.FAILBACK
    assert plan.ledger.generation == 8


# --- originals --------------------------------------------------------------------------------


def both_stopped(source_ann: str | None, dr_ann: str | None = None, gen: int = 2):
    """A cold cutover that died after scaling source down: both sites at 0, ledger still old."""
    return snaps(snap(SOURCE, wl("web", 0, source_ann), led=ledger(SOURCE, gen)),
                 snap(DR, wl("web", 0, dr_ann), led=ledger(SOURCE, gen)))


GARBAGE = ["abc", "-1", "", "1e3", "3.0", "+3", str(2**31), "99999999999999999999", "²", "٣"]


@pytest.mark.parametrize("value", GARBAGE)
def test_a_garbage_annotation_is_ignored_with_a_warning_naming_workload_site_and_value(value):
    plan = plan_for(config(DR, overrides={"web": 2}), both_stopped(value))
    assert originals(plan) == {"web": 2}
    assert plan.workloads[0].original_from == "replicaOverrides"
    [warning] = [w for w in plan.warnings if "annotation" in w]
    assert "Deployment/web" in warning and "source" in warning and repr(value) in warning


@pytest.mark.parametrize("value", GARBAGE)
def test_a_garbage_annotation_and_no_override_stops_the_plan_naming_the_workload_and_fix(value):
    error = plan_error(config(DR), both_stopped(value))
    [problem] = error.problems
    assert "Deployment/web" in problem
    assert "drstack:replicaOverrides" in problem and "Deployment/web=COUNT" in problem


def test_garbage_on_one_site_falls_back_to_the_valid_record_on_the_other():
    plan = plan_for(config(DR), both_stopped("abc", "4"))
    assert originals(plan) == {"web": 4}
    assert any("'abc'" in w for w in plan.warnings)


def test_whitespace_around_a_valid_count_is_read_as_that_count():
    # " 3 " is not garbage: it names a count unambiguously, and dropping it would lose it.
    plan = plan_for(config(DR), both_stopped(" 3 "))
    assert originals(plan) == {"web": 3}


def test_the_last_active_sites_record_comes_first():
    plan = plan_for(config(DR), both_stopped("2", "5"))
    assert originals(plan) == {"web": 2}
    assert plan.workloads[0].original_from == "annotation on source"


def test_a_non_zero_record_beats_a_zero_one_on_either_site():
    assert originals(plan_for(config(DR), both_stopped("0", "5"))) == {"web": 5}
    assert originals(plan_for(config(DR), both_stopped("5", "0"))) == {"web": 5}


def test_annotation_beats_override_and_override_is_the_last_resort():
    assert originals(plan_for(config(DR, overrides={"web": 9}), both_stopped("3"))) == {"web": 3}
    assert originals(plan_for(config(DR, overrides={"web": 9}), both_stopped(None))) == {"web": 9}


def test_hpa_scaled_live_count_on_the_active_site_beats_the_annotation():
    snapshots = snaps(snap(SOURCE, wl("web", 7, "3"), led=ledger(SOURCE, 2)),
                      snap(DR, wl("web", 0, "3"), led=ledger(SOURCE, 2)))
    steady = plan_for(config(SOURCE), snapshots)
    assert counts(steady) == {"web": (7, 0)}
    assert steady.workloads[0].original_from == "live on source"
    assert counts(plan_for(config(DR), snapshots)) == {"web": (0, 7)}


def test_a_failed_cold_cutover_rerun_replans_the_same_switch():
    first = plan_for(config(DR), snaps(
        snap(SOURCE, wl("web", 3), wl("StatefulSet/db", 2), led=ledger(SOURCE, 4)),
        snap(DR, wl("web", 0), wl("StatefulSet/db", 0), led=ledger(SOURCE, 4))))
    # The first run scaled source to 0 (recording the originals) and died before dr was up.
    rerun = plan_for(config(DR), snaps(
        snap(SOURCE, wl("web", 0, "3"), wl("StatefulSet/db", 0, "2"), led=ledger(SOURCE, 4)),
        snap(DR, wl("web", 0), wl("StatefulSet/db", 0), led=ledger(SOURCE, 4))))
    assert rerun.transition is first.transition is Transition.CUTOVER
    assert rerun.transition_id == first.transition_id == "cutover#5"
    assert counts(rerun) == counts(first) == {"db": (0, 2), "web": (0, 3)}
    assert rerun.steps == first.steps


def test_a_failed_cold_failback_rerun_replans_the_same_switch():
    rerun = plan_for(config(SOURCE), snaps(
        snap(SOURCE, wl("web", 0, "3"), led=ledger(DR, 5)),
        snap(DR, wl("web", 0, "6"), led=ledger(DR, 5))))
    assert rerun.transition is Transition.FAILBACK
    assert rerun.transition_id == "failback#6"
    # dr (the last active site) recorded 6 when it was scaled down: its record comes first.
    assert counts(rerun) == {"web": (6, 0)}


# --- pairing and overrides --------------------------------------------------------------------


def test_unpaired_workloads_are_all_named():
    error = plan_error(config(DR), snaps(snap(SOURCE, wl("web", 2), wl("cron", 1)),
                                         snap(DR, wl("web", 0), wl("StatefulSet/cache", 0, "1"))))
    assert len(error.problems) == 2
    text = str(error)
    assert "Deployment/cron exists on source but not on dr" in text
    assert "StatefulSet/cache exists on dr but not on source" in text
    assert "excludeWorkloads" in text


def test_an_override_for_an_unknown_workload_is_an_error():
    error = plan_error(config(DR, overrides={"wbe": 3}), source_serving())
    [problem] = error.problems
    assert "Deployment/wbe" in problem and "replicaOverrides" in problem


def test_all_plan_problems_are_reported_at_once():
    error = plan_error(config(DR, overrides={"ghost": 1}),
                       snaps(snap(SOURCE, wl("web", 0, "x"), wl("lonely", 1),
                                  led=ledger(SOURCE, 1)),
                             snap(DR, wl("web", 0), led=ledger(SOURCE, 1))))
    assert len(error.problems) == 3  # lonely unpaired, ghost unknown, web has no original
    assert "3 problem(s)" in str(error)


def test_different_images_on_the_two_sites_warn():
    plan = plan_for(config(DR), snaps(snap(SOURCE, wl("web", 2, images=("web:2",))),
                                      snap(DR, wl("web", 0, images=("web:1",)))))
    [warning] = plan.warnings
    assert "Deployment/web" in warning and "web:2" in warning and "web:1" in warning
    assert not plan_for(config(DR), source_serving()).warnings


def test_a_failback_names_source_being_made_active_as_the_site_whose_copy_may_be_stale():
    # It said "the DR copy may be stale" on a failback too, where DR served and is the newer.
    snapshots = snaps(snap(SOURCE, wl("web", 0, "2", images=("web:1",)), led=ledger(DR, 3)),
                      snap(DR, wl("web", 2, images=("web:2",)), led=ledger(DR, 3)))
    [failback] = plan_for(config(SOURCE), snapshots).warnings
    assert failback == (
        "Deployment/web runs different images: source ['web:1'], dr ['web:2']; source, the site "
        "being made active, may run a stale copy (dr, which served last, may be newer): check "
        "it before going on")
    [steady] = plan_for(config(DR), snapshots).warnings
    assert steady.endswith("source, the passive site, may run a stale copy (dr serves and may be "
                           "newer): a switch to source would start its images")


def test_a_cutover_names_dr_being_made_active_as_the_site_whose_copy_may_be_stale():
    snapshots = snaps(snap(SOURCE, wl("web", 2, images=("web:2",)), led=ledger(SOURCE, 3)),
                      snap(DR, wl("web", 0, images=("web:1",)), led=ledger(SOURCE, 3)))
    [cutover] = plan_for(config(DR), snapshots).warnings
    assert "; dr, the site being made active, may run a stale copy (source, which" in cutover


def test_a_missing_namespace_or_an_unreadable_active_site_stops_the_plan():
    error = plan_error(config(DR),
                       snaps(snap(SOURCE, wl("web", 1)), snap(DR, namespace_exists=False)))
    assert "'shop-dr' does not exist on site dr" in str(error)
    assert "drstack:drNamespace" in str(error)
    error = plan_error(config(DR, old_site_unreachable=True),
                       snaps(snap(SOURCE, wl("web", 1)), snap(DR, wl("web", 0), reachable=False)))
    assert "(dr) cannot be read" in str(error)


# --- ambiguity --------------------------------------------------------------------------------


AMBIGUOUS = {
    "both-running": snaps(snap(SOURCE, wl("web", 2)), snap(DR, wl("web", 2))),
    "neither-running": snaps(snap(SOURCE, wl("web", 0, "2")), snap(DR, wl("web", 0))),
    "ledgers-disagree": snaps(snap(SOURCE, wl("web", 0, "2"), led=ledger(SOURCE, 3)),
                              snap(DR, wl("web", 2), led=ledger(DR, 3))),
}


@pytest.mark.parametrize("name", AMBIGUOUS)
@pytest.mark.parametrize("active", [SOURCE, DR])
def test_an_ambiguous_state_asks_for_assume_active_site(name, active):
    error = plan_error(config(active), AMBIGUOUS[name])
    assert "pulumi config set drstack:assumeActiveSite" in str(error)


@pytest.mark.parametrize("name", AMBIGUOUS)
def test_assume_active_site_resolves_the_ambiguity(name):
    plan = plan_for(config(DR, assume=SOURCE), AMBIGUOUS[name])
    assert plan.last_active_site is SOURCE
    assert plan.transition is Transition.CUTOVER
    assert counts(plan) == {"web": (0, 2)}
    assert "assumeActiveSite" in plan.last_active_reason
    assert not any("ignored" in w for w in plan.warnings)
    plan = plan_for(config(DR, assume=DR), AMBIGUOUS[name])
    assert plan.transition is Transition.NONE


def test_assume_active_site_is_ignored_with_a_warning_when_the_state_is_clear():
    plan = plan_for(config(DR, assume=DR), source_serving())
    assert plan.last_active_site is SOURCE and plan.transition is Transition.CUTOVER
    [warning] = [w for w in plan.warnings if "assumeActiveSite" in w]
    assert "ignored" in warning and "remove" in warning


# --- order ------------------------------------------------------------------------------------


def test_cold_switch_order_is_old_site_down_and_drained_before_the_new_site_comes_up():
    assert plan_for(config(DR), source_serving()).steps == (
        Step(Phase.SCALE_DOWN, SOURCE), Step(Phase.DRAIN, SOURCE),
        Step(Phase.SCALE_UP, DR), Step(Phase.READY, DR), Step(Phase.VERIFY, DR))
    assert plan_for(config(SOURCE), dr_serving()).steps == (
        Step(Phase.SCALE_DOWN, DR), Step(Phase.DRAIN, DR),
        Step(Phase.SCALE_UP, SOURCE), Step(Phase.READY, SOURCE), Step(Phase.VERIFY, SOURCE))


def test_cold_switch_with_data_copy_copies_between_drain_and_scale_up():
    snapshots = with_claims(("uploads",), ("uploads",), ["uploads"], ["uploads"])
    assert plan_for(config(DR, migrate=True), snapshots).steps == (
        Step(Phase.SCALE_DOWN, SOURCE), Step(Phase.DRAIN, SOURCE), Step(Phase.COPY, DR),
        Step(Phase.SCALE_UP, DR), Step(Phase.READY, DR), Step(Phase.VERIFY, DR))


def test_warm_switch_brings_the_new_site_up_and_ready_before_the_old_one_goes_down():
    assert plan_for(config(DR, strategy=WARM), source_serving()).steps == (
        Step(Phase.SCALE_UP, DR), Step(Phase.READY, DR), Step(Phase.VERIFY, DR),
        Step(Phase.SCALE_DOWN, SOURCE), Step(Phase.DRAIN, SOURCE))
    plan = plan_for(config(SOURCE, strategy=WARM), dr_serving())
    assert plan.steps == (Step(Phase.SCALE_UP, SOURCE), Step(Phase.READY, SOURCE),
                          Step(Phase.VERIFY, SOURCE),
                          Step(Phase.SCALE_DOWN, DR), Step(Phase.DRAIN, DR))
    assert plan.copy is None


# --- data copy --------------------------------------------------------------------------------


def with_claims(source_claims, dr_claims, source_pvcs, dr_pvcs, *, active=SOURCE,
                templates=(), kind="Deployment", phases=None):
    """web mounts the claims on each site; ``active`` runs it, with a ledger saying so."""
    phases = phases or {}
    name = f"{kind}/web"
    on = {SOURCE: 2 if active is SOURCE else 0, DR: 2 if active is DR else 0}
    return snaps(
        snap(SOURCE, wl(name, on[SOURCE], "2", claims=source_claims, templates=templates),
             pvcs=tuple(pvc(p, phases.get((SOURCE, p), "Bound")) for p in source_pvcs),
             led=ledger(active, 1)),
        snap(DR, wl(name, on[DR], "2", claims=dr_claims, templates=templates),
             pvcs=tuple(pvc(p, phases.get((DR, p), "Bound")) for p in dr_pvcs),
             led=ledger(active, 1)),
    )


def test_copy_pairs_claims_by_equal_name_and_skips_claims_no_workload_mounts():
    snapshots = with_claims(("uploads", "cache"), ("uploads", "cache"),
                            ["uploads", "cache", "scratch"], ["uploads", "cache", "scratch"])
    copy = plan_for(config(DR, migrate=True), snapshots).copy
    assert (copy.from_site, copy.to_site, copy.skipped_because) == (SOURCE, DR, None)
    assert copy.pairs == (PvcPair("cache", "cache"), PvcPair("uploads", "uploads"))


@pytest.mark.parametrize("migrate, reverse, active, expect_copy", [
    (False, False, DR, False),
    (False, True, DR, False),   # reverseMigratePvcData is for failbacks only
    (True, False, DR, True),
    (True, False, SOURCE, False),  # migratePvcData is for cutovers only
    (False, True, SOURCE, True),
])
def test_copy_follows_the_directions_flag(migrate, reverse, active, expect_copy):
    snapshots = with_claims(("uploads",), ("uploads",), ["uploads"], ["uploads"],
                            active=active.other)
    copy = plan_for(config(active, migrate=migrate, reverse=reverse), snapshots).copy
    if expect_copy:
        assert copy.pairs == (PvcPair("uploads", "uploads"),)
        assert (copy.from_site, copy.to_site) == (active.other, active)
    else:
        assert copy is None


def test_pvc_map_pairs_differing_names_for_a_cutover():
    snapshots = with_claims(("data",), ("data-dr",), ["data"], ["data-dr"])
    copy = plan_for(config(DR, migrate=True, pvc_map={"data": "data-dr"}), snapshots).copy
    assert copy.pairs == (PvcPair(source="data", dr="data-dr"),)


def test_pvc_map_is_read_the_other_way_for_a_failback():
    snapshots = with_claims(("data",), ("data-dr",), ["data"], ["data-dr"], active=DR)
    copy = plan_for(config(SOURCE, reverse=True, pvc_map={"data": "data-dr"}), snapshots).copy
    assert copy.direction == "dr -> source"
    assert copy.pairs == (PvcPair(source="data", dr="data-dr"),)


def test_statefulset_claim_templates_expand_to_the_existing_ordinal_claims():
    pvcs = ["data-web-0", "data-web-1", "data-web-extra-0", "data-web2-0", "logs-web-0"]
    snapshots = with_claims((), (), pvcs, pvcs, kind="StatefulSet", templates=("data",))
    copy = plan_for(config(DR, migrate=True), snapshots).copy
    assert copy.pairs == (PvcPair("data-web-0", "data-web-0"), PvcPair("data-web-1", "data-web-1"))


def test_a_claim_without_counterpart_stops_the_plan_and_points_at_pvc_map():
    snapshots = with_claims(("data",), ("data",), ["data"], ["other"])
    [problem] = plan_error(config(DR, migrate=True), snapshots).problems
    assert "PVC data on source has no counterpart 'data' on dr" in problem
    assert "drstack:pvcMap" in problem


@pytest.mark.parametrize("site", [SOURCE, DR])
def test_an_unbound_claim_on_either_side_stops_the_plan(site):
    snapshots = with_claims(("data",), ("data",), ["data"], ["data"],
                            phases={(site, "data"): "Pending"})
    [problem] = plan_error(config(DR, migrate=True), snapshots).problems
    assert f"PVC data on {site} is Pending, not Bound" in problem


def test_no_copy_in_steady_state():
    snapshots = with_claims(("uploads",), ("uploads",), ["uploads"], ["uploads"], active=DR)
    copy = plan_for(config(DR, migrate=True), snapshots).copy
    assert copy.pairs == ()
    assert "already active" in copy.skipped_because


# --- old site unreachable ---------------------------------------------------------------------


def disaster(led=True):
    """Source is gone; dr holds the originals drstack recorded at the last switch."""
    return snaps(snap(SOURCE, reachable=False),
                 snap(DR, wl("web", 0, "3"), wl("StatefulSet/db", 0, "1"),
                      pvcs=(pvc("data-db-0"),), led=ledger(SOURCE, 4) if led else None))


@pytest.mark.parametrize("led", [True, False], ids=["ledger", "no-ledger"])
def test_old_site_unreachable_switches_without_touching_it(led):
    plan = plan_for(config(DR, old_site_unreachable=True, migrate=True), disaster(led))
    assert plan.transition is Transition.CUTOVER
    assert plan.last_active_site is SOURCE
    assert plan.untouched_sites == frozenset({SOURCE})
    assert not plan.touches(SOURCE)
    assert all(step.site is DR for step in plan.steps)
    assert [s.phase for s in plan.steps if s.phase is not Phase.COPY] == [
        Phase.SCALE_UP, Phase.READY, Phase.VERIFY]
    assert counts(plan) == {"db": (0, 1), "web": (0, 3)}
    assert plan.copy.pairs == () and "unreachable" in plan.copy.skipped_because
    assert plan.ledger.generation == (5 if led else 1)
    assert plan.ledger.transition == "cutover"
    [warning] = [w for w in plan.warnings if "NOT touched" in w]
    assert "source" in warning and "oldSiteUnreachable" in warning and "fence" in warning
    # migratePvcData is on: the operator is told that source's data since it served is lost.
    [data] = [w for w in plan.warnings if "NOT copied" in w]
    assert "the data source wrote since it became active" in data
    assert "dr will serve the data it had when source took over" in data


def test_a_disaster_failback_says_dr_data_is_not_copied_back():
    # DR is gone while source is being made active, with reverseMigratePvcData on.
    snapshots = snaps(snap(SOURCE, wl("web", 0, "3"), wl("StatefulSet/db", 0, "1"),
                           pvcs=(pvc("data-db-0"),), led=ledger(DR, 4)),
                      snap(DR, reachable=False))
    plan = plan_for(config(SOURCE, old_site_unreachable=True, reverse=True), snapshots)
    assert plan.transition is Transition.FAILBACK and not plan.touches(DR)
    assert plan.copy.pairs == () and "unreachable" in plan.copy.skipped_because
    [data] = [w for w in plan.warnings if "NOT copied" in w]
    assert "the data dr wrote since it became active" in data
    assert "source will serve the data it had when dr took over" in data


def test_old_site_unreachable_needs_an_original_from_the_reachable_site():
    snapshots = snaps(snap(SOURCE, reachable=False), snap(DR, wl("web", 0), led=ledger(SOURCE, 1)))
    assert "Deployment/web" in str(plan_error(config(DR, old_site_unreachable=True), snapshots))
    plan = plan_for(config(DR, old_site_unreachable=True, overrides={"web": 2}), snapshots)
    assert counts(plan) == {"web": (0, 2)}


# --- fencing ----------------------------------------------------------------------------------


def test_a_returned_old_site_that_runs_again_is_fenced():
    snapshots = snaps(snap(SOURCE, wl("web", 3), wl("api", 0), led=ledger(SOURCE, 4)),
                      snap(DR, wl("web", 3), wl("api", 1), led=ledger(DR, 5, fenced_at=None)))
    plan = plan_for(config(DR), snapshots)
    assert plan.transition is Transition.NONE
    assert plan.fencing
    assert counts(plan) == {"api": (0, 1), "web": (0, 3)}
    assert plan.steps[:2] == (Step(Phase.SCALE_DOWN, SOURCE), Step(Phase.DRAIN, SOURCE))
    assert (plan.ledger.generation, plan.ledger.switched_at, plan.ledger.transition,
            plan.ledger.fenced_at) == (5, EARLIER, "cutover", NOW)


def test_fencing_without_a_ledger_records_the_fencing_time():
    snapshots = snaps(snap(SOURCE, wl("web", 3)), snap(DR, wl("web", 3)))
    plan = plan_for(config(DR, assume=DR), snapshots)
    assert plan.fencing
    assert (plan.ledger.generation, plan.ledger.transition, plan.ledger.fenced_at) == (
        1, "adopt", NOW)


def test_no_fencing_when_the_passive_site_is_at_zero_and_earlier_fencing_is_kept():
    snapshots = snaps(snap(SOURCE, wl("web", 0), led=ledger(DR, 5, fenced_at=EARLIER)),
                      snap(DR, wl("web", 3), led=ledger(DR, 5, fenced_at=EARLIER)))
    plan = plan_for(config(DR), snapshots)
    assert not plan.fencing
    assert plan.ledger.fenced_at == EARLIER


def test_a_switch_keeps_the_earlier_fencing_time():
    snapshots = snaps(snap(SOURCE, wl("web", 0), led=ledger(DR, 5, fenced_at=EARLIER)),
                      snap(DR, wl("web", 3), led=ledger(DR, 5, fenced_at=EARLIER)))
    plan = plan_for(config(SOURCE), snapshots)
    assert (plan.ledger.generation, plan.ledger.switched_at, plan.ledger.fenced_at) == (
        6, NOW, EARLIER)


def test_an_unreachable_passive_site_is_never_fenced():
    snapshots = snaps(snap(SOURCE, wl("web", 3), led=ledger(DR, 5), reachable=False),
                      snap(DR, wl("web", 3), led=ledger(DR, 5)))
    plan = plan_for(config(DR, old_site_unreachable=True), snapshots)
    assert plan.transition is Transition.NONE and not plan.fencing
    assert plan.ledger.fenced_at is None


def test_a_site_without_ready_nodes_cannot_be_made_active():
    with pytest.raises(PlanError, match="site dr \\(being made active\\) has no Ready node"):
        build_plan(config(DR), snaps(snap(SOURCE, wl("web", 2)), snap(DR, wl("web", 0),
                                                                      ready_nodes=0)), now=NOW)


def test_nodes_that_could_not_be_counted_only_warn_during_a_switch():
    plan = build_plan(config(DR), snaps(snap(SOURCE, wl("web", 2)),
                                        snap(DR, wl("web", 0), ready_nodes=None)), now=NOW)
    assert any("could not count the Ready nodes of site dr" in w for w in plan.warnings)
    steady = build_plan(config(SOURCE), snaps(snap(SOURCE, wl("web", 2), ready_nodes=None),
                                              snap(DR, wl("web", 0))), now=NOW)
    assert steady.warnings == ()


# --- the pre-flight: every finding at once ----------------------------------------------------


def test_every_check_reports_in_one_pass_a_pending_pvc_is_not_hidden_behind_a_node_error():
    from drstack.model import Lease

    held = Lease("dr", "2026-11-26T09:00:00+00:00", "cutover#4", SOURCE)
    snapshots = snaps(
        snap(SOURCE, wl("web", 0, claims=("web-data",)), wl("lonely", 1),
             pvcs=(pvc("web-data", "Pending"),), ready_nodes=0,
             led=dataclasses.replace(ledger(DR, 3), lease=held)),
        snap(DR, wl("web", 2, claims=("web-data",)), wl("StatefulSet/db", 0),
             pvcs=(pvc("web-data"),), led=ledger(DR, 3)))
    error = plan_error(config(SOURCE, reverse=True), snapshots)

    text = str(error)
    assert "site source (being made active) has no Ready node" in text
    assert "a switch by stack 'dr' (cutover#4) holds the drstack lease" in text
    assert "Deployment/lonely exists on source but not on dr" in text
    assert "StatefulSet/db exists on dr but not on source" in text
    assert "PVC web-data on source is Pending, not Bound" in text
    assert len(error.problems) == 5


def test_assess_returns_every_finding_with_its_severity_and_no_plan_when_one_stops_the_run():
    snapshots = snaps(snap(SOURCE, wl("web", 2, images=("web:2",))),
                      snap(DR, wl("web", 0, images=("web:1",)), ready_nodes=0))
    # A failback (source has Ready nodes): warnings only, and the plan carries them.
    assessment = assess(config(SOURCE, assume=DR), snapshots, now=NOW)
    assert assessment.plan is not None
    assert [(f.severity, f.check) for f in assessment.findings] == [
        (Severity.WARNING, "history"), (Severity.WARNING, "images")]
    assert assessment.plan.warnings == tuple(f.message for f in assessment.findings)

    stopped = assess(config(DR), snapshots, now=NOW)
    assert stopped.plan is None
    assert {(f.severity, f.check) for f in stopped.findings} == {
        (Severity.ERROR, "nodes"), (Severity.WARNING, "images")}


def test_a_missing_namespace_is_one_finding_not_one_per_workload_or_override():
    error = plan_error(config(DR, overrides={"web": 2}),
                       snaps(snap(SOURCE, wl("web", 1), wl("api", 1)),
                             snap(DR, namespace_exists=False)))
    [problem] = error.problems
    assert "namespace 'shop-dr' does not exist on site dr" in problem


# --- split brain, re-runs and going back (issue 12: 1 and 3b) ----------------------------------


LEASE_TAKEN = "2026-11-27T09:00:00+00:00"


def failback_with_data(*, source_db: int = 0, lease=None, copied=None):
    """DR serves (generation 4) with db's claim data-db-0; a failback copies it back."""
    led = dataclasses.replace(ledger(DR, 4), lease=lease)
    return snaps(
        snap(SOURCE, wl("StatefulSet/db", source_db, "1", templates=("data",)),
             pvcs=(pvc("data-db-0"),), led=dataclasses.replace(led, copied=copied)),
        snap(DR, wl("StatefulSet/db", 1, templates=("data",)), pvcs=(pvc("data-db-0"),),
             led=led))


def failback_lease(acquired_at: str = LEASE_TAKEN):
    from drstack.model import Lease

    return Lease("source", acquired_at, "failback#5", DR)


def copy_record(lease_acquired_at: str = LEASE_TAKEN):
    from drstack.model import CopyRecord

    return CopyRecord("failback#5", DR, lease_acquired_at, "2026-11-27T09:05:00Z")


def test_a_copy_into_a_site_that_runs_the_workloads_stops_the_preview_naming_them():
    # Someone started db on source by hand after the cutover: the ledger says dr is active.
    error = plan_error(config(SOURCE, reverse=True), failback_with_data(source_db=1))

    [problem] = error.problems
    assert "split brain: site source runs StatefulSet/db (1 replica)" in problem
    assert "though dr is the active site (ledger generation 4)" in problem
    assert "never copies under running pods" in problem
    assert "kubectl -n shop-source scale statefulset/db --replicas=0" in problem
    assert "pulumi config set -s source drstack:reverseMigratePvcData false" in problem


def test_split_brain_without_a_copy_is_said_plainly_and_the_switch_goes_on():
    plan = plan_for(config(SOURCE), failback_with_data(source_db=1))

    [warning] = [w for w in plan.warnings if "split brain" in w]
    assert "site source runs StatefulSet/db (1 replica)" in warning
    assert "this failback keeps them and scales dr to 0" in warning


def test_a_returned_passive_site_is_called_split_brain_and_fenced():
    snapshots = snaps(snap(SOURCE, wl("web", 3), led=ledger(SOURCE, 4)),
                      snap(DR, wl("web", 3), led=ledger(DR, 5)))
    plan = plan_for(config(DR), snapshots)

    assert plan.fencing and plan.transition_id == "realign#5"
    [warning] = [w for w in plan.warnings if "split brain" in w]
    assert "site source runs Deployment/web (3 replicas)" in warning
    assert "fences source: scales it to 0 first" in warning


def test_a_re_run_of_a_switch_whose_copy_finished_under_its_lease_does_not_copy_again():
    # The failback copied, scaled source up, then failed at readiness: source runs db now,
    # under the failback's own lease, and the copy is recorded under that same lease.
    lease = failback_lease()
    plan = plan_for(config(SOURCE, reverse=True),
                    failback_with_data(source_db=1, lease=lease, copied=copy_record()))

    assert plan.transition_id == "failback#5"
    assert plan.copy is not None and plan.copy.pairs == ()
    assert "by an earlier run of this switch (failback#5)" in plan.copy.skipped_because
    assert "source may have written since" in plan.copy.skipped_because
    assert not [w for w in plan.warnings if "split brain" in w]  # its own pods


def test_a_copy_recorded_under_an_earlier_taking_of_the_lease_is_stale():
    # After the failed failback, the operator went back to dr (breaking the lease: dr served
    # and wrote again), then tried the failback once more: a new lease, so copy again.
    plan = plan_for(config(SOURCE, reverse=True),
                    failback_with_data(lease=failback_lease("2026-11-27T10:00:00+00:00"),
                                       copied=copy_record()))

    assert plan.copy is not None and plan.copy.pairs == (PvcPair("data-db-0", "data-db-0"),)


def test_a_steady_run_that_moves_counts_is_named_so_its_gates_run():
    # The failback failed after scaling dr to 0: going back to dr (steady state for the dr
    # stack) scales dr up again, and its gates must run as in a switch.
    snapshots = snaps(snap(SOURCE, wl("web", 0, "3"), led=ledger(DR, 4)),
                      snap(DR, wl("web", 0, "3"), led=ledger(DR, 4)))
    plan = plan_for(config(DR), snapshots)

    assert plan.transition is Transition.NONE
    assert counts(plan) == {"web": (0, 3)}
    assert plan.transition_id == "realign#4"
    assert [str(s) for s in plan.steps] == ["scale-down source", "drain source", "scale-up dr",
                                           "ready dr", "verify dr"]
    # Nothing to move: the gates stay still.
    quiet = snaps(snap(SOURCE, wl("web", 0, "3"), led=ledger(DR, 4)),
                  snap(DR, wl("web", 3), led=ledger(DR, 4)))
    assert plan_for(config(DR), quiet).transition_id == "none"


def test_a_switch_in_flight_by_the_other_stack_is_not_called_split_brain():
    from drstack.model import Lease

    # dr's cutover runs: it scaled dr up (source still at its count while it drains).
    held = Lease("dr", "2026-11-27T09:00:00+00:00", "cutover#5", SOURCE)
    led = dataclasses.replace(ledger(SOURCE, 4), lease=held)
    snapshots = snaps(snap(SOURCE, wl("web", 3), led=led), snap(DR, wl("web", 3), led=led))

    assessment = assess(config(SOURCE), snapshots, now=NOW)

    assert [f.check for f in assessment.findings if f.check == "split-brain"] == []
    assert any(f.check == "lease" for f in assessment.errors)
