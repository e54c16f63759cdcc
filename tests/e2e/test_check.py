"""`python -m drstack check` on the real clusters, run as a cron job would: a process of its own,
with no Pulumi CLI on its PATH. Before and after a real cutover, with the kubeconfigs set as
secrets by the real CLI, and while a real cutover holds the lease."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from drstack.model import Site
from drstack.testing.real_engine import E2eApp
from drstack.toolchain import python_of_project

SERVING = {"web": 3, "api": 2, "db": 1}


def check(app: E2eApp, *args: str) -> tuple[int, dict[str, Any], str]:
    """Run `check` in the project folder; its exit code, its JSON report, and its table."""
    env = {**os.environ, "PATH": "/usr/bin:/bin"}  # no pulumi: the check must not need it
    runs = []
    for output in (("--json",), ()):
        done = subprocess.run([python_of_project(), "-m", "drstack", "check", *output, *args],
                              cwd=app.project, env=env, capture_output=True, text=True,
                              timeout=300, check=False)
        runs.append(done)
    as_json, table = runs
    assert as_json.returncode == table.returncode, (as_json.stdout, table.stdout)
    assert as_json.stderr == "", as_json.stderr
    return as_json.returncode, json.loads(as_json.stdout) if as_json.stdout else {}, table.stdout


def direction(report: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [d for d in report["directions"] if d["direction"] == name]
    return found


def untouched(app: E2eApp) -> dict[Site, tuple[str, dict[str, int]]]:
    """Each namespace's resourceVersion (the ledger and lease live there) and workload counts."""
    return {site: (app.clusters[site].request(
        "GET", f"/api/v1/namespaces/{app.namespaces[site]}")["metadata"]["resourceVersion"],
        app.replicas(site)) for site in Site}


def test_check_before_and_after_a_real_cutover(app: E2eApp) -> None:
    before = untouched(app)

    code, report, table = check(app)

    assert code == 0, table
    cutover, failback = direction(report, "cutover"), direction(report, "failback")
    assert (cutover["status"], cutover["run"]) == ("ready", "cutover")
    assert cutover["steps"] == ["scale-down source", "drain source", "scale-up dr", "ready dr",
                                "verify dr"]
    assert (failback["status"], failback["run"]) == ("ready", "adopt")
    assert report["lastSwitch"] is None
    for site in ("source", "dr"):
        view = cutover["sites"][site]
        assert (view["read"], view["readyNodes"] >= 1, view["lease"]) == ("ok", True, None)
    assert "last switch: none recorded" in table
    assert untouched(app) == before  # nothing written: the ledger's namespace is as it was

    app.cli.up("dr", "cutover: drill")
    code, report, table = check(app)

    assert code == 0, table
    cutover, failback = direction(report, "cutover"), direction(report, "failback")
    assert (cutover["status"], cutover["run"]) == ("ready", "none")
    assert (failback["status"], failback["run"]) == ("ready", "failback")
    assert failback["steps"] == ["scale-down dr", "drain dr", "scale-up source",
                                "ready source", "verify source"]
    last = report["lastSwitch"]
    assert (last["activeSite"], last["transition"], last["stack"]) == ("dr", "cutover", "dr")
    assert 0 <= last["ageSeconds"] < 600
    assert "last switch: generation 1, cutover to dr by stack dr at " in table
    print(table)  # the README's example output comes from here and from the sandbox


def test_check_with_secrets_from_the_real_cli_and_a_lease_held_by_a_running_cutover(
        app: E2eApp) -> None:
    for stack in ("source", "dr"):
        for site in Site:
            app.cli.run("config", "set", "-s", stack, "--secret",
                        f"drstack:{site.value}Kubeconfig", stdin=app.kubeconfig(site).read_text())
    code, report, table = check(app)
    assert code == 3, table
    assert "Pulumi.dr.yaml holds drstack:drKubeconfig, drstack:sourceKubeconfig as secret(s)" \
        in table
    assert "--config-json dr=<(pulumi config -s dr --show-secrets --json)" in table

    # The way round the README gives: the CLI's own output, here in files.
    given: list[str] = []
    for stack in ("source", "dr"):
        path = Path(app.tmp / f"{stack}-config.json")
        path.write_text(app.cli.run("config", "-s", stack, "--show-secrets", "--json").stdout)
        given += ["--config-json", f"{stack}={path}"]
    code, report, table = check(app, *given)
    assert code == 0, table

    # A cutover that cannot finish (DR's nodes cordoned) holds the lease while it waits.
    app.set_schedulable(Site.DR, False)
    cutover = app.cli.start("up", "-s", "dr", "--yes", "--skip-preview", "-m", "cutover",
                            log=app.tmp / "cutover.log")
    try:
        app.wait_until(lambda: app.replicas(Site.DR) == SERVING, "the cutover scaled dr up")
        code, report, table = check(app, *given)
    finally:
        app.set_schedulable(Site.DR, True)
    assert cutover.wait(timeout=300) == 0, (app.tmp / "cutover.log").read_text()[-3000:]

    assert code == 2, table
    failback = direction(report, "failback")
    assert failback["status"] == "blocked"
    assert any(f["check"] == "lease" and "a switch by stack 'dr' (cutover#1) holds the drstack "
               "lease" in f["message"] for f in failback["findings"]), failback["findings"]
    assert failback["sites"]["source"]["lease"]["holder"] == "dr"
    # The dr stack re-runs its own switch: the lease does not stop it.
    assert direction(report, "cutover")["status"] == "ready", table
    print(table)

    code, report, table = check(app, *given)
    assert code == 0, table
    assert direction(report, "failback")["sites"]["source"]["lease"] is None
