"""Where `check` gets each stack's config: the stack files (no Pulumi CLI needed), or the CLI's
`pulumi config --show-secrets --json` for what only the CLI can read; and exit code 3 when a
stack's config cannot be used."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from drstack.config import KEYS
from drstack.testing.harness import as_config_text
from tests.check.conftest import Pair, serve

KUBECONFIGS = ("sourceKubeconfig", "drKubeconfig")


def cli_json(values: dict[str, Any], secret: tuple[str, ...] = ()) -> str:
    """What `pulumi config -s STACK --show-secrets --json` prints: every declared key."""
    config = {key.name: key.default for key in KEYS} | values
    return json.dumps({f"drstack:{k}": {"value": as_config_text(v), "secret": k in secret}
                       for k, v in config.items()})


@pytest.fixture
def inline(pair: Pair) -> dict[str, Any]:
    """Both kubeconfigs as their contents, with a recognizable token each (as secrets hold)."""
    tokens = {site: f"SECRET-{site}-{uuid.uuid4().hex}" for site in ("source", "dr")}
    pair.source.token, pair.dr.token = tokens["source"], tokens["dr"]
    values = {**pair.sites,
              "sourceKubeconfig": pair.source.kubeconfig_text("source", tokens["source"]),
              "drKubeconfig": pair.dr.kubeconfig_text("dr", tokens["dr"])}
    return {"values": values, "tokens": tokens}


def test_secrets_in_the_stack_files_need_the_cli_and_the_check_says_so(pair: Pair):
    serve(pair, "source")
    for stack in ("source", "dr"):
        pair.configure(stack, secret=KUBECONFIGS)

    checked = pair.check()

    assert checked.code == 3
    assert "cutover to dr (pulumi up -s dr): NOT CHECKED, 1 error" in checked.out
    for stack in ("source", "dr"):
        assert (f"Pulumi.{stack}.yaml holds drstack:drKubeconfig, drstack:sourceKubeconfig as "
                "secret(s)") in checked.out
        assert (f"--config-json {stack}=<(pulumi config -s {stack} --show-secrets --json)"
                in checked.out)
    assert pair.source.requests == [] and pair.dr.requests == []


def test_the_clis_output_for_both_stacks_is_checked_and_no_token_is_shown(
        pair: Pair, inline: dict[str, Any], tmp_path: Path):
    serve(pair, "source")
    files = []
    for stack in ("source", "dr"):
        pair.configure(stack, secret=KUBECONFIGS)  # what the files then hold: ciphertext
        path = tmp_path / f"{stack}.json"
        path.write_text(cli_json(inline["values"], secret=KUBECONFIGS))
        files += ["--config-json", f"{stack}={path}"]

    checked, as_json = pair.check(*files), pair.check("--json", *files)

    assert checked.code == 0, checked.out + checked.err
    assert as_json.json["status"] == "ready"
    assert "cutover to dr (pulumi up -s dr): READY" in checked.out
    for token in inline["tokens"].values():
        assert token not in checked.out + checked.err and token not in as_json.out
    # The context and server are shown (not credentials), as in the plan table.
    assert pair.dr.url in checked.out


def test_one_stacks_config_can_come_from_stdin(pair: Pair, inline: dict[str, Any]):
    serve(pair, "source")
    for stack in ("source", "dr"):
        pair.configure(stack, secret=KUBECONFIGS)

    checked = pair.check("--stack", "dr", "--config-json", "dr=-",
                         stdin=cli_json(inline["values"], secret=KUBECONFIGS))

    assert checked.code == 0, checked.out + checked.err


def test_a_missing_stack_file_is_not_checked_while_the_other_direction_is(pair: Pair):
    serve(pair, "source")
    (pair.project / "Pulumi.source.yaml").unlink()

    checked = pair.check("--json")

    assert checked.code == 3
    assert checked.json["status"] == "not-checked"
    failback = checked.direction("failback")
    assert (failback["status"], failback["sites"], failback["run"]) == ("not-checked", None,
                                                                        None)
    [error] = checked.messages("failback")
    assert "Pulumi.source.yaml does not exist, so stack 'source' has no config to check" in error
    assert checked.direction("cutover")["status"] == "ready"


def test_config_the_program_would_refuse_is_reported_with_key_value_and_fix(pair: Pair):
    serve(pair, "source")
    pair.configure("dr", strategy="lukewarm", drNamespace="")

    checked = pair.check("--json", "--stack", "dr")

    assert checked.code == 3
    assert set(checked.messages("cutover", "error")) == {
        "drstack:drNamespace = (unset): is required. Fix: pulumi config set drstack:drNamespace "
        "my-app",
        "drstack:strategy = 'lukewarm': must be cold or warm. Fix: pulumi config set "
        "drstack:strategy cold"}
    assert pair.source.requests == [] and pair.dr.requests == []


@pytest.mark.parametrize("args", [
    ("--stack", "staging"),
    ("--no-such-option",),
    ("--config-json", "dr"),
    ("--config-json", "prod=x.json"),
    ("--config-json", "dr=/nonexistent/dr.json"),
    ("--config-json", "dr=-", "--config-json", "source=-"),
    ("--timeout", "0"),
])
def test_a_usage_error_is_could_not_check(pair: Pair, args: tuple[str, ...]):
    checked = pair.check(*args)

    assert checked.code == 3
    assert checked.out == ""
    assert checked.err.strip()
    assert pair.source.requests == [] and pair.dr.requests == []


def test_a_project_folder_that_does_not_exist_is_could_not_check(pair: Pair, tmp_path: Path):
    pair.project = tmp_path / "nowhere"

    checked = pair.check()

    assert (checked.code, checked.out) == (3, "")
    assert "is not a folder. Fix: --project DIR" in checked.err


def test_an_unexpected_error_is_could_not_check_not_warnings(
        pair: Pair, monkeypatch: pytest.MonkeyPatch):
    serve(pair, "source")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("drstack.check.readiness.preflight", broken)
    checked = pair.check()

    assert checked.code == 3
    assert "RuntimeError: a bug" in checked.err
    assert checked.err.rstrip().endswith("an unexpected error, a bug in drstack (its traceback "
                                         "is above)")
