"""After the readiness gate, on the real engine: the Service gate reads the EndpointSlices the
real controller-manager builds from kwok's pod IPs, then drstack:verifyUrls are probed from
this machine, and only then is the ledger written."""

from __future__ import annotations

import json
from typing import Any

from drstack.model import Site
from drstack.testing.real_engine import E2eApp
from drstack.testing.scripted_http import ScriptedHttpServer, SeenRequest

SERVING = {"web": 3, "api": 2, "db": 1}
PASSWORD = "e2e-verify-pa55-8c2b"


def endpoint_counts(app: E2eApp, site: Site) -> dict[str, tuple[int, int]]:
    """Service -> (ready, total) endpoints, from the EndpointSlices on ``site``, as admin."""
    ns = app.namespaces[site]
    slices = app.clusters[site].request(
        "GET", f"/apis/discovery.k8s.io/v1/namespaces/{ns}/endpointslices")["items"]
    counts: dict[str, tuple[int, int]] = {}
    for item in slices:
        service = item["metadata"]["labels"]["kubernetes.io/service-name"]
        endpoints = item.get("endpoints") or []
        ready = sum((e.get("conditions") or {}).get("ready") is not False for e in endpoints)
        old = counts.get(service, (0, 0))
        counts[service] = (old[0] + ready, old[1] + len(endpoints))
    return counts


def test_a_cutover_verifies_the_services_endpoints_and_a_local_url_before_the_ledger(
        app: E2eApp) -> None:
    seen_at_probe: list[dict[str, Any]] = []

    def record(request: SeenRequest) -> None:
        # What the clusters look like when drstack's probe arrives.
        seen_at_probe.append({"endpoints": endpoint_counts(app, Site.DR),
                              "ledger": app.ledger(Site.DR).get("active-site")})

    with ScriptedHttpServer([503], then=200, on_request=record) as server:
        app.configure("dr", verifyUrls=[server.url("/health")], verifyTimeout="60s")
        preview = app.cli.preview("dr").stdout
        assert server.requests == []  # no probe in a preview
        assert ("verify dr: each Service that selects a switched workload has a ready endpoint "
                "per pod; then, asked from this machine: "
                f"http://127.0.0.1:{server.port}/health -> 2xx") in preview

        app.cli.up("dr", "cutover, verified")

    outputs = app.cli.outputs("dr")
    # The gate counted the endpoints of the real EndpointSlices: one ready per pod.
    assert outputs["serviceEndpoints"] == {name: {"ready": n, "total": n, "expected": n}
                                           for name, n in SERVING.items()}
    [probe] = outputs["urlProbes"]
    assert (probe["url"], probe["status"], probe["attempts"]) == (
        f"http://127.0.0.1:{server.port}/health", 200, 2)
    assert probe["latencyMs"] > 0 and outputs["verifiedAt"]
    assert outputs["steps"][-2:] == ["ready dr", "verify dr"]
    # The probe came after the Service gate (every Service had its ready endpoints) and before
    # the ledger (this first switch's is the first ledger: DR had none yet).
    assert seen_at_probe[0] == {"endpoints": {n: (c, c) for n, c in SERVING.items()},
                                "ledger": None}
    for site in Site:
        assert app.ledger(site)["active-site"] == "dr"
    assert app.ready_pods(Site.DR) == SERVING


def test_a_url_answering_503_stops_the_cutover_before_the_ledger_and_a_rerun_finishes_it(
        app: E2eApp) -> None:
    app.cli.up("source", "adopt")
    generation = app.ledger(Site.SOURCE)["generation"]
    with ScriptedHttpServer(then=503) as server:
        url = server.url("/health", userinfo=f"ops:{PASSWORD}")
        app.configure("dr", verifyTimeout="3s")
        # A URL with a password must be a secret (drstack refuses it otherwise); read from
        # stdin, as the README's kubeconfig secrets are, so that it is in no argv.
        app.cli.run("config", "set", "-s", "dr", "--secret", "--path", "drstack:verifyUrls[0]",
                    stdin=url)
        failed = app.cli.up("dr", "cutover", check=False)
        answered_503 = len(server.requests)

        assert failed.returncode != 0
        assert (f"http://127.0.0.1:{server.port}/health: expected 2xx, last answer 503 Service "
                "Unavailable") in failed.stdout
        assert answered_503 >= 1 and "drstack:verifyTimeout" in failed.stdout
        # Nothing is lost: DR was scaled up and is ready, but the switch is not recorded, and
        # the lease keeps the switch for this stack.
        assert app.ready_pods(Site.DR) == SERVING
        for site in Site:
            assert (app.ledger(site)["active-site"], app.ledger(site)["generation"]) == (
                "source", generation)
            assert app.lease(site)["holder"] == "dr"

        server.then = 200  # the load balancer admits the new site
        done = app.cli.up("dr", "cutover, again")

    assert len(server.requests) == answered_503 + 1
    for site in Site:
        assert app.ledger(site)["active-site"] == "dr" and app.lease(site) is None
    assert app.cli.outputs("dr")["urlProbes"][0]["status"] == 200
    records = {
        "stack file": (app.project / "Pulumi.dr.yaml").read_text(),
        "CLI output": failed.stdout + done.stdout,
        "stack export": json.dumps(app.cli.export("dr")),
        "stack outputs": app.cli.run("stack", "output", "-s", "dr", "--json").stdout,
        "stack history": json.dumps(app.cli.history("dr")),
    }
    for where, text in records.items():
        assert PASSWORD not in text, f"the URL's password is in the {where}"
