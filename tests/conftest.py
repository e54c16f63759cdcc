"""Two fake clusters, one per site, started fresh for each test."""

from collections.abc import Iterator

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
