"""`check` and the program share one pre-flight: what blocks a switch in `check` is exactly
what stops that stack's `pulumi preview`, word for word, and nothing more or less."""

from __future__ import annotations

import re

from drstack.testing.fakekube import objects as k8s
from drstack.testing.harness import execute
from tests.check.conftest import Pair, serve

CLAIM = "data-db-0"


def test_a_failback_blocked_for_many_reasons_names_the_same_ones_in_check_and_in_preview(
        pair: Pair, tmp_path):
    serve(pair, "dr")
    for site, phase in (("source", "Pending"), ("dr", "Bound")):
        pair.server(site).put(k8s.pvc(CLAIM, phase=phase), pair.namespace(site))
    pair.source.delete("Node", None, "node-1")  # source, being made active, has no Ready node
    pair.dr.put(k8s.deployment("lonely", 1), pair.namespace("dr"))  # on one site only
    pair.configure("source", reverseMigratePvcData=True, snapshotBeforeCopy=True,
                   volumeSnapshotClass="no-such-class",
                   pvMigratePath=str(tmp_path / "nowhere" / "pv-migrate"))

    checked = pair.check("--json", "--stack", "source")
    run = execute({**pair.sites, **pair.extra["source"]}, stack="source", project=pair.project)

    blocking = checked.messages("failback", "error")
    preview = str(run.error)
    counted = re.search(r"\((\d+) problem\(s\)\)", preview)
    assert counted is not None, preview
    # Several reasons, from several checks (nodes, pairing, claims, pv-migrate, snapshots).
    assert len(blocking) >= 5, blocking
    assert int(counted.group(1)) == len(blocking), (preview, blocking)
    for message in blocking:
        assert message in preview, message
    assert checked.code == 2 and run.registrations == []
