"""The pv-migrate flags a user may pass in ``drstack:pvMigrateFlags``, per major version.

Each table follows pv-migrate's own sources; which ones, and what they disagree on, is in
FLAGS.md next to this file.
"""

from __future__ import annotations

import difflib
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from types import MappingProxyType

from drstack.errors import PvMigrateError
from drstack.pvmigrate.version import PvMigrateVersion, detect_version


class Kind(Enum):
    """What a flag takes: nothing (a switch), a value, or a duration."""

    BOOL = "bool"
    VALUE = "value"
    DURATION = "duration"


@dataclass(frozen=True)
class FlagSpec:
    """One flag of one pv-migrate release line: its names, what it takes, and whether drstack
    refuses it."""

    long: str
    short: str | None = None
    kind: Kind = Kind.BOOL
    # Allowed values; for a list flag (-s) each comma-separated item must be one of them.
    choices: tuple[str, ...] = ()
    # First (major, minor) that has the flag, when it came within a release line.
    since: tuple[int, int] | None = None
    # Why drstack refuses the flag (it sets it itself, or it would defeat the copy).
    refused: str | None = None

    @property
    def takes_value(self) -> bool:
        return self.kind is not Kind.BOOL

    def spelled(self) -> str:
        return f"-{self.short}/--{self.long}" if self.short else f"--{self.long}"


@dataclass(frozen=True)
class FlagProblem:
    """One problem with drstack:pvMigrateFlags for the installed version, and its fix."""

    flag: str
    version: str
    problem: str
    fix: str = ""

    def __str__(self) -> str:
        text = f"{self.flag} {self.problem}"
        return f"{text}; {self.fix}" if self.fix else text


class PvMigrateFlagsInvalid(PvMigrateError):
    """drstack:pvMigrateFlags has flags the installed pv-migrate would reject or misuse."""

    def __init__(self, problems: Sequence[FlagProblem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"drstack:pvMigrateFlags cannot be used as is:\n{lines}")


OLD_STRATEGIES = ("mnt2", "svc", "lbsvc", "local")
NEW_STRATEGIES = ("mount", "clusterip", "loadbalancer", "nodeport", "local")
# v1/v2 name -> v3 name; "local" kept its name.
_STRATEGY_RENAMES = {"mnt2": "mount", "svc": "clusterip", "lbsvc": "loadbalancer"}
_KEY_ALGORITHMS = ("rsa", "ed25519")


# Why drstack refuses a flag; "{flag}" becomes e.g. "-n/--source-namespace".
_BY_DIRECTION = "drstack:{src}{what} (drstack:{dst}{what} when copying dr -> source)"
_SETS = "drstack sets {flag} from "
_SRC_NS = _SETS + _BY_DIRECTION.format(src="source", dst="dr", what="Namespace")
_DST_NS = _SETS + _BY_DIRECTION.format(src="dr", dst="source", what="Namespace")
_SRC_KC = _SETS + _BY_DIRECTION.format(src="source", dst="dr", what="Kubeconfig")
_DST_KC = _SETS + _BY_DIRECTION.format(src="dr", dst="source", what="Kubeconfig")
_SRC_CTX = _SETS + _BY_DIRECTION.format(src="source", dst="dr", what="Context")
_DST_CTX = _SETS + _BY_DIRECTION.format(src="dr", dst="source", what="Context")
_PVC = "drstack passes the PVC names itself (equal names, or drstack:pvcMap)"
_LOG_FORMAT = "drstack sets {flag} json, so that each PVC's log file is machine-readable"
_NO_RUN = ("{flag} makes pv-migrate print text and copy nothing, which drstack would take for "
           "a finished copy")
_DETACH = ("{flag} makes pv-migrate exit while the copy still runs; drstack must wait for the "
           "data before it starts the workloads")

# Flags every supported version has, with the same names and meaning.
_COMMON: tuple[FlagSpec, ...] = (
    FlagSpec("source-kubeconfig", "k", Kind.VALUE, refused=_SRC_KC),
    FlagSpec("source-context", "c", Kind.VALUE, refused=_SRC_CTX),
    FlagSpec("source-namespace", "n", Kind.VALUE, refused=_SRC_NS),
    FlagSpec("dest-kubeconfig", "K", Kind.VALUE, refused=_DST_KC),
    FlagSpec("dest-context", "C", Kind.VALUE, refused=_DST_CTX),
    FlagSpec("dest-namespace", "N", Kind.VALUE, refused=_DST_NS),
    FlagSpec("source-path", "p", Kind.VALUE),
    FlagSpec("dest-path", "P", Kind.VALUE),
    FlagSpec("dest-delete-extraneous-files", "d"),
    FlagSpec("ignore-mounted", "i"),
    FlagSpec("no-chown", "o"),
    FlagSpec("ssh-key-algorithm", "a", Kind.VALUE, choices=_KEY_ALGORITHMS),
    FlagSpec("dest-host-override", "H", Kind.VALUE),
    FlagSpec("helm-timeout", "t", Kind.DURATION),
    FlagSpec("helm-values", "f", Kind.VALUE),
    FlagSpec("helm-set", None, Kind.VALUE),
    FlagSpec("helm-set-string", None, Kind.VALUE),
    FlagSpec("helm-set-file", None, Kind.VALUE),
    FlagSpec("log-level", None, Kind.VALUE),
    FlagSpec("log-format", None, Kind.VALUE, refused=_LOG_FORMAT),
    FlagSpec("help", "h", refused=_NO_RUN),
    FlagSpec("version", "v", refused=_NO_RUN),
)

_V1: tuple[FlagSpec, ...] = (
    FlagSpec("strategies", "s", Kind.VALUE, choices=OLD_STRATEGIES),
    FlagSpec("lbsvc-timeout", None, Kind.DURATION),
    FlagSpec("no-progress-bar", "b"),
    FlagSpec("source-mount-read-only", "R"),
)

_V2: tuple[FlagSpec, ...] = (
    *_V1,
    FlagSpec("source", None, Kind.VALUE, refused=_PVC),
    FlagSpec("dest", None, Kind.VALUE, refused=_PVC),
    FlagSpec("skip-cleanup", "x"),
    FlagSpec("compress"),
)

_V3: tuple[FlagSpec, ...] = (
    FlagSpec("source", None, Kind.VALUE, refused=_PVC),
    FlagSpec("dest", None, Kind.VALUE, refused=_PVC),
    FlagSpec("strategies", "s", Kind.VALUE, choices=NEW_STRATEGIES),
    FlagSpec("loadbalancer-timeout", None, Kind.DURATION),
    FlagSpec("no-cleanup", "x"),
    FlagSpec("no-cleanup-on-failure", since=(3, 3)),
    FlagSpec("no-compress"),
    FlagSpec("show-progress-bar", "b"),
    FlagSpec("source-mount-read-write", "R"),
    FlagSpec("ignore-sizes"),
    FlagSpec("non-root"),
    FlagSpec("rsync-extra-args", None, Kind.VALUE),
    FlagSpec("rsync-push"),
    FlagSpec("ssh-reverse-tunnel-port", None, Kind.VALUE),
    FlagSpec("id", None, Kind.VALUE),
    FlagSpec("detach", refused=_DETACH),
)


def _index(specs: Iterable[FlagSpec]) -> Mapping[str, FlagSpec]:
    return MappingProxyType({s.long: s for s in specs})


FLAG_TABLES: Mapping[int, Mapping[str, FlagSpec]] = MappingProxyType({
    1: _index((*_COMMON, *_V1)),
    2: _index((*_COMMON, *_V2)),
    3: _index((*_COMMON, *_V3)),
})

# Same option under another name in another release line.
_RENAMED: tuple[frozenset[str], ...] = (
    frozenset({"lbsvc-timeout", "loadbalancer-timeout"}),
    frozenset({"skip-cleanup", "no-cleanup"}),
)

# What to do instead of a flag the version lacks, when no plain rename exists.
_HINTS: Mapping[str, Mapping[int, str]] = MappingProxyType({
    "strategy": {m: "use --strategies (-s) with a comma-separated list of: {strategies}; "
                 "rsync is the data mover of every strategy, not a strategy" for m in (1, 2, 3)},
    "no-cleanup-on-failure": {m: "it needs pv-migrate 3.3 or later: drop it, or upgrade "
                                  "pv-migrate" for m in (1, 2)},
    "no-progress-bar": {3: "drop it: pv-migrate 3.x shows no progress bar when its output is "
                           "not a terminal, and drstack writes it to a log file"},
    "show-progress-bar": {m: "drop it: -b/--no-progress-bar is this version's switch, and "
                             "drstack's log files need no bar" for m in (1, 2)},
    "compress": {1: "drop it: pv-migrate 1.x has no compression switch",
                 3: "drop it (compression is on by default); --no-compress turns it off"},
    "no-compress": {1: "drop it: pv-migrate 1.x has no compression switch",
                    2: "use --compress=false"},
    "source-mount-read-only": {3: "drop it: 3.x mounts the source read-only by default "
                                  "(--source-mount-read-write turns that off)"},
    "source-mount-read-write": {m: "use --source-mount-read-only=false" for m in (1, 2)},
})

_DURATION_RE = re.compile(r"^[-+]?(0|(\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$")
_BOOL_LITERALS = frozenset({"1", "0", "t", "f", "true", "false", "T", "F", "TRUE", "FALSE",
                            "True", "False"})
_NEGATIVE_NUMBER = re.compile(r"^-\d")


def flag_table(version: PvMigrateVersion) -> Mapping[str, FlagSpec]:
    """The flags of ``version``'s release line, by long name."""
    try:
        return FLAG_TABLES[version.major]
    except KeyError:
        raise ValueError(f"drstack has no flag table for pv-migrate {version.text}") from None


def split_flags(text: str) -> tuple[str, ...]:
    """Split ``drstack:pvMigrateFlags`` like a POSIX shell would, without running one."""
    try:
        return tuple(shlex.split(text, comments=False, posix=True))
    except ValueError as exc:
        raise ValueError(
            f"drstack:pvMigrateFlags {text!r} cannot be split into flags ({exc}): every quote "
            "must be closed, e.g. --helm-set \"a=b c\" or --rsync-extra-args '--bwlimit=1024'"
        ) from None


def check_flags(flags: Sequence[str], version: PvMigrateVersion) -> list[FlagProblem]:
    """Every problem with ``flags`` for the installed pv-migrate ``version``, in order."""
    return _Checker(version).run(list(flags))


def require_flags_fit(flags: Sequence[str], version: PvMigrateVersion) -> None:
    """Raise PvMigrateFlagsInvalid, with every problem, when ``flags`` do not suit ``version``."""
    problems = check_flags(flags, version)
    if problems:
        raise PvMigrateFlagsInvalid(problems)


def usable_pv_migrate(binary: str, flags: Sequence[str], *,
                      timeout: float = 10.0) -> PvMigrateVersion:
    """The installed pv-migrate's version, once it is known to run and to accept ``flags``.

    The one check of pv-migrate before a copy: the preview's (drstack.preflight), the
    copy step's check() and its run. Raises PvMigrateFlagsInvalid, or the PvMigrateError of
    ``detect_version`` (missing, version unreadable, unsupported major).
    """
    version = detect_version(binary, timeout=timeout)
    require_flags_fit(flags, version)
    return version


class _Checker:
    def __init__(self, version: PvMigrateVersion) -> None:
        self.version = version
        self.table = flag_table(version)
        self.shorts = {s.short: s for s in self.table.values() if s.short}
        self.problems: list[FlagProblem] = []

    def add(self, flag: str, problem: str, fix: str = "") -> None:
        self.problems.append(FlagProblem(flag, self.version.text, problem, fix))

    def run(self, tokens: list[str]) -> list[FlagProblem]:
        i = 0
        while i < len(tokens):
            token = tokens[i]
            following = tokens[i + 1] if i + 1 < len(tokens) else None
            if token == "--":
                for extra in tokens[i + 1:]:
                    self.add(repr(extra), "is an argument after --", _PVC)
                break
            if token.startswith("--"):
                used_next = self.long(token, following)
            elif token.startswith("-") and len(token) > 1 and not _NEGATIVE_NUMBER.match(token):
                used_next = self.short_cluster(token, following)
            else:
                self.add(repr(token), "is not a flag (flags start with - or --)",
                         f"{_PVC}; quote a value that has spaces together with its flag")
                used_next = False
            i += 2 if used_next else 1
        return self.problems

    def long(self, token: str, following: str | None) -> bool:
        name, eq, inline = token[2:].partition("=")
        flag = f"--{name}"
        spec = self.table.get(name)
        if spec is None:
            other = _spec_elsewhere(name)
            if other is not None and other.refused:  # e.g. --source on 1.x
                self.refuse(other, flag)
                return bool(not eq and _is_value(following))
            self.unknown(flag, name)
            # Skip the value the flag takes elsewhere, so it is not reported as a stray word.
            return bool(not eq and other and other.takes_value and _is_value(following))
        return self.known(spec, flag, inline if eq else None, following)

    def short_cluster(self, token: str, following: str | None) -> bool:
        # pflag allows "-io", "-s mount", "-smount" and "-s=mount".
        letters = token[1:]
        for j, letter in enumerate(letters):
            flag = f"-{letter}"
            spec = self.shorts.get(letter)
            if spec is None:
                self.unknown(flag, None, letter)
                return False
            rest = letters[j + 1:]
            if spec.takes_value or rest.startswith("="):
                inline = rest[1:] if rest.startswith("=") else rest
                return self.known(spec, flag, inline if rest else None, following)
            self.known(spec, flag, None, None)
        return False

    def known(self, spec: FlagSpec, flag: str, inline: str | None, following: str | None) -> bool:
        """Judge one use of a flag of this version; True when it took ``following`` as value."""
        used_next = False
        value = inline
        if spec.takes_value and value is None and following is not None:
            # pflag takes the next word whatever it is; a word that is itself a flag of this
            # version means the value was forgotten (e.g. "--helm-timeout --no-chown").
            if not self.is_flag(following):
                value, used_next = following, True
        if spec.refused:
            self.refuse(spec, flag)
            return used_next
        if spec.since and not self.version.at_least(*spec.since):
            since = f"{spec.since[0]}.{spec.since[1]}"
            self.add(flag, f"is not a flag of pv-migrate {self.version.text} (it came in {since})",
                     f"it needs pv-migrate {since} or later: drop it, or upgrade pv-migrate")
            return used_next
        if spec.takes_value:
            if value is None or value == "":
                self.add(flag, "needs a value", f"write {flag} VALUE or --{spec.long}=VALUE")
            else:
                self.value(spec, flag, value)
        elif value is not None and value not in _BOOL_LITERALS:
            self.add(flag, f"is a switch; {value!r} is not true or false",
                     f"write {flag} alone, or --{spec.long}=false")
        return used_next

    def is_flag(self, token: str) -> bool:
        if token.startswith("--"):
            return token[2:].partition("=")[0] in self.table
        return token.startswith("-") and len(token) > 1 and token[1] in self.shorts

    def refuse(self, spec: FlagSpec, flag: str) -> None:
        assert spec.refused is not None
        self.add(flag, "cannot be set in drstack:pvMigrateFlags",
                 "drop it: " + spec.refused.format(flag=spec.spelled()))

    def value(self, spec: FlagSpec, flag: str, value: str) -> None:
        if spec.kind is Kind.DURATION and not _DURATION_RE.match(value):
            self.add(flag, f"takes a duration; {value!r} is not one", "write e.g. 90s, 30m or 1h")
        if not spec.choices:
            return
        items = [v.strip() for v in value.split(",")] if spec.long == "strategies" else [value]
        for item in items:
            if item not in spec.choices:
                self.add(flag, f"value {item!r} is not known to pv-migrate {self.version.line}",
                         self.choice_fix(spec, item))

    def choice_fix(self, spec: FlagSpec, item: str) -> str:
        allowed = ", ".join(spec.choices)
        if spec.long == "strategies":
            renamed = _STRATEGY_RENAMES.get(item) or {v: k for k, v in _STRATEGY_RENAMES.items()
                                                      }.get(item)
            if renamed and renamed in spec.choices:
                return f"use {renamed} (the {self.version.line} name); strategies: {allowed}"
            if item == "rsync":
                return f"rsync is the data mover of every strategy; choose from: {allowed}"
        return f"choose from: {allowed}"

    def unknown(self, flag: str, name: str | None, letter: str | None = None) -> None:
        line = self.version.line
        problem = f"is not a flag of pv-migrate {line}"
        if name is None:  # a short flag
            meanings = sorted({f"--{s.long} in {m}.x" for m, t in FLAG_TABLES.items()
                               for s in t.values() if s.short == letter})
            if meanings:
                problem += f" (it is {', '.join(meanings)})"
            self.add(flag, problem, f"use the long flag names of pv-migrate {line}")
            return
        for group in _RENAMED:
            if name in group:
                for other in sorted(group - {name}):
                    if other in self.table:
                        self.add(flag, problem, f"use --{other}")
                        return
        hint = _HINTS.get(name, {}).get(self.version.major)
        if hint:
            strategies = ", ".join(self.table["strategies"].choices)
            self.add(flag, problem, hint.format(strategies=strategies))
            return
        close = difflib.get_close_matches(name, list(self.table), n=1, cutoff=0.75)
        fix = (f"did you mean --{close[0]}?" if close
               else f"see `pv-migrate --help` for {line} flags")
        self.add(flag, problem, fix)


# Not flags of any supported version, but written with a value by users (the seed tutorial).
_VALUE_TAKING_ELSEWHERE: Mapping[str, FlagSpec] = MappingProxyType({
    "strategy": FlagSpec("strategy", None, Kind.VALUE),
})


def _spec_elsewhere(name: str) -> FlagSpec | None:
    if name in _VALUE_TAKING_ELSEWHERE:
        return _VALUE_TAKING_ELSEWHERE[name]
    for table in FLAG_TABLES.values():
        if name in table:
            return table[name]
    return None


def _is_value(token: str | None) -> bool:
    return token is not None and (not token.startswith("-") or bool(_NEGATIVE_NUMBER.match(token)))
