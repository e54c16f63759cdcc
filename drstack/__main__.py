"""``python -m drstack``: the commands around the Pulumi program.

  sandbox up|down|status   a local pair of clusters with the demo application
  drill                    a cutover and a failback with the real Pulumi CLI, timed
  check                    is DR ready, right now? Both directions, without the Pulumi CLI;
                           exit 0 ready, 1 warnings only, 2 blocked, 3 could not check
"""

from __future__ import annotations

import argparse
import sys

from drstack.check.command import USAGE_ERROR
from drstack.check.command import add_arguments as add_check_arguments
from drstack.check.command import run as run_check
from drstack.check.report import Status
from drstack.toolchain import ToolsMissing, current_project


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m drstack", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    sandbox = commands.add_parser("sandbox", help="local clusters source and dr")
    sandbox.add_argument("action", choices=("up", "down", "status"))
    sandbox.add_argument("--json", action="store_true", help="status as JSON")
    drill = commands.add_parser("drill", help="cutover then failback, timed, with the real CLI")
    drill.add_argument("--project", default=None,
                       help="the drstack project folder (default: the current folder if it is "
                            "one, else this checkout)")
    check = commands.add_parser("check", help="is DR ready? both directions, for cron and CI")
    add_check_arguments(check)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        # `check` promises 3 for "could not check", a usage error included (argparse says 2).
        if exc.code == USAGE_ERROR and "check" in (sys.argv[1:] if argv is None else argv):
            return Status.NOT_CHECKED.exit_code
        raise
    try:
        if args.command == "sandbox":
            return _sandbox(args)
        if args.command == "check":
            return run_check(args, project=args.project or current_project())
        from drstack.drill import run_drill

        return run_drill(project=args.project)
    except ToolsMissing as exc:
        print(f"drstack: {exc}", file=sys.stderr)
        return 2


def _sandbox(args: argparse.Namespace) -> int:
    from drstack.sandbox.sandbox import Sandbox, dumps, status_lines

    box = Sandbox(project=current_project())
    if args.action == "up":
        box.up()
    elif args.action == "down":
        box.down()
    else:
        statuses = box.status()
        print(dumps(statuses) if args.json else "\n".join(status_lines(statuses)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
