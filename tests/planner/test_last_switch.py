"""The last switch and its age: an informational finding of every run (not a warning)."""

from __future__ import annotations

import dataclasses

import pytest

from drstack.model import Ledger
from drstack.planner import Severity, assess
from drstack.planner.last_switch import age_seconds, describe_age, last_switch_finding

from .snapshots import DR, EARLIER, NOW, SOURCE, config, ledger, snap, snaps, wl


def test_age_reads_both_spellings_of_utc_and_a_time_without_zone_as_utc():
    assert age_seconds("2024-05-01T11:00:00+00:00", "2024-05-01T12:00:00Z") == 3600
    assert age_seconds("2024-05-01T11:00:00", NOW) == 3600
    assert age_seconds("2024-05-01T13:00:00+02:00", NOW) == 3600


@pytest.mark.parametrize("switched_at", [None, "", "yesterday", "2024-13-45T00:00:00Z"])
def test_age_of_a_missing_or_unreadable_time_is_none(switched_at):
    assert age_seconds(switched_at, NOW) is None


@pytest.mark.parametrize(("seconds", "said"), [
    (0, "less than a minute ago"), (59, "less than a minute ago"), (60, "1 minute ago"),
    (7199, "1 hour ago"), (7200, "2 hours ago"), (86400 * 30 + 5, "30 days ago"),
    (-30, "less than a minute ago"),  # a few seconds of clock skew is not news
])
def test_ages_read_as_an_operator_says_them(seconds, said):
    assert describe_age(seconds) == said


def test_a_time_ahead_of_now_says_to_check_the_clocks():
    assert describe_age(-3600).startswith("in the future (check the clocks")


def test_the_last_switch_names_generation_transition_stack_time_and_age():
    finding = last_switch_finding(ledger(DR, 4, stack="dr"), now=NOW)
    assert finding is not None and finding.severity is Severity.INFO
    assert finding.check == "last-switch"
    assert finding.message == (
        "last switch: generation 4, cutover to dr by stack dr at 2024-04-01T08:00:00Z "
        "(30 days ago)")


def test_an_adoption_and_a_fencing_read_as_such():
    adopted = last_switch_finding(ledger(SOURCE, 1, transition="adopt"), now=NOW)
    assert adopted is not None and "generation 1, adopt of source by stack source" in \
        adopted.message
    fenced = last_switch_finding(ledger(DR, 5, fenced_at="2024-04-02T00:00:00Z"), now=NOW)
    assert fenced is not None and fenced.message.endswith("; fenced at 2024-04-02T00:00:00Z")


def test_an_unreadable_switch_time_is_shown_as_written_and_not_aged():
    broken = dataclasses.replace(ledger(DR, 2), switched_at="last tuesday")
    finding = last_switch_finding(broken, now=NOW)
    assert finding is not None
    assert "at 'last tuesday' (not a time drstack can read)" in finding.message


def test_no_finding_before_any_ledger():
    assert last_switch_finding(None, now=NOW) is None
    assert last_switch_finding(Ledger(), now=NOW) is None


def test_assess_reports_the_last_switch_as_info_not_as_a_warning_of_the_plan():
    snapshots = snaps(snap(SOURCE, wl("web", 0, "3"), led=ledger(DR, 4)),
                      snap(DR, wl("web", 3), led=ledger(DR, 4)))

    assessment = assess(config(SOURCE), snapshots, now=NOW)

    assert assessment.plan is not None
    [info] = [f for f in assessment.findings if f.severity is Severity.INFO]
    assert info.message.startswith("last switch: generation 4, cutover to dr")
    assert info.message not in assessment.plan.warnings
    assert EARLIER in info.message


def test_assess_reports_it_even_when_an_error_stops_the_run():
    snapshots = snaps(snap(SOURCE, wl("web", 0, "3"), led=ledger(DR, 4), ready_nodes=0),
                      snap(DR, wl("web", 3), led=ledger(DR, 4)))

    assessment = assess(config(SOURCE), snapshots, now=NOW)

    assert assessment.plan is None
    assert {f.check for f in assessment.findings} == {"nodes", "last-switch"}
