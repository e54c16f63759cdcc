"""A stand-in for the pv-migrate binary (a Go program we cannot install here).

It answers ``--version``/``-v`` like the real one of the given major, records every other
invocation (argv, pid, start/end wall times) in ``argv.jsonl`` next to itself, writes a few
log lines on stderr like the real one, and then succeeds, fails, hangs or prints its argv.
"""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path
from typing import Any, Literal

Behaviour = Literal["succeed", "fail", "hang", "print"]
RECORD_FILE = "argv.jsonl"
DEFAULT_VERSIONS = {1: "1.7.1", 2: "2.1.0", 3: "3.3.0"}

_SCRIPT = r'''#!{python}
import json, os, signal, subprocess, sys, time, uuid

MAJOR = {major}
BEHAVIOUR = {behaviour!r}
SECONDS = {seconds!r}
VERSION_TEXT = {version_text!r}
RECORD = {record!r}


def record(event, **fields):
    line = json.dumps(dict(event=event, time=time.time(), **fields))
    with open(RECORD, "a", encoding="utf-8") as f:
        f.write(line + "\n")


def log(level, msg):
    # The real one logs on stderr: logrus/slog JSON with --log-format json, else text.
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    if "--log-format" in sys.argv and sys.argv[sys.argv.index("--log-format") + 1] == "json":
        key = "level"
        lvl = level.lower() if MAJOR == 1 else level
        print(json.dumps({{"time": now, key: lvl, "msg": msg}}), file=sys.stderr, flush=True)
    else:
        print(f"{{now}} {{level[:3]}} {{msg}}", file=sys.stderr, flush=True)


args = sys.argv[1:]
if args in (["--version"], ["-v"]):
    print(f"pv-migrate version {{VERSION_TEXT}} (commit: 0123abc) "
          "(build date: 2025-01-02T03:04:05Z)")
    sys.exit(0)

call = uuid.uuid4().hex
record("start", call=call, argv=args, pid=os.getpid())
if MAJOR == 1 and (not args or args[0] not in ("migrate", "m")):
    print('Error: unknown flag; pv-migrate 1.x needs the "migrate" subcommand', file=sys.stderr)
    record("end", call=call, exit_code=1)
    sys.exit(1)
if BEHAVIOUR == "print":
    print(json.dumps(args))
    record("end", call=call, exit_code=0)
    sys.exit(0)

strategy = "lbsvc" if MAJOR < 3 else "loadbalancer"
log("INFO", "🚀 Starting migration")
log("INFO", f"💭 Will attempt 1 strategies: {{strategy}}")
log("INFO", f"🚁 Attempting strategy: {{strategy}}")
log("INFO", "🔑 Generating SSH key pair")
if BEHAVIOUR == "hang":
    # Like a stuck transfer: ignore SIGTERM (the real one cleans up, slowly) and keep a
    # child in the same process group, so only a group SIGKILL ends it all.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3600)"])
    record("child", call=call, pid=child.pid)
    while True:
        time.sleep(3600)
time.sleep(SECONDS)
if BEHAVIOUR == "fail":
    log("WARN", "🔶 Migration failed with this strategy, will try with the remaining strategies")
    print("Error: migration failed: all strategies failed for this migration", file=sys.stderr)
    record("end", call=call, exit_code=1)
    sys.exit(1)
log("INFO", "📂 Copying data... 100%")
log("INFO", "🧹 Cleaning up")
log("INFO", "✅ Migration succeeded")
record("end", call=call, exit_code=0)
sys.exit(0)
'''


def write_fake_pvmigrate(
    directory: Path,
    *,
    major: int,
    behaviour: Behaviour = "succeed",
    seconds: float = 0.0,
    version_text: str | None = None,
) -> Path:
    """Write an executable ``pv-migrate`` script into ``directory``; returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "pv-migrate"
    path.write_text(
        _SCRIPT.format(
            python=sys.executable,
            major=major,
            behaviour=behaviour,
            seconds=float(seconds),
            version_text=version_text or DEFAULT_VERSIONS[major],
            record=str(directory / RECORD_FILE),
        ),
        encoding="utf-8",
    )
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def read_invocations(directory: Path) -> list[dict[str, Any]]:
    """One dict per run (not version queries): argv, pid, start, end (None if it never ended),
    exit_code and child_pid (hang only), in start order."""
    record = directory / RECORD_FILE
    if not record.exists():
        return []
    calls: dict[str, dict[str, Any]] = {}
    for line in record.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        call = calls.setdefault(event["call"], {"end": None, "exit_code": None, "child_pid": None})
        if event["event"] == "start":
            call.update(argv=event["argv"], pid=event["pid"], start=event["time"])
        elif event["event"] == "end":
            call.update(end=event["time"], exit_code=event["exit_code"])
        elif event["event"] == "child":
            call["child_pid"] = event["pid"]
    return sorted(calls.values(), key=lambda c: c["start"])
