"""The Pulumi CLI on a drstack project: preview, up, history, outputs (argv lists, no shell).

With a ``PulumiEnv`` it runs the CLI built in .tools/bin offline, against a local ``file://``
backend; without one it runs whatever ``pulumi`` the caller's environment has, logged in as the
caller is.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drstack.toolchain import TOOLS_BIN, python_of_project


class PulumiCommandFailed(Exception):
    """A pulumi command exited non-zero; the message has its output's tail."""

    def __init__(self, argv: list[str], result: subprocess.CompletedProcess[str]) -> None:
        self.result = result
        tail = "\n".join(result.stdout.splitlines()[-40:])
        super().__init__(f"`{' '.join(argv)}` exited {result.returncode}:\n{tail}")


@dataclass(frozen=True)
class PulumiEnv:
    """Where the Pulumi CLI keeps its home and state, and the passphrase of its secrets."""

    home: Path
    backend_dir: Path
    passphrase: str

    def variables(self) -> dict[str, str]:
        """The variables to add to a process's environment to run the CLI offline."""
        return {
            "PATH": f"{TOOLS_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "PULUMI_HOME": str(self.home),
            "PULUMI_BACKEND_URL": self.backend_dir.resolve().as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": self.passphrase,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            # Plugins come from PULUMI_HOME (install_plugins), not PATH: no "using ... from
            # $PATH" warning in every preview an operator reads.
            "PULUMI_IGNORE_AMBIENT_PLUGINS": "true",
            # The language host built here (tools/README.md) is not told Pulumi.yaml's virtualenv
            # option by a newer CLI; it and the dynamic-provider script both run this Python.
            "PULUMI_PYTHON_CMD": python_of_project(),
        }

    def environ(self) -> dict[str, str]:
        self.home.mkdir(parents=True, exist_ok=True)
        self.backend_dir.mkdir(parents=True, exist_ok=True)
        return {**os.environ, **self.variables()}

    def install_plugins(self) -> None:
        """Install the kubernetes provider built in .tools/bin into this PULUMI_HOME, at the
        version the Python SDK asks for (the language host and the dynamic-provider script are
        found next to the CLI)."""
        version = importlib.metadata.version("pulumi_kubernetes")
        if (self.home / "plugins" / f"resource-kubernetes-v{version}").is_dir():
            return
        subprocess.run(["pulumi", "plugin", "install", "resource", "kubernetes", version,
                        "--file", str(TOOLS_BIN / "pulumi-resource-kubernetes")],
                       env=self.environ(), stdin=subprocess.DEVNULL, capture_output=True,
                       check=True)

    def shell_exports(self) -> str:
        return "".join(f"export {k}={_sh_quote(v)}\n" for k, v in self.variables().items())


class PulumiCli:
    def __init__(self, project: Path, env: PulumiEnv | None = None,
                 extra_env: dict[str, str] | None = None) -> None:
        self.project = project
        self.env = env
        self.extra_env = dict(extra_env or {})

    def environ(self) -> dict[str, str]:
        base = self.env.environ() if self.env else dict(os.environ)
        return {**base, **self.extra_env}

    def argv(self, *args: str) -> list[str]:
        return ["pulumi", "--non-interactive", "--color", "never", "--cwd", str(self.project),
                *args]

    def run(self, *args: str, check: bool = True, timeout: float | None = 900,
            stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run one command; stdout and stderr together in ``.stdout``. ``stdin``: its input
        (a secret for `config set --secret` goes there, not into argv)."""
        argv = self.argv(*args)
        result = subprocess.run(argv, env=self.environ(), input=stdin,
                                stdin=None if stdin is not None else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                timeout=timeout, check=False)
        if check and result.returncode != 0:
            raise PulumiCommandFailed(argv, result)
        return result

    def start(self, *args: str, log: Path) -> subprocess.Popen[bytes]:
        """Start a command in the background (its output to ``log``), e.g. to kill it."""
        handle = open(log, "wb")
        try:
            return subprocess.Popen(self.argv(*args), env=self.environ(),
                                    stdin=subprocess.DEVNULL, stdout=handle,
                                    stderr=subprocess.STDOUT)
        finally:
            handle.close()

    def stacks(self) -> list[str]:
        listing = json.loads(self.run("stack", "ls", "--json").stdout)
        return [entry["name"].split("/")[-1] for entry in listing]

    def ensure_stack(self, stack: str) -> None:
        if stack not in self.stacks():
            self.run("stack", "init", stack)

    def preview(self, stack: str, *extra: str, check: bool = True
                ) -> subprocess.CompletedProcess[str]:
        return self.run("preview", "-s", stack, "--diff", *extra, check=check)

    def up(self, stack: str, message: str, *extra: str, check: bool = True
           ) -> subprocess.CompletedProcess[str]:
        return self.run("up", "-s", stack, "--yes", "--skip-preview", "-m", message, *extra,
                        check=check)

    def outputs(self, stack: str) -> dict[str, Any]:
        outputs: dict[str, Any] = json.loads(self.run(
            "stack", "output", "-s", stack, "--json", "--show-secrets").stdout)
        return outputs

    def history(self, stack: str) -> list[dict[str, Any]]:
        history: list[dict[str, Any]] = json.loads(self.run(
            "stack", "history", "-s", stack, "--json").stdout)
        return history

    def export(self, stack: str) -> dict[str, Any]:
        state: dict[str, Any] = json.loads(self.run("stack", "export", "-s", stack).stdout)
        return state


def _sh_quote(value: str) -> str:
    return "'" + value.replace("'", "'\"'\"'") + "'"
