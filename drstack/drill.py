"""``python -m drstack drill``: a cutover then a failback with the real Pulumi CLI, timed.

It runs through Pulumi's Automation API against whatever the project's two stacks point at (the
sandbox by default), and times every step of each switch from the engine's event stream: when
the first resource of a step starts, when the last one of it is done. The app is down (the
measured RTO) from the start of the old site's scale-down to the end of the new site's verify
step: only then do its Services reach every pod (and its drstack:verifyUrls answer).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi.automation as auto

from drstack.model import Site
from drstack.pulumi_cli import PulumiEnv
from drstack.sandbox.sandbox import Sandbox, Say
from drstack.sandbox.stack_files import read_config, stack_file
from drstack.toolchain import TOOLS_BIN, current_project

STEP_ORDER = ("lease", "scale-down", "drain", "snapshot", "copy", "scale-up", "ready", "verify",
              "ledger")
# Engine operations that change something (a refresh is not a step; an unchanged resource
# did not run).
_WORKING_OPS = {"create", "update", "replace", "create-replacement"}


@dataclass
class StepTimer:
    """Receipt times of the engine's events, per resource, for one `pulumi up`."""

    start: float = field(default_factory=time.monotonic)
    began: dict[str, float] = field(default_factory=dict)
    ended: dict[str, float] = field(default_factory=dict)

    def on_event(self, event: auto.EngineEvent) -> None:
        now = time.monotonic()
        pre, out = event.resource_pre_event, event.res_outputs_event
        if pre is not None and pre.metadata.op in _WORKING_OPS:
            self.began.setdefault(pre.metadata.urn, now)
        if out is not None and out.metadata.op in _WORKING_OPS:
            self.ended[out.metadata.urn] = now

    def steps(self, active: Site) -> dict[str, tuple[float, float]]:
        """Step -> (began, ended), seconds since the update started."""
        spans: dict[str, tuple[float, float]] = {}
        for urn, began in self.began.items():
            step = step_of(urn, active)
            if step is None or urn not in self.ended:
                continue
            b, e = began - self.start, self.ended[urn] - self.start
            if step in spans:
                b, e = min(b, spans[step][0]), max(e, spans[step][1])
            spans[step] = (b, e)
        return spans


def step_of(urn: str, active: Site) -> str | None:
    """Which step of a switch a resource belongs to, from its name (see drstack.program)."""
    name = urn.rsplit("::", 1)[-1]
    passive = active.other
    if name == "switch-lease":
        return "lease"
    if name.endswith("-ledger"):
        return "ledger"
    if name.startswith("pvc-copy-into-"):
        return "copy"
    if name.endswith("-snapshots"):
        return "snapshot"
    if name.endswith("-drain"):
        return "drain"
    if name.endswith("-ready"):
        return "ready"
    if name.endswith(("-services", "-urls")):
        return "verify"
    for site, step in ((passive, "scale-down"), (active, "scale-up")):
        if name == f"{site.value}-scale":
            return step
    return None


def report(transition: str, stack: str, spans: dict[str, tuple[float, float]],
           total: float) -> list[str]:
    lines = [f"  {'step':<11} {'seconds':>8}   from -> to (s after the update began)"]
    for step in STEP_ORDER:
        if step in spans:
            b, e = spans[step]
            lines.append(f"  {step:<11} {e - b:8.2f}   {b:6.2f} -> {e:6.2f}")
        else:
            lines.append(f"  {step:<11} {'-':>8}   (not in this switch)")
    if "scale-down" in spans and "verify" in spans:
        rto = spans["verify"][1] - spans["scale-down"][0]
        lines.append(f"  app down (measured RTO): {rto:.2f}s, from the start of the scale-down "
                     "to the new site verified")
    lines.append(f"  `pulumi up -s {stack}` ({transition}) took {total:.2f}s in all")
    return lines


def uses_sandbox(project: Path, box: Sandbox) -> bool:
    """Whether the project's stacks point at the sandbox's kubeconfigs."""
    targets = box.targets()
    for stack in ("source", "dr"):
        config = read_config(stack_file(project, stack))
        for site, target in targets.items():
            if config.get(f"drstack:{site}Kubeconfig") != target.kubeconfig:
                return False
    return True


def workspace(project: Path, env: PulumiEnv | None) -> auto.LocalWorkspace:
    kwargs: dict[str, Any] = {"work_dir": str(project)}
    if env is not None:
        kwargs["env_vars"] = env.variables()
        kwargs["pulumi_home"] = str(env.home)
        env.environ()  # creates the folders
        kwargs["pulumi_command"] = auto.PulumiCommand(root=str(TOOLS_BIN.parent))
    return auto.LocalWorkspace(**kwargs)


def switch(ws: auto.LocalWorkspace, stack_name: str, message: str,
           say: Say = print) -> dict[str, tuple[float, float]]:
    stack = auto.Stack.create_or_select(stack_name, ws)
    started = time.monotonic()
    preview = stack.preview(diff=True)
    say(f"  preview: {time.monotonic() - started:.2f}s, {_changes(preview.change_summary)}")
    # Info messages (the plan table) come on stderr under the Automation API.
    for line in _plan_lines(preview.stderr):
        say(f"  | {line}")
    timer = StepTimer()
    result = stack.up(message=message, on_event=timer.on_event)
    total = time.monotonic() - timer.start
    transition = str(result.outputs["transition"].value) if "transition" in result.outputs else "?"
    for line in report(transition, stack_name, timer.steps(Site(stack_name)), total):
        say(line)
    return timer.steps(Site(stack_name))


def active_site(ws: auto.LocalWorkspace) -> Site:
    """Which site serves now: a preview of the dr stack plans a cutover when source does (and
    "nothing to do", "dr stays active" or "adopt: dr" when dr does)."""
    preview = auto.Stack.create_or_select("dr", ws).preview()
    head = next(iter(_plan_lines(preview.stderr)), "")
    return Site.SOURCE if not head or head.startswith("drstack: cutover") else Site.DR


def run_drill(project: str | None = None, say: Say = print) -> int:
    folder = Path(project).resolve() if project else current_project()
    box = Sandbox(project=folder)
    env = None
    if uses_sandbox(folder, box):
        down = [s for s in box.status() if s.server is None or not all(s.running.values())]
        if down:
            say("drstack drill: the stacks point at the sandbox, which is not running. Start it: "
                "python -m drstack sandbox up")
            return 2
        env = box.pulumi_env
        say(f"drill: on the sandbox ({box.folder})")
    else:
        say("drill: on the clusters the stack files name, with your own Pulumi CLI and login")
    ws = workspace(folder, env)
    # Away from the site that serves now, then back: two real switches whatever the start.
    first = active_site(ws).other
    for site in (first, first.other):
        title = "cutover" if site is Site.DR else "failback"
        say(f"drill: {title} (pulumi up -s {site})")
        switch(ws, site.value, f"drstack drill: {title}", say)
    exports = f"source {box.folder / 'env.sh'} && " if env else ""
    say(f"audit trail: {exports}pulumi stack history -s dr && pulumi stack history -s source")
    return 0


def _changes(summary: Mapping[Any, int]) -> str:
    shown = {str(getattr(op, "value", op)): n for op, n in summary.items() if n}
    return ", ".join(f"{n} {op}" for op, n in sorted(shown.items())) or "no changes"


def _plan_lines(output: str) -> Iterable[str]:
    """The plan table drstack logs in the preview: its first line starts with "drstack: "."""
    lines = output.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("drstack: ")]
    if not starts:
        return
    for line in lines[starts[0]:starts[0] + 60]:
        if not line.strip() or line.startswith(("warning:", "error:")):
            return
        yield line
