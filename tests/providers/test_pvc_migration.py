"""PvcMigration called directly, with a fake pv-migrate of each major version."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from drstack import annotation_keys
from drstack.model import CopyRecord, Lease, Site
from drstack.providers import SKIPPED, MigrationNotStarted, MigrationSpec, PvcMigrationProvider
from drstack.pvmigrate import MigrationFailed
from drstack.testing.fake_pvmigrate import read_invocations, write_fake_pvmigrate
from drstack.testing.fakekube import objects
from tests.providers.sites import DR_NS, SOURCE_NS, Sites, configured

PAIRS = [{"source": "data", "dr": "data-dr"}]


# Under the engine the cwd is the program folder; the logs go under it.
pytestmark = pytest.mark.usefixtures("in_program_folder")


def props(binary: Path | str, **over: object) -> dict:
    base = {"fromSite": "dr", "toSite": "source", "transition": "failback#5", "pairs": PAIRS,
            "flags": [], "concurrency": 2.0, "timeoutSeconds": 5.0, "pvMigratePath": str(binary)}
    return {**base, **over}


def expected_argv(major: int, sites: Sites, flags: list[str]) -> list[str]:
    cluster = ["-k", str(sites.dr_kubeconfig), "-c", "dr-ctx", "-n", DR_NS,
               "-K", str(sites.source_kubeconfig), "-C", "source-ctx", "-N", SOURCE_NS,
               "--log-format", "json"]
    if major == 1:
        return ["migrate", *cluster, *flags, "data-dr", "data"]
    return ["--source", "data-dr", "--dest", "data", *cluster, *flags]


@pytest.mark.parametrize("major", [1, 2, 3])
def test_exact_argv_per_major_version(major: int, sites: Sites, tmp_path: Path,
                                      in_program_folder: Path) -> None:
    fake_dir = tmp_path / f"v{major}"
    binary = write_fake_pvmigrate(fake_dir, major=major)
    provider = configured(PvcMigrationProvider, sites.config)
    flags = ["-i", "--no-chown"]
    assert provider.check({}, props(binary, flags=flags)).failures == []
    outs = provider.create(props(binary, flags=flags)).outs

    [call] = read_invocations(fake_dir)
    assert call["argv"] == expected_argv(major, sites, flags)
    assert outs["result"] == "copied"
    assert outs["direction"] == "dr -> source"
    assert outs["pvMigrateVersion"].startswith(f"{major}.")
    assert outs["pairs"] == PAIRS
    assert outs["startedAt"] <= outs["endedAt"]
    [record] = outs["results"]
    assert record["source"] == "data" and record["dr"] == "data-dr"
    assert record["status"] == "succeeded" and record["exitCode"] == 0
    log = Path(record["log"])
    assert log.is_file() and "Migration succeeded" in log.read_text()
    assert re.fullmatch(r"\d{8}T\d{6}Z-failback#5", log.parent.name)
    assert log.parent.parent == in_program_folder / ".drstack" / "logs"
    # The copy step itself reads the destination's pods first and, once done, records the
    # copy on its namespace; it never touches the site copied from.
    assert [(r.method, r.path.rsplit("/", 1)[-1]) for r in sites.source.requests] == [
        ("GET", "pods"), ("GET", SOURCE_NS), ("PATCH", SOURCE_NS)]
    assert sites.dr.requests == []


def test_failing_copy_raises_with_pvc_direction_exit_code_and_log_tail(sites: Sites,
                                                                       tmp_path: Path) -> None:
    binary = write_fake_pvmigrate(tmp_path / "fake", major=3, behaviour="fail")
    provider = configured(PvcMigrationProvider, sites.config)
    with pytest.raises(MigrationFailed) as caught:
        provider.create(props(binary))
    text = str(caught.value)
    assert "data-dr -> data (dr -> source)" in text
    assert "exit code 1" in text
    assert "all strategies failed" in text  # from the log's tail


def test_flag_the_version_lacks_fails_check_and_create_before_any_copy(sites: Sites,
                                                                        tmp_path: Path) -> None:
    fake_dir = tmp_path / "fake"
    binary = write_fake_pvmigrate(fake_dir, major=3)
    provider = configured(PvcMigrationProvider, sites.config)
    bad = props(binary, flags=["--lbsvc-timeout", "30m"])
    [failure] = provider.check({}, bad).failures
    assert failure.property == "flags"
    assert "--lbsvc-timeout" in failure.reason and "3.3.0" in failure.reason
    assert "--loadbalancer-timeout" in failure.reason
    with pytest.raises(MigrationNotStarted) as caught:
        provider.create(bad)
    assert "--lbsvc-timeout" in str(caught.value) and "3.3.0" in str(caught.value)
    assert "no PVC was copied" in str(caught.value)
    assert read_invocations(fake_dir) == []
    # In steady state no pv-migrate is needed: no check failure.
    assert provider.check({}, {**bad, "transition": "none"}).failures == []


def test_missing_binary_fails_check_and_create(sites: Sites, tmp_path: Path) -> None:
    provider = configured(PvcMigrationProvider, sites.config)
    missing = props(tmp_path / "nowhere" / "pv-migrate")
    [failure] = provider.check({}, missing).failures
    assert failure.property == "pvMigratePath" and "does not exist" in failure.reason
    with pytest.raises(MigrationNotStarted, match="does not exist"):
        provider.create(missing)
    on_path = props("pv-migrate-not-installed-here")
    assert "not found on PATH" in provider.check({}, on_path).failures[0].reason


def test_concurrency_bound_is_respected(sites: Sites, tmp_path: Path) -> None:
    fake_dir = tmp_path / "fake"
    binary = write_fake_pvmigrate(fake_dir, major=3, seconds=0.3)
    pairs = [{"source": f"c{i}", "dr": f"c{i}"} for i in range(4)]
    provider = configured(PvcMigrationProvider, sites.config)
    outs = provider.create(props(binary, pairs=pairs, concurrency=2.0)).outs
    calls = read_invocations(fake_dir)
    assert len(calls) == 4 and [r["status"] for r in outs["results"]] == ["succeeded"] * 4
    peak = max(sum(1 for c in calls if c["start"] <= t < c["end"]) for t in
               (c["start"] for c in calls))
    assert peak == 2


def test_inline_kubeconfig_goes_to_a_private_file_removed_afterwards(sites: Sites,
                                                                     tmp_path: Path) -> None:
    token = "inline-secret-token-0123456789"
    sites.dr.token = token
    config = {**sites.config, "drstack:drKubeconfig": sites.dr.kubeconfig_text("dr-ctx", token)}
    fake_dir = tmp_path / "fake"
    binary = write_fake_pvmigrate(fake_dir, major=3)
    provider = configured(PvcMigrationProvider, config)
    outs = provider.create(props(binary)).outs
    [call] = read_invocations(fake_dir)
    path = call["argv"][call["argv"].index("-k") + 1]
    assert path != str(sites.dr_kubeconfig) and not os.path.exists(path)
    assert not os.path.exists(os.path.dirname(path))  # its private directory went too
    assert call["argv"][call["argv"].index("-K") + 1] == str(sites.source_kubeconfig)
    assert token not in repr(outs)

    failing_dir = tmp_path / "failing"
    failing = write_fake_pvmigrate(failing_dir, major=3, behaviour="fail")
    with pytest.raises(MigrationFailed) as caught:
        provider.create(props(failing))
    [call] = read_invocations(failing_dir)
    assert not os.path.exists(call["argv"][call["argv"].index("-k") + 1])
    assert token not in str(caught.value) and "BEGIN" not in str(caught.value)


def test_inline_kubeconfig_file_is_private_while_the_copy_runs(sites: Sites,
                                                               tmp_path: Path) -> None:
    config = {**sites.config, "drstack:drKubeconfig": sites.dr.kubeconfig_text("dr-ctx")}
    # A fake that records the mode of the file its -k points at, then succeeds.
    probe = tmp_path / "probe"
    probe.mkdir()
    script = probe / "pv-migrate"
    script.write_text(
        f"#!{sys.executable}\nimport os, sys\n"
        "if sys.argv[1:] == ['--version']:\n    print('pv-migrate version 3.3.0'); sys.exit(0)\n"
        "path = sys.argv[sys.argv.index('-k') + 1]\n"
        f"open({str(probe / 'mode')!r}, 'w').write(oct(os.stat(path).st_mode & 0o777) + ' ' "
        "+ oct(os.stat(os.path.dirname(path)).st_mode & 0o777))\n"
    )
    script.chmod(0o755)
    configured(PvcMigrationProvider, config).create(props(script))
    assert (probe / "mode").read_text() == "0o600 0o700"


def test_steady_state_and_no_pairs_run_nothing(sites: Sites, tmp_path: Path) -> None:
    fake_dir = tmp_path / "fake"
    binary = write_fake_pvmigrate(fake_dir, major=3)
    provider = PvcMigrationProvider()  # not even configured: nothing may need the config
    steady = props(binary, transition="none")
    assert provider.create(steady).outs["result"] == SKIPPED
    assert provider.diff("id", steady, steady).changes is False
    assert provider.diff("id", steady, props(binary)).changes is True
    outs = provider.create(props(binary, pairs=[])).outs
    assert outs["result"] == "skipped: no PVC pairs"
    assert read_invocations(fake_dir) == []


def test_check_reports_bad_inputs(tmp_path: Path) -> None:
    provider = PvcMigrationProvider()
    bad = props("pv-migrate", toSite="dr", concurrency=0, timeoutSeconds=0,
                pairs=[{"source": "data"}], flags="-i")
    failures = {f.property: f.reason for f in provider.check({}, bad).failures}
    assert set(failures) == {"toSite", "concurrency", "timeoutSeconds", "pairs[0].dr", "flags"}
    assert ">= 1" in failures["concurrency"]


def test_the_spec_reads_back_what_it_writes() -> None:
    wire = props("/opt/pv-migrate", flags=["-i", "--helm-set", "a=b c"])
    spec, inputs = MigrationSpec.from_props(wire)
    assert inputs.failures == [] and not inputs.incomplete
    assert spec.to_props() == wire
    assert MigrationSpec.from_props(spec.to_props())[0] == spec


def test_a_copy_never_starts_while_a_pod_mounts_a_destination_claim(sites: Sites,
                                                                    tmp_path: Path) -> None:
    # Someone started the workload on the site being made active (split brain).
    sites.source.put(objects.pod("db-0", {"app": "db"}, claim_names=["data"]), SOURCE_NS)
    fake_dir = tmp_path / "fake"
    binary = write_fake_pvmigrate(fake_dir, major=3)

    with pytest.raises(MigrationNotStarted) as refused:
        configured(PvcMigrationProvider, sites.config).create(props(binary))

    message = str(refused.value)
    assert "db-0 (phase Running; claim data)" in message
    assert "never copies under running pods" in message and "split brain" in message
    assert read_invocations(fake_dir) == []  # pv-migrate never ran
    assert [r for r in sites.source.writes()] == []


def test_a_finished_copy_is_recorded_on_the_destination_under_the_lease_held(
        sites: Sites, tmp_path: Path) -> None:
    held = Lease("source", "2026-11-27T10:00:00+00:00", "failback#5", Site.DR)
    namespace = sites.source.get("namespaces", None, SOURCE_NS)
    namespace["metadata"]["annotations"] = {annotation_keys.LEDGER_LEASE: held.encode()}
    sites.source.put(namespace)
    binary = write_fake_pvmigrate(tmp_path / "fake", major=3)

    configured(PvcMigrationProvider, sites.config).create(props(binary))

    notes = sites.source.get("namespaces", None, SOURCE_NS)["metadata"]["annotations"]
    record = CopyRecord.parse(notes[annotation_keys.COPY_RECORD])
    assert record is not None and record.transition == "failback#5"
    assert record.from_site is Site.DR
    assert record.finished_under(held, "failback#5")
    # The lease taken again (a go-back broke it, or a later switch): the copy is stale.
    assert not record.finished_under(
        Lease("source", "2026-11-27T11:00:00+00:00", "failback#5", Site.DR), "failback#5")
