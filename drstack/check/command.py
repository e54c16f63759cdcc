"""``python -m drstack check``: its options, and the report it prints, as an exit code.

    0 ready  1 warnings only  2 blocked  3 could not check (README: "Is DR ready?")
"""

from __future__ import annotations

import argparse
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path

from drstack.check.readiness import check_readiness
from drstack.check.render import as_json, human
from drstack.check.report import Status
from drstack.check.stack_settings import StackSettings, StackSettingsUnreadable, from_cli_json
from drstack.model import Site

# argparse's own exit code for a usage error; `check` says 3 (could not check) instead.
USAGE_ERROR = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", choices=[s.value for s in Site], default=None,
                        help="check the switch this stack makes (dr: cutover, source: failback); "
                             "default: both")
    parser.add_argument("--json", action="store_true", help="the report as JSON")
    parser.add_argument("--project", type=Path, default=None,
                        help="the drstack project folder (default: the current folder if it is "
                             "one, else this checkout)")
    parser.add_argument("--config-json", action="append", default=[], metavar="STACK=FILE",
                        help="the stack's config as `pulumi config -s STACK --show-secrets "
                             "--json` prints it (FILE - for stdin), instead of its stack file: "
                             "for secrets and ESC environments, which only the CLI can read")
    parser.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                        help="how long each read of a site may retry (default: the program's, "
                             "60)")


def run(args: argparse.Namespace, *, project: Path) -> int:
    """Check, print the report, and return its exit code."""
    try:
        given = _given_settings(args.config_json)
    except StackSettingsUnreadable as exc:
        print(f"drstack check: {exc}", file=sys.stderr)
        return Status.NOT_CHECKED.exit_code
    if args.timeout is not None and args.timeout <= 0:
        print(f"drstack check: --timeout {args.timeout:g}: must be more than 0 seconds",
              file=sys.stderr)
        return Status.NOT_CHECKED.exit_code
    if not project.is_dir():
        print(f"drstack check: {project} is not a folder. Fix: --project DIR, the folder of "
              "Pulumi.yaml", file=sys.stderr)
        return Status.NOT_CHECKED.exit_code
    sites = [Site(args.stack)] if args.stack else [Site.DR, Site.SOURCE]
    now = datetime.now(UTC).replace(microsecond=0).isoformat()
    try:
        report = check_readiness(project.resolve(), sites, now=now, given=given,
                                 deadline=args.timeout)
    except Exception:  # noqa: BLE001 - a bug must not exit 1, which reads as "warnings only"
        traceback.print_exc()
        print("drstack check: could not check: an unexpected error, a bug in drstack (its "
              "traceback is above)", file=sys.stderr)
        return Status.NOT_CHECKED.exit_code
    print(as_json(report) if args.json else human(report))
    return report.exit_code


def _given_settings(options: list[str]) -> dict[str, StackSettings]:
    """``STACK=FILE`` options -> each stack's settings, read now (before `check` runs in the
    project folder, so that a relative FILE is the caller's)."""
    given: dict[str, StackSettings] = {}
    for option in options:
        stack, sep, file = option.partition("=")
        if not sep or stack not in {s.value for s in Site} or not file:
            raise StackSettingsUnreadable(
                f"--config-json {option!r}: must be STACK=FILE with STACK source or dr, e.g. "
                f"--config-json dr=<(pulumi config -s dr --show-secrets --json)")
        if stack in given:
            raise StackSettingsUnreadable(f"--config-json names stack {stack} twice")
        if file == "-" and any(o.endswith("=-") for o in options[:options.index(option)]):
            raise StackSettingsUnreadable(
                "--config-json: only one stack can be read from stdin (-); give the other a file")
        origin = "pulumi config --json (stdin)" if file == "-" else f"pulumi config --json ({file})"
        try:
            text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        except OSError as exc:
            raise StackSettingsUnreadable(
                f"--config-json {stack}={file}: cannot be read ({exc.strerror})") from None
        given[stack] = from_cli_json(text, stack=stack, origin=origin)
    return given
