"""ScriptedHttpServer answers each request number as told; refusing_port refuses."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from drstack.testing.scripted_http import ScriptedHttpServer, refusing_port


def status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_answers_each_request_as_scripted_then_the_default() -> None:
    with ScriptedHttpServer([503, 204], then=200) as server:
        assert [status(server.url("/a?b=1")) for _ in range(4)] == [503, 204, 200, 200]
    assert [(r.number, r.path) for r in server.requests] == [(n, "/a?b=1") for n in (1, 2, 3, 4)]


def test_an_on_request_hook_that_fails_fails_the_test_on_exit() -> None:
    def broken(_: object) -> None:
        raise AssertionError("seen")

    with pytest.raises(AssertionError, match="seen"):
        with ScriptedHttpServer(on_request=broken) as server:
            assert status(server.url()) == 200


def test_a_refusing_port_refuses() -> None:
    sock, port = refusing_port()
    with sock, pytest.raises(urllib.error.URLError) as caught:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5)
    assert isinstance(caught.value.reason, ConnectionRefusedError)
