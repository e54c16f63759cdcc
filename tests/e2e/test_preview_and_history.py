"""What an operator reviews and what is recorded: `pulumi preview --diff`, refresh, history."""

from __future__ import annotations

import re

from drstack.model import Site
from drstack.testing.real_engine import DEMO, E2eApp


def test_preview_diff_shows_the_plan_table_and_every_replica_change(app: E2eApp) -> None:
    # A stack's first preview shows each site's scale as a create at its desired counts: the
    # stack has no state yet (README: "The first preview").
    first = app.cli.preview("dr").stdout
    assert "(create)" in _block(first, "source-scale") and "(create)" in _block(first, "dr-scale")
    for kind, name, count in DEMO:
        assert re.search(rf"^\s+{kind}/{name}: 0$", _block(first, "source-scale"), re.M)
        assert re.search(rf"^\s+{kind}/{name}: {count}$", _block(first, "dr-scale"), re.M)
    app.cli.up("dr", "cutover")
    app.cli.up("source", "failback")

    out = app.cli.preview("dr").stdout

    assert "drstack: cutover to dr (last active: source, from ledger generation 2)" in out
    down, up = _block(out, "source-scale"), _block(out, "dr-scale")
    assert "(update)" in down and "(update)" in up
    for kind, name, count in DEMO:
        # The plan table, then the engine's own diff: one line per workload whose count
        # changes, on each site, as refresh read it => as the plan sets it.
        assert re.search(rf"{kind}/{name}\s+source\s+{count} -> 0", out), out
        assert re.search(rf"{kind}/{name}\s+dr\s+0 -> {count}", out), out
        assert f"~ {kind}/{name}: {count} => 0" in down, down
        assert f"~ {kind}/{name}: 0 => {count}" in up, up


def test_after_a_switch_a_preview_of_the_same_stack_expects_no_changes(app: E2eApp) -> None:
    app.cli.up("dr", "cutover")

    result = app.cli.preview("dr", "--expect-no-changes", check=False)

    assert result.returncode == 0, result.stdout
    assert "drstack: nothing to do: dr is already active" in result.stdout


def test_refresh_sees_a_hand_scaled_workload_and_the_switch_keeps_its_count(app: E2eApp) -> None:
    app.cli.up("source", "adopt")
    app.scale_by_hand(Site.SOURCE, "Deployment", "web", 5)

    preview = app.cli.preview("source").stdout
    # The plan reads the live count, and the engine's refresh read it too.
    assert re.search(r"Deployment/web\s+source\s+5 -> 5\s+5 \(live on source\)", preview), preview

    app.cli.up("dr", "cutover keeps web at 5")

    assert app.replicas(Site.DR)["web"] == 5
    assert app.originals(Site.DR)["web"] == "5"
    assert app.ready_pods(Site.DR)["web"] == 5


def test_stack_history_records_every_update_with_its_message_and_result(app: E2eApp) -> None:
    app.cli.up("source", "adopt: INC-7")
    app.cli.up("dr", "cutover: INC-7 storage failure")
    app.cli.up("source", "failback: INC-7 resolved")

    source = app.cli.history("source")
    dr = app.cli.history("dr")

    assert [(h["message"], h["result"]) for h in reversed(source)] == [
        ("adopt: INC-7", "succeeded"), ("failback: INC-7 resolved", "succeeded")]
    assert [(h["message"], h["result"]) for h in dr] == [
        ("cutover: INC-7 storage failure", "succeeded")]
    # The ledger generation orders the two stacks' histories into one story.
    assert app.ledger(Site.SOURCE)["generation"] == "3"


def _block(out: str, resource: str) -> str:
    """What `pulumi preview --diff` plans for one resource, found by its URN's name (the
    refresh that `refresh: always` runs first lists every resource once more: skipped)."""
    blocks = re.split(r"\n(?=\s*[-+~ ] \S+: \((?:create|update|same|delete|replace|refresh)\))",
                      out)
    (found,) = [b for b in blocks if f"::{resource}]" in b and ": (refresh)" not in b]
    return found
