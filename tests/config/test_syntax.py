"""Config value syntax: durations and label selectors."""

from __future__ import annotations

import pytest

from drstack.config.syntax import parse_duration, selector_problem


@pytest.mark.parametrize("text, seconds", [
    ("90s", 90), ("10m", 600), ("1h", 3600), ("1h30m", 5400), ("1h0m5s", 3605), ("2m30s", 150),
    ("45", 45), (" 10m ", 600), ("0h1s", 1),
])
def test_valid_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", [
    "", " ", "10 m", "10min", "1.5h", "-5m", "1d", "10M", "m", "h1", "1h30", "30m1h", "0", "0s",
    "0h0m0s", "ten minutes",
])
def test_invalid_durations(text):
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize("selector", [
    "app=web", "app==web", "tier!=debug", "app", "!canary", "app=",
    "app in (web,api)", "app notin (debug)", "env in (prod, staging)",
    "app.kubernetes.io/part-of=shop,tier!=debug", "example.com/team=payments",
    "app=web, env in (a,b), !legacy", "k_8.s-x=v_1.2-3",
])
def test_valid_selectors(selector):
    assert selector_problem(selector) is None


@pytest.mark.parametrize("selector, says", [
    ("app=web,", "empty requirement"),
    (",app=web", "empty requirement"),
    ("=web", "not a label key"),
    ("app=we b", "not a label value"),
    ("app=-web", "not a label value"),
    ("app=" + "v" * 64, "not a label value"),
    ("a" * 64 + "=x", "not a label key"),
    ("app in (web api)", "not a label value"),
    ("app in (web,api", "key in (a,b)"),
    ("app in web,api", "not a label key"),
    ("Example.com/app=x", "invalid prefix"),
    ("/app=x", "invalid prefix"),
    ("a/b/c=x", "invalid prefix"),
    ("my app=web", "not a label key"),
    ("app=(web)", "key in (a,b)"),
])
def test_invalid_selectors_say_what_is_wrong(selector, says):
    problem = selector_problem(selector)
    assert problem is not None and says in problem
