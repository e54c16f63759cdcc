"""Every road out of a failed switch keeps the cold order, on the real engine (issue 12, 3b).

A failure is injected at each step of a failback that copies DR's data back (a pod that will
not go, a failed copy, a site that cannot become ready); then the same command runs again, or
the operator goes back to DR. Throughout, a pod watch on both clusters checks that no moment
had the application's pods on both sites, and a FAKE pv-migrate (the real one cannot be built
here) records each copy and the pods that mounted either claim while it ran.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from drstack.model import Site
from drstack.testing.observing_pv_migrate import calls, fail_next_copy, write_observing_pv_migrate
from drstack.testing.real_engine import BothSitesWatch, E2eApp

SERVING = {"web": 3, "api": 2, "db": 1}
STOPPED = {"web": 0, "api": 0, "db": 0}
RECORDED = {"web": "3", "api": "2", "db": "1"}
FAST = {"readinessTimeout": "8s", "drainTimeout": "8s"}


@pytest.fixture
def dr_serving(app: E2eApp) -> Path:
    """DR serves after a cutover; the source stack fails back with a copy of DR's data."""
    fake = write_observing_pv_migrate(app.tmp / "pv-migrate")
    app.configure("source", reverseMigratePvcData=True, pvMigratePath=str(fake), **FAST)
    app.configure("dr", **FAST)
    app.cli.up("dr", "cutover")
    return fake.parent


def no_copy_under_pods(folder: Path) -> None:
    for call in calls(folder):
        assert call["podsMounting"] == {"source": [], "dest": []}, call


def assert_failback_done(app: E2eApp) -> None:
    assert app.replicas(Site.SOURCE) == SERVING and app.ready_pods(Site.SOURCE) == SERVING
    assert app.replicas(Site.DR) == STOPPED
    for site in Site:
        assert app.originals(site) == RECORDED
        assert app.ledger(site)["active-site"] == "source" and app.lease(site) is None


def test_a_failback_failing_at_readiness_is_run_again_without_copying_again(
        app: E2eApp, dr_serving: Path) -> None:
    app.set_schedulable(Site.SOURCE, False)
    with BothSitesWatch(app) as both:
        failed = app.cli.up("source", "failback", check=False)
    assert failed.returncode != 0
    out = failed.stdout
    assert "readiness gate (failback#" in out
    # The state it left, and the two ways out, in the error itself.
    assert ("Now: dr is at 0 and source is scaled up but not ready: the application is down, "
            "or serving in part from source") in out
    assert 'pulumi up -s source -m "failback to source, again"' in out
    assert 'pulumi up -s dr -c drstack:breakLease=true -m "back to dr after a failed' in out
    assert len(calls(dr_serving)) == 1  # the copy ran, before the scale-up

    app.set_schedulable(Site.SOURCE, True)
    preview = app.cli.preview("source").stdout
    assert "by an earlier run of this switch (failback#" in preview
    with BothSitesWatch(app) as again:
        app.cli.up("source", "failback, again")

    assert len(calls(dr_serving)) == 1  # not copied again over what source has written since
    assert_failback_done(app)
    no_copy_under_pods(dr_serving)
    assert both.overlaps == [] and again.overlaps == []


def test_going_back_after_a_failed_failback_never_runs_both_sites_and_a_retry_copies_again(
        app: E2eApp, dr_serving: Path) -> None:
    app.set_schedulable(Site.SOURCE, False)
    assert app.cli.up("source", "failback", check=False).returncode != 0
    app.set_schedulable(Site.SOURCE, True)

    # Way out 2, as the error printed it.
    with BothSitesWatch(app) as back:
        app.cli.run("up", "-s", "dr", "--yes", "--skip-preview", "-c",
                    "drstack:breakLease=true", "-m", "back to dr after a failed failback")
    app.cli.run("config", "set", "-s", "dr", "drstack:breakLease", "false")

    # Source was scaled to 0 and its pods were gone before DR came back.
    assert back.overlaps == []
    assert app.replicas(Site.DR) == SERVING and app.ready_pods(Site.DR) == SERVING
    assert app.replicas(Site.SOURCE) == STOPPED
    for site in Site:
        assert app.ledger(site)["active-site"] == "dr" and app.lease(site) is None
    # DR served again, so the next failback copies again (the first copy is stale now).
    with BothSitesWatch(app) as retry:
        app.cli.up("source", "failback, for real")
    assert len(calls(dr_serving)) == 2
    assert_failback_done(app)
    no_copy_under_pods(dr_serving)
    assert retry.overlaps == []


@pytest.mark.parametrize("step", ["drain", "copy"])
def test_a_failure_before_the_scale_up_starts_nothing_and_a_re_run_finishes(
        step: str, app: E2eApp, dr_serving: Path) -> None:
    if step == "drain":
        # A pod of DR's web that will not go (a finalizer holds it).
        pod = next(p for p in app.pods(Site.DR) if p["metadata"]["name"].startswith("web-"))
        app.patch_pod(Site.DR, pod["metadata"]["name"],
                      {"metadata": {"finalizers": ["drstack.test/hold"]}})
    else:
        fail_next_copy(dr_serving)
    with BothSitesWatch(app) as both:
        failed = app.cli.up("source", "failback", check=False)

    assert failed.returncode != 0
    state = {"drain": "dr is scaled to 0 but some of its pods are still stopping, and source has "
                      "not started: the application is down on both sites",
             "copy": "dr is at 0 and drained, source has not started and its claims may hold a "
                     "partial copy: the application is down on both sites"}[step]
    assert f"Now: {state}" in failed.stdout
    assert app.replicas(Site.SOURCE) == STOPPED and app.pods(Site.SOURCE) == []

    if step == "drain":
        app.patch_pod(Site.DR, pod["metadata"]["name"], {"metadata": {"finalizers": None}})
    with BothSitesWatch(app) as again:
        app.cli.up("source", "failback, again")
    assert_failback_done(app)
    no_copy_under_pods(dr_serving)
    assert both.overlaps == [] and again.overlaps == []


def test_a_failback_refuses_to_copy_into_a_source_someone_started(
        app: E2eApp, dr_serving: Path) -> None:
    # After the cutover, someone scaled db up on source by hand: split brain.
    app.scale_by_hand(Site.SOURCE, "StatefulSet", "db", 1)
    app.wait_until(lambda: app.ready_pods(Site.SOURCE)["db"] == 1, "db runs on source")

    refused = app.cli.preview("source", check=False)

    assert refused.returncode != 0
    assert "split brain: site source runs StatefulSet/db (1 replica)" in refused.stdout
    assert "never copies under running pods" in refused.stdout
    assert calls(dr_serving) == []
    assert app.replicas(Site.DR) == SERVING  # nothing was touched


def test_the_watch_does_see_both_sites_running_in_a_warm_switch_which_allows_it(
        app: E2eApp) -> None:
    # The control of the watch the other roads rely on: a warm cutover brings DR up and ready
    # before source goes to 0, so for a while both sites run the application.
    app.configure("dr", strategy="warm")
    with BothSitesWatch(app) as both:
        app.cli.up("dr", "warm cutover")
    assert both.overlaps, "the pod watch saw no moment with pods on both sites"
    assert app.replicas(Site.DR) == SERVING and app.replicas(Site.SOURCE) == STOPPED
