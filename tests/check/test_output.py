"""The report: a table for people, JSON (schema drstack-check/1) for machines, one direction or
both."""

from __future__ import annotations

import re

from drstack.model import Lease, Site
from drstack.testing.fakekube import objects as k8s
from tests.check.conftest import Pair, serve

LEDGER_KEYS = {"activeSite", "generation", "switchedAt", "stack", "transition", "fencedAt"}


def test_the_json_document_has_the_documented_fields_and_types(pair: Pair):
    serve(pair, "dr", generation=4)
    lease = Lease("dr", "2026-11-27T09:00:00+00:00", "cutover#5", Site.DR).encode()
    namespace = pair.source.get("Namespace", None, "my-app")
    assert namespace is not None
    namespace["metadata"]["annotations"]["drstack.io/lease"] = lease
    pair.source.put(namespace)

    checked = pair.check("--json")
    document = checked.json

    assert set(document) == {"schema", "checkedAt", "project", "status", "exitCode",
                             "lastSwitch", "directions"}
    assert document["schema"] == "drstack-check/1"
    assert document["project"] == str(pair.project.resolve())
    assert (document["status"], document["exitCode"], checked.code) == ("blocked", 2, 2)
    assert set(document["lastSwitch"]) == LEDGER_KEYS | {"ageSeconds"}
    assert isinstance(document["lastSwitch"]["ageSeconds"], float)
    assert [d["direction"] for d in document["directions"]] == ["cutover", "failback"]
    for direction in document["directions"]:
        assert set(direction) == {"direction", "stack", "makesActive", "status", "exitCode",
                                  "run", "steps", "sites", "findings"}
        assert set(direction["sites"]) == {"source", "dr"}
        for site in direction["sites"].values():
            assert set(site) == {"context", "server", "namespace", "read", "namespaceExists",
                                 "readyNodes", "ledger", "lease"}
            assert set(site["ledger"]) == LEDGER_KEYS
        for finding in direction["findings"]:
            assert set(finding) == {"severity", "check", "message"}
            assert finding["severity"] in {"error", "warning", "info"}
    failback = document["directions"][1]
    assert (failback["status"], failback["exitCode"], failback["run"], failback["steps"]) == (
        "blocked", 2, None, None)
    assert failback["sites"]["source"]["lease"] == {
        "holder": "dr", "acquiredAt": "2026-11-27T09:00:00+00:00", "transition": "cutover#5",
        "from": "dr"}
    assert failback["sites"]["dr"]["lease"] is None
    assert failback["sites"]["source"]["ledger"]["generation"] == 4


def test_the_table_shows_the_sites_the_last_switch_each_direction_and_the_result(pair: Pair):
    serve(pair, "source")

    out = pair.check().out
    lines = out.splitlines()

    assert re.fullmatch(r"drstack check of .*/project at \d{4}-\d\d-\d\dT[\d:]{8}\+00:00",
                        lines[0])
    assert re.fullmatch(r"site +context +API server +namespace +read +Ready nodes +ledger +lease",
                        lines[1])
    assert re.fullmatch(r"source +source +http://127\.0\.0\.1:\d+ +my-app +ok +1 +source active, "
                        r"generation 1 +free", lines[2])
    assert lines[4].startswith("last switch: generation 1, failback to source by stack source")
    assert lines[5:] == [
        "",
        "cutover to dr (pulumi up -s dr): READY",
        "  would: cutover from source (ledger generation 1): scale-down source, drain source, "
        "scale-up dr, ready dr, verify dr",
        "",
        "failback to source (pulumi up -s source): READY",
        "  would: nothing: source is already active (from ledger generation 1); no switch to "
        "check in this direction",
        "",
        "result: ready (exit 0)",
    ]


def test_what_both_directions_find_is_listed_once(pair: Pair):
    serve(pair, "source")
    pair.dr.put(k8s.deployment("lonely", 0), "my-app-dr")

    out = pair.check().out

    assert out.count("Deployment/lonely exists on dr but not on source") == 1
    both = out.index("both directions:\n  error    pairing      Deployment/lonely exists on dr")
    assert both < out.index("cutover to dr (pulumi up -s dr): BLOCKED, 1 error")
    assert out.endswith("result: blocked (exit 2)\n")


def test_one_stack_checks_one_direction(pair: Pair):
    serve(pair, "source")

    checked = pair.check("--stack", "source")
    as_json = pair.check("--stack", "source", "--json").json

    assert [d["direction"] for d in as_json["directions"]] == ["failback"]
    assert "failback to source" in checked.out and "cutover" not in checked.out
    assert checked.code == 0
