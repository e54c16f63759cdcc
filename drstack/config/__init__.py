"""Stack config: the keys, their validation, and the validated StackConfig."""

from drstack.config.errors import ConfigError, ConfigFinding
from drstack.config.keys import KEYS, NAMESPACE, ConfigKey
from drstack.config.load import load_config, load_site_config
from drstack.config.site import SiteConfig
from drstack.config.stack import StackConfig, Strategy

__all__ = [
    "KEYS", "NAMESPACE", "ConfigError", "ConfigFinding", "ConfigKey", "SiteConfig",
    "StackConfig", "Strategy", "load_config", "load_site_config",
]
