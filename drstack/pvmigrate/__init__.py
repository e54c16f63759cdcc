"""pv-migrate, the tool that copies PVC data: its version, flags, command line and runs.

- ``version``: which pv-migrate is installed (``detect_version``).
- ``flags``: the flags users may add, per major version (``split_flags``, ``check_flags``),
  and the one check before a copy (``usable_pv_migrate``).
- ``command``: the argv for one copy (``Endpoint``, ``build_argv``).
- ``runner``: many copies, bounded and timed, one log file each (``run_migrations``).
"""

from drstack.errors import PvMigrateError
from drstack.pvmigrate.command import Endpoint, build_argv
from drstack.pvmigrate.flags import (
    FlagProblem,
    PvMigrateFlagsInvalid,
    check_flags,
    require_flags_fit,
    split_flags,
    usable_pv_migrate,
)
from drstack.pvmigrate.runner import (
    MigrationFailed,
    MigrationJob,
    MigrationResult,
    raise_for_failures,
    run_migrations,
)
from drstack.pvmigrate.version import (
    PvMigrateMissing,
    PvMigrateUnsupported,
    PvMigrateVersion,
    PvMigrateVersionUnknown,
    detect_version,
)

__all__ = [
    "Endpoint",
    "FlagProblem",
    "MigrationFailed",
    "MigrationJob",
    "MigrationResult",
    "PvMigrateError",
    "PvMigrateFlagsInvalid",
    "PvMigrateMissing",
    "PvMigrateUnsupported",
    "PvMigrateVersion",
    "PvMigrateVersionUnknown",
    "build_argv",
    "check_flags",
    "detect_version",
    "raise_for_failures",
    "require_flags_fit",
    "run_migrations",
    "split_flags",
    "usable_pv_migrate",
]
