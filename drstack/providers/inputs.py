"""A dynamic resource's inputs, read back: every failure collected, engine floats coerced.

The engine hands a provider its inputs as a plain dict, numbers as floats, unknowns (in a
preview) as sentinels. Each step's spec parses them with ``Inputs`` (``from_props``) and writes
them with ``to_props``, so the two directions of one wire schema sit side by side.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi.dynamic import CheckFailure, CheckResult
from pulumi.output import Unknown
from pulumi.runtime.rpc import UNKNOWN

from drstack.config import ConfigError
from drstack.model import Kind, Site

SITES = tuple(s.value for s in Site)
KINDS = tuple(k.value for k in Kind)


class InvalidInputs(ConfigError):
    """Inputs that check() would have refused; raised when create/update get them anyway."""

    def __init__(self, resource: str, failures: list[CheckFailure]) -> None:
        self.failures = failures
        lines = "\n".join(f"  - {f.property}: {f.reason}" for f in failures)
        super().__init__(message=f"{resource}: invalid inputs:\n{lines}")


def is_unknown(value: Any) -> bool:
    """True when a value (or anything inside it) is not known yet, as in a preview.

    The host deserializes an unknown into a ``pulumi.output.Unknown`` (Check and Diff keep
    unknowns); the raw wire sentinel string is accepted too.
    """
    if isinstance(value, Unknown):
        return True
    if isinstance(value, str):
        return value == UNKNOWN
    if isinstance(value, Mapping):
        return any(is_unknown(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(is_unknown(v) for v in value)
    return False


@dataclass
class Inputs:
    """Reads a props dict, coercing engine floats, collecting every failure as a CheckFailure."""

    props: Mapping[str, Any]
    failures: list[CheckFailure] = field(default_factory=list)
    # True when some value is unknown (preview): it is neither checked nor usable.
    incomplete: bool = False

    def fail(self, prop: str, reason: str) -> None:
        self.failures.append(CheckFailure(prop, reason))

    def _get(self, key: str, default: Any = None) -> Any:
        value = self.props.get(key, default)
        if is_unknown(value):
            self.incomplete = True
            return None
        return value

    def text(self, key: str, *, allow_empty: bool = False) -> str:
        value = self._get(key)
        if value is None and self.incomplete:
            return ""
        if not isinstance(value, str):
            self.fail(key, f"must be a string, got {_shown(value)}")
            return ""
        if not allow_empty and not value.strip():
            self.fail(key, "must not be empty")
        return value

    def site(self, key: str) -> Site:
        value = self._get(key)
        if value is None and self.incomplete:
            return Site.SOURCE
        if value not in SITES:
            self.fail(key, f"must be one of {', '.join(SITES)}, got {_shown(value)}")
            return Site.SOURCE
        return Site(value)

    def positive_seconds(self, key: str, default: float | None = None) -> float:
        value = self._get(key, default)
        if value is None and self.incomplete:
            return 1.0
        number = as_number(value)
        if number is None or number <= 0:
            self.fail(key, f"must be a number of seconds greater than 0, got {_shown(value)}")
            return 1.0
        return number

    def integer(self, key: str, *, minimum: int) -> int:
        value = self._get(key)
        if value is None and self.incomplete:
            return minimum
        number = as_int(value)
        if number is None or number < minimum:
            self.fail(key, f"must be a whole number >= {minimum}, got {_shown(value)}")
            return minimum
        return number

    def strings(self, key: str) -> tuple[str, ...]:
        value = self._get(key, [])
        if value is None and self.incomplete:
            return ()
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            self.fail(key, f"must be a list of strings, got {_shown(value)}")
            return ()
        return tuple(value)

    def entries(self, key: str) -> list[Mapping[str, Any]]:
        """A list of objects (e.g. workloads, pairs); a non-object entry is a failure."""
        value = self._get(key, [])
        if value is None and self.incomplete:
            return []
        if not isinstance(value, (list, tuple)):
            self.fail(key, f"must be a list, got {_shown(value)}")
            return []
        good = []
        for index, entry in enumerate(value):
            if isinstance(entry, Mapping):
                good.append(entry)
            else:
                self.fail(f"{key}[{index}]", f"must be an object, got {_shown(entry)}")
        return good

    def check_result(self) -> CheckResult:
        return CheckResult(dict(self.props), list(self.failures))

    def raise_if_failed(self, resource: str) -> None:
        if self.failures:
            raise InvalidInputs(resource, self.failures)
        if self.incomplete:
            raise InvalidInputs(resource, [CheckFailure("", "some inputs are still unknown")])


def as_number(value: Any) -> float | None:
    """A JSON number as a float; None for anything else (a bool included)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def as_int(value: Any) -> int | None:
    """An int, also from the float the engine turns every number into (3 -> 3.0)."""
    number = as_number(value)
    if number is None or not number.is_integer():
        return None
    return int(number)


def workload_entry(inputs: Inputs, key: str, index: int,
                   entry: Mapping[str, Any]) -> tuple[str, str]:
    """Kind and name of one workloads[] entry (failures added for bad ones)."""
    where = f"{key}[{index}]"
    kind, name = entry.get("kind"), entry.get("name")
    if kind not in KINDS:
        inputs.fail(f"{where}.kind", f"must be one of {', '.join(KINDS)}, got {_shown(kind)}")
    if not isinstance(name, str) or not name:
        inputs.fail(f"{where}.name", f"must be a non-empty string, got {_shown(name)}")
    return str(kind), str(name)


def label_entry(inputs: Inputs, where: str, value: Any) -> tuple[tuple[str, str], ...]:
    """A map of label -> value in an entry (e.g. a workload's pod labels), sorted; a failure
    for anything else."""
    if (not isinstance(value, Mapping)
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())):
        inputs.fail(where, f"must be a map of label -> value, got {_shown(value)}")
        return ()
    return tuple(sorted(value.items()))


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
