"""A workload's original replica count: the count its active site should run."""

from __future__ import annotations

from dataclasses import dataclass

from drstack import annotation_keys
from drstack.model import LiveWorkload, Site, WorkloadRef

INT32_MAX = 2**31 - 1


@dataclass(frozen=True)
class Original:
    """A workload's original replica count, and where it was found."""

    count: int
    source: str  # e.g. "live on dr", "annotation on source", "replicaOverrides"


@dataclass(frozen=True)
class Resolution:
    """The original count found for a workload (or the error saying why there is none), with
    warnings about annotations ignored on the way."""

    original: Original | None
    warnings: tuple[str, ...]
    # Set when no original could be found: the whole reason, with the fix.
    error: str | None = None


def parse_annotation(value: str) -> tuple[int | None, str | None]:
    """(count, None) for a valid record, else (None, why it is not one)."""
    text = value.strip()
    if not text:
        return None, "is empty"
    if not (text.isascii() and text.isdigit()):  # "²".isdigit() is True, int("²") fails
        return None, "is not a whole number"
    count = int(text)
    if count > INT32_MAX:
        return None, f"is larger than Kubernetes allows ({INT32_MAX})"
    return count, None


def resolve_original(
    ref: WorkloadRef,
    live: dict[Site, LiveWorkload],
    last_active: Site,
    override: int | None,
) -> Resolution:
    """The original count, in this order of trust:

    1. the live count on the last active site, when > 0 (keeps manual or HPA scaling done since
       the last switch);
    2. the dr-syncer.io/original-replicas annotation, last active site first; a non-zero record is
       preferred over a zero one, so a recorded non-zero original is never replaced by 0;
    3. drstack:replicaOverrides.
    """
    on_last = live.get(last_active)
    if on_last is not None and on_last.replicas > 0:
        return Resolution(Original(on_last.replicas, f"live on {last_active}"), ())

    warnings: list[str] = []
    zero_record: Original | None = None
    for site in (last_active, last_active.other):
        workload = live.get(site)
        if workload is None or workload.original_annotation is None:
            continue
        count, problem = parse_annotation(workload.original_annotation)
        if problem:
            warnings.append(
                f"{ref} on {site}: annotation {annotation_keys.ORIGINAL_REPLICAS}="
                f"{workload.original_annotation!r} {problem}; ignored"
            )
        elif count:
            return Resolution(Original(count, f"annotation on {site}"), tuple(warnings))
        elif zero_record is None:
            zero_record = Original(0, f"annotation on {site}")
    if zero_record is not None:
        return Resolution(zero_record, tuple(warnings))
    if override is not None:
        return Resolution(Original(override, "replicaOverrides"), tuple(warnings))
    live_text = f"live replicas {on_last.replicas} on {last_active}" if on_last else (
        f"not readable on {last_active}")
    rejected = "".join(f"; {w}" for w in warnings)
    return Resolution(
        None,
        (),  # the rejected annotations are in the error itself
        error=(
            f"{ref}: original replica count unknown ({live_text}, no valid "
            f"{annotation_keys.ORIGINAL_REPLICAS} annotation on either site{rejected})"
        ),
    )


def override_fixes(unknown: list[tuple[WorkloadRef, str]], *, stack: str,
                   existing_entries: int) -> list[str]:
    """The errors of the workloads without an original count, each ``(ref, why)``, with the fix:
    the command that sets drstack:replicaOverrides for all of them at once.

    The entries go after the ``existing_entries`` already in the list: `pulumi config set
    --path` replaces the entry at an index, appends at the index after the last, and refuses
    any other ("array index out of range"). ``set-all --path`` sets its keys in order.
    """
    entry = "drstack:replicaOverrides"
    if len(unknown) == 1:
        ((ref, why),) = unknown
        return [f"{why}. Fix: pulumi config set -s {stack} --path "
                f"'{entry}[{existing_entries}]' {ref}=COUNT"]
    settings = " ".join(f"--plaintext '{entry}[{existing_entries + i}]={ref}=COUNT'"
                        for i, (ref, _) in enumerate(unknown))
    after = ("" if not existing_entries else f" after the {existing_entries} "
             f"{'entry' if existing_entries == 1 else 'entries'} already in {entry}")
    return [f"{why}. Fix: set its count with the others, in one command (below)"
            for _, why in unknown] + [
        f"{len(unknown)} workloads have no known original count. Fix, in one command that adds "
        f"them{after} (replace each COUNT with the count the workload runs when its site is "
        f"active): pulumi config set-all -s {stack} --path {settings}"]
