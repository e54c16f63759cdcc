"""The lifecycle every step of a switch shares: its stack config, the steady-state rule, and
what create/update/delete mean for something that only waits, copies or takes a lease.

A provider object is pickled (dill) into every resource's ``__provider`` input, so it keeps
nothing but the raw ``drstack:*`` strings that ``configure()`` hands it in the provider host;
clients are built inside each method and closed there.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Generic, TypeVar

from pulumi.dynamic import (
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from drstack.config import NAMESPACE, ConfigError, load_site_config
from drstack.config.load import SITE_KEY_PREFIX
from drstack.errors import DrstackError
from drstack.model import Site, SiteConfig
from drstack.planner import Transition
from drstack.providers.inputs import Inputs, is_unknown
from drstack.providers.recovery import recovery_of, with_ways_out

SKIPPED = "skipped: no switch"
# Site connection keys: the only config a provider keeps (short name, without "drstack:").
_SITE_KEY_SUFFIXES = ("Kubeconfig", "Context", "Namespace")

SpecT = TypeVar("SpecT")


class ProviderNotConfigured(ConfigError):
    """The provider host never called configure(), or a needed key was not in the config."""

    def __init__(self, message: str) -> None:
        super().__init__(message=message)


def is_switch(props: Mapping[str, Any]) -> bool:
    """Whether the inputs are those of a switch: anything but the steady-state transition."""
    transition: object = props.get("transition", Transition.NONE)
    return transition != Transition.NONE


def switch_diff(news: Mapping[str, Any]) -> DiffResult:
    """A gate re-checks on every run of a switch; a steady-state run shows no change."""
    # An unknown transition (preview) may turn out to be a switch: show the possible change.
    return DiffResult(changes=is_unknown(news.get("transition")) or is_switch(news))


class SwitchStepProvider(ResourceProvider, Generic[SpecT]):
    """A step of a switch: checks its inputs, works only during a switch, undoes nothing.

    Subclasses give ``id_prefix``, ``resource``, ``parse(props) -> (spec, Inputs)`` and
    ``work(spec, props) -> outputs``.
    """

    id_prefix = "step"
    resource = "SwitchStep"
    # The plan's name of this step (drstack.planner.Phase), for the ways out of its failure.
    step = "step"
    # The pickled provider carries no secret (configure() runs only in the host, after unpickling),
    # so Pulumi need not mark the whole __provider input secret.
    serialize_as_secret_always = False

    def parse(self, props: Mapping[str, Any]) -> tuple[SpecT, Inputs]:
        raise NotImplementedError

    def work(self, spec: SpecT, props: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    # ---- the stack config ----------------------------------------------------------------

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

    # ---- the engine's calls --------------------------------------------------------------

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
            return {**props, "result": SKIPPED}
        spec, inputs = self.parse(props)
        inputs.raise_if_failed(self.resource)
        try:
            return self.work(spec, props)
        except DrstackError as failure:
            # What state the application is in now, and the two ways out.
            with_ways_out(failure, recovery_of(props), self.step)
            raise
