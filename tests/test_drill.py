"""The drill's step table: which step each resource is, and the RTO it measures."""

from __future__ import annotations

from drstack.drill import report, step_of
from drstack.model import Site

URN = "urn:pulumi:dr::drstack::drstack:index:Site$pulumi-python:dynamic/drstack:{}::{}"


def test_the_service_gate_and_the_url_probe_are_the_verify_step() -> None:
    assert step_of(URN.format("ServiceGate", "dr-services"), Site.DR) == "verify"
    assert step_of(URN.format("UrlProbe", "dr-urls"), Site.DR) == "verify"
    assert step_of(URN.format("ReadinessGate", "dr-ready"), Site.DR) == "ready"
    assert step_of(URN.format("VolumeSnapshots", "source-snapshots"), Site.SOURCE) == "snapshot"


def test_the_app_is_down_until_the_new_site_is_verified_not_just_ready() -> None:
    spans = {"scale-down": (2.0, 2.1), "ready": (2.5, 2.6), "verify": (2.6, 3.5)}
    lines = report("cutover", "dr", spans, 4.0)
    assert "  verify          0.90     2.60 ->   3.50" in lines
    assert ("  app down (measured RTO): 1.50s, from the start of the scale-down to the new site "
            "verified") in lines
