"""Faults with real processes: a killed `pulumi up`, two stacks at once, a lost site."""

from __future__ import annotations

import re

import pytest

from drstack.model import Site
from drstack.sandbox.cluster import LocalCluster
from drstack.testing.real_engine import E2eApp, crash

SERVING = {"web": 3, "api": 2, "db": 1}
STOPPED = {"web": 0, "api": 0, "db": 0}
RECORDED = {"web": "3", "api": "2", "db": "1"}


def test_a_failback_killed_mid_way_finishes_when_run_again_and_frees_the_lease(
        app: E2eApp) -> None:
    app.cli.up("dr", "cutover")
    # Source cannot become ready, so the failback waits in its readiness gate: the crash lands
    # after dr went to 0 and source was scaled up, the worst moment (the app is down).
    app.set_schedulable(Site.SOURCE, False)
    proc = app.cli.start("up", "-s", "source", "--yes", "--skip-preview", "-m", "failback",
                         log=app.tmp / "killed-up.log")
    app.wait_until(lambda: app.replicas(Site.SOURCE) == SERVING, "the failback scaled source up")
    crash(proc.pid)
    proc.wait()

    # Nothing is lost: the originals are recorded on both sites, the ledger still says dr (the
    # switch did not finish), and the lease names the failback and where the data was.
    for site in Site:
        assert app.originals(site) == RECORDED
        assert app.ledger(site)["active-site"] == "dr"
        assert app.lease(site)["holder"] == "source"
        assert app.lease(site)["from"] == "dr"
    assert app.replicas(Site.DR) == STOPPED

    # What the README says to do: free the lock the killed run left, run the same command.
    app.set_schedulable(Site.SOURCE, True)
    locked = app.cli.up("source", "failback, again", check=False)
    assert locked.returncode != 0 and "pulumi cancel" in locked.stdout
    app.cli.run("cancel", "-s", "source", "--yes")
    app.cli.up("source", "failback, again")

    assert app.replicas(Site.SOURCE) == SERVING
    assert app.ready_pods(Site.SOURCE) == SERVING
    assert app.replicas(Site.DR) == STOPPED
    for site in Site:
        assert app.originals(site) == RECORDED
        assert app.ledger(site)["active-site"] == "source"
        assert app.lease(site) is None
    history = app.cli.history("source")
    assert [h["result"] for h in history][:1] == ["succeeded"]


def test_two_stacks_switching_at_once_the_second_fails_naming_the_lease_holder(
        app: E2eApp) -> None:
    app.set_schedulable(Site.DR, False)
    cutover = app.cli.start("up", "-s", "dr", "--yes", "--skip-preview", "-m", "cutover",
                            log=app.tmp / "cutover.log")
    try:
        app.wait_until(lambda: app.replicas(Site.DR) == SERVING, "the cutover scaled dr up")

        second = app.cli.up("source", "a failback at the same time", check=False)

        assert second.returncode != 0
        assert re.search(r"a switch by stack 'dr' \(cutover#\d+\) holds the drstack lease",
                         second.stdout), second.stdout
        assert "breakLease" in second.stdout
    finally:
        app.set_schedulable(Site.DR, True)
    assert cutover.wait(timeout=300) == 0, (app.tmp / "cutover.log").read_text()[-3000:]
    assert app.ready_pods(Site.DR) == SERVING
    assert app.ledger(Site.SOURCE)["active-site"] == "dr"


@pytest.mark.parametrize("lost", [Site.SOURCE, Site.DR], ids=["cutover", "failback"])
def test_disaster_switch_without_the_lost_site_then_fencing_when_it_returns(
        lost: Site, app: E2eApp, clusters: dict[Site, LocalCluster]) -> None:
    stack = lost.other.value  # the stack that makes the surviving site active
    app.cli.up("dr", "cutover")
    if lost is Site.SOURCE:
        app.cli.up("source", "failback")
    clusters[lost].stop_component("kube-apiserver")
    try:
        refused = app.cli.preview(stack, check=False)
        assert refused.returncode != 0
        # drstack's error, not the provider's refresh failure, and the way through in order.
        commands = [line.strip() for line in refused.stdout.splitlines()
                    if line.strip().startswith("pulumi ")]
        assert commands[:2] == [
            f"pulumi config set -s {stack} drstack:oldSiteUnreachable true",
            f'pulumi up -s {stack} -m "disaster switch to {stack}: {lost} unreachable"',
        ], refused.stdout
        assert "failed to read resource state" not in refused.stdout

        # Exactly as the error and the README say.
        app.cli.run("config", "set", "-s", stack, "drstack:oldSiteUnreachable", "true")
        app.cli.up(stack, f"disaster switch to {stack}: {lost} unreachable")

        assert app.replicas(lost.other) == SERVING
        assert app.ready_pods(lost.other) == SERVING
        assert app.ledger(lost.other)["active-site"] == stack
        warnings = app.cli.outputs(stack)["warnings"]
        assert any("NOT touched" in w and "fence" in w for w in warnings), warnings
    finally:
        clusters[lost].come_back()

    # The lost site came back as it was lost: still running, its ledger unchanged.
    assert app.replicas(lost) == SERVING
    assert app.ledger(lost)["active-site"] == lost.value

    app.cli.run("config", "set", "-s", stack, "drstack:oldSiteUnreachable", "false")
    fence = app.cli.up(stack, f"fence {lost}")

    assert app.replicas(lost) == STOPPED
    app.wait_until(lambda: app.ready_pods(lost) == STOPPED, f"{lost}'s pods are gone")
    assert app.replicas(lost.other) == SERVING
    for site in Site:
        assert app.ledger(site)["active-site"] == stack
        assert app.ledger(site).get("fenced-at"), fence.stdout
        assert app.originals(site) == RECORDED
