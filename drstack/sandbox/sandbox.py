"""The sandbox: two local clusters, ``source`` and ``dr``, with the demo application, and the
Pulumi state of the project's two stacks, all under one folder (``.sandbox/`` by default)."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from drstack.model import Site
from drstack.pulumi_cli import PulumiCli, PulumiEnv
from drstack.sandbox import demo_app
from drstack.sandbox.cluster import LocalCluster
from drstack.sandbox.rbac import rbac_objects
from drstack.sandbox.stack_files import SiteTarget, point_at, points_elsewhere, stack_file
from drstack.toolchain import (
    CLUSTER_TOOLS,
    PROJECT_ROOT,
    PULUMI_TOOLS,
    ToolsMissing,
    missing_message,
    missing_tools,
)

# Not a secret: it encrypts the sandbox stacks' (secret-free) config and state on this machine.
# The committed stack files carry the encryption salt made for it.
SANDBOX_PASSPHRASE = "drstack-sandbox"
# Where a command tells the operator what it does (print, or a test's list).
Say = Callable[[str], None]
NAMESPACES = {Site.SOURCE: demo_app.SOURCE_NAMESPACE, Site.DR: demo_app.DR_NAMESPACE}


@dataclass(frozen=True)
class SiteStatus:
    site: Site
    server: str | None
    running: dict[str, bool]


class Sandbox:
    def __init__(self, folder: Path | None = None, project: Path = PROJECT_ROOT) -> None:
        self.folder = (folder or project / ".sandbox").resolve()
        self.project = project
        self.clusters = {site: LocalCluster(site.value, self.folder / site.value) for site in Site}
        self.pulumi_env = PulumiEnv(home=self.folder / "pulumi" / "home",
                                    backend_dir=self.folder / "pulumi" / "state",
                                    passphrase=SANDBOX_PASSPHRASE)

    def kubeconfig(self, site: Site) -> Path:
        """The kubeconfig drstack uses: user ``drstack``, bound to the README's RBAC."""
        return self.clusters[site].folder / "drstack.kubeconfig"

    def targets(self) -> dict[str, SiteTarget]:
        """What the stacks' site keys are set to for the sandbox (relative to the project)."""
        return {site.value: SiteTarget(_relative(self.kubeconfig(site), self.project), site.value,
                                       NAMESPACES[site]) for site in Site}

    def up(self, *, say: Say = print) -> None:
        missing = missing_tools(CLUSTER_TOOLS + PULUMI_TOOLS)
        if missing:
            raise ToolsMissing(missing_message(missing))
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / ".gitignore").write_text("*\n")
        say(f"sandbox: starting clusters source and dr in {self.folder} ...")
        with ThreadPoolExecutor(max_workers=2) as pool:
            started = dict(zip(Site, pool.map(lambda s: self.clusters[s].start(), Site),
                               strict=True))
        for site, cluster in self.clusters.items():
            install_demo(cluster, NAMESPACES[site], serving=site is Site.SOURCE)
            say(f"sandbox: {site} at {started[site].server}, namespace {NAMESPACES[site]} "
                f"({'serving' if site is Site.SOURCE else 'at 0, originals recorded'})")
        self._point_stacks(say)
        self.pulumi_env.install_plugins()
        cli = PulumiCli(self.project, self.pulumi_env)
        for stack in ("source", "dr"):
            cli.ensure_stack(stack)
        env_file = self.folder / "env.sh"
        env_file.write_text(self.pulumi_env.shell_exports())
        say(f"sandbox: up. To use the Pulumi CLI on it: source {_relative(env_file, Path.cwd())}")

    def down(self, *, say: Say = print) -> None:
        for site, cluster in self.clusters.items():
            stopped = cluster.stop()
            say(f"sandbox: {site}: " + (f"stopped {', '.join(stopped)}" if stopped
                                        else "nothing running"))
        # The stacks' state describes clusters that no longer exist: it goes with them.
        import shutil

        shutil.rmtree(self.folder, ignore_errors=True)
        say(f"sandbox: removed {self.folder}")

    def status(self) -> list[SiteStatus]:
        result = []
        for site, cluster in self.clusters.items():
            state = cluster.state()
            result.append(SiteStatus(site, state.server if state else None, cluster.running()))
        return result

    def _point_stacks(self, say: Say) -> None:
        targets = self.targets()
        for stack in ("source", "dr"):
            path = stack_file(self.project, stack)
            elsewhere = points_elsewhere(path, targets)
            if elsewhere:
                say(f"sandbox: {path.name} points elsewhere ({', '.join(elsewhere)}); left as it "
                    "is. To use it on the sandbox: " + "; ".join(
                        f"pulumi config set -s {stack} {k} {v}"
                        for t_site, t in targets.items() for k, v in t.keys(t_site).items()))
                continue
            point_at(path, targets)


def install_demo(cluster: LocalCluster, namespace: str, *, serving: bool,
                 rbac_suffix: str = "",
                 workloads: tuple[demo_app.DemoWorkload, ...] = demo_app.DEMO_WORKLOADS) -> None:
    """The namespace, user ``drstack`` bound to drstack/rbac/drstack-rbac.yaml in it, and the
    demo application (serving, or at 0 with its originals recorded)."""
    demo_app.create_namespace(cluster, namespace)
    for obj in rbac_objects(namespace, user="drstack", suffix=rbac_suffix):
        cluster.request("POST", obj.path, obj.body)
    demo_app.seed(cluster, namespace, serving=serving, workloads=workloads)


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)


def status_lines(statuses: list[SiteStatus]) -> list[str]:
    lines = []
    for s in statuses:
        if s.server is None:
            lines.append(f"{s.site}: not running")
            continue
        down = [c for c, alive in s.running.items() if not alive]
        state = "running" if not down else f"DEGRADED, not running: {', '.join(down)}"
        lines.append(f"{s.site}: {state}; API server {s.server}, namespace {NAMESPACES[s.site]}")
    return lines


def dumps(statuses: list[SiteStatus]) -> str:
    return json.dumps([{"site": s.site.value, "server": s.server, "running": s.running}
                       for s in statuses], indent=2)
