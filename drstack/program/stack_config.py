"""Read this stack's config from Pulumi into a validated StackConfig."""

from __future__ import annotations

import os
from pathlib import Path

import pulumi
import pulumi.runtime.config as runtime_config
import yaml

from drstack.config import NAMESPACE, OtherStack, load_config, read_other_stack
from drstack.model import StackConfig


def read_stack_config() -> StackConfig:
    """Raises ConfigError listing every problem, drift from the other stack's file included."""
    config = pulumi.Config(NAMESPACE)
    keys = namespace_keys()
    # Config.get returns a secret's plain value here; it only ever reaches the kubernetes client
    # and, as an Output.secret, the kubernetes Provider (see drstack.program.site).
    raw = {key: config.get(key) for key in keys}
    secret = frozenset(key for key in keys
                       if pulumi.runtime.is_config_secret(f"{NAMESPACE}:{key}"))
    stack = pulumi.get_stack()
    return load_config(raw, stack=stack, secret_keys=secret,
                       other_stack=_other_stack(stack))


def _other_stack(stack: str) -> OtherStack | None:
    # The engine runs the program in the project folder. (pulumi.runtime.get_root_directory()
    # is None under the CLI 3.274.1 and a placeholder string under the mocks.)
    project = Path(os.getcwd())
    try:
        return read_other_stack(project, stack)
    except (OSError, yaml.YAMLError) as exc:
        pulumi.log.warn(f"the other stack's file next to Pulumi.yaml cannot be read "
                        f"({type(exc).__name__}), so its site keys were not compared with "
                        f"this stack's")
        return None


def namespace_keys() -> list[str]:
    """Every key of the drstack namespace in this stack's config, declared or not (short names).

    The language host hands the program the whole stack config (PULUMI_CONFIG, and the SDK's
    own map, which the mocks set); Pulumi adds the keys Pulumi.yaml declares, with their
    defaults, and nothing else to this namespace.
    """
    full = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{NAMESPACE}:"
    return sorted(key.removeprefix(prefix) for key in full if key.startswith(prefix))
