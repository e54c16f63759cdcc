"""Fault tests: bad input, API faults, secrets and pv-migrate failures (issue 4, "Safe on the
worst day"). FAULTS.md in this folder lists every fault injected and the test that covers it.

Shared here: a runner of the real ``__main__.py`` under Pulumi's mocks that, unlike
tests.program.harness.run_program, keeps what was declared and logged when the program fails,
keeps each registration's raw wire form (to see secrets as the engine would) and can mark
config keys secret, as ``pulumi config set --secret`` does.
"""

from __future__ import annotations

import asyncio
import json
import logging
import runpy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks, rpc
from pulumi.runtime.settings import ROOT

from tests.program import harness
from tests.program.harness import Registration

# Pulumi's wire signature of a secret value: {SIG_KEY: SECRET_SIG, "value": ...}.
SIG_KEY = rpc._special_sig_key  # "4dabf18193072939515e22adb298388d"
SECRET_SIG = rpc._special_secret_sig

DEPLOYMENT_PATCH = "kubernetes:apps/v1:DeploymentPatch"
STATEFULSET_PATCH = "kubernetes:apps/v1:StatefulSetPatch"
NAMESPACE_PATCH = "kubernetes:core/v1:NamespacePatch"
K8S_PROVIDER = "pulumi:providers:kubernetes"
DYNAMIC = "pulumi-python:dynamic"  # type prefix: pulumi-python:dynamic/drstack:DrainGate


@dataclass
class Captured:
    """What one run of the program declared, logged and exported, and what it raised."""

    registrations: list[Registration]
    raw: list[tuple[str, dict[str, Any]]]  # (name, the request's object as JSON) per registration
    outputs: dict[str, Any]
    logs: list[tuple[str, str]]
    error: BaseException | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def messages(self, level: str) -> list[str]:
        return [m for lvl, m in self.logs if lvl == level]

    def names(self) -> list[str]:
        return [r.name for r in self.registrations]

    def named(self, name: str) -> Registration:
        (match,) = [r for r in self.registrations if r.name == name]
        return match

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_]

    def dynamic(self) -> list[Registration]:
        return [r for r in self.registrations if r.type.startswith(DYNAMIC)]


class _RawMonitor(harness._RecordingMonitor):
    def __init__(self) -> None:
        super().__init__()
        self.raw: list[tuple[str, dict[str, Any]]] = []

    def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.raw.append((request.name, json_format.MessageToDict(request.object)))
        return response


def run(config: dict[str, Any], *, stack: str, secret_keys: tuple[str, ...] = (),
        preview: bool = True) -> Captured:
    """Run __main__.py like harness.run_program, but return (not raise) the program's error."""
    # As harness.run_program: a provider-host test may have closed the thread's event loop.
    asyncio.set_event_loop(asyncio.new_event_loop())
    monitor = _RawMonitor()
    handler = harness._ListHandler()
    logger = logging.getLogger(f"drstack-faults-{id(handler)}")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    ROOT.set(None)
    mocks.set_mocks(harness._Mocks(), project="drstack", stack=stack, preview=preview,
                    monitor=monitor, logger=logger)
    pulumi.runtime.set_all_config(
        {f"drstack:{k}": harness._as_config_text(v) for k, v in config.items()},
        secret_keys=[f"drstack:{k}" for k in secret_keys],
    )

    @pulumi.runtime.test
    def program() -> None:
        runpy.run_path(str(harness.MAIN), run_name="__main__")

    error: BaseException | None = None
    try:
        program()
    except Exception as exc:  # noqa: BLE001 - handed to the test
        error = exc
    finally:
        pulumi.runtime.set_all_config({}, secret_keys=[])
    root = ROOT.get()
    outputs = dict(root.outputs) if root is not None else {}
    return Captured(monitor.registrations, monitor.raw, outputs, handler.records, error)


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
