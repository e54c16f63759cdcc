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
