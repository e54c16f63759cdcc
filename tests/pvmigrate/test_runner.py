from __future__ import annotations

import math
import os
import time
from pathlib import Path

import pytest

from drstack.pvmigrate.command import Endpoint
from drstack.pvmigrate.flags import PvMigrateFlagsInvalid
from drstack.pvmigrate.runner import (
    MigrationFailed,
    MigrationJob,
    MigrationResult,
    raise_for_failures,
    run_migrations,
)
from drstack.pvmigrate.version import PvMigrateVersion
from drstack.testing.fake_pvmigrate import read_invocations, write_fake_pvmigrate

V3 = PvMigrateVersion(3, "3.3.0")


def job(name: str, kubeconfig: str = "/keys/dr.yaml") -> MigrationJob:
    return MigrationJob(
        source=Endpoint(kubeconfig, "dr-ctx", "shop-dr", name),
        dest=Endpoint("/keys/source.yaml", None, "shop", name),
    )


def run(tmp_path: Path, jobs: list[MigrationJob], *, behaviour: str = "succeed",
        seconds: float = 0.0, concurrency: int = 2, timeout: float = 20.0,
        extra_flags: tuple[str, ...] = (), major: int = 3) -> list[MigrationResult]:
    binary = write_fake_pvmigrate(tmp_path / "bin", major=major, behaviour=behaviour,  # type: ignore[arg-type]
                                  seconds=seconds)
    return run_migrations(
        jobs, binary=str(binary), version=PvMigrateVersion(major, f"{major}.3.0"),
        extra_flags=extra_flags, concurrency=concurrency, timeout=timeout,
        log_dir=tmp_path / "logs", kill_grace=0.5,
    )


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")  # a zombie has exited already


@pytest.mark.parametrize("major", [1, 2, 3])
def test_success_per_major(tmp_path: Path, major: int) -> None:
    [result] = run(tmp_path, [job("data-db-0")], major=major)
    assert result.status == "succeeded" and result.exit_code == 0 and result.ok
    assert (result.source_pvc, result.dest_pvc) == ("data-db-0", "data-db-0")
    assert result.started_at.endswith("Z") and result.ended_at >= result.started_at
    assert result.seconds >= 0
    log = Path(result.log_path).read_text(encoding="utf-8")
    assert "Migration succeeded" in log and "--log-format json" in log
    raise_for_failures([result], "source -> dr")  # nothing to raise


def test_failure_lists_pvc_direction_exit_code_and_log_tail(tmp_path: Path) -> None:
    results = run(tmp_path, [job("data-db-0"), job("uploads")], behaviour="fail")
    assert [r.status for r in results] == ["failed", "failed"]
    assert all(r.exit_code == 1 for r in results)
    with pytest.raises(MigrationFailed) as caught:
        raise_for_failures(results, "dr -> source")
    message = str(caught.value)
    assert "2 of 2 PVC copies (dr -> source) did not succeed" in message
    assert "* data-db-0 -> data-db-0 (dr -> source): failed" in message
    assert "exit code 1" in message
    assert results[0].log_path in message and results[1].log_path in message
    assert "| Error: migration failed: all strategies failed for this migration" in message
    assert len(caught.value.failures) == 2


def test_log_tail_is_the_last_20_lines(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text("".join(f"line {i}\n" for i in range(100)))
    failed = MigrationResult("a", "b", "failed", 2, "t0", "t1", 1.0, str(log))
    with pytest.raises(MigrationFailed) as caught:
        raise_for_failures([failed], "source -> dr")
    assert "| line 80" in str(caught.value) and "| line 99" in str(caught.value)
    assert "| line 79" not in str(caught.value)


def test_all_jobs_run_even_when_some_fail(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    write_fake_pvmigrate(bin_dir, major=3, behaviour="fail")
    # A wrapper that fails only for "broken", so success and failure mix in one run.
    wrapper = bin_dir / "wrapper"
    wrapper.write_text(
        "#!/bin/sh\ncase \"$*\" in *broken*) exec \"$(dirname \"$0\")/pv-migrate\" \"$@\";; "
        "*) exit 0;; esac\n"
    )
    wrapper.chmod(0o755)
    jobs = [job("a"), job("broken"), job("c")]
    results = run_migrations(jobs, binary=str(wrapper), version=V3, extra_flags=(),
                             timeout=20, log_dir=tmp_path / "logs")
    assert [r.status for r in results] == ["succeeded", "failed", "succeeded"]
    assert [r.source_pvc for r in results] == ["a", "broken", "c"]
    with pytest.raises(MigrationFailed) as caught:
        raise_for_failures(results, "source -> dr")
    assert "1 of 3" in str(caught.value) and "* broken -> broken" in str(caught.value)


def test_hang_past_timeout_is_killed_with_its_group(tmp_path: Path) -> None:
    started = time.monotonic()
    [result] = run(tmp_path, [job("data-db-0")], behaviour="hang", timeout=1.0)
    elapsed = time.monotonic() - started
    assert result.status == "timed_out" and result.exit_code is None
    assert elapsed < 8  # 1s limit + 0.5s grace + SIGKILL, not the fake's endless sleep
    [call] = read_invocations(tmp_path / "bin")
    assert call["end"] is None
    deadline = time.monotonic() + 3
    while (alive(call["pid"]) or alive(call["child_pid"])) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(call["pid"]) and not alive(call["child_pid"])
    log = Path(result.log_path).read_text(encoding="utf-8")
    assert "killed after the time limit of 1s" in log
    with pytest.raises(MigrationFailed, match=r"timed out after .* exit code none \(killed"):
        raise_for_failures([result], "source -> dr")


def test_concurrency_bound_and_total_time(tmp_path: Path) -> None:
    m, c, t = 5, 2, 0.6
    started = time.monotonic()
    results = run(tmp_path, [job(f"pvc-{i}") for i in range(m)], seconds=t, concurrency=c)
    elapsed = time.monotonic() - started
    assert all(r.ok for r in results)
    calls = read_invocations(tmp_path / "bin")
    assert len(calls) == m
    events = sorted([(x["start"], 1) for x in calls] + [(x["end"], -1) for x in calls],
                    key=lambda e: (e[0], e[1]))
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    assert peak <= c
    assert elapsed < m * t + 2.5  # loose: process start-up time varies
    assert elapsed > math.ceil(m / c) * t * 0.9
    assert sum(r.seconds for r in results) > elapsed  # the copies did overlap


def test_one_log_file_per_pvc(tmp_path: Path) -> None:
    results = run(tmp_path, [job("data-db-0"), job("uploads"), job("data-db-0")])
    paths = [Path(r.log_path) for r in results]
    assert len(set(paths)) == 3 and all(p.exists() for p in paths)
    assert all(p.parent == tmp_path / "logs" for p in paths)
    assert paths[0].name.startswith("data-db-0-") and paths[1].name.startswith("uploads-")
    assert sorted(os.listdir(tmp_path / "logs")) == sorted(p.name for p in paths)


def test_bad_flags_stop_the_run_before_any_copy(tmp_path: Path) -> None:
    with pytest.raises(PvMigrateFlagsInvalid):
        run(tmp_path, [job("a")], extra_flags=("--lbsvc-timeout", "30m"))
    assert read_invocations(tmp_path / "bin") == []


def test_metacharacters_reach_pv_migrate_literally(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    hostile = f"x=;touch {marker}"
    [result] = run(tmp_path, [job("a")], extra_flags=("--helm-set", hostile))
    assert result.ok
    [call] = read_invocations(tmp_path / "bin")
    assert call["argv"][-2:] == ["--helm-set", hostile]
    assert not marker.exists()


def test_kubeconfig_contents_never_reach_logs(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "dr.yaml"
    kubeconfig.write_text("apiVersion: v1\nusers:\n- name: u\n  user: {token: s3cr3t}\n")
    [result] = run(tmp_path, [job("a", kubeconfig=str(kubeconfig))], behaviour="fail")
    log = Path(result.log_path).read_text(encoding="utf-8")
    assert str(kubeconfig) in log and "s3cr3t" not in log
    with pytest.raises(MigrationFailed) as caught:
        raise_for_failures([result], "dr -> source")
    assert "s3cr3t" not in str(caught.value)
