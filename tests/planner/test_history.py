"""find_last_active: which site served last, from the ledger or from what runs."""

from __future__ import annotations

import pytest

from drstack.planner.history import find_last_active

from .snapshots import DR, SOURCE, ledger, snap, snaps, wl


def last(snapshots, *, active=DR, assume=None, unreachable=False):
    return find_last_active(snapshots, active=active, assume=assume,
                            old_site_unreachable=unreachable)


@pytest.mark.parametrize("source_led, dr_led, expect", [
    (ledger(SOURCE, 2), ledger(SOURCE, 2), SOURCE),
    (ledger(SOURCE, 2), None, SOURCE),
    (None, ledger(DR, 1), DR),
    (ledger(SOURCE, 2), ledger(DR, 3), DR),
    (ledger(SOURCE, 9), ledger(DR, 3), SOURCE),
])
def test_the_highest_generation_wins_whatever_runs(source_led, dr_led, expect):
    # Both sites run: without a ledger that would be ambiguous.
    result = last(snaps(snap(SOURCE, wl("web", 1), led=source_led),
                        snap(DR, wl("web", 1), led=dr_led)))
    assert result.error is None
    assert result.site is expect
    assert result.ledger.generation == max(led.generation for led in (source_led, dr_led) if led)


def test_a_ledger_on_an_unreachable_site_is_not_read():
    result = last(snaps(snap(SOURCE, led=ledger(DR, 9), reachable=False),
                        snap(DR, wl("web", 0), led=ledger(SOURCE, 3))))
    assert (result.site, result.ledger.generation) == (SOURCE, 3)


def test_disagreeing_ledgers_of_equal_generation_need_assume():
    s = snaps(snap(SOURCE, led=ledger(SOURCE, 4)), snap(DR, led=ledger(DR, 4)))
    result = last(s)
    assert result.site is None and "disagree at generation 4" in result.error
    assert "drstack:assumeActiveSite" in result.error
    assert last(s, assume=DR).site is DR


@pytest.mark.parametrize("source_n, dr_n, expect", [(3, 0, SOURCE), (0, 3, DR)])
def test_without_a_ledger_the_only_running_site_was_active(source_n, dr_n, expect):
    result = last(snaps(snap(SOURCE, wl("web", source_n), wl("api", 0)),
                        snap(DR, wl("web", dr_n), wl("api", 0))))
    assert result.site is expect and result.ledger is None


@pytest.mark.parametrize("n, state", [(0, "neither"), (2, "both")])
def test_without_a_ledger_both_or_neither_running_is_ambiguous(n, state):
    s = snaps(snap(SOURCE, wl("web", n)), snap(DR, wl("web", n)))
    result = last(s)
    assert result.site is None
    assert f"{state} site" in result.error and "drstack:assumeActiveSite" in result.error
    assert last(s, assume=SOURCE).site is SOURCE


def test_old_site_unreachable_without_ledger_means_the_other_site_was_active():
    s = snaps(snap(SOURCE, reachable=False), snap(DR, wl("web", 0)))
    assert last(s, active=DR, unreachable=True).site is SOURCE
    s = snaps(snap(SOURCE, wl("web", 2)), snap(DR, reachable=False))
    assert last(s, active=SOURCE, unreachable=True).site is DR


def test_a_first_switch_that_died_is_resumed_from_its_lease():
    # No ledger yet; the first cutover scaled source to 0 and then failed: neither site runs.
    # Its lease still names the site the data is on, so the re-run needs no assumeActiveSite.
    from drstack.model import Lease, Ledger

    lease = Ledger(lease=Lease("dr", "2024-04-30T10:00:00Z", "cutover#1", SOURCE))
    result = last(snaps(snap(SOURCE, wl("web", 0), led=lease), snap(DR, wl("web", 0), led=lease)))
    assert result.error is None and result.site is SOURCE
    assert "unfinished switch cutover#1" in result.reason
