"""What the three dynamic providers share: stack config, input checks, the steady-state rule.

A provider object is pickled (dill) into every resource's ``__provider`` input, so it keeps
nothing but the raw ``drstack:*`` strings that ``configure()`` hands it in the provider host;
clients are built inside each method and closed there.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from kubernetes.client import ApiClient
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from drstack.cluster.raw import Obj, json_body
from drstack.config import NAMESPACE, ConfigError, load_site_config
from drstack.config.load import SITE_KEY_PREFIX
from drstack.model import Kind, Site, SiteConfig

STEADY = "none"  # the transition of a run that switches nothing
# How often a gate looks again: the gate notices the last workload becoming ready within about
# this long (bench/RESULTS.md), at two LISTs (one per kind) a poll.
DEFAULT_POLL_SECONDS = 0.5
SKIPPED = "skipped: no switch"
SITES = tuple(s.value for s in Site)
KINDS = tuple(k.value for k in Kind)
# Site connection keys: the only config a provider keeps (short name, without "drstack:").
_SITE_KEY_SUFFIXES = ("Kubeconfig", "Context", "Namespace")


class ProviderNotConfigured(ConfigError):
    """The provider host never called configure(), or a needed key was not in the config."""

    def __init__(self, message: str) -> None:
        super().__init__(message=message)


class InvalidInputs(ConfigError):
    """Inputs that check() would have refused; raised when create/update get them anyway."""

    def __init__(self, resource: str, failures: list[CheckFailure]) -> None:
        self.failures = failures
        lines = "\n".join(f"  - {f.property}: {f.reason}" for f in failures)
        super().__init__(message=f"{resource}: invalid inputs:\n{lines}")


class SiteProvider(ResourceProvider):
    """Base of the drstack providers: keeps the site keys of the stack config, after configure."""

    # The pickled provider carries no secret (configure() runs only in the host, after unpickling),
    # so Pulumi need not mark the whole __provider input secret.
    serialize_as_secret_always = False

    def configure(self, req: ConfigureRequest) -> None:
        # Config.get() with a full "drstack:key" name does not depend on the host's project name.
        raw: dict[str, str] = {}
        for site in Site:
            for suffix in _SITE_KEY_SUFFIXES:
                key = f"{SITE_KEY_PREFIX[site]}{suffix}"
                value = req.config.get(f"{NAMESPACE}:{key}")
                if value is not None:
                    raw[key] = value if isinstance(value, str) else str(value)
        self._site_keys = raw

    def site_config(self, site: Site) -> SiteConfig:
        """The site's connection settings, from the config configure() received."""
        key = f"{SITE_KEY_PREFIX[site]}Kubeconfig"
        raw: dict[str, str] | None = getattr(self, "_site_keys", None)
        if raw is None:
            raise ProviderNotConfigured(
                f"{NAMESPACE}:{key} is not available: the dynamic provider host never called "
                "configure() on this provider, so it has no stack config (a Pulumi CLI older "
                "than 3.140 does not send it)"
            )
        if not raw.get(key):
            raise ProviderNotConfigured(
                f"{NAMESPACE}:{key} is not set in the stack config the provider received; "
                f"set it with pulumi config set {NAMESPACE}:{key} PATH "
                f"(or --secret with the file's contents)"
            )
        return load_site_config(raw, site)

    # Pickling a configured provider (never done by Pulumi, but cheap to guard) drops the config.
    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_site_keys"}


# ---- inputs -------------------------------------------------------------------------------


def is_unknown(value: Any) -> bool:
    """True when a value (or anything inside it) is not known yet, as in a preview.

    The host deserializes an unknown into a ``pulumi.output.Unknown`` (Check and Diff keep
    unknowns); the raw wire sentinel string is accepted too.
    """
    if isinstance(value, Unknown):
        return True
    if isinstance(value, str):
        return value == UNKNOWN
    if isinstance(value, Mapping):
        return any(is_unknown(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(is_unknown(v) for v in value)
    return False


@dataclass
class Inputs:
    """Reads a props dict, coercing engine floats, collecting every failure as a CheckFailure."""

    props: Mapping[str, Any]
    failures: list[CheckFailure] = field(default_factory=list)
    # True when some value is unknown (preview): it is neither checked nor usable.
    incomplete: bool = False

    def fail(self, prop: str, reason: str) -> None:
        self.failures.append(CheckFailure(prop, reason))

    def _get(self, key: str, default: Any = None) -> Any:
        value = self.props.get(key, default)
        if is_unknown(value):
            self.incomplete = True
            return None
        return value

    def text(self, key: str, *, allow_empty: bool = False) -> str:
        value = self._get(key)
        if value is None and self.incomplete:
            return ""
        if not isinstance(value, str):
            self.fail(key, f"must be a string, got {_shown(value)}")
            return ""
        if not allow_empty and not value.strip():
            self.fail(key, "must not be empty")
        return value

    def site(self, key: str) -> Site:
        value = self._get(key)
        if value is None and self.incomplete:
            return Site.SOURCE
        if value not in SITES:
            self.fail(key, f"must be one of {', '.join(SITES)}, got {_shown(value)}")
            return Site.SOURCE
        return Site(value)

    def positive_seconds(self, key: str, default: float | None = None) -> float:
        value = self._get(key, default)
        if value is None and self.incomplete:
            return 1.0
        number = as_number(value)
        if number is None or number <= 0:
            self.fail(key, f"must be a number of seconds greater than 0, got {_shown(value)}")
            return 1.0
        return number

    def integer(self, key: str, *, minimum: int) -> int:
        value = self._get(key)
        if value is None and self.incomplete:
            return minimum
        number = as_int(value)
        if number is None or number < minimum:
            self.fail(key, f"must be a whole number >= {minimum}, got {_shown(value)}")
            return minimum
        return number

    def strings(self, key: str) -> tuple[str, ...]:
        value = self._get(key, [])
        if value is None and self.incomplete:
            return ()
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            self.fail(key, f"must be a list of strings, got {_shown(value)}")
            return ()
        return tuple(value)

    def entries(self, key: str) -> list[Mapping[str, Any]]:
        """A list of objects (e.g. workloads, pairs); a non-object entry is a failure."""
        value = self._get(key, [])
        if value is None and self.incomplete:
            return []
        if not isinstance(value, (list, tuple)):
            self.fail(key, f"must be a list, got {_shown(value)}")
            return []
        good = []
        for index, entry in enumerate(value):
            if isinstance(entry, Mapping):
                good.append(entry)
            else:
                self.fail(f"{key}[{index}]", f"must be an object, got {_shown(entry)}")
        return good

    def check_result(self) -> CheckResult:
        return CheckResult(dict(self.props), list(self.failures))

    def raise_if_failed(self, resource: str) -> None:
        if self.failures:
            raise InvalidInputs(resource, self.failures)
        if self.incomplete:
            raise InvalidInputs(resource, [CheckFailure("", "some inputs are still unknown")])


def as_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def as_int(value: Any) -> int | None:
    """An int, also from the float the engine turns every number into (3 -> 3.0)."""
    number = as_number(value)
    if number is None or not number.is_integer():
        return None
    return int(number)


def workload_entry(inputs: Inputs, key: str, index: int,
                   entry: Mapping[str, Any]) -> tuple[str, str]:
    """Kind and name of one workloads[] entry (failures added for bad ones)."""
    where = f"{key}[{index}]"
    kind, name = entry.get("kind"), entry.get("name")
    if kind not in KINDS:
        inputs.fail(f"{where}.kind", f"must be one of {', '.join(KINDS)}, got {_shown(kind)}")
    if not isinstance(name, str) or not name:
        inputs.fail(f"{where}.name", f"must be a non-empty string, got {_shown(name)}")
    return str(kind), str(name)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# ---- the steady-state rule ----------------------------------------------------------------


def is_switch(props: Mapping[str, Any]) -> bool:
    transition: object = props.get("transition", STEADY)
    return transition != STEADY


def switch_diff(news: Mapping[str, Any]) -> DiffResult:
    """A gate re-checks on every run of a switch; a steady-state run shows no change."""
    # An unknown transition (preview) may turn out to be a switch: show the possible change.
    return DiffResult(changes=is_unknown(news.get("transition")) or is_switch(news))


def skipped_outputs(props: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    return {**props, **extra, "result": SKIPPED}


class SwitchStepProvider(SiteProvider):
    """A step of a switch: checks its inputs, works only during a switch, undoes nothing.

    Subclasses give ``id_prefix``, ``resource``, ``parse(props) -> (spec, Inputs)`` and
    ``work(spec, props) -> outputs``.
    """

    id_prefix = "step"
    resource = "SwitchStep"

    def parse(self, props: Mapping[str, Any]) -> tuple[Any, Inputs]:
        raise NotImplementedError

    def work(self, spec: Any, props: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return self.parse(news)[1].check_result()

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return switch_diff(news)

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"{self.id_prefix}-{uuid.uuid4().hex[:12]}", self._run(props))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._run(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_, props)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Nothing to undo: a gate changes nothing, a copy cannot be undone, the ledger frees
        the lease; the record of what happened lives in the stack's history."""

    def _run(self, props: dict[str, Any]) -> dict[str, Any]:
        if not is_switch(props):
            return skipped_outputs(props)
        spec, inputs = self.parse(props)
        inputs.raise_if_failed(self.resource)
        return self.work(spec, props)


# ---- Kubernetes helpers -------------------------------------------------------------------


@contextmanager
def api_client(site: SiteConfig) -> Iterator[ApiClient]:
    """A client for one method call, closed after it (its pool must not outlive the call)."""
    from drstack.cluster.client import connect

    client = connect(site)
    try:
        yield client
    finally:
        client.close()


# The most one LIST may wait for its answer (connect()'s default per-request timeout).
MAX_REQUEST_SECONDS = 15.0


def list_items(call: Callable[..., Any], *, what: str, deadline: float, **kwargs: Any) -> list[Obj]:
    """One LIST through the retry policy; the raw JSON (no model validation, no deep copy)."""
    from drstack.cluster import retry

    end = time.monotonic() + deadline

    def once() -> Any:
        # One attempt may not outlast the call's deadline: a hung API server would otherwise hold
        # a gate for the client's whole per-request timeout past its own timeout.
        left = max(end - time.monotonic(), 0.5)
        return call(_preload_content=False, _request_timeout=min(left, MAX_REQUEST_SECONDS),
                    **kwargs)

    body = json_body(retry.call(once, what=what, deadline=deadline))
    return list(body.get("items") or [])


class Clock:
    """A gate's deadline; polls sleep no longer than what is left."""

    def __init__(self, timeout: float) -> None:
        self.start = time.monotonic()
        self.deadline = self.start + timeout

    def elapsed(self) -> float:
        return round(time.monotonic() - self.start, 3)

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def expired(self) -> bool:
        return self.left() <= 0

    def call_deadline(self) -> float:
        # Retries of one call may use the time left, but at least a second for one attempt.
        return max(self.left(), 1.0)

    def sleep(self, poll: float) -> None:
        time.sleep(max(0.0, min(poll, self.left())))
