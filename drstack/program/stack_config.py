"""Read this stack's config from Pulumi into a validated StackConfig."""

from __future__ import annotations

import pulumi

from drstack.config import KEYS, NAMESPACE, load_config
from drstack.model import StackConfig


def read_stack_config() -> StackConfig:
    """Raises ConfigError listing every problem."""
    config = pulumi.Config(NAMESPACE)
    # Config.get returns a secret's plain value here; it only ever reaches the kubernetes client
    # and, as an Output.secret, the kubernetes Provider (see drstack.program.site).
    raw = {key.name: config.get(key.name) for key in KEYS}
    return load_config(raw, stack=pulumi.get_stack())
