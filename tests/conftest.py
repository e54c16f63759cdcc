"""Two fake clusters, one per site, started fresh for each test."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakekube import FakeKubeServer


@pytest.fixture
def source_cluster() -> Iterator[FakeKubeServer]:
    with FakeKubeServer(name="source") as server:
        yield server


@pytest.fixture
def dr_cluster() -> Iterator[FakeKubeServer]:
    with FakeKubeServer(name="dr") as server:
        yield server


@pytest.fixture
def in_program_folder(tmp_path, monkeypatch) -> Path:
    """Run in a folder of its own: under the engine the cwd is the program folder, and
    pv-migrate's logs go under it (not under this repo)."""
    folder = tmp_path / "program"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder
