from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from drstack.pvmigrate.command import Endpoint, build_argv
from drstack.pvmigrate.flags import PvMigrateFlagsInvalid, split_flags
from drstack.pvmigrate.version import PvMigrateVersion
from drstack.testing.fake_pvmigrate import read_invocations, write_fake_pvmigrate

SRC = Endpoint("/keys/source.yaml", "src-ctx", "shop", "data-db-0")
DST = Endpoint("/keys/dr.yaml", "dr-ctx", "shop-dr", "data-db-0-dr")
SRC_NO_CTX = Endpoint("/keys/source.yaml", None, "shop", "data-db-0")
DST_NO_CTX = Endpoint("/keys/dr.yaml", None, "shop-dr", "data-db-0-dr")


def test_v1_argv_with_contexts() -> None:
    argv = build_argv("pv-migrate", PvMigrateVersion(1, "1.7.1"), SRC, DST, ["-i", "-s", "lbsvc"])
    assert argv == [
        "pv-migrate", "migrate",
        "-k", "/keys/source.yaml", "-c", "src-ctx", "-n", "shop",
        "-K", "/keys/dr.yaml", "-C", "dr-ctx", "-N", "shop-dr",
        "--log-format", "json",
        "-i", "-s", "lbsvc",
        "data-db-0", "data-db-0-dr",
    ]


def test_v1_argv_without_contexts() -> None:
    argv = build_argv("/opt/pv-migrate", PvMigrateVersion(1, "1.0.0"), SRC_NO_CTX, DST_NO_CTX, [])
    assert argv == [
        "/opt/pv-migrate", "migrate",
        "-k", "/keys/source.yaml", "-n", "shop",
        "-K", "/keys/dr.yaml", "-N", "shop-dr",
        "--log-format", "json",
        "data-db-0", "data-db-0-dr",
    ]


@pytest.mark.parametrize("version", [PvMigrateVersion(2, "2.1.0"), PvMigrateVersion(3, "3.3.0")])
def test_v2_v3_argv_with_contexts(version: PvMigrateVersion) -> None:
    extra = ["--lbsvc-timeout", "30m"] if version.major == 2 else ["--loadbalancer-timeout=30m"]
    argv = build_argv("pv-migrate", version, SRC, DST, extra)
    assert argv == [
        "pv-migrate", "--source", "data-db-0", "--dest", "data-db-0-dr",
        "-k", "/keys/source.yaml", "-c", "src-ctx", "-n", "shop",
        "-K", "/keys/dr.yaml", "-C", "dr-ctx", "-N", "shop-dr",
        "--log-format", "json",
        *extra,
    ]


@pytest.mark.parametrize("version", [PvMigrateVersion(2, "2.0.0"), PvMigrateVersion(3, "3.0.0")])
def test_v2_v3_argv_without_contexts(version: PvMigrateVersion) -> None:
    argv = build_argv("pv-migrate", version, SRC_NO_CTX, DST_NO_CTX, [])
    assert argv == [
        "pv-migrate", "--source", "data-db-0", "--dest", "data-db-0-dr",
        "-k", "/keys/source.yaml", "-n", "shop",
        "-K", "/keys/dr.yaml", "-N", "shop-dr",
        "--log-format", "json",
    ]


def test_empty_context_is_omitted() -> None:
    argv = build_argv("pv-migrate", PvMigrateVersion(3, "3.3.0"),
                      Endpoint("/k", "", "ns", "a"), Endpoint("/K", None, "ns2", "b"), [])
    assert "-c" not in argv and "-C" not in argv


def test_flags_wrong_for_the_version_are_refused_with_all_problems() -> None:
    with pytest.raises(PvMigrateFlagsInvalid) as caught:
        build_argv("pv-migrate", PvMigrateVersion(3, "3.3.0"), SRC, DST,
                   split_flags("--lbsvc-timeout 30m --strategy rsync"))
    assert len(caught.value.problems) == 2
    assert "use --loadbalancer-timeout" in str(caught.value)


def test_no_kubeconfig_contents_in_argv() -> None:
    argv = build_argv("pv-migrate", PvMigrateVersion(3, "3.3.0"), SRC, DST, [])
    assert not any("apiVersion" in a or "\n" in a for a in argv)


@pytest.mark.parametrize("major", [1, 2, 3])
def test_shell_metacharacters_stay_one_literal_argument(tmp_path: Path, major: int) -> None:
    marker = tmp_path / "pwned"
    binary = write_fake_pvmigrate(tmp_path / "bin", major=major, behaviour="print")
    hostile = f";touch {marker}"
    extra = split_flags(f"--helm-set 'x={hostile}' --helm-set-string \"y=$(touch {marker})\"")
    version = PvMigrateVersion(major, f"{major}.0.0")
    argv = build_argv(str(binary), version, SRC, DST, extra)
    done = subprocess.run(argv, capture_output=True, check=True, timeout=20)
    assert json.loads(done.stdout) == argv[1:]
    [call] = read_invocations(tmp_path / "bin")
    assert f"x={hostile}" in call["argv"]
    assert f"y=$(touch {marker})" in call["argv"]
    assert not marker.exists()
