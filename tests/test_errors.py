"""One error tree: every error drstack raises on purpose is a DrstackError of one family."""

from __future__ import annotations

import pytest

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
    ServicesNotReadable,
    ServiceTimeout,
    UrlsNotAnswering,
)
from drstack.providers.inputs import InvalidInputs
from drstack.pvmigrate import (
    MigrationFailed,
    PvMigrateFlagsInvalid,
    PvMigrateMissing,
    PvMigrateUnsupported,
    PvMigrateVersionUnknown,
)

FAMILIES = {
    ConfigError: [ConfigError, ClusterConfigError, ProviderNotConfigured, InvalidInputs],
    PlanError: [PlanError],
    ClusterError: [ClusterUnavailable, ClusterConflict, LeaseHeld, DrainTimeout,
                   ReadinessTimeout, ServiceTimeout, ServicesNotReadable, UrlsNotAnswering],
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
