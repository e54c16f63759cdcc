"""The one reading of a kubeconfig setting, shared by config validation and the connection."""

from __future__ import annotations

from pathlib import Path

import pytest

from drstack.config.kubeconfig import (
    Kubeconfig,
    Problem,
    Unusable,
    looks_like_path,
    read_kubeconfig,
)

TEXT = """apiVersion: v1
clusters: [{name: c, cluster: {server: 'https://c.example:6443'}}]
users: [{name: u, user: {token: s3cret}}]
contexts:
- {name: prod, context: {cluster: c, user: u}}
- {name: '', context: {cluster: c, user: u}}
- not-a-context
current-context: prod
"""


@pytest.mark.parametrize(("value", "shown"), [
    ("~/.kube/config", True), ("kubeconfigs/dr.yaml", True), ("dr.yml", True),
    ("ZXlKaGJHY2lPaUpTVXpJMU5pSXNJbXRwWkNJNklp", False), ("a token with spaces", False),
    ("x/" * 600, False),
])
def test_only_a_plain_path_may_be_shown(value: str, shown: bool) -> None:
    assert looks_like_path(value) is shown


def test_a_path_and_the_contents_read_the_same(tmp_path: Path) -> None:
    (tmp_path / "kc.yaml").write_text(TEXT)
    from_file = read_kubeconfig(str(tmp_path / "kc.yaml"))
    inline = read_kubeconfig(TEXT)
    assert isinstance(from_file, Kubeconfig) and isinstance(inline, Kubeconfig)
    assert from_file.path == (tmp_path / "kc.yaml").resolve() and inline.path is None
    assert from_file.contexts == inline.contexts == ["prod"]  # nameless entries are skipped
    assert from_file.context_for(None) == "prod" and from_file.context_for("other") == "other"


def test_what_cannot_be_used_says_why_and_never_quotes_the_file(tmp_path: Path) -> None:
    missing = read_kubeconfig(str(tmp_path / "nope.yaml"))
    assert isinstance(missing, Unusable) and missing.problem is Problem.MISSING
    assert missing.detail == "No such file or directory"
    (tmp_path / "broken.yaml").write_text("apiVersion: v1\ncontexts: [\n  token: s3cret\n")
    broken = read_kubeconfig(str(tmp_path / "broken.yaml"))
    assert isinstance(broken, Unusable) and broken.problem is Problem.NOT_YAML
    assert broken.detail.startswith(" at line ") and "s3cret" not in broken.detail
    for contents in ("{}", "apiVersion: v1\ncontexts: 7\n", "- a\n- b\n",
                     "apiVersion: v1\nkind: Config\n"):
        read = read_kubeconfig(contents)
        assert isinstance(read, Unusable) and read.problem is Problem.NOT_A_KUBECONFIG, contents


def test_a_sites_address_is_its_context_its_clusters_server_and_its_namespace(tmp_path):
    from drstack.config.kubeconfig import site_address
    from drstack.model import Site, SiteConfig

    path = tmp_path / "kubeconfig"
    path.write_text(TEXT)
    address = site_address(SiteConfig(Site.DR, str(path), None, "shop"))
    assert (address.context, address.server, address.namespace) == (
        "prod", "https://c.example:6443", "shop")
    inline = site_address(SiteConfig(Site.DR, TEXT, "prod", "shop"))
    assert inline.server == "https://c.example:6443"


@pytest.mark.parametrize(("context", "server"), [
    ("prod", "https://c.example:6443"),
    ("missing", None),
    (None, None),
])
def test_the_server_of_a_context(context, server):
    read = read_kubeconfig(TEXT)
    assert isinstance(read, Kubeconfig)
    assert read.server_for(context) == server


def test_a_password_in_the_server_url_is_never_shown():
    read = read_kubeconfig(TEXT.replace("https://c.example", "https://admin:pw@c.example"))
    assert isinstance(read, Kubeconfig)
    assert read.server_for("prod") == "https://c.example:6443"
