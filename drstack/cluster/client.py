"""One ``kubernetes`` ApiClient per site, built from the site's kubeconfig and context."""

from __future__ import annotations

from typing import Any

from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.config.config_exception import ConfigException

from drstack.config.errors import ConfigError
from drstack.config.kubeconfig import Problem, Unusable, looks_like_path, read_kubeconfig
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


def connect(site: SiteConfig, *, request_timeout: float = 15.0,
            pool_size: int | None = None) -> k8s.ApiClient:
    """An ApiClient for ``site``; raises ClusterConfigError naming the key to fix.

    The kubeconfig may be a path (``~`` expanded, relative to the cwd) or the file's contents.
    Nothing from the file goes into an error message except context names. ``pool_size``: how
    many connections the client may hold open, for calls made from several threads at once.
    """
    kubeconfig_key, context_key = config_key(site, "Kubeconfig"), config_key(site, "Context")
    read = read_kubeconfig(site.kubeconfig)
    if read.path is None:
        source = f"the kubeconfig in {kubeconfig_key} (inline)"
    else:
        shown = (str(read.path) if looks_like_path(site.kubeconfig.strip())
                 else "(value not shown: it may be a secret)")
        source = f"the kubeconfig file {shown} ({kubeconfig_key})"
    if isinstance(read, Unusable):
        raise ClusterConfigError(_unusable_message(read, site, source, kubeconfig_key))

    contexts = read.contexts
    context = read.context_for(site.context)
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
        if read.path is not None:
            k8s_config.load_kube_config(
                config_file=str(read.path), context=context, client_configuration=configuration,
                persist_config=False,
            )
        else:
            k8s_config.load_kube_config_from_dict(
                config_dict=read.document, context=context, client_configuration=configuration,
                persist_config=False,
            )
    except (ConfigException, ValueError, TypeError, KeyError, OSError) as exc:
        # The loader's message can quote the file (tokens included) when it is inline.
        detail = "" if read.path is None else f": {exc}"
        raise ClusterConfigError(
            f"site {site.site}: context {context!r} of {source} cannot be used "
            f"({type(exc).__name__}{detail}); check its cluster and user entries"
        ) from None
    # Our retry layer (drstack.cluster.retry) retries, with a deadline; urllib3 must not.
    configuration.retries = False
    if pool_size is not None:
        configuration.connection_pool_maxsize = pool_size
    return _TimeoutApiClient(configuration, request_timeout)


def _unusable_message(read: Unusable, site: SiteConfig, source: str, key: str) -> str:
    if read.problem is Problem.MISSING:
        return (f"site {site.site}: {source} does not exist; set {key} to an existing kubeconfig "
                "path, or to the file's contents with "
                f"`pulumi config set --secret {key.split(':')[1]} < FILE`")
    if read.problem is Problem.UNREADABLE:
        return (f"site {site.site}: {source} cannot be read ({read.detail}); "
                f"fix its permissions or set {key} to another file")
    if read.problem is Problem.NOT_YAML:
        return f"site {site.site}: {source} is not valid YAML{read.detail}; fix the file or {key}"
    return (f"site {site.site}: {source} is not a kubeconfig (no contexts list); "
            f"point {key} at a kubeconfig file such as ~/.kube/config")


def _listing(names: list[str]) -> str:
    return ", ".join(repr(n) for n in names) if names else "(the file defines no contexts)"
