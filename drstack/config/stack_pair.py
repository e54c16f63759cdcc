"""The two stacks of a pair must describe the same two sites: the other stack's file, compared.

``pulumi up -s source`` runs with the source stack's config only; the dr stack's lives in
Pulumi.dr.yaml next to Pulumi.yaml. When that file is there, the site keys of both stacks are
compared, so that the two stack files cannot drift apart unnoticed (one pointing at a test
cluster, say).

Secrets are compared without being shown, and only as far as they can be: Pulumi encrypts each
stack's secrets with that stack's own key, and two ciphertexts of the same value differ, so

- a secret on one stack and a plain value (or nothing) on the other is a difference;
- two secrets are not compared (drstack cannot decrypt the other stack's config, and does not
  try: that needs its passphrase or secrets provider);
- two plain kubeconfig paths are compared as the files they name (relative paths from the
  project folder, ``~`` expanded); plain kubeconfig contents are compared as text, not shown.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from drstack.config.errors import ConfigFinding, shown_value
from drstack.config.keys import KEYS_BY_NAME, NAMESPACE
from drstack.model import Site, WorkloadRef, is_inline_kubeconfig

# The keys that say which two sites a stack switches, and what it switches there.
SITE_KEYS = ("sourceKubeconfig", "sourceContext", "sourceNamespace", "drKubeconfig", "drContext",
             "drNamespace", "workloadSelector", "excludeWorkloads")


@dataclass(frozen=True)
class StackValue:
    """One key's value in a stack's config: the plain value, or that it is a secret."""

    value: Any  # None when unset, or when secret
    secret: bool = False


@dataclass(frozen=True)
class OtherStack:
    """The other stack of the pair, as its Pulumi.<stack>.yaml says (short key -> value)."""

    name: str
    values: Mapping[str, StackValue]
    # The project folder (Pulumi.yaml's): relative kubeconfig paths start there.
    project: Path
    # False when the file imports Pulumi ESC environments: a key it lacks may be set there.
    complete: bool = True

    @property
    def file(self) -> str:
        return f"Pulumi.{self.name}.yaml"


def other_stack_name(stack: str) -> str | None:
    """The stack that makes the other site active: dr for source and source for dr. None for
    other stack names, whose partner drstack cannot tell."""
    named = {site.value: site for site in Site}.get(stack)
    return None if named is None else named.other.value


def read_other_stack(project: Path, stack: str) -> OtherStack | None:
    """The other stack's file next to Pulumi.yaml, or None when there is none to compare with.

    Raises OSError or yaml.YAMLError when the file is there but cannot be read.
    """
    name = other_stack_name(stack)
    path = project / f"Pulumi.{name}.yaml"
    if name is None or not path.is_file():
        return None
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(document, dict):
        raise yaml.YAMLError(f"{path.name} is not a mapping")
    config = document.get("config") or {}
    values: dict[str, StackValue] = {}
    for key, value in (config.items() if isinstance(config, dict) else ()):
        if isinstance(key, str) and key.startswith(f"{NAMESPACE}:"):
            secret = isinstance(value, dict) and "secure" in value
            values[key.removeprefix(f"{NAMESPACE}:")] = StackValue(
                None if secret else value, secret)
    return OtherStack(name, values, project, complete="environment" not in document)


def drift_findings(raw: Mapping[str, Any], secret_keys: frozenset[str], other: OtherStack, *,
                   stack: str) -> list[ConfigFinding]:
    """A finding for each site key this stack (``raw``, ``secret_keys``) and ``other`` set
    differently, naming the key and both values (secrets as <secret>)."""
    found = []
    for key in SITE_KEYS:
        if key not in other.values and not other.complete:
            continue  # may come from an environment drstack does not read
        mine = StackValue(None if key in secret_keys else raw.get(key), key in secret_keys)
        theirs = other.values.get(key, StackValue(None))
        if mine.secret and theirs.secret:
            continue  # two ciphertexts: not comparable (see the module's docstring)
        where = f"stack {other.name} ({other.file}) has {_shown(key, theirs)}"
        same_way = f"set it the same way in Pulumi.{stack}.yaml and {other.file}"
        if mine.secret != theirs.secret:
            problem = (f"a secret on {'this stack' if mine.secret else f'stack {other.name}'} "
                       f"only, so drstack cannot tell that the two name the same thing: {where}")
            secret_on = other.name if mine.secret else stack
            fix = f"{same_way}, e.g. pulumi config set -s {secret_on} --secret {_setting(key)}"
        elif _normal(key, mine.value, other.project) != _normal(key, theirs.value, other.project):
            problem = f"differs from the other stack's: {where}"
            fix = f"{same_way} (both stacks must describe the same two sites)"
            if not str(mine.value or "").strip():
                fix += f", e.g. pulumi config rm -s {other.name} {NAMESPACE}:{key}"
            elif key != "excludeWorkloads":
                fix += f", e.g. pulumi config set -s {other.name} {_setting(key, mine.value)}"
        else:
            continue
        found.append(ConfigFinding(key, _shown(key, mine), problem, fix))
    return found


def _setting(key: str, value: Any = None) -> str:
    """``drstack:KEY VALUE`` as typed after ``pulumi config set``; a value only when plain and
    safe to show."""
    text = "" if value is None else str(value).strip()
    if key.endswith("Kubeconfig") and (not text or is_inline_kubeconfig(text)):
        return f'{NAMESPACE}:{key} "$(cat FILE)"'
    return f"{NAMESPACE}:{key} {shlex.quote(text) if text else '...'}"


def _normal(key: str, value: Any, project: Path) -> Any:
    """A plain value as drstack reads it, so that equal settings compare equal."""
    if value is None:
        value = KEYS_BY_NAME[key].default
    if key == "excludeWorkloads":
        return sorted(_normal_ref(item) for item in _entries(value))
    text = str(value).strip()
    if key.endswith("Kubeconfig") and text and not is_inline_kubeconfig(text):
        return os.path.normpath(project / os.path.expanduser(text))
    return text


def _entries(value: Any) -> list[Any]:
    if isinstance(value, str):  # as Pulumi hands an array to the program: JSON
        try:
            value = json.loads(value) if value.strip() else []
        except json.JSONDecodeError:
            return [value]
    return list(value) if isinstance(value, list) else [value]


def _normal_ref(item: Any) -> str:
    try:
        return str(WorkloadRef.parse(str(item)))
    except ValueError:
        return str(item).strip()


def _shown(key: str, value: StackValue) -> str:
    if key == "excludeWorkloads" and not value.secret:
        return repr(_entries(value.value if value.value is not None else []))
    return shown_value(key, value.value, secret=value.secret)
