"""The pv-migrate argv for one PVC copy, in the syntax of the installed major version.

1.x: ``pv-migrate migrate <flags> <source-pvc> <dest-pvc>``
2.x, 3.x: ``pv-migrate --source <pvc> --dest <pvc> <flags>``
The kubeconfig/context/namespace flags are ``-k -c -n`` (source) and ``-K -C -N`` (dest) in
all three (see FLAGS.md for the sources). ``--log-format json`` exists in all three, so it is
always set. Only kubeconfig *paths* go into argv, never their contents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from drstack.pvmigrate.flags import require_flags_fit
from drstack.pvmigrate.version import PvMigrateUnsupported, PvMigrateVersion


@dataclass(frozen=True)
class Endpoint:
    """One side of a copy: where the PVC is and how to reach its cluster."""

    kubeconfig_path: str
    context: str | None
    namespace: str
    pvc: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.pvc}"


def build_argv(
    binary: str,
    version: PvMigrateVersion,
    source: Endpoint,
    dest: Endpoint,
    extra_flags: Sequence[str],
) -> list[str]:
    """The argv list (never a shell string) that copies ``source`` to ``dest``.

    Raises PvMigrateFlagsInvalid when ``extra_flags`` do not suit ``version``: a flag that
    takes a value could otherwise swallow a PVC name in the 1.x form.
    """
    require_flags_fit(extra_flags, version)
    cluster = [*_side("k", "c", "n", source), *_side("K", "C", "N", dest), "--log-format", "json"]
    if version.major == 1:
        return [binary, "migrate", *cluster, *extra_flags, source.pvc, dest.pvc]
    if version.major in (2, 3):
        return [binary, "--source", source.pvc, "--dest", dest.pvc, *cluster, *extra_flags]
    raise PvMigrateUnsupported(f"drstack has no command line for pv-migrate {version.text}")


def _side(kubeconfig: str, context: str, namespace: str, end: Endpoint) -> list[str]:
    argv = [f"-{kubeconfig}", str(end.kubeconfig_path)]
    if end.context:  # None or "": pv-migrate uses the kubeconfig's current-context
        argv += [f"-{context}", end.context]
    return argv + [f"-{namespace}", end.namespace]
