"""The original replica count: parse_annotation and resolve_original."""

from __future__ import annotations

import pytest

from drstack.planner.originals import parse_annotation, resolve_original

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


def test_no_original_is_an_error_naming_workload_and_fix():
    r = resolve_original(WEB, live(wl("web", 0), wl("web", 0)), SOURCE, None)
    assert r.original is None
    assert "Deployment/web" in r.error
    assert "live replicas 0 on source" in r.error
    assert "pulumi config set --path 'drstack:replicaOverrides[0]' Deployment/web=COUNT" in r.error


def test_an_unreachable_last_active_site_is_said_in_the_error():
    r = resolve_original(WEB, live(dr=wl("web", 0)), SOURCE, None)
    assert "not readable on source" in r.error
