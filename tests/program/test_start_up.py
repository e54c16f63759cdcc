"""The program runs on every preview and `up`: it must not load what only the steps need."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from drstack.toolchain import PROJECT_ROOT

# A failback read from two fake clusters and declared under Pulumi's mocks, in a fresh
# interpreter (this one has loaded everything the other tests needed).
SCRIPT = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from drstack.testing.fakekube import FakeKubeServer
    from drstack.testing.harness import run_program
    from drstack.testing.scenario import DR_NS, SOURCE_NS, base_config, ledger, populate

    with FakeKubeServer(name="source") as source, FakeKubeServer(name="dr") as dr:
        populate(source, SOURCE_NS, deployments={"web": 0}, statefulsets={"db": 0},
                 originals={"web": "3", "db": "1"}, ledger_annotations=ledger("dr", 4))
        populate(dr, DR_NS, deployments={"web": 3}, statefulsets={"db": 1},
                 originals={"web": "3", "db": "1"}, ledger_annotations=ledger("dr", 4))
        run = run_program(base_config(source, dr, Path(sys.argv[1])), stack="source")
    print(json.dumps({"transition": run.outputs["transition"],
                      "modules": sorted(m for m in sys.modules if m.startswith("kubernetes."))}))
""")


def test_a_failback_reads_and_declares_without_the_clients_typed_api_classes(
        tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])

    assert result["transition"] == "failback"  # it did read both sites and plan
    typed = [m for m in result["modules"] if m.startswith("kubernetes.client.api.")]
    models = [m for m in result["modules"] if m.startswith("kubernetes.client.models.")]
    # CoreV1Api and AppsV1Api would bring about 250 model classes (0.3 s, 20 MB).
    assert typed == [] and len(models) <= 2, (typed, models)
