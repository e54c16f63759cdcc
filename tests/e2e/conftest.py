"""The real engine: the Pulumi CLI, pulumi-kubernetes and two real API servers.

One pair of local clusters (etcd, kube-apiserver, controller-manager, scheduler, kwok) serves
the whole session. Each test gets namespaces of its own on both, the README's RBAC bound to a
user ``drstack`` for them, a copy of the project whose stacks point at them, and a Pulumi
backend of its own: tests share nothing they could disturb.

When the tools are not built, every test here fails and says how to build them; set
DRSTACK_E2E_OPT_OUT=1 to skip the suite instead (README: "Tests").
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from drstack.model import Site
from drstack.pulumi_cli import PulumiCli, PulumiEnv
from drstack.sandbox.cluster import LocalCluster
from drstack.sandbox.sandbox import install_demo
from drstack.testing.real_engine import SERVING_COUNTS, E2eApp, make_project
from drstack.toolchain import missing_message, missing_tools

OPT_OUT = "DRSTACK_E2E_OPT_OUT"
PASSPHRASE = "e2e-only-passphrase"
_numbers = itertools.count(1)


@pytest.fixture(scope="session", autouse=True)
def real_tools() -> None:
    missing = missing_tools()
    if not missing:
        return
    if os.environ.get(OPT_OUT) == "1":
        pytest.skip(f"{OPT_OUT}=1: the real-engine suite was opted out of")
    pytest.fail(f"the end-to-end suite needs the real tools: {missing_message(missing)} "
                f"(or set {OPT_OUT}=1 to skip it on purpose)", pytrace=False)


@pytest.fixture(scope="session")
def clusters(tmp_path_factory: pytest.TempPathFactory, real_tools: None
             ) -> Iterator[dict[Site, LocalCluster]]:
    root = tmp_path_factory.mktemp("clusters")
    pair = {site: LocalCluster(site.value, root / site.value) for site in Site}
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(lambda c: c.start(), pair.values()))
        yield pair
    finally:
        for cluster in pair.values():
            cluster.stop()


@pytest.fixture(scope="session")
def pulumi_home(tmp_path_factory: pytest.TempPathFactory, real_tools: None) -> Path:
    """One PULUMI_HOME (its plugins) for the session; each test has its own backend."""
    home = tmp_path_factory.mktemp("pulumi-home")
    PulumiEnv(home, home / "unused-state", PASSPHRASE).install_plugins()
    return home


@pytest.fixture
def app(clusters: dict[Site, LocalCluster], pulumi_home: Path, tmp_path: Path) -> E2eApp:
    """The demo application in fresh namespaces, serving on source, and a project for it."""
    number = next(_numbers)
    namespaces = {Site.SOURCE: f"e{number}-my-app", Site.DR: f"e{number}-my-app-dr"}
    for site, cluster in clusters.items():
        install_demo(cluster, namespaces[site], serving=site is Site.SOURCE,
                     rbac_suffix=f"-{namespaces[site]}")
    project = make_project(tmp_path / "project")
    env = PulumiEnv(home=pulumi_home, backend_dir=tmp_path / "state",
                    passphrase=PASSPHRASE)
    e2e = E2eApp(clusters=clusters, namespaces=namespaces, project=project,
                 cli=PulumiCli(project, env), tmp=tmp_path)
    for stack in ("source", "dr"):
        e2e.write_stack(stack)
        e2e.cli.ensure_stack(stack)
    # The precondition of every test: the seeded application serves on source (its pods are
    # scheduled and Ready), so no test races the clusters' own start-up of it.
    try:
        e2e.wait_until(lambda: e2e.ready_pods(Site.SOURCE) == SERVING_COUNTS,
                       "the demo application serves on source", timeout=120)
    except AssertionError as timeout:
        raise AssertionError(f"{timeout}\n{e2e.why_not_serving(Site.SOURCE)}") from None
    return e2e
