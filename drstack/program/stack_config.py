"""Read this stack's config from Pulumi into a validated StackConfig."""

from __future__ import annotations

import pulumi
import pulumi.runtime.config as runtime_config

from drstack.config import NAMESPACE, load_config
from drstack.model import StackConfig


def read_stack_config() -> StackConfig:
    """Raises ConfigError listing every problem."""
    config = pulumi.Config(NAMESPACE)
    keys = namespace_keys()
    # Config.get returns a secret's plain value here; it only ever reaches the kubernetes client
    # and, as an Output.secret, the kubernetes Provider (see drstack.program.site).
    raw = {key: config.get(key) for key in keys}
    secret = frozenset(key for key in keys
                       if pulumi.runtime.is_config_secret(f"{NAMESPACE}:{key}"))
    return load_config(raw, stack=pulumi.get_stack(), secret_keys=secret)


def namespace_keys() -> list[str]:
    """Every key of the drstack namespace in this stack's config, declared or not (short names).

    The language host hands the program the whole stack config (PULUMI_CONFIG, and the SDK's
    own map, which the mocks set); Pulumi adds the keys Pulumi.yaml declares, with their
    defaults, and nothing else to this namespace.
    """
    full = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{NAMESPACE}:"
    return sorted(key.removeprefix(prefix) for key in full if key.startswith(prefix))
