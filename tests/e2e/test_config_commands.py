"""The config commands drstack's messages print, run as printed by the real Pulumi CLI."""

from __future__ import annotations

import dataclasses
import shlex
from pathlib import Path

import pytest
import yaml

from drstack.planner import PlanError, build_plan
from drstack.pulumi_cli import PulumiCli, PulumiEnv
from drstack.testing.real_engine import make_project
from tests.e2e.conftest import PASSPHRASE
from tests.planner.snapshots import DR, NOW, SOURCE, config, ledger, snap, snaps, wl


def test_the_printed_override_command_adds_every_missing_original_after_the_existing_ones(
        tmp_path: Path, pulumi_home: Path) -> None:
    project = make_project(tmp_path / "project")
    stack_file = project / "Pulumi.source.yaml"
    stack_file.write_text(yaml.safe_dump({"config": {
        "drstack:replicaOverrides": ["Deployment/api=2"]}}))
    cli = PulumiCli(project, PulumiEnv(pulumi_home, tmp_path / "state", PASSPHRASE))
    cli.ensure_stack("source")
    # A failback where web and db have no original anywhere; api's comes from the override.
    stopped = snaps(snap(SOURCE, wl("api", 0), wl("web", 0), wl("StatefulSet/db", 0),
                         led=ledger(DR, 3)),
                    snap(DR, wl("api", 0), wl("web", 0), wl("StatefulSet/db", 0),
                         led=ledger(DR, 3)))
    cfg = dataclasses.replace(config(SOURCE, overrides={"api": 2}), replica_override_entries=1)
    with pytest.raises(PlanError) as raised:
        build_plan(cfg, stopped, now=NOW)
    printed = str(raised.value)
    command = printed[printed.index("pulumi config set-all"):].splitlines()[0]

    argv = shlex.split(command.replace("db=COUNT", "db=1").replace("web=COUNT", "web=4"))
    cli.run(*argv[1:])

    written = yaml.safe_load(stack_file.read_text())["config"]["drstack:replicaOverrides"]
    assert written == ["Deployment/api=2", "Deployment/web=4", "StatefulSet/db=1"]


def test_one_printed_override_command_appends_at_the_index_after_the_last(
        tmp_path: Path, pulumi_home: Path) -> None:
    project = make_project(tmp_path / "project")
    stack_file = project / "Pulumi.dr.yaml"
    existing = ["Deployment/api=2", "Deployment/worker=1"]
    stack_file.write_text(yaml.safe_dump({"config": {"drstack:replicaOverrides": existing}}))
    cli = PulumiCli(project, PulumiEnv(pulumi_home, tmp_path / "state", PASSPHRASE))
    cli.ensure_stack("dr")
    cfg = dataclasses.replace(config(DR, overrides={"api": 2, "worker": 1}),
                              replica_override_entries=len(existing))
    stopped = snaps(snap(SOURCE, wl("api", 0), wl("worker", 0), wl("web", 0),
                         led=ledger(SOURCE, 3)),
                    snap(DR, wl("api", 0), wl("worker", 0), wl("web", 0), led=ledger(SOURCE, 3)))
    with pytest.raises(PlanError) as raised:
        build_plan(cfg, stopped, now=NOW)
    printed = str(raised.value)
    command = printed[printed.index("pulumi config set -s dr --path"):].splitlines()[0]

    cli.run(*shlex.split(command.replace("COUNT", "3"))[1:])

    written = yaml.safe_load(stack_file.read_text())["config"]["drstack:replicaOverrides"]
    assert written == [*existing, "Deployment/web=3"]
