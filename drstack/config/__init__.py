"""Stack config: the keys, their validation, and the validated StackConfig."""

from drstack.config.errors import ConfigError, ConfigFinding
from drstack.config.keys import KEYS, NAMESPACE, ConfigKey
from drstack.config.load import load_config, load_site_config

# The validated values live in drstack.model (the planner must not import this package).
from drstack.model import SiteConfig, StackConfig, Strategy

__all__ = [
    "KEYS", "NAMESPACE", "ConfigError", "ConfigFinding", "ConfigKey", "SiteConfig",
    "StackConfig", "Strategy", "load_config", "load_site_config",
]
