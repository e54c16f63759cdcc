"""Fault tests: bad input, API faults, secrets and pv-migrate failures (issue 4, "Safe on the
worst day"). FAULTS.md in this folder lists every fault injected and the test that covers it.

Shared here: names for drstack.testing.harness.execute (the real ``__main__.py`` under Pulumi's
mocks, keeping what was declared and logged when the program fails, each registration's wire
form, and config keys marked secret as ``pulumi config set --secret`` does).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pulumi.runtime import rpc

from drstack.testing import harness
from drstack.testing.harness import Registration

# Pulumi's wire signature of a secret value: {SIG_KEY: SECRET_SIG, "value": ...}.
SIG_KEY = rpc._special_sig_key  # "4dabf18193072939515e22adb298388d"
SECRET_SIG = rpc._special_secret_sig

NAMESPACE_PATCH = "kubernetes:core/v1:NamespacePatch"
K8S_PROVIDER = "pulumi:providers:kubernetes"
DYNAMIC = "pulumi-python:dynamic"  # type prefix: pulumi-python:dynamic/drstack:DrainGate

# The program runner of drstack/testing/harness.py: execute() returns (not raises) the error and
# keeps each registration's wire form.
Captured = harness.ProgramRun
run = harness.execute

def dynamic(captured: Captured) -> list[Registration]:
    return [r for r in captured.registrations if r.type.startswith(DYNAMIC)]

def dump(value: Any) -> str:
    """Everything in ``value`` as one searchable string."""
    return json.dumps(value, default=repr, sort_keys=True)

def without_secrets(value: Any) -> Any:
    """``value`` with every secret-wrapped part replaced by a marker."""
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return "<secret>"
        return {k: without_secrets(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [without_secrets(v) for v in value]
    return value

def write_paths(*servers: Any) -> list[tuple[str, str]]:
    return [(r.method, r.path) for s in servers for r in s.writes()]

def program_dir() -> Path:
    return harness.MAIN.parent
