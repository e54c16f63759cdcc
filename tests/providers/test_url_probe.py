"""UrlProbe called directly, against local HTTP servers whose answers are set per request."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest

from drstack.model import VerifyUrl
from drstack.providers import SKIPPED, ProbeSpec, UrlProbeProvider, UrlsNotAnswering
from drstack.providers.url_probe import request_for
from drstack.testing.scripted_http import ScriptedHttpServer, refusing_port

PASSWORD = "pa55-w0rd-7c1e"  # what the tests look for, everywhere


def props(*urls: tuple[str, str], **over: object) -> dict:
    base = {"site": "dr", "transition": "cutover#3",
            "urls": [{"url": url, "expect": expect} for url, expect in urls],
            "timeoutSeconds": 20.0, "intervalSeconds": 0.01}
    return {**base, **over}


@pytest.fixture
def refused() -> Iterator[str]:
    sock, port = refusing_port()
    with sock:
        yield f"http://127.0.0.1:{port}/health"


def test_retries_until_the_url_answers_as_expected() -> None:
    with ScriptedHttpServer([503, 503, 200]) as server:
        outs = UrlProbeProvider().create(props((server.url("/health?deep=1"), "2xx"))).outs
    assert outs["result"] == "answering" and outs["verifiedAt"].endswith("+00:00")
    [probe] = outs["probes"]
    assert probe["url"] == f"http://127.0.0.1:{server.port}/health?…"
    assert (probe["expect"], probe["status"], probe["attempts"], probe["error"]) == (
        "2xx", 200, 3, None)
    assert probe["latencyMs"] > 0
    assert [r.path for r in server.requests] == ["/health?deep=1"] * 3


def test_credentials_go_as_basic_auth_never_in_the_request_line_nor_the_outputs() -> None:
    with ScriptedHttpServer([200]) as server:
        url = server.url("/health", userinfo=f"ops:{PASSWORD}")
        outs = UrlProbeProvider().create(props((url, "200"))).outs
    [request] = server.requests
    assert request.path == "/health"
    token = base64.b64encode(f"ops:{PASSWORD}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {token}"
    assert PASSWORD not in repr(outs["probes"]) + repr(outs["result"])
    assert outs["probes"][0]["url"] == f"http://127.0.0.1:{server.port}/health"


def test_a_redirect_is_the_answer_not_followed() -> None:
    with ScriptedHttpServer([301]) as server:
        outs = UrlProbeProvider().create(props((server.url("/"), "301"))).outs
    assert outs["probes"][0]["status"] == 301
    assert [r.path for r in server.requests] == ["/"]  # /moved never asked


def test_a_url_that_answered_is_not_asked_again_while_another_is_retried() -> None:
    with ScriptedHttpServer([200]) as good, ScriptedHttpServer([503, 502, 204]) as slow:
        outs = UrlProbeProvider().create(props((good.url("/"), "2xx"),
                                               (slow.url("/"), "204"))).outs
    assert [p["attempts"] for p in outs["probes"]] == [1, 3]
    assert len(good.requests) == 1 and len(slow.requests) == 3


def test_a_url_answering_503_fails_at_the_timeout_naming_it_and_its_last_status() -> None:
    with ScriptedHttpServer(then=503) as server:
        url = server.url("/health", userinfo=f"ops:{PASSWORD}")
        with pytest.raises(UrlsNotAnswering) as caught:
            UrlProbeProvider().create(props((url, "2xx"), timeoutSeconds=0.3))
    text = str(caught.value)
    attempts = len(server.requests)
    assert attempts >= 2
    assert (f"  - http://127.0.0.1:{server.port}/health: expected 2xx, last answer 503 Service "
            f"Unavailable ({attempts} attempts)") in text
    assert text.startswith("URL check (cutover#3): 1 of 1 URL(s) of drstack:verifyUrls did not "
                           "answer as expected within 0.3s")
    assert "the ledger is not written" in text and "drstack:verifyTimeout" in text
    assert PASSWORD not in text and PASSWORD not in repr(caught.value)


def test_a_refused_url_fails_naming_the_error(refused: str) -> None:
    with pytest.raises(UrlsNotAnswering) as caught:
        UrlProbeProvider().create(props((refused, "2xx"), timeoutSeconds=0.2))
    assert (f"  - {refused}: expected 2xx, last error: ConnectionRefusedError: Connection "
            "refused (") in str(caught.value)


def test_a_status_other_than_the_one_expected_fails_naming_both() -> None:
    with ScriptedHttpServer(then=204) as server:
        with pytest.raises(UrlsNotAnswering) as caught:
            UrlProbeProvider().create(props((server.url("/ready"), "200"), timeoutSeconds=0.2))
    assert (f"  - http://127.0.0.1:{server.port}/ready: expected 200, last answer 204 No "
            "Content") in str(caught.value)


def test_only_the_failing_urls_are_named() -> None:
    with ScriptedHttpServer([200]) as good, ScriptedHttpServer(then=500) as bad:
        with pytest.raises(UrlsNotAnswering) as caught:
            UrlProbeProvider().create(props((good.url("/a"), "2xx"), (bad.url("/b"), "2xx"),
                                            timeoutSeconds=0.2))
    text = str(caught.value)
    assert "1 of 2 URL(s)" in text and "/b: expected 2xx, last answer 500" in text
    assert "/a" not in text


def test_steady_state_and_check_ask_nothing() -> None:
    """check() runs in a preview too: no URL may be asked before `pulumi up`."""
    with ScriptedHttpServer() as server:
        provider = UrlProbeProvider()
        switch, steady = props((server.url(), "2xx")), props((server.url(), "2xx"),
                                                             transition="none")
        assert provider.check({}, switch).failures == []
        assert provider.diff("id", steady, switch).changes is True
        assert provider.diff("id", steady, steady).changes is False
        assert provider.create(steady).outs["result"] == SKIPPED
        assert server.requests == []


def test_check_reports_bad_inputs_without_showing_a_url() -> None:
    bad = props((f"ftp://ops:{PASSWORD}@h/", "2xx"), ("https://h/", "600"), (7, "2xx"),
                intervalSeconds=-1)
    failures = UrlProbeProvider().check({}, bad).failures
    assert {f.property for f in failures} == {"urls[0].url", "urls[1].expect", "urls[2].url",
                                              "intervalSeconds"}
    assert PASSWORD not in repr([f.reason for f in failures])


def test_the_spec_reads_back_what_it_writes() -> None:
    written = props(("https://shop.example/health", "2xx"), ("http://h:8080/ready", "204"))
    spec, inputs = ProbeSpec.from_props(written)
    assert inputs.failures == [] and not inputs.incomplete
    assert spec.to_props() == written
    assert ProbeSpec.from_props(spec.to_props())[0] == spec
    # Inputs without intervalSeconds (a resource declared by the program's default) read too.
    default = {k: v for k, v in written.items() if k != "intervalSeconds"}
    assert ProbeSpec.from_props(default)[0].interval_seconds == 2.0


def test_the_request_drops_the_fragment_and_keeps_path_and_query() -> None:
    request = request_for(VerifyUrl(f"https://ops:{PASSWORD}@h:8443/a/b?x=1#top"))
    assert request.full_url == "https://h:8443/a/b?x=1"
    assert PASSWORD not in request.full_url
