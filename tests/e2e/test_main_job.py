"""The README's main job, as a newcomer runs it in a fresh checkout: sandbox up, drill, down."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

from drstack.sandbox.cluster import process_alive
from drstack.testing.real_engine import make_project
from drstack.toolchain import PROJECT_ROOT


def drstack(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "drstack", *args], cwd=project, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600,
                          )


def test_sandbox_up_then_drill_then_down_in_a_fresh_checkout(tmp_path: Path) -> None:
    project = make_project(tmp_path / "checkout")
    for stack in ("source", "dr"):  # as shipped: pointing at the sandbox
        shutil.copy(PROJECT_ROOT / f"Pulumi.{stack}.yaml", project / f"Pulumi.{stack}.yaml")
    shipped = {p.name: p.read_text() for p in project.glob("Pulumi.*.yaml")}
    try:
        up = drstack(project, "sandbox", "up")
        assert up.returncode == 0, up.stdout
        status = drstack(project, "sandbox", "status", "--json")
        assert all(all(s["running"].values()) for s in json.loads(status.stdout)), status.stdout

        drill = drstack(project, "drill")

        assert drill.returncode == 0, drill.stdout
        out = drill.stdout
        assert "drill: cutover (pulumi up -s dr)" in out
        assert "drill: failback (pulumi up -s source)" in out
        assert "| drstack: cutover to dr" in out and "| drstack: failback to source" in out
        for step in ("lease", "scale-down", "drain", "scale-up", "ready", "verify", "ledger"):
            assert len(re.findall(rf"^  {step}\s+\d+\.\d\d\s", out, re.M)) == 2, (step, out)
        assert len(re.findall(r"app down \(measured RTO\): \d+\.\d\ds", out)) == 2
        assert "pulumi stack history" in out
        # The shipped stack files already pointed at the sandbox: nothing rewrote them.
        assert {p.name: p.read_text() for p in project.glob("Pulumi.*.yaml")} == shipped
    finally:
        pids = [pid for f in (project / ".sandbox").glob("*/state.json")
                for pid in json.loads(f.read_text())["pids"].values()]
        down = drstack(project, "sandbox", "down")
    assert down.returncode == 0, down.stdout
    assert pids and not any(process_alive(pid) for pid in pids)
    assert not (project / ".sandbox").exists()
    assert "source: not running" in drstack(project, "sandbox", "status").stdout
