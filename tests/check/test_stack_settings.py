"""A stack's config read without the Pulumi CLI: the files as the program receives them, the
CLI's `pulumi config --json` output, and what only the CLI can read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drstack.check.stack_settings import (
    StackSettingsUnreadable,
    from_cli_json,
    from_stack_files,
)
from drstack.config import KEYS
from drstack.testing.project import write_project, write_stack

# `pulumi config -s source --show-secrets --json` (CLI 3.274.1) on the stack file of
# test_the_files_read_as_the_cli_prints_them, cut to the keys it set and two defaults.
CLI_OUTPUT = """{
  "drstack:breakLease": {"value": "true", "secret": false},
  "drstack:excludeWorkloads": {"value": "[\\"Deployment/x\\"]", "objectValue": ["Deployment/x"],
                               "secret": false},
  "drstack:migrationConcurrency": {"value": "3", "secret": false},
  "drstack:pvcMap": {"value": "[]", "objectValue": [], "secret": false},
  "drstack:sourceKubeconfig": {"value": "apiVersion: v1\\nkind: Config", "secret": true},
  "drstack:strategy": {"value": "cold", "secret": false},
  "other:key": {"value": "v", "secret": false}
}"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path, {})


def test_every_declared_key_is_there_at_its_default_as_the_program_gets_it(project: Path):
    write_stack(project, "dr", {"drNamespace": "shop-dr"})

    settings = from_stack_files(project, "dr")

    assert set(settings.raw) == {key.name for key in KEYS}
    assert settings.raw["strategy"] == "cold"
    assert settings.raw["migrationConcurrency"] == "2"
    assert settings.raw["excludeWorkloads"] == "[]"
    assert settings.raw["breakLease"] == "false"
    assert settings.raw["drNamespace"] == "shop-dr"
    assert settings.secret_keys == frozenset() and settings.origin == "Pulumi.dr.yaml"


def test_the_files_read_as_the_cli_prints_them(project: Path):
    write_stack(project, "source", {"sourceKubeconfig": "apiVersion: v1\nkind: Config",
                                    "excludeWorkloads": ["Deployment/x"],
                                    "migrationConcurrency": "3", "breakLease": True})
    (project / "Pulumi.source.yaml").write_text(
        (project / "Pulumi.source.yaml").read_text() + "  other:key: v\n")

    files = from_stack_files(project, "source")
    cli = from_cli_json(CLI_OUTPUT, stack="source", origin="cli")

    assert {k: files.raw[k] for k in cli.raw} == dict(cli.raw)
    assert cli.secret_keys == {"sourceKubeconfig"}
    assert "key" not in files.raw and "key" not in cli.raw  # another namespace


def test_a_secret_in_the_stack_file_needs_the_cli_or_a_kubeconfig_path(project: Path):
    write_stack(project, "source", {"sourceNamespace": "shop"},
                secret=("sourceKubeconfig", "drKubeconfig", "pvMigrateFlags"))

    with pytest.raises(StackSettingsUnreadable) as raised:
        from_stack_files(project, "source")

    message = str(raised.value)
    assert message.startswith(
        "Pulumi.source.yaml holds drstack:drKubeconfig, drstack:pvMigrateFlags, "
        "drstack:sourceKubeconfig as secret(s) (set with `pulumi config set --secret`): they "
        "are encrypted with the stack's key, and only the Pulumi CLI can decrypt them")
    assert ("python -m drstack check --stack source --config-json "
            "source=<(pulumi config -s source --show-secrets --json)") in message
    assert ("pulumi config set -s source drstack:sourceKubeconfig ~/.kube/source.yaml (a "
            "kubeconfig path)") in message
    assert "pulumi config set -s source drstack:pvMigrateFlags VALUE (plain text)" in message
    assert "3kdV8P" not in message  # the ciphertext is not repeated


def test_an_esc_environment_needs_the_cli(project: Path):
    write_stack(project, "dr", {"drNamespace": "shop-dr"}, environment=["prod/dr"])

    with pytest.raises(StackSettingsUnreadable, match=r"Pulumi.dr.yaml imports Pulumi ESC "
                       r"environments .*pulumi config -s dr --show-secrets --json"):
        from_stack_files(project, "dr")


def test_a_missing_stack_file_or_project_says_where_it_looked(project: Path, tmp_path: Path):
    with pytest.raises(StackSettingsUnreadable, match=r"Pulumi.dr.yaml does not exist, so stack "
                       r"'dr' has no config to check\. Fix: run from the project folder"):
        from_stack_files(project, "dr")
    with pytest.raises(StackSettingsUnreadable, match=r"is not a drstack project folder \(no "
                       r"Pulumi.yaml\)"):
        from_stack_files(tmp_path / "elsewhere", "dr")


def test_broken_yaml_names_the_file_and_the_line(project: Path):
    (project / "Pulumi.dr.yaml").write_text("config:\n  drstack:drNamespace: [unclosed\n")

    with pytest.raises(StackSettingsUnreadable, match=r"Pulumi.dr.yaml is not valid YAML at "
                       r"line 3, column 1"):
        from_stack_files(project, "dr")


def test_stack_config_dir_of_the_project_is_where_stack_files_are(project: Path):
    (project / "Pulumi.yaml").write_text((project / "Pulumi.yaml").read_text()
                                         + "stackConfigDir: stacks\n")
    (project / "stacks").mkdir()
    write_stack(project / "stacks", "dr", {"drNamespace": "from-stacks"})

    assert from_stack_files(project, "dr").raw["drNamespace"] == "from-stacks"


def test_cli_output_made_without_show_secrets_says_so(project: Path):
    output = json.dumps({"drstack:drKubeconfig": {"secret": True},
                         "drstack:drNamespace": {"value": "shop", "secret": False}})

    with pytest.raises(StackSettingsUnreadable, match=r"no value for the secret\(s\) "
                       r"drstack:drKubeconfig: it was made without --show-secrets"):
        from_cli_json(output, stack="dr", origin="pulumi config --json (dr.json)")


@pytest.mark.parametrize(("text", "expected"), [
    ("{not json", r"dr.json is not JSON \(line 1, column 2\)"),
    ("[1, 2]", r"dr.json is not a JSON object of config keys"),
    ('{"drstack:drNamespace": "shop"}', r"drstack:drNamespace is not an object with a value"),
    ('{"drstack:drNamespace": {"value": 3}}', r"drstack:drNamespace has no text value"),
])
def test_cli_output_that_is_not_the_clis_says_how_to_make_it(text: str, expected: str):
    with pytest.raises(StackSettingsUnreadable, match=expected + r".*Fix: make it with pulumi "
                       r"config -s dr --show-secrets --json"):
        from_cli_json(text, stack="dr", origin="dr.json")
