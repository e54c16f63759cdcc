"""`check` runs where no Pulumi is: importing the command loads neither the Pulumi SDK nor the
program (whose providers it would drag in)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_the_command_loads_no_pulumi_module():
    probe = ("import json, sys, drstack.__main__, drstack.check.readiness; "
             "print(json.dumps(sorted(sys.modules)))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True,
                          text=True, check=True)
    loaded = json.loads(done.stdout)
    assert "drstack.check.readiness" in loaded
    assert [m for m in loaded if m.split(".")[0] in ("pulumi", "pulumi_kubernetes")
            or m.startswith("drstack.program")] == []
