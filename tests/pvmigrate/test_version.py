from __future__ import annotations

from pathlib import Path

import pytest

from drstack.pvmigrate.version import (
    PvMigrateMissing,
    PvMigrateUnsupported,
    PvMigrateVersion,
    PvMigrateVersionUnknown,
    detect_version,
    parse_version_output,
)
from drstack.testing.fake_pvmigrate import read_invocations, write_fake_pvmigrate


@pytest.mark.parametrize(
    ("major", "text"), [(1, "1.7.1"), (2, "2.1.0"), (3, "3.3.0"), (3, "3.0.2")]
)
def test_detects_each_major(tmp_path: Path, major: int, text: str) -> None:
    binary = write_fake_pvmigrate(tmp_path, major=major, version_text=text)
    version = detect_version(str(binary))
    assert version == PvMigrateVersion(major=major, text=text)
    assert version.line == f"{major}.x"
    assert read_invocations(tmp_path) == []  # a version query is not a migration


def test_finds_the_binary_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_fake_pvmigrate(tmp_path, major=2)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert detect_version().major == 2


@pytest.mark.parametrize(
    ("output", "major", "text"),
    [
        ("pv-migrate version 3.3.0 (commit: a1) (build date: 2025-01-01)\n", 3, "3.3.0"),
        ("pv-migrate version v2.0.1 (commit: a1)\n", 2, "2.0.1"),
        ("1.8.0\n", 1, "1.8.0"),
        ("pv-migrate version 3.4.0-rc.1 (commit: a1)\n", 3, "3.4.0-rc.1"),
    ],
)
def test_parses_version_lines(output: str, major: int, text: str) -> None:
    version = parse_version_output(output)
    assert (version.major, version.text) == (major, text)


def test_minor_and_at_least() -> None:
    assert PvMigrateVersion(3, "3.3.0").at_least(3, 3)
    assert not PvMigrateVersion(3, "3.2.9").at_least(3, 3)
    assert PvMigrateVersion(3, "3.10.0").minor == 10


@pytest.mark.parametrize(
    "garbage",
    ["pv-migrate version dev (commit: none) (build date: unknown)\n", "Segmentation fault\n", ""],
)
def test_garbage_output_is_unknown(tmp_path: Path, garbage: str) -> None:
    script = tmp_path / "pv-migrate"
    script.write_text(f"#!/bin/sh\nprintf '%s' '{garbage}'\n")
    script.chmod(0o755)
    with pytest.raises(PvMigrateVersionUnknown) as caught:
        detect_version(str(script))
    first = garbage.splitlines()[0] if garbage else "(no output)"
    assert repr(first) in str(caught.value)


def test_unsupported_major(tmp_path: Path) -> None:
    binary = write_fake_pvmigrate(tmp_path, major=3, version_text="4.0.0")
    with pytest.raises(PvMigrateUnsupported, match="4.0.0"):
        detect_version(str(binary))


def test_hanging_version_query_times_out(tmp_path: Path) -> None:
    script = tmp_path / "pv-migrate"
    script.write_text("#!/bin/sh\nexec sleep 30\n")
    script.chmod(0o755)
    with pytest.raises(PvMigrateVersionUnknown, match="did not answer"):
        detect_version(str(script), timeout=0.5)


def _assert_missing_message(message: str, binary: str) -> None:
    assert binary in message
    assert "PATH" in message and "pulumi up" in message and "drstack:pvMigratePath" in message
    assert "releases page" in message and "Homebrew" in message and "krew" in message


def test_missing_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PvMigrateMissing) as caught:
        detect_version("pv-migrate")
    _assert_missing_message(str(caught.value), "pv-migrate")


def test_missing_path(tmp_path: Path) -> None:
    binary = str(tmp_path / "bin" / "pv-migrate")
    with pytest.raises(PvMigrateMissing) as caught:
        detect_version(binary)
    _assert_missing_message(str(caught.value), binary)
    assert "does not exist" in str(caught.value)


def test_not_executable(tmp_path: Path) -> None:
    binary = write_fake_pvmigrate(tmp_path, major=3)
    binary.chmod(0o644)
    with pytest.raises(PvMigrateMissing, match="not executable"):
        detect_version(str(binary))


def test_the_version_is_asked_once_per_binary_and_again_when_it_is_replaced(tmp_path) -> None:
    import os
    import stat
    import sys

    from drstack.pvmigrate.version import detect_version, prefetch_version

    asked = tmp_path / "asked"
    binary = tmp_path / "pv-migrate"

    def install(text: str) -> None:
        binary.write_text(f"#!{sys.executable}\nopen({str(asked)!r}, 'a').write('x')\n"
                          f"print('pv-migrate version {text} (commit: 1) (build date: x)')\n")
        binary.chmod(binary.stat().st_mode | stat.S_IXUSR)

    install("3.6.1")
    prefetch_version(str(binary)).join()  # the program asks while it reads the sites
    assert detect_version(str(binary)).text == "3.6.1"  # the pre-flight's call: no second run
    assert asked.read_text() == "x"
    install("2.2.1")  # replaced by another release
    os.utime(binary, ns=(1, 1))  # a different mtime even within the filesystem's resolution
    assert detect_version(str(binary)).text == "2.2.1"
    assert asked.read_text() == "xx"
