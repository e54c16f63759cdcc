"""Stack config: the keys, their validation, and the validated StackConfig."""

from drstack.config.errors import ConfigError, ConfigFinding
from drstack.config.keys import KEYS, NAMESPACE, ConfigKey
from drstack.config.load import load_config, load_site_config
from drstack.config.stack_pair import SITE_KEYS, OtherStack, read_other_stack

# The validated values live in drstack.model (the planner must not import this package).
from drstack.model import SiteConfig, StackConfig, Strategy

__all__ = [
    "KEYS", "NAMESPACE", "SITE_KEYS", "ConfigError", "ConfigFinding", "ConfigKey", "OtherStack",
    "SiteConfig", "StackConfig", "Strategy", "load_config", "load_site_config", "read_other_stack",
]
