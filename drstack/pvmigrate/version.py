"""Which pv-migrate is installed: run ``pv-migrate --version`` and read its major version.

Every release line drstack supports (1.x, 2.x, 3.x) is a cobra program whose root command
has ``Version`` set, so ``--version`` prints one line on stdout and exits 0::

    pv-migrate version 3.3.0 (commit: 1a2b3c4) (build date: 2025-01-02T03:04:05Z)

(goreleaser fills ``main.version`` with the tag without its ``v``; see FLAGS.md for sources.)
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from drstack.errors import PvMigrateError

SUPPORTED_MAJORS: tuple[int, ...] = (1, 2, 3)

# "pv-migrate version 3.3.0 (...)", "... version v3.3.0", or a line that is just "3.3.0-rc.1".
_NUMBER = r"v?(\d+)\.(\d+)(?:\.(\d+))?([-+][0-9A-Za-z.+-]*)?"
_VERSION_RES = (
    re.compile(r"\bversion\s+" + _NUMBER + r"(?=\s|$)"),
    re.compile(r"^\s*" + _NUMBER + r"\s*$"),
)

_WHERE_TO_GET = (
    "Install it on the machine that runs `pulumi up`: download a release archive from the "
    "pv-migrate releases page on GitHub (utkuozdemir/pv-migrate), or use Homebrew "
    "(the utkuozdemir/pv-migrate tap) or the kubectl krew plugin pv-migrate"
)


class PvMigrateMissing(PvMigrateError):
    """The pv-migrate executable is not there or cannot be run."""


class PvMigrateVersionUnknown(PvMigrateError):
    """pv-migrate ran, but its version could not be read from its output."""


class PvMigrateUnsupported(PvMigrateError):
    """A pv-migrate major version drstack has no flag table for."""


@dataclass(frozen=True)
class PvMigrateVersion:
    """The installed pv-migrate's version, as it prints it."""

    major: int
    text: str  # e.g. "3.3.0", as printed (without a leading "v")

    @property
    def minor(self) -> int:
        parts = self.text.split(".")
        try:
            return int(parts[1]) if len(parts) > 1 else 0
        except ValueError:
            return 0

    @property
    def line(self) -> str:
        """The release line, e.g. ``3.x``: the unit the flag tables are kept in."""
        return f"{self.major}.x"

    def at_least(self, major: int, minor: int) -> bool:
        return (self.major, self.minor) >= (major, minor)

    def __str__(self) -> str:
        return self.text


def parse_version_output(output: str) -> PvMigrateVersion:
    """Read the version from ``pv-migrate --version`` output (the first line that has one)."""
    for line in output.splitlines():
        for pattern in _VERSION_RES:
            match = pattern.search(line)
            if match:
                major, minor, patch, rest = match.groups()
                text = f"{major}.{minor}.{patch or 0}{rest or ''}"
                return PvMigrateVersion(major=int(major), text=text)
    first = output.strip().splitlines()[0] if output.strip() else "(no output)"
    raise PvMigrateVersionUnknown(
        f"cannot read the pv-migrate version from its output; first line: {first!r}. "
        "drstack expects `pv-migrate --version` to print e.g. "
        "'pv-migrate version 3.3.0 (commit: ...)'; a development build ('version dev') "
        "has no version: install a released pv-migrate"
    )


def resolve_binary(binary: str) -> str:
    """The absolute path of ``binary`` (a name looked up on PATH, or a path)."""
    if os.sep in binary or (os.altsep and os.altsep in binary):
        path = Path(binary).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
        reason = "is not executable" if path.is_file() else "does not exist"
        raise PvMigrateMissing(_missing_message(binary, reason))
    found = shutil.which(binary)
    if found is None:
        raise PvMigrateMissing(_missing_message(binary, "was not found on PATH"))
    return found


# Versions already read, by (path, size, mtime): a binary replaced since is asked again.
_known: dict[tuple[str, int, int], PvMigrateVersion] = {}
_known_lock = threading.Lock()


def prefetch_version(binary: str = "pv-migrate") -> threading.Thread:
    """Ask ``binary`` for its version on a thread of its own, so that the answer is there when
    the pre-flight needs it (the program starts this before it reads the sites). A failure is
    not kept: the pre-flight's own call reports it."""
    def ask() -> None:
        try:
            detect_version(binary)
        except PvMigrateError:
            pass

    thread = threading.Thread(target=ask, name="pv-migrate-version", daemon=True)
    thread.start()
    return thread


def detect_version(binary: str = "pv-migrate", *, timeout: float = 10.0) -> PvMigrateVersion:
    """Run ``<binary> --version`` (an argv list, never a shell) and parse what it prints."""
    path = resolve_binary(binary)
    try:
        stat = os.stat(path)
        key = (path, stat.st_size, stat.st_mtime_ns)
    except OSError:
        key = None
    with _known_lock:
        if key in _known:
            return _known[key]
    version = _ask_version(binary, path, timeout)
    if key is not None:
        with _known_lock:
            _known[key] = version
    return version


def _ask_version(binary: str, path: str, timeout: float) -> PvMigrateVersion:
    try:
        done = subprocess.run(
            [path, "--version"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except (FileNotFoundError, PermissionError) as exc:
        raise PvMigrateMissing(
            _missing_message(binary, f"cannot be run ({exc.strerror})")) from None
    except OSError as exc:  # e.g. ENOEXEC: not a program for this machine
        raise PvMigrateMissing(_missing_message(binary, f"cannot be run ({exc})")) from None
    except subprocess.TimeoutExpired:
        raise PvMigrateVersionUnknown(
            f"`{path} --version` did not answer within {timeout:g}s"
        ) from None
    output = done.stdout.decode("utf-8", "replace") + done.stderr.decode("utf-8", "replace")
    version = parse_version_output(output)
    if version.major not in SUPPORTED_MAJORS:
        raise PvMigrateUnsupported(
            f"pv-migrate {version.text} at {path}: drstack knows the command line of pv-migrate "
            f"{', '.join(f'{m}.x' for m in SUPPORTED_MAJORS)}; install one of those"
        )
    return version


def _missing_message(binary: str, reason: str) -> str:
    return (
        f"pv-migrate ({binary}) {reason}. drstack runs pv-migrate to copy PVC data, so it must "
        "be on the PATH of the machine running `pulumi up`, or drstack:pvMigratePath must "
        f"point at it. {_WHERE_TO_GET}."
    )
