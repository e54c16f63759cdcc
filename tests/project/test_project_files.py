"""Pulumi.yaml, the stack files and the README agree with the config keys drstack reads."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from drstack.config import KEYS, load_config, read_other_stack
from drstack.config.stack_pair import drift_findings

ROOT = Path(__file__).resolve().parents[2]


def project() -> dict:
    return yaml.safe_load((ROOT / "Pulumi.yaml").read_text())


def test_every_config_key_is_declared_in_pulumi_yaml_with_type_description_and_default():
    declared = project()["config"]
    assert set(declared) == {key.name for key in KEYS}
    for key in KEYS:
        entry = declared[key.name]
        assert entry["type"] == key.type
        assert entry["default"] == key.default
        assert entry["description"] == key.description
        if key.type == "array":  # Pulumi rejects an array type without items
            assert entry["items"] == {"type": "string"}


def test_the_project_refreshes_before_every_preview_and_update():
    assert project()["name"] == "drstack"
    assert project()["options"] == {"refresh": "always"}


@pytest.mark.parametrize("stack", ["source", "dr"])
def test_each_shipped_stack_activates_its_own_site_and_loads(stack, tmp_path):
    values = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    assert values["drstack:activeSite"] == stack
    raw = {k.split(":", 1)[1]: v for k, v in values.items()}
    # The shipped kubeconfig paths are the sandbox's (made by `sandbox up`); a stand-in file
    # with the same contexts loads the rest.
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\n"
                          "contexts: [{name: source, context: {}}, {name: dr, context: {}}]\n")
    raw.update(sourceKubeconfig=str(kubeconfig), drKubeconfig=str(kubeconfig))
    assert load_config(raw, stack=stack).active_site.value == stack


def test_the_two_stacks_describe_the_same_pair_of_sites():
    def sites(stack: str) -> dict:
        values = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
        return {k: v for k, v in values.items() if k.startswith(("drstack:source", "drstack:dr"))}

    assert sites("source") == sites("dr")


@pytest.mark.parametrize("stack", ["source", "dr"])
def test_the_shipped_stack_files_pass_the_programs_own_comparison(stack):
    values = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    raw = {k.split(":", 1)[1]: v for k, v in values.items()}
    other = read_other_stack(ROOT, stack)
    assert other is not None
    assert drift_findings(raw, frozenset(), other, stack=stack) == []


def test_the_readme_documents_every_config_key_and_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    for key in KEYS:
        assert f"`drstack:{key.name}`" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    for command in ("python3 -m venv .venv && .venv/bin/pip install", ".venv/bin/python -m pytest"):
        assert command in readme and command in ci


def _comment(stack: str) -> str:
    """The comment at the top of a shipped stack file, without its "# " marks."""
    lines = (ROOT / f"Pulumi.{stack}.yaml").read_text().splitlines()
    return "\n".join(line[2:] for line in lines if line.startswith("#"))


def _secrets_block(text: str) -> list[str]:
    """The loop that sets the kubeconfig secrets, line by line, without indentation."""
    start = text.index("for s in source dr; do")
    return [line.strip() for line in text[start:text.index("done", start) + 4].splitlines()]


@pytest.mark.parametrize("stack", ["source", "dr"])
def test_the_stack_files_and_the_readme_set_the_same_secrets(stack):
    # The shipped Pulumi.source.yaml set both keys on the source stack only, where the README
    # sets both on both stacks.
    readme = _secrets_block((ROOT / "README.md").read_text())
    assert _secrets_block(_comment(stack)) == readme
    for key in ("sourceKubeconfig", "drKubeconfig"):
        assert f'pulumi config set -s $s --secret drstack:{key} "$(cat ' in "\n".join(readme)


@pytest.mark.parametrize("stack", ["source", "dr"])
def test_the_readme_and_the_stack_files_say_to_delete_the_sandboxs_salt_before_stack_init(stack):
    readme = (ROOT / "README.md").read_text()
    once = readme[readme.index("### Once: set up the project"):]
    assert once.index("delete the encryptionsalt line") < once.index("pulumi stack init source")
    comment = _comment(stack)
    assert comment.index("delete the encryptionsalt line") < comment.index("pulumi stack init")
    assert "incorrect passphrase" in comment and "incorrect passphrase" in once
