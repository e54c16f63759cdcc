"""The binaries tools/build.sh builds into .tools/bin, and the environment the Pulumi CLI runs in.

On a machine where the Pulumi CLI and its plugins are installed the usual way, drstack uses them
as they are; here, where nothing can be downloaded, every binary comes from .tools/bin and the
CLI runs offline against a local ``file://`` backend.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def current_project() -> Path:
    """The drstack project the commands act on: the current folder when it is one (as for
    the Pulumi CLI), else this checkout."""
    here = Path.cwd()
    return here if (here / "Pulumi.yaml").is_file() and (here / "__main__.py").is_file() \
        else PROJECT_ROOT
TOOLS_BIN = Path(os.environ.get("DRSTACK_TOOLS_BIN", PROJECT_ROOT / ".tools" / "bin"))

PULUMI_TOOLS = ("pulumi", "pulumi-language-python", "pulumi-language-python-exec",
                "pulumi-resource-pulumi-python", "pulumi-resource-kubernetes")
CLUSTER_TOOLS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")


class ToolsMissing(Exception):
    """A binary tools/build.sh builds is not there; the message says how to build it."""


def tool(name: str) -> Path:
    """The path of one built tool, or ToolsMissing naming the command that builds it."""
    path = TOOLS_BIN / name
    if path.is_file() and os.access(path, os.X_OK):
        return path
    raise ToolsMissing(missing_message([name]))


# kwok's stages (how nodes and pods move on), copied out of its module by tools/build.sh.
KWOK_STAGES = TOOLS_BIN.parent / "share" / "kwok-stages.yaml"


def missing_tools(names: tuple[str, ...] = PULUMI_TOOLS + CLUSTER_TOOLS) -> list[str]:
    missing = [n for n in names if not (TOOLS_BIN / n).is_file()]
    if "kwok" in names and not KWOK_STAGES.is_file():
        missing.append(KWOK_STAGES.name)
    return missing


def missing_message(names: list[str]) -> str:
    return (f"{', '.join(names)} not found in {TOOLS_BIN}. Build the pinned tools first "
            f"(15 to 23 minutes cold on 2 cores, seconds once cached): "
            f"{PROJECT_ROOT}/tools/build.sh")


def python_of_project() -> str:
    venv = PROJECT_ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def openssl() -> str:
    found = shutil.which("openssl")
    if found is None:
        raise ToolsMissing("openssl is not on PATH; the sandbox makes its certificates with it "
                           "(Debian: apt-get install openssl)")
    return found
