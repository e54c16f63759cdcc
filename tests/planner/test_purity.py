"""The planner is pure by structure: importing it loads no I/O library, not even indirectly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# What would let the planner read a file, run a program, or reach a cluster or the engine.
IO_LIBRARIES = ("yaml", "subprocess", "kubernetes", "pulumi", "pulumi_kubernetes")


def test_importing_the_planner_loads_no_io_library() -> None:
    # A fresh interpreter: this one has long imported all of them for other tests.
    probe = "import json, sys, drstack.planner; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True,
                          text=True, check=True)
    loaded = json.loads(done.stdout)
    assert "drstack.planner" in loaded
    assert [m for m in loaded if m.split(".")[0] in IO_LIBRARIES] == []
