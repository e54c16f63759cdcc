"""The data copy's place in a real switch, and credentials kept out of every record."""

from __future__ import annotations

import json
from pathlib import Path

from drstack.model import Site
from drstack.testing.observing_pv_migrate import calls, write_observing_pv_migrate
from drstack.testing.real_engine import E2eApp

SERVING = {"web": 3, "api": 2, "db": 1}


def test_failback_runs_fake_pv_migrate_after_the_drain_and_before_the_scale_up(
        app: E2eApp) -> None:
    # FAKE pv-migrate: the real one cannot be built here (tools/README.md). The fake copies
    # nothing; it records its argv and which pods mounted either claim while it ran.
    fake = write_observing_pv_migrate(app.tmp / "pv-migrate")
    app.configure("source", reverseMigratePvcData=True, pvMigratePath=str(fake))
    app.cli.up("dr", "cutover")

    app.cli.up("source", "failback, with DR's data")

    (call,) = calls(fake.parent)
    dr, source = app.namespaces[Site.DR], app.namespaces[Site.SOURCE]
    assert call["argv"] == [
        "--source", "data-db-0", "--dest", "data-db-0",
        "-k", str(app.kubeconfig(Site.DR)), "-c", "dr", "-n", dr,
        "-K", str(app.kubeconfig(Site.SOURCE)), "-C", "source", "-N", source,
        "--log-format", "json",
    ]
    # After the drain gate: no pod of DR's db mounted its claim. Before the scale-up: no pod
    # on source mounted the claim being written.
    assert call["podsMounting"] == {"source": [], "dest": []}
    assert app.ready_pods(Site.SOURCE) == SERVING
    copy = app.cli.outputs("source")["dataCopy"]
    assert copy["direction"] == "dr -> source"
    assert copy["pairs"] == [{"source": "data-db-0", "dr": "data-db-0"}]


def test_inline_kubeconfigs_set_as_secrets_appear_in_no_state_export_history_or_log(
        app: E2eApp) -> None:
    tokens = {site: _token(app.kubeconfig(site)) for site in Site}
    for stack in ("source", "dr"):
        for site in Site:
            # As the README says: the file's contents, as a secret (read from stdin here).
            app.cli.run("config", "set", "-s", stack, "--secret", f"drstack:{site.value}Kubeconfig",
                        stdin=app.kubeconfig(site).read_text())
    logs = [app.cli.up("dr", "cutover").stdout, app.cli.up("source", "failback").stdout,
            app.cli.preview("dr").stdout]
    assert app.ready_pods(Site.SOURCE) == SERVING  # the secrets were usable

    records = {
        "stack files": "".join(p.read_text() for p in app.project.glob("Pulumi.*.yaml")),
        "state, history and backups": _all_files(app.cli.env.backend_dir),
        "stack export": json.dumps([app.cli.export(s) for s in ("source", "dr")]),
        "stack history": json.dumps([app.cli.history(s) for s in ("source", "dr")]),
        "stack outputs": app.cli.run("stack", "output", "-s", "source", "--json").stdout,
        "CLI output": "\n".join(logs),
        "drstack logs": _all_files(app.project / ".drstack"),
    }
    for where, text in records.items():
        for site, token in tokens.items():
            assert token not in text, f"the {site} token is in the {where} in plain text"
    # The secrets are there, encrypted.
    assert "secure:" in records["stack files"]


def _token(kubeconfig: Path) -> str:
    import yaml

    return yaml.safe_load(kubeconfig.read_text())["users"][0]["user"]["token"]


def _all_files(folder: Path) -> str:
    if not folder.exists():
        return ""
    return "".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file())
