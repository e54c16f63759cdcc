"""Run the real ``__main__.py`` under Pulumi's mocks and record what it declares.

The mock monitor is Pulumi's own; it is subclassed only to keep each registration's parent,
dependencies, provider and retain_on_delete, which the plain mocks do not expose.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import runpy
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks, rpc
from pulumi.runtime.settings import ROOT
from pulumi.runtime.stack import Stack

MAIN = Path(__file__).resolve().parents[2] / "__main__.py"


@dataclass
class Registration:
    """One resource the program registered, as the engine received it."""

    type: str
    name: str
    urn: str
    parent: str
    dependencies: list[str]
    provider: str
    retain_on_delete: bool
    inputs: dict[str, Any]
    # The inputs as sent to the engine (JSON of the protobuf), secrets still wrapped.
    wire: dict[str, Any] = field(default_factory=dict)
    # The aliases it was declared with (JSON of each alias spec).
    aliases: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ProgramRun:
    """What one run of the program registered, exported and logged, and what it raised."""

    registrations: list[Registration]
    outputs: dict[str, Any]
    logs: list[tuple[str, str]] = field(default_factory=list)
    # What the program raised (execute() only; run_program() raises it).
    error: BaseException | None = None
    # Output -> the URNs of the resources it waits for, for the outputs that are Outputs.
    waits_for: dict[str, list[str]] = field(default_factory=dict)

    def names(self) -> list[str]:
        return [r.name for r in self.registrations]

    def of_type(self, type_: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_]

    def named(self, name: str) -> Registration:
        (match,) = [r for r in self.registrations if r.name == name]
        return match

    def by_urn(self, urn: str) -> Registration:
        (match,) = [r for r in self.registrations if r.urn == urn]
        return match

    def messages(self, level: str) -> list[str]:
        return [message for lvl, message in self.logs if lvl == level]


class _Mocks(mocks.Mocks):
    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        return {}, []


class _RecordingMonitor(mocks.MockMonitor):
    def __init__(self) -> None:
        super().__init__(_Mocks())
        self.registrations: list[Registration] = []

    def RegisterResource(self, request: Any) -> Any:
        # Unannotated in Pulumi's SDK (untyped_calls_exclude does not reach a super() call).
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type != "pulumi:pulumi:Stack":
            self.registrations.append(Registration(
                type=request.type,
                name=request.name,
                urn=response.urn,
                parent=request.parent,
                dependencies=list(request.dependencies),
                provider=request.provider,
                retain_on_delete=request.retainOnDelete,
                inputs=rpc.deserialize_properties(request.object, keep_unknowns=True),
                wire=json_format.MessageToDict(request.object),
                aliases=[json_format.MessageToDict(a) for a in request.aliases],
            ))
        return response


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.levelname.lower(), record.getMessage()))


def run_program(config: dict[str, Any], *, stack: str, preview: bool = True,
                secret_keys: tuple[str, ...] = (), project: Path | None = None,
                program: Path = MAIN, other_config: dict[str, Any] | None = None) -> ProgramRun:
    """Run __main__.py for ``stack`` with ``config`` (short keys); raises what it raises."""
    run = execute(config, stack=stack, preview=preview, secret_keys=secret_keys, project=project,
                  program=program, other_config=other_config)
    if run.error is not None:
        raise run.error
    return run


def execute(config: dict[str, Any], *, stack: str, preview: bool = True,
            secret_keys: tuple[str, ...] = (), project: Path | None = None,
            program: Path = MAIN, other_config: dict[str, Any] | None = None) -> ProgramRun:
    """Like run_program, but keeps what was declared and logged when the program fails.

    ``secret_keys`` are marked secret, as ``pulumi config set --secret`` does. The program runs
    in ``project`` (its cwd, as under the engine), by default an empty folder: no other stack's
    Pulumi.<stack>.yaml next to it. ``program``: another program than the project's
    __main__.py (e.g. an example using DrSwitch); ``other_config``: config of other namespaces,
    by full key (``traffic:drHost``).
    """
    with tempfile.TemporaryDirectory(prefix="drstack-project-") as empty, \
            contextlib.chdir(project or empty):
        return _execute(config, stack=stack, preview=preview, secret_keys=secret_keys,
                        program=program, other_config=other_config or {})


def _execute(config: dict[str, Any], *, stack: str, preview: bool,
             secret_keys: tuple[str, ...], program: Path,
             other_config: dict[str, Any]) -> ProgramRun:
    # Pulumi's sync helpers use the thread's current event loop; a test that ran a dynamic
    # provider host call before may have closed it.
    asyncio.set_event_loop(asyncio.new_event_loop())
    monitor = _RecordingMonitor()
    handler = _ListHandler()
    logger = logging.getLogger(f"drstack-test-{id(handler)}")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    ROOT.set(None)  # a fresh root stack, so exports of earlier runs do not leak in
    mocks.set_mocks(_Mocks(), project="drstack", stack=stack, preview=preview, monitor=monitor,
                    logger=logger)
    pulumi.runtime.set_all_config(
        {**{f"drstack:{k}": as_config_text(v) for k, v in config.items()},
         **{k: as_config_text(v) for k, v in other_config.items()}},
        secret_keys=[f"drstack:{k}" for k in secret_keys],
    )

    def run() -> None:
        runpy.run_path(str(program), run_name="__main__")

    error: BaseException | None = None
    try:
        pulumi.runtime.test(run)()
    except Exception as exc:  # noqa: BLE001 - handed to the caller
        error = exc
    finally:
        pulumi.runtime.set_all_config({}, secret_keys=[])
    root = ROOT.get()
    exported = dict(root.outputs) if isinstance(root, Stack) else {}
    outputs, waits_for = {}, {}
    loop = asyncio.get_event_loop()
    for key, value in exported.items():
        if isinstance(value, pulumi.Output):
            # Resolved as the engine records it, with the resources it waited for.
            waits_for[key] = sorted(loop.run_until_complete(r.urn.future()) or "" for r in
                                    loop.run_until_complete(value.resources()))
            value = loop.run_until_complete(value.future())
        outputs[key] = value
    return ProgramRun(monitor.registrations, outputs, handler.records, error, waits_for)


def as_config_text(value: Any) -> str:
    """A config value as Pulumi hands it to the program: a string; arrays and maps as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)
