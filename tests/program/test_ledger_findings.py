"""The pre-flight's last-switch finding through the real program: info, in the preview's log,
not a warning. `check` reports the same finding (tests/check)."""

from __future__ import annotations

from drstack.testing.harness import run_program
from drstack.testing.scenario import DR_NS, SOURCE_NS, base_config, ledger, populate


def test_a_preview_logs_the_last_switch_and_its_age_as_info(source_cluster, dr_cluster, tmp_path):
    at = "2026-11-01T10:00:00+00:00"
    for server, ns, web in ((source_cluster, SOURCE_NS, 0), (dr_cluster, DR_NS, 3)):
        populate(server, ns, deployments={"web": web}, originals={"web": "3"},
                 ledger_annotations=ledger("dr", 4, switched_at=at))

    run = run_program(base_config(source_cluster, dr_cluster, tmp_path), stack="source")

    [note] = [m for m in run.messages("info") if m.startswith("last switch:")]
    assert note.startswith(f"last switch: generation 4, cutover to dr by stack dr at {at} (")
    assert note.endswith(" days ago)")
    assert note not in run.outputs["warnings"] and note not in run.messages("warning")

