"""drstack:verifyUrls and drstack:verifyTimeout: read, checked, never showing a credential."""

from __future__ import annotations

import pytest

from drstack.config import ConfigError, load_config
from drstack.config.verify_urls import parse_verify_url
from drstack.model import VerifyUrl, shown_url

PASSWORD = "cfg-pa55-9e2a"


@pytest.fixture
def raw(tmp_path):
    kubeconfig = tmp_path / "kubeconfig.yaml"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\nclusters: []\nusers: []\n"
                          "contexts: [{name: c, context: {}}]\ncurrent-context: c\n")
    return {"sourceKubeconfig": str(kubeconfig), "sourceNamespace": "shop",
            "drKubeconfig": str(kubeconfig), "drNamespace": "shop-dr"}


def problems(raw, secret_keys=frozenset()) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(raw, stack="dr", secret_keys=secret_keys)
    return str(caught.value)


def test_unset_means_no_url_and_five_minutes(raw):
    config = load_config(raw, stack="dr")
    assert config.verify_urls == () and config.verify_timeout == 300.0


@pytest.mark.parametrize(("entry", "url", "expect"), [
    ("https://shop.example/health", "https://shop.example/health", "2xx"),
    ("https://shop.example/health=200", "https://shop.example/health", "200"),
    (" http://10.0.0.7:8080/ready = 204 ", "http://10.0.0.7:8080/ready", "204"),
    ("https://shop.example/=3XX", "https://shop.example/", "3xx"),
    ("https://shop.example/search?q=shoes", "https://shop.example/search?q=shoes", "2xx"),
    # A query ending in = and three digits: its status is written out.
    ("https://shop.example/list?page=100=2xx", "https://shop.example/list?page=100", "2xx"),
    (f"https://ops:{PASSWORD}@shop.example/health=401",
     f"https://ops:{PASSWORD}@shop.example/health", "401"),
])
def test_an_entry_is_a_url_and_its_expected_status(entry, url, expect):
    assert parse_verify_url(entry) == VerifyUrl(url, expect)


def test_the_list_loads_in_order_with_the_timeout(raw):
    config = load_config({**raw, "verifyUrls": '["https://a.example/", "http://b.example/=204"]',
                          "verifyTimeout": "90s"}, stack="dr")
    assert config.verify_urls == (VerifyUrl("https://a.example/"),
                                  VerifyUrl("http://b.example/", "204"))
    assert config.verify_timeout == 90.0


def test_every_bad_entry_is_reported_at_once_without_its_credentials(raw):
    bad = [f"ftp://ops:{PASSWORD}@files.example/x", "https://shop.example/health=600",
           "shop.example/health", "https://shop.example/a b", "https://:8080/",
           f"https://ops/{PASSWORD}@shop.example/", "https://shop.example:99999/"]
    text = problems({**raw, "verifyUrls": bad, "verifyTimeout": "soon"})
    assert "drstack found 8 config problem(s)" in text
    for expected in (
            "drstack:verifyUrls = 'ftp://files.example/x': entry [0] must start with http:// or "
            "https://. Fix: correct it: pulumi config set --path 'drstack:verifyUrls[0]' URL (or "
            "URL=STATUS, STATUS from 100 to 599 or a class like 2xx)",
            "entry [1] '600' is not an HTTP status (100 to 599, or a class like 2xx)",
            "drstack:verifyUrls = 'shop.example/health': entry [2] must start with http://",
            "entry [3] has a space in it: percent-encode it (%20)",
            "entry [4] has no host",
            "drstack:verifyUrls = 'https://…': entry [5] has an @ after its host",
            "entry [6] is not a URL drstack can read (check its host and port)",
            "drstack:verifyTimeout = 'soon': not a duration"):
        assert expected in text
    assert PASSWORD not in text


def test_a_password_in_a_key_that_is_not_secret_is_refused_naming_the_command(raw):
    # Pulumi would keep it in plain text, in the stack file and in the state.
    urls = ["https://shop.example/", f"https://ops:{PASSWORD}@shop.example/status",
            "https://ops@shop.example/user-only"]
    text = problems({**raw, "verifyUrls": urls})
    assert ("drstack:verifyUrls = 'https://shop.example/status': entry [1] carries a password, "
            "and the key is not a secret, so Pulumi keeps it in plain text in Pulumi.dr.yaml and "
            "in the state. Fix: set it as a secret: pulumi config set -s dr --secret --path "
            "'drstack:verifyUrls[1]' URL") in text
    assert "entry [2]" not in text and PASSWORD not in text
    config = load_config({**raw, "verifyUrls": urls}, stack="dr",
                         secret_keys=frozenset({"verifyUrls"}))
    assert [u.url for u in config.verify_urls] == urls


def test_a_secret_list_shows_no_entry_at_all(raw):
    text = problems({**raw, "verifyUrls": ["ftp://files.example/x"]},
                    secret_keys=frozenset({"verifyUrls"}))
    assert "drstack:verifyUrls = <secret>: entry [0] must start with http://" in text
    assert "files.example" not in text


def test_a_value_that_is_not_a_list_is_not_shown(raw):
    text = problems({**raw, "verifyUrls": f"https://ops:{PASSWORD}@shop.example/"})
    assert "drstack:verifyUrls: not a list of strings" in text
    assert PASSWORD not in text and "shop.example" not in text


def test_secret_set_entries_and_those_with_credentials_are_sensitive(raw):
    config = load_config({**raw, "verifyUrls": ["https://a.example/"]}, stack="dr",
                         secret_keys=frozenset({"verifyUrls"}))
    assert config.verify_urls[0].sensitive
    assert VerifyUrl(f"https://ops:{PASSWORD}@a.example/").sensitive
    assert VerifyUrl("https://a.example/health?token=t0k").sensitive
    assert not VerifyUrl("https://a.example/health").sensitive


@pytest.mark.parametrize(("url", "shown"), [
    (f"https://ops:{PASSWORD}@shop.example:8443/health?token=t0k#top",
     "https://shop.example:8443/health?…"),
    ("https://shop.example/health", "https://shop.example/health"),
    # A password holding / ? or # cannot be told from a path: only the scheme is shown.
    (f"https://ops:{PASSWORD}/x@shop.example/", "…"),
    (f"https://ops/{PASSWORD}@shop.example/", "https://…"),
    (f"https://ops:{PASSWORD}?@shop.example/", "…"),
    (f"ops:{PASSWORD}@shop.example/", "ops://…"),
])
def test_a_url_is_shown_without_user_password_nor_query(url, shown):
    assert shown_url(url) == shown
    assert PASSWORD not in repr(VerifyUrl(url))


def test_a_status_class_accepts_its_statuses_and_one_status_only_itself():
    assert VerifyUrl("https://a/").accepts(204) and not VerifyUrl("https://a/").accepts(301)
    assert VerifyUrl("https://a/", "3xx").accepts(308)
    assert VerifyUrl("https://a/", "200").accepts(200)
    assert not VerifyUrl("https://a/", "200").accepts(201)
