"""The real-engine suite cannot pass by skipping: without the tools it fails and says how to
build them; only DRSTACK_E2E_OPT_OUT=1 skips it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_e2e(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "DRSTACK_E2E_OPT_OUT"}
    environ["DRSTACK_TOOLS_BIN"] = str(tmp_path / "no-tools-here")
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
         "tests/e2e/test_switch.py"],
        cwd=ROOT, env={**environ, **env}, text=True, capture_output=True, timeout=300)


def test_without_the_tools_the_e2e_suite_fails_naming_the_build_command(tmp_path):
    result = run_e2e(tmp_path)
    assert result.returncode != 0
    assert "tools/build.sh" in result.stdout
    assert "passed" not in result.stdout.splitlines()[-1]


def test_only_the_explicit_opt_out_skips_it(tmp_path):
    result = run_e2e(tmp_path, DRSTACK_E2E_OPT_OUT="1")
    assert result.returncode == 0
    assert "skipped" in result.stdout.splitlines()[-1]
