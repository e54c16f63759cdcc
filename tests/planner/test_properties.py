"""Properties of build_plan over generated site states (hypothesis)."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drstack.model import Kind, Ledger, LiveWorkload, Site, Strategy, WorkloadRef
from drstack.planner import Phase, Plan, PlanError, Transition, build_plan
from drstack.planner.originals import parse_annotation

from .snapshots import DR, NOW, SOURCE, config, snap, snaps

SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])

GARBAGE = ["abc", "-1", "", " ", "1e3", "3.0", "+2", "²", "٣", str(2**31), "9" * 30]
annotations = st.one_of(
    st.none(),
    st.integers(0, 20).map(str),
    st.sampled_from(GARBAGE),
    st.text(max_size=4),
)
ledgers = st.one_of(
    st.none(),
    st.builds(lambda site, gen: Ledger(active_site=site, generation=gen, switched_at="t0",
                                       stack=site.value, transition="cutover"),
              st.sampled_from(list(Site)), st.integers(1, 5)),
)


@st.composite
def scenarios(draw):
    n = draw(st.integers(1, 8))
    kinds = draw(st.lists(st.sampled_from(list(Kind)), min_size=n, max_size=n))
    refs = [WorkloadRef(kind, f"w{i}") for i, kind in enumerate(kinds)]
    sites = {}
    for site in Site:
        sites[site] = tuple(
            LiveWorkload(r, draw(st.integers(0, 20)), draw(annotations)) for r in refs)
    shared = draw(st.booleans())
    led_source = draw(ledgers)
    led_dr = led_source if shared else draw(ledgers)
    active = draw(st.sampled_from(list(Site)))
    unreachable = draw(st.booleans()) and draw(st.booleans())  # about a quarter of the runs
    overrides = {r.name: draw(st.integers(0, 5)) for r in refs if draw(st.booleans())}
    cfg = config(active, strategy=draw(st.sampled_from(list(Strategy))),
                 assume=draw(st.sampled_from([None, SOURCE, DR])),
                 overrides={f"{r.kind}/{r.name}": overrides[r.name]
                            for r in refs if r.name in overrides},
                 old_site_unreachable=unreachable)
    snapshots = snaps(
        snap(SOURCE, *sites[SOURCE], led=led_source, reachable=not (unreachable and active is DR)),
        snap(DR, *sites[DR], led=led_dr, reachable=not (unreachable and active is SOURCE)),
    )
    return cfg, snapshots


def plan_or_none(cfg, snapshots) -> Plan | None:
    try:
        return build_plan(cfg, snapshots, now=NOW)
    except PlanError:
        return None  # any other exception fails the test


def newest_generation(snapshots) -> int | None:
    gens = [s.ledger.generation for s in snapshots.values() if s.reachable and s.ledger.recorded]
    return max(gens) if gens else None


def valid_nonzero_record(snapshots, ref) -> bool:
    for s in snapshots.values():
        if not s.reachable:
            continue
        for w in s.workloads:
            if w.ref == ref and w.original_annotation is not None:
                count, _ = parse_annotation(w.original_annotation)
                if count:
                    return True
    return False


def live_counts(snapshots) -> dict[Site, dict[WorkloadRef, int]]:
    return {site: {w.ref: w.replicas for w in s.workloads}
            for site, s in snapshots.items() if s.reachable}


def simulate(plan: Plan, state: dict[Site, dict[WorkloadRef, int]], check_overlap: bool) -> None:
    desired = {w.ref: w for w in plan.workloads}
    for i, step in enumerate(plan.steps):
        if step.phase in (Phase.SCALE_DOWN, Phase.SCALE_UP):
            assert step.site in state, "a step touches an unreachable site"
            for ref in state[step.site]:
                state[step.site][ref] = desired[ref].desired(step.site)
        if check_overlap and len(state) == 2:
            for ref in desired:
                assert not (state[SOURCE][ref] > 0 and state[DR][ref] > 0), (
                    f"{ref} runs on both sites after step {i} ({step})")


@SETTINGS
@given(scenarios())
def test_plans_keep_one_site_at_zero_and_never_lose_an_original(scenario):
    cfg, snapshots = scenario
    plan = plan_or_none(cfg, snapshots)
    if plan is None:
        return
    active, passive = cfg.active_site, cfg.active_site.other
    assert {w.ref for w in plan.workloads} == {w.ref for w in snapshots[active].workloads}
    for w in plan.workloads:
        assert w.desired(passive) == 0
        assert w.desired(active) == w.original
        if valid_nonzero_record(snapshots, w.ref):
            assert w.original > 0, f"{w.ref}: a recorded non-zero original was lost"


@SETTINGS
@given(scenarios())
def test_cold_order_never_runs_a_workload_on_both_sites_and_ends_as_planned(scenario):
    cfg, snapshots = scenario
    plan = plan_or_none(cfg, snapshots)
    if plan is None:
        return
    state = live_counts(snapshots)
    cold_order = plan.strategy is Strategy.COLD or plan.transition is Transition.NONE
    simulate(plan, state, check_overlap=cold_order)
    for w in plan.workloads:
        for site in state:
            assert state[site][w.ref] == w.desired(site)


@SETTINGS
@given(scenarios())
def test_ledger_generation_moves_only_on_a_switch(scenario):
    cfg, snapshots = scenario
    plan = plan_or_none(cfg, snapshots)
    if plan is None:
        return
    newest = newest_generation(snapshots)
    if plan.transition is Transition.NONE:
        assert plan.ledger.generation == (newest if newest is not None else 1)
        # A run that switches nothing is still named when it moves counts (a go-back, a
        # fencing): its gates must run, so the site coming up waits for the other's pods.
        moves = any(w.live(site) != w.desired(site) for w in plan.workloads
                    for site in Site if plan.touches(site))
        assert plan.transition_id == (f"realign#{plan.ledger.generation}" if moves else "none")
    else:
        assert plan.ledger.generation == (newest or 0) + 1
        assert plan.ledger.switched_at == NOW
        assert plan.transition_id == f"{plan.transition}#{plan.ledger.generation}"
    assert plan.ledger.active_site is cfg.active_site


@SETTINGS
@given(scenarios())
def test_planning_again_after_the_run_is_a_steady_state_without_change(scenario):
    cfg, snapshots = scenario
    plan = plan_or_none(cfg, snapshots)
    if plan is None:
        return
    state = live_counts(snapshots)
    simulate(plan, state, check_overlap=False)
    after = {}
    for site, s in snapshots.items():
        if not s.reachable:
            after[site] = s
            continue
        workloads = tuple(replace(w, replicas=state[site][w.ref]) for w in s.workloads)
        led = Ledger(active_site=plan.ledger.active_site, generation=plan.ledger.generation,
                     switched_at=plan.ledger.switched_at, stack=plan.ledger.stack,
                     transition=plan.ledger.transition, fenced_at=plan.ledger.fenced_at)
        after[site] = replace(s, workloads=workloads, ledger=led)
    again = build_plan(replace(cfg, assume_active_site=None), after, now="later")
    assert again.transition is Transition.NONE
    assert not again.fencing
    assert again.ledger == plan.ledger
    assert {w.ref: (w.desired_source, w.desired_dr) for w in again.workloads} == {
        w.ref: (w.desired_source, w.desired_dr) for w in plan.workloads}
