"""A stack's drstack config as the program receives it, read without the Pulumi CLI.

`pulumi up` hands the program every key Pulumi.yaml declares (at its default) and every key of
Pulumi.<stack>.yaml, each as text (arrays as JSON). ``from_stack_files`` reads the same two
files the same way. Two things only the CLI can read are refused, with the ways round them:

- a secret (`pulumi config set --secret`): the file holds ciphertext under the stack's own key;
- an ESC environment (``environment:`` in the stack file): its values live in Pulumi Cloud.

The CLI's own output, `pulumi config -s STACK --show-secrets --json`, is read by
``from_cli_json``: the same keys and values the program gets, with which of them are secret.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from drstack.config import NAMESPACE, ConfigError

_PREFIX = f"{NAMESPACE}:"


class StackSettingsUnreadable(ConfigError):
    """A stack's config cannot be read without the Pulumi CLI, or at all; the message says how."""

    def __init__(self, message: str) -> None:
        super().__init__(message=message)


@dataclass(frozen=True)
class StackSettings:
    """One stack's drstack keys as the program would receive them (short key -> text)."""

    stack: str
    raw: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # Keys set with `pulumi config set --secret`: never shown.
    secret_keys: frozenset[str] = frozenset()
    # Where they were read, for messages: "Pulumi.dr.yaml", "pulumi config --json (FILE)".
    origin: str = ""


def cli_command(stack: str) -> str:
    """The check's own command line with this stack's config passed through the Pulumi CLI."""
    return (f"python -m drstack check --stack {stack} --config-json "
            f"{stack}=<(pulumi config -s {stack} --show-secrets --json)")


def from_stack_files(project: Path, stack: str) -> StackSettings:
    """Pulumi.yaml's declared defaults, then Pulumi.<stack>.yaml's values, as the program gets
    them; raises StackSettingsUnreadable when a file is missing or broken, or when the stack
    sets a secret or imports an environment (both need the Pulumi CLI)."""
    project_doc = _yaml_mapping(project / "Pulumi.yaml", stack,
                                missing="is not a drstack project folder (no Pulumi.yaml)")
    raw = _declared_defaults(project_doc)
    folder = project / str(project_doc.get("stackConfigDir") or "")
    path = folder / f"Pulumi.{stack}.yaml"
    doc = _yaml_mapping(path, stack, missing="does not exist, so stack "
                        f"{stack!r} has no config to check")
    if doc.get("environment"):
        raise StackSettingsUnreadable(
            f"{path.name} imports Pulumi ESC environments (environment:), whose values only the "
            f"Pulumi CLI can read. Fix: pass the stack's config through the CLI: "
            f"{cli_command(stack)}")
    config = doc.get("config") or {}
    if not isinstance(config, dict):
        raise StackSettingsUnreadable(
            f"{path.name}: 'config' is not a mapping of keys to values. Fix: correct the file "
            f"(pulumi config -s {stack} shows what the CLI reads)")
    secrets = []
    for key, value in config.items():
        if not (isinstance(key, str) and key.startswith(_PREFIX)):
            continue  # another package's key: the program never sees it either
        name = key.removeprefix(_PREFIX)
        if isinstance(value, dict) and "secure" in value:
            secrets.append(name)
        else:
            raw[name] = _as_text(value)
    if secrets:
        raise StackSettingsUnreadable(_secrets_message(path.name, stack, sorted(secrets)))
    return StackSettings(stack, MappingProxyType(raw), frozenset(), path.name)


def from_cli_json(text: str, *, stack: str, origin: str) -> StackSettings:
    """The output of `pulumi config -s STACK --show-secrets --json`, as the program gets it."""
    made_by = f"Fix: make it with pulumi config -s {stack} --show-secrets --json"
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StackSettingsUnreadable(
            f"{origin} is not JSON (line {exc.lineno}, column {exc.colno}). {made_by}") from None
    if not isinstance(document, dict):
        raise StackSettingsUnreadable(f"{origin} is not a JSON object of config keys. {made_by}")
    raw: dict[str, str] = {}
    secret_keys = set()
    hidden = []
    for key, entry in document.items():
        if not key.startswith(_PREFIX):
            continue
        name = key.removeprefix(_PREFIX)
        if not isinstance(entry, dict):
            raise StackSettingsUnreadable(
                f"{origin}: {key} is not an object with a value. {made_by}")
        secret = entry.get("secret") is True
        if secret:
            secret_keys.add(name)
        if "value" not in entry and secret:
            hidden.append(key)
        elif not isinstance(entry.get("value"), str):
            raise StackSettingsUnreadable(f"{origin}: {key} has no text value. {made_by}")
        else:
            raw[name] = entry["value"]
    if hidden:
        raise StackSettingsUnreadable(
            f"{origin} has no value for the secret(s) {', '.join(hidden)}: it was made without "
            f"--show-secrets. {made_by}")
    return StackSettings(stack, MappingProxyType(raw), frozenset(secret_keys), origin)


def _declared_defaults(project_doc: Mapping[str, Any]) -> dict[str, str]:
    """The defaults Pulumi.yaml declares for the drstack namespace (short keys are the
    project's namespace, which is drstack's when the project is named drstack)."""
    declared = project_doc.get("config") or {}
    own_project = project_doc.get("name") == NAMESPACE
    defaults = {}
    for key, spec in (declared.items() if isinstance(declared, dict) else ()):
        if not isinstance(key, str):
            continue
        if key.startswith(_PREFIX):
            name = key.removeprefix(_PREFIX)
        elif ":" not in key and own_project:
            name = key
        else:
            continue
        if not isinstance(spec, dict):
            defaults[name] = _as_text(spec)  # `key: value`, a project-wide value
        elif "value" in spec or "default" in spec:
            defaults[name] = _as_text(spec.get("value", spec.get("default")))
    return defaults


def _yaml_mapping(path: Path, stack: str, *, missing: str) -> dict[str, Any]:
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        where = path.parent if path.name == "Pulumi.yaml" else path
        raise StackSettingsUnreadable(
            f"{where} {missing}. Fix: run from the project folder or pass --project DIR, or pass "
            f"the stack's config through the Pulumi CLI: {cli_command(stack)}") from None
    except OSError as exc:
        raise StackSettingsUnreadable(
            f"{path} cannot be read ({exc.strerror}). Fix: its permissions") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise StackSettingsUnreadable(
            f"{path.name} is not valid YAML{at}. Fix: correct the file") from None
    if not isinstance(doc, dict):
        raise StackSettingsUnreadable(f"{path.name} is not a YAML mapping. Fix: correct the file")
    return doc


def _secrets_message(file: str, stack: str, names: list[str]) -> str:
    keys = ", ".join(f"{_PREFIX}{name}" for name in names)
    instead = []
    for name in names:
        if name.endswith("Kubeconfig"):
            site = name.removesuffix("Kubeconfig")
            instead.append(f"pulumi config set -s {stack} {_PREFIX}{name} "
                           f"~/.kube/{site}.yaml (a kubeconfig path)")
        else:
            instead.append(f"pulumi config set -s {stack} {_PREFIX}{name} VALUE (plain text)")
    return (f"{file} holds {keys} as secret(s) (set with `pulumi config set --secret`): they are "
            f"encrypted with the stack's key, and only the Pulumi CLI can decrypt them, so "
            f"`check` cannot read the config of stack {stack} from the file alone. Fix: either "
            f"pass the config through the CLI: {cli_command(stack)} (`-` reads it from stdin), "
            f"or set them without --secret: {'; '.join(instead)}")


def _as_text(value: Any) -> str:
    """A config value as Pulumi hands it to the program: text; arrays and maps as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)
