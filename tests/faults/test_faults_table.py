"""FAULTS.md stays true: every test it names exists, every fault test is named, and no row says
xfail of a test that is not marked xfail (a fixed bug listed as open)."""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from pathlib import Path

FOLDER = Path(__file__).resolve().parent
ROOT = FOLDER.parents[1]
TABLE = FOLDER / "FAULTS.md"


def rows() -> list[list[str]]:
    """The cells of each table row (header and separator rows left out)."""
    found = []
    for line in TABLE.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if line.startswith("|") and len(cells) >= 4 and not set(cells[0]) <= {"-", "|"} \
                and cells[-1] != "test name":
            found.append(cells)
    return found


def named(cells: list[str]) -> list[str]:
    """The tests a row names, as node ids relative to the repository."""
    ids = []
    for name in re.findall(r"`([^`]+)`", cells[-1]):
        ids.append(name if "::" in name else f"tests/faults/*::{name}")
    return ids


# Collects in a fresh interpreter (this one has its own tests collected) and prints each test's
# node id, and whether it is marked xfail.
_COLLECT = """
import sys, pytest
class Lister:
    def pytest_collection_modifyitems(self, items):
        for item in items:
            print("NODE", "xfail" if item.get_closest_marker("xfail") else "-", item.nodeid)
sys.exit(pytest.main(["--collect-only", "-p", "no:cacheprovider", *sys.argv[1:]],
                     plugins=[Lister()]))
"""


@functools.cache
def collected(*paths: str) -> dict[str, bool]:
    """Node id -> whether it is marked xfail, for every test under ``paths``."""
    done = subprocess.run([sys.executable, "-c", _COLLECT, *paths], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return {line.split(" ", 2)[2]: line.split(" ", 2)[1] == "xfail"
            for line in done.stdout.splitlines() if line.startswith("NODE ")}


def all_collected() -> dict[str, bool]:
    files = sorted({name.split("::")[0] for cells in rows() for name in named(cells)
                    if "*" not in name})
    return collected("tests/faults", *files)


def matches(name: str, node: str) -> bool:
    path, _, test = name.partition("::")
    node_path, _, node_test = node.partition("::")
    if not Path(node_path).match(path):
        return False
    return node_test == test or ("[" not in test and node_test.split("[")[0] == test)


def test_every_test_the_table_names_exists_and_every_fault_test_is_named():
    table = [name for cells in rows() for name in named(cells)]
    nodes = list(all_collected())
    missing = [name for name in table if not any(matches(name, node) for node in nodes)]
    assert missing == [], "FAULTS.md names tests that do not exist"
    unnamed = sorted({node.split("[")[0] for node in nodes if node.startswith("tests/faults/")
                      and not node.startswith("tests/faults/test_faults_table.py")
                      and not any(matches(name, node) for name in table)})
    assert unnamed == [], "fault tests FAULTS.md does not list"


def test_a_row_says_xfail_only_of_tests_marked_xfail():
    marked = [node for node, xfail in all_collected().items() if xfail]
    for cells in rows():
        if any("xfail" in cell.lower() for cell in cells):
            for name in named(cells):
                assert any(matches(name, node) for node in marked), (
                    f"{name} is listed as xfail (a known bug) but is not marked xfail: if the "
                    "bug is fixed, say what drstack does now")
