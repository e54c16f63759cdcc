"""Config findings: every problem names the key, the value and the fix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from drstack.config.keys import KEYS_BY_NAME, NAMESPACE
from drstack.config.kubeconfig import looks_like_path
from drstack.errors import DrstackError

SECRET_PLACEHOLDER = "<secret>"


@dataclass(frozen=True)
class ConfigFinding:
    """One config problem: the key, its value as it may be shown (None: not shown at all), what
    is wrong, and the fix."""

    key: str
    value: str | None
    problem: str
    fix: str

    def __str__(self) -> str:
        shown = "" if self.value is None else f" = {self.value}"
        stop = "" if self.problem.endswith("?") else "."
        return f"{NAMESPACE}:{self.key}{shown}: {self.problem}{stop} Fix: {self.fix}"


def shown_value(key: str, value: object, *, secret: bool = False) -> str:
    """The value as an operator may see it in a message; secrets are never shown."""
    spec = KEYS_BY_NAME.get(key)
    if secret:  # set with `pulumi config set --secret`
        return SECRET_PLACEHOLDER
    if value is None or value == "":
        return "(unset)"
    # A value that may hold a credential is shown only when it is plainly a file path.
    if spec is not None and spec.secret_value and not (
            isinstance(value, str) and looks_like_path(value)):
        return SECRET_PLACEHOLDER
    return repr(value)


class ConfigError(DrstackError):
    """Config drstack cannot use, found before it changed anything.

    ``load_config`` raises it with every finding at once; a subclass names its one problem in
    ``message`` and has no findings.
    """

    def __init__(self, findings: Sequence[ConfigFinding] = (), *,
                 message: str | None = None) -> None:
        self.findings = tuple(findings)
        if message is None:
            lines = [f"drstack found {len(self.findings)} config problem(s); nothing was changed:"]
            lines += [f"  - {f}" for f in self.findings]
            message = "\n".join(lines)
        super().__init__(message)
