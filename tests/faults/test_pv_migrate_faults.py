"""pv-migrate failing on the worst day: a failed copy, a hung copy, a missing binary, a flag the
installed version lacks, an unknown or unsupported version. Through the PvcMigration provider
(called as the engine calls it) and through the program's preview.
"""

from __future__ import annotations

import functools
import os
import time
from pathlib import Path
from typing import Any

import pulumi
import pytest

import drstack.providers.pvc_migration as pvc_migration
from drstack.providers import MigrationNotStarted, PvcMigrationProvider
from drstack.pvmigrate import MigrationFailed
from drstack.testing.fake_pvmigrate import read_invocations, write_fake_pvmigrate
from drstack.testing.fakekube import FakeKubeServer
from drstack.testing.scenario import DR_NS, SOURCE_NS, base_config, ledger, populate
from tests.faults import dynamic, run, write_paths
from tests.providers.sites import Sites, configured

PAIRS = [{"source": "data-db-0", "dr": "data-db-0"}, {"source": "web-data", "dr": "web-data-dr"}]


# Under the engine the cwd is the program folder; the logs go under it.
pytestmark = pytest.mark.usefixtures("in_program_folder")


def copy_props(binary: Path | str, **over: Any) -> dict[str, Any]:
    base = {"fromSite": "dr", "toSite": "source", "transition": "failback#5", "pairs": PAIRS,
            "flags": [], "concurrency": 2.0, "timeoutSeconds": 5.0,
            "pvMigratePath": str(binary)}
    return {**base, **over}


def gone(pid: int) -> bool:
    """True when ``pid`` no longer runs (a zombie waiting for its reaper counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state == "Z"


# ---- the provider ---------------------------------------------------------------------------


def test_failed_copy_names_each_pvc_the_direction_the_exit_code_and_the_log_tail(
        sites: Sites, tmp_path: Path, in_program_folder: Path):
    fake = tmp_path / "fake"
    binary = write_fake_pvmigrate(fake, major=3, behaviour="fail")
    provider = configured(PvcMigrationProvider, sites.config)
    with pytest.raises(MigrationFailed) as caught:
        provider.create(copy_props(binary))
    text = str(caught.value)
    assert "2 of 2 PVC copies (dr -> source) did not succeed" in text
    assert "re-running copies only what changed" in text
    # One entry per PVC: names on both sides, direction, exit code and the stderr tail.
    assert "* data-db-0 -> data-db-0 (dr -> source): failed" in text
    assert "* web-data-dr -> web-data (dr -> source): failed" in text
    assert text.count("exit code 1\n  log: ") == 2
    assert text.count("Error: migration failed: all strategies failed") == 2
    assert {f.status for f in caught.value.failures} == {"failed"}
    for failure in caught.value.failures:
        log = Path(failure.log_path)
        assert f"log: {log}" in text
        assert log.is_file() and log.is_relative_to(in_program_folder / ".drstack" / "logs")
        assert "all strategies failed" in log.read_text()
    # Every pair was tried (a failure does not skip the others); a failed copy records nothing
    # (the step only read the destination's pods before it started).
    assert len(read_invocations(fake)) == 2
    assert sites.source.writes() == [] and sites.dr.requests == []


def test_hung_copy_is_killed_at_the_migration_timeout_with_its_children(
        sites: Sites, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # pv-migrate's SIGTERM grace is 10 s in production; 0.3 s keeps this test short.
    monkeypatch.setattr(pvc_migration, "run_migrations",
                        functools.partial(pvc_migration.run_migrations, kill_grace=0.3))
    fake = tmp_path / "fake"
    binary = write_fake_pvmigrate(fake, major=3, behaviour="hang")
    provider = configured(PvcMigrationProvider, sites.config)
    started = time.monotonic()
    with pytest.raises(MigrationFailed) as caught:
        provider.create(copy_props(binary, timeoutSeconds=0.6, pairs=PAIRS[:1]))
    elapsed = time.monotonic() - started
    text = str(caught.value)
    assert "data-db-0 -> data-db-0 (dr -> source): timed out" in text
    assert "exit code none (killed by drstack)" in text
    assert "killed after the time limit of 0.6s" in text  # from the log's tail
    assert elapsed < 0.6 + 0.3 + 5.0 + 2.0  # timeout + TERM grace + KILL wait, bounded
    [call] = read_invocations(fake)
    assert call["end"] is None  # it never finished on its own
    deadline = time.monotonic() + 3
    while not (gone(call["pid"]) and gone(call["child_pid"])) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gone(call["pid"]), "pv-migrate survived its timeout"
    assert gone(call["child_pid"]), "a process pv-migrate started survived its timeout"


def test_binary_removed_between_preview_and_up_fails_before_any_copy(sites: Sites,
                                                                     tmp_path: Path):
    fake = tmp_path / "fake"
    binary = write_fake_pvmigrate(fake, major=3)
    provider = configured(PvcMigrationProvider, sites.config)
    assert provider.check({}, copy_props(binary)).failures == []  # preview: fine
    binary.unlink()
    with pytest.raises(MigrationNotStarted) as caught:
        provider.create(copy_props(binary))
    text = str(caught.value)
    assert "no PVC was copied" in text and "does not exist" in text
    assert "drstack:pvMigratePath" in text and "failback#5" in text and "dr -> source" in text
    assert read_invocations(fake) == []


# ---- the program ----------------------------------------------------------------------------


@pytest.fixture
def failback_with_copy(source_cluster: FakeKubeServer, dr_cluster: FakeKubeServer,
                       tmp_path: Path) -> dict[str, Any]:
    """DR serves; `-s source` is a failback that copies web-data dr -> source."""
    pvcs = ("web-data",)
    populate(source_cluster, SOURCE_NS, deployments={"web": 0}, originals={"web": "3"},
             pvcs=pvcs, ledger_annotations=ledger("dr", 4))
    populate(dr_cluster, DR_NS, deployments={"web": 3}, originals={"web": "3"}, pvcs=pvcs,
             ledger_annotations=ledger("dr", 4))
    return {**base_config(source_cluster, dr_cluster, tmp_path), "reverseMigratePvcData": True}


def assert_failed_before_declaring(captured, *expected: str, servers=()) -> str:
    assert isinstance(captured.error, pulumi.RunError), (
        f"expected a clean pulumi.RunError, got {type(captured.error).__name__}: "
        f"{captured.error}")
    message = str(captured.error)
    for text in expected:
        assert text in message, f"{text!r} not in:\n{message}"
    assert "Traceback" not in message
    assert captured.registrations == [], captured.names()
    assert write_paths(*servers) == []
    return message


@pytest.mark.parametrize("where", ["path", "name on PATH"])
def test_program_preview_fails_when_a_planned_copy_has_no_pv_migrate(
        where, failback_with_copy, source_cluster, dr_cluster, tmp_path):
    binary = str(tmp_path / "nowhere" / "pv-migrate") if where == "path" else (
        "pv-migrate-not-installed-here")
    reason = "does not exist" if where == "path" else "was not found on PATH"
    captured = run({**failback_with_copy, "pvMigratePath": binary}, stack="source")
    assert_failed_before_declaring(captured, "drstack cannot plan this switch", binary, reason,
                                   "drstack:pvMigratePath", servers=(source_cluster, dr_cluster))


def test_steady_state_without_pv_migrate_only_warns(failback_with_copy, source_cluster,
                                                    dr_cluster, tmp_path):
    config = {**failback_with_copy, "migratePvcData": True,
              "pvMigratePath": str(tmp_path / "nowhere" / "pv-migrate")}
    captured = run(config, stack="dr")  # dr is already active: no switch, no copy
    assert captured.error is None, captured.error
    assert captured.outputs["transition"] == "none"
    warnings = [w for w in captured.messages("warning") if "pv-migrate" in w]
    assert warnings and "the next switch's data copy would fail" in warnings[0]
    assert "does not exist" in warnings[0]
    assert write_paths(source_cluster, dr_cluster) == []


@pytest.mark.parametrize("major,flags,expected", [
    (3, "--lbsvc-timeout 30m",
     ("--lbsvc-timeout is not a flag of pv-migrate 3.x", "use --loadbalancer-timeout")),
    (3, "-s svc,mnt2", ("-s value 'svc' is not known to pv-migrate 3.x", "use clusterip",
                        "'mnt2'", "use mount")),
    (2, "--no-cleanup", ("--no-cleanup is not a flag of pv-migrate 2.x", "use --skip-cleanup")),
    (1, "--compress", ("--compress is not a flag of pv-migrate 1.x",
                       "pv-migrate 1.x has no compression switch")),
    (3, "--strategy rsync", ("--strategy is not a flag of pv-migrate 3.x", "use --strategies",
                             "rsync is the data mover")),
    (2, "--no-cleanup-on-failure",
     ("--no-cleanup-on-failure is not a flag of pv-migrate 2.x", "needs pv-migrate 3.3")),
])
def test_program_preview_fails_on_a_flag_the_installed_version_lacks(
        major, flags, expected, failback_with_copy, source_cluster, dr_cluster, tmp_path):
    fake = tmp_path / "fake"
    binary = write_fake_pvmigrate(fake, major=major)
    captured = run({**failback_with_copy, "pvMigratePath": str(binary), "pvMigrateFlags": flags},
                   stack="source")
    assert_failed_before_declaring(captured, *expected, servers=(source_cluster, dr_cluster))
    assert read_invocations(fake) == []  # only `--version` ran: no copy


def test_program_preview_fails_on_an_unreadable_pv_migrate_version(
        failback_with_copy, source_cluster, dr_cluster, tmp_path):
    binary = write_fake_pvmigrate(tmp_path / "fake", major=3, version_text="dev")
    captured = run({**failback_with_copy, "pvMigratePath": str(binary)}, stack="source")
    assert_failed_before_declaring(captured, "cannot read the pv-migrate version",
                                   "install a released pv-migrate",
                                   servers=(source_cluster, dr_cluster))


@pytest.mark.parametrize("version", ["0.12.1", "4.0.0"])
def test_program_preview_fails_cleanly_on_an_unsupported_pv_migrate(
        version, failback_with_copy, source_cluster, dr_cluster, tmp_path):
    binary = write_fake_pvmigrate(tmp_path / "fake", major=3, version_text=version)
    captured = run({**failback_with_copy, "pvMigratePath": str(binary)}, stack="source")
    assert_failed_before_declaring(captured, f"pv-migrate {version}", "install one of those",
                                   servers=(source_cluster, dr_cluster))


def test_program_declares_the_configured_migration_timeout(failback_with_copy, tmp_path):
    binary = write_fake_pvmigrate(tmp_path / "fake", major=3)
    captured = run({**failback_with_copy, "pvMigratePath": str(binary),
                    "migrationTimeout": "1h30m"}, stack="source")
    assert captured.error is None, captured.error
    (copy,) = [r for r in dynamic(captured) if r.name.startswith("pvc-copy")]
    assert copy.inputs["timeoutSeconds"] == 5400
    assert copy.inputs["pairs"] == [{"source": "web-data", "dr": "web-data"}]
    assert os.path.samefile(copy.inputs["pvMigratePath"], binary)
