"""Run pv-migrate for many PVCs: a few at a time, each with a time limit and its own log file.

Every job runs even when another fails: the data mover is rsync, so a re-run copies only what
changed, and the operator gets the full picture at once from ``raise_for_failures``.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from drstack.errors import PvMigrateError
from drstack.pvmigrate.command import Endpoint, build_argv
from drstack.pvmigrate.version import PvMigrateVersion

Status = Literal["succeeded", "failed", "timed_out"]
LOG_TAIL_LINES = 20


@dataclass(frozen=True)
class MigrationJob:
    """One PVC to copy: from where to where."""

    source: Endpoint
    dest: Endpoint


@dataclass(frozen=True)
class MigrationResult:
    """How one copy went: status, exit code, times and its log file."""

    source_pvc: str
    dest_pvc: str
    status: Status
    exit_code: int | None  # None when drstack killed it (timed_out)
    started_at: str  # ISO 8601, UTC
    ended_at: str
    seconds: float
    log_path: str

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"


class MigrationFailed(PvMigrateError):
    """At least one PVC copy failed or timed out; the message has each one's log tail."""

    def __init__(self, message: str, failures: Sequence[MigrationResult]) -> None:
        super().__init__(message)
        self.failures = tuple(failures)


def run_migrations(
    jobs: Sequence[MigrationJob],
    *,
    binary: str,
    version: PvMigrateVersion,
    extra_flags: Sequence[str],
    concurrency: int = 2,
    timeout: float,
    log_dir: Path,
    kill_grace: float = 10.0,
) -> list[MigrationResult]:
    """Copy every job's PVC; results in the order of ``jobs``. Never raises for a failed copy."""
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, not {concurrency}")
    # Build every argv first: a flag problem must stop the run before any copy starts.
    argvs = [build_argv(binary, version, j.source, j.dest, extra_flags) for j in jobs]
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    run_stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    paths = _log_paths(jobs, log_dir, run_stamp)
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="pv-migrate") as pool:
        futures = [
            pool.submit(_run_one, job, argv, path, timeout, kill_grace)
            for job, argv, path in zip(jobs, argvs, paths, strict=True)
        ]
        return [f.result() for f in futures]


def raise_for_failures(results: Sequence[MigrationResult], direction: str) -> None:
    """Raise MigrationFailed listing every failed copy of ``direction`` (e.g. "dr -> source")."""
    failures = [r for r in results if not r.ok]
    if not failures:
        return
    parts = [f"{len(failures)} of {len(results)} PVC copies ({direction}) did not succeed; "
             "re-running copies only what changed."]
    for r in failures:
        code = "none (killed by drstack)" if r.exit_code is None else str(r.exit_code)
        parts.append(
            f"\n* {r.source_pvc} -> {r.dest_pvc} ({direction}): {r.status.replace('_', ' ')} "
            f"after {r.seconds:.1f}s, exit code {code}\n  log: {r.log_path}\n"
            f"  last {LOG_TAIL_LINES} lines of the log:\n"
            + "\n".join(f"    | {line}" for line in log_tail(Path(r.log_path)))
        )
    raise MigrationFailed("".join(parts), failures)


def log_tail(path: Path, lines: int = LOG_TAIL_LINES) -> list[str]:
    """The last ``lines`` lines of a copy's log, for an error message."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [f"(cannot read the log: {exc.strerror})"]
    # Keep the read bounded: rsync progress can make a log large.
    text = data[-256 * 1024:].decode("utf-8", "replace")
    return text.splitlines()[-lines:] or ["(empty)"]


def _run_one(
    job: MigrationJob, argv: list[str], log_path: Path, timeout: float, grace: float
) -> MigrationResult:
    started_wall = _utc_now()
    started = time.monotonic()
    exit_code: int | None
    # O_APPEND: the header, pv-migrate's output and the footer never overwrite each other.
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o640)
    with os.fdopen(fd, "ab", buffering=0) as log:
        log.write(f"# drstack {started_wall}: {shlex.join(argv)}\n".encode())
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Own process group: a timeout kills pv-migrate and anything it started.
                start_new_session=True,
            )
        except OSError as exc:
            log.write(f"# drstack: cannot start pv-migrate: {exc}\n".encode())
            return _result(job, "failed", None, started_wall, started, log_path)
        try:
            exit_code = proc.wait(timeout=timeout)
            status: Status = "succeeded" if exit_code == 0 else "failed"
        except subprocess.TimeoutExpired:
            _kill_group(proc, grace)
            exit_code, status = None, "timed_out"
            log.write(f"# drstack: killed after the time limit of {timeout:g}s\n".encode())
        except BaseException:  # interrupted: leave no copy running behind drstack's back
            _kill_group(proc, grace)
            raise
        ended = _result(job, status, exit_code, started_wall, started, log_path)
        log.write(f"# drstack {ended.ended_at}: {status}, exit code {exit_code}\n".encode())
        return ended


def _kill_group(proc: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM the process group (pv-migrate then cleans up its helm releases), then SIGKILL."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        # The leader is gone; kill what is left of its group too.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        break


def _result(
    job: MigrationJob, status: Status, exit_code: int | None, started_at: str, started: float,
    log_path: Path,
) -> MigrationResult:
    return MigrationResult(
        source_pvc=job.source.pvc,
        dest_pvc=job.dest.pvc,
        status=status,
        exit_code=exit_code,
        started_at=started_at,
        ended_at=_utc_now(),
        seconds=round(time.monotonic() - started, 3),
        log_path=str(log_path),
    )


def _log_paths(jobs: Sequence[MigrationJob], log_dir: Path, stamp: str) -> list[Path]:
    paths: list[Path] = []
    taken: set[str] = set()
    for job in jobs:
        base = f"{_safe(job.source.pvc)}-{stamp}"
        name, n = f"{base}.log", 1
        while name in taken or (log_dir / name).exists():
            n += 1
            name = f"{base}-{n}.log"
        taken.add(name)
        paths.append(log_dir / name)
    return paths


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name) or "pvc"


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
