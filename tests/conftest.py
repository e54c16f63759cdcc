"""Two fake clusters, one per site, started fresh for each test."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from drstack.testing.fakekube import FakeKubeServer
from tests.providers.sites import Sites, two_sites


@pytest.fixture
def source_cluster() -> Iterator[FakeKubeServer]:
    with FakeKubeServer(name="source") as server:
        yield server


@pytest.fixture
def dr_cluster() -> Iterator[FakeKubeServer]:
    with FakeKubeServer(name="dr") as server:
        yield server


@pytest.fixture
def sites(source_cluster: FakeKubeServer, dr_cluster: FakeKubeServer, tmp_path: Path) -> Sites:
    """Both clusters with a namespace, and the stack config a provider's configure() receives."""
    return two_sites(source_cluster, dr_cluster, tmp_path)


@pytest.fixture
def in_program_folder(tmp_path, monkeypatch) -> Path:
    """Run in a folder of its own: under the engine the cwd is the program folder, and
    pv-migrate's logs go under it (not under this repo)."""
    folder = tmp_path / "program"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder
