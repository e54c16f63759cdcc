from __future__ import annotations

from pathlib import Path

import pytest

from drstack.pvmigrate.flags import (
    FLAG_TABLES,
    FlagProblem,
    PvMigrateFlagsInvalid,
    check_flags,
    split_flags,
    usable_pv_migrate,
)
from drstack.pvmigrate.version import PvMigrateMissing, PvMigrateVersion
from drstack.testing.fake_pvmigrate import write_fake_pvmigrate

V1 = PvMigrateVersion(1, "1.7.1")
V2 = PvMigrateVersion(2, "2.1.0")
V3_2 = PvMigrateVersion(3, "3.2.0")
V3 = PvMigrateVersion(3, "3.3.0")


def problems(text: str, version: PvMigrateVersion) -> list[str]:
    return [str(p) for p in check_flags(split_flags(text), version)]


# The seed tutorial's flags -------------------------------------------------------------------

@pytest.mark.parametrize("version", [V1, V2])
def test_seed_cutover_flags_on_1x_2x(version: PvMigrateVersion) -> None:
    # --lbsvc-timeout is fine there; --strategy (singular) and "rsync" are wrong everywhere.
    found = problems("--lbsvc-timeout 30m --strategy rsync", version)
    assert len(found) == 1
    assert found[0].startswith(f"--strategy is not a flag of pv-migrate {version.major}.x; ")
    assert "use --strategies (-s)" in found[0] and "mnt2, svc, lbsvc" in found[0]
    assert "rsync is the data mover" in found[0]


def test_seed_cutover_flags_on_3x() -> None:
    found = problems("--lbsvc-timeout 30m --strategy rsync", V3)
    assert found[0] == "--lbsvc-timeout is not a flag of pv-migrate 3.x; use --loadbalancer-timeout"
    assert found[1].startswith("--strategy is not a flag of pv-migrate 3.x; ")
    assert "mount, clusterip, loadbalancer" in found[1]
    assert len(found) == 2  # "30m" and "rsync" are taken as the flags' values, not stray words


@pytest.mark.parametrize("version", [V1, V2])
def test_no_cleanup_on_failure_before_3(version: PvMigrateVersion) -> None:
    found = problems("--lbsvc-timeout 30m --no-cleanup-on-failure", version)
    assert found == [
        f"--no-cleanup-on-failure is not a flag of pv-migrate {version.major}.x; "
        "it needs pv-migrate 3.3 or later: drop it, or upgrade pv-migrate"
    ]


def test_no_cleanup_on_failure_needs_3_3() -> None:
    found = check_flags(["--no-cleanup-on-failure"], V3_2)
    assert len(found) == 1
    assert found[0].version == "3.2.0"
    assert "3.3 or later" in found[0].fix
    assert check_flags(["--no-cleanup-on-failure", "--loadbalancer-timeout", "30m"], V3) == []


def test_seed_failback_flags_on_3_3() -> None:
    assert problems("--lbsvc-timeout 30m --no-cleanup-on-failure", V3) == [
        "--lbsvc-timeout is not a flag of pv-migrate 3.x; use --loadbalancer-timeout"
    ]


# Renames between release lines ---------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "version", "expected"),
    [
        ("--loadbalancer-timeout 5m", V2, "--loadbalancer-timeout is not a flag of pv-migrate 2.x; "
                                          "use --lbsvc-timeout"),
        ("--skip-cleanup", V3, "--skip-cleanup is not a flag of pv-migrate 3.x; use --no-cleanup"),
        ("--no-cleanup", V2, "--no-cleanup is not a flag of pv-migrate 2.x; use --skip-cleanup"),
        ("--compress", V3, "--compress is not a flag of pv-migrate 3.x; drop it (compression is "
                           "on by default); --no-compress turns it off"),
        ("--no-compress", V2,
         "--no-compress is not a flag of pv-migrate 2.x; use --compress=false"),
    ],
)
def test_renamed_flags(text: str, version: PvMigrateVersion, expected: str) -> None:
    assert problems(text, version) == [expected]


def test_skip_cleanup_is_not_in_1x() -> None:
    # reference.md lists -x/--skip-cleanup for 1.x; the 1.x sources do not have it.
    [long_form] = problems("--skip-cleanup", V1)
    assert long_form.startswith("--skip-cleanup is not a flag of pv-migrate 1.x")
    [short_form] = problems("-x", V1)
    assert "--skip-cleanup in 2.x" in short_form and "--no-cleanup in 3.x" in short_form
    assert check_flags(["-x"], V2) == [] and check_flags(["-x"], V3) == []


@pytest.mark.parametrize(
    ("value", "version", "fix"),
    [
        ("mnt2", V3, "use mount"),
        ("svc", V3, "use clusterip"),
        ("lbsvc", V3, "use loadbalancer"),
        ("loadbalancer", V2, "use lbsvc"),
        ("mount", V1, "use mnt2"),
        ("nodeport", V2, "choose from: mnt2, svc, lbsvc, local"),
        ("rsync", V3, "rsync is the data mover"),
    ],
)
def test_strategy_names_per_version(value: str, version: PvMigrateVersion, fix: str) -> None:
    [problem] = check_flags(["--strategies", value], version)
    assert problem.flag == "--strategies"
    assert f"{value!r} is not known to pv-migrate {version.major}.x" in problem.problem
    assert fix in problem.fix


def test_strategy_lists_are_checked_item_by_item() -> None:
    assert check_flags(["-s", "mount,clusterip,loadbalancer"], V3) == []
    assert check_flags(["--strategies=mnt2,svc,lbsvc,local"], V1) == []
    found = check_flags(["-s", "mount,lbsvc"], V3)
    assert [p.fix.split(" ")[1] for p in found] == ["loadbalancer"]


# Flags drstack sets itself -------------------------------------------------------------------

@pytest.mark.parametrize("version", [V1, V2, V3])
@pytest.mark.parametrize(
    ("flag", "says"),
    [
        ("-n", "drstack sets -n/--source-namespace from drstack:sourceNamespace"),
        ("--source-namespace", "drstack sets -n/--source-namespace from drstack:sourceNamespace"),
        ("-N", "drstack sets -N/--dest-namespace from drstack:drNamespace"),
        ("-k", "from drstack:sourceKubeconfig"),
        ("--dest-kubeconfig", "from drstack:drKubeconfig"),
        ("-c", "from drstack:sourceContext"),
        ("-C", "from drstack:drContext"),
        ("--source", "drstack passes the PVC names itself"),
        ("--dest", "drstack passes the PVC names itself"),
        ("--log-format", "drstack sets --log-format json"),
    ],
)
def test_drstack_owned_flags(version: PvMigrateVersion, flag: str, says: str) -> None:
    [problem] = check_flags([flag, "value"], version)
    assert problem.flag == flag
    assert problem.problem == "cannot be set in drstack:pvMigrateFlags"
    assert says in problem.fix and problem.fix.startswith("drop it: ")


@pytest.mark.parametrize("flag", ["--help", "-h", "--version", "-v"])
def test_flags_that_would_copy_nothing(flag: str) -> None:
    [problem] = check_flags([flag], V3)
    assert "copy nothing" in problem.fix


def test_detach_is_refused_on_3x() -> None:
    [problem] = check_flags(["--detach"], V3)
    assert "must wait for the data" in problem.fix


# Forms: --flag=value, --flag value, short clusters, missing values --------------------------

@pytest.mark.parametrize(
    "flags",
    [
        ["--loadbalancer-timeout=30m"],
        ["--loadbalancer-timeout", "30m"],
        ["-s", "loadbalancer"],
        ["-sloadbalancer"],
        ["-s=loadbalancer"],
        ["-io"],
        ["-i", "-o", "-d"],
        ["--no-chown=false"],
        ["--helm-set", "rsync.extraArgs=--partial --inplace"],
        ["--rsync-extra-args", "--bwlimit=1024"],
        ["-a", "rsa", "--log-level", "debug", "-t", "2m30s"],
    ],
)
def test_valid_forms_on_3x(flags: list[str]) -> None:
    assert check_flags(flags, V3) == []


def test_equals_form_is_judged_like_the_spaced_form() -> None:
    assert problems("--lbsvc-timeout=30m", V3) == problems("--lbsvc-timeout 30m", V3)
    assert problems("--source-namespace=x", V2) == problems("--source-namespace x", V2)


@pytest.mark.parametrize(
    ("flags", "flag"),
    [
        (["--loadbalancer-timeout"], "--loadbalancer-timeout"),
        (["--loadbalancer-timeout", "--no-chown"], "--loadbalancer-timeout"),
        (["--loadbalancer-timeout="], "--loadbalancer-timeout"),
        (["-s"], "-s"),
        (["-i", "-s"], "-s"),
    ],
)
def test_value_taking_flag_without_value(flags: list[str], flag: str) -> None:
    found = check_flags(flags, V3)
    assert [(p.flag, p.problem) for p in found] == [(flag, "needs a value")]


def test_bad_values() -> None:
    found = problems("--loadbalancer-timeout 30 --no-chown=maybe -a dsa", V3)
    assert found == [
        "--loadbalancer-timeout takes a duration; '30' is not one; write e.g. 90s, 30m or 1h",
        "--no-chown is a switch; 'maybe' is not true or false; write --no-chown alone, "
        "or --no-chown=false",
        "-a value 'dsa' is not known to pv-migrate 3.x; choose from: rsa, ed25519",
    ]


def test_stray_word_and_close_match() -> None:
    found = problems("--ignore-mounted my-pvc --no-chwon", V3)
    assert found[0].startswith("'my-pvc' is not a flag")
    assert found[1] == "--no-chwon is not a flag of pv-migrate 3.x; did you mean --no-chown?"


def test_reports_all_problems_at_once() -> None:
    text = "--lbsvc-timeout 30m --strategy rsync -n other --bogus -s mnt2 --helm-timeout"
    found = check_flags(split_flags(text), V3)
    assert [p.flag for p in found] == [
        "--lbsvc-timeout", "--strategy", "-n", "--bogus", "-s", "--helm-timeout",
    ]
    assert all(p.version == "3.3.0" for p in found)


def test_flag_problem_is_frozen_and_readable() -> None:
    problem = FlagProblem("--x", "3.3.0", "is odd", "drop it")
    assert str(problem) == "--x is odd; drop it"
    assert str(FlagProblem("--x", "3.3.0", "is odd")) == "--x is odd"
    with pytest.raises(AttributeError):
        problem.flag = "--y"  # type: ignore[misc]


def test_tables_share_cluster_flags() -> None:
    for table in FLAG_TABLES.values():
        shorts = {s.long: s.short for s in table.values()}
        assert shorts["source-kubeconfig"] == "k" and shorts["dest-kubeconfig"] == "K"
        assert shorts["source-context"] == "c" and shorts["dest-context"] == "C"
        assert shorts["source-namespace"] == "n" and shorts["dest-namespace"] == "N"


# Splitting -------------------------------------------------------------------------------------

def test_split_like_a_shell() -> None:
    assert split_flags("--helm-set 'a=b c' --rsync-extra-args \"--bwlimit=1024\"") == (
        "--helm-set", "a=b c", "--rsync-extra-args", "--bwlimit=1024",
    )
    assert split_flags("") == ()
    # Shell metacharacters are plain text: nothing is run or expanded.
    assert split_flags("--foo ';touch /tmp/x' $(id) `id` | &&") == (
        "--foo", ";touch /tmp/x", "$(id)", "`id`", "|", "&&",
    )


@pytest.mark.parametrize("text", ["--helm-set 'a=b", '--rsync-extra-args "--bwlimit=1', "a\\"])
def test_unbalanced_quotes(text: str) -> None:
    with pytest.raises(ValueError) as caught:
        split_flags(text)
    message = str(caught.value)
    assert "drstack:pvMigrateFlags" in message and repr(text) in message
    assert "cannot be split" in message


# The one check before a copy --------------------------------------------------------------


def test_usable_pv_migrate_checks_the_flags_against_the_installed_version(tmp_path: Path) -> None:
    binary = str(write_fake_pvmigrate(tmp_path, major=3))
    assert usable_pv_migrate(binary, ["--loadbalancer-timeout", "30m"]).text == "3.3.0"
    with pytest.raises(PvMigrateFlagsInvalid) as caught:
        usable_pv_migrate(binary, ["--lbsvc-timeout", "30m", "-n", "other"])
    assert [p.flag for p in caught.value.problems] == ["--lbsvc-timeout", "-n"]
    with pytest.raises(PvMigrateMissing):
        usable_pv_migrate(str(tmp_path / "nowhere" / "pv-migrate"), [])
