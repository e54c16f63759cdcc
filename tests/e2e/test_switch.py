"""Adopt, cutover and failback with the real CLI, provider and API servers."""

from __future__ import annotations

from drstack.model import Site
from drstack.testing.real_engine import E2eApp

SERVING = {"web": 3, "api": 2, "db": 1}
STOPPED = {"web": 0, "api": 0, "db": 0}
RECORDED = {"web": "3", "api": "2", "db": "1"}


def test_first_up_on_source_adopts_the_pair_without_changing_a_replica(app: E2eApp) -> None:
    app.cli.up("source", "drstack adopts my-app")

    assert app.replicas(Site.SOURCE) == SERVING
    assert app.replicas(Site.DR) == STOPPED
    for site in Site:
        ledger = app.ledger(site)
        assert (ledger["active-site"], ledger["generation"], ledger["transition"]) == (
            "source", "1", "adopt")
        assert ledger["lease"] == ""
    assert app.ready_pods(Site.SOURCE) == SERVING


def test_cutover_then_failback_move_the_app_and_record_each_switch(app: E2eApp) -> None:
    app.cli.up("dr", "cutover: INC-1 drill")

    assert app.replicas(Site.DR) == SERVING
    assert app.replicas(Site.SOURCE) == STOPPED
    # The readiness gate held the update until DR was serving.
    assert app.ready_pods(Site.DR) == SERVING
    assert app.ready_pods(Site.SOURCE) == STOPPED
    for site in Site:
        assert app.originals(site) == RECORDED
        assert app.ledger(site)["active-site"] == "dr"
    generation = int(app.ledger(Site.DR)["generation"])

    app.cli.up("source", "failback: INC-1 resolved")

    assert app.replicas(Site.SOURCE) == SERVING
    assert app.ready_pods(Site.SOURCE) == SERVING
    assert app.replicas(Site.DR) == STOPPED
    assert app.ready_pods(Site.DR) == STOPPED
    for site in Site:
        assert app.originals(site) == RECORDED
        ledger = app.ledger(site)
        assert (ledger["active-site"], ledger["transition"], ledger["lease"]) == (
            "source", "failback", "")
        assert int(ledger["generation"]) == generation + 1
