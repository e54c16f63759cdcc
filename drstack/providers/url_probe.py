"""UrlProbe: after the Service gate, the URLs of drstack:verifyUrls answer as expected.

They are probed from the machine that runs `pulumi up` (the dynamic provider host), as a user
would reach the application: through whatever ingress, load balancer or DNS is in front of the
new site. Each URL is asked with a GET, without following redirects (the status is the URL's
own, and credentials never go to another host), until it answers its expected status or the
timeout passes; then the step fails naming each URL and its last answer or error.

A URL may carry ``user:password@``: it is sent as HTTP basic auth, never in the request line,
and never shown (``VerifyUrl.shown``).
"""

from __future__ import annotations

import base64
import http.client
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import pulumi
from pulumi.dynamic import Resource

from drstack.config.verify_urls import status_problem, url_problem
from drstack.errors import ClusterError
from drstack.model import Site, VerifyUrl
from drstack.providers.inputs import Inputs
from drstack.providers.reading import Clock
from drstack.providers.recovery import Recovery, recovery_of, recovery_props
from drstack.providers.step import SwitchStepProvider

# How long to wait between two rounds of probes, by default: a load balancer's health checks
# take seconds to admit new targets, so probing faster would only add requests.
PROBE_INTERVAL_SECONDS = 2.0
# The most one request may wait for its answer's status line.
REQUEST_TIMEOUT_SECONDS = 10.0
# Enough of a body to let the server finish a small answer; the rest is not read.
_BODY_BYTES = 64 * 1024


@dataclass(frozen=True)
class ProbeSpec:
    """The probe's inputs: the URLs and the status each must answer, how long they may take,
    and how often to ask."""

    site: Site  # the site being made active: what the URLs are expected to reach
    transition: str
    urls: tuple[VerifyUrl, ...]
    timeout_seconds: float
    interval_seconds: float = PROBE_INTERVAL_SECONDS
    recovery: Recovery | None = None

    @classmethod
    def from_props(cls, props: Mapping[str, Any]) -> tuple[ProbeSpec, Inputs]:
        """The spec in a resource's inputs, and every failure found reading it (which never
        shows a URL: it may carry credentials)."""
        inputs = Inputs(props)
        site = inputs.site("site")
        transition = inputs.text("transition")
        urls = []
        for index, entry in enumerate(inputs.entries("urls")):
            url, expect = entry.get("url"), entry.get("expect")
            problem = (url_problem(url) if isinstance(url, str) else "must be a string")
            if problem:
                inputs.fail(f"urls[{index}].url", problem)
            if not isinstance(expect, str) or status_problem(expect):
                inputs.fail(f"urls[{index}].expect",
                            f"must be a status (100 to 599) or a class like 2xx, got {expect!r}")
            urls.append(VerifyUrl(str(url), str(expect)))
        spec = cls(site=site, transition=transition, urls=tuple(urls),
                   timeout_seconds=inputs.positive_seconds("timeoutSeconds"),
                   interval_seconds=inputs.positive_seconds("intervalSeconds",
                                                            PROBE_INTERVAL_SECONDS),
                   recovery=recovery_of(props))
        return spec, inputs

    def to_props(self) -> dict[str, Any]:
        """The spec as the resource's inputs: what ``from_props`` reads back."""
        return {
            "site": self.site.value,
            "transition": str(self.transition),
            "urls": [{"url": u.url, "expect": u.expect} for u in self.urls],
            "timeoutSeconds": self.timeout_seconds,
            "intervalSeconds": self.interval_seconds,
            **recovery_props(self.recovery),
        }


@dataclass(frozen=True)
class Answer:
    """What one request got: a status and its reason, or no status and the error."""

    status: int | None
    text: str  # "Service Unavailable", or "ConnectionRefusedError: Connection refused"
    seconds: float

    def __str__(self) -> str:
        return f"{self.status} {self.text}".strip() if self.status is not None else self.text


@dataclass(frozen=True)
class UrlProbeResult:
    """One URL's probes so far: how many, the last answer, and whether it was as expected."""

    url: VerifyUrl
    attempts: int = 0
    last: Answer | None = None
    passed: bool = False

    def summary(self) -> str:
        last = ("no answer yet" if self.last is None else
                f"last answer {self.last}" if self.last.status is not None else
                f"last error: {self.last}")
        return (f"{self.url.shown}: expected {self.url.expect}, {last} "
                f"({self.attempts} attempt{'s' if self.attempts != 1 else ''})")

    def output(self) -> dict[str, Any]:
        """The result as the resource's output: the URL as shown, never with credentials."""
        last = self.last
        return {"url": self.url.shown, "expect": self.url.expect,
                "status": None if last is None else last.status,
                "latencyMs": None if last is None or last.status is None
                else round(last.seconds * 1000, 1),
                "attempts": self.attempts,
                "error": None if last is None or last.status is not None else last.text}


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx is the answer itself: the expected status decides whether it is right."""

    def redirect_request(self, req: urllib.request.Request, fp: Any, code: int, msg: str,
                         headers: Any, newurl: str) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects())


def request_for(url: VerifyUrl) -> urllib.request.Request:
    """A GET of ``url`` whose request line holds no credentials: user:password@ goes into an
    Authorization header (basic auth), the fragment is dropped."""
    parts = urlsplit(url.url)
    headers = {"User-Agent": "drstack-verify"}
    if "@" in parts.netloc:
        user, password = unquote(parts.username or ""), unquote(parts.password or "")
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
        parts = parts._replace(netloc=parts.netloc.rpartition("@")[2])
    return urllib.request.Request(urlunsplit(parts._replace(fragment="")), headers=headers,
                                  method="GET")


def fetch(url: VerifyUrl, timeout: float) -> Answer:
    """One GET of ``url``: its status (a 4xx, 5xx or 3xx is an answer too), or the error."""
    request = request_for(url)
    start = time.monotonic()
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            seconds = time.monotonic() - start
            response.read(_BODY_BYTES)
            return Answer(response.status, response.reason or _phrase(response.status), seconds)
    except urllib.error.HTTPError as error:
        seconds = time.monotonic() - start
        error.close()
        return Answer(error.code, _phrase(error.code) or str(error.reason), seconds)
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as error:
        return Answer(None, _describe(error, timeout), time.monotonic() - start)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _describe(error: BaseException, timeout: float) -> str:
    """One line about a request that got no status: what failed, without any URL."""
    reason: object = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(reason, (TimeoutError, socket.timeout)):
        return f"no answer within {timeout:g}s"
    if isinstance(reason, OSError) and reason.strerror:
        return f"{type(reason).__name__}: {reason.strerror}"
    text = str(reason)
    return f"{type(reason).__name__}: {text}" if text else type(reason).__name__


def probe_until(spec: ProbeSpec, clock: Clock) -> list[UrlProbeResult]:
    """Probe every URL, round after round, until each has answered as expected (a URL that
    has is not asked again) or the clock runs out; each URL's result."""
    results = [UrlProbeResult(url) for url in spec.urls]
    while True:
        for index, result in enumerate(results):
            if result.passed:
                continue
            timeout = max(1.0, min(REQUEST_TIMEOUT_SECONDS, clock.left()))
            answer = fetch(result.url, timeout)
            results[index] = replace(result, attempts=result.attempts + 1, last=answer,
                                     passed=answer.status is not None
                                     and result.url.accepts(answer.status))
        if all(r.passed for r in results) or clock.expired():
            return results
        clock.sleep(spec.interval_seconds)


class UrlsNotAnswering(ClusterError):
    """A URL did not answer as expected in time; the message names each, and its last answer."""


class UrlProbeProvider(SwitchStepProvider[ProbeSpec]):
    """The URL probe's provider: during a switch only, from the machine running `pulumi up`."""

    id_prefix, resource = "urls", "UrlProbe"
    step = "verify"

    def parse(self, props: Mapping[str, Any]) -> tuple[ProbeSpec, Inputs]:
        return ProbeSpec.from_props(props)

    def work(self, spec: ProbeSpec, props: dict[str, Any]) -> dict[str, Any]:
        clock = Clock(spec.timeout_seconds)
        results = probe_until(spec, clock)
        failed = [r for r in results if not r.passed]
        if failed:
            raise UrlsNotAnswering(_failure_message(spec, failed, len(results)))
        return {**props, "result": "answering", "probes": [r.output() for r in results],
                "waitedSeconds": clock.elapsed(),
                "verifiedAt": datetime.now(UTC).replace(microsecond=0).isoformat()}


def _failure_message(spec: ProbeSpec, failed: list[UrlProbeResult], total: int) -> str:
    lines = "\n".join(f"  - {r.summary()}" for r in failed)
    return (
        f"URL check ({spec.transition}): {len(failed)} of {total} URL(s) of drstack:verifyUrls "
        f"did not answer as expected within {spec.timeout_seconds:g}s (asked from this machine, "
        f"every {spec.interval_seconds:g}s):\n{lines}\n"
        f"The {spec.site} site's workloads are ready and its Services have endpoints, but the "
        "application does not answer as expected at these URLs, so the switch stops here: the "
        "ledger is not written. Check what is in front of it (ingress, load balancer, DNS, "
        "firewall) and the URL; raise drstack:verifyTimeout if it is only slow."
    )


class UrlProbe(Resource, module="drstack", name="UrlProbe"):
    """Probes drstack:verifyUrls, during a switch, until each answers as expected."""

    result: pulumi.Output[str]
    probes: pulumi.Output[list[Any]]
    waitedSeconds: pulumi.Output[float]
    verifiedAt: pulumi.Output[str]

    def __init__(self, name: str, spec: ProbeSpec,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        props: dict[str, Any] = spec.to_props()
        if any(url.sensitive for url in spec.urls):
            # Stored encrypted in the state, shown as [secret] in a diff; the engine keeps the
            # same property of the outputs secret (the provider host accepts no secrets).
            props["urls"] = pulumi.Output.secret(props["urls"])
        # Outputs: declared so that they can be read from the resource.
        outputs = {"result": None, "probes": None, "waitedSeconds": None, "verifiedAt": None}
        super().__init__(UrlProbeProvider(), name, {**props, **outputs}, opts)
