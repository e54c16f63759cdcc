"""A FAKE pv-migrate 3.x for the real-engine suite (the real one cannot be built here:
tools/README.md). It copies nothing. It answers ``--version`` like pv-migrate 3.6.1, and for a
copy it records its argv and what it saw on the real clusters at that moment: the pods on
each side that mount the claim it was asked to copy, with their phases, and the
VolumeSnapshots of the destination namespace. So a test can check, on real API servers, that
no pod used either claim while the copy ran, and that the snapshots were ready before it. A
test can also make the next copy fail (``fail_next_copy``).
"""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path
from typing import Any

RECORD = "pv-migrate-calls.jsonl"
FAIL_NEXT = "fail-next"  # while this file is there, the next copy fails (and removes it)

_SCRIPT = r'''#!{python}
import json, pathlib, sys, time

started = time.time()  # a copy's own run starts here (the benchmark's copy floor)
args = sys.argv[1:]
if args in (["--version"], ["-v"]):
    print("pv-migrate version 3.6.1 (commit: fake) (build date: 2026-08-02T12:47:47Z)")
    sys.exit(0)

from kubernetes import client, config


def flag(name):
    return args[args.index(name) + 1] if name in args else None


def pods_mounting(kubeconfig, context, namespace, claim):
    api = client.CoreV1Api(config.new_client_from_config(kubeconfig, context=context))
    found = []
    for pod in api.list_namespaced_pod(namespace).items:
        claims = [v.persistent_volume_claim.claim_name for v in pod.spec.volumes or []
                  if v.persistent_volume_claim]
        if claim in claims:
            found.append({{"name": pod.metadata.name, "phase": pod.status.phase}})
    return found


def snapshots_in(kubeconfig, context, namespace):
    api = client.CustomObjectsApi(config.new_client_from_config(kubeconfig, context=context))
    try:
        items = api.list_namespaced_custom_object("snapshot.storage.k8s.io", "v1", namespace,
                                                  "volumesnapshots")["items"]
    except client.exceptions.ApiException:  # not served, or not allowed
        return None
    return {{s["metadata"]["name"]: {{
        "claim": s["spec"]["source"].get("persistentVolumeClaimName"),
        "readyToUse": (s.get("status") or {{}}).get("readyToUse")}} for s in items}}


fail = pathlib.Path({fail!r})
if fail.exists():  # the test asked the next copy to fail
    fail.unlink()
    print(json.dumps({{"level": "ERROR", "msg": "fake pv-migrate: failing as asked"}}),
          file=sys.stderr)
    sys.exit(1)

seen = {{
    "source": pods_mounting(flag("-k"), flag("-c"), flag("-n"), flag("--source")),
    "dest": pods_mounting(flag("-K"), flag("-C"), flag("-N"), flag("--dest")),
}}
snapshots = snapshots_in(flag("-K"), flag("-C"), flag("-N"))
with open({record!r}, "a", encoding="utf-8") as out:
    out.write(json.dumps({{"argv": args, "started": started, "time": time.time(),
                          "podsMounting": seen,
                          "destSnapshots": snapshots}}) + "\n")
print(json.dumps({{"level": "INFO", "msg": "fake pv-migrate: nothing copied"}}), file=sys.stderr)
sys.exit(0)
'''


def write_observing_pv_migrate(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pv-migrate"
    path.write_text(_SCRIPT.format(python=sys.executable, record=str(folder / RECORD),
                                   fail=str(folder / FAIL_NEXT)))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def fail_next_copy(folder: Path) -> None:
    (folder / FAIL_NEXT).write_text("")


def calls(folder: Path) -> list[dict[str, Any]]:
    record = folder / RECORD
    if not record.exists():
        return []
    return [json.loads(line) for line in record.read_text().splitlines()]
