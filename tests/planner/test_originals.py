"""The original replica count: parse_annotation and resolve_original."""

from __future__ import annotations

import pytest

from drstack.model import WorkloadRef
from drstack.planner.originals import override_fixes, parse_annotation, resolve_original

from .snapshots import DR, SOURCE, ref, wl

WEB = ref("web")


@pytest.mark.parametrize("value, count", [
    ("0", 0), ("3", 3), ("03", 3), (" 3 ", 3), ("\t12\n", 12), (str(2**31 - 1), 2**31 - 1),
])
def test_valid_records(value, count):
    assert parse_annotation(value) == (count, None)


@pytest.mark.parametrize("value, why", [
    ("", "empty"), ("   ", "empty"), ("abc", "whole number"), ("-1", "whole number"),
    ("1e3", "whole number"), ("3.0", "whole number"), ("+3", "whole number"),
    ("3 4", "whole number"), ("²", "whole number"), ("٣", "whole number"),
    (str(2**31), "larger than Kubernetes allows"), ("9" * 40, "larger than Kubernetes allows"),
])
def test_garbage_records_say_why(value, why):
    count, problem = parse_annotation(value)
    assert count is None
    assert why in problem


def live(source=None, dr=None):
    return {site: w for site, w in ((SOURCE, source), (DR, dr)) if w is not None}


def test_live_count_on_the_last_active_site_wins_over_everything():
    r = resolve_original(WEB, live(wl("web", 7, "3"), wl("web", 0, "5")), SOURCE, 9)
    assert (r.original.count, r.original.source, r.warnings) == (7, "live on source", ())


def test_live_count_on_the_other_site_is_not_an_original():
    # dr runs 4 but source was active last: 4 is not what source ran; source's record is.
    r = resolve_original(WEB, live(wl("web", 0, "2"), wl("web", 4)), SOURCE, None)
    assert (r.original.count, r.original.source) == (2, "annotation on source")


@pytest.mark.parametrize("last, source_ann, dr_ann, expect", [
    (SOURCE, "2", "5", (2, "annotation on source")),
    (DR, "2", "5", (5, "annotation on dr")),
    (SOURCE, "0", "5", (5, "annotation on dr")),
    (DR, "2", "0", (2, "annotation on source")),
    (SOURCE, "0", "0", (0, "annotation on source")),
    (SOURCE, None, "0", (0, "annotation on dr")),
    (SOURCE, "junk", "4", (4, "annotation on dr")),
])
def test_annotation_order(last, source_ann, dr_ann, expect):
    r = resolve_original(WEB, live(wl("web", 0, source_ann), wl("web", 0, dr_ann)), last, 9)
    assert (r.original.count, r.original.source) == expect


def test_each_garbage_record_gets_its_own_warning_then_the_override_applies():
    r = resolve_original(WEB, live(wl("web", 0, "x"), wl("web", 0, "-2")), SOURCE, 3)
    assert (r.original.count, r.original.source) == (3, "replicaOverrides")
    assert len(r.warnings) == 2
    assert "Deployment/web on source" in r.warnings[0] and "'x'" in r.warnings[0]
    assert "Deployment/web on dr" in r.warnings[1] and "'-2'" in r.warnings[1]


def test_no_original_is_an_error_naming_the_workload_and_why():
    r = resolve_original(WEB, live(wl("web", 0), wl("web", 0)), SOURCE, None)
    assert r.original is None
    assert "Deployment/web" in r.error
    assert "live replicas 0 on source" in r.error


def test_one_unknown_original_gets_the_command_that_appends_its_override():
    [error] = override_fixes([(WEB, "why")], stack="dr", existing_entries=2)
    assert error == ("why. Fix: pulumi config set -s dr --path 'drstack:replicaOverrides[2]' "
                     "Deployment/web=COUNT")


def test_several_unknown_originals_get_one_command_with_an_index_each_after_the_existing():
    # It used to print replicaOverrides[0] for every workload: following it overwrote the
    # first entry again and again.
    db = WorkloadRef.parse("StatefulSet/db")
    errors = override_fixes([(WEB, "web: why"), (db, "db: why")], stack="source",
                            existing_entries=1)
    assert errors[:2] == [
        "web: why. Fix: set its count with the others, in one command (below)",
        "db: why. Fix: set its count with the others, in one command (below)"]
    assert errors[2].endswith(
        "pulumi config set-all -s source --path "
        "--plaintext 'drstack:replicaOverrides[1]=Deployment/web=COUNT' "
        "--plaintext 'drstack:replicaOverrides[2]=StatefulSet/db=COUNT'")
    assert "adds them after the 1 entry already in drstack:replicaOverrides" in errors[2]
    [*_, first] = override_fixes([(WEB, "w"), (db, "d")], stack="dr", existing_entries=0)
    assert "in one command that adds them (replace each COUNT" in first


def test_an_unreachable_last_active_site_is_said_in_the_error():
    r = resolve_original(WEB, live(dr=wl("web", 0)), SOURCE, None)
    assert "not readable on source" in r.error
