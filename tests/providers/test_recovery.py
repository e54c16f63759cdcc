"""The ways out a failed step names: the application's state after each step, both ways."""

from __future__ import annotations

import pytest

from drstack.model import Site
from drstack.providers.recovery import Recovery, with_ways_out

FAILBACK = Recovery(stack="source", other_stack="dr", from_site=Site.DR, to_site=Site.SOURCE,
                    strategy="cold", transition="failback#7")


@pytest.mark.parametrize(("step", "state"), [
    ("copy", "dr is at 0 and drained, source has not started and its claims may hold a partial "
             "copy: the application is down on both sites"),
    ("ready", "dr is at 0 and source is scaled up but not ready: the application is down, or "
              "serving in part from source"),
    ("scale-up", "dr is at 0 and source is only partly scaled up"),
])
def test_each_step_of_a_cold_switch_says_what_is_down(step: str, state: str) -> None:
    text = FAILBACK.ways_out(step)
    assert f"Now: {state}" in text
    assert 'pulumi up -s source -m "failback to source, again"' in text
    assert "a finished copy is not repeated" in text
    assert ('pulumi up -s dr -c drstack:breakLease=true -m "back to dr after a failed '
            'failback"') in text


def test_a_warm_switch_says_the_old_site_still_serves() -> None:
    warm = Recovery(**{**FAILBACK.__dict__, "strategy": "warm"})
    assert "Now: dr still serves; source is scaled up but not ready" in warm.ways_out("ready")


def test_the_recovery_round_trips_and_old_inputs_without_it_add_nothing() -> None:
    assert Recovery.from_props(FAILBACK.to_props()) == FAILBACK
    assert Recovery.from_props(None) is None
    assert Recovery.from_props({**FAILBACK.to_props(), "toSite": "moon"}) is None
    error = RuntimeError("the cause")
    with_ways_out(error, None, "ready")
    assert str(error) == "the cause"
    with_ways_out(error, FAILBACK, "ready")
    assert str(error).startswith("the cause\nNow: dr is at 0")
