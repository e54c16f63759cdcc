"""One ``kubernetes`` ApiClient per site, built from the site's kubeconfig and context."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.config.config_exception import ConfigException

from drstack.config.errors import ConfigError
from drstack.model import SiteConfig


class ClusterConfigError(ConfigError):
    """A site's kubeconfig or context cannot be used; the message says which key to fix."""

    def __init__(self, message: str) -> None:
        super().__init__(message=message)


def config_key(site: SiteConfig, what: str) -> str:
    """The stack config key of a site's setting, e.g. ``drstack:sourceKubeconfig``."""
    return f"drstack:{site.site.value}{what}"


class _TimeoutApiClient(k8s.ApiClient):
    """An ApiClient whose every request has a timeout unless the call passes its own.

    urllib3 waits forever by default, and an unreachable site must fail within our deadline.
    """

    def __init__(self, configuration: k8s.Configuration, request_timeout: float) -> None:
        super().__init__(configuration)
        self.request_timeout = request_timeout

    def call_api(self, *args: Any, **kwargs: Any) -> Any:
        if not kwargs.get("_request_timeout"):
            kwargs["_request_timeout"] = self.request_timeout
        return super().call_api(*args, **kwargs)


def connect(site: SiteConfig, *, request_timeout: float = 15.0) -> k8s.ApiClient:
    """An ApiClient for ``site``; raises ClusterConfigError naming the key to fix.

    The kubeconfig may be a path (``~`` expanded, relative to the cwd) or the file's contents.
    Nothing from the file goes into an error message except context names.
    """
    kubeconfig_key, context_key = config_key(site, "Kubeconfig"), config_key(site, "Context")
    inline = site.kubeconfig_is_inline
    if inline:
        source = f"the kubeconfig in {kubeconfig_key} (inline)"
        text = site.kubeconfig
        path = None
    else:
        value = site.kubeconfig.strip()
        path = Path(os.path.expanduser(value)).resolve()
        shown = str(path) if _looks_like_path(value) else "(value not shown: it may be a secret)"
        source = f"the kubeconfig file {shown} ({kubeconfig_key})"
        try:
            text = path.read_text()
        except FileNotFoundError:
            raise ClusterConfigError(
                f"site {site.site}: {source} does not exist; set {kubeconfig_key} to an "
                "existing kubeconfig path, or to the file's contents with "
                f"`pulumi config set --secret {kubeconfig_key.split(':')[1]} < FILE`"
            ) from None
        except OSError as exc:
            raise ClusterConfigError(
                f"site {site.site}: {source} cannot be read ({exc.strerror}); "
                f"fix its permissions or set {kubeconfig_key} to another file"
            ) from None

    document = _parse(text, site, source, kubeconfig_key)
    contexts = _context_names(document)
    context = site.context or document.get("current-context") or None
    if context is None:
        raise ClusterConfigError(
            f"site {site.site}: {source} has no current-context and {context_key} is not set; "
            f"set {context_key} to one of: {_listing(contexts)}"
        )
    if context not in contexts:
        origin = context_key if site.context else f"current-context of {source}"
        raise ClusterConfigError(
            f"site {site.site}: context {context!r} (from {origin}) is not in {source}; "
            f"set {context_key} to one of: {_listing(contexts)}"
        )

    configuration = k8s.Configuration()
    try:
        if path is not None:
            k8s_config.load_kube_config(
                config_file=str(path), context=context, client_configuration=configuration,
                persist_config=False,
            )
        else:
            k8s_config.load_kube_config_from_dict(
                config_dict=document, context=context, client_configuration=configuration,
                persist_config=False,
            )
    except (ConfigException, ValueError, TypeError, KeyError, OSError) as exc:
        # The loader's message can quote the file (tokens included) when it is inline.
        detail = "" if inline else f": {exc}"
        raise ClusterConfigError(
            f"site {site.site}: context {context!r} of {source} cannot be used "
            f"({type(exc).__name__}{detail}); check its cluster and user entries"
        ) from None
    # Our retry layer (drstack.cluster.retry) retries, with a deadline; urllib3 must not.
    configuration.retries = False
    return _TimeoutApiClient(configuration, request_timeout)


def _looks_like_path(value: str) -> bool:
    # A one-line secret (a token, a base64 blob) set by mistake must not be echoed as a path.
    if any(c.isspace() for c in value) or len(value) > 1024:
        return False
    return "/" in value or value.endswith((".yaml", ".yml", ".json", ".conf", "config"))


def _parse(text: str, site: SiteConfig, source: str, key: str) -> dict[str, Any]:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        # Only the position: a YAML error's snippet could show a token.
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ClusterConfigError(
            f"site {site.site}: {source} is not valid YAML{where}; fix the file or {key}"
        ) from None
    if not isinstance(document, dict) or not isinstance(document.get("contexts"), list):
        raise ClusterConfigError(
            f"site {site.site}: {source} is not a kubeconfig (no contexts list); "
            f"point {key} at a kubeconfig file such as ~/.kube/config"
        )
    return document


def _context_names(document: dict[str, Any]) -> list[str]:
    return [
        str(entry["name"])
        for entry in document.get("contexts") or []
        if isinstance(entry, dict) and entry.get("name")
    ]


def _listing(names: list[str]) -> str:
    return ", ".join(repr(n) for n in names) if names else "(the file defines no contexts)"
