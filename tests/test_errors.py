"""One error tree: every error drstack raises on purpose is a DrstackError of one family."""

from __future__ import annotations

import pytest

from drstack.check.stack_settings import StackSettingsUnreadable
from drstack.cluster import ClusterConfigError, ClusterConflict, ClusterUnavailable
from drstack.cluster.lease import LeaseHeld
from drstack.config import ConfigError
from drstack.errors import ClusterError, DrstackError, PvMigrateError
from drstack.planner import PlanError
from drstack.providers import (
    DrainTimeout,
    MigrationNotStarted,
    ProviderNotConfigured,
    ReadinessTimeout,
    ScaleFailed,
    ServicesNotReadable,
    ServiceTimeout,
    SnapshotFailed,
    UrlsNotAnswering,
)
from drstack.providers.inputs import InvalidInputs
from drstack.providers.reading import WatchRefused
from drstack.pvmigrate import (
    MigrationFailed,
    PvMigrateFlagsInvalid,
    PvMigrateMissing,
    PvMigrateUnsupported,
    PvMigrateVersionUnknown,
)

FAMILIES = {
    ConfigError: [ConfigError, ClusterConfigError, ProviderNotConfigured, InvalidInputs,
                  StackSettingsUnreadable],
    PlanError: [PlanError],
    ClusterError: [ClusterUnavailable, ClusterConflict, LeaseHeld, DrainTimeout,
                   ReadinessTimeout, ServiceTimeout, ServicesNotReadable, UrlsNotAnswering,
                   ScaleFailed, WatchRefused, SnapshotFailed],
    PvMigrateError: [PvMigrateMissing, PvMigrateVersionUnknown, PvMigrateUnsupported,
                     PvMigrateFlagsInvalid, MigrationNotStarted, MigrationFailed],
}


@pytest.mark.parametrize("family", list(FAMILIES), ids=lambda f: f.__name__)
def test_each_error_is_in_one_family_under_drstack_error(family: type[Exception]) -> None:
    assert issubclass(family, DrstackError)
    others = [f for f in FAMILIES if f is not family]
    for error in FAMILIES[family]:
        assert issubclass(error, family), error
        assert not any(issubclass(error, other) for other in others), error


def test_pv_migrate_flags_invalid_is_no_longer_a_value_error() -> None:
    assert not issubclass(PvMigrateFlagsInvalid, ValueError)


def test_a_config_error_lists_its_findings_or_carries_one_message() -> None:
    from drstack.config import ConfigFinding

    listed = ConfigError([ConfigFinding("drNamespace", "(unset)", "is required", "set it")])
    assert str(listed).startswith("drstack found 1 config problem(s); nothing was changed:")
    assert "drstack:drNamespace = (unset): is required. Fix: set it" in str(listed)
    single = ProviderNotConfigured("drstack:drKubeconfig is not set")
    assert str(single) == "drstack:drKubeconfig is not set" and single.findings == ()


# Errors of the tools around the switch (the sandbox, the drill, the toolchain), never raised
# by a switch, check or preview: they stay outside the tree.
TOOLING = {"PulumiCommandFailed", "ClusterRequestFailed", "ClusterStartFailed", "ToolsMissing"}


def test_every_error_class_drstack_defines_is_in_the_table_or_a_tooling_error() -> None:
    import importlib
    import inspect
    import pkgutil

    import drstack

    listed = {error for errors in FAMILIES.values() for error in errors} | set(FAMILIES)
    unlisted = []
    for module in pkgutil.walk_packages(drstack.__path__, "drstack."):
        if module.name.startswith("drstack.testing"):
            continue
        for _, cls in inspect.getmembers(importlib.import_module(module.name), inspect.isclass):
            if (issubclass(cls, Exception) and cls.__module__ == module.name
                    and cls is not DrstackError and cls not in listed
                    and cls.__name__ not in TOOLING):
                unlisted.append(f"{module.name}.{cls.__name__}")
    assert unlisted == []
