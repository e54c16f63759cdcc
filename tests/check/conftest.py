"""Two fake clusters holding the demo application, a project folder whose stack files point at
them, and `python -m drstack check` run on it as an operator runs it. Every test here also
asserts, on the way out, that neither fake cluster received a single write."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from drstack.__main__ import main
from drstack.testing.fakekube import FakeKubeServer
from drstack.testing.project import write_project, write_stack
from drstack.testing.scenario import DR_NS, SOURCE_NS, base_config, ledger, populate

WORKLOADS = {"web": 3, "api": 2}
ORIGINALS = {"web": "3", "api": "2", "db": "1"}
SWITCHED_AT = "2026-11-01T10:00:00+00:00"


@dataclass
class Checked:
    """One run of the command: its exit code and what it printed."""

    code: int
    out: str
    err: str

    @property
    def json(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.out)
        return document

    def direction(self, name: str) -> dict[str, Any]:
        (found,) = [d for d in self.json["directions"] if d["direction"] == name]
        return found

    def messages(self, name: str, severity: str | None = None) -> list[str]:
        return [f["message"] for f in self.direction(name)["findings"]
                if severity is None or f["severity"] == severity]


@dataclass
class Pair:
    source: FakeKubeServer
    dr: FakeKubeServer
    project: Path
    sites: dict[str, Any]
    extra: dict[str, dict[str, Any]] = field(default_factory=lambda: {"source": {}, "dr": {}})

    def server(self, site: str) -> FakeKubeServer:
        return self.source if site == "source" else self.dr

    def namespace(self, site: str) -> str:
        return SOURCE_NS if site == "source" else DR_NS

    def configure(self, stack: str, *, secret: tuple[str, ...] = (), **values: Any) -> None:
        """Set keys in Pulumi.<stack>.yaml (as `pulumi config set` would)."""
        self.extra[stack].update(values)
        write_stack(self.project, stack, {**self.sites, **self.extra[stack]}, secret=secret)

    def check(self, *args: str, stdin: str | None = None) -> Checked:
        out, err = io.StringIO(), io.StringIO()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("sys.stdout", out)
            patch.setattr("sys.stderr", err)
            if stdin is not None:
                patch.setattr("sys.stdin", io.StringIO(stdin))
            code = main(["check", "--project", str(self.project), *args])
        return Checked(code, out.getvalue(), err.getvalue())


def serve(pair: Pair, active: str, *, generation: int = 1, transition: str | None = None,
          images: dict[str, str] | None = None) -> None:
    """The demo application serving on ``active`` since ledger ``generation``, at 0 on the
    other site with its originals recorded."""
    notes = ledger(active, generation, switched_at=SWITCHED_AT)
    if transition is not None:
        notes["drstack.io/transition"] = transition
    for site in ("source", "dr"):
        on = site == active
        populate(pair.server(site), pair.namespace(site),
                 deployments={n: (c if on else 0) for n, c in WORKLOADS.items()},
                 statefulsets={"db": 1 if on else 0}, originals=ORIGINALS,
                 ledger_annotations=notes, image=(images or {}).get(site, "app:1"))


@pytest.fixture
def pair(source_cluster: FakeKubeServer, dr_cluster: FakeKubeServer,
         tmp_path: Path) -> Iterator[Pair]:
    sites = base_config(source_cluster, dr_cluster, tmp_path)
    project = write_project(tmp_path / "project", {"source": sites, "dr": sites})
    yield Pair(source_cluster, dr_cluster, project, sites)
    # `check` never writes to a cluster, whatever it found.
    assert source_cluster.writes() == [] and dr_cluster.writes() == []
